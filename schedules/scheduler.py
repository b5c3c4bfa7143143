"""The persistent scheduler: APScheduler with its job store in the project's database.

Work due while the process was down runs once after a restart (coalesce, and a
misfire grace time equal to the catch-up window); a daily run lost mid-way runs
once when the next leader starts (``catch_up``); the outbox dedupe keys are the
second guard against doubles. ``start_scheduler`` is the one entry point, so a
leader election (schedules/leader.py) can wrap it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.events import JobEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from bot.core.clock import SHANGHAI, Clock, SystemClock
from schedules.context import JobContext, JobObserver, install
from schedules.daily import last_due_day
from schedules.jobs import JobSpec, job_table
from schedules.settings import ScheduleSettings
from storage.db import session_scope
from storage.jobruns import last_covered, mark_covered

logger = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"


def build_scheduler(engine: Engine, settings: ScheduleSettings) -> BackgroundScheduler:
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(settings.catch_up.total_seconds()),
        },
        timezone=SHANGHAI,
    )


def sync_jobs(scheduler: BackgroundScheduler, table: tuple[JobSpec, ...]) -> None:
    """Make the store hold exactly ``table``; a stored job keeps its next run (a missed run fires)."""
    wanted = {spec.id for spec in table}
    for stored in scheduler.get_jobs():
        if stored.id not in wanted:
            logger.info("removing job no longer in the table job=%s", stored.id)
            stored.remove()
    for spec in table:
        stored = scheduler.get_job(spec.id)
        extra: dict[str, Any] = {}
        if (
            stored is not None
            and stored.next_run_time is not None
            and str(stored.trigger) == str(spec.trigger)
        ):
            extra["next_run_time"] = stored.next_run_time
        scheduler.add_job(
            spec.ref, trigger=spec.trigger, id=spec.id, name=spec.description, replace_existing=True, **extra
        )


def catch_up(
    scheduler: BackgroundScheduler, engine: Engine, table: tuple[JobSpec, ...], now: datetime
) -> None:
    """Run once, at once, every daily job whose last due day is not recorded as covered.

    APScheduler moves a job's next run time to tomorrow *before* the run, so a leader
    killed while a daily job runs leaves a store that waits for tomorrow, and the lost
    day would go out a day late. ``coalesce`` and ``misfire_grace_time`` cannot see
    this: they act only on a stored next run time that is already past. The jobs' own
    record of days covered (storage/jobruns.py) does show it, and running again is
    safe: a run covers only days not yet covered, and dedupe keys drop repeats.

    A job that never ran on this database (a fresh install) is not behind: its last
    due day is recorded as covered instead, so nothing goes out at install time and
    its first run is the scheduled one, as before.
    """
    lost: list[str] = []
    with session_scope(engine) as session:
        for spec in table:
            if spec.daily_at is None:
                continue  # frequent jobs: the next run is minutes away anyway
            due, covered = last_due_day(now, spec.daily_at), last_covered(session, job_id=spec.id)
            if covered is None:
                mark_covered(session, job_id=spec.id, day=due, now=now)
            elif covered < due:
                lost.append(spec.id)
    for job_id in lost:
        logger.warning("catching up a daily run that did not complete job=%s", job_id)
        scheduler.modify_job(job_id, next_run_time=datetime.now(SHANGHAI))  # by APScheduler's clock: at once


def start_scheduler(
    engine: Engine,
    settings: ScheduleSettings,
    *,
    clock: Clock | None = None,
    listener: tuple[Callable[[JobEvent], None], int] | None = None,
    observe: JobObserver | None = None,
) -> BackgroundScheduler:
    """Install the job context, bring the stored jobs in line with the table, catch up, and start firing."""
    context = JobContext(engine=engine, settings=settings, clock=clock or SystemClock(), observe=observe)
    install(context)
    scheduler = build_scheduler(engine, settings)
    if listener is not None:
        scheduler.add_listener(*listener)
    scheduler.start(paused=True)
    try:
        table = job_table(settings)
        sync_jobs(scheduler, table)
        catch_up(scheduler, engine, table, context.clock.now())
        scheduler.resume()
    except BaseException:
        scheduler.shutdown(wait=False)  # no paused scheduler thread left behind
        raise
    logger.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
    return scheduler


def planned_runs(
    engine: Engine, settings: ScheduleSettings, now: datetime
) -> list[tuple[JobSpec, datetime | None]]:
    """Every job with its next run time: from the store when the server has run, else from the trigger."""
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    store.start(BackgroundScheduler(timezone=SHANGHAI), "default")
    try:
        rows = []
        for spec in job_table(settings):
            stored = store.lookup_job(spec.id)
            nxt = stored.next_run_time if stored is not None else spec.trigger.get_next_fire_time(None, now)
            rows.append((spec, nxt))
        return rows
    finally:
        store.shutdown()
