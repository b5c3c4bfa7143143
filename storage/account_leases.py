"""Which sender may send through each platform account right now: one at a time, across processes.

A platform's rate limit is per account (20 messages a minute per robot, ~30 a second per Telegram
bot), but every `zhibu serve` runs a sender with its own token buckets, so three processes would
send three times the limit. Each sender therefore holds a short lease per (channel, account) before
it claims that account's deliveries; a sender that dies lets its leases run out and another takes
them. Leases live in the chat-state table (one row per account); holding is decided under a row
lock (PostgreSQL) or SQLite's single writer, so two senders never both hold an account. The caller
owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Conversation

Account = tuple[str, str]  # (channel, account)
KIND = "account-lease"
_CHANNEL, _ACCOUNT = "outbox", "lease"


def _chat(account: Account) -> str:
    return f"{account[0]}:{account[1]}"[:128]


def hold(
    session: Session, *, accounts: Iterable[Account], worker: str, now: datetime, ttl: timedelta
) -> set[Account]:
    """Take or renew the lease of each account that is free, expired or already ``worker``'s; those held."""
    wanted = {_chat(account): account for account in accounts}
    if not wanted:
        return set()
    rows = session.exec(
        select(Conversation)
        .where(
            Conversation.channel == _CHANNEL,
            Conversation.account == _ACCOUNT,
            Conversation.kind == KIND,
            col(Conversation.chat_id).in_(list(wanted)),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    held: set[Account] = set()
    for row in rows:
        if row.data.get("holder") == worker or row.expires_at <= now:
            row.data, row.expires_at = {"holder": worker}, now + ttl
            session.add(row)
            held.add(wanted[row.chat_id])
    for chat in wanted.keys() - {row.chat_id for row in rows}:
        lease = Conversation(
            channel=_CHANNEL,
            account=_ACCOUNT,
            chat_id=chat,
            sender_id="",
            kind=KIND,
            data={"holder": worker},
            expires_at=now + ttl,
        )
        try:
            with session.begin_nested():  # another sender may create the same lease at the same moment
                session.add(lease)
        except IntegrityError:
            continue
        held.add(wanted[chat])
    session.flush()
    return held


def release(session: Session, *, worker: str) -> None:
    """Give up every lease ``worker`` holds (a sender that stops politely)."""
    rows = session.exec(
        select(Conversation).where(
            Conversation.channel == _CHANNEL, Conversation.account == _ACCOUNT, Conversation.kind == KIND
        )
    ).all()
    for row in rows:
        if row.data.get("holder") == worker:
            session.delete(row)
    session.flush()
