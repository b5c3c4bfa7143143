"""Who hears what: the chats of an organization and the chat identities of its members.

Schedules and handlers turn these into outbox targets. Transferred-out members
are never an audience. The caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from bot.core.messages import Target
from storage.models import ChatBinding, Identity, Member, MemberStatus, Organization, OrgKind, Role

COMMITTEE_ROLES: tuple[str, ...] = (
    Role.SECRETARY,
    Role.DEPUTY_SECRETARY,
    Role.ORGANIZATION,
    Role.PUBLICITY,
    Role.DISCIPLINE,
    Role.COMMITTEE,
)
# Who receives the branch's administrative nudges and digests (书记 and 组织委员 do the 组织生活 paperwork).
SECRETARY_ROLES: tuple[str, ...] = (Role.SECRETARY, Role.ORGANIZATION)

MAX_KEY = 200  # Delivery.dedupe_key length


def target_key(target: Target) -> str:
    return f"{target.channel}:{target.account}:{target.chat_id}"


def dedupe_key(*parts: object, target: Target) -> str:
    """``part:part:...:channel:account:chat``; hashed at the tail when a long chat id would overflow."""
    key = ":".join(str(p) for p in parts) + ":" + target_key(target)
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(target_key(target).encode()).hexdigest()[:32]
    return ":".join(str(p) for p in parts)[: MAX_KEY - 34] + ":#" + digest


def chat_bindings(session: Session, org_ids: Sequence[int]) -> list[ChatBinding]:
    """Bindings of these organizations, in chunks so thousands of branches stay under parameter limits."""
    found: list[ChatBinding] = []
    for start in range(0, len(org_ids), 500):
        chunk = list(org_ids[start : start + 500])
        found += session.exec(select(ChatBinding).where(col(ChatBinding.org_id).in_(chunk)))
    return sorted(found, key=lambda b: b.id or 0)


def chats_of(session: Session, org_ids: Sequence[int]) -> list[Target]:
    """Every chat bound to one of ``org_ids`` (group chats and robot webhooks)."""
    return [
        Target(channel=b.channel, account=b.account, chat_id=b.chat_id, is_group=b.is_group)
        for b in chat_bindings(session, org_ids)
    ]


def identities_of(session: Session, member_ids: Iterable[int]) -> dict[int, list[Target]]:
    """Private-chat targets per member; members who never bound are simply absent."""
    ids = sorted(set(member_ids))
    found: dict[int, list[Target]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.exec(
            select(Identity).where(col(Identity.member_id).in_(chunk)).order_by(col(Identity.id))
        )
        for ident in rows:
            target = Target(channel=ident.channel, account=ident.account, chat_id=ident.external_id)
            found.setdefault(ident.member_id, []).append(target)
    return found


def active_members(
    session: Session, *, org_id: int | None = None, group_id: int | None = None, roles: Sequence[str] = ()
) -> list[Member]:
    """Members of a branch (``org_id``) or a 党小组 (``group_id``), optionally only some roles."""
    query = select(Member).where(Member.status != MemberStatus.TRANSFERRED_OUT)
    if org_id is not None:
        query = query.where(Member.org_id == org_id)
    if group_id is not None:
        query = query.where(Member.group_id == group_id)
    if roles:
        query = query.where(col(Member.role).in_(roles))
    return list(session.exec(query.order_by(col(Member.id))))


def private_targets(session: Session, members: Sequence[Member]) -> list[Target]:
    by_member = identities_of(session, [m.id for m in members if m.id is not None])
    return [t for m in members if m.id is not None for t in by_member.get(m.id, [])]


def secretaries(session: Session, branch_id: int) -> list[Target]:
    """Private chats of the branch's 书记 and 组织委员."""
    return private_targets(session, active_members(session, org_id=branch_id, roles=SECRETARY_ROLES))


def all_branches(session: Session) -> list[Organization]:
    """Every 党支部 (and 网格党支部): where nudges and guides land."""
    kinds = [k for k in OrgKind if k.is_branch]
    return list(
        session.exec(
            select(Organization).where(col(Organization.kind).in_(kinds)).order_by(col(Organization.id))
        )
    )


def probationers_by_branch(session: Session) -> dict[int, list[Member]]:
    found: dict[int, list[Member]] = {}
    for m in session.exec(
        select(Member).where(Member.status == MemberStatus.PROBATIONARY).order_by(col(Member.id))
    ):
        found.setdefault(m.org_id, []).append(m)
    return found
