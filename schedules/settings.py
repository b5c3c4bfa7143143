"""Typed settings of every schedule; bot/settings.py builds them from configuration.

Defaults follow the issue: guide on the 1st at 09:00, reminders the day before at
09:00 and one hour before, quiet hours 22:00-08:00, a three-day catch-up window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.core.clock import SHANGHAI
from handlers.quiet import QuietHours
from storage.point_rules import PointsRules


@dataclass(frozen=True, slots=True)
class ReminderOffset:
    """Either "N days before at HH:MM" or "a fixed time before the start"."""

    name: str  # stable, part of the dedupe key: "1d@0900", "1h", "30m"
    days_before: int | None = None
    at: time | None = None
    before: timedelta | None = None

    def fire_time(self, starts_at: datetime) -> datetime:
        if self.before is not None:
            return starts_at - self.before
        local = starts_at.astimezone(SHANGHAI)
        day = local.date() - timedelta(days=self.days_before or 0)
        return datetime.combine(day, self.at or time(9, 0), tzinfo=SHANGHAI)

    @classmethod
    def parse(cls, spec: str) -> ReminderOffset:
        """ "1d@09:00" (the day before at 9), "1h", "90m"; ValueError names the bad spec."""
        text = spec.strip().lower()
        if m := re.fullmatch(r"(\d+)d@(\d{1,2}):(\d{2})", text):
            days, hour, minute = (int(g) for g in m.groups())
            return cls(f"{days}d@{hour:02d}{minute:02d}", days_before=days, at=time(hour, minute))
        if m := re.fullmatch(r"(\d+)([hm])", text):
            amount, unit = int(m.group(1)), m.group(2)
            delta = timedelta(hours=amount) if unit == "h" else timedelta(minutes=amount)
            return cls(f"{amount}{unit}", before=delta)
        raise ValueError(f"reminder offset {spec!r}: use forms like '1d@09:00', '1h' or '30m'")


DEFAULT_OFFSETS = (ReminderOffset.parse("1d@09:00"), ReminderOffset.parse("1h"))


@dataclass(frozen=True, slots=True)
class ComplianceSettings:
    """When secretaries are nudged (docs/domain-rules.md §A1, §A4, §A9)."""

    at: time = time(9, 30)
    monthly_by_day: int = 20  # 支委会 / 党小组会 held this month by the 20th
    life_meeting_deadline: tuple[int, int] = (
        12,
        31,
    )  # 组织生活会 + 民主评议 by this month/day (一般第四季度)
    life_meeting_warn_days: int = 30
    probation_warn_days: int = 30

    def life_deadline(self, year: int) -> date:
        month, day = self.life_meeting_deadline
        return date(year, month, day)


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    catch_up_days: int = 3  # work due while the process was down runs once after restart, if this recent
    quiet: QuietHours = field(default_factory=QuietHours)
    guide_day: int = 1
    guide_at: time = time(9, 0)
    guide_every_minutes: int = 5  # a guide published mid-month goes out within this
    birthdays_at: time = time(9, 0)
    # 光荣在党50年: checked before 七一 (docs/domain-rules.md §A3, §A9)
    glory_notice_on: tuple[int, int] = (6, 1)
    reminder_offsets: tuple[ReminderOffset, ...] = DEFAULT_OFFSETS
    reminder_every_minutes: int = 5
    reminder_every_seconds: int | None = None  # finer than a minute, instead of the minutes
    plans_at: time = time(6, 0)
    compliance: ComplianceSettings = field(default_factory=ComplianceSettings)
    points: PointsRules = field(default_factory=PointsRules)
    wishes_every_minutes: int = 5  # 微心愿 deadline reminders and expiry
    points_at: time = time(3, 30)  # attendance into the points ledger, daily

    @property
    def catch_up(self) -> timedelta:
        return timedelta(days=self.catch_up_days)
