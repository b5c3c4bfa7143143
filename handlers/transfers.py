"""组织关系转出 and 转入 (docs/domain-rules.md §A7): what the roster records when a member leaves or arrives.

A member transferred out keeps every record (attendance, points, chat bindings) and the branch they left,
with the status 转出 that the rest of zhibu already honours: no reminders or greetings (storage/audience.py),
only their own data in the chat (handlers/commands.py), no console. Messages still queued for their private
chats are withdrawn at once. 转入 finds the person as the roster importer does (the phone, else name and
入党日期): someone transferred out before comes back as a plain 党员 of the receiving branch with their
history; a person new to zhibu is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from handlers import texts
from storage import audience, outbox
from storage.members import by_name, by_phone, status_for
from storage.models import Member, MemberStatus, Organization, Role


@dataclass(frozen=True, slots=True)
class Arrival:
    """A member arriving with a 组织关系介绍信: what the receiving branch types in."""

    name: str
    joined_on: date  # 入党日期
    full_on: date | None = None  # 转正日期; none while 预备党员
    gender: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ArrivalPlan:
    arrival: Arrival
    branch: Organization
    returning: Member | None  # transferred out earlier: comes back with their history
    came_from: str  # the branch they left, when returning
    refusal: str  # why it cannot be done; "" when it can


def plan_arrival(session: Session, arrival: Arrival, branch: Organization) -> ArrivalPlan:
    """Who the arrival is in the roster, and whether 转入 may go ahead."""
    owner = by_phone(session, arrival.phone) if arrival.phone else None
    same = [m for m in by_name(session, arrival.name) if m.joined_on == arrival.joined_on]
    person = owner or (same[-1] if same else None)
    refusal, came_from = "", ""
    if person is not None:
        org = session.get(Organization, person.org_id)
        came_from = org.name if org else ""
        if owner is not None and (owner.name, owner.joined_on) != (arrival.name, arrival.joined_on):
            refusal = texts.TRANSFER_PHONE_TAKEN.format(name=owner.name, joined=owner.joined_on)
        elif person.status != MemberStatus.TRANSFERRED_OUT:
            refusal = texts.TRANSFER_STILL_THERE.format(name=person.name, org=came_from)
    return ArrivalPlan(arrival, branch, person, came_from, refusal)


def transfer_in(session: Session, plan: ArrivalPlan, *, now: datetime) -> Member:
    """Put the arrival on the branch's roster (a plan without a refusal); the member."""
    assert not plan.refusal and plan.branch.id is not None
    arrival = plan.arrival
    member = plan.returning or Member(name=arrival.name, org_id=plan.branch.id, joined_on=arrival.joined_on)
    member.org_id, member.group_id, member.role = plan.branch.id, None, Role.MEMBER  # no old office
    member.full_on = arrival.full_on or member.full_on
    member.status = status_for(member.full_on)
    member.gender = arrival.gender or member.gender
    member.phone = arrival.phone or member.phone
    member.updated_at = now
    member.sync_join_md()
    session.add(member)
    session.flush()
    return member


def transfer_out(session: Session, member: Member, *, now: datetime) -> int:
    """Mark the member 转出; how many messages queued for their private chats were withdrawn."""
    member.status = MemberStatus.TRANSFERRED_OUT
    member.updated_at = now
    session.add(member)
    session.flush()
    return outbox.cancel(
        session, private_to=audience.private_targets(session, [member]), reason="member transferred out"
    )
