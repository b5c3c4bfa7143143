"""Party rules that define the data's invariants (see docs/domain-rules.md §A3, §A4).

Pure functions over dates; no database.
"""

from __future__ import annotations

import calendar
from datetime import date

PROBATION_YEARS = 1  # 预备期一年, from the day the 支部大会 admits (党章 第七条)
MAX_EXTENSION_YEARS = 1  # 延长预备期 at most one year
GLORY_YEARS = 50  # 光荣在党50年: 党龄 (from 转正日期) reaches 50


def anniversary_in(year: int, original: date) -> date:
    """The date an anniversary falls on in ``year``; 29 February moves to 28 February in common years."""
    if original.month == 2 and original.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return original.replace(year=year)


def whole_years(start: date, on: date) -> int:
    """Completed years from ``start`` to ``on`` (0 before the first anniversary)."""
    years = on.year - start.year
    if on < anniversary_in(on.year, start):
        years -= 1
    return max(years, 0)


def next_anniversary(original: date, today: date) -> date:
    """Today if it is the anniversary, else the next one."""
    this_year = anniversary_in(today.year, original)
    return this_year if this_year >= today else anniversary_in(today.year + 1, original)


def probation_end(joined_on: date) -> date:
    """The day the one-year 预备期 is complete; 转正 is discussed on or after it, never before."""
    return anniversary_in(joined_on.year + PROBATION_YEARS, joined_on)


APPROVAL_MONTHS = 3  # 上级党委 approves a 转正 within three months


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def usual_latest_full_date(joined_on: date) -> date:
    """An on-time 转正: one year of 预备期 plus the approval window."""
    return add_months(joined_on, 12 * PROBATION_YEARS + APPROVAL_MONTHS)


def latest_possible_full_date(joined_on: date) -> date:
    """Even with the longest 延长预备期, 转正 cannot come later than this."""
    return add_months(joined_on, 12 * (PROBATION_YEARS + MAX_EXTENSION_YEARS) + APPROVAL_MONTHS)


def party_standing(full_on: date | None, on: date) -> int | None:
    """党龄 in whole years, counted from 转正日期; None for a 预备党员."""
    if full_on is None or full_on > on:
        return None
    return whole_years(full_on, on)
