"""`zhibu plans ...`: a branch's recurring meetings (主题党日 each month, 支委会 monthly, 党课 quarterly)."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from bot.cli._common import EXIT_USAGE, console, engine, error_boundary, fail, settings
from bot.core.clock import SHANGHAI, SystemClock
from handlers import texts
from schedules.plans import check_plan, create_due, day_spec, describe, later
from storage.db import session_scope
from storage.models import Meeting, MeetingKind, MeetingPlan
from storage.orgs import resolve
from storage.plans import active_plans_by_org, add_plan

app = typer.Typer(help="例行会议计划 / recurring meeting plans.", no_args_is_help=True)


@app.command("add")
def add_cmd(
    org: str = typer.Option(..., "--org", help="党支部 / the branch"),
    kind: str = typer.Option(..., "--kind", help="、".join(MeetingKind)),
    day: str = typer.Option(..., "--day", help="每月第一个周五 / 20日 / cron: '1st fri', '20', 'last'"),
    at: str = typer.Option("14:30", "--at", help="HH:MM"),
    months: str = typer.Option("*", "--months", help="'*' every month, '1,4,7,10' quarterly"),
    place: str = typer.Option("", "--place"),
    topic: str = typer.Option("", "--topic"),
    lead_days: int = typer.Option(21, "--lead-days", help="create each meeting this many days ahead"),
) -> None:
    """Add a recurring plan; its meetings within --lead-days are created now, later ones by the daily job."""
    spec = day_spec(day)
    if kind not in set(MeetingKind):
        known = "、".join(MeetingKind)
        raise fail(f"没有“{kind}”这种会议 / unknown kind {kind!r}; 可选 / one of: {known}", EXIT_USAGE)
    try:
        check_plan(MeetingPlan(org_id=0, kind=kind, day=spec, months=months, at=at))
    except ValueError as exc:
        raise fail(f"计划无效 / invalid plan: {exc}", EXIT_USAGE) from exc
    now = SystemClock(settings().tz).now()
    with error_boundary(), session_scope(engine()) as session:
        branch = resolve(session, org)
        plan = add_plan(
            session,
            org_id=branch.id or 0,
            kind=kind,
            day=spec,
            months=months,
            at=at,
            place=place,
            topic=topic,
            lead_days=lead_days,
        )
        console.print(f"已添加计划 #{plan.id} / plan added: {branch.name} {kind} {describe(plan)} ({spec})")
        _report(create_due(session, plan, now), later(plan, now), now, lead_days)


def _report(created: list[Meeting], following: list[datetime], now: datetime, lead_days: int) -> None:
    """What the plan has just put on the calendar, and what comes after (the daily job makes those)."""
    if created:
        console.print(f"已创建{len(created)}次会议，会前照常提醒 / {len(created)} created, reminded as usual")
        for meeting in created:
            console.print(f"  · {_moment(meeting.starts_at, now)} {meeting.kind}")
    else:
        console.print("近期没有要创建的会议 / no meeting within the lead days yet")
    if following:
        shown = "、".join(_moment(moment, now) for moment in following)
        ahead = f"（各提前{lead_days}天创建 / each created {lead_days} days ahead）"
        console.print(f"之后 / then: {shown}{ahead}")


def _moment(moment: datetime, now: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    shown = texts.cn_datetime(local.date(), f"{local:%H:%M}")
    return shown + ("（今天 / today）" if local.date() == now.astimezone(SHANGHAI).date() else "")


@app.command("list")
def list_cmd() -> None:
    """Every active plan."""
    table = Table("#")
    for header in ("组织 / org", "会议 / kind", "时间 / when"):  # whole: Chinese has no spaces to wrap at
        table.add_column(header, no_wrap=True)
    for header in ("地点 / place", "主题 / topic"):
        table.add_column(header, overflow="fold")
    with session_scope(engine()) as session:
        for p, org_name in active_plans_by_org(session):
            table.add_row(str(p.id), org_name, p.kind, describe(p), p.place, p.topic)
    console.print(table)
