"""Recurring meeting plans of a branch (主题党日 monthly, 党课 quarterly…); the caller commits."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from storage.models import MeetingKind, MeetingPlan, Organization


def add_plan(
    session: Session,
    *,
    org_id: int,
    kind: str,
    day: str,
    months: str = "*",
    at: str = "14:30",
    place: str = "",
    topic: str = "",
    lead_days: int = 21,
) -> MeetingPlan:
    """``day``/``months`` in cron syntax (day="1st fri", months="1,4,7,10"), checked by the job's trigger."""
    MeetingKind(kind)
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", at):
        raise ValueError(f"time {at!r}: use HH:MM")
    plan = MeetingPlan(
        org_id=org_id, kind=kind, day=day, months=months, at=at, place=place, topic=topic, lead_days=lead_days
    )
    session.add(plan)
    session.flush()
    return plan


def active_plans(session: Session) -> list[MeetingPlan]:
    return list(
        session.exec(
            select(MeetingPlan).where(col(MeetingPlan.active).is_(True)).order_by(col(MeetingPlan.id))
        )
    )


def active_plans_by_org(session: Session) -> list[tuple[MeetingPlan, str]]:
    """Every active plan with its organization's name, for people who know branches by name, not id."""
    query = (
        select(MeetingPlan, Organization.name)
        .join(Organization, col(Organization.id) == col(MeetingPlan.org_id))
        .where(MeetingPlan.active == True)  # noqa: E712
        .order_by(col(MeetingPlan.id))
    )
    return [(plan, name) for plan, name in session.exec(query)]
