"""Short-lived per-chat state (pending confirmations, failure counters) that must survive across processes.

A row is keyed by chat, sender and kind; an expired row reads as absent. The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from storage.db import rows_changed
from storage.models import Conversation


@dataclass(frozen=True, slots=True)
class ChatKey:
    """Whose state it is: one sender in one chat (chat_id "" for state that follows the person)."""

    channel: str
    account: str
    chat_id: str
    sender_id: str


def _row(session: Session, key: ChatKey, kind: str) -> Conversation | None:
    # Read from the database even when the session already holds the row: a session kept across
    # commits (the router's batches) would otherwise see it as it was, not as other processes left it.
    return session.exec(
        select(Conversation)
        .where(
            Conversation.channel == key.channel,
            Conversation.account == key.account,
            Conversation.chat_id == key.chat_id,
            Conversation.sender_id == key.sender_id,
            Conversation.kind == kind,
        )
        .execution_options(populate_existing=True)
    ).first()


def get(session: Session, *, key: ChatKey, kind: str, now: datetime) -> dict[str, Any] | None:
    """The stored data, or None when there is none or it has expired."""
    row = _row(session, key, kind)
    if row is None or row.expires_at <= now:
        return None
    return dict(row.data)


def expired(session: Session, *, key: ChatKey, kind: str, now: datetime) -> bool:
    """True when a row exists but is past its expiry (so callers can say "too late" rather than "nothing")."""
    row = _row(session, key, kind)
    return row is not None and row.expires_at <= now


def put(session: Session, *, key: ChatKey, kind: str, data: dict[str, Any], expires_at: datetime) -> None:
    row = _row(session, key, kind)
    if row is None:
        row = Conversation(
            channel=key.channel,
            account=key.account,
            chat_id=key.chat_id,
            sender_id=key.sender_id,
            kind=kind,
            expires_at=expires_at,
        )
    row.data = data
    row.expires_at = expires_at
    session.add(row)
    session.flush()


def drop(session: Session, *, key: ChatKey, kind: str) -> None:
    row = _row(session, key, kind)
    if row is not None:
        session.delete(row)
        session.flush()


def take(session: Session, *, key: ChatKey, kind: str, now: datetime) -> dict[str, Any] | None:
    """Read and remove in one step; of two processes taking the same state, only one gets it."""
    row = _row(session, key, kind)
    if row is None or row.expires_at <= now:
        return None
    data = dict(row.data)
    removed = rows_changed(
        session.execute(
            delete(Conversation)
            .where(col(Conversation.id) == row.id)
            .execution_options(synchronize_session=False)
        )
    )
    session.expunge(row)
    return data if removed else None


def forget_expired(session: Session, *, before: datetime) -> int:
    """Drop state that expired before ``before``; how many rows went.

    Rows stay a while past their expiry so a late answer hears "too late" rather than "nothing".
    """
    stale = delete(Conversation).where(col(Conversation.expires_at) < before)
    return rows_changed(session.execute(stale.execution_options(synchronize_session=False)))
