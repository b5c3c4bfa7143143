"""An injectable clock so schedules and tests agree on "now" without sleeping."""

from __future__ import annotations

from datetime import datetime
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
