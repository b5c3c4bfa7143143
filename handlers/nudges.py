"""Compliance nudges to a branch's 书记 / 组织委员 (docs/domain-rules.md §A1 三会一课, §A4 预备期).

The schedule decides which checks are due on a working day; each check here
looks at the branch's meetings and sends at most one nudge per period (the period
is in the dedupe key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply
from handlers import texts
from handlers.outbound import queue_all
from handlers.quiet import QuietHours
from storage import audience
from storage.meetings import count_held
from storage.models import MeetingKind, Member, Organization
from storage.orgs import children
from storage.rules import add_months, latest_possible_full_date, probation_end

NUDGE_KIND = "nudge"
PROBATION_MEMBER_KIND = "probation_member"


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)


def _send(
    session: Session, branch: Organization, text: str, key: Sequence[object], now: datetime, quiet: QuietHours
) -> int:
    assert branch.id is not None
    return queue_all(
        session,
        targets=audience.secretaries(session, branch.id),
        reply=Reply(text),
        key_parts=(NUDGE_KIND, *key, branch.id),
        kind=NUDGE_KIND,
        not_before=quiet.release(now),
        org_id=branch.id,
    )


def _unit_ids(session: Session, branch: Organization) -> tuple[list[int], list[int]]:
    """(branch and its 党小组, only the 党小组): 党小组会 are recorded on the group."""
    assert branch.id is not None
    groups = [g.id for g in children(session, branch.id) if g.id is not None]
    return [branch.id, *groups], groups


def monthly_meetings(session: Session, *, branch: Organization, now: datetime, quiet: QuietHours) -> int:
    """No 支委会 (or, where the branch has groups, no 党小组会) held so far this month."""
    local = now.astimezone(SHANGHAI)
    month_start, period = _at(local.date().replace(day=1)), f"{local:%Y-%m}"
    units, groups = _unit_ids(session, branch)
    queued = 0
    for kind, needed in ((MeetingKind.COMMITTEE, True), (MeetingKind.GROUP, bool(groups))):
        if needed and not count_held(session, org_ids=units, kinds=[kind], start=month_start, end=now):
            text = texts.NUDGE_MONTHLY.format(branch=branch.name, kind=kind)
            queued += _send(session, branch, text, (kind, period), now, quiet)
    return queued


def quarter_of(day: date) -> tuple[date, date]:
    """[first day, first day of the next quarter)."""
    start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return start, add_months(start, 3)


def quarterly_meetings(
    session: Session, *, branch: Organization, day: date, now: datetime, quiet: QuietHours
) -> int:
    """No 支部党员大会 / 党课 held or planned this quarter (called in the quarter's last month)."""
    start, end = quarter_of(day)
    quarter = f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    units, _ = _unit_ids(session, branch)
    queued = 0
    for kind in (MeetingKind.GENERAL_ASSEMBLY, MeetingKind.LECTURE):
        if not count_held(session, org_ids=units, kinds=[kind], start=_at(start), end=_at(end)):
            text = texts.NUDGE_QUARTERLY.format(
                branch=branch.name, quarter=quarter, kind=kind, end=texts.cn_date(end - timedelta(days=1))
            )
            queued += _send(
                session, branch, text, (kind, f"{start.year}Q{(start.month - 1) // 3 + 1}"), now, quiet
            )
    return queued


def annual_meetings(
    session: Session,
    *,
    branch: Organization,
    deadline: date,
    now: datetime,
    quiet: QuietHours,
    overdue: bool = False,
) -> int:
    """No 组织生活会 / 民主评议党员 in the year up to ``deadline`` (held or planned); ``overdue``: past it."""
    window_start = _at(add_months(deadline, -12) + timedelta(days=1))
    units, _ = _unit_ids(session, branch)
    queued = 0
    for kind in (MeetingKind.LIFE_MEETING, MeetingKind.APPRAISAL):
        if not count_held(
            session, org_ids=units, kinds=[kind], start=window_start, end=_at(deadline + timedelta(days=1))
        ):
            template = texts.NUDGE_ANNUAL_OVERDUE if overdue else texts.NUDGE_ANNUAL
            text = template.format(branch=branch.name, kind=kind, deadline=texts.cn_date(deadline))
            tag = f"{deadline.isoformat()}{'-overdue' if overdue else ''}"
            queued += _send(session, branch, text, (kind, tag), now, quiet)
    return queued


def probation(
    session: Session,
    *,
    branch: Organization,
    members: Sequence[Member],
    day: date,
    warn_days: int,
    now: datetime,
    quiet: QuietHours,
) -> int:
    """预备期 ending within ``warn_days`` (once), or ended without a decision (once a month until it can no
    longer be pending)."""
    queued = 0
    for m in members:
        end = probation_end(m.joined_on)
        if day <= end <= day + timedelta(days=warn_days):
            text = texts.NUDGE_PROBATION_DUE.format(name=m.name, end=texts.cn_date(end))
            queued += _send(session, branch, text, ("probation-due", f"m{m.id}", end.isoformat()), now, quiet)
            queued += _tell_probationer(session, m, end, now, quiet)
        elif end < day <= latest_possible_full_date(m.joined_on):
            text = texts.NUDGE_PROBATION_OVER.format(name=m.name, end=texts.cn_date(end))
            queued += _send(session, branch, text, ("probation-over", f"m{m.id}", f"{day:%Y-%m}"), now, quiet)
    return queued


def _tell_probationer(session: Session, member: Member, end: date, now: datetime, quiet: QuietHours) -> int:
    """The 预备党员 too: the written 转正 application is due before the period ends.

    See docs/domain-rules.md §A4.
    """
    reply = Reply(texts.PROBATION_MEMBER_NOTE.format(name=member.name, end=texts.cn_date(end)))
    return queue_all(
        session,
        targets=audience.private_targets(session, [member]),
        reply=reply,
        key_parts=(PROBATION_MEMBER_KIND, f"m{member.id}", end.isoformat()),
        kind=PROBATION_MEMBER_KIND,
        not_before=quiet.release(now),
        org_id=member.org_id,
    )
