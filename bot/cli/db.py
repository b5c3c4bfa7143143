"""`zhibu init` and `zhibu db ...`: create and upgrade the database."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from bot.cli._common import console, engine, settings
from bot.settings import config_path, config_template
from storage.db import display_url, pending_migrations, upgrade

app = typer.Typer(help="数据库 / database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd() -> None:
    """Apply pending migrations (执行数据库迁移)."""
    eng = engine(current=False)
    pending = pending_migrations(eng)
    upgrade(eng)
    console.print(f"数据库已是最新 / database is up to date ({len(pending)} migration(s) applied).")


@app.command("status")
def status_cmd() -> None:
    """Show pending migrations without applying them."""
    pending = pending_migrations(engine(current=False))
    if pending:
        console.print(f"待执行迁移 / pending: {', '.join(pending)}")
        raise typer.Exit(1)
    console.print("数据库已是最新 / database is up to date.")


def init() -> None:
    """Create the database and a commented zhibu.toml (初始化)."""
    path = config_path()
    if path.exists():
        console.print(f"已有配置文件 / keeping existing config: {path}")
    else:
        write_private(path, config_template())
        console.print(f"已写入配置文件 / wrote config: {path}")
    eng = engine(current=False)
    upgrade(eng)
    console.print(f"数据库就绪 / database ready: {display_url(settings().db_url)}")


def write_private(path: Path, text: str) -> None:
    """Write a new file readable by its owner only: zhibu.toml is where account secrets may end up."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as file:
        file.write(text)
