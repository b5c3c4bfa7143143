"""The daily 政治生日 job: greetings, the first-of-month digest, and the yearly 光荣在党50年 check."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from handlers import birthdays
from schedules.context import run_job
from schedules.daily import run_daily
from schedules.settings import ScheduleSettings

JOB_ID = "birthdays"


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    """Deliveries queued for every due day since the last run (one indexed scan per day)."""
    cfg = settings or ScheduleSettings()

    def one_day(day: date) -> int:
        queued = birthdays.queue_day(session, day=day, now=now, quiet=cfg.quiet)
        if day.day == 1:
            queued += birthdays.queue_month_digest(
                session, year=day.year, month=day.month, now=now, quiet=cfg.quiet
            )
        if (day.month, day.day) == cfg.glory_notice_on:
            queued += birthdays.queue_glory(session, year=day.year, now=now, quiet=cfg.quiet)
        return queued

    return run_daily(
        session, job_id=JOB_ID, now=now, at=cfg.birthdays_at, catch_up_days=cfg.catch_up_days, per_day=one_day
    )


def job() -> int:
    return run_job(JOB_ID, run)
