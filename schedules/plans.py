"""Make meetings from recurring plans ahead of time; idempotent through ``Meeting.plan_key``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from bot.core.clock import SHANGHAI
from schedules.context import run_job
from schedules.daily import last_due_day
from schedules.settings import ScheduleSettings
from storage.jobruns import mark_covered
from storage.meetings import by_plan_key, create_meeting
from storage.models import Meeting, MeetingPlan
from storage.plans import active_plans

JOB_ID = "meeting_plans"


_ORDINALS = {
    "一": "1st",
    "二": "2nd",
    "三": "3rd",
    "四": "4th",
    "五": "5th",
    "1": "1st",
    "2": "2nd",
    "3": "3rd",
    "4": "4th",
    "5": "5th",
    "最后": "last",
}
_WEEKDAYS = {
    "一": "mon",
    "二": "tue",
    "三": "wed",
    "四": "thu",
    "五": "fri",
    "六": "sat",
    "日": "sun",
    "天": "sun",
}


def day_spec(text: str) -> str:
    """ "每月第一个周五" → "1st fri", "最后一个周五" → "last fri", "20日" → "20"; cron forms pass through."""
    t = text.strip().removeprefix("每月").replace("星期", "周").replace("礼拜", "周")
    if m := re.fullmatch(r"(?:第)?([一二三四五12345]|最后)个?周([一二三四五六日天])", t):
        return f"{_ORDINALS[m.group(1)]} {_WEEKDAYS[m.group(2)]}"
    if m := re.fullmatch(r"(\d{1,2})[日号]", t):
        return m.group(1)
    return t


_DAY_NAMES = {
    "1st": "第一个",
    "2nd": "第二个",
    "3rd": "第三个",
    "4th": "第四个",
    "5th": "第五个",
    "last": "最后一个",
}
_WEEKDAY_NAMES = {v: k for k, v in _WEEKDAYS.items() if k != "天"}
_EVER = datetime(2000, 1, 1, tzinfo=SHANGHAI)  # a day that occurs in no year from here on never occurs


def describe(plan: MeetingPlan) -> str:
    """ "每月第一个周五 14:30", "1、4、7、10月20日 09:00": the plan's dates as a secretary would say them."""
    months = "每月" if plan.months.strip() == "*" else "、".join(plan.months.split(",")) + "月"
    day = plan.day.strip()
    if m := re.fullmatch(r"(1st|2nd|3rd|4th|5th|last) (mon|tue|wed|thu|fri|sat|sun)", day):
        day = f"{_DAY_NAMES[m.group(1)]}周{_WEEKDAY_NAMES[m.group(2)]}"
    elif day.isdigit():
        day = f"{day}日"
    elif day == "last":
        day = "最后一天"
    return f"{months}{day} {plan.at}"


def check_plan(plan: MeetingPlan) -> None:
    """ValueError with a bilingual message naming the field when the plan's dates cannot be computed.

    APScheduler's own messages ("Unrecognized expression ... for field "day"") mean nothing to a secretary.
    """
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", plan.at):
        raise ValueError(f"时间“{plan.at}”看不懂，请写成 14:30 这样 / time {plan.at!r}: use HH:MM")
    fields = (
        (
            {"day": plan.day},
            f"日期“{plan.day}”看不懂，可以写 每月第一个周五、最后一个周五、20日 / "
            f"day {plan.day!r} not understood: use e.g. '1st fri', 'last fri', '20', 'last'",
        ),
        (
            {"month": plan.months},
            f"月份“{plan.months}”看不懂，每月写 *，每季度写 1,4,7,10 / "
            f"months {plan.months!r} not understood: use '*' or e.g. '1,4,7,10'",
        ),
    )
    for field, message in fields:
        try:
            CronTrigger(timezone=SHANGHAI, **field)
        except ValueError as exc:
            raise ValueError(message) from exc
    if plan_trigger(plan).get_next_fire_time(None, _EVER) is None:
        raise ValueError(f"{describe(plan)}：没有这一天 / {plan.day!r} never falls in months {plan.months!r}")


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


def create_due(session: Session, plan: MeetingPlan, now: datetime) -> list[Meeting]:
    """The plan's meetings starting within its lead days that do not exist yet, created now."""
    created = []
    for moment in occurrences(plan, now, now + timedelta(days=plan.lead_days)):
        key = f"plan:{plan.id}:{moment:%Y%m%d}"
        if by_plan_key(session, key) is None:
            created.append(
                create_meeting(
                    session,
                    org_id=plan.org_id,
                    kind=plan.kind,
                    starts_at=moment,
                    place=plan.place,
                    topic=plan.topic,
                    plan_key=key,
                )
            )
    return created


def later(plan: MeetingPlan, now: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` dates beyond the lead days: the daily job creates each as it comes within them."""
    start = now + timedelta(days=plan.lead_days)
    return list(islice(occurrences(plan, start, start + timedelta(days=366 * 5)), count))


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    """Meetings created (not deliveries: their reminders follow from the reminder job)."""
    cfg = settings or ScheduleSettings()
    created = sum(len(create_due(session, plan, now)) for plan in active_plans(session))
    mark_covered(session, job_id=JOB_ID, day=last_due_day(now, cfg.plans_at), now=now)  # done, for a catch-up
    return created


def job() -> int:
    return run_job(JOB_ID, run)
