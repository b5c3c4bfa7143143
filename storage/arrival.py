"""What the router must know before answering messages, in as few queries as the database allows.

Was each message handled before (and with what reply)? Who sent it? Which
organization's chat is it in? Every webhook asks all three, in one statement:
on SQLite one for a whole batch of messages, on PostgreSQL one per message
(see ``_LOOK_ONE``). Three separate round trips were most of the database
cost of a plain question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    ScalarSelect,
    Select,
    String,
    Table,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
)
from sqlmodel import Session

from storage.inbound import Handled, decode_reply
from storage.models import ChatBinding, Identity, InboundLog

_SEEN = InboundLog.__table__  # type: ignore[attr-defined]
_IDENTITY = Identity.__table__  # type: ignore[attr-defined]
_BINDING = ChatBinding.__table__  # type: ignore[attr-defined]


_CHANNEL, _ACCOUNT = bindparam("channel", type_=String), bindparam("account", type_=String)


def _part(kind: str, table: Table, key: str, value: str, param: str, *, reply: bool = False) -> Select[Any]:
    """One branch of the batch lookup: the rows of ``table`` for the account whose ``key`` is in ``param``.

    ``key IN (…)`` under equal channel and account, not a row-value IN: SQLite searches the unique
    index for the former and scans the whole table for the latter.
    """
    c = table.c
    return select(
        literal_column(f"'{kind}'", String).label("kind"),
        c[key].label("key"),
        c[value].label("value"),
        (c.reply if reply else null()).label("reply"),
    ).where(c.channel == _CHANNEL, c.account == _ACCOUNT, c[key].in_(bindparam(param, expanding=True)))


def _scalar(table: Table, key: str, value: str, param: str) -> ScalarSelect[Any]:
    c = table.c
    return (
        select(c[value])
        .where(c.channel == _CHANNEL, c.account == _ACCOUNT, c[key] == bindparam(param))
        .scalar_subquery()
    )


# Built once: building an expression on every batch would cost more than running it.
# SQLite: one statement for the whole batch (an expanding IN list: one cached compilation serves any
# batch size). PostgreSQL: one statement per message, each an equality on a unique key, which its
# planner serves from the index whatever its statistics say; with IN lists it chose sequential scans
# of the inbound log while its statistics still described the log as nearly empty (bench/README.md).
_LOOK_BATCH = union_all(
    _part("seen", _SEEN, "key", "id", "messages", reply=True),
    _part("member", _IDENTITY, "external_id", "member_id", "senders"),
    _part("org", _BINDING, "chat_id", "org_id", "chats"),
)
_LOOK_ONE = select(
    _scalar(_SEEN, "key", "id", "message"),
    _scalar(_SEEN, "key", "reply", "message"),
    _scalar(_IDENTITY, "external_id", "member_id", "sender"),
    _scalar(_BINDING, "chat_id", "org_id", "chat"),
)


@dataclass(frozen=True, slots=True)
class Asked:
    """One message as the router received it: enough to find its log row, sender and chat."""

    channel: str
    account: str
    key: str  # the platform's message key; "" for a message without one (never deduplicated)
    sender_id: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Arrival:
    handled: Handled | None  # None: a new message (or one without a platform id)
    member_id: int | None  # None: the sender has not bound a member
    chat_org_id: int | None  # None: the chat is not bound to an organization


def look(session: Session, asked: Sequence[Asked]) -> list[Arrival]:
    """Each message's arrival, in order."""
    arrivals: list[Arrival] = []
    while len(arrivals) < len(asked):
        arrivals += look_ahead(session, asked[len(arrivals) :])
    return arrivals


def look_ahead(session: Session, asked: Sequence[Asked]) -> list[Arrival]:
    """The arrivals of the first messages of ``asked``, in order: as many as one statement answers (all
    of them on SQLite, the first on PostgreSQL). A caller that may have to look again after a write
    looks up no message twice."""
    if not asked:
        return []
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return _look_batch(connection, asked)
    return [_look_one(connection, asked[0])]


def _look_one(connection: Connection, a: Asked) -> Arrival:
    params = {
        "channel": a.channel,
        "account": a.account,
        "message": a.key,
        "sender": a.sender_id,
        "chat": a.chat_id,
    }
    seen_id, reply, member_id, org_id = connection.execute(_LOOK_ONE, params).one()
    return Arrival(Handled(decode_reply(reply)) if seen_id is not None else None, member_id, org_id)


def _look_batch(connection: Connection, asked: Sequence[Asked]) -> list[Arrival]:
    found: dict[tuple[str, str, str, str], tuple[int | None, str | None]] = {}
    for channel, account in dict.fromkeys((a.channel, a.account) for a in asked):  # nearly always one
        mine = [a for a in asked if (a.channel, a.account) == (channel, account)]
        params = {
            "channel": channel,
            "account": account,
            "messages": list({a.key for a in mine if a.key}),
            "senders": list({a.sender_id for a in mine}),
            "chats": list({a.chat_id for a in mine}),
        }
        for kind, key, value, reply in connection.execute(_LOOK_BATCH, params):
            found[(channel, account, kind, key)] = (value, reply)
    arrivals = []
    for a in asked:
        seen = found.get((a.channel, a.account, "seen", a.key)) if a.key else None
        member = found.get((a.channel, a.account, "member", a.sender_id))
        org = found.get((a.channel, a.account, "org", a.chat_id))
        arrivals.append(
            Arrival(
                Handled(decode_reply(seen[1])) if seen is not None else None,
                member[0] if member is not None else None,
                org[0] if org is not None else None,
            )
        )
    return arrivals
