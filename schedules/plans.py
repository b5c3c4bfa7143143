"""Make meetings from recurring plans ahead of time; idempotent through ``Meeting.plan_key``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from schedules.context import run_job
from schedules.daily import last_due_day
from schedules.settings import ScheduleSettings
from storage.jobruns import mark_covered
from storage.meetings import by_plan_key, create_meeting
from storage.models import MeetingPlan
from storage.plans import active_plans

JOB_ID = "meeting_plans"


_ORDINALS = {"一": "1st", "二": "2nd", "三": "3rd", "四": "4th", "五": "5th", "1": "1st", "2": "2nd", "3": "3rd",
             "4": "4th", "5": "5th", "最后": "last"}
_WEEKDAYS = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun"}


def day_spec(text: str) -> str:
    """"每月第一个周五" → "1st fri", "最后一个周五" → "last fri", "20日" / "20号" → "20"; cron forms pass through."""
    t = text.strip().removeprefix("每月").replace("星期", "周").replace("礼拜", "周")
    if m := re.fullmatch(r"(?:第)?([一二三四五12345]|最后)个?周([一二三四五六日天])", t):
        return f"{_ORDINALS[m.group(1)]} {_WEEKDAYS[m.group(2)]}"
    if m := re.fullmatch(r"(\d{1,2})[日号]", t):
        return m.group(1)
    return t


def check_plan(plan: MeetingPlan) -> None:
    """ValueError, naming the field, when the plan's dates cannot be computed."""
    try:
        plan_trigger(plan)
    except ValueError as exc:
        raise ValueError(f"day={plan.day!r} months={plan.months!r} at={plan.at!r}: {exc}") from exc


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
    cfg = settings or ScheduleSettings()
    created = 0
    for plan in active_plans(session):
        for moment in occurrences(plan, now, now + timedelta(days=plan.lead_days)):
            key = f"plan:{plan.id}:{moment:%Y%m%d}"
            if by_plan_key(session, key) is None:
                create_meeting(session, org_id=plan.org_id, kind=plan.kind, starts_at=moment, place=plan.place,
                               topic=plan.topic, plan_key=key)
                created += 1
    mark_covered(session, job_id=JOB_ID, day=last_due_day(now, cfg.plans_at), now=now)  # done, for a catch-up
    return created


def job() -> int:
    return run_job(JOB_ID, run)
