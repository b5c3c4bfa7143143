"""An injectable clock so schedules and tests agree on "now" without sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in the configured zone."""
        ...


class SystemClock:
    """Wall-clock time in the bot's time zone (Asia/Shanghai by default)."""

    def __init__(self, tz: ZoneInfo = SHANGHAI) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class ShiftedClock:
    """Wall-clock time moved forward on request: the demo's fast-forward.

    Never behind the wall clock, so rows the outbox stamps with the real time are always due.
    """

    def __init__(self, tz: ZoneInfo = SHANGHAI) -> None:
        self.tz = tz
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(self.tz) + self.offset

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment``, from where time runs on; a moment already past changes nothing."""
        self.offset = max(self.offset, moment - datetime.now(self.tz))
        return self.now()
