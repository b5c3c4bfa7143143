"""THE job table: every scheduled job, by stable id and textual reference, in one visible place.

APScheduler stores the reference ("schedules.birthdays:job"), not the function, so
jobs survive restarts and code reloads. Each module also has ``run(now, *, session)``
which tests and ``zhibu jobs run`` call directly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import time

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.core.clock import SHANGHAI
from schedules.context import RunFn
from schedules.settings import ScheduleSettings


@dataclass(frozen=True, slots=True)
class JobSpec:
    id: str
    module: str
    trigger: BaseTrigger
    description: str
    daily_at: time | None = None  # daily: records the days it covered, so a lost run is caught up

    @property
    def ref(self) -> str:
        return f"{self.module}:job"

    @property
    def run(self) -> RunFn:
        run: RunFn = importlib.import_module(self.module).run
        return run


def _daily(job_id: str, module: str, at: time, description: str) -> JobSpec:
    """At ``at`` to the second: firing at the whole minute before "09:00:30" would cover yesterday only."""
    second = {"second": at.second} if at.second else {}  # an unchanged trigger keeps its stored next run
    trigger = CronTrigger(hour=at.hour, minute=at.minute, timezone=SHANGHAI, **second)
    return JobSpec(job_id, module, trigger, description, daily_at=at)


def _every(minutes: int, seconds: int | None = None) -> CronTrigger:
    if seconds is not None:
        return CronTrigger(second=f"*/{seconds}", timezone=SHANGHAI)
    if minutes >= 60:
        return CronTrigger(minute=0, hour=f"*/{minutes // 60}", timezone=SHANGHAI)
    return CronTrigger(minute=f"*/{minutes}", timezone=SHANGHAI)


def job_table(settings: ScheduleSettings) -> tuple[JobSpec, ...]:
    s = settings
    reminders_every = _every(s.reminder_every_minutes, s.reminder_every_seconds)
    return (
        JobSpec(
            "guides",
            "schedules.guides",
            _every(s.guide_every_minutes),
            f"组织生活清单: day {s.guide_day} at {s.guide_at:%H:%M}, or as soon as published later",
        ),
        _daily(
            "birthdays",
            "schedules.birthdays",
            s.birthdays_at,
            "政治生日 greetings, monthly digest, 光荣在党50年 check",
        ),
        JobSpec(
            "meeting_reminders",
            "schedules.reminders",
            reminders_every,
            "三会一课 / 主题党日 reminders at " + ", ".join(o.name for o in s.reminder_offsets),
        ),
        _daily(
            "meeting_plans",
            "schedules.plans",
            s.plans_at,
            "create meetings from recurring plans ahead of time",
        ),
        _daily(
            "compliance",
            "schedules.compliance",
            s.compliance.at,
            "nudges to secretaries on working days (三会一课, 组织生活会, 预备期)",
        ),
        JobSpec(
            "wishes",
            "schedules.wishes",
            _every(s.wishes_every_minutes),
            "微心愿 deadline reminders and expiry",
        ),
        _daily(
            "points", "schedules.points", s.points_at, "attendance of the past year into the points ledger"
        ),
    )


def find(settings: ScheduleSettings, job_id: str) -> JobSpec | None:
    return next((spec for spec in job_table(settings) if spec.id == job_id), None)


# Daily jobs whose run for a day waits until that day's time ("09:00" for greetings); the settings
# under which today's run is due at once. meeting_plans is not here: it creates meetings whenever it runs.
_DUE_AT_ONCE: dict[str, Callable[[ScheduleSettings], ScheduleSettings]] = {
    "birthdays": lambda s: replace(s, birthdays_at=time(0, 0)),
    "compliance": lambda s: replace(s, compliance=replace(s.compliance, at=time(0, 0))),
}


def waits_for_its_time(spec: JobSpec) -> bool:
    """Whether a run before ``spec.daily_at`` leaves today's work for later."""
    return spec.id in _DUE_AT_ONCE


def due_at_once(settings: ScheduleSettings, spec: JobSpec) -> ScheduleSettings:
    """``settings`` under which today's run of ``spec`` is due already (``zhibu jobs run --now``).

    Only the time of day moves: the run still sees the real time, so quiet hours still hold its messages.
    """
    early = _DUE_AT_ONCE.get(spec.id)
    return early(settings) if early else settings
