"""Which organization a group robot speaks for: a ChatBinding whose channel is the robot's kind.

A robot is configured by kind and name (``[robot.NAME]``, ``[dingtalk_robot.NAME]`` …) and posts
into the one group it was added to, so the binding's account and chat id are both that name. The
caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import ChatBinding, Organization


def bind_robot(session: Session, *, channel: str, name: str, org_id: int, now: datetime) -> ChatBinding:
    """Bind (or re-bind) a robot to an organization; broadcasts and reminders then reach its group."""
    binding = session.exec(
        select(ChatBinding).where(
            ChatBinding.channel == channel, ChatBinding.account == name, ChatBinding.chat_id == name
        )
    ).first() or ChatBinding(channel=channel, account=name, chat_id=name, org_id=org_id)
    binding.org_id, binding.is_group, binding.bound_at = org_id, True, now
    session.add(binding)
    session.flush()
    return binding


def robot_bindings(session: Session, channels: Collection[str]) -> list[tuple[str, str, Organization]]:
    """Every bound robot of the given kinds with its organization, as (kind, name, organization)."""
    rows = session.exec(
        select(ChatBinding.channel, ChatBinding.account, Organization)
        .join(Organization, col(Organization.id) == ChatBinding.org_id)
        .where(col(ChatBinding.channel).in_(list(channels)))
        .order_by(col(ChatBinding.channel), col(ChatBinding.account))
    )
    return [(channel, name, org) for channel, name, org in rows]
