"""A platform API down for ten minutes: deliveries back off, arrive once afterwards, and never storm.

Time is a FakeClock the sender's sleeps advance, so ten minutes pass in a moment.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.responses import PlainTextResponse

from bot.channels.robot import RobotAccount, RobotChannel
from bot.core.messages import Target
from bot.sender import RetryPolicy, Sender
from tests.bot.outbox_world import drain, queue, sleeper, statuses
from tests.fakes.clock import FakeClock
from tests.fakes.robot_api import RobotApi
from tests.fakes.serve import serve

KEY = "robot-key-0001"
TARGET = Target(channel="robot", account="branch1", chat_id="branch1", is_group=True)
OUTAGE = timedelta(minutes=10)
MESSAGES = 10


class Outage:
    """Wraps a fake API: 503 for every request until ``until`` on the test's clock; counts them."""

    def __init__(self, app: Any, clock: FakeClock, until: Any) -> None:
        self.app, self.clock, self.until = app, clock, until
        self.refused: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.clock.now() < self.until:
            self.refused.append(self.clock.now())
            await PlainTextResponse("service unavailable", status_code=503)(scope, receive, send)
            return
        await self.app(scope, receive, send)


@pytest.fixture
def api(clock: FakeClock) -> RobotApi:
    return RobotApi(keys={KEY}, now=lambda: clock.now().timestamp())


@pytest.fixture
def down(api: RobotApi, clock: FakeClock) -> Iterator[tuple[Outage, RobotChannel]]:
    outage = Outage(api.app(), clock, clock.now() + OUTAGE)
    with serve(outage) as base_url:
        yield outage, RobotChannel("branch1", RobotAccount(webhook_key=KEY, base_url=base_url))


def test_ten_minutes_down_means_backoff_then_each_message_exactly_once(
    engine: Engine, clock: FakeClock, api: RobotApi, down: tuple[Outage, RobotChannel]
) -> None:
    outage, robot = down
    texts = [f"支部通知 {n}" for n in range(MESSAGES)]
    queue(engine, clock, TARGET, texts)
    start = clock.now()
    sender = Sender(engine, {("robot", "branch1"): robot}, clock, sleep=sleeper(clock), rng=random.Random(3))

    async def main() -> None:
        try:
            await drain([sender], engine, clock, rounds=2000)
        finally:
            await robot.aclose()

    asyncio.run(main())
    assert statuses(engine) == {"sent": MESSAGES}
    assert sorted(api.contents()) == sorted(texts), "each message delivered exactly once after the outage"
    # Backoff, not a storm: with 10 s doubling (±50 % jitter) a message tries at most 7 times in 10 minutes.
    policy = RetryPolicy()
    bound = 1 + sum(
        1 for k in range(1, 20) if policy.base_seconds * 0.5 * (2**k - 1) < OUTAGE.total_seconds()
    )
    assert 0 < len(outage.refused) <= MESSAGES * bound, len(outage.refused)
    per_minute = [
        sum(1 for t in outage.refused if start + timedelta(minutes=m) <= t < start + timedelta(minutes=m + 1))
        for m in range(10)
    ]
    assert per_minute[-1] <= MESSAGES, f"retries thin out as the outage goes on: {per_minute}"
    assert clock.now() - start >= OUTAGE
