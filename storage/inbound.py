"""The inbound log: which platform messages were handled, and the passive reply each one got.

A platform retry of a handled message must get the same answer and no second
run of its handler, even when another process receives the retry. The claim is
a unique insert made in the same transaction as the handler's own writes, so
exactly one transaction wins; the loser rolls back and reads the winner's reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from bot.core.messages import Reply
from storage.bindcodes import hide_login_codes
from storage.models import Delivery, InboundLog

# Built once: this runs on every webhook, where building the expression costs more than the query.
_TABLE = InboundLog.__table__  # type: ignore[attr-defined]
SEEN = select(_TABLE.c.id, _TABLE.c.reply).where(
    _TABLE.c.channel == bindparam("channel"),
    _TABLE.c.account == bindparam("account"),
    _TABLE.c.key == bindparam("key"),
)
"""The log row of one message, by the bind parameters ``channel``, ``account`` and ``key``."""
_UNIQUE = ["channel", "account", "key"]
_IDS = (_TABLE.c.channel, _TABLE.c.account, _TABLE.c.key)
_CLAIM = {
    "postgresql": pg_insert(_TABLE).on_conflict_do_nothing(index_elements=_UNIQUE).returning(*_IDS),
    "sqlite": sqlite_insert(_TABLE).on_conflict_do_nothing(index_elements=_UNIQUE).returning(*_IDS),
}

# Statements that write nothing but wait, as a claim and its outbox rows would, for a lock held elsewhere.
_WAIT_FOR_WRITES = {
    # one writer per SQLite database: any write statement takes its lock
    "sqlite": text(f"DELETE FROM {_TABLE.name} WHERE 0"),
    # the lock INSERT takes; it waits for another transaction's LOCK TABLE (EXCLUSIVE and above)
    "postgresql": text(f"LOCK TABLE {_TABLE.name}, {Delivery.__tablename__} IN ROW EXCLUSIVE MODE"),
}

MessageKey = tuple[str, str, str]
"""(channel, account, platform message key): what makes two callbacks the same message."""


@dataclass(frozen=True, slots=True)
class Handled:
    """A message seen before: its passive reply, or None when the answer went out through the outbox."""

    reply: Reply | None


def lookup(session: Session, *, channel: str, account: str, key: str) -> Handled | None:
    row = session.connection().execute(SEEN, {"channel": channel, "account": account, "key": key}).first()
    if row is None:
        return None
    return Handled(decode_reply(row.reply))


def wait_for_writes(session: Session) -> None:
    """Wait until this transaction can claim messages and queue replies without waiting on anyone else.

    Whether a reply goes back passively or through the outbox must be decided only after this: a
    passive reply whose claim then waited on a lock (a backup, a migration) would be committed after
    the platform stopped listening, and nobody would ever send it.
    """
    connection = session.connection()
    connection.execute(_WAIT_FOR_WRITES[connection.dialect.name])


def claim(
    session: Session, *, channel: str, account: str, key: str, reply: Reply | None, received_at: datetime
) -> bool:
    """Record the message as handled with its reply; False when another transaction got there first."""
    return bool(claim_many(session, {(channel, account, key): reply}, received_at=received_at))


def claim_many(
    session: Session, replies: dict[MessageKey, Reply | None], *, received_at: datetime
) -> set[MessageKey]:
    """Record several messages as handled in one statement; the keys this transaction won.

    RETURNING, not rowcount: with psycopg rowcount is -1 here, so a lost race looked won.
    """
    if not replies:
        return set()
    rows = [
        {"channel": c, "account": a, "key": k, "received_at": received_at, "reply": _encode(reply)}
        for (c, a, k), reply in replies.items()
    ]
    connection = session.connection()
    return {(row[0], row[1], row[2]) for row in connection.execute(_CLAIM[connection.dialect.name], rows)}


@dataclass(frozen=True, slots=True)
class SignatureUse:
    """A body arriving under a signed (timestamp, nonce) that does not cover it (公众号 plaintext mode)."""

    channel: str
    account: str
    timestamp: str
    nonce: str
    body_digest: str


def use_signatures(session: Session, uses: list[SignatureUse], *, received_at: datetime) -> list[bool]:
    """For each use, whether its body may use its (timestamp, nonce): first use, or the same body again
    (a platform retry). One statement, two when some were seen before.

    For callbacks whose signature does not cover the body, one captured query string would otherwise
    carry any body for the whole timestamp window. The entry lives in the inbound log under
    ``sig:TIMESTAMP:NONCE`` with the body's digest in place of a reply, so every process sees it and
    housekeeping expires it with the rest. Two uses of one signature in ``uses`` count in order.
    """
    if not uses:
        return []
    keys: list[MessageKey] = [(u.channel, u.account, f"sig:{u.timestamp}:{u.nonce}") for u in uses]
    rows = [
        {"channel": c, "account": a, "key": k, "received_at": received_at, "reply": u.body_digest}
        for (c, a, k), u in zip(keys, uses, strict=True)
    ]
    connection = session.connection()
    won = {tuple(row) for row in connection.execute(_CLAIM[connection.dialect.name], rows)}
    first: dict[MessageKey, str | None] = {}  # signature → the digest it is bound to
    lost = [key for key in keys if key not in won]
    for channel, account in {(c, a) for c, a, _ in lost}:
        # key IN (…) under equal channel and account searches the unique index; SQLite scans the
        # whole log for a row-value IN
        query = select(_TABLE.c.key, _TABLE.c.reply).where(
            _TABLE.c.channel == channel,
            _TABLE.c.account == account,
            _TABLE.c.key.in_([k for c, a, k in lost if (c, a) == (channel, account)]),
        )
        first |= {(channel, account, k): reply for k, reply in connection.execute(query)}
    fresh = []
    for key, use in zip(keys, uses, strict=True):
        bound = first.setdefault(key, use.body_digest)  # this batch's first use of a signature it won
        fresh.append(bound == use.body_digest)
    return fresh


def _encode(reply: Reply | None) -> str | None:
    if reply is None:
        return None
    # a retry is answered from this copy: it says a login link was sent, without the link's code
    text, markdown = hide_login_codes(reply.text), reply.markdown and hide_login_codes(reply.markdown)
    return json.dumps({"text": text, "markdown": markdown}, ensure_ascii=False)


def decode_reply(raw: str | None) -> Reply | None:
    if raw is None:
        return None
    data = json.loads(raw)
    return Reply(text=data["text"], markdown=data.get("markdown"))


def forget_before(session: Session, *, before: datetime) -> int:
    """Drop entries received before ``before``: platforms stop retrying long before, and Telegram's
    update ids may start again at a random number after a quiet week. How many were dropped."""
    result = session.connection().execute(_TABLE.delete().where(_TABLE.c.received_at < before))
    return int(result.rowcount or 0)
