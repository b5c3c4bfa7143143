"""One-time binding codes: short enough to type on a phone, stored only as a hash, expiring, single use.

A member code proves "I am this roster member"; a chat code proves "this group chat belongs to that branch".
Failed attempts are counted per identity in the database, so throttling holds across processes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select, update

from bot.core.errors import ZhibuError
from storage import conversation
from storage.conversation import ChatKey
from storage.models import BindCode

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MEMBER_TTL = timedelta(hours=72)
CHAT_TTL = timedelta(minutes=30)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
_FAILURES = "bind_failures"


class Purpose(StrEnum):
    MEMBER = "member"
    CHAT = "chat"


class CodeProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    WRONG_PURPOSE = "wrong_purpose"


class CodeRejected(ZhibuError):
    def __init__(self, problem: CodeProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def normalize(code: str) -> str:
    """Upper case without spaces or dashes, so "abcd-efgh" and "ABCD EFGH" are the same code."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def display(code: str) -> str:
    """ABCD-EFGH: easier to read back than eight letters in a row."""
    return f"{code[:4]}-{code[4:]}"


def issue(
    session: Session,
    *,
    purpose: Purpose,
    now: datetime,
    member_id: int | None = None,
    org_id: int | None = None,
    issued_by: int | None = None,
    ttl: timedelta | None = None,
) -> tuple[str, BindCode]:
    """A fresh code (returned in clear once, never stored so); earlier unused codes for the same target lapse."""
    if (purpose is Purpose.MEMBER) != (member_id is not None):
        raise ValueError("a member code names a member, a chat code names an organization")
    _revoke_open(session, purpose=purpose, member_id=member_id, org_id=org_id, now=now)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    lifetime = ttl or (MEMBER_TTL if purpose is Purpose.MEMBER else CHAT_TTL)
    row = BindCode(
        code_hash=_hash(code),
        purpose=purpose.value,
        member_id=member_id,
        org_id=org_id,
        issued_by=issued_by,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return code, row


def _revoke_open(
    session: Session, *, purpose: Purpose, member_id: int | None, org_id: int | None, now: datetime
) -> None:
    query = select(BindCode).where(BindCode.purpose == purpose.value, col(BindCode.used_at).is_(None))
    if member_id is not None:
        query = query.where(BindCode.member_id == member_id)
    else:
        query = query.where(BindCode.org_id == org_id)
    for old in session.exec(query):
        if old.expires_at > now:
            old.expires_at = now
            session.add(old)


def redeem(session: Session, *, code: str, purpose: Purpose, now: datetime) -> BindCode:
    """Use a code once; raises ``CodeRejected`` saying why it cannot be used."""
    row = session.exec(select(BindCode).where(BindCode.code_hash == _hash(code))).first()
    if row is None:
        raise CodeRejected(CodeProblem.UNKNOWN)
    if row.purpose != purpose.value:
        raise CodeRejected(CodeProblem.WRONG_PURPOSE)
    if row.used_at is not None:
        raise CodeRejected(CodeProblem.USED)
    if row.expires_at <= now:
        raise CodeRejected(CodeProblem.EXPIRED)
    claimed = session.execute(
        update(BindCode)
        .where(col(BindCode.id) == row.id, col(BindCode.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:  # another process redeemed it between our read and our write
        raise CodeRejected(CodeProblem.USED)
    session.refresh(row)
    return row


def _identity(key: ChatKey) -> ChatKey:
    """Failures follow the person, whichever chat they try from."""
    return ChatKey(key.channel, key.account, "", key.sender_id)


def throttled(session: Session, *, key: ChatKey, now: datetime) -> bool:
    data = conversation.get(session, key=_identity(key), kind=_FAILURES, now=now) or {}
    return len(_recent(data, now)) >= MAX_FAILURES


def note_failure(session: Session, *, key: ChatKey, now: datetime) -> None:
    data = conversation.get(session, key=_identity(key), kind=_FAILURES, now=now) or {}
    times = [*_recent(data, now), now.isoformat()]
    conversation.put(
        session, key=_identity(key), kind=_FAILURES, data={"times": times}, expires_at=now + FAILURE_WINDOW
    )


def clear_failures(session: Session, *, key: ChatKey) -> None:
    conversation.drop(session, key=_identity(key), kind=_FAILURES)


def _recent(data: dict[str, list[str]], now: datetime) -> list[str]:
    return [t for t in data.get("times", []) if datetime.fromisoformat(t) > now - FAILURE_WINDOW]
