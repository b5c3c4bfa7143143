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

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from bot.core.messages import Reply
from storage.models import InboundLog


@dataclass(frozen=True, slots=True)
class Handled:
    """A message seen before: its passive reply, or None when the answer went out through the outbox."""

    reply: Reply | None


def lookup(session: Session, *, channel: str, account: str, key: str) -> Handled | None:
    stmt = select(InboundLog.reply).where(
        InboundLog.channel == channel, InboundLog.account == account, InboundLog.key == key
    )
    row = session.exec(stmt).first()
    if row is None:
        return None
    return Handled(_decode(row))


def claim(
    session: Session, *, channel: str, account: str, key: str, reply: Reply | None, received_at: datetime
) -> bool:
    """Record the message as handled with its reply; False when another transaction got there first."""
    values = {
        "channel": channel,
        "account": account,
        "key": key,
        "received_at": received_at,
        "reply": _encode(reply),
    }
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(InboundLog).values(**values).on_conflict_do_nothing(index_elements=["channel", "account", "key"])
    return bool(session.execute(stmt).rowcount)


def _encode(reply: Reply | None) -> str | None:
    if reply is None:
        return None
    return json.dumps({"text": reply.text, "markdown": reply.markdown}, ensure_ascii=False)


def _decode(raw: str | None) -> Reply | None:
    if raw is None:
        return None
    data = json.loads(raw)
    return Reply(text=data["text"], markdown=data.get("markdown"))
