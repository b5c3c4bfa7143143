"""Who came to a meeting, who asked for leave and who was marked absent. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.core.clock import SHANGHAI
from bot.core.errors import ZhibuError
from storage import audience
from storage.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Member,
    MemberStatus,
    Organization,
    OrgKind,
)
from storage.orgs import branch_of

CHUNK = 500  # ids per IN (...), under every database's parameter limit
BEFORE_START = timedelta(minutes=30)
WITHOUT_END = timedelta(hours=2)


def window(meeting: Meeting) -> tuple[datetime, datetime]:
    """签到 is open from 30 minutes before the start until the end (or 2 hours after the start)."""
    return meeting.starts_at - BEFORE_START, meeting.ends_at or meeting.starts_at + WITHOUT_END


def expected(session: Session, meeting: Meeting) -> list[Member]:
    """Who should attend: the committee for a 支委会, the group for a 党小组会, else the whole branch;
    of those, only members who had joined the Party by the meeting's day."""
    org = session.get(Organization, meeting.org_id)
    if org is None:
        return []
    branch = branch_of(session, org)
    return expected_among(meeting, org, audience.active_members(session, org_id=branch.id))


def expected_among(meeting: Meeting, org: Organization, members: Sequence[Member]) -> list[Member]:
    """``expected`` with the branch's active members already at hand (``org`` is the meeting's)."""
    if meeting.kind == MeetingKind.GROUP and OrgKind(org.kind).is_group:
        chosen = [m for m in members if m.group_id == org.id]
    elif meeting.kind == MeetingKind.COMMITTEE:
        chosen = [m for m in members if m.role in audience.COMMITTEE_ROLES]
    else:
        chosen = list(members)
    day = meeting.starts_at.astimezone(SHANGHAI).date()
    return [m for m in chosen if m.joined_on <= day]


def active_by_branch(session: Session, branch_ids: Sequence[int]) -> dict[int, list[Member]]:
    """The active members of many branches (by id) at once, for the rolls of many meetings."""
    found: dict[int, list[Member]] = {b: [] for b in branch_ids}
    for start in range(0, len(branch_ids), CHUNK):
        query = select(Member).where(
            col(Member.org_id).in_(list(branch_ids[start : start + CHUNK])),
            col(Member.status) != MemberStatus.TRANSFERRED_OUT,
        )
        for member in session.exec(query.order_by(col(Member.id))):
            found[member.org_id].append(member)
    return found


def records_of(session: Session, meeting_ids: Sequence[int]) -> dict[int, dict[int, Attendance]]:
    """``records`` of many meetings at once: meeting id → member id → record."""
    found: dict[int, dict[int, Attendance]] = {m: {} for m in meeting_ids}
    for start in range(0, len(meeting_ids), CHUNK):
        chunk = list(meeting_ids[start : start + CHUNK])
        for row in session.exec(select(Attendance).where(col(Attendance.meeting_id).in_(chunk))):
            found[row.meeting_id][row.member_id] = row
    return found


def records(session: Session, meeting_id: int) -> dict[int, Attendance]:
    rows = session.exec(select(Attendance).where(Attendance.meeting_id == meeting_id))
    return {row.member_id: row for row in rows}


class AlreadySignedIn(ZhibuError):
    """A member who signed in cannot turn it into leave; only the secretary corrects a sign-in."""


def mark(
    session: Session, *, meeting_id: int, member_id: int, status: str, reason: str = "", at: datetime
) -> Attendance:
    """Record ``status``; leave over a sign-in raises AlreadySignedIn (the ledger would lose who came)."""
    row = session.exec(
        select(Attendance).where(Attendance.meeting_id == meeting_id, Attendance.member_id == member_id)
    ).first() or Attendance(meeting_id=meeting_id, member_id=member_id, status=status)
    if status == AttendanceStatus.LEAVE and row.status == AttendanceStatus.PRESENT:
        raise AlreadySignedIn(f"member {member_id} already signed in to meeting {meeting_id}")
    row.status = status
    row.reason = reason[:200]
    row.recorded_at = at
    session.add(row)
    session.flush()
    return row


def meetings_of(
    session: Session,
    *,
    org_ids: Sequence[int],
    start: datetime,
    end: datetime,
    include_cancelled: bool = False,
) -> list[Meeting]:
    """Meetings of ``org_ids`` starting in [start, end), oldest first."""
    query = select(Meeting).where(
        col(Meeting.org_id).in_(org_ids), Meeting.starts_at >= start, Meeting.starts_at < end
    )
    if not include_cancelled:
        query = query.where(Meeting.status != MeetingStatus.CANCELLED)
    return list(session.exec(query.order_by(col(Meeting.starts_at), col(Meeting.id))))


def of_member(session: Session, *, member_id: int, limit: int = 20) -> list[tuple[Meeting, Attendance]]:
    """A member's own attendance records (签到, 请假, 缺席), newest meeting first."""
    query = (
        select(Meeting, Attendance)
        .join(Attendance, col(Attendance.meeting_id) == col(Meeting.id))
        .where(Attendance.member_id == member_id)
        .order_by(col(Meeting.starts_at).desc())
        .limit(limit)
    )
    return [(meeting, record) for meeting, record in session.exec(query)]
