"""The persistent scheduler: APScheduler with its job store in the project's database.

Work due while the process was down runs once after a restart (coalesce, and a
misfire grace time equal to the catch-up window); the outbox dedupe keys are the
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
from schedules.context import JobContext, install
from schedules.jobs import JobSpec, job_table
from schedules.settings import ScheduleSettings

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
    """Make the store hold exactly ``table``; a stored job keeps its next run time, so a missed run still fires."""
    wanted = {spec.id for spec in table}
    for stored in scheduler.get_jobs():
        if stored.id not in wanted:
            logger.info("removing job no longer in the table job=%s", stored.id)
            stored.remove()
    for spec in table:
        stored = scheduler.get_job(spec.id)
        extra: dict[str, Any] = {}
        if stored is not None and stored.next_run_time is not None and str(stored.trigger) == str(spec.trigger):
            extra["next_run_time"] = stored.next_run_time
        scheduler.add_job(spec.ref, trigger=spec.trigger, id=spec.id, name=spec.description,
                          replace_existing=True, **extra)


def start_scheduler(
    engine: Engine,
    settings: ScheduleSettings,
    *,
    clock: Clock | None = None,
    listener: tuple[Callable[[JobEvent], None], int] | None = None,
) -> BackgroundScheduler:
    """Install the job context, bring the stored jobs in line with the table, and start firing."""
    install(JobContext(engine=engine, settings=settings, clock=clock or SystemClock()))
    scheduler = build_scheduler(engine, settings)
    if listener is not None:
        scheduler.add_listener(*listener)
    scheduler.start(paused=True)
    sync_jobs(scheduler, job_table(settings))
    scheduler.resume()
    logger.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
    return scheduler


def planned_runs(engine: Engine, settings: ScheduleSettings, now: datetime) -> list[tuple[JobSpec, datetime | None]]:
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
