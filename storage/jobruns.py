"""High-water marks of the daily jobs: which days are still to be covered. The caller owns the transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from storage.models import JobRun


def days_to_cover(session: Session, *, job_id: str, today: date, catch_up_days: int) -> list[date]:
    """Days after the last covered one up to ``today``, at most ``catch_up_days`` back; a first run: today."""
    run = session.get(JobRun, job_id)
    if run is None:
        return [today]
    first = max(run.last_day + timedelta(days=1), today - timedelta(days=catch_up_days))
    return [first + timedelta(days=n) for n in range((today - first).days + 1)]


def last_covered(session: Session, *, job_id: str) -> date | None:
    """The last day the job covered; None when it never ran on this database."""
    run = session.get(JobRun, job_id)
    return run.last_day if run is not None else None


def mark_covered(session: Session, *, job_id: str, day: date, now: datetime) -> None:
    run = session.get(JobRun, job_id)
    if run is None:
        run = JobRun(job_id=job_id, last_day=day, last_run_at=now)
    elif day > run.last_day:
        run.last_day, run.last_run_at = day, now
    session.add(run)
    session.flush()
