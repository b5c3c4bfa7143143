"""The frequent meeting-reminder job: one job for all meetings, never one job per meeting.

Each run looks at meetings starting soon, and for each queues the latest reminder
offset whose time has come (a meeting created late gets one reminder, not two).
Dedupe keys carry the offset and the start time, so a moved meeting is reminded afresh.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from handlers.reminders import queue_reminder
from schedules.context import run_job
from schedules.settings import ReminderOffset, ScheduleSettings
from storage.meetings import starting_between

JOB_ID = "meeting_reminders"


def horizon(offsets: tuple[ReminderOffset, ...]) -> timedelta:
    """How far ahead a reminder can reach."""
    spans = [o.before if o.before is not None else timedelta(days=(o.days_before or 0) + 1) for o in offsets]
    return max(spans, default=timedelta(0))


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    cfg = settings or ScheduleSettings()
    queued = 0
    for meeting in starting_between(session, start=now, end=now + horizon(cfg.reminder_offsets)):
        due = [(o.fire_time(meeting.starts_at), o.name) for o in cfg.reminder_offsets]
        due = [d for d in due if d[0] <= now]
        if due:
            queued += queue_reminder(session, meeting=meeting, offset=max(due)[1], now=now, quiet=cfg.quiet)
    return queued


def job() -> int:
    return run_job(JOB_ID, run)
