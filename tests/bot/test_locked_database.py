"""A database locked by another process across the platform's retries: never "success" for a message
that is not stored, never a cached failure, and exactly one reply once the lock is gone.

The lock is real: another SQLite connection holds a write transaction (BEGIN IMMEDIATE), as a
backup or a long migration would; on PostgreSQL another connection holds LOCK TABLE on the inbound
log. The router and its database are the real ones.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.app import create_app
from bot.core.channel import ChannelLimits
from bot.core.errors import NotYetStored
from bot.core.messages import Inbound
from bot.router import Router
from bot.sender import Sender
from handlers import texts
from storage.db import make_engine
from storage.models import Delivery, InboundLog
from tests.bot.callbacks import text_xml, wechat_post, wechat_table
from tests.bot.conftest import MakeRuntime
from tests.fakes.clock import FakeClock
from tests.fakes.serve import serve
from tests.fakes.wechat_api import FakeWeChatApi

pytestmark = pytest.mark.anyio

LIMITS = ChannelLimits(unit="bytes", max_length=2048)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_path(db_url: str) -> Path:
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("holds SQLite's write lock from a second connection")
    assert url.database
    return Path(url.database)


def _engine(db_path: Path, busy_ms: int) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{db_path}")

    @event.listens_for(engine, "connect")
    def _wait_less(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA busy_timeout={busy_ms}")

    yield engine
    engine.dispose()


class WriteLock:
    """Another process's write transaction on the same file."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=5)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


Locker = Callable[[], AbstractContextManager[None]]


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite-write-transaction"),
        # on PostgreSQL, ACCESS EXCLUSIVE holds up reads too; EXCLUSIVE only writes, as SQLite's lock does
        pytest.param("ACCESS EXCLUSIVE", id="pg-access-exclusive", marks=pytest.mark.postgres),
        pytest.param("EXCLUSIVE", id="pg-exclusive", marks=pytest.mark.postgres),
    ]
)
def locker(request: pytest.FixtureRequest, db_url: str) -> Iterator[Locker]:
    """Holds the database's lock from another connection while the ``with`` block runs."""
    mode: str = request.param
    if (mode == "sqlite") != (make_url(db_url).get_backend_name() == "sqlite"):
        pytest.skip(f"{mode} lock needs the other database")
    other = make_engine(db_url)

    @contextmanager
    def held() -> Iterator[None]:
        if mode == "sqlite":
            lock = WriteLock(Path(str(make_url(db_url).database)))
            try:
                yield
            finally:
                lock.release()
            return
        with other.connect() as conn:
            conn.execute(text(f"LOCK TABLE {InboundLog.__tablename__} IN {mode} MODE"))
            try:
                yield
            finally:
                conn.rollback()

    yield held
    other.dispose()


def _message(clock: FakeClock) -> Inbound:
    return Inbound(
        channel="wechat",
        account="safe",
        chat_id="o-member",
        sender_id="o-member",
        text="帮助",
        received_at=clock.now(),
        message_id="msg-locked-1",
    )


async def _post(http: httpx.AsyncClient, clock: FakeClock) -> httpx.Response:
    """The member's 帮助 as WeChat sends it in safe mode, the same each time it retries."""
    now = clock.now()
    signed = wechat_post(text_xml("o-member", "帮助", 8101, int(now.timestamp())), now, safe=True)
    return await http.post("http://zhibu.test/wechat/safe", params=signed.params, content=signed.body)


def _stored(engine: Engine) -> tuple[list[InboundLog], list[Delivery]]:
    with Session(engine) as session:
        return list(session.exec(select(InboundLog))), list(session.exec(select(Delivery)))


