"""The outbox: every outbound message is a row first, so sends are durable and happen once.

Schedules, broadcasts and late replies all ``enqueue``; the sender (bot/sender.py)
claims due rows and delivers them. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, not_, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from bot.core.messages import Reply, Target
from storage.bindcodes import hide_login_codes
from storage.db import rows_changed
from storage.models import Delivery, DeliveryStatus, utcnow

DEFAULT_LEASE = timedelta(minutes=5)


def enqueue(
    session: Session,
    *,
    target: Target,
    reply: Reply,
    dedupe_key: str,
    kind: str = "reply",
    not_before: datetime | None = None,
    org_id: int | None = None,
    meeting_id: int | None = None,
    batch: str | None = None,
) -> bool:
    """Queue one message; False when ``dedupe_key`` was queued before (nothing changes then).

    The dedupe key names the logical message and its recipient, e.g.
    ``birthday:2026-11-23:wecom:default:chat42``, so a re-run can never double-send.
    """
    values = {
        "dedupe_key": dedupe_key,
        "kind": kind,
        "channel": target.channel,
        "account": target.account,
        "chat_id": target.chat_id,
        "is_group": target.is_group,
        "text": reply.text,
        "markdown": reply.markdown,
        "mentions": list(reply.mentions),
        "org_id": org_id,
        "meeting_id": meeting_id,
        "batch": batch,
        "next_try_at": not_before or utcnow(),
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Delivery).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    # Ask for the new id instead of trusting rowcount: on PostgreSQL the insert carries an
    # implicit RETURNING and rowcount comes back -1, so a skipped row looked inserted.
    return session.execute(stmt.returning(col(Delivery.id))).first() is not None


def by_key(session: Session, dedupe_key: str) -> Delivery | None:
    return session.exec(select(Delivery).where(Delivery.dedupe_key == dedupe_key)).first()


def claim_due(
    session: Session,
    *,
    now: datetime,
    limit: int,
    worker: str,
    lease: timedelta = DEFAULT_LEASE,
    skip: Collection[tuple[str, str]] = (),
) -> list[Delivery]:
    """Take up to ``limit`` due rows for ``worker``: they become "sending" until ``now + lease``.

    Rows of the (channel, account) pairs in ``skip`` stay for the sender that holds their account.

    One UPDATE over a locked sub-select, so two workers never get the same row:
    PostgreSQL skips rows another worker has locked (FOR UPDATE SKIP LOCKED),
    SQLite runs the statement under its single writer lock. A row left "sending"
    past its lease (its worker died) is due again, so a crash loses nothing and
    repeats at most the message that was in flight. Commit before sending.
    """
    others = [
        and_(col(Delivery.channel) == channel, col(Delivery.account) == account) for channel, account in skip
    ]
    due = (
        select(Delivery.id)
        .where(
            col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            Delivery.next_try_at <= now,
            *([not_(or_(*others))] if others else []),
        )
        .order_by(col(Delivery.next_try_at), col(Delivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Delivery)
        .where(col(Delivery.id).in_(due.scalar_subquery()))
        .values(
            status=DeliveryStatus.SENDING,
            claimed_by=worker,
            next_try_at=now + lease,
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery)
    )
    rows = session.execute(stmt.execution_options(synchronize_session=False)).scalars().all()
    return sorted(rows, key=lambda row: (row.next_try_at, row.id or 0))


def _settle(session: Session, delivery_id: int, worker: str, *, release: bool = True, **values: Any) -> bool:
    """Change a row this worker still holds (and let go of it); False if its lease passed to another."""
    stmt = (
        update(Delivery)
        .where(
            col(Delivery.id) == delivery_id,
            col(Delivery.status) == DeliveryStatus.SENDING,
            col(Delivery.claimed_by) == worker,
        )
        .values(**values, **({"claimed_by": ""} if release else {}))
        .execution_options(synchronize_session=False)
    )
    return bool(rows_changed(session.execute(stmt)))


def mark_sent(
    session: Session,
    *,
    delivery_id: int,
    worker: str,
    now: datetime,
    platform_id: str = "",
    text: str = "",
    markdown: str | None = None,
) -> bool:
    """Sent; given the row's ``text`` and ``markdown``, the copy kept loses any login link's code."""
    sent: dict[str, Any] = {
        "status": DeliveryStatus.SENT,
        "sent_at": now,
        "platform_id": platform_id[:128],
        "last_error": "",
    }
    if (hidden := hide_login_codes(text)) != text:
        sent |= {"text": hidden, "markdown": markdown and hide_login_codes(markdown)}
    return _settle(session, delivery_id, worker, **sent)


def mark_progress(session: Session, *, delivery_id: int, worker: str, parts_sent: int) -> bool:
    """Record that the first ``parts_sent`` parts of a split message arrived; the row stays claimed."""
    return _settle(session, delivery_id, worker, release=False, parts_sent=parts_sent)


def mark_retry(session: Session, *, delivery_id: int, worker: str, at: datetime, error: str) -> bool:
    """Back to the queue, due again at ``at``; the attempt counts."""
    retry: dict[str, Any] = {"status": DeliveryStatus.PENDING, "next_try_at": at, "last_error": error[:500]}
    return _settle(session, delivery_id, worker, **retry)


def defer(session: Session, *, delivery_id: int, worker: str, at: datetime) -> bool:
    """Back to the queue without counting an attempt (e.g. the chat's rate limit is used up)."""
    later: dict[str, Any] = {
        "status": DeliveryStatus.PENDING,
        "next_try_at": at,
        "attempts": Delivery.attempts - 1,
    }
    return _settle(session, delivery_id, worker, **later)


def mark_failed(session: Session, *, delivery_id: int, worker: str, error: str) -> bool:
    """Give up for good: the error is kept for the 发送情况 report."""
    return _settle(session, delivery_id, worker, status=DeliveryStatus.FAILED, last_error=error[:500])


def cancel(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    batch: str | None = None,
    meeting_id: int | None = None,
    private_to: Sequence[Target] | None = None,
    reason: str = "cancelled",
) -> int:
    """Withdraw messages not yet handed to a sender; returns how many. Rows being sent are left alone.

    ``private_to``: the messages to these private chats (a member who left), none when it is empty.
    """
    if ids is None and batch is None and meeting_id is None and private_to is None:
        raise ValueError("say which deliveries to cancel")
    conditions = [col(Delivery.status) == DeliveryStatus.PENDING]
    if private_to is not None:
        chats = [
            and_(
                col(Delivery.channel) == t.channel,
                col(Delivery.account) == t.account,
                col(Delivery.chat_id) == t.chat_id,
            )
            for t in private_to
        ]
        conditions += [col(Delivery.is_group).is_(False), or_(false(), *chats)]
    if ids is not None:
        conditions.append(col(Delivery.id).in_(list(ids)))
    if batch is not None:
        conditions.append(col(Delivery.batch) == batch)
    if meeting_id is not None:
        conditions.append(col(Delivery.meeting_id) == meeting_id)
    stmt = (
        update(Delivery).where(*conditions).values(status=DeliveryStatus.CANCELLED, last_error=reason[:500])
    )
    return rows_changed(session.execute(stmt.execution_options(synchronize_session=False)))


def status_counts(
    session: Session,
    *,
    batch: str | None = None,
    channel: str | None = None,
    account: str | None = None,
    chat_id: str | None = None,
) -> dict[str, int]:
    """How many deliveries are in each status, for a batch and/or a chat; every status is present."""
    query = select(Delivery.status, func.count()).group_by(col(Delivery.status))
    for column, value in (
        (Delivery.batch, batch),
        (Delivery.channel, channel),
        (Delivery.account, account),
        (Delivery.chat_id, chat_id),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    counts = {status.value: 0 for status in DeliveryStatus}
    for status, count in session.exec(query):
        counts[status] = int(count)
    return counts


def due_count(session: Session, *, now: datetime) -> int:
    """Deliveries a sender could claim right now (for health checks and the CLI)."""
    query = select(func.count()).where(
        or_(col(Delivery.status) == DeliveryStatus.PENDING, col(Delivery.status) == DeliveryStatus.SENDING),
        Delivery.next_try_at <= now,
    )
    return int(session.exec(query).one())


def backlog(session: Session, *, now: datetime) -> tuple[int, datetime | None]:
    """How many deliveries are due and since when the oldest has been due (/healthz, /metrics).

    One range scan of the (status, next_try_at) index. A row "sending" past its lease counts:
    its sender died and nobody has claimed it again.
    """
    query = select(func.count(), func.min(Delivery.next_try_at)).where(
        col(Delivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
        Delivery.next_try_at <= now,
    )
    count, oldest = session.exec(query).one()
    return int(count), oldest


def newest(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    chat_id: str | None = None,
    org_ids: Sequence[int] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Delivery]:
    """The latest deliveries, newest first, optionally of one status, kind or chat (`zhibu outbox list`)
    or only of some organizations (the web console shows a user the messages of what they manage)."""
    query = select(Delivery).order_by(col(Delivery.id).desc()).offset(offset).limit(limit)
    for column, value in ((Delivery.status, status), (Delivery.kind, kind), (Delivery.chat_id, chat_id)):
        if value is not None:
            query = query.where(col(column) == value)
    if org_ids is not None:
        query = query.where(col(Delivery.org_id).in_(list(org_ids)))
    return list(session.exec(query))


def kinds(session: Session) -> list[str]:
    """Every kind of message the outbox has held, for a filter's choices."""
    return sorted(session.exec(select(Delivery.kind).distinct()))


def retry_failed(session: Session, *, now: datetime, ids: Sequence[int] | None = None) -> int:
    """Put failed deliveries (all, or those in ``ids``) back in the queue, due at ``now``; how many.

    Their attempts start again from zero, so a delivery that failed after the last attempt is
    not given up at once, and the last error stays visible until the next attempt settles.
    """
    stmt = (
        update(Delivery)
        .where(col(Delivery.status) == DeliveryStatus.FAILED)
        .values(status=DeliveryStatus.PENDING, next_try_at=now, attempts=0, claimed_by="")
    )
    if ids is not None:
        stmt = stmt.where(col(Delivery.id).in_(list(ids)))
    return rows_changed(session.execute(stmt.execution_options(synchronize_session=False)))


def failed_summary(session: Session) -> tuple[int, datetime | None]:
    """How many deliveries failed for good, and when the oldest of them was queued."""
    query = select(func.count(), func.min(Delivery.created_at)).where(
        col(Delivery.status) == DeliveryStatus.FAILED
    )
    count, oldest = session.exec(query).one()
    return int(count), oldest
