"""The daily compliance job: on working days only (调休 aware), nudge secretaries about what is overdue."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from handlers import nudges
from schedules.context import run_job
from schedules.daily import run_daily
from schedules.settings import ComplianceSettings, ScheduleSettings
from schedules.workdays import is_working_day
from storage import audience

JOB_ID = "compliance"


def next_life_deadline(cfg: ComplianceSettings, day: date) -> date:
    this_year = cfg.life_deadline(day.year)
    return this_year if this_year >= day else cfg.life_deadline(day.year + 1)


def last_life_deadline(cfg: ComplianceSettings, day: date) -> date:
    this_year = cfg.life_deadline(day.year)
    return this_year if this_year < day else cfg.life_deadline(day.year - 1)


def run(now: datetime, *, session: Session, settings: ScheduleSettings | None = None) -> int:
    cfg = settings or ScheduleSettings()
    rules = cfg.compliance

    def one_day(day: date) -> int:
        if not is_working_day(day):
            return 0
        quarter_start, _ = nudges.quarter_of(day)
        deadline, passed = next_life_deadline(rules, day), last_life_deadline(rules, day)
        probationers = audience.probationers_by_branch(session)
        queued = 0
        for branch in audience.all_branches(session):
            if day.day >= rules.monthly_by_day:
                queued += nudges.monthly_meetings(session, branch=branch, now=now, quiet=cfg.quiet)
            if day.month == quarter_start.month + 2:
                queued += nudges.quarterly_meetings(session, branch=branch, day=day, now=now, quiet=cfg.quiet)
            if (deadline - day).days <= rules.life_meeting_warn_days:
                queued += nudges.annual_meetings(
                    session, branch=branch, deadline=deadline, now=now, quiet=cfg.quiet
                )
            if (day - passed).days <= rules.life_meeting_warn_days:
                queued += nudges.annual_meetings(
                    session, branch=branch, deadline=passed, now=now, quiet=cfg.quiet, overdue=True
                )
            queued += nudges.probation(
                session,
                branch=branch,
                members=probationers.get(branch.id or 0, []),
                day=day,
                warn_days=rules.probation_warn_days,
                now=now,
                quiet=cfg.quiet,
            )
        return queued

    return run_daily(
        session, job_id=JOB_ID, now=now, at=rules.at, catch_up_days=cfg.catch_up_days, per_day=one_day
    )


def job() -> int:
    return run_job(JOB_ID, run)
