"""`zhibu demo`: a throw-away database full of fictional members, then the console chat."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import Engine

from bot.cli._common import console, fail, settings
from bot.cli.chat import run_chat
from bot.core.clock import SystemClock
from handlers import texts
from storage.db import make_engine, session_scope, upgrade
from storage.demo import Demo, build_demo

DEMO_FILE = "zhibu-demo.db"


def demo(
    db: Path = typer.Option(
        None, "--db", help=f"演示数据库文件（默认数据目录下的 {DEMO_FILE}）/ demo SQLite file"
    ),
    no_chat: bool = typer.Option(False, "--no-chat", help="只建数据库，不进入聊天 / only build the database"),
    as_name: str = typer.Option(
        None, "--as", help="以哪位党员的身份聊天（默认第一支部书记）/ chat as this member"
    ),
) -> None:
    """Build a demo database of fictional members and chat with it (演示)."""
    path = (db or settings().data_dir / DEMO_FILE).resolve()
    eng = fresh_database(path)
    with session_scope(eng) as session:
        world = build_demo(session, today=SystemClock(settings().tz).now().date())
    console.print(f"演示数据库已建好 / demo database ready: {path}（{_counts(world)}）")
    if no_chat:
        return
    name = as_name or world.acting_as
    member = world.members.get(name)
    if member is not None:
        home = world.home(member).name
        console.print(texts.DEMO_INTRO.format(top=world.top.name, branch=home, name=name, role=member.role))
    run_chat(eng, name)


def fresh_database(path: Path) -> Engine:
    """Delete an earlier demo file and create a migrated one; never touch a file that is not a demo."""
    if path.exists() and "demo" not in path.name:
        raise fail(
            f"{path} 不是演示数据库，不会覆盖；请用含 demo 的文件名 / refusing to overwrite a non-demo file",
            2,
        )
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    return eng


def _counts(world: Demo) -> str:
    branches, people = len(world.branches), len(world.members)
    return f"{branches} 个党支部、{people} 名虚构党员 / {branches} branches, {people} fictional members"
