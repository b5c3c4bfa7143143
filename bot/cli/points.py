"""`zhibu points ...`: the service points ledger — entries, rankings, reversals and the 民主评议党员 export.

The ledger is append-only: a wrong entry is reversed by a compensating one with a reason,
recorded in the audit log, never edited.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from bot.cli._common import EXIT_USAGE, console, engine, error_boundary, fail, settings
from bot.cli.export import _write
from bot.core.clock import SHANGHAI, SystemClock
from handlers import texts
from handlers.points import month_span, people_of, year_span
from handlers.service_export import points_book
from storage import points
from storage.audit import record
from storage.db import session_scope
from storage.members import by_name
from storage.models import Member
from storage.orgs import resolve

app = typer.Typer(
    help="服务积分 / service points: ledger, rankings, reversals, export.", no_args_is_help=True
)


def _span(year: int | None, month: str | None) -> tuple[datetime, datetime, str]:
    """The period asked for: a month "2026-11", a year, or this year."""
    now = SystemClock(settings().tz).now()
    if month:
        try:
            first = datetime.strptime(month, "%Y-%m").replace(tzinfo=SHANGHAI)
        except ValueError as exc:
            raise fail(f"月份写成 2026-11 / write the month as 2026-11, not {month!r}", EXIT_USAGE) from exc
        start, end = month_span(first)
        return start, end, f"{start.year}年{start.month}月"
    start, end = year_span(now.replace(year=year) if year else now)
    return start, end, f"{start.year}年"


def _member(session: Session, name: str) -> Member:
    found = by_name(session, name)
    if len(found) != 1:
        raise fail(f"“{name}”{'没有找到' if not found else '有重名'} / {len(found)} members named {name!r}")
    return found[0]


@app.command("ledger")
def ledger_cmd(
    member: str = typer.Option(None, "--member", help="只看这位党员 / only this member"),
    year: int = typer.Option(None, "--year", min=2000, max=2100, help="年份，默认今年 / default this year"),
    limit: int = typer.Option(100, "--limit", min=1, help="最多显示条数 / at most this many rows"),
) -> None:
    """Ledger entries, newest first (积分明细); ids are what `zhibu points reverse` takes."""
    start, end, label = _span(year, None)
    with Session(engine()) as session:
        member_id = _member(session, member).id if member else None
        rows = points.ledger(session, member_id=member_id, start=start, end=end, limit=limit)
        table = Table(title=f"{label}积分明细 / ledger ({len(rows)})")
        for column in ("id", "日期 / at", "姓名 / member", "事项 / what", "分值 / points"):
            table.add_column(column)
        for e in rows:
            who = session.get(Member, e.member_id)
            table.add_row(
                str(e.id),
                f"{e.at.astimezone(SHANGHAI):%Y-%m-%d}",
                Text(who.name if who else ""),
                Text(e.label),
                f"{e.points:+d}",
            )
    console.print(table)


@app.command("ranking")
def ranking(
    org: str = typer.Option(..., "--org", help="党支部、社区或上级党委 / branch, community or committee"),
    year: int = typer.Option(None, "--year", min=2000, max=2100, help="年份 / year"),
    month: str = typer.Option(None, "--month", help="月份，如 2026-11 / a month"),
    top: int = typer.Option(50, "--top", min=1, help="前几名 / how many"),
) -> None:
    """Members of an organization (and those reported to it) by points (积分排名)."""
    start, end, label = _span(year, month)
    with Session(engine()) as session, error_boundary():
        target = resolve(session, org)
        standings = points.ranking(session, member_ids=people_of(session, target), start=start, end=end)
        table = Table(title=texts.POINTS_RANKING_HEAD.format(org=target.name, period=label).rstrip("："))
        for column in ("#", "姓名 / member", "积分 / points"):
            table.add_column(column)
        for n, s in enumerate(standings[:top], start=1):
            table.add_row(str(n), Text(s.member.name), str(s.points))
    console.print(table)


@app.command("reverse")
def reverse(
    entry_id: int = typer.Argument(help="要冲正的积分记录号 / the entry to reverse"),
    reason: str = typer.Option(..., "--reason", help="原因 / why"),
) -> None:
    """Undo an entry by a compensating one with a reason (冲正); the original stays in the ledger."""
    now = SystemClock(settings().tz).now()
    with session_scope(engine()) as session, error_boundary():
        undo = points.reverse(session, entry_id=entry_id, reason=reason, at=now)
        record(
            session,
            action="points_reverse",
            at=now,
            channel="cli",
            detail=f"entry={entry_id} reason={reason[:100]}",
        )
        console.print(f"已冲正 / reversed: 新记录 {undo.id}，{undo.points:+d} 分")


@app.command("export")
def export(
    org: str = typer.Option(..., "--org", help="党支部、社区或上级党委 / branch, community or committee"),
    year: int = typer.Option(None, "--year", min=2000, max=2100, help="年份，默认今年 / default this year"),
    out: Path = typer.Option(None, "--out", "-o", help="输出文件 / output .xlsx"),
) -> None:
    """A year of points per member by source, and every entry, as .xlsx (民主评议党员参考)."""
    start, end, label = _span(year, None)
    now = SystemClock(settings().tz).now()
    with session_scope(engine()) as session, error_boundary():
        target = resolve(session, org)
        data = points_book(session, people_of(session, target), start=start, end=end)
        record(session, action="export_points", at=now, org_id=target.id, channel="cli", detail=label)
        name = target.name
    _write(out or Path(f"{name}-{label}-服务积分.xlsx"), data)
