"""`zhibu members ...`: the roster."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel import Session

from bot.cli._common import EXIT_DATA, console, engine, err_console, error_boundary, fail, settings
from bot.core.clock import SystemClock
from storage.db import session_scope
from storage.members import by_name, in_org, mask_phone
from storage.models import Member, Organization
from storage.orgs import resolve
from storage.roster.importer import ImportSummary, RosterInvalid, import_roster
from storage.roster.problems import Problems
from storage.rules import party_standing

app = typer.Typer(help="党员名册 / the member roster.", no_args_is_help=True)


def _org_name(session: Session, org_id: int | None) -> str:
    org = session.get(Organization, org_id) if org_id else None
    return org.name if org else ""


@app.command("list")
def list_cmd(
    org: str = typer.Option(None, "--org", help="只列出该组织及其下级 / only this organization and below"),
    phones: bool = typer.Option(False, "--phones", help="显示完整手机号 / show full phone numbers"),
) -> None:
    """List members (党员列表)."""
    with Session(engine()) as session, error_boundary():
        org_id = resolve(session, org).id if org else None
        members = in_org(session, org_id)
        table = Table(title=f"党员 {len(members)} 人")
        for column in ("姓名", "支部", "党小组", "职务", "身份", "入党日期", "手机号码"):
            table.add_column(column)
        for m in members:
            table.add_row(
                m.name,
                _org_name(session, m.org_id),
                _org_name(session, m.group_id),
                m.role,
                m.status,
                m.joined_on.isoformat(),
                (m.phone or "") if phones else mask_phone(m.phone),
            )
        console.print(table)


@app.command("show")
def show_cmd(name: str = typer.Argument(..., help="姓名 / member name")) -> None:
    """Show one member's record (党员详情)."""
    with Session(engine()) as session:
        found = by_name(session, name)
        if not found:
            raise fail(f"名册里没有“{name}” / no member named {name!r}", 1)
        for m in found:
            console.print(_card(session, m))


def _card(session: Session, m: Member) -> Table:
    table = Table(show_header=False, title=m.name)
    standing = party_standing(m.full_on, SystemClock(settings().tz).now().date())
    rows = [
        ("性别", m.gender or ""),
        ("出生日期", m.birth_date.isoformat() if m.birth_date else ""),
        ("所在党支部", _org_name(session, m.org_id)),
        ("党小组", _org_name(session, m.group_id)),
        ("职务", m.role),
        ("身份", m.status),
        ("入党日期（政治生日）", m.joined_on.isoformat()),
        ("转正日期", m.full_on.isoformat() if m.full_on else "（预备期）"),
        ("党龄", f"{standing}年" if standing is not None else "—"),
        ("手机号码", m.phone or ""),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


_STAGES = {"check": "检查 / checking", "write": "写入 / writing"}


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="名册文件 .xlsx 或 .csv / roster file"),
    org: str = typer.Option(None, "--org", help="导入到哪个组织之下（默认唯一的顶层组织）/ parent org"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查，不写入 / check everything, write nothing"),
) -> None:
    """Import a roster from Excel or CSV (导入党员名册); all rows or nothing."""
    eng = engine()
    now = SystemClock(settings().tz).now()
    with _progress_bar() as bar, error_boundary():
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total or None)
            bar.update(tasks[stage], completed=done, total=max(total, done) or None)

        try:
            with session_scope(eng) as session:
                summary = import_roster(session, path=file, now=now, org_ref=org, progress=report)
                if dry_run:
                    session.rollback()
        except RosterInvalid as exc:
            bar.stop()
            _print_problems(exc.warnings, "提醒 / warnings", "yellow")
            _print_problems(exc.errors, "错误 / errors", "red")
            raise fail(str(exc), EXIT_DATA) from exc
    _print_summary(summary, dry_run)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _print_problems(problems: Problems, title: str, style: str) -> None:
    """The problems the importer listed; a broken file of 50,000 rows is summed up after the first ones."""
    if not problems:
        return
    table = Table(title=f"{title}: {problems.total}", title_style=style, show_lines=False)
    table.add_column("行 / row", justify="right")
    table.add_column("列 / column")
    table.add_column("问题 / problem", style=style, overflow="fold")
    for p in problems:
        table.add_row(str(p.row), p.column, p.reason)
    err_console.print(table)
    if rows := problems.unlisted_rows:
        err_console.print(
            f"……另有 {rows} 行也有问题，未列出 / {rows} more rows with problems not shown", style=style
        )


def _print_summary(summary: ImportSummary, dry_run: bool) -> None:
    _print_problems(summary.warnings, "提醒 / warnings", "yellow")
    if summary.orgs_created:
        names = "、".join(summary.orgs_created[:10]) + ("……" if len(summary.orgs_created) > 10 else "")
        console.print(f"新建组织 {len(summary.orgs_created)} 个 / organizations created: {names}")
    head, tail = ("检查通过，没有写入", "dry run, nothing written") if dry_run else ("导入完成", "imported")
    console.print(
        f"{head}（{summary.parent}）：新增 {summary.added} 人，"
        f"更新 {summary.updated} 人，未变 {summary.unchanged} 人 / "
        f"{tail}: {summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged"
    )


# Binding codes live in their own module; registered here so they read `zhibu members invite`.
from bot.cli import invite as _invite  # noqa: E402

app.command("invite")(_invite.invite)
app.command("chat-code")(_invite.chat_code)
