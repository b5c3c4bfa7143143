"""Logging of the `zhibu` command: one stderr handler on the root logger, text or JSON lines, secrets masked.

Short commands (demo, ask, members …) show warnings only. `zhibu serve` shows the
project's own loggers (bot, schedules, handlers, storage) and uvicorn at the
configured level: at INFO each job run, each delivery batch, each failure with its
reason and one access line per request; other libraries stay at WARNING. ``-v``
shows everything at DEBUG, httpx and urllib3 included. Whatever the level, every
record passes bot.redact on its way out, and SQL statements are never logged
(their parameters carry members' names and phones, access tokens, feed tokens).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import TextIO

from bot.core.clock import SHANGHAI
from bot.redact import AccessLogPaths, Redactor, secrets_of
from bot.settings import Settings

OWN_LOGGERS = ("bot", "schedules", "handlers", "storage", "uvicorn")
NEVER_BELOW_WARNING = ("sqlalchemy.engine",)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _local_time(record: logging.LogRecord, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(record.created, tz)


class TextFormatter(logging.Formatter):
    """``2026-11-23 09:30:00.123+08:00 INFO bot.sender: …``, in the configured time zone."""

    def __init__(self, tz: tzinfo = SHANGHAI) -> None:
        super().__init__(TEXT_FORMAT)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _local_time(record, self.tz).isoformat(sep=" ", timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per line (time, level, logger, message; exc_info when present) for journald, ELK."""

    def __init__(self, tz: tzinfo = SHANGHAI) -> None:
        super().__init__()
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _local_time(record, self.tz).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to ``sys.stderr`` as it is when the record comes (test runners swap it per command)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def setup(
    *,
    level: str | None = None,
    json_lines: bool = False,
    verbose: bool = False,
    secrets: Iterable[str] = (),
    tz: tzinfo = SHANGHAI,
) -> None:
    """Install the stderr handler (replacing an earlier one) and the masking filters on every root handler.

    ``level`` applies to the project's own loggers and uvicorn; None leaves them at the root's level.
    """
    root = logging.getLogger()
    for earlier in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(earlier)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter(tz) if json_lines else TextFormatter(tz))
    root.addHandler(handler)
    access, redactor = AccessLogPaths(), Redactor(secrets)
    for each in root.handlers:  # others' handlers too (a supervisor's, a test runner's): no way around it
        for earlier_filter in [f for f in each.filters if isinstance(f, AccessLogPaths | Redactor)]:
            each.removeFilter(earlier_filter)
        each.addFilter(access)  # first: it reads the access line's arguments, which the redactor renders
        each.addFilter(redactor)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose or level is None else level)
    for name in NEVER_BELOW_WARNING:
        logging.getLogger(name).setLevel(logging.WARNING)


def setup_serve(settings: Settings, *, verbose: bool) -> None:
    """`zhibu serve`: the configured level and format, every configured secret masked."""
    setup(
        level=settings.serve_log_level,
        json_lines=settings.logging.format == "json",
        verbose=verbose,
        secrets=secrets_of(settings),
        tz=settings.tz,
    )
