"""The frequent 微心愿 job: deadline reminders and expiry of overdue wishes.

One job for all wishes, never one per wish; dedupe keys carry the wish and its deadline, so a
run repeated (or a wish whose deadline moved) never reminds twice for the same deadline.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from handlers import wishes
from schedules.context import run_job
from schedules.settings import ScheduleSettings

JOB_ID = "wishes"


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    cfg = settings or ScheduleSettings()
    queued = wishes.queue_deadline_reminders(session, now=now, rules=cfg.points, quiet=cfg.quiet)
    return queued + wishes.expire(session, now=now, quiet=cfg.quiet)


def job() -> int:
    return run_job(JOB_ID, run)
