"""What the router must know before answering a message, in one query.

Was this message handled before (and with what reply)? Who sent it? Which
organization's chat is it in? Every webhook asks all three; one round trip
instead of three is most of the database cost of a plain question, and more so
on PostgreSQL, where each statement crosses the network.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, bindparam, select
from sqlmodel import Session

from storage.inbound import SEEN, Handled, decode_reply
from storage.models import ChatBinding, Identity

_IDENTITY = Identity.__table__  # type: ignore[attr-defined]
_BINDING = ChatBinding.__table__  # type: ignore[attr-defined]
_CHANNEL, _ACCOUNT = bindparam("channel", type_=String), bindparam("account", type_=String)
# Built once: on every webhook, building the expression would cost more than running it.
_LOOK = select(
    SEEN.with_only_columns(SEEN.selected_columns.id).scalar_subquery(),
    SEEN.with_only_columns(SEEN.selected_columns.reply).scalar_subquery(),
    select(_IDENTITY.c.member_id)
    .where(
        _IDENTITY.c.channel == _CHANNEL,
        _IDENTITY.c.account == _ACCOUNT,
        _IDENTITY.c.external_id == bindparam("sender"),
    )
    .scalar_subquery(),
    select(_BINDING.c.org_id)
    .where(
        _BINDING.c.channel == _CHANNEL,
        _BINDING.c.account == _ACCOUNT,
        _BINDING.c.chat_id == bindparam("chat"),
    )
    .scalar_subquery(),
)


@dataclass(frozen=True, slots=True)
class Arrival:
    handled: Handled | None  # None: a new message (or one without a platform id)
    member_id: int | None  # None: the sender has not bound a member
    chat_org_id: int | None  # None: the chat is not bound to an organization


def look(session: Session, *, channel: str, account: str, key: str, sender_id: str, chat_id: str) -> Arrival:
    params = {"channel": channel, "account": account, "key": key, "sender": sender_id, "chat": chat_id}
    seen_id, reply, member_id, org_id = session.connection().execute(_LOOK, params).one()
    return Arrival(Handled(decode_reply(reply)) if seen_id is not None else None, member_id, org_id)
