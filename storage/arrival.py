"""What the router must know before answering messages, in one query for a whole batch.

Was each message handled before (and with what reply)? Who sent it? Which
organization's chat is it in? Every webhook asks all three; one round trip for
a batch of messages, instead of one (or three) per message, is most of the
database cost of a plain question, and more so on PostgreSQL, where each
statement crosses the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, Table, bindparam, literal_column, null, select, union_all
from sqlmodel import Session

from storage.inbound import Handled, decode_reply
from storage.models import ChatBinding, Identity, InboundLog

_SEEN = InboundLog.__table__  # type: ignore[attr-defined]
_IDENTITY = Identity.__table__  # type: ignore[attr-defined]
_BINDING = ChatBinding.__table__  # type: ignore[attr-defined]


_CHANNEL, _ACCOUNT = bindparam("channel", type_=String), bindparam("account", type_=String)


def _part(kind: str, table: Table, key: str, value: str, param: str, *, reply: bool = False) -> Select[Any]:
    """One branch of the lookup: the rows of ``table`` for the account whose ``key`` is in ``param``.

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


# Built once (expanding IN lists, so one cached compilation serves any batch size): building the
# expression on every batch would cost more than running it.
_LOOK = union_all(
    _part("seen", _SEEN, "key", "id", "messages", reply=True),
    _part("member", _IDENTITY, "external_id", "member_id", "senders"),
    _part("org", _BINDING, "chat_id", "org_id", "chats"),
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
    """Each message's arrival, in order: one statement per account in the batch (nearly always one)."""
    found: dict[tuple[str, str, str, str], tuple[int | None, str | None]] = {}
    for channel, account in dict.fromkeys((a.channel, a.account) for a in asked):
        mine = [a for a in asked if (a.channel, a.account) == (channel, account)]
        params = {
            "channel": channel,
            "account": account,
            "messages": list({a.key for a in mine if a.key}),
            "senders": list({a.sender_id for a in mine}),
            "chats": list({a.chat_id for a in mine}),
        }
        for kind, key, value, reply in session.connection().execute(_LOOK, params):
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
