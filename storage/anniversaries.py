"""Indexed lookups of political birthdays (入党 anniversaries) and 党龄 milestones (docs/domain-rules.md §A3).

Every query goes through ``ix_member_join_md`` (join_month, join_day): the daily
scan touches only the day's rows, never the whole roster.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from storage.models import Member, MemberStatus


class Celebrant(NamedTuple):
    """The few columns a greeting needs; plain rows keep the daily scan cheap (no ORM objects)."""

    id: int
    name: str
    org_id: int
    joined_on: date
    full_on: date | None


_COLUMNS = (col(Member.id), col(Member.name), col(Member.org_id), col(Member.joined_on), col(Member.full_on))


def _rows(session: Session, query: Any) -> list[Celebrant]:
    return [Celebrant(*row) for row in session.execute(query)]


def month_days_celebrated_on(day: date) -> list[tuple[int, int]]:
    """(month, day) pairs whose anniversary falls on ``day`` (29 February on 28 February in common years)."""
    pairs = [(day.month, day.day)]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        pairs.append((2, 29))
    return pairs


def _celebrating(session: Session, pairs: Iterable[tuple[int, int]], year: int) -> list[Celebrant]:
    match = or_(*(and_(col(Member.join_month) == m, col(Member.join_day) == d) for m, d in pairs))
    query = sa_select(*_COLUMNS).where(
        match,
        col(Member.status) != MemberStatus.TRANSFERRED_OUT,
        col(Member.joined_on) < date(year, 1, 1),  # at least the first anniversary
    )
    return _rows(session, query.order_by(col(Member.org_id), col(Member.joined_on), col(Member.id)))


def celebrating_on(session: Session, day: date) -> list[Celebrant]:
    """Members whose political birthday is ``day``, grouped by branch."""
    return _celebrating(session, month_days_celebrated_on(day), day.year)


def celebrating_between(session: Session, start: date, days: int) -> list[Celebrant]:
    """Political birthdays in the ``days`` days from ``start`` (a look-ahead for digests)."""
    pairs = {p for n in range(days) for p in month_days_celebrated_on(start + timedelta(days=n))}
    return _celebrating(session, sorted(pairs), start.year)


def celebrating_in_month(session: Session, year: int, month: int) -> list[Celebrant]:
    query = sa_select(*_COLUMNS).where(
        col(Member.join_month) == month,
        col(Member.status) != MemberStatus.TRANSFERRED_OUT,
        col(Member.joined_on) < date(year, 1, 1),
    )
    return _rows(session, query.order_by(col(Member.org_id), col(Member.join_day), col(Member.id)))


def reaching_standing(session: Session, *, years: int, since: date, until: date) -> list[Celebrant]:
    """Members whose 党龄 (from 转正日期) reaches ``years`` in (since, until]; a yearly query."""
    query = sa_select(*_COLUMNS).where(
        col(Member.status) != MemberStatus.TRANSFERRED_OUT,
        col(Member.full_on) > _minus_years(since, years),
        col(Member.full_on) <= _minus_years(until, years),
    )
    return _rows(session, query.order_by(col(Member.org_id), col(Member.full_on), col(Member.id)))


def _minus_years(day: date, years: int) -> date:
    year = day.year - years
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))
