"""The console's 政治生日 page: this month's and next month's political birthdays in the viewer's branches,
the milestones (逢十 years, 光荣在党50年: 党龄 from 转正 reaching 50, domain-rules.md §A3) and when each
was greeted in the branch's group and privately (handlers/birthdays.py keys its greetings by day and branch
or member, so one outbox query finds them all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from handlers.birthdays import GREETING_KIND
from handlers.console import Scope
from storage.anniversaries import Celebrant, celebrating_in_month
from storage.models import Delivery, DeliveryStatus, Organization
from storage.rules import GLORY_YEARS, add_months, anniversary_in, whole_years


@dataclass(frozen=True, slots=True)
class Birthday:
    member: Celebrant
    branch: Organization
    day: date
    years: int
    glory: bool  # 党龄 reaches 50 on this day
    in_group: datetime | None  # when the branch's group greeting was sent
    in_private: datetime | None

    @property
    def decade(self) -> bool:
        return self.years % 10 == 0


def _sent(session: Session, scope: Scope, first: date, after: date) -> dict[str, datetime]:
    """ "2026-11-05:12" (day, branch) or "2026-11-05:m34" (day, member) → when that greeting went out."""
    rows = session.exec(
        select(Delivery.dedupe_key, Delivery.sent_at).where(
            Delivery.kind == GREETING_KIND,
            Delivery.status == DeliveryStatus.SENT,
            col(Delivery.org_id).in_(sorted(scope.branch_ids)),
            col(Delivery.dedupe_key) >= f"{GREETING_KIND}:{first.isoformat()}",
            col(Delivery.dedupe_key) < f"{GREETING_KIND}:{after.isoformat()}",
        )
    )
    sent: dict[str, datetime] = {}
    for key, at in rows:
        _, day, who, *_ = key.split(":")
        if at is not None and (f"{day}:{who}" not in sent or at < sent[f"{day}:{who}"]):
            sent[f"{day}:{who}"] = at
    return sent


CROWD = 100  # more in a month than a phone can list: the milestones are shown, the rest counted


@dataclass(frozen=True, slots=True)
class Month:
    start: date
    people: list[Birthday]  # by day
    total: int  # everyone celebrating in the month in the chosen branches, shown or not

    @property
    def trimmed(self) -> bool:
        return len(self.people) < self.total


def months(session: Session, scope: Scope, today: date, *, branch_id: int | None = None) -> list[Month]:
    """This month and next, with the birthdays in the viewer's branches (or the one chosen), by day.

    Over ``CROWD`` in a month across several branches (a district has thousands of members), only the
    逢十 and 光荣在党50年 ones are listed; choosing a branch lists everyone in it.
    """
    first = today.replace(day=1)
    out = []
    for start in (first, add_months(first, 1)):
        sent = _sent(session, scope, start, add_months(start, 1))
        found = []
        for m in celebrating_in_month(session, start.year, start.month):
            branch = scope.branch_of(m.org_id)
            if branch is None or (branch_id is not None and branch.id != branch_id):
                continue
            day = anniversary_in(start.year, m.joined_on)
            glory = m.full_on is not None and whole_years(m.full_on, day) == GLORY_YEARS
            group, private = sent.get(f"{day}:{branch.id}"), sent.get(f"{day}:m{m.id}")
            found.append(Birthday(m, branch, day, whole_years(m.joined_on, day), glory, group, private))
        found.sort(key=lambda b: (b.day, b.branch.name, b.member.name))
        crowded = branch_id is None and len(found) > CROWD
        shown = [b for b in found if b.decade or b.glory] if crowded else found
        out.append(Month(start, shown, len(found)))
    return out
