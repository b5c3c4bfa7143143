"""`zhibu ask` and `zhibu chat`: the console channel, on the same path a chat message takes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from bot.channels.console import ConsoleChannel
from bot.cli._common import engine, fail, settings
from bot.cli.console_chat import ConsoleChat, console_member, print_replies, sender_id_of
from bot.core.clock import SystemClock
from bot.router import Router


def ask(
    question: str = typer.Argument(None, help="问题 / the question, e.g. 三会一课是什么"),
    as_name: str = typer.Option(None, "--as", help="以哪位党员的身份提问 / ask as this member"),
    batch: Path = typer.Option(
        None,
        "--batch",
        exists=True,
        dir_okay=False,
        readable=True,
        help="每行一个问题，逐行输出 JSON / one question per line → one JSON object per line",
    ),
) -> None:
    """Ask one question and print the answer (提问); --batch answers a file of questions as JSON lines."""
    if (question is None) == (batch is None):
        raise fail("请给出一个问题或 --batch 文件 / give a question or --batch FILE", 2)
    eng = engine()
    cfg = settings()
    router = Router(eng, SystemClock(cfg.tz), points=cfg.points.to_rules())
    channel = ConsoleChannel(sender_id_of(console_member(eng, as_name)))
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
        record = {
            "question": question,
            "answer": outcome.text,
            "kind": outcome.kind,
            "score": outcome.score,
            "entry": outcome.entry,
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def chat(
    as_name: str = typer.Option(None, "--as", help="以哪位党员的身份聊天 / chat as this member"),
) -> None:
    """Interactive console chat (控制台聊天); /群 and /私聊 switch between a bound group and private chat."""
    eng = engine()
    cfg = settings()
    router = Router(eng, SystemClock(cfg.tz), points=cfg.points.to_rules())
    ConsoleChat(eng, router, console_member(eng, as_name)).run()
