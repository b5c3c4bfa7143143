from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot.core.messages import Reply, Target
from storage.db import session_scope
from storage.models import Delivery
from storage.outbox import (
    by_key,
    cancel,
    claim_due,
    defer,
    enqueue,
    mark_failed,
    mark_retry,
    mark_sent,
    status_counts,
)

TARGET = Target(channel="wecom", account="default", chat_id="branch-1", is_group=True)


def test_the_same_logical_message_is_queued_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert enqueue(
            session, target=TARGET, reply=Reply("政治生日快乐"), dedupe_key="birthday:1", kind="birthday"
        )
        assert not enqueue(
            session, target=TARGET, reply=Reply("又一次"), dedupe_key="birthday:1", kind="birthday"
        )
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Delivery)).one() == 1
        stored = by_key(session, "birthday:1")
        assert stored is not None and stored.text == "政治生日快乐" and stored.status == "pending"


def _queue(engine: Engine, count: int, *, batch: str | None = None) -> None:
    with session_scope(engine) as session:
        for n in range(count):
            enqueue(session, target=TARGET, reply=Reply(f"消息{n}"), dedupe_key=f"m:{n}", batch=batch)


def _claim(engine: Engine, now: datetime, worker: str, limit: int = 10) -> list[int]:
    with session_scope(engine) as session:
        return [row.id for row in claim_due(session, now=now, limit=limit, worker=worker) if row.id]


def test_two_workers_never_claim_the_same_row(engine: Engine) -> None:
    _queue(engine, 7)
    now = datetime.now(UTC)
    first, second = _claim(engine, now, "a", 4), _claim(engine, now, "b", 4)
    assert len(first) == 4 and len(second) == 3 and not set(first) & set(second)
    assert _claim(engine, now, "c") == []


def test_concurrent_claims_split_the_queue(engine: Engine) -> None:
    _queue(engine, 60)
    now = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=4) as pool:
        claimed = list(pool.map(lambda w: [i for _ in range(8) for i in _claim(engine, now, w, 3)], "abcd"))
    everything = [i for ids in claimed for i in ids]
    assert len(everything) == len(set(everything)) == 60


def test_a_lost_lease_is_claimable_again_and_the_old_worker_cannot_settle_it(engine: Engine) -> None:
    _queue(engine, 1)
    now = datetime.now(UTC)
    [row_id] = _claim(engine, now, "crashed")
    assert _claim(engine, now + timedelta(minutes=4), "b") == []
    assert _claim(engine, now + timedelta(minutes=6), "b") == [row_id]
    with session_scope(engine) as session:
        assert not mark_sent(session, delivery_id=row_id, worker="crashed", now=now)
        assert mark_sent(session, delivery_id=row_id, worker="b", now=now, platform_id="m1")
    with Session(engine) as session:
        row = session.get(Delivery, row_id)
        assert row is not None and row.status == "sent" and row.attempts == 2 and row.platform_id == "m1"


def test_retry_waits_defer_does_not_count_and_failed_is_final(engine: Engine) -> None:
    _queue(engine, 2)
    now = datetime.now(UTC)
    first, second = _claim(engine, now, "w")
    with session_scope(engine) as session:
        assert mark_retry(
            session, delivery_id=first, worker="w", at=now + timedelta(seconds=30), error="45009"
        )
        assert defer(session, delivery_id=second, worker="w", at=now + timedelta(seconds=3))
    assert _claim(engine, now + timedelta(seconds=5), "w") == [second]
    with session_scope(engine) as session:
        assert mark_failed(session, delivery_id=second, worker="w", error="93000 invalid key")
    assert _claim(engine, now + timedelta(hours=1), "w") == [first]
    with Session(engine) as session:
        attempts = {row.id: row.attempts for row in session.exec(select(Delivery))}
        assert attempts == {first: 2, second: 1}


def test_cancel_and_counts_per_batch(engine: Engine) -> None:
    _queue(engine, 3, batch="b1")
    now = datetime.now(UTC)
    [sent] = _claim(engine, now, "w", 1)
    with session_scope(engine) as session:
        mark_sent(session, delivery_id=sent, worker="w", now=now)
        assert cancel(session, batch="b1") == 2
        assert cancel(session, batch="b1") == 0
    with Session(engine) as session:
        counts = status_counts(session, batch="b1")
        assert counts["sent"] == 1 and counts["cancelled"] == 2 and counts["pending"] == 0
        assert status_counts(session, channel="wecom", chat_id="branch-1")["sent"] == 1
        assert status_counts(session, batch="other")["sent"] == 0
