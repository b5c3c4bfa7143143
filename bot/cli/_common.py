"""Shared plumbing of the CLI: settings, the database, and turning errors into exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine

from bot.core.errors import Misconfigured, ZhibuError
from bot.settings import Settings, load_settings
from storage.db import SchemaOutdated, make_engine, require_current

# Markup off: names, topics and file contents are printed as typed (a roster name "[/x]" is a name, not
# a closing tag); styling is given explicitly with rich.text.Text.
console = Console(markup=False)
err_console = Console(stderr=True, markup=False)

EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_CONFIG = 4
EXIT_SCHEMA = 5


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(Text.assemble(("错误 / error:", "bold red"), " ", message))
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
