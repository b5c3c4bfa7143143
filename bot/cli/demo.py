"""`zhibu demo`: a throw-away database full of fictional members, then the console chat.

Each branch of the demo world has a console group chat, and the demo runs the scheduler and the
sender between prompts (bot/cli/foreground.py), so the bot's own messages show up in the chat;
``/快进`` or ``--at`` moves the demo's clock on to see a morning's messages at once. ``--serve`` runs
the server of `zhibu serve` on the demo database instead, on 127.0.0.1, so the web console opens at once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from bot import logs
from bot.channels.console import ACCOUNT, CHANNEL
from bot.cli._common import DEMO_FILE, console, error_boundary, fail, settings, use_database_line
from bot.cli.console_chat import FAST_FORWARD_MAX, ConsoleChat, console_member, note
from bot.cli.foreground import Foreground
from bot.cli.serve import run
from bot.core.clock import ShiftedClock
from bot.router import Router
from bot.runtime import build_runtime
from bot.settings import Settings
from handlers import texts
from handlers.console_login import issue_link
from handlers.permissions import can_manage_anything
from handlers.scope import actor_of
from storage.db import make_engine, session_scope, upgrade
from storage.demo import ACTING_AS, DISTRICT_ORGANIZER, Demo, build_demo
from storage.members import by_name
from storage.models import Member

LOCAL_CONSOLE = "http://127.0.0.1:8000"  # where `zhibu serve` listens by default


def demo(
    db: Path = typer.Option(
        None, "--db", help=f"演示数据库文件（默认数据目录下的 {DEMO_FILE}）/ demo SQLite file"
    ),
    no_chat: bool = typer.Option(False, "--no-chat", help="只建数据库，不进入聊天 / only build the database"),
    as_name: str = typer.Option(
        None, "--as", help="以哪位党员的身份聊天（默认第一支部书记）/ chat as this member"
    ),
    group: bool = typer.Option(
        False, "--group", help="从本支部的群聊开始 / start in the branch's group chat"
    ),
    at: str = typer.Option(
        None,
        "--at",
        metavar="'YYYY-MM-DD HH:MM'",
        help="先快进到这个时间，显示这段时间支部助手发的消息 / fast-forward to this time first",
    ),
    serve: bool = typer.Option(
        False, "--serve", help="建好后启动网页后台（127.0.0.1，Ctrl-C 停止）/ then serve the web console"
    ),
    port: int = typer.Option(8000, "--port", help="--serve 的端口 / the port --serve listens on"),
) -> None:
    """Build a demo database of fictional members and chat with it (演示)."""
    cfg = settings()
    clock = ShiftedClock(cfg.tz)
    until = _later(at, clock) if at else None
    path = (db or cfg.data_dir / DEMO_FILE).resolve()
    eng = fresh_database(path)
    with session_scope(eng) as session:
        world = build_demo(session, today=clock.now().date(), chats=(CHANNEL, ACCOUNT))
    console.print(f"演示数据库已建好 / demo database ready: {path}（{_counts(world)}）")
    use_later(path)
    if serve:
        serve_console(cfg, eng, clock, port)
        return
    base = cfg.console_url or LOCAL_CONSOLE
    console_links(eng, base, clock.now())
    if no_chat and until is None:
        return
    member = console_member(eng, as_name or world.acting_as)
    router = Router(eng, clock, console_url=base, points=cfg.points.to_rules())
    chat = ConsoleChat(eng, router, member, Foreground(eng, cfg.schedule_settings(), clock))
    if not no_chat and member is not None:
        home, name = world.home(member).name, member.name
        tries = texts.DEMO_TRY_MANAGER if _manages(eng, member) else texts.DEMO_TRY_MEMBER
        console.print(
            texts.DEMO_INTRO.format(top=world.top.name, branch=home, name=name, role=member.role, tries=tries)
        )
    if group:
        chat.enter_group("")
    if until is not None:
        chat.advance(until)
    if no_chat:
        return
    chat.run()
    use_later(path)


def _manages(eng: Engine, member: Member) -> bool:
    """Suggest secretaries' commands only to someone who may use them."""
    with Session(eng) as session:
        return can_manage_anything(actor_of(session, member))


def serve_console(cfg: Settings, eng: Engine, clock: ShiftedClock, port: int) -> None:
    """`zhibu serve` on the demo database at 127.0.0.1:``port``, after printing the login links for it."""
    logs.setup_serve(cfg, verbose=False)
    with error_boundary():
        runtime = build_runtime(cfg, clock=clock, engine=eng)
    console_links(eng, f"http://127.0.0.1:{port}", clock.now(), heading=texts.DEMO_SERVING)
    run(runtime, host="127.0.0.1", port=port)


def console_links(eng: Engine, base: str, now: datetime, heading: str = texts.DEMO_CONSOLE_LINKS) -> None:
    """One-time web-console links for the branch secretary and the district organizer."""
    note(heading)
    with session_scope(eng) as session:
        for name in (ACTING_AS, DISTRICT_ORGANIZER):
            member = by_name(session, name)[0]
            url = issue_link(session, member=member, base_url=base, now=now)
            console.print(f"  {name}（{member.role}）: {url}", soft_wrap=True)


def use_later(path: Path) -> None:
    """The line that points later commands (zhibu chat, zhibu members list…) at the demo database."""
    note("之后的命令要用这个演示数据库，先运行 / for later commands, first run:")
    console.print(f"  {use_database_line(path)}", soft_wrap=True)


def _later(at: str, clock: ShiftedClock) -> datetime:
    try:
        moment = datetime.strptime(at.strip(), "%Y-%m-%d %H:%M").replace(tzinfo=clock.tz)
    except ValueError:
        raise fail(f"--at {at!r}：请写成 2026-12-05 09:00 / use 'YYYY-MM-DD HH:MM'", 2) from None
    if moment <= clock.now():
        raise fail(f"--at {at}：只能往后快进 / must be later than now ({clock.tz.key})", 2)
    if moment - clock.now() > FAST_FORWARD_MAX:
        days = FAST_FORWARD_MAX.days
        raise fail(f"--at {at}：最多快进{days}天 / at most {days} days ahead", 2)
    return moment


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
