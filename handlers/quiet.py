"""Quiet hours: member-facing messages wait until morning instead of buzzing at night (never dropped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.clock import SHANGHAI


@dataclass(frozen=True, slots=True)
class QuietHours:
    """[start, end) in Asia/Shanghai, possibly across midnight; start == end means no quiet hours."""

    start: time = time(22, 0)
    end: time = time(8, 0)

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(SHANGHAI).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, moment: datetime) -> datetime | None:
        """When a message due at ``moment`` may go out: None for now, else the end of the quiet period."""
        if not self.contains(moment):
            return None
        local = moment.astimezone(SHANGHAI)
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=SHANGHAI)


NO_QUIET = QuietHours(time(0, 0), time(0, 0))
