"""`zhibu jobs ...`: see the scheduled jobs and run one now."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from sqlalchemy import Engine

from bot.cli._common import console, engine, error_boundary, fail, settings
from bot.core.clock import SHANGHAI, SystemClock
from schedules.context import JobContext, run_now
from schedules.daily import last_due_day
from schedules.jobs import JobSpec, due_at_once, find, job_table, waits_for_its_time
from schedules.scheduler import planned_runs
from storage.db import session_scope
from storage.jobruns import last_covered

app = typer.Typer(help="定时任务 / scheduled jobs.", no_args_is_help=True)


@app.command("list")
def list_cmd() -> None:
    """Every job and its next run time (下次运行时间)."""
    cfg = settings().schedule_settings()
    with error_boundary():
        rows = planned_runs(engine(), cfg, SystemClock().now())
    table = Table("job", "next run (Asia/Shanghai)", "description")
    for spec, nxt in rows:
        table.add_row(spec.id, nxt.strftime("%Y-%m-%d %H:%M") if nxt else "paused", spec.description)
    console.print(table)


@app.command("run")
def run_cmd(
    name: str = typer.Argument(..., help="job id, see `zhibu jobs list`"),
    now: bool = typer.Option(False, "--now", help="今天的还没到时间也现在运行 / run today's before its time"),
) -> None:
    """Run one job now, in this process (the outbox keeps it from double-sending)."""
    cfg = settings().schedule_settings()
    spec = find(cfg, name)
    if spec is None:
        known = ", ".join(s.id for s in job_table(cfg))
        raise fail(f"没有这个任务 / no job named {name!r}; known: {known}", 2)
    clock = SystemClock()
    eng = engine()
    with error_boundary():
        state = _today(eng, spec, clock.now())
        if now:
            cfg = due_at_once(cfg, spec)
        queued = run_now(spec.run, JobContext(engine=eng, settings=cfg, clock=clock))
    console.print(f"{spec.id}: 已排队 {queued} 条 / queued {queued}")
    if queued == 0 and state == "done":
        console.print("今天的已经运行过，重复的不会再发 / today's run is already done; repeats are not sent")
    elif queued == 0 and state == "waiting" and not now:
        at = f"{spec.daily_at:%H:%M}"
        console.print(
            f"今天的要到 {at} 才运行，现在还没到时间；要现在就发，请加 --now / "
            f"today's run is due at {at} (Asia/Shanghai), not yet; add --now to run it now"
        )


def _today(eng: Engine, spec: JobSpec, moment: datetime) -> str:
    """Where today's run of a daily job stands before this run: "done", "waiting" for its time, or ""."""
    if spec.daily_at is None or not waits_for_its_time(spec):
        return ""
    with session_scope(eng) as session:
        covered = last_covered(session, job_id=spec.id)
    today = moment.astimezone(SHANGHAI).date()
    if covered is not None and covered >= today:
        return "done"
    return "waiting" if last_due_day(moment, spec.daily_at) < today else ""
