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

    def release_before(self, moment: datetime, deadline: datetime) -> datetime | None:
        """Like ``release``, for a message that is useless from ``deadline`` on: rather now than too late."""
        release = self.release(moment)
        return release if release is not None and release < deadline else None

    def began(self, moment: datetime) -> datetime:
        """When the quiet period holding ``moment`` began (``moment`` must be quiet)."""
        local = moment.astimezone(SHANGHAI)
        day = local.date() if local.time() >= self.start else local.date() - timedelta(days=1)
        return datetime.combine(day, self.start, tzinfo=SHANGHAI)

    def ahead_of(self, fire: datetime, deadline: datetime, *, margin: timedelta) -> datetime:
        """When a message meant for ``fire`` should be sent so that it still comes before ``deadline``.

        ``fire`` itself, unless quiet hours would hold it until ``deadline`` or later (a 07:25
        meeting's one-hour reminder): then ``margin`` before those quiet hours begin, the evening before.
        """
        release = self.release(fire)
        if release is None or release < deadline:
            return fire
        return self.began(fire) - margin