def _wait_until_stored(engine: Engine) -> None:
    for _ in range(200):
        if _stored(engine)[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the message was never stored")


async def test_retries_during_the_lock_get_an_error_and_the_reply_arrives_once_after_it(
    db_path: Path, clock: FakeClock
) -> None:
    for engine in _engine(db_path, busy_ms=30_000):  # the default: writers wait for the lock
        router = Router(engine, clock, deadline=0.3)
        lock = WriteLock(db_path)
        try:
            for _attempt in ("original", "retry after 5 s", "retry after 10 s"):
                with pytest.raises(NotYetStored):
                    await router.respond(_message(clock), LIMITS)
                assert _stored(engine) == ([], [])
        finally:
            lock.release()
        _wait_until_stored(engine)
        # The platform's next retry gets the reply, passively or as "success" with the reply queued.
        reply = await router.respond(_message(clock), LIMITS)
        router.close()
        logs, deliveries = _stored(engine)
        assert len(logs) == 1
        received = [reply.text] if reply is not None else []
        assert received + [d.text for d in deliveries if d.chat_id == "o-member"] == [texts.HELP]


async def test_work_that_failed_on_the_lock_is_handled_again_by_the_next_retry(
    db_path: Path, clock: FakeClock
) -> None:
    for engine in _engine(db_path, busy_ms=1500):  # the lock outlasts the database's patience
        router = Router(engine, clock, deadline=0.3)
        lock = WriteLock(db_path)
        try:
            with pytest.raises(NotYetStored):
                await router.respond(_message(clock), LIMITS)
            time.sleep(3.0)  # well past the 1.5 s busy timeout: the work has given up on the lock
            assert _stored(engine) == ([], [])
        finally:
            lock.release()
        # not a cached failure: the retry runs the handler again and answers passively, once
        reply = await router.respond(_message(clock), LIMITS)
        assert reply is not None and reply.text == texts.HELP
        assert await router.respond(_message(clock), LIMITS) == reply
        router.close()
        logs, deliveries = _stored(engine)
        assert len(logs) == 1 and deliveries == []


async def test_a_lock_that_outlasts_the_platforms_retries_still_gets_the_answer_out_once(
    make_runtime: MakeRuntime, engine: Engine, clock: FakeClock, locker: Locker
) -> None:
    api = FakeWeChatApi()
    with serve(api.app) as base:
        wechat = {"safe": wechat_table(safe=True, api_base_url=f"{base}/cgi-bin/", timeout=5)}
        runtime = make_runtime(reply_deadline=0.3, wechat=wechat)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime))) as http:
            with locker():
                for _attempt in ("original", "retry after 5 s", "retry after 10 s"):
                    answer = await _post(http, clock)
                    assert answer.status_code == 503, "nothing is stored: the platform must retry"
        # WeChat has given up; the handler finishes once the lock is gone, with nobody waiting for it
        runtime.router.close()
        await Sender(engine, runtime.outbound(), clock).run_once()
    assert [sent.body["text"] for sent in api.sent("message/custom/send")] == [{"content": texts.HELP}]
    logs, _ = _stored(engine)
    assert [log.reply for log in logs] == [None], "no passive reply kept that no request carried"


async def test_a_retry_waiting_when_the_lock_clears_carries_the_reply_alone(
    engine: Engine, clock: FakeClock, locker: Locker
) -> None:
    router = Router(engine, clock, deadline=2.0)
    try:
        with locker():
            with pytest.raises(NotYetStored):
                await router.respond(_message(clock), LIMITS)
            retry = asyncio.ensure_future(router.respond(_message(clock), LIMITS))
            await asyncio.sleep(0)  # the retry waits for the outcome now
        reply = await retry
    finally:
        router.close()
    assert reply is not None and reply.text == texts.HELP, "the waiting retry answers passively"
    logs, deliveries = _stored(engine)
    assert len(logs) == 1 and deliveries == [], "and nothing more goes out"


async def test_a_plaintext_callback_under_the_lock_is_asked_to_retry_in_time(
    make_runtime: MakeRuntime, clock: FakeClock, locker: Locker
) -> None:
    """Plaintext mode first records the used signature; a lock there must not eat WeChat's 5 s."""
    runtime = make_runtime(reply_deadline=0.4)
    now = clock.now()
    signed = wechat_post(
        text_xml("o-member", "帮助", 8201, int(now.timestamp())), now, safe=False, nonce="82"
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(runtime))) as http:
        with locker():
            started = time.monotonic()
            answer = await http.post(
                "http://zhibu.test/wechat/plain", params=signed.params, content=signed.body
            )
            assert answer.status_code == 503 and time.monotonic() - started < 5  # WeChat waits 5 s
        retry = await http.post("http://zhibu.test/wechat/plain", params=signed.params, content=signed.body)
    assert retry.status_code == 200 and "支部助手" in retry.text
