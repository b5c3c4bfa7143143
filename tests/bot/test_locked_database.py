"""A database locked by another process across the platform's retries: never "success" for a message
that is not stored, never a cached failure, and exactly one reply once the lock is gone.

The lock is real: another SQLite connection holds a write transaction (BEGIN IMMEDIATE), as a
backup or a long migration would. The router and its database are the real ones.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.core.channel import ChannelLimits
from bot.core.errors import NotYetStored
from bot.core.messages import Inbound
from bot.router import Router
from handlers import texts
from storage.db import make_engine
from storage.models import Delivery, InboundLog
from tests.fakes.clock import FakeClock

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


def _message(clock: FakeClock) -> Inbound:
    return Inbound(
        channel="wechat", account="safe", chat_id="o-member", sender_id="o-member", text="帮助",
        received_at=clock.now(), message_id="msg-locked-1",
    )


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
            time.sleep(1.2)  # the work has given up on the lock by now
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
