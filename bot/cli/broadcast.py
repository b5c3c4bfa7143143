"""`zhibu broadcast`: send a notice file to an organization's bound chats, with a preview and progress bar."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from bot.cli._common import EXIT_USAGE, console, engine, error_boundary, fail, settings
from bot.core.clock import SystemClock
from bot.core.messages import Reply
from handlers.broadcast import new_batch, plan, queue, repeated
from storage import broadcasts, senders
from storage.audit import record
from storage.db import session_scope
from storage.orgs import resolve


def _read(file: Path) -> str:
    try:
        body = file.read_text(encoding="utf-8-sig").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"读不了 {file} / cannot read {file}: {exc}", EXIT_USAGE) from exc
    if not body:
        raise fail(f"{file} 是空的 / {file} is empty", EXIT_USAGE)
    return body


def broadcast(
    org: str = typer.Option(..., "--org", help="发给哪个组织（含下级）/ organization (and everything below)"),
    file: Path = typer.Option(..., "--file", help="通知内容文件（.md 按 Markdown 发）/ message file"),
    yes: bool = typer.Option(False, "--yes", "-y", help="不再确认 / do not ask"),
    force: bool = typer.Option(
        False, "--force", help="24小时内发过相同内容也照发 / send even if sent to these chats within 24 h"
    ),
    wait: int = typer.Option(0, "--wait", min=0, help="等待送达的秒数 / seconds to watch delivery"),
) -> None:
    """Broadcast a notice to every bound chat of an organization (发布通知)."""
    body = _read(file)
    reply = Reply(body, markdown=body if file.suffix.lower() in {".md", ".markdown"} else None)
    now = SystemClock(settings().tz).now()
    eng = engine()
    with session_scope(eng) as session, error_boundary():
        reach = plan(session, resolve(session, org))
        console.print(
            f"将发送到 {len(reach.targets)} 个群（{reach.org_count} 个组织），覆盖 {reach.people} 名党员 / "
            f"{len(reach.targets)} chats in {reach.org_count} organizations, {reach.people} members"
        )
        if not reach.targets:
            raise fail("没有绑定的群 / no bound chats", 1)
        if not force and repeated(session, reach, body, now):
            _confirm_repeat(ask=not yes)
        elif not yes and not typer.confirm("发送？/ Send?", default=False):
            raise typer.Exit(1)
        batch = new_batch(now)
        with Progress(
            TextColumn("排队 / queueing"), BarColumn(), MofNCompleteColumn(), console=console
        ) as bar:
            task = bar.add_task("queue", total=len(reach.targets))
            for one in reach.targets:
                queue(session, targets=[one], reply=reply, batch=batch)
                bar.advance(task)
        record(
            session,
            action="broadcast",
            at=now,
            org_id=reach.org.id,
            channel="cli",
            detail=f"batch={batch} chats={len(reach.targets)} text={body[:100]}",
        )
    console.print(f"批次 / batch: {batch}")
    if wait:
        _watch(batch, len(reach.targets), wait)


def _confirm_repeat(*, ask: bool) -> None:
    """The same notice went to these chats within 24 hours: go on only when the user says so."""
    warning = (
        "24小时内已向同一范围发过相同内容 / the same notice went to these chats within the last 24 hours"
    )
    if not ask:
        raise fail(f"{warning}；确需再发请加 --force / add --force to send it again", 1)
    console.print(Text.assemble(("注意 / warning:", "bold yellow"), " ", warning))
    if not typer.confirm("仍要再发？/ Send it again?", default=False):
        raise typer.Exit(1)


def _watch(batch: str, total: int, seconds: int) -> None:
    """Follow the sender's progress on this batch until everything settled, time is up or no sender runs."""
    eng = engine()
    clock = SystemClock()
    deadline = time.monotonic() + seconds
    with Progress(TextColumn("送达 / delivered"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
        task = bar.add_task("deliver", total=total)
        while True:
            with session_scope(eng) as session:
                counts = broadcasts.totals(session, batch=batch)
                running = senders.alive(session, now=clock.now()) > 0
            bar.update(task, completed=counts["sent"] + counts["failed"])
            if counts["pending"] == 0 or time.monotonic() > deadline or not running:
                break
            time.sleep(1)
    console.print(
        f"已送达 / sent {counts['sent']}, 失败 / failed {counts['failed']}, 待发送 / pending {counts['pending']}"  # noqa: E501
    )
    if counts["pending"] and not running:
        raise fail(
            "没有发送进程在运行（zhibu serve 启动了吗？）；通知已排队，发送进程一启动就会发出 / no sender is "
            "running (is `zhibu serve` up?): the notices are queued and go out as soon as one runs"
        )
