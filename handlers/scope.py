"""The organization a message acts on, and whether its sender may manage it."""

from __future__ import annotations

from sqlmodel import Session

from handlers.context import HandlerContext
from handlers.permissions import Actor, manages
from storage.audit import record
from storage.conversation import ChatKey
from storage.models import Member, Organization, OrgKind
from storage.orgs import ancestors, branch_of, descendants


def actor_of(session: Session, member: Member | None) -> Actor | None:
    if member is None or member.id is None:
        return None
    home = session.get(Organization, member.org_id)
    home_is_branch = home is not None and (OrgKind(home.kind).is_branch or OrgKind(home.kind).is_group)
    return Actor(member.id, member.role, member.status, member.org_id, home_is_branch)


def lineage(session: Session, org: Organization) -> list[int]:
    return [o.id for o in [org, *ancestors(session, org)] if o.id is not None]


def subtree(session: Session, org: Organization) -> list[int]:
    """The organization and everything below it, as ids."""
    assert org.id is not None
    return [org.id] + [o.id for o in descendants(session, org.id) if o.id is not None]


def home_org(ctx: HandlerContext) -> Organization | None:
    """The asker's own branch (a 党小组 member's branch, not the group)."""
    if ctx.asker is None:
        return None
    org = ctx.session.get(Organization, ctx.asker.org_id)
    return branch_of(ctx.session, org) if org else None


def managed_org(ctx: HandlerContext) -> Organization | None:
    """The organization the asker may act for here: this group's branch, else their own; None if none."""
    actor = actor_of(ctx.session, ctx.asker)
    if actor is None:
        return None
    candidates = [ctx.chat_org, ctx.session.get(Organization, actor.home_org_id)]
    for org in candidates:
        if org is not None and manages(actor, lineage(ctx.session, org)):
            return org
    return None


def may_manage(ctx: HandlerContext, org: Organization) -> bool:
    return manages(actor_of(ctx.session, ctx.asker), lineage(ctx.session, org))


def audit(ctx: HandlerContext, action: str, org: Organization | None, detail: str = "") -> None:
    """Write the privileged action to the audit log: who, what, when, from which chat."""
    record(
        ctx.session,
        action=action,
        at=ctx.now,
        member_id=ctx.asker.id if ctx.asker else None,
        org_id=org.id if org else None,
        channel=ctx.inbound.channel,
        chat_id=ctx.inbound.chat_id,
        detail=detail,
    )


def chat_key(ctx: HandlerContext) -> ChatKey:
    """Whose short-lived state a message touches: this sender in this chat."""
    inbound = ctx.inbound
    return ChatKey(inbound.channel, inbound.account, inbound.chat_id, inbound.sender_id)
