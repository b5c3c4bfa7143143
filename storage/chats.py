"""Bound group chats: which organization each speaks for, and moving one that changed its id.

Telegram gives a group a new id when it becomes a supergroup: the binding and the
messages still waiting for it move to the new id. The caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.db import rows_changed
from storage.models import ChatBinding, Delivery, DeliveryStatus, Organization


def bound_groups(session: Session, *, channel: str, account: str) -> list[tuple[str, Organization]]:
    """The group chats bound on one account, each with the organization it speaks for, oldest first."""
    query = (
        select(ChatBinding.chat_id, Organization)
        .join(Organization, col(Organization.id) == ChatBinding.org_id)
        .where(ChatBinding.channel == channel, ChatBinding.account == account, col(ChatBinding.is_group))
        .order_by(col(ChatBinding.id))
    )
    return [(chat_id, org) for chat_id, org in session.exec(query)]


def move_chat(session: Session, *, channel: str, account: str, old_id: str, new_id: str) -> int:
    """Point bindings and pending deliveries of ``old_id`` at ``new_id``; how many bindings moved."""
    same_chat = (
        col(ChatBinding.channel) == channel,
        col(ChatBinding.account) == account,
        col(ChatBinding.chat_id) == old_id,
    )
    moved = rows_changed(session.execute(update(ChatBinding).where(*same_chat).values(chat_id=new_id)))
    session.execute(
        update(Delivery)
        .where(
            col(Delivery.channel) == channel,
            col(Delivery.account) == account,
            col(Delivery.chat_id) == old_id,
            col(Delivery.status) == DeliveryStatus.PENDING,
        )
        .values(chat_id=new_id)
    )
    return int(moved or 0)
