"""What a scheduled job runs against: the engine, the settings and the clock of the running process.

APScheduler stores jobs by textual reference ("schedules.birthdays:job"), so the
job function cannot carry objects; ``start_scheduler`` installs this context first.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from bot.core.clock import Clock
from bot.core.errors import ZhibuError
from schedules.settings import ScheduleSettings
from storage.db import session_scope

logger = logging.getLogger(__name__)

RunFn = Callable[..., int]
# told after every scheduled run: job id, whether it failed, seconds taken (bot/metrics.py counts them)
JobObserver = Callable[[str, bool, float], None]


@dataclass(frozen=True, slots=True)
class JobContext:
    engine: Engine
    settings: ScheduleSettings
    clock: Clock
    observe: JobObserver | None = None


class NoJobContext(ZhibuError):
    """A job fired in a process that never installed a context (a scheduler started by hand)."""


_current: list[JobContext] = []


def install(context: JobContext) -> None:
    _current[:] = [context]


def current() -> JobContext:
    if not _current:
        raise NoJobContext(
            "scheduler context not installed; start it with schedules.scheduler.start_scheduler"
        )
    return _current[0]


def run_now(run: RunFn, context: JobContext) -> int:
    """One transaction around one run: its deliveries and its high-water mark commit together."""
    with session_scope(context.engine) as session:
        return run(context.clock.now(), session=session, settings=context.settings)


def run_job(name: str, run: RunFn) -> int:
    """The body of every ``job()``: log and swallow errors so one bad run never stops the scheduler."""
    started = time.monotonic()
    try:
        queued = run_now(run, current())
    except Exception:
        logger.exception("job failed job=%s", name)
        _observed(name, True, started)
        return 0
    _observed(name, False, started)
    logger.info("job done job=%s queued=%d", name, queued)
    return queued


def _observed(name: str, failed: bool, started: float) -> None:
    observe = _current[0].observe if _current else None
    if observe is not None:
        observe(name, failed, time.monotonic() - started)
