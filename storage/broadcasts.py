"""Where a broadcast batch stands: per chat, delivered / failed / pending. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.messages import Target
from storage.models import Delivery, DeliveryStatus
from storage.outbox import status_counts

BROADCAST_KIND = "broadcast"


@dataclass(frozen=True, slots=True)
class ChatStatus:
    org_id: int | None
    channel: str
    chat_id: str
    status: str  # "sent" | "failed" | "pending" | "cancelled"
    error: str


def latest_batch(session: Session, *, org_ids: Sequence[int]) -> str | None:
    """The most recent broadcast batch sent to any of ``org_ids``."""
    query = (
        select(Delivery.batch)
        .where(
            Delivery.kind == BROADCAST_KIND,
            col(Delivery.org_id).in_(org_ids),
            col(Delivery.batch).is_not(None),
        )
        .order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def last_same(
    session: Session, *, text: str, targets: Collection[Target], since: datetime
) -> datetime | None:
    """When the same notice text was last queued (not withdrawn) to any of ``targets`` since ``since``."""
    query = (
        select(Delivery)
        .where(
            Delivery.kind == BROADCAST_KIND,
            Delivery.text == text,
            Delivery.created_at >= since,
            Delivery.status != DeliveryStatus.CANCELLED,
        )
        .order_by(col(Delivery.created_at).desc())
    )
    chats = {(t.channel, t.account, t.chat_id) for t in targets}
    same = (row.created_at for row in session.exec(query) if (row.channel, row.account, row.chat_id) in chats)
    return next(same, None)


def batch_status(session: Session, *, batch: str) -> list[ChatStatus]:
    """One row per chat of the batch; "sending" counts as pending until the sender records the outcome."""
    rows = session.exec(select(Delivery).where(Delivery.batch == batch).order_by(col(Delivery.id)))
    result: list[ChatStatus] = []
    for row in rows:
        status = DeliveryStatus.PENDING.value if row.status == DeliveryStatus.SENDING else row.status
        result.append(ChatStatus(row.org_id, row.channel, row.chat_id, status, row.last_error))
    return result


def totals(session: Session, *, batch: str) -> dict[str, int]:
    """Sent / failed / pending (queued or being sent) / cancelled for a batch, from the outbox's counts."""
    counts = status_counts(session, batch=batch)
    return {
        "sent": counts[DeliveryStatus.SENT],
        "failed": counts[DeliveryStatus.FAILED],
        "pending": counts[DeliveryStatus.PENDING] + counts[DeliveryStatus.SENDING],
        "cancelled": counts[DeliveryStatus.CANCELLED],
    }
