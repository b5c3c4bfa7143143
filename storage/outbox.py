"""The outbox: every outbound message is a row first, so sends are durable and happen once.

Schedules, broadcasts and late replies all ``enqueue``; the sender (bot/sender.py)
claims due rows and delivers them. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from bot.core.messages import Reply, Target
from storage.models import Delivery, utcnow


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
    return session.execute(stmt.returning(Delivery.id)).first() is not None


def by_key(session: Session, dedupe_key: str) -> Delivery | None:
    return session.exec(select(Delivery).where(Delivery.dedupe_key == dedupe_key)).first()
