"""Telegram through the whole stack: webhook or polling → router → outbox → sender → fake Bot API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import create_app
from bot.channels.telegram import TelegramPoller, WebhookRegistration
from bot.core.errors import Misconfigured
from bot.core.messages import Reply, Target
from bot.housekeeping import Housekeeping
from bot.runtime import Runtime, build_runtime
from bot.sender import Sender
from bot.settings import Settings
from storage import conversation
from storage.db import session_scope
from storage.models import ChatBinding, Conversation, Delivery, InboundLog, OrgKind
from storage.orgs import get_or_create
from storage.outbox import enqueue
from tests.bot.test_telegram import SECRET, TOKEN, update
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fakes.telegram_api import TelegramApi

pytestmark = pytest.mark.anyio
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture
def api() -> Iterator[tuple[TelegramApi, str]]:
    fake = TelegramApi(token=TOKEN)
    with serve(fake.app()) as base:
        yield fake, base


@pytest.fixture
def runtime(api: tuple[TelegramApi, str], db_url: str, engine: Engine, clock: FakeClock) -> Iterator[Runtime]:
    base = api[1]
    telegram = {
        "default": {"bot_token": TOKEN, "webhook_secret": SECRET, "api_base_url": base},
        "nopublicurl": {"bot_token": TOKEN, "api_base_url": base},
    }
    robot = {"branch1": {"webhook_key": "robot-key-0001"}}
    settings = Settings(
        database_url=db_url,
        telegram=telegram,
        robot=robot,
        schedules={"enabled": False},
        public_url="https://zhibu.example.org/",
    )
    built = build_runtime(settings, clock=clock, engine=engine)
    yield built
    built.router.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://zhibu.test") as http:
        yield http
    await runtime.stop()  # closes the channels' connection pools


@pytest.fixture
async def stopping(runtime: Runtime) -> AsyncIterator[Runtime]:
    yield runtime
    await runtime.stop()


def sender_of(runtime: Runtime) -> Sender:
    [sender] = [s for s in runtime.services if isinstance(s, Sender)]
    return sender


def outbox(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.next_try_at, Delivery.id)))


async def post(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] = HEADERS) -> int:
    response = await client.post("/telegram/default", content=json.dumps(body), headers=headers)
    return response.status_code


def test_accounts_are_wired_and_polling_only_where_there_is_no_webhook(runtime: Runtime) -> None:
    assert {("telegram", "default"), ("telegram", "nopublicurl"), ("robot", "branch1")} <= set(
        runtime.outbound()
    )
    pollers = [s for s in runtime.services if isinstance(s, TelegramPoller)]
    assert [p.channel.account_name for p in pollers] == ["nopublicurl"]
    assert sender_of(runtime).channels.keys() == runtime.outbound().keys()


def test_a_bad_account_fails_at_start_up_naming_the_key(
    db_url: str, engine: Engine, clock: FakeClock
) -> None:
    settings = Settings(
        database_url=db_url, robot={"branch1": {"webhook_key": ""}}, schedules={"enabled": False}
    )
    with pytest.raises(Misconfigured) as bad:
        build_runtime(settings, clock=clock, engine=engine)
    assert bad.value.key == "robot.branch1.webhook_key"


async def test_a_webhook_update_is_answered_through_the_outbox_once(
    client: httpx.AsyncClient, runtime: Runtime, api: tuple[TelegramApi, str], engine: Engine
) -> None:
    fake = api[0]
    for _ in range(3):  # Telegram redelivers when it did not see our 200 in time
        assert await post(client, update(100, "/help")) == 200
    [reply] = outbox(engine)
    assert reply.chat_id == "42" and reply.channel == "telegram" and reply.text
    await sender_of(runtime).run_once()
    assert fake.texts("42") == [reply.text]


async def test_a_forged_update_is_refused_and_nothing_is_queued(
    client: httpx.AsyncClient, engine: Engine
) -> None:
    assert (
        await post(client, update(101, "/help"), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}) == 403
    )
    assert await post(client, update(102, "/help"), headers={}) == 403
    assert (await client.post("/telegram/nopublicurl", content=b"{}", headers=HEADERS)).status_code == 404
    assert outbox(engine) == []


async def test_polling_answers_like_the_webhook(
    stopping: Runtime, api: tuple[TelegramApi, str], engine: Engine
) -> None:
    fake = api[0]
    [poller] = [s for s in stopping.services if isinstance(s, TelegramPoller)]
    fake.updates = [update(7, "/start", chat=-100555, chat_type="supergroup")]
    assert await poller.poll_once() == 1
    assert await poller.poll_once() == 0  # confirmed by the offset, not handed over twice
    [reply] = outbox(engine)
    assert reply.chat_id == "-100555" and reply.is_group and reply.account == "nopublicurl"


async def test_start_up_registers_the_webhook_with_its_secret(
    stopping: Runtime, api: tuple[TelegramApi, str]
) -> None:
    fake = api[0]
    [registration] = [s for s in stopping.services if isinstance(s, WebhookRegistration)]
    await registration.start()
    assert fake.webhook is not None and fake.webhook["url"] == "https://zhibu.example.org/telegram/default"
    assert fake.webhook["secret_token"] == SECRET
    assert [params.get("url") for method, params in fake.calls if method == "setWebhook"] == [
        fake.webhook["url"]
    ]


async def test_a_group_that_became_a_supergroup_keeps_its_binding_and_its_queue(
    stopping: Runtime, api: tuple[TelegramApi, str], engine: Engine, clock: FakeClock
) -> None:
    fake = api[0]
    fake.migrated["-555"] = -1009999
    target = Target("telegram", "default", "-555", is_group=True)
    with session_scope(engine) as session:
        branch, _ = get_or_create(session, name="第一党支部", kind=OrgKind.BRANCH, parent_id=None)
        session.add(ChatBinding(channel="telegram", account="default", chat_id="-555", org_id=branch.id or 0))
        enqueue(session, target=target, reply=Reply("会议通知"), dedupe_key="a", not_before=clock.now())
        enqueue(
            session,
            target=target,
            reply=Reply("明天的提醒"),
            dedupe_key="b",
            not_before=clock.now() + timedelta(days=1),
        )
    await sender_of(stopping).run_once()
    assert fake.texts("-1009999") == ["会议通知"]
    with Session(engine) as session:
        assert [b.chat_id for b in session.exec(select(ChatBinding))] == ["-1009999"]
        assert {d.dedupe_key: d.chat_id for d in session.exec(select(Delivery))} == {
            "a": "-555",
            "b": "-1009999",
        }


async def test_the_handled_set_expires_after_two_days(
    client: httpx.AsyncClient, runtime: Runtime, engine: Engine, clock: FakeClock
) -> None:
    [housekeeping] = [s for s in runtime.services if isinstance(s, Housekeeping)]
    assert await post(client, update(300, "/help")) == 200
    clock.advance(timedelta(days=1))
    assert housekeeping.tidy() == 0  # a redelivery a day later is still recognised
    clock.advance(timedelta(days=2))
    assert housekeeping.tidy() == 1
    with Session(engine) as session:
        assert session.exec(select(InboundLog)).all() == []


async def test_background_services_start_and_stop(stopping: Runtime) -> None:
    [housekeeping] = [s for s in stopping.services if isinstance(s, Housekeeping)]
    await housekeeping.start()
    await sender_of(stopping).start()
    await sender_of(stopping).stop()
    await housekeeping.stop()
    assert housekeeping._task is None


async def test_chat_state_is_dropped_two_days_after_it_expired(
    runtime: Runtime, engine: Engine, clock: FakeClock
) -> None:
    [housekeeping] = [s for s in runtime.services if isinstance(s, Housekeeping)]
    key = conversation.ChatKey("telegram", "default", "-555", "42")
    with session_scope(engine) as session:
        conversation.put(
            session, key=key, kind="confirm", data={"n": 1}, expires_at=clock.now() + timedelta(minutes=10)
        )
    clock.advance(timedelta(days=1))
    assert housekeeping.tidy() == 0
    with session_scope(engine) as session:  # a late answer can still be told it came too late
        assert conversation.expired(session, key=key, kind="confirm", now=clock.now())
    clock.advance(timedelta(days=2))
    assert housekeeping.tidy() == 1
    with Session(engine) as session:
        assert session.exec(select(Conversation)).all() == []


def _malformed() -> list[dict[str, Any]]:
    """Updates a buggy client or a hostile proxy could send: wrong types where Telegram has objects."""
    names = update(301, "/help")
    names["message"]["from"]["first_name"] = ["not", "a", "name"]
    no_chat = update(302, "/help")
    no_chat["message"]["chat"] = ["x"]
    odd_id = update(303, "/help")
    odd_id["message"]["from"]["id"] = {"id": 1}
    odd_type = update(305, "/help")
    odd_type["message"]["chat"]["type"] = ["group"]  # unhashable: "in GROUP_TYPES" raised TypeError
    huge_id = update(309, "/help", chat=10**200)  # longer than the chat id column: a 500 on PostgreSQL
    odd_date = update(310, "/help")
    odd_date["message"]["date"] = "1" * 300  # longer than the message key column
    return [names, no_chat, odd_id, odd_type, huge_id, odd_date]


async def test_a_malformed_webhook_update_is_skipped_not_a_server_error(
    client: httpx.AsyncClient, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    names, *bad_ones = _malformed()
    assert await post(client, names) == 200  # a name of the wrong type is just left out
    assert [r.chat_id for r in outbox(engine)] == ["42"]
    for bad in bad_ones:
        assert await post(client, bad) == 200  # acknowledged, so Telegram does not resend it forever
    assert len(outbox(engine)) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    skipped = [m for m in warnings if "skipped" in m]
    assert [m.split()[2] for m in skipped] == ["302", "303", "305", "309", "310"]
    assert not any(TOKEN in r.getMessage() for r in caplog.records)


async def test_polling_skips_a_malformed_update_and_goes_on(
    stopping: Runtime, api: tuple[TelegramApi, str], engine: Engine
) -> None:
    fake = api[0]
    [poller] = [s for s in stopping.services if isinstance(s, TelegramPoller)]
    no_number = {**update(306, "/help"), "update_id": "306"}  # int() of it worked; of "x" it would not
    listed = {**update(307, "/help"), "update_id": [307]}
    fake.updates = [*_malformed()[1:], listed, no_number, update(308, "/start")]
    assert await poller.poll_once() == 8
    assert poller.offset == 311
    assert await poller.poll_once() == 0  # the bad ones were confirmed too, not fetched again
    assert [r.chat_id for r in outbox(engine)] == ["42"]
