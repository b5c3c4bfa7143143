"""`zhibu serve` runs the scheduler as a background service (the leader always, on SQLite)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, text

from bot.runtime import build_runtime
from bot.settings import Settings
from schedules.service import SchedulerService
from tests.fakes.clock import FakeClock


def test_the_runtime_starts_and_stops_the_scheduler(db_url: str, engine: Engine, clock: FakeClock) -> None:
    runtime = build_runtime(Settings(database_url=db_url), clock=clock, engine=engine)
    [service] = [s for s in runtime.services if isinstance(s, SchedulerService)]
    asyncio.run(service.start())
    try:
        assert service.scheduler is not None and service.scheduler.running
        with engine.connect() as conn:
            stored = set(conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars())
        assert stored == {
            "guides",
            "birthdays",
            "meeting_reminders",
            "meeting_plans",
            "compliance",
            "wishes",
            "points",
        }
    finally:
        asyncio.run(service.stop())
    assert service.scheduler is None


def test_a_webhook_only_process_has_no_scheduler(db_url: str, engine: Engine, clock: FakeClock) -> None:
    settings = Settings(database_url=db_url, schedules={"enabled": False})
    runtime = build_runtime(settings, clock=clock, engine=engine)
    assert not [s for s in runtime.services if isinstance(s, SchedulerService)]
