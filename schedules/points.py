"""The daily points job: attendance at meetings of the last year, once the roll has settled, into the ledger.

Daily rather than with the frequent jobs: it looks over a year of rolls, and a day's delay is
nothing for points that count at the yearly 民主评议党员. Crediting is idempotent, so a repeated
or caught-up run adds nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from schedules.context import run_job
from schedules.daily import run_daily
from schedules.settings import ScheduleSettings
from storage.credits import credit_attendance

JOB_ID = "points"


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    """Entries added (no messages are sent)."""
    cfg = settings or ScheduleSettings()

    def one_day(day: date) -> int:
        return credit_attendance(session, cfg.points, now=now)

    return run_daily(
        session, job_id=JOB_ID, now=now, at=cfg.points_at, catch_up_days=cfg.catch_up_days, per_day=one_day
    )


def job() -> int:
    return run_job(JOB_ID, run)
