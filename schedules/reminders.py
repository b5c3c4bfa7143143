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
    """How far ahead a reminder can reach, plus a day for one brought forward out of quiet hours."""
    spans = [o.before if o.before is not None else timedelta(days=(o.days_before or 0) + 1) for o in offsets]
    return max(spans, default=timedelta(0)) + timedelta(days=1)


def fire_times(cfg: ScheduleSettings, starts_at: datetime) -> list[tuple[datetime, str]]:
    """When each offset's reminder is due: before the quiet hours that would hold it past the start.

    Brought forward by one run interval, so a run still finds it due before the quiet hours begin.
    """
    every = timedelta(seconds=cfg.reminder_every_seconds or cfg.reminder_every_minutes * 60)
    return [
        (cfg.quiet.ahead_of(o.fire_time(starts_at), starts_at, margin=every), o.name)
        for o in cfg.reminder_offsets
    ]


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    cfg = settings or ScheduleSettings()
    queued = 0
    for meeting in starting_between(session, start=now, end=now + horizon(cfg.reminder_offsets)):
        due = [d for d in fire_times(cfg, meeting.starts_at) if d[0] <= now]
        if due:
            queued += queue_reminder(session, meeting=meeting, offset=max(due)[1], now=now, quiet=cfg.quiet)
    return queued


def job() -> int:
    return run_job(JOB_ID, run)
