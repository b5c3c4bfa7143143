"""Shared plumbing of the CLI: settings, the database, and turning errors into exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from sqlalchemy import Engine

from bot.core.errors import Misconfigured, ZhibuError
from bot.settings import Settings, load_settings
from storage.db import SchemaOutdated, make_engine, require_current

console = Console()
err_console = Console(stderr=True)

EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_CONFIG = 4
EXIT_SCHEMA = 5


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]错误 / error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def error_boundary() -> Iterator[None]:
    """The one place where domain errors become messages and exit codes."""
    try:
        yield
    except SchemaOutdated as exc:
        raise fail(str(exc), EXIT_SCHEMA) from exc
    except Misconfigured as exc:
        raise fail(f"配置错误 / configuration error — {exc}", EXIT_CONFIG) from exc
    except ZhibuError as exc:
        raise fail(str(exc), EXIT_DATA) from exc


def settings() -> Settings:
    try:
        return load_settings()
    except Exception as exc:  # pydantic's ValidationError names the bad key
        raise fail(f"配置错误 / configuration error — {exc}", EXIT_CONFIG) from exc


def engine(current: bool = True) -> Engine:
    """The configured database; refuses to go on when migrations are pending."""
    eng = make_engine(settings().db_url)
    if current:
        with error_boundary():
            require_current(eng)
    return eng
