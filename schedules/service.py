"""The scheduler as a background service of ``zhibu serve``: it runs only while this process leads.

On SQLite the single process always leads; on PostgreSQL the advisory lock of
schedules/leader.py lets exactly one of several processes fire the jobs.
"""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from bot.core.clock import Clock
from schedules.context import JobObserver
from schedules.leader import LeaderElection
from schedules.scheduler import start_scheduler
from schedules.settings import ScheduleSettings

logger = logging.getLogger(__name__)


class SchedulerService:
    def __init__(
        self, engine: Engine, settings: ScheduleSettings, clock: Clock, *, observe: JobObserver | None = None
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.observe = observe
        self.scheduler: BackgroundScheduler | None = None
        self.election = LeaderElection(engine, on_elected=self._lead, on_deposed=self._step_down)

    def _lead(self) -> None:
        self.scheduler = start_scheduler(self.engine, self.settings, clock=self.clock, observe=self.observe)

    def _step_down(self) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)
            logger.info("scheduler stopped")

    async def start(self) -> None:
        self.election.step()  # on SQLite this starts the scheduler before the app takes traffic
        self.election.start()

    async def stop(self) -> None:
        await asyncio.to_thread(self.election.stop)
