"""What a web-console user may see: the chat's permission rules (handlers/permissions.py) applied to pages.

A branch's 书记 / 副书记 / 组织委员 manage their branch; the committee of a higher organization manages
every branch below it; everyone else sees only their own page. ``manages`` says the same per organization
that ``branches`` lists at once: a branch manager's home is the branch, an upper manager's home is an
ancestor of every branch below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from handlers.permissions import can_manage_anything
from handlers.scope import actor_of
from handlers.when import cn_number
from storage.attendance import of_member
from storage.meetings import upcoming
from storage.models import Attendance, AttendanceStatus, Meeting, Member, MemberStatus, Organization, OrgKind
from storage.orgs import descendants
from storage.rules import next_anniversary, party_standing, probation_end, whole_years

_NUMBER = re.compile(r"[0-9０-９]+|[零〇一二两三四五六七八九十]+")


def natural_key(name: str) -> list[tuple[int, int, str]]:
    """Sorts 第2党支部 before 第10党支部 and 第三网格 before 第十网格, as people number them."""
    key: list[tuple[int, int, str]] = []
    at = 0
    for match in _NUMBER.finditer(name):
        try:
            number = cn_number(match.group())
        except ValueError:  # 三四十: not one number, compared as written
            continue
        key += [(1, 0, name[at : match.start()]), (0, number, "")]
        at = match.end()
    return [*key, (1, 0, name[at:])]


@dataclass(frozen=True, slots=True)
class Scope:
    member: Member
    home: Organization
    branches: list[Organization] = field(
        default_factory=list
    )  # managed 党支部, by name (第2 before 第10); empty: own page only
    orgs: dict[int, Organization] = field(default_factory=dict)  # home and everything below it, by id
    branch_ids: frozenset[int] = frozenset()

    @property
    def manages(self) -> bool:
        return bool(self.branches)

    @property
    def org_ids(self) -> list[int]:
        """The managed branches and their 党小组: whose meetings, members and messages may be shown."""
        return sorted(
            i for i, o in self.orgs.items() if i in self.branch_ids or o.parent_id in self.branch_ids
        )

    def branch_of(self, org_id: int | None) -> Organization | None:
        """The managed branch an organization id belongs to (a 党小组's branch), or None outside the scope."""
        org = self.orgs.get(org_id) if org_id is not None else None
        if org is not None and org.id not in self.branch_ids and org.parent_id is not None:
            org = self.orgs.get(org.parent_id)  # a 党小组: its branch
        return org if org is not None and org.id in self.branch_ids else None

    def parent_name(self, org: Organization) -> str:
        parent = self.orgs.get(org.parent_id) if org.parent_id is not None else None
        return parent.name if parent is not None else ""


def scope_of(session: Session, member: Member) -> Scope:
    home = session.get(Organization, member.org_id)
    assert home is not None and home.id is not None
    if not can_manage_anything(actor_of(session, member)):
        return Scope(member, home)
    below = descendants(session, home.id)
    orgs = {o.id: o for o in [home, *below] if o.id is not None}
    branches = sorted(
        (o for o in orgs.values() if OrgKind(o.kind).is_branch),
        key=lambda o: (natural_key(o.name), o.id or 0),
    )
    return Scope(member, home, branches, orgs, frozenset(b.id for b in branches if b.id is not None))


@dataclass(frozen=True, slots=True)
class MyPage:
    """A member's own page: 政治生日, 党龄, the meetings ahead, their attendance and leave requests."""

    member: Member
    home: Organization
    next_birthday: date
    birthday_years: int  # how many years the coming 政治生日 marks
    standing: int | None  # 党龄 in whole years; None while 预备党员
    probation_ends: date | None
    upcoming: list[Meeting]
    attendance: list[tuple[Meeting, Attendance]]

    @property
    def leave(self) -> list[tuple[Meeting, Attendance]]:
        return [(m, a) for m, a in self.attendance if a.status == AttendanceStatus.LEAVE]


def my_page(session: Session, scope: Scope, *, now: datetime) -> MyPage:
    member, today = scope.member, now.date()
    assert member.id is not None
    nxt = next_anniversary(member.joined_on, today)
    units = [member.org_id] + ([member.group_id] if member.group_id else [])
    return MyPage(
        member=member,
        home=scope.home,
        next_birthday=nxt,
        birthday_years=whole_years(member.joined_on, nxt),
        standing=party_standing(member.full_on, today),
        probation_ends=probation_end(member.joined_on)
        if member.status == MemberStatus.PROBATIONARY
        else None,
        upcoming=upcoming(session, org_ids=units, now=now, limit=5),
        attendance=of_member(session, member_id=member.id),
    )
