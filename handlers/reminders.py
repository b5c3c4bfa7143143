"""Meeting reminders and the 改期 / 取消 notices that follow a move or cancellation.

Audience (docs/domain-rules.md §A1): a 支委会 concerns the committee, a 党小组会 its
party group, everything else the whole branch. Whole-branch reminders go to the
branch's bound group chats; only when a branch has no bound chat do its bound
members hear privately, so nobody gets the same reminder twice.

Workflows call ``move_and_notify`` / ``cancel_and_notify``; the reminder job calls
``queue_reminder``. Every message goes through the outbox with a dedupe key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply, Target
from handlers import texts
from handlers.outbound import queue_all
from handlers.quiet import QuietHours
from storage import audience
from storage.meetings import (
    CHANGE_KIND,
    REMINDER_KIND,
    MeetingChange,
    cancel_meeting,
    move_meeting,
)
from storage.models import Meeting, MeetingKind, MeetingStatus, Organization, OrgKind
from storage.orgs import branch_of


def start_key(moment: datetime) -> str:
    """20261204T1430: the start time as it appears in dedupe keys (Shanghai local)."""
    return moment.astimezone(SHANGHAI).strftime("%Y%m%dT%H%M")


def audience_of(session: Session, meeting: Meeting) -> list[Target]:
    """Who should hear about ``meeting``, without duplicates, in a stable order."""
    org = session.get(Organization, meeting.org_id)
    if org is None:
        return []
    branch = branch_of(session, org)
    branch_id = branch.id if branch.id is not None else org.id
    assert branch_id is not None
    if meeting.kind == MeetingKind.COMMITTEE:
        members = audience.active_members(session, org_id=branch_id, roles=audience.COMMITTEE_ROLES)
        targets = audience.private_targets(session, members)
    elif meeting.kind == MeetingKind.GROUP and OrgKind(org.kind).is_group and org.id is not None:
        members = audience.active_members(session, group_id=org.id)
        targets = audience.chats_of(session, [org.id]) + audience.private_targets(session, members)
    else:
        targets = audience.chats_of(session, [branch_id])
        if not targets:
            targets = audience.private_targets(session, audience.active_members(session, org_id=branch_id))
    return list(dict.fromkeys(targets))


def _hhmm(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%H:%M")


def _full_time(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return texts.cn_datetime(local.date(), local.strftime("%H:%M"))


def reminder_reply(meeting: Meeting, now: datetime) -> Reply:
    start = meeting.starts_at.astimezone(SHANGHAI)
    days = (start.date() - now.astimezone(SHANGHAI).date()).days
    if days == 0:
        when = texts.MEETING_WHEN_TODAY.format(hhmm=_hhmm(start))
    elif days == 1:
        when = texts.MEETING_WHEN_TOMORROW.format(hhmm=_hhmm(start))
    else:
        when = texts.MEETING_WHEN_LATER.format(day=_full_time(start))
    fields = {
        "when": when,
        "kind": meeting.kind,
        "time": _full_time(start),
        "place": meeting.place or texts.MEETING_PLACE_TBD,
        "topic": meeting.topic or texts.MEETING_TOPIC_TBD,
        "closing": texts.MEETING_CLOSING,
    }
    return Reply(texts.MEETING_REMINDER.format(**fields), markdown=texts.MEETING_REMINDER_MD.format(**fields))


def queue_reminder(
    session: Session, *, meeting: Meeting, offset: str, now: datetime, quiet: QuietHours
) -> int:
    """Queue the ``offset`` reminder of ``meeting`` to its audience; returns how many were new."""
    targets = audience_of(session, meeting)
    key_parts = (offset, start_key(meeting.starts_at))
    not_before = quiet.release_before(now, meeting.starts_at)
    reply = reminder_reply(meeting, not_before or now)  # "明天" / "今天" as of when it is read
    return _queue(session, meeting, targets, reply, key_parts, REMINDER_KIND, not_before)


def _queue(
    session: Session,
    meeting: Meeting,
    targets: Sequence[Target],
    reply: Reply,
    key_parts: tuple[str, ...],
    kind: str,
    not_before: datetime | None,
) -> int:
    """One outbox row per target, keyed ``meeting:{id}:{key_parts}:{target}``."""
    return queue_all(
        session,
        targets=targets,
        reply=reply,
        key_parts=("meeting", meeting.id, *key_parts),
        kind=kind,
        not_before=not_before,
        org_id=meeting.org_id,
        meeting_id=meeting.id,
    )


def announce_change(session: Session, *, change: MeetingChange, now: datetime, quiet: QuietHours) -> int:
    """Tell everyone already reminded of the old time that the meeting moved or was cancelled."""
    meeting = change.meeting
    cancelled = meeting.status == MeetingStatus.CANCELLED
    old_time = _full_time(change.old_starts_at)
    if cancelled:
        reply = Reply(texts.MEETING_CANCELLED.format(old_time=old_time, kind=meeting.kind))
        tag = "cancelled"
    else:
        new_time = _full_time(meeting.starts_at)
        place = meeting.place or texts.MEETING_PLACE_TBD
        reply = Reply(
            texts.MEETING_MOVED.format(old_time=old_time, kind=meeting.kind, new_time=new_time, place=place)
        )
        tag = f"moved-{start_key(meeting.starts_at)}"
    key_parts = (tag, start_key(change.old_starts_at))
    deadline = change.old_starts_at if cancelled else min(change.old_starts_at, meeting.starts_at)
    not_before = quiet.release_before(now, deadline)
    return _queue(session, meeting, change.reminded, reply, key_parts, CHANGE_KIND, not_before)


def move_and_notify(
    session: Session,
    *,
    meeting_id: int,
    starts_at: datetime,
    now: datetime,
    place: str | None = None,
    quiet: QuietHours | None = None,
) -> tuple[MeetingChange, int]:
    """Move a meeting, withdraw unsent reminders, tell those already reminded; (change, notices queued)."""
    change = move_meeting(session, meeting_id=meeting_id, starts_at=starts_at, place=place, now=now)
    return change, announce_change(session, change=change, now=now, quiet=quiet or QuietHours())


def cancel_and_notify(
    session: Session, *, meeting_id: int, now: datetime, quiet: QuietHours | None = None
) -> tuple[MeetingChange, int]:
    """Cancel a meeting, withdraw unsent reminders, tell those already reminded; (change, notices queued)."""
    change = cancel_meeting(session, meeting_id=meeting_id, now=now)
    return change, announce_change(session, change=change, now=now, quiet=quiet or QuietHours())
