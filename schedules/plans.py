"""Make meetings from recurring plans ahead of time; idempotent through ``Meeting.plan_key``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from schedules.context import run_job
from schedules.settings import ScheduleSettings
from storage.meetings import by_plan_key, create_meeting
from storage.models import MeetingPlan
from storage.plans import active_plans

JOB_ID = "meeting_plans"


def plan_trigger(plan: MeetingPlan) -> CronTrigger:
    """The plan's dates as a cron trigger; ValueError for a malformed day or months field."""
    hour, minute = (int(x) for x in plan.at.split(":"))
    return CronTrigger(month=plan.months, day=plan.day, hour=hour, minute=minute, timezone=SHANGHAI)


def occurrences(plan: MeetingPlan, start: datetime, end: datetime) -> Iterator[datetime]:
    trigger = plan_trigger(plan)
    moment = trigger.get_next_fire_time(None, start)
    while moment is not None and moment < end:
        yield moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    """Meetings created (not deliveries: their reminders follow from the reminder job)."""
    created = 0
    for plan in active_plans(session):
        for moment in occurrences(plan, now, now + timedelta(days=plan.lead_days)):
            key = f"plan:{plan.id}:{moment:%Y%m%d}"
            if by_plan_key(session, key) is None:
                create_meeting(session, org_id=plan.org_id, kind=plan.kind, starts_at=moment, place=plan.place,
                               topic=plan.topic, plan_key=key)
                created += 1
    return created


def job() -> int:
    return run_job(JOB_ID, run)
