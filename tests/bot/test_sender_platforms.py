"""The sender through the WeCom app and Telegram channels, against their fake APIs on loopback.

Rate-limited and token-expired answers are retried and each message arrives once;
two processes share one access token through the database.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.channels.telegram import TelegramAccount, TelegramChannel
from bot.channels.wecom import WeComAccount, WeComChannel
from bot.core.messages import Target
from bot.sender import Sender
from storage.models import Delivery
from storage.tokens import DatabaseTokenStore
from tests.bot.callbacks import wecom_table
from tests.bot.outbox_world import drain, queue, sleeper, statuses
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fakes.telegram_api import TelegramApi, flood
from tests.fakes.wechat_api import FakeWeChatApi

MEMBER = Target("wecom", "default", "zhangsan")
TOKEN = "123456:AAE-test-token-0123456789abcdef"


@pytest.fixture
def wechat_api() -> Iterator[tuple[FakeWeChatApi, str]]:
    fake = FakeWeChatApi()
    with serve(fake.app) as base:
        yield fake, f"{base}/cgi-bin/"


def wecom(base: str, engine: Engine, clock: FakeClock) -> WeComChannel:
    account = WeComAccount.model_validate(wecom_table(api_base_url=base, timeout=5))
    return WeComChannel("default", account, clock=clock, tokens=DatabaseTokenStore(engine, clock))


def test_expired_tokens_and_rate_limits_are_retried_and_each_message_arrives_once(
    wechat_api: tuple[FakeWeChatApi, str], engine: Engine, clock: FakeClock
) -> None:
    fake, base = wechat_api
    texts = [f"第{n}条" for n in range(6)]
    queue(engine, clock, MEMBER, texts)
    # two "processes": separate channels and senders, one database
    senders = [
        Sender(
            engine,
            {("wecom", "default"): wecom(base, engine, clock)},
            clock,
            sleep=sleeper(clock),
            batch_size=2,
            rng=random.Random(n),
            worker=f"p{n}",
        )
        for n in range(2)
    ]

    async def scenario() -> None:
        await senders[0].run_once()
        fake.expire_tokens()  # the token dies between batches: 42001, refresh once, retry once
        fake.fail_next(45009, path="message/send")  # and the platform is busy once
        await drain(senders, engine, clock)

    asyncio.run(scenario())
    assert sorted(s.body["text"]["content"] for s in fake.sent("message/send")) == sorted(texts)
    assert statuses(engine) == {"sent": 6}
    assert fake.token_fetches() == 2  # one at start, one after expiry, shared by both processes


def test_telegram_flood_control_is_waited_out_and_a_blocked_user_fails_without_retry(
    engine: Engine, clock: FakeClock
) -> None:
    api = TelegramApi(token=TOKEN, blocked={"666"})
    api.script = [flood(25)]
    with serve(api.app()) as base:
        channel = TelegramChannel("default", TelegramAccount(bot_token=TOKEN, api_base_url=base), clock=clock)
        queue(engine, clock, Target("telegram", "default", "42"), ["你好"])
        sender = Sender(
            engine, {("telegram", "default"): channel}, clock, sleep=sleeper(clock), rng=random.Random(1)
        )
        start = clock.now()

        async def scenario() -> None:
            await drain([sender], engine, clock)
            queue(engine, clock, Target("telegram", "default", "666"), ["提醒"], prefix="blocked")
            await drain([sender], engine, clock)
            await channel.aclose()

        asyncio.run(scenario())
    assert api.texts("42") == ["你好"] and (clock.now() - start).total_seconds() >= 25
    with Session(engine) as session:
        blocked = session.exec(select(Delivery).where(Delivery.chat_id == "666")).one()
        assert blocked.status == "failed" and blocked.attempts == 1 and "blocked" in blocked.last_error
    assert [method for method, params in api.calls if params.get("chat_id") == "666"] == ["sendMessage"]
