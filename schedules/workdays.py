"""Working days in mainland China, 调休 included, from the maintained ``chinese_calendar`` package.

The package only knows years up to its release; for a later year we fall back to
Monday-Friday and warn once, so nudges keep coming rather than stopping silently.
"""

from __future__ import annotations

import logging
from datetime import date

import chinese_calendar

logger = logging.getLogger(__name__)
_warned: set[int] = set()


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned:
            _warned.add(day.year)
            logger.warning(
                "holiday calendar has no data for %d; treating Monday-Friday as working days "
                "(upgrade chinese-calendar)",
                day.year,
            )
        return day.weekday() < 5
