"""`zhibu jobs ...`: see the scheduled jobs and run one now."""

from __future__ import annotations

import typer
from rich.table import Table

from bot.cli._common import console, engine, error_boundary, fail, settings
from bot.core.clock import SystemClock
from schedules.context import JobContext, run_now
from schedules.jobs import find, job_table
from schedules.scheduler import planned_runs

app = typer.Typer(help="定时任务 / scheduled jobs.", no_args_is_help=True)


@app.command("list")
def list_cmd() -> None:
    """Every job and its next run time (下次运行时间)."""
    cfg = settings().schedules.to_settings()
    with error_boundary():
        rows = planned_runs(engine(), cfg, SystemClock().now())
    table = Table("job", "next run (Asia/Shanghai)", "description")
    for spec, nxt in rows:
        table.add_row(spec.id, nxt.strftime("%Y-%m-%d %H:%M") if nxt else "paused", spec.description)
    console.print(table)


@app.command("run")
def run_cmd(name: str = typer.Argument(..., help="job id, see `zhibu jobs list`")) -> None:
    """Run one job now, in this process (the outbox keeps it from double-sending)."""
    cfg = settings().schedules.to_settings()
    spec = find(cfg, name)
    if spec is None:
        known = ", ".join(s.id for s in job_table(cfg))
        raise fail(f"没有这个任务 / no job named {name!r}; known: {known}", 2)
    with error_boundary():
        queued = run_now(spec.run, JobContext(engine=engine(), settings=cfg, clock=SystemClock()))
    console.print(f"{spec.id}: 已排队 {queued} 条 / queued {queued}")
