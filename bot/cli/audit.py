"""`zhibu audit`: who did which privileged thing, when, from which chat."""

from __future__ import annotations

from datetime import datetime, time

import typer
from rich.table import Table
from sqlmodel import Session

from bot.cli._common import EXIT_USAGE, console, engine, error_boundary, fail, settings
from storage.audit import entries
from storage.orgs import resolve


def audit(
    org: str = typer.Option(None, "--org", help="只看该组织及其下级 / this organization and below"),
    since: str = typer.Option(None, "--since", help="起始日期 YYYY-MM-DD / from this day on"),
    limit: int = typer.Option(200, "--limit", min=1, help="最多显示条数 / at most this many rows"),
) -> None:
    """Show the audit log, newest first (操作日志)."""
    tz = settings().tz
    start = None
    if since:
        try:
            start = datetime.combine(datetime.strptime(since, "%Y-%m-%d").date(), time(), tz)
        except ValueError as exc:
            raise fail(
                f"日期格式应为 YYYY-MM-DD / --since must look like 2026-11-01: {since!r}", EXIT_USAGE
            ) from exc
    with Session(engine()) as session, error_boundary():
        org_id = resolve(session, org).id if org else None
        rows = entries(session, org_id=org_id, since=start, limit=limit)
    table = Table(title=f"操作日志 / audit log ({len(rows)})")
    for column in ("时间 / when", "谁 / who", "操作 / action", "组织 / org", "来源 / from", "详情 / detail"):
        table.add_column(column)
    for row, who, org_name in rows:
        source = f"{row.channel}:{row.chat_id}" if row.chat_id else row.channel
        table.add_row(
            row.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            who or "—",
            row.action,
            org_name,
            source,
            row.detail,
        )
    console.print(table)
