"""What each service event earns under the district's rules, written to the points ledger once.

Every credit names its source event, so crediting again (a retried message, a job run twice, the
demo built over an old ledger) adds nothing. The caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from storage import community, points, wishes
from storage.models import ClaimStatus, CommunityReport, Member, Organization, Wish
from storage.point_rules import PointsRules

ATTENDANCE_WORDS = {"present": "出席", "leave": "请假", "absent": "缺席"}
SETTLE = timedelta(days=2)  # a meeting's roll is credited this long after it started
CREDIT_WINDOW = timedelta(days=400)  # older rolls are not looked at again (the yearly 评议 is done)
ATTENDANCE_BATCH = 5000


def credit_report(session: Session, rules: PointsRules, report: CommunityReport, place: Organization) -> int:
    """报到 points, once per member and community (moving away and back earns nothing new)."""
    home = community.community_of(session, place) or place
    assert home.id is not None
    earned = points.credit(
        session,
        member_id=report.member_id,
        points=rules.report,
        source="report",
        source_id=home.id,
        label=f"向{home.name}报到",
        at=report.started_at,
        recorded_by=report.assigned_by,
    )
    return rules.report if earned else 0


def credit_wish(
    session: Session, rules: PointsRules, wish: Wish, *, at: datetime, by: int | None
) -> list[Member]:
    """Each member who finished a confirmed wish, credited once; those credited now."""
    assert wish.id is not None
    return [
        m
        for m in wishes.claimants(session, wish.id, statuses=(ClaimStatus.DONE,))
        if m.id is not None
        and points.credit(
            session,
            member_id=m.id,
            points=rules.wish,
            source="wish",
            source_id=wish.id,
            label=f"微心愿：{wish.title}",
            at=at,
            recorded_by=by,
        )
    ]


def credit_attendance(session: Session, rules: PointsRules, *, now: datetime) -> int:
    """Attendance not yet in the ledger, at meetings that started between a year and two days ago.

    The two days let the roll settle (标记缺席 after the meeting, a 请假 turned into a sign-in);
    a change made after that is not followed, a secretary reverses the entry instead.
    Returns how many entries were added.
    """
    added, after = 0, 0
    while True:
        batch = points.attendance_to_credit(
            session,
            statuses=rules.attendance_statuses,
            since=now - CREDIT_WINDOW,
            until=now - SETTLE,
            limit=ATTENDANCE_BATCH,
            after=after,
        )
        new = points.credit_many(
            session,
            [
                {
                    "member_id": roll.member_id,
                    "points": rules.for_attendance(roll.status),
                    "source": "attendance",
                    "source_id": roll.attendance_id,
                    "label": f"{roll.kind} {ATTENDANCE_WORDS.get(roll.status, roll.status)}",
                    "at": roll.starts_at,
                    "recorded_by": None,
                }
                for roll in batch
            ],
        )
        added += new
        if len(batch) < ATTENDANCE_BATCH:
            return added
        after = batch[-1].attendance_id
