"""Configuration: ZHIBU_* environment variables, a .env file and an optional zhibu.toml.

Precedence, highest first: arguments, environment, .env, zhibu.toml, defaults.
Nothing is read at import time; call ``load_settings()``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.channels import registry
from handlers.quiet import QuietHours
from schedules.settings import ComplianceSettings, ReminderOffset, ScheduleSettings
from storage.point_rules import PointsRules

CONFIG_ENV = "ZHIBU_CONFIG"
DEFAULT_CONFIG = "zhibu.toml"


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))


def _hhmm(value: str) -> time:
    return time.fromisoformat(value.strip().zfill(5))


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: str | None) -> str | None:
    if value is None:
        return None
    if value.strip().upper() not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return value.strip().upper()


class LoggingConfig(BaseModel):
    """[logging] in zhibu.toml: what `zhibu serve` writes to stderr (bot/logs.py)."""

    level: str | None = None  # unset: the top-level log_level (ZHIBU_LOG_LEVEL), INFO by default
    format: Literal["text", "json"] = "text"  # json: one object per line, for journald / ELK

    _level = field_validator("level")(_log_level)


class WebConfig(BaseModel):
    """[web] in zhibu.toml: the web console under /console/ (bot/web/)."""

    # The address browsers reach the console at, e.g. https://zhibu.example.org; empty: public_url.
    # https makes the session cookie Secure.
    base_url: str = Field(default="", pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")
    idle_hours: float = Field(default=8, gt=0, le=24 * 30)  # a session unused this long has to log in again


class ScheduleConfig(BaseModel):
    """[schedules] in zhibu.toml: times are "HH:MM" (or "HH:MM:SS") in Asia/Shanghai."""

    enabled: bool = True  # false: this process serves webhooks only and never fires jobs
    catch_up_days: int = Field(default=3, ge=0, le=31)
    quiet_start: str = "22:00"
    quiet_end: str = "08:00"
    guide_day: int = Field(default=1, ge=1, le=28)
    guide_at: str = "09:00"
    birthdays_at: str = "09:00"
    reminder_offsets: list[str] = Field(default_factory=lambda: ["1d@09:00", "1h"])
    reminder_every_minutes: int = Field(default=5, ge=1, le=30)  # a reminder goes out at most this late
    # Finer than a minute, used instead of reminder_every_minutes (e.g. to watch reminders fire in a test).
    reminder_every_seconds: int | None = Field(default=None, ge=5, le=30)
    plans_at: str = "06:00"
    points_at: str = "03:30"  # attendance into the points ledger (see [points])
    compliance_at: str = "09:30"
    monthly_meetings_by_day: int = Field(default=20, ge=1, le=28)
    life_meeting_deadline: str = "12-31"  # MM-DD; many upper committees set 03-31 of the next year
    probation_warn_days: int = Field(default=30, ge=1, le=90)

    @field_validator(
        "quiet_start", "quiet_end", "guide_at", "birthdays_at", "plans_at", "points_at", "compliance_at"
    )
    @classmethod
    def _time(cls, value: str) -> str:
        _hhmm(value)  # ValueError names the bad value
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, value: list[str]) -> list[str]:
        for spec in value:
            ReminderOffset.parse(spec)
        return value

    @field_validator("life_meeting_deadline")
    @classmethod
    def _month_day(cls, value: str) -> str:
        month, day = (int(p) for p in value.split("-"))
        date(2001, month, day)  # a real day of a common year
        return value

    def to_settings(self) -> ScheduleSettings:
        month, day = (int(p) for p in self.life_meeting_deadline.split("-"))
        return ScheduleSettings(
            catch_up_days=self.catch_up_days,
            quiet=QuietHours(_hhmm(self.quiet_start), _hhmm(self.quiet_end)),
            guide_day=self.guide_day,
            guide_at=_hhmm(self.guide_at),
            birthdays_at=_hhmm(self.birthdays_at),
            reminder_offsets=tuple(ReminderOffset.parse(s) for s in self.reminder_offsets),
            reminder_every_minutes=self.reminder_every_minutes,
            reminder_every_seconds=self.reminder_every_seconds,
            plans_at=_hhmm(self.plans_at),
            points_at=_hhmm(self.points_at),
            compliance=ComplianceSettings(
                at=_hhmm(self.compliance_at),
                monthly_by_day=self.monthly_meetings_by_day,
                life_meeting_deadline=(month, day),
                probation_warn_days=self.probation_warn_days,
            ),
        )


class PointsConfig(BaseModel):
    """[points] in zhibu.toml: what each service event earns (a district's own rules; see README "Points")."""

    report: int = Field(default=5, ge=-100, le=100)  # 报到 to a community, once per community
    present: int = Field(default=2, ge=-100, le=100)  # attended a meeting
    leave: int = Field(default=0, ge=-100, le=100)  # 请假
    absent: int = Field(default=-2, ge=-100, le=100)  # unexcused absence
    wish: int = Field(default=3, ge=-100, le=100)  # per confirmed 微心愿
    members_see_ranking: bool = False  # ordinary members may ask 积分排名 for their branch
    wish_remind_hours: int = Field(default=24, ge=1, le=24 * 14)  # deadline reminder this long before

    def to_rules(self) -> PointsRules:
        return PointsRules(
            report=self.report,
            present=self.present,
            leave=self.leave,
            absent=self.absent,
            wish=self.wish,
            members_see_ranking=self.members_see_ranking,
            wish_remind_before=timedelta(hours=self.wish_remind_hours),
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ZHIBU_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Field(default=Path("."), description="where the SQLite file and caches live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in data_dir")
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"  # older name of [logging] level, still honoured
    logging: LoggingConfig = Field(default_factory=LoggingConfig)

    # Channel accounts: one [SECTION.NAME] table per account, SECTION a platform of bot/channels/registry.py
    # (also ZHIBU_SECTION__NAME__KEY). Kept raw here; the runtime validates each into its platform's model.
    channels: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)

    # The address people reach this server at, e.g. https://zhibu.example.org; used in calendar feed links.
    public_url: str = ""

    # Seconds a webhook waits for its handler before answering "success" and sending the reply later
    # (the platforms that take the answer in the response give up after 5 s: docs/platforms.md §0).
    reply_deadline: float = Field(default=4.5, gt=0, le=4.8)
    # How long a claimed delivery stays with its sender: when a process dies mid-send, the rows it
    # had claimed go to another process after this many seconds.
    sender_lease_seconds: int = Field(default=300, ge=5, le=3600)
    # /healthz answers 503 once a due delivery has waited longer than this (no sender is getting through).
    health_backlog_minutes: float = Field(default=15, gt=0)

    schedules: ScheduleConfig = Field(default_factory=ScheduleConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    points: PointsConfig = Field(default_factory=PointsConfig)

    def schedule_settings(self) -> ScheduleSettings:
        """What the jobs run with: [schedules], and the [points] rules the wish and points jobs apply."""
        return replace(self.schedules.to_settings(), points=self.points.to_rules())

    @model_validator(mode="before")
    @classmethod
    def _gather_channels(cls, data: Any) -> Any:
        """The [SECTION.NAME] tables sit at the top level, as in zhibu.toml: gather them into ``channels``."""
        if not isinstance(data, dict):
            return data
        tables = {key: data[key] for key in registry.PLATFORMS if key in data}
        if not tables:
            return data
        rest = {key: value for key, value in data.items() if key not in tables}
        return rest | {"channels": {**rest.get("channels", {}), **tables}}

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone name
        return value

    _log_level = field_validator("log_level")(_log_level)

    @property
    def serve_log_level(self) -> str:
        """The level of `zhibu serve`'s own loggers: [logging] level, else log_level."""
        return self.logging.level or self.log_level

    @property
    def console_url(self) -> str:
        """Where the web console's login links point: [web] base_url, else public_url ("" when neither)."""
        return (self.web.base_url or self.public_url).rstrip("/")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zhibu.db').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        env_tables = [
            _ChannelVariables(settings_cls, source)
            for source in (env_settings, dotenv_settings)
            if isinstance(source, EnvSettingsSource)
        ]
        return init_settings, env_settings, dotenv_settings, *env_tables, toml, file_secret_settings


class _ChannelVariables(PydanticBaseSettingsSource):
    """Every platform's ZHIBU_SECTION__NAME__KEY variables (from the environment or .env) as tables.

    The platforms are not fields of Settings, so pydantic-settings' own sources do not look for them.
    """

    def __init__(self, settings_cls: type[BaseSettings], variables: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self.variables = variables

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # not used: __call__ reads every platform's variables at once

    def __call__(self) -> dict[str, Any]:
        tables = FieldInfo.from_annotation(dict[str, dict[str, Any]])
        found = {
            section: self.variables.explode_env_vars(section, tables, self.variables.env_vars)
            for section in registry.PLATFORMS
        }
        return {section: accounts for section, accounts in found.items() if accounts}


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)


_TEMPLATE_HEAD = """\
# zhibu configuration. Every key can also be set as an environment variable
# ZHIBU_<KEY> (nested tables with a double underscore: ZHIBU_<SECTION>__DEFAULT__TOKEN).
# Secrets are better kept in the environment or in .env than in this file.

# Where the SQLite database and caches live.
# data_dir = "."

# Use PostgreSQL instead of the SQLite file (needs `pip install zhibu[postgres]`):
# database_url = "postgresql://zhibu:secret@localhost/zhibu"

# All dates and reminders use this time zone.
# timezone = "Asia/Shanghai"

# What `zhibu serve` logs to stderr (journald keeps it). Secrets are masked in every line.
# [logging]
# level = "INFO"              # DEBUG, INFO, WARNING, ERROR (ZHIBU_LOG_LEVEL works too)
# format = "text"             # "json": one JSON object per line (time, level, logger, message)
"""

_TEMPLATE_REST = """\
# --- Schedules (times are Asia/Shanghai) ---
# [schedules]
# guide_day = 1                      # 组织生活清单 goes out on this day...
# guide_at = "09:00"                 # ...at this time (at once when published later in the month)
# birthdays_at = "09:00"             # 政治生日 greetings
# reminder_offsets = ["1d@09:00", "1h"]   # meeting reminders: the day before at 9, one hour before
# reminder_every_minutes = 5         # how often due reminders are looked for (so at most this late)
# quiet_start = "22:00"              # member-facing messages wait until quiet_end
# quiet_end = "08:00"
# catch_up_days = 3                  # work missed while stopped runs once after a restart
# life_meeting_deadline = "12-31"    # 组织生活会 / 民主评议 deadline (MM-DD)

# --- 双报到 / 微心愿 points (a district's own rules; README "Points") ---
# [points]
# report = 5                  # 报到 to a community (once per community)
# present = 2                 # attended a 三会一课 / 主题党日 meeting
# leave = 0                   # 请假
# absent = -2                 # unexcused absence
# wish = 3                    # each confirmed 微心愿, to every member who did it
# members_see_ranking = false # let ordinary members ask 积分排名
# wish_remind_hours = 24      # remind claimants (or the poster, if nobody claimed) before the deadline

# --- Web console under /console/ (login: send 后台 to the bot in a private chat) ---
# [web]
# base_url = "https://zhibu.example.org"   # where browsers reach zhibu serve; https: Secure cookies
# idle_hours = 8                           # sessions unused this long must log in again
"""


def config_template() -> str:
    """The commented zhibu.toml `zhibu init` writes: every setting, and a sample table of every platform."""
    samples = "\n".join(platform.sample for platform in registry.PLATFORMS.values() if platform.sample)
    chats = '# --- Chat accounts (one table per account; see README "Channels") ---\n' + samples
    return "\n".join((_TEMPLATE_HEAD, chats, _TEMPLATE_REST))
