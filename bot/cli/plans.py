"""`zhibu plans ...`: a branch's recurring meetings (主题党日 each month, 支委会 monthly, 党课 quarterly)."""

from __future__ import annotations

import typer
from rich.table import Table

from bot.cli._common import EXIT_USAGE, console, engine, error_boundary, fail
from schedules.plans import check_plan, day_spec
from storage.db import session_scope
from storage.models import MeetingKind, MeetingPlan
from storage.orgs import resolve
from storage.plans import active_plans, add_plan

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
    """Add a recurring plan; meetings are created ahead of time and reminded like any other."""
    spec = day_spec(day)
    try:
        MeetingKind(kind)
        check_plan(MeetingPlan(org_id=0, kind=kind, day=spec, months=months, at=at))
    except ValueError as exc:
        raise fail(f"计划无效 / invalid plan: {exc}", EXIT_USAGE) from exc
    with error_boundary(), session_scope(engine()) as session:
        branch = resolve(session, org)
        plan = add_plan(session, org_id=branch.id or 0, kind=kind, day=spec, months=months, at=at, place=place,
                        topic=topic, lead_days=lead_days)
        console.print(f"已添加计划 #{plan.id} / plan added: {branch.name} {kind} day={spec} months={months} {at}")


@app.command("list")
def list_cmd() -> None:
    """Every active plan."""
    table = Table("#", "org", "kind", "day", "months", "at", "place", "topic")
    with session_scope(engine()) as session:
        for p in active_plans(session):
            table.add_row(str(p.id), str(p.org_id), p.kind, p.day, p.months, p.at, p.place, p.topic)
    console.print(table)
