"""Meetings (三会一课, 主题党日, 组织生活会...) and what moving or cancelling one does to its reminders.

Reminders are outbox rows of kind ``meeting_reminder`` tagged with the meeting id
and keyed by the start time, so after a move the old time's pending rows are
withdrawn here and the reminder job queues fresh ones for the new time.
The caller owns the transaction; notices to people live in handlers/reminders.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select, update

from bot.core.errors import ZhibuError
from bot.core.messages import Target
from storage.models import Delivery, DeliveryStatus, Meeting, MeetingKind, MeetingStatus

REMINDER_KIND = "meeting_reminder"
CHANGE_KIND = "meeting_change"  # 改期 / 取消 notices; whoever got one is told of the next change too


class MeetingNotFound(ZhibuError):
    pass


class MeetingClosed(ZhibuError):
    """The meeting was cancelled or has already been held; it cannot be moved or cancelled again."""


@dataclass(frozen=True, slots=True)
class MeetingChange:
    """What a move or cancellation did: the old time and who had already been reminded of it."""

    meeting: Meeting
    old_starts_at: datetime
    old_place: str
    reminded: tuple[Target, ...]  # reminders already sent (or being sent) for the old time
    withdrawn: int  # reminders still waiting in the outbox, now cancelled


def create_meeting(
    session: Session,
    *,
    org_id: int,
    kind: str,
    starts_at: datetime,
    place: str = "",
    topic: str = "",
    ends_at: datetime | None = None,
    created_by: int | None = None,
    plan_key: str | None = None,
) -> Meeting:
    """Record a planned meeting; its reminders follow from the reminder job, nothing else to do."""
    MeetingKind(kind)  # ValueError for an unknown kind
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    meeting = Meeting(
        org_id=org_id,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        topic=topic,
        created_by=created_by,
        plan_key=plan_key,
    )
    session.add(meeting)
    session.flush()
    return meeting


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingNotFound(f"找不到会议 #{meeting_id} / no meeting #{meeting_id}")
    return meeting


def _open(session: Session, meeting_id: int) -> Meeting:
    meeting = get_meeting(session, meeting_id)
    if meeting.status != MeetingStatus.PLANNED:
        raise MeetingClosed(
            f"会议 #{meeting_id} 已{_STATUS_CN.get(MeetingStatus(meeting.status), meeting.status)} / meeting is {meeting.status}"  # noqa: E501
        )
    return meeting


_STATUS_CN = {MeetingStatus.CANCELLED: "取消", MeetingStatus.HELD: "召开"}


def move_meeting(
    session: Session, *, meeting_id: int, starts_at: datetime, place: str | None = None, now: datetime
) -> MeetingChange:
    """New time (and optionally place): pending reminders for the old time are withdrawn."""
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    meeting = _open(session, meeting_id)
    old_starts, old_place = meeting.starts_at, meeting.place
    reminded, withdrawn = _settle_reminders(session, meeting_id)
    if meeting.ends_at is not None:
        meeting.ends_at = starts_at + (meeting.ends_at - meeting.starts_at)
    meeting.starts_at = starts_at
    if place is not None:
        meeting.place = place
    meeting.updated_at = now
    session.add(meeting)
    session.flush()
    return MeetingChange(meeting, old_starts, old_place, reminded, withdrawn)


def cancel_meeting(session: Session, *, meeting_id: int, now: datetime) -> MeetingChange:
    """Mark cancelled; the plan (if any) keeps its key so the meeting is not created again."""
    meeting = _open(session, meeting_id)
    reminded, withdrawn = _settle_reminders(session, meeting_id)
    meeting.status = MeetingStatus.CANCELLED
    meeting.updated_at = now
    session.add(meeting)
    session.flush()
    return MeetingChange(meeting, meeting.starts_at, meeting.place, reminded, withdrawn)


def _settle_reminders(session: Session, meeting_id: int) -> tuple[tuple[Target, ...], int]:
    """Cancel this meeting's unsent reminders; return the distinct targets already reminded."""
    mine = (col(Delivery.meeting_id) == meeting_id) & col(Delivery.kind).in_([REMINDER_KIND, CHANGE_KIND])
    withdrawn: int | None = session.execute(  # type: ignore[attr-defined]
        update(Delivery)
        .where(mine, col(Delivery.kind) == REMINDER_KIND, col(Delivery.status) == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error="meeting moved or cancelled")
    ).rowcount
    sent = session.exec(
        select(Delivery.channel, Delivery.account, Delivery.chat_id, Delivery.is_group)
        .where(mine, col(Delivery.status).in_([DeliveryStatus.SENT, DeliveryStatus.SENDING]))
        .distinct()
    )
    reminded = tuple(Target(channel=c, account=a, chat_id=i, is_group=g) for c, a, i, g in sent)
    return reminded, int(withdrawn or 0)


def starting_between(session: Session, *, start: datetime, end: datetime) -> list[Meeting]:
    """Planned meetings that start in [start, end): what the reminder job looks at (indexed by start)."""
    query = (
        select(Meeting)
        .where(Meeting.status == MeetingStatus.PLANNED, Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    )
    return list(session.exec(query))


def upcoming(session: Session, *, org_ids: Sequence[int], now: datetime, limit: int = 10) -> list[Meeting]:
    query = (
        select(Meeting)
        .where(
            col(Meeting.org_id).in_(org_ids),
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.starts_at >= now,
        )
        .order_by(col(Meeting.starts_at))
        .limit(limit)
    )
    return list(session.exec(query))


def count_held(
    session: Session, *, org_ids: Sequence[int], kinds: Sequence[str], start: datetime, end: datetime
) -> int:
    """Meetings of ``kinds`` in [start, end) not cancelled (a past planned meeting counts as held)."""
    query = (
        select(func.count())
        .select_from(Meeting)
        .where(
            col(Meeting.org_id).in_(org_ids),
            col(Meeting.kind).in_(kinds),
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    )
    return int(session.exec(query).one())


def by_plan_key(session: Session, plan_key: str) -> Meeting | None:
    return session.exec(select(Meeting).where(Meeting.plan_key == plan_key)).first()
