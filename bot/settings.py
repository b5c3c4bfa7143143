"""Configuration: ZHIBU_* environment variables, a .env file and an optional zhibu.toml.

Precedence, highest first: arguments, environment, .env, zhibu.toml, defaults.
Nothing is read at import time; call ``load_settings()``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "ZHIBU_CONFIG"
DEFAULT_CONFIG = "zhibu.toml"


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))


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
    log_level: str = "INFO"

    # Channel accounts, one table each: [wechat.NAME], [wecom.NAME], [telegram.NAME], [robot.NAME].
    # Kept as raw tables here; the gateway validates each into its channel's typed config.
    wechat: dict[str, dict[str, Any]] = Field(default_factory=dict)
    wecom: dict[str, dict[str, Any]] = Field(default_factory=dict)
    telegram: dict[str, dict[str, Any]] = Field(default_factory=dict)
    robot: dict[str, dict[str, Any]] = Field(default_factory=dict)

    admin_token: SecretStr | None = None
    # The address people reach this server at, e.g. https://zhibu.example.org; used in calendar feed links.
    public_url: str = ""

    # Seconds a webhook waits for its handler before answering "success" and sending the reply later
    # (WeChat and WeCom give up after 5 s).
    reply_deadline: float = Field(default=4.5, gt=0, le=4.8)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone name
        return value

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
        return init_settings, env_settings, dotenv_settings, toml, file_secret_settings


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)


CONFIG_TEMPLATE = """\
# zhibu configuration. Every key can also be set as an environment variable
# ZHIBU_<KEY> (nested tables with a double underscore: ZHIBU_WECHAT__DEFAULT__TOKEN).
# Secrets are better kept in the environment or in .env than in this file.

# Where the SQLite database and caches live.
# data_dir = "."

# Use PostgreSQL instead of the SQLite file (needs `pip install zhibu[postgres]`):
# database_url = "postgresql://zhibu:secret@localhost/zhibu"

# All dates and reminders use this time zone.
# timezone = "Asia/Shanghai"

# --- Chat accounts (one table per account; see README "Channels") ---
# [wechat.default]            # 公众号, callback URL /wechat/default
# app_id = "wx..."
# token = "..."
# encoding_aes_key = "..."    # set for safe mode
# app_secret = "..."

# [wecom.default]             # 企业微信自建应用, callback URL /wecom/default
# corp_id = "ww..."
# agent_id = 1000002
# secret = "..."
# token = "..."
# encoding_aes_key = "..."

# [telegram.default]          # /telegram/default
# bot_token = "..."
# webhook_secret = "..."

# [robot.branch1]             # 企业微信群机器人 (outbound only)
# webhook_key = "..."
"""
