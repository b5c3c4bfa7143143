"""Which outbox senders are running: each stamps a short-lived row, renewed while its loop runs.

The stamp lives in the generic chat-state table (one row per sender, keyed by its worker
name), so `zhibu broadcast --wait` can tell "slow" from "nobody is sending". A sender that
stops drops its row; one that dies leaves a row that expires after ``ttl``, and housekeeping
removes it later. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from storage import conversation
from storage.conversation import ChatKey
from storage.models import Conversation

KIND = "heartbeat"
_CHANNEL, _ACCOUNT = "outbox", "sender"


def _key(worker: str) -> ChatKey:
    return ChatKey(channel=_CHANNEL, account=_ACCOUNT, chat_id="", sender_id=worker[:128])


def beat(session: Session, *, worker: str, now: datetime, ttl: timedelta) -> None:
    """``worker`` is alive now and will beat again within ``ttl``."""
    conversation.put(session, key=_key(worker), kind=KIND, data={"at": now.isoformat()}, expires_at=now + ttl)


def stopped(session: Session, *, worker: str) -> None:
    conversation.drop(session, key=_key(worker), kind=KIND)


def alive(session: Session, *, now: datetime) -> int:
    """How many senders have beaten within their ``ttl``."""
    query = select(func.count()).where(
        col(Conversation.channel) == _CHANNEL,
        col(Conversation.account) == _ACCOUNT,
        col(Conversation.kind) == KIND,
        col(Conversation.expires_at) > now,
    )
    return int(session.exec(query).one())
