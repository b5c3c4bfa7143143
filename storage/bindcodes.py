"""One-time binding codes: short enough to type on a phone, stored only as a hash, expiring, single use.

A member code proves "I am this roster member"; a chat code proves "this group chat belongs to that branch";
a console code is the secret of a one-time web-console login link (160 random bits, not meant to be typed).
Failed attempts are counted in the database, so throttling holds across processes: per identity for
every method, and for 姓名+手机后四位 also per roster name and across everyone (see ``PER_NAME`` and
``EVERYONE``; README "Security" states the numbers). A binding attempt first takes ``hold_guard``, so
its checks and counts follow those of other threads and processes instead of overlapping with them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import text
from sqlmodel import Session, col, select, update

from bot.core.errors import ZhibuError
from storage import conversation
from storage.conversation import ChatKey
from storage.db import rows_changed
from storage.models import BindCode, Conversation

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MEMBER_TTL = timedelta(hours=72)
CHAT_TTL = timedelta(minutes=30)
CONSOLE_TTL = timedelta(minutes=10)
CONSOLE_BYTES = 20  # 160 bits, as 40 hex digits (hex survives ``normalize``)
# a console login link's code, as it appears in the link ``…/login/CODE`` (handlers/console_login.py)
_LOGIN_CODE = re.compile(rf"(/login/)[0-9A-F]{{{2 * CONSOLE_BYTES}}}\b")
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
_FAILURES = "bind_failures"
_GUARD = "bind-guard"
_GUARD_LOCK = zlib.crc32(b"zhibu-bind-guard")  # PostgreSQL advisory lock key


class Purpose(StrEnum):
    MEMBER = "member"
    CHAT = "chat"
    CONSOLE = "console"


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
    """A fresh code (shown once in clear, stored hashed); earlier unused codes for the same target lapse."""
    if (purpose is Purpose.CHAT) == (member_id is not None):
        raise ValueError("a member or console code names a member, a chat code names an organization")
    _revoke_open(session, purpose=purpose, member_id=member_id, org_id=org_id, now=now)
    if purpose is Purpose.CONSOLE:
        code = secrets.token_hex(CONSOLE_BYTES).upper()
    else:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    lifetime = ttl or _TTL[purpose]
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


_TTL = {Purpose.MEMBER: MEMBER_TTL, Purpose.CHAT: CHAT_TTL, Purpose.CONSOLE: CONSOLE_TTL}


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


def check(session: Session, *, code: str, purpose: Purpose, now: datetime) -> BindCode:
    """The code's row if it could be used now (nothing changes); raises ``CodeRejected`` saying why not."""
    row = session.exec(select(BindCode).where(BindCode.code_hash == _hash(code))).first()
    if row is None:
        raise CodeRejected(CodeProblem.UNKNOWN)
    if row.purpose != purpose.value:
        raise CodeRejected(CodeProblem.WRONG_PURPOSE)
    if row.used_at is not None:
        raise CodeRejected(CodeProblem.USED)
    if row.expires_at <= now:
        raise CodeRejected(CodeProblem.EXPIRED)
    return row


def redeem(session: Session, *, code: str, purpose: Purpose, now: datetime) -> BindCode:
    """Use a code once; raises ``CodeRejected`` saying why it cannot be used."""
    row = check(session, code=code, purpose=purpose, now=now)
    claimed = rows_changed(
        session.execute(
            update(BindCode)
            .where(col(BindCode.id) == row.id, col(BindCode.used_at).is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:  # another process redeemed it between our read and our write
        raise CodeRejected(CodeProblem.USED)
    session.refresh(row)
    return row


def _identity(key: ChatKey) -> ChatKey:
    """Failures follow the person, whichever chat they try from."""
    return ChatKey(key.channel, key.account, "", key.sender_id)


def _name(name: str) -> ChatKey:
    """Failures against one roster name, whoever tries it (many identities cannot share out the guesses)."""
    return ChatKey(_GUARD, "", "", f"name:{name}")


_EVERYONE = ChatKey(_GUARD, "", "", "*")


@dataclass(frozen=True, slots=True)
class Limit:
    max_failures: int
    window: timedelta


# Guessing 姓名+手机后四位 (10,000 possible endings) is bounded three ways; a success never resets a count.
PER_IDENTITY = Limit(MAX_FAILURES, FAILURE_WINDOW)  # one chat identity, any method
PER_NAME = Limit(5, timedelta(hours=24))  # one roster name, from any number of identities
EVERYONE = Limit(30, timedelta(hours=1))  # all 姓名+手机 misses together: beyond this only codes work


def hold_guard(session: Session) -> None:
    """Take the binding lock until this transaction ends, before any count is read.

    Otherwise parallel guesses would each read "four misses" and each write five back, and go
    uncounted. PostgreSQL: a transaction-scoped advisory lock; SQLite: the database's write lock,
    which any write takes (here one to the overall counter's row, if it exists) and keeps until commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _GUARD_LOCK})
        return
    everyone = update(Conversation).where(
        col(Conversation.channel) == _EVERYONE.channel, col(Conversation.sender_id) == _EVERYONE.sender_id
    )
    session.execute(everyone.values(kind=Conversation.kind).execution_options(synchronize_session=False))


def throttled(session: Session, *, key: ChatKey, now: datetime) -> bool:
    return _exhausted(session, _identity(key), PER_IDENTITY, now)


def name_locked(session: Session, *, name: str, now: datetime) -> bool:
    return _exhausted(session, _name(name), PER_NAME, now)


def phone_path_paused(session: Session, *, now: datetime) -> bool:
    return _exhausted(session, _EVERYONE, EVERYONE, now)


def note_failure(session: Session, *, key: ChatKey, now: datetime) -> None:
    _count(session, _identity(key), PER_IDENTITY, now)


def note_phone_failure(session: Session, *, key: ChatKey, name: str, now: datetime) -> bool:
    """Count a 姓名+手机 miss everywhere it counts; True when this miss locked the name."""
    _count(session, _identity(key), PER_IDENTITY, now)
    _count(session, _EVERYONE, EVERYONE, now)
    return _count(session, _name(name), PER_NAME, now) == PER_NAME.max_failures


def _exhausted(session: Session, key: ChatKey, limit: Limit, now: datetime) -> bool:
    return len(_recent(session, key, limit, now)) >= limit.max_failures


def _count(session: Session, key: ChatKey, limit: Limit, now: datetime) -> int:
    times = [*_recent(session, key, limit, now), now.isoformat()]
    conversation.put(session, key=key, kind=_FAILURES, data={"times": times}, expires_at=now + limit.window)
    return len(times)


def _recent(session: Session, key: ChatKey, limit: Limit, now: datetime) -> list[str]:
    data = conversation.get(session, key=key, kind=_FAILURES, now=now) or {}
    return [t for t in data.get("times", []) if datetime.fromisoformat(t) > now - limit.window]


def hide_login_codes(text: str) -> str:
    """A copy kept after a message went out must not let whoever reads it log in as its recipient."""
    return _LOGIN_CODE.sub(r"\1…", text)
