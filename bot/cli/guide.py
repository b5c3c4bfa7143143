"""`zhibu guide ...`: publish a monthly 组织生活清单 from a file and preview what a branch receives."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli._common import console, engine, error_boundary, settings
from bot.core.clock import SystemClock
from handlers.guide import nothing_for, render
from schedules import guides as guide_job
from storage.db import session_scope
from storage.guide_import import check_draft_month, read_guide
from storage.guides import check_month, effective, store_guide
from storage.orgs import resolve

app = typer.Typer(help="组织生活清单 / monthly guides.", no_args_is_help=True)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="清单文件 .md / .yaml / .xlsx"),
    org: str = typer.Option(..., "--org", help="发布组织，如 示范街道党工委 / issuing organization"),
    month: str = typer.Option(..., "--month", help="月份 2026-12 / month"),
) -> None:
    """Store (or replace) the guide of an organization for a month; it reaches every branch below."""
    cfg = settings().schedule_settings()
    with error_boundary():
        month = check_month(month)
        draft = read_guide(file)
        check_draft_month(draft, month)
        now = SystemClock().now()
        with session_scope(engine()) as session:
            issuer = resolve(session, org)
            guide, replaced = store_guide(session, org_id=issuer.id or 0, month=month, draft=draft, now=now)
            queued = guide_job.run(
                now, session=session, settings=cfg
            )  # at once when the month's day has passed
    verb = "已替换 / replaced" if replaced else "已发布 / published"
    console.print(f"{verb}: {guide.title} · {issuer.name} · {month} · {len(draft.items)} 项 / items")
    release = guide_job.release_time(month, cfg)
    if queued:
        console.print(f"已排队发送 {queued} 条 / queued {queued} deliveries")
    elif month < f"{now:%Y-%m}":
        console.print("该月已过，只存档不发送 / a past month: stored, not sent")
    elif release <= now:
        console.print(
            f"发送时间 {release:%m-%d %H:%M} 已过，但下属支部没有待发的已绑定群；群绑定后几分钟内会补发"
            " / its send time has passed and no bound chat is waiting for it; a chat bound later gets it"
        )
    else:
        console.print(f"将于 {release:%Y-%m-%d %H:%M} 发送给下属支部已绑定的群 / sends then")


@app.command("show")
def show_cmd(
    month: str = typer.Option(..., "--month", help="月份 2026-12"),
    org: str = typer.Option(..., "--org", help="党支部名称 / the branch"),
) -> None:
    """Print the guide a branch receives for a month (upper organizations' items first, its own last)."""
    with error_boundary():
        month = check_month(month)
        with session_scope(engine()) as session:
            branch = resolve(session, org)
            issued = effective(session, branch=branch, month=month)
            text = render(month, branch, issued).text if issued else nothing_for(month, branch)
    console.print(text, markup=False, highlight=False)
