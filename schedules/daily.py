"""Daily jobs cover each day once: missed days (within the catch-up window) run after a restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from bot.core.clock import SHANGHAI
from storage.jobruns import days_to_cover, mark_covered


def last_due_day(now: datetime, at: time) -> date:
    """Today once the daily time has passed, otherwise yesterday."""
    local = now.astimezone(SHANGHAI)
    return local.date() if local.time() >= at else local.date() - timedelta(days=1)


def run_daily(
    session: Session,
    *,
    job_id: str,
    now: datetime,
    at: time,
    catch_up_days: int,
    per_day: Callable[[date], int],
) -> int:
    """Call ``per_day`` for every day not yet covered, oldest first, and remember the last one."""
    queued = 0
    for day in days_to_cover(
        session, job_id=job_id, today=last_due_day(now, at), catch_up_days=catch_up_days
    ):
        queued += per_day(day)
        mark_covered(session, job_id=job_id, day=day, now=now)
    return queued
