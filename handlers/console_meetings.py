"""The console's meetings page: a branch's month as a list of days, and the counts its attendance shows.

Arranging, moving, cancelling and correcting attendance are the chat's own functions
(handlers/meetings.py, handlers/reminders.py, handlers/attendance.py); this module only lays a month out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, func, select

from bot.core.clock import SHANGHAI
from handlers.scope import subtree
from storage.attendance import meetings_of
from storage.models import Attendance, Meeting, Organization

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    meetings: list[Meeting]

    @property
    def weekday(self) -> str:
        return "周" + WEEKDAYS[self.day.weekday()]


@dataclass(frozen=True, slots=True)
class MonthView:
    branch: Organization
    month: str  # 2026-12
    days: list[Day]  # only the days with a meeting, in order
    counts: dict[int, Counter[str]]  # meeting id -> attendance status -> how many
    previous: str
    following: str


def _first(month: str) -> date:
    return date.fromisoformat(f"{month}-01")


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_view(session: Session, *, branch: Organization, month: str) -> MonthView:
    """Every meeting of the branch and its 党小组 in ``month`` (cancelled ones too), by day; three queries."""
    first = _first(month)
    after = _shift(first, 1)
    meetings = meetings_of(
        session,
        org_ids=subtree(session, branch),
        start=datetime.combine(first, time(), SHANGHAI),
        end=datetime.combine(after, time(), SHANGHAI),
        include_cancelled=True,
    )
    by_day: dict[date, list[Meeting]] = {}
    for meeting in meetings:
        by_day.setdefault(meeting.starts_at.astimezone(SHANGHAI).date(), []).append(meeting)
    counts: dict[int, Counter[str]] = {}
    ids = [m.id for m in meetings if m.id is not None]
    if ids:
        rows = session.exec(
            select(Attendance.meeting_id, Attendance.status, func.count())
            .where(col(Attendance.meeting_id).in_(ids))
            .group_by(col(Attendance.meeting_id), col(Attendance.status))
        )
        for meeting_id, status, n in rows:
            counts.setdefault(meeting_id, Counter())[status] = n
    return MonthView(
        branch=branch,
        month=month,
        days=[Day(d, ms) for d, ms in sorted(by_day.items())],
        counts=counts,
        previous=_shift(first, -1).strftime("%Y-%m"),
        following=after.strftime("%Y-%m"),
    )


def default_day(now: datetime) -> date:
    """The day a new meeting's form suggests: tomorrow."""
    return now.astimezone(SHANGHAI).date() + timedelta(days=1)
