"""`zhibu members ...`: the roster."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlmodel import Session

from bot.cli._common import console, engine, error_boundary, fail, settings
from bot.core.clock import SystemClock
from storage.members import by_name, in_org, mask_phone
from storage.models import Member, Organization
from storage.orgs import resolve
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


# Binding codes (issue 6) live in their own module; registered here so they read `zhibu members invite`.
from bot.cli import invite as _invite  # noqa: E402

app.command("invite")(_invite.invite)
app.command("chat-code")(_invite.chat_code)
