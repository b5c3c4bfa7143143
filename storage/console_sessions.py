"""Signed-in browsers of the web console. The cookie holds a random token; only its hash is stored.

A session lapses after ``idle`` without a request, on logout, or when its member logs out everywhere.
The caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select, update

from storage.db import rows_changed
from storage.models import ConsoleSession

# last_seen_at is written at most this often, so browsing is not a write per page.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Opened:
    """A new session: the cookie value (given out once, never stored) and the stored row."""

    token: str
    row: ConsoleSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, *, member_id: int, now: datetime) -> Opened:
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=_hash(token),
        member_id=member_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return Opened(token, row)


def current(session: Session, *, token: str, now: datetime, idle: timedelta) -> ConsoleSession | None:
    """The live session behind a cookie value, touched; None when unknown, revoked or idle too long."""
    row = session.exec(select(ConsoleSession).where(ConsoleSession.token_hash == _hash(token))).first()
    if row is None or row.revoked_at is not None or now - row.last_seen_at > idle:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return row


def revoke(session: Session, *, session_id: int, now: datetime) -> None:
    _revoke(session, col(ConsoleSession.id) == session_id, now)


def revoke_all(session: Session, *, member_id: int, now: datetime) -> int:
    """Every live session of a member (log out everywhere); how many there were."""
    return _revoke(session, col(ConsoleSession.member_id) == member_id, now)


def _revoke(session: Session, which: ColumnElement[bool], now: datetime) -> int:
    stmt = (
        update(ConsoleSession).where(which, col(ConsoleSession.revoked_at).is_(None)).values(revoked_at=now)
    )
    return rows_changed(session.execute(stmt.execution_options(synchronize_session=False)))
