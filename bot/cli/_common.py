"""Shared plumbing of the CLI: settings, the database, and turning errors into exit codes."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

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

DEMO_FILE = "zhibu-demo.db"  # what `zhibu demo` builds in the data directory


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


def use_database_line(path: Path) -> str:
    """The shell line that points every later command at the SQLite file ``path``."""
    return f"export ZHIBU_DATABASE_URL={shlex.quote(f'sqlite:///{path.resolve()}')}"


def require_database(url: str) -> None:
    """Stop at a SQLite file that does not exist, rather than create an empty one and ask for migrations."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database)
    if path.exists():
        return
    message = (
        f"这里没有数据库：{path}；请先运行 zhibu init 或 zhibu demo / "
        f"no database at {path}; run `zhibu init` or `zhibu demo`"
    )
    demo = path.with_name(DEMO_FILE)
    if demo.exists():
        message += f"\n要用演示数据库 / to use the demo database: {use_database_line(demo)}"
    raise fail(message, EXIT_SCHEMA)


def engine(current: bool = True) -> Engine:
    """The configured database; refuses to go on when it is missing or migrations are pending."""
    url = settings().db_url
    if current:
        require_database(url)
    eng = make_engine(url)
    if current:
        with error_boundary():
            require_current(eng)
    return eng
