"""`zhibu ask` and `zhibu chat`: the console channel, on the same path a chat message takes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text
from sqlalchemy import Engine

from bot.channels.console import ACCOUNT, CHANNEL, ConsoleChannel
from bot.cli._common import console, engine, fail, settings
from bot.core.clock import SystemClock
from bot.core.messages import Reply
from bot.router import Router
from storage.db import session_scope
from storage.members import bind_identity, by_name

STRANGER = "console-guest"


def console_identity(eng: Engine, name: str | None) -> str:
    """The console sender id acting as ``name``; binds it on first use, as a member would in chat."""
    if not name:
        return STRANGER
    with session_scope(eng) as session:
        found = by_name(session, name)
        if not found:
            raise fail(f"名册里没有“{name}” / no member named {name!r}", 1)
        if len(found) > 1:
            raise fail(f"名册里有{len(found)}位“{name}”，请用 zhibu members show 区分 / ambiguous name", 1)
        sender_id = f"member-{found[0].id}"
        bind_identity(session, member=found[0], channel=CHANNEL, account=ACCOUNT, external_id=sender_id)
        return sender_id


def print_replies(replies: list[Reply]) -> None:
    for reply in replies:
        body = Markdown(reply.markdown) if reply.markdown else reply.text
        console.print(Panel(body, title="支部助手", title_align="left", border_style="red"))


def ask(
    question: str = typer.Argument(None, help="问题 / the question, e.g. 三会一课是什么"),
    as_name: str = typer.Option(None, "--as", help="以哪位党员的身份提问 / ask as this member"),
    batch: Path = typer.Option(
        None, "--batch", exists=True, dir_okay=False, readable=True,
        help="每行一个问题，逐行输出 JSON / one question per line → one JSON object per line",
    ),
) -> None:
    """Ask one question and print the answer (提问); --batch answers a file of questions as JSON lines."""
    if (question is None) == (batch is None):
        raise fail("请给出一个问题或 --batch 文件 / give a question or --batch FILE", 2)
    eng = engine()
    router = Router(eng, SystemClock(settings().tz))
    channel = ConsoleChannel(console_identity(eng, as_name))
    if batch is not None:
        run_batch(router, channel, batch)
        return
    print_replies(router.handle(channel.inbound(question, router.clock.now())))


def run_batch(router: Router, channel: ConsoleChannel, path: Path) -> None:
    """Stable JSON fields: question, answer, kind (answer|live|suggestions|fallback), score, entry."""
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        question = line.strip()
        if not question:
            continue
        outcome = router.explain(channel.inbound(question, router.clock.now()))
        record = {"question": question, "answer": outcome.text, "kind": outcome.kind,
                  "score": outcome.score, "entry": outcome.entry}
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def run_chat(eng: Engine, as_name: str | None) -> None:
    router = Router(eng, SystemClock(settings().tz))
    channel = ConsoleChannel(console_identity(eng, as_name))
    who = as_name or "访客 / guest"
    console.print(Text.assemble(("支部助手", "bold"), f" 控制台聊天，身份：{who}。输入“帮助”看用法，输入 q 或按 Ctrl-D 退出。"))
    while True:
        try:
            text = console.input(Text("你> ", style="bold green")).strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if text.lower() in {"q", "quit", "exit", "退出"}:
            return
        if text:
            print_replies(router.handle(channel.inbound(text, router.clock.now())))


def chat(
    as_name: str = typer.Option(None, "--as", help="以哪位党员的身份聊天 / chat as this member"),
) -> None:
    """Interactive console chat (控制台聊天)."""
    run_chat(engine(), as_name)

