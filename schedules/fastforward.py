"""Fast-forward: what a running scheduler would have fired between two moments, fired now, in time order.

``zhibu demo`` uses it to show a day's messages in a minute. Fire times come from each job's own
trigger, and each run is the function APScheduler itself calls (``JobSpec.ref``) under a clock set to
the fire time, so the daily jobs' records, quiet hours and dedupe keys behave as on a server. Fire times
already past are coalesced into one run per job at the present, as APScheduler does after a pause.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Protocol

from apscheduler.util import ref_to_obj
from sqlalchemy import Engine

from bot.core.clock import Clock
from schedules.context import JobContext, install
from schedules.jobs import JobSpec, job_table
from schedules.settings import ScheduleSettings

_TICK = timedelta(microseconds=1)  # cron triggers round up to the next whole second


class SettableClock(Clock, Protocol):
    def set(self, moment: datetime) -> datetime:
        """Move to ``moment``, never backwards."""
        ...


def fire_times(spec: JobSpec, after: datetime, until: datetime) -> list[datetime]:
    """The fire times of ``spec`` in (after, until]."""
    times: list[datetime] = []
    moment = spec.trigger.get_next_fire_time(None, after + _TICK)
    while moment is not None and moment <= until:
        times.append(moment)
        moment = spec.trigger.get_next_fire_time(moment, moment + _TICK)
    return times


def due_between(
    table: tuple[JobSpec, ...], after: datetime, until: datetime
) -> list[tuple[datetime, list[JobSpec]]]:
    """Every fire time in (after, until], earliest first, with the jobs due then in table order."""
    due: dict[datetime, list[JobSpec]] = defaultdict(list)
    for spec in table:
        for moment in fire_times(spec, after, until):
            due[moment].append(spec)
    return sorted(due.items(), key=lambda item: item[0])


def fast_forward(
    engine: Engine, settings: ScheduleSettings, clock: SettableClock, *, after: datetime, until: datetime
) -> Iterator[tuple[datetime, int]]:
    """Run the jobs due in (after, until], moving ``clock`` to each fire time still ahead of it.

    Yields (moment, deliveries queued) after each moment's runs, so the caller can deliver them
    before time moves on; the clock ends at ``until`` or later.
    """
    install(JobContext(engine=engine, settings=settings, clock=clock))
    now, table = clock.now(), job_table(settings)
    schedule = due_between(table, after, until)
    missed = {spec.id for moment, specs in schedule if moment <= now for spec in specs}
    if missed:
        yield now, _run([spec for spec in table if spec.id in missed])
    for moment, specs in schedule:
        if moment > now:
            clock.set(moment)
            yield moment, _run(specs)
    if until > clock.now():
        clock.set(until)


def _run(specs: list[JobSpec]) -> int:
    """Each job as the scheduler runs it: by reference, with its errors logged and swallowed."""
    return sum(int(ref_to_obj(spec.ref)() or 0) for spec in specs)
