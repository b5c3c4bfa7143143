"""The real APScheduler with its job store in our database: jobs persist, a missed or lost run fires once."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobExecutionEvent,
)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.core.clock import SHANGHAI
from bot.settings import Settings
from schedules import birthdays
from schedules.context import JobContext, run_now
from schedules.jobs import find, job_table
from schedules.scheduler import JOBSTORE_TABLE, planned_runs, start_scheduler
from schedules.settings import ScheduleSettings
from storage.db import make_engine, session_scope
from storage.models import Delivery, JobRun, MeetingKind
from storage.plans import add_plan
from tests.fakes.clock import FakeClock
from tests.schedules import world as demo

SETTINGS = ScheduleSettings()


def _store_next_run(engine: Engine, job_id: str, when: datetime) -> None:
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    store.start(BackgroundScheduler(timezone=SHANGHAI), "default")
    job = store.lookup_job(job_id)
    assert job is not None
    job.next_run_time = when
    store.update_job(job)
    store.shutdown()


def test_jobs_persist_across_a_restart_and_a_missed_run_fires_once(db_url: str) -> None:
    first = make_engine(db_url)
    installed = FakeClock(datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI))  # the day before
    scheduler = start_scheduler(first, SETTINGS, clock=installed)
    assert {j.id for j in scheduler.get_jobs()} == {s.id for s in job_table(SETTINGS)}
    assert scheduler.get_job("birthdays").func_ref == "schedules.birthdays:job"
    scheduler.shutdown(wait=True)
    _store_next_run(first, "birthdays", datetime.now(SHANGHAI) - timedelta(hours=5))  # down when it was due
    first.dispose()

    second = make_engine(db_url)  # a new process, a new job store on the same database
    ran: list[str] = []
    done = threading.Event()

    def seen(event: JobExecutionEvent) -> None:
        ran.append(event.job_id)
        if event.job_id == "birthdays":
            done.set()

    clock = FakeClock(datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI))

    again = start_scheduler(
        second, SETTINGS, clock=clock, listener=(seen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    )
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
    assert set(rows) == {
        "guides",
        "birthdays",
        "meeting_reminders",
        "meeting_plans",
        "compliance",
        "wishes",
        "points",
    }


def test_reminders_can_be_looked_for_every_few_seconds_instead_of_minutes() -> None:
    spec = find(
        Settings(schedules={"reminder_every_seconds": 10}).schedules.to_settings(), "meeting_reminders"
    )
    assert spec is not None
    first = spec.trigger.get_next_fire_time(None, datetime(2026, 11, 23, 9, 0, 1, tzinfo=SHANGHAI))
    assert first == datetime(2026, 11, 23, 9, 0, 10, tzinfo=SHANGHAI)
    assert spec.trigger.get_next_fire_time(first, first + timedelta(seconds=1)) == first + timedelta(
        seconds=10
    )
    with pytest.raises(ValidationError, match="reminder_every_seconds"):
        Settings(schedules={"reminder_every_seconds": 1})


def test_days_of_missed_runs_coalesce_into_one_run_that_covers_the_missed_days(db_url: str) -> None:
    first = make_engine(db_url)
    installed = FakeClock(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))
    start_scheduler(first, SETTINGS, clock=installed).shutdown(wait=True)
    _store_next_run(first, "compliance", datetime.now(SHANGHAI) - timedelta(days=4, hours=1))  # 4 fire times
    with Session(first) as session:
        run = session.get(JobRun, "compliance")
        assert run is not None and run.last_day == date(2026, 11, 17)  # installed then
    first.dispose()
    second = make_engine(db_url)
    outcome: list[int] = []
    done = threading.Event()

    def seen(event: JobExecutionEvent) -> None:
        if event.job_id == "compliance":
            outcome.append(event.code)
            done.set()

    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    again = start_scheduler(
        second, SETTINGS, clock=clock, listener=(seen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    )
    try:
        assert done.wait(timeout=20)
    finally:
        again.shutdown(wait=True)
    assert outcome == [EVENT_JOB_EXECUTED]  # once, not four times
    with Session(second) as session:
        run = session.get(JobRun, "compliance")
        assert run is not None and run.last_day == date(2026, 11, 23)
    second.dispose()


# 张党员 (demo world) joined on 1 December 2016: on 1 December 2026 at 09:00 her branch's chat and she herself
# are greeted. The scheduler decides by the wall clock; the jobs see the fake clock.
GREETING_DAY = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


def _greetings(engine: Engine) -> list[str]:
    with Session(engine) as session:
        query = select(Delivery.text).where(Delivery.kind == "birthday").order_by(Delivery.id)
        return list(session.exec(query))


def _start_and_stop(engine: Engine, clock: FakeClock) -> set[str]:
    """Start the scheduler as a new leader does, and stop it: the daily jobs it ran or left due to run now."""
    submitted: list[str] = []
    listener = (lambda event: submitted.append(event.job_id), EVENT_JOB_SUBMITTED)
    start_scheduler(engine, SETTINGS, clock=clock, listener=listener).shutdown(wait=True)
    now = datetime.now(SHANGHAI)  # due as `zhibu jobs list` shows it:
    due = {spec.id for spec, nxt in planned_runs(engine, SETTINGS, now) if nxt is None or nxt <= now}
    return (set(submitted) | due) & {spec.id for spec in job_table(SETTINGS) if spec.daily_at is not None}


def _install(engine: Engine, clock: FakeClock) -> tuple[demo.World, set[str]]:
    with session_scope(engine) as session:
        world = demo.build(session)
    return world, _start_and_stop(engine, clock)


def test_a_birthday_run_lost_with_a_killed_leader_greets_when_the_next_leader_starts_and_only_once(
    db_url: str,
) -> None:
    first = make_engine(db_url)
    clock = FakeClock(GREETING_DAY - timedelta(days=1))
    _install(first, clock)
    # What a leader killed while the 09:00 run was in progress leaves: APScheduler had already moved the
    # next run to tomorrow, and the run's transaction (greetings and days covered) never committed.
    spec = find(SETTINGS, "birthdays")
    assert spec is not None
    _store_next_run(first, "birthdays", spec.trigger.get_next_fire_time(None, datetime.now(SHANGHAI)))
    first.dispose()

    clock.set(GREETING_DAY + timedelta(seconds=40))  # the next leader takes over shortly after
    second = make_engine(db_url)
    done = threading.Event()

    def seen(event: JobExecutionEvent) -> None:
        if event.job_id == "birthdays":
            done.set()

    listener = (seen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    leader = start_scheduler(second, SETTINGS, clock=clock, listener=listener)  # a new leader, or a restart
    try:
        assert done.wait(timeout=20), "the lost run was not caught up"
    finally:
        leader.shutdown(wait=True)
    greeted = _greetings(second)
    group, private = greeted  # the branch's chat and 张党员 herself, on the day itself (not a day late)
    assert "今天是张党员同志的政治生日" in group and private.startswith("张党员同志：今天是您入党10周年")

    run_now(birthdays.run, JobContext(engine=second, settings=SETTINGS, clock=clock))  # the day's run, again
    clock.set(GREETING_DAY + timedelta(days=1))
    run_now(birthdays.run, JobContext(engine=second, settings=SETTINGS, clock=clock))  # and the next day's
    assert _greetings(second) == greeted, "each greeting once"
    second.dispose()


def test_a_fresh_install_after_the_greeting_time_sends_nothing_until_the_next_scheduled_run(
    engine: Engine,
) -> None:
    clock = FakeClock(GREETING_DAY + timedelta(hours=1))  # installed on 张党员's political birthday, at 10:00
    world, ran = _install(engine, clock)
    assert ran == set(), "nothing runs at install time"
    with session_scope(engine) as session:
        demo.add_member(session, world, "陈党员", branch=world.branch_a, joined=date(2010, 12, 2), bind=True)
    assert _greetings(engine) == []

    clock.set(GREETING_DAY + timedelta(days=1))  # the first scheduled run: 2 December at 09:00
    run_now(birthdays.run, JobContext(engine=engine, settings=SETTINGS, clock=clock))
    group, private = _greetings(engine)  # 陈党员's political birthday, not 张党员's of the install day
    assert "今天是陈党员同志的政治生日" in group and private.startswith("陈党员同志：今天是您")


def test_a_restart_after_the_days_runs_completed_runs_nothing_again(engine: Engine) -> None:
    clock = FakeClock(GREETING_DAY - timedelta(days=1))
    world, _ = _install(engine, clock)
    with session_scope(engine) as session:
        add_plan(session, org_id=world.branch_a.id or 0, kind=MeetingKind.COMMITTEE, day="10", at="09:00")
    clock.set(GREETING_DAY + timedelta(hours=1))  # every daily job has had its run today
    context = JobContext(engine=engine, settings=SETTINGS, clock=clock)
    for spec in job_table(SETTINGS):
        run_now(spec.run, context)
    assert _greetings(engine)

    assert _start_and_stop(engine, clock) == set()  # a restart, or a new leader


def test_a_scheduler_that_cannot_read_its_job_store_fails_without_leaving_a_thread_behind(
    engine: Engine,
) -> None:
    with engine.begin() as conn:  # a damaged store: the table is there, its columns are not
        conn.exec_driver_sql(f"CREATE TABLE {JOBSTORE_TABLE} (something_else INTEGER)")
    before = {t for t in threading.enumerate() if t.name == "APScheduler"}
    with pytest.raises(Exception):  # noqa: B017 - whatever APScheduler raises for a damaged store
        start_scheduler(engine, SETTINGS, clock=FakeClock(datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)))
    deadline = time.monotonic() + 5
    while (
        time.monotonic() < deadline and {t for t in threading.enumerate() if t.name == "APScheduler"} - before
    ):
        time.sleep(0.01)
    assert not {t for t in threading.enumerate() if t.name == "APScheduler"} - before
