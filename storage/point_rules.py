"""The district's points rules (zhibu.toml [points]); bot/settings.py builds them, handlers only read them.

Defaults are an example of local practice, not a national standard: each district sets its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from storage.models import AttendanceStatus


@dataclass(frozen=True, slots=True)
class PointsRules:
    report: int = 5  # 报到 to a community, once per community
    present: int = 2  # attended a 三会一课 / 主题党日 meeting
    leave: int = 0  # 请假
    absent: int = -2  # unexcused absence
    wish: int = 3  # per confirmed 微心愿, to each member who finished it
    members_see_ranking: bool = False  # rankings are for secretaries unless the district turns this on
    wish_remind_before: timedelta = timedelta(hours=24)  # deadline reminder to claimants / poster

    def for_attendance(self, status: str) -> int:
        return {
            AttendanceStatus.PRESENT: self.present,
            AttendanceStatus.LEAVE: self.leave,
            AttendanceStatus.ABSENT: self.absent,
        }.get(AttendanceStatus(status), 0)

    @property
    def attendance_statuses(self) -> tuple[str, ...]:
        """Statuses that earn or cost points; a rule of 0 writes no entry."""
        return tuple(s for s in AttendanceStatus if self.for_attendance(s) != 0)
