"""Which organization a WeCom group robot speaks for: a ChatBinding with channel "robot".

A robot is configured by name (``[robot.NAME]``) and posts into the one group it
was added to, so the binding's account and chat id are both that name. The
caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import ChatBinding, Organization

CHANNEL = "robot"


def bind_robot(session: Session, *, name: str, org_id: int, now: datetime) -> ChatBinding:
    """Bind (or re-bind) robot ``name`` to an organization; broadcasts and reminders then reach its group."""
    binding = session.exec(
        select(ChatBinding).where(
            ChatBinding.channel == CHANNEL, ChatBinding.account == name, ChatBinding.chat_id == name
        )
    ).first() or ChatBinding(channel=CHANNEL, account=name, chat_id=name, org_id=org_id)
    binding.org_id, binding.is_group, binding.bound_at = org_id, True, now
    session.add(binding)
    session.flush()
    return binding


def robot_bindings(session: Session) -> list[tuple[str, Organization]]:
    """Every bound robot with its organization, by robot name."""
    rows = session.exec(
        select(ChatBinding.account, Organization)
        .join(Organization, col(Organization.id) == ChatBinding.org_id)
        .where(ChatBinding.channel == CHANNEL)
        .order_by(col(ChatBinding.account))
    )
    return [(name, org) for name, org in rows]
