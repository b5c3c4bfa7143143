"""`zhibu export ledger` and `zhibu export ics`: files for inspections and phone calendars."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli._common import EXIT_USAGE, console, engine, error_boundary, fail, settings
from bot.core.clock import SystemClock
from handlers import calendar_feed, ledger
from storage.audit import record
from storage.calendar_feeds import token_for
from storage.db import session_scope
from storage.orgs import resolve

app = typer.Typer(help="导出台账和日历 / export the ledger and calendars.", no_args_is_help=True)

FEED_PATH = "/calendar/{token}.ics"


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise fail(f"写不了 {path} / cannot write {path}: {exc}", EXIT_USAGE) from exc
    console.print(f"已写入 / wrote {path} ({len(data)} bytes)")


@app.command("ledger")
def ledger_cmd(
    org: str = typer.Option(
        ..., "--org", help="党支部或上级党委（每支部一张表）/ a branch, or a committee: a sheet per branch"
    ),
    year: int = typer.Option(
        None, "--year", min=2000, max=2100, help="年份，默认今年 / year, default this year"
    ),
    out: Path = typer.Option(None, "--out", "-o", help="输出文件 / output .xlsx"),
) -> None:
    """Write the 三会一课 ledger of a year as .xlsx (三会一课台账); for a 党委, every branch below it."""
    now = SystemClock(settings().tz).now()
    year = year or now.year
    with session_scope(engine()) as session, error_boundary():
        target = resolve(session, org)
        data = ledger.build(session, org=target, year=year, now=now)
        record(
            session, action="export_ledger", at=now, org_id=target.id, channel="cli", detail=f"year={year}"
        )
        name = target.name
    _write(out or Path(f"{name}-{year}-三会一课台账.xlsx"), data)


@app.command("ics")
def ics_cmd(
    org: str = typer.Option(..., "--org", help="党支部 / the branch"),
    out: Path = typer.Option(None, "--out", "-o", help="输出文件 / output .ics"),
    url: bool = typer.Option(False, "--url", help="打印订阅链接而不写文件 / print the subscription URL"),
    rotate: bool = typer.Option(
        False, "--rotate", help="换新链接，旧链接失效 / new URL, old one stops working"
    ),
) -> None:
    """Write upcoming meetings as iCalendar, or print the branch's subscription URL (会议日历)."""
    config = settings()
    now = SystemClock(config.tz).now()
    with session_scope(engine()) as session, error_boundary():
        target = resolve(session, org)
        assert target.id is not None
        if url or rotate:
            token = token_for(session, org_id=target.id, now=now, rotate=rotate)
            if rotate:
                record(session, action="rotate_feed", at=now, org_id=target.id, channel="cli")
        else:
            data = calendar_feed.build(session, org=target, now=now)
        name = target.name
    if url or rotate:
        base = config.public_url.rstrip("/") or "http://<服务器地址 / your-server>"
        console.print(base + FEED_PATH.format(token=token), soft_wrap=True)
        if not config.public_url:
            console.print(
                "提示 / hint: 设置 public_url（ZHIBU_PUBLIC_URL）后显示完整链接 / set public_url for a full link"  # noqa: E501
            )
        return
    _write(out or Path(f"{name}-会议.ics"), data)
