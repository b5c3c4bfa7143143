"""The real APScheduler with its job store in our database: jobs persist, a missed run fires once."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from bot.settings import Settings
from schedules.jobs import find, job_table
from schedules.scheduler import JOBSTORE_TABLE, planned_runs, start_scheduler
from schedules.settings import ScheduleSettings
from storage.db import make_engine
from storage.models import JobRun
from tests.fakes.clock import FakeClock

SETTINGS = ScheduleSettings()


def _pretend_missed(engine: Engine, job_id: str, when: datetime) -> None:
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    store.start(BackgroundScheduler(timezone=SHANGHAI), "default")
    job = store.lookup_job(job_id)
    assert job is not None
    job.next_run_time = when
    store.update_job(job)
    store.shutdown()


def test_jobs_persist_across_a_restart_and_a_missed_run_fires_once(db_url: str) -> None:
    first = make_engine(db_url)
    scheduler = start_scheduler(first, SETTINGS)
    assert {j.id for j in scheduler.get_jobs()} == {s.id for s in job_table(SETTINGS)}
    assert scheduler.get_job("birthdays").func_ref == "schedules.birthdays:job"
    scheduler.shutdown(wait=True)
    _pretend_missed(first, "birthdays", datetime.now(SHANGHAI) - timedelta(hours=5))  # down when it was due
    first.dispose()

    second = make_engine(db_url)  # a new process, a new job store on the same database
    ran: list[str] = []
    done = threading.Event()

    def seen(event: JobExecutionEvent) -> None:
        ran.append(event.job_id)
        if event.job_id == "birthdays":
            done.set()

    clock = FakeClock(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))

    again = start_scheduler(second, SETTINGS, clock=clock, listener=(seen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR))
    try:
        assert done.wait(timeout=20), "the missed run never fired"
        nxt = again.get_job("birthdays").next_run_time
        assert nxt > datetime.now(SHANGHAI)
    finally:
        again.shutdown(wait=True)
    assert ran.count("birthdays") == 1
    with Session(second) as session:
        run = session.get(JobRun, "birthdays")
        assert run is not None and run.last_day == date(2026, 11, 23)
    second.dispose()


def test_jobs_list_shows_every_job_with_a_next_run(engine: Engine) -> None:
    now = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
    rows = {spec.id: nxt for spec, nxt in planned_runs(engine, SETTINGS, now)}
    assert rows["birthdays"] == datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    assert rows["meeting_reminders"] == datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)  # due now counts
    assert set(rows) == {"guides", "birthdays", "meeting_reminders", "meeting_plans", "compliance"}


def test_reminders_can_be_looked_for_every_few_seconds_instead_of_minutes() -> None:
    spec = find(Settings(schedules={"reminder_every_seconds": 10}).schedules.to_settings(), "meeting_reminders")
    assert spec is not None
    first = spec.trigger.get_next_fire_time(None, datetime(2026, 11, 23, 9, 0, 1, tzinfo=SHANGHAI))
    assert first == datetime(2026, 11, 23, 9, 0, 10, tzinfo=SHANGHAI)
    assert spec.trigger.get_next_fire_time(first, first + timedelta(seconds=1)) == first + timedelta(seconds=10)
    with pytest.raises(ValidationError, match="reminder_every_seconds"):
        Settings(schedules={"reminder_every_seconds": 1})


def test_days_of_missed_runs_coalesce_into_one_run_that_covers_the_missed_days(db_url: str) -> None:
    first = make_engine(db_url)
    start_scheduler(first, SETTINGS).shutdown(wait=True)
    _pretend_missed(first, "compliance", datetime.now(SHANGHAI) - timedelta(days=4, hours=1))  # four fire times
    with Session(first) as session:
        session.add(JobRun(job_id="compliance", last_day=date(2026, 11, 17)))
        session.commit()
    first.dispose()
    second = make_engine(db_url)
    outcome: list[int] = []
    done = threading.Event()

    def seen(event: JobExecutionEvent) -> None:
        if event.job_id == "compliance":
            outcome.append(event.code)
            done.set()

    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    again = start_scheduler(second, SETTINGS, clock=clock, listener=(seen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED))
    try:
        assert done.wait(timeout=20)
    finally:
        again.shutdown(wait=True)
    assert outcome == [EVENT_JOB_EXECUTED]  # once, not four times
    with Session(second) as session:
        run = session.get(JobRun, "compliance")
        assert run is not None and run.last_day == date(2026, 11, 23)
    second.dispose()
