"""A small demo district for schedule tests: one 党工委, two branches, a 党小组, bound chats and people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from storage.models import ChatBinding, Identity, Member, MemberStatus, Organization, OrgKind, Role


@dataclass
class World:
    district: Organization
    branch_a: Organization
    branch_b: Organization
    group_a1: Organization
    members: dict[str, Member] = field(default_factory=dict)

    def org_ids(self) -> list[int]:
        return [
            o.id for o in (self.district, self.branch_a, self.branch_b, self.group_a1) if o.id is not None
        ]


def _org(session: Session, name: str, kind: OrgKind, parent: Organization | None) -> Organization:
    org = Organization(name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(org)
    session.flush()
    return org


def add_member(
    session: Session,
    world: World,
    name: str,
    *,
    branch: Organization,
    joined: date,
    full: date | None = None,
    role: str = Role.MEMBER,
    group: Organization | None = None,
    status: str = MemberStatus.FULL,
    bind: bool = False,
) -> Member:
    member = Member(
        name=name,
        org_id=branch.id,  # type: ignore[arg-type]
        group_id=group.id if group else None,
        role=role,
        joined_on=joined,
        full_on=full,
        status=status,
    )
    member.sync_join_md()
    session.add(member)
    session.flush()
    if bind:
        session.add(
            Identity(channel="wecom", account="default", external_id=f"u-{name}", member_id=member.id)
        )  # type: ignore[arg-type]
        session.flush()
    world.members[name] = member
    return member


def bind_chat(session: Session, org: Organization, chat_id: str, *, channel: str = "wecom") -> None:
    session.add(
        ChatBinding(channel=channel, account="default", chat_id=chat_id, is_group=True, org_id=org.id)
    )  # type: ignore[arg-type]
    session.flush()


def build(session: Session) -> World:
    district = _org(session, "示范街道党工委", OrgKind.WORKING_COMMITTEE, None)
    branch_a = _org(session, "第一党支部", OrgKind.BRANCH, district)
    branch_b = _org(session, "第二党支部", OrgKind.BRANCH, district)
    group_a1 = _org(session, "第一党小组", OrgKind.GROUP, branch_a)
    world = World(district, branch_a, branch_b, group_a1)
    bind_chat(session, branch_a, "chat-a")
    bind_chat(session, branch_b, "chat-b")
    add_member(
        session,
        world,
        "王书记",
        branch=branch_a,
        joined=date(1990, 7, 1),
        full=date(1991, 7, 1),
        role=Role.SECRETARY,
        bind=True,
    )
    add_member(
        session,
        world,
        "李委员",
        branch=branch_a,
        joined=date(2005, 3, 15),
        full=date(2006, 3, 15),
        role=Role.ORGANIZATION,
        bind=True,
        group=group_a1,
    )
    add_member(
        session,
        world,
        "张党员",
        branch=branch_a,
        joined=date(2016, 12, 1),
        full=date(2017, 12, 1),
        group=group_a1,
        bind=True,
    )
    add_member(session, world, "赵党员", branch=branch_a, joined=date(2012, 2, 29), full=date(2013, 3, 1))
    add_member(
        session,
        world,
        "钱书记",
        branch=branch_b,
        joined=date(1975, 6, 20),
        full=date(1976, 6, 20),
        role=Role.SECRETARY,
        bind=True,
    )
    add_member(
        session,
        world,
        "孙预备",
        branch=branch_b,
        joined=date(2026, 1, 10),
        status=MemberStatus.PROBATIONARY,
        bind=True,
    )
    add_member(
        session, world, "吴预备", branch=branch_a, joined=date(2025, 3, 1), status=MemberStatus.PROBATIONARY
    )
    add_member(
        session,
        world,
        "周转出",
        branch=branch_b,
        joined=date(2000, 12, 1),
        full=date(2001, 12, 1),
        status=MemberStatus.TRANSFERRED_OUT,
        bind=True,
    )
    return world
