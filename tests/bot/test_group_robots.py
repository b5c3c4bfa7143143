"""DingTalk and Feishu custom group robots against fake webhooks that check signatures and rates.

The fakes compute the signatures on their own from the documented formulas, so a wrong formula in
the channel is a refused message here, as it would be on the platform.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.channels.dingtalk import DingTalkRobotAccount, DingTalkRobotChannel
from bot.channels.feishu import FeishuRobotAccount, FeishuRobotChannel
from bot.core.channel import OutboundChannel
from bot.core.errors import PermanentFailure
from bot.core.messages import Reply, Target
from bot.sender import Sender
from storage.models import Delivery
from tests.bot.outbox_world import drain, sleeper, statuses
from tests.bot.outbox_world import queue as queue_to
from tests.fakes.clock import FakeClock
from tests.fakes.dingtalk_api import DingTalkRobotApi
from tests.fakes.feishu_api import FeishuRobotApi
from tests.fakes.serve import serve

DT_TOKEN, DT_SECRET = "dt-access-token-01", "SEC0123456789abcdef"
FS_HOOK, FS_SECRET = "fs-hook-0000-0001", "fs-secret-0001"
GUIDE = "## 【2026年12月组织生活清单】\n\n1. **学习党的创新理论**\n   内容：集中学习\n   形式：支部党员大会"


@pytest.fixture
def dingtalk_api(clock: FakeClock) -> DingTalkRobotApi:
    return DingTalkRobotApi(robots={DT_TOKEN: DT_SECRET}, now=lambda: clock.now().timestamp())


@pytest.fixture
def feishu_api(clock: FakeClock) -> FeishuRobotApi:
    return FeishuRobotApi(robots={FS_HOOK: FS_SECRET}, now=lambda: clock.now().timestamp())


@pytest.fixture
def dingtalk(dingtalk_api: DingTalkRobotApi, clock: FakeClock) -> Iterator[DingTalkRobotChannel]:
    with serve(dingtalk_api.app()) as base_url:
        account = DingTalkRobotAccount(access_token=DT_TOKEN, secret=DT_SECRET, base_url=base_url)
        yield DingTalkRobotChannel("branch1", account, clock)


@pytest.fixture
def feishu(feishu_api: FeishuRobotApi, clock: FakeClock) -> Iterator[FeishuRobotChannel]:
    with serve(feishu_api.app()) as base_url:
        yield FeishuRobotChannel(
            "branch1", FeishuRobotAccount(hook_id=FS_HOOK, secret=FS_SECRET, base_url=base_url), clock
        )


def send(channel: Any, reply: Reply) -> None:
    async def main() -> None:
        try:
            await channel.send(Target(channel.name, "branch1", "branch1", True), reply)
        finally:
            await channel.aclose()

    asyncio.run(main())


def sender_drains(engine: Engine, clock: FakeClock, channel: Any, count: int) -> None:
    queue_to(
        engine,
        clock,
        Target(channel.name, "branch1", "branch1", True),
        [f"第{n}条通知" for n in range(count)],
    )
    channels: dict[tuple[str, str], OutboundChannel] = {(channel.name, "branch1"): channel}
    sender = Sender(engine, channels, clock, sleep=sleeper(clock), rng=random.Random(3))

    async def main() -> None:
        try:
            await drain([sender], engine, clock)
        finally:
            await channel.aclose()

    asyncio.run(main())


def most_in_any_window(times: list[float], seconds: float) -> int:
    return max((sum(1 for t in times if start <= t < start + seconds) for start in times), default=0)


def test_dingtalk_signs_each_post_mentions_people_and_titles_markdown(
    dingtalk: DingTalkRobotChannel, dingtalk_api: DingTalkRobotApi
) -> None:
    send(dingtalk, Reply("请王书记确认", mentions=("user-wang",)))
    send(dingtalk, Reply("清单", markdown=GUIDE))
    text, markdown = dingtalk_api.bodies()
    assert text["text"]["content"] == "请王书记确认" and text["at"]["atUserIds"] == ["user-wang"]
    assert markdown["msgtype"] == "markdown" and markdown["markdown"]["text"] == GUIDE
    assert markdown["markdown"]["title"] == "2026年12月组织生活清单"


def test_dingtalk_refusals_name_the_setting_and_never_the_token(clock: FakeClock) -> None:
    api = DingTalkRobotApi(robots={DT_TOKEN: DT_SECRET}, now=lambda: clock.now().timestamp())
    with serve(api.app()) as base_url:
        wrong = DingTalkRobotAccount(access_token=DT_TOKEN, secret="SEC-not-the-secret", base_url=base_url)
        with pytest.raises(PermanentFailure) as refused:
            send(DingTalkRobotChannel("branch1", wrong, clock), Reply("通知"))
    assert "dingtalk_robot.branch1.secret" in str(refused.value) and DT_TOKEN not in str(refused.value)


def test_dingtalk_never_trips_its_ten_minute_block_on_a_big_broadcast(
    engine: Engine, clock: FakeClock, dingtalk: DingTalkRobotChannel, dingtalk_api: DingTalkRobotApi
) -> None:
    sender_drains(engine, clock, dingtalk, 45)
    assert [b["text"]["content"] for b in dingtalk_api.bodies()] == [f"第{n}条通知" for n in range(45)]
    assert len(dingtalk_api.requests) == 45  # no 130101, no retries
    assert most_in_any_window([t for t, _ in dingtalk_api.delivered], 60) <= 20


def test_a_blocked_dingtalk_robot_waits_its_ten_minutes_out(
    engine: Engine, clock: FakeClock, dingtalk: DingTalkRobotChannel, dingtalk_api: DingTalkRobotApi
) -> None:
    dingtalk_api.script = [130101]
    start = clock.now()
    sender_drains(engine, clock, dingtalk, 1)
    assert statuses(engine) == {"sent": 1} and clock.now() - start >= timedelta(minutes=10)


def test_feishu_signs_the_body_and_sends_markdown_as_rich_text(
    feishu: FeishuRobotChannel, feishu_api: FeishuRobotApi
) -> None:
    send(feishu, Reply("请王书记确认", mentions=("ou_wang",)))
    send(feishu, Reply("清单", markdown=GUIDE))
    text, post = feishu_api.bodies()
    assert (
        text["msg_type"] == "text" and text["content"]["text"] == '<at user_id="ou_wang"></at> 请王书记确认'
    )
    zh = post["content"]["post"]["zh_cn"]
    assert zh["title"] == "【2026年12月组织生活清单】"
    lines = [paragraph[0]["text"] for paragraph in zh["content"]]
    assert lines == ["1. 学习党的创新理论", "   内容：集中学习", "   形式：支部党员大会"]


def test_feishu_keeps_under_five_a_second_and_a_hundred_a_minute(
    engine: Engine, clock: FakeClock, feishu: FeishuRobotChannel, feishu_api: FeishuRobotApi
) -> None:
    sender_drains(engine, clock, feishu, 130)
    times = [t for t, _ in feishu_api.delivered]
    assert len(times) == 130 and len(feishu_api.requests) == 130
    assert most_in_any_window(times, 1) <= 5 and most_in_any_window(times, 60) <= 100


def test_a_wrong_feishu_secret_fails_once_naming_the_setting(
    engine: Engine, clock: FakeClock, feishu_api: FeishuRobotApi
) -> None:
    with serve(feishu_api.app()) as base_url:
        account = FeishuRobotAccount(hook_id=FS_HOOK, secret="not-the-secret", base_url=base_url)
        sender_drains(engine, clock, FeishuRobotChannel("branch1", account, clock), 1)
    with Session(engine) as session:
        row = session.exec(select(Delivery)).one()
    assert row.status == "failed" and "feishu_robot.branch1.secret" in row.last_error
    assert len(feishu_api.requests) == 1


def test_three_senders_together_keep_one_robot_under_its_limit(
    engine: Engine, clock: FakeClock, dingtalk: DingTalkRobotChannel, dingtalk_api: DingTalkRobotApi
) -> None:
    """Three serving processes each run a sender with its own token buckets; the account lease lets one
    of them send through the robot at a time, so together they never trip its 20-a-minute block."""
    texts = [f"第{n}条通知" for n in range(200)]
    queue_to(engine, clock, Target(dingtalk.name, "branch1", "branch1", True), texts)
    channels: dict[tuple[str, str], OutboundChannel] = {(dingtalk.name, "branch1"): dingtalk}
    senders = [
        Sender(
            engine,
            channels,
            clock,
            sleep=sleeper(clock),
            rng=random.Random(n),
            worker=f"process-{n}",
            batch_size=5,
        )
        for n in range(3)
    ]

    async def main() -> None:
        try:
            await drain(senders, engine, clock, rounds=2000)
        finally:
            await dingtalk.aclose()

    asyncio.run(main())
    assert sorted(b["text"]["content"] for b in dingtalk_api.bodies()) == sorted(texts)
    assert len(dingtalk_api.requests) == 200  # never refused, never blocked
    assert most_in_any_window([t for t, _ in dingtalk_api.delivered], 60) <= 20
