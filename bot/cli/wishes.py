"""`zhibu wishes ...`: the 微心愿 of a community for staff at the terminal — list, add, show, cancel, export.

Adding and cancelling go through the same functions as 发布心愿 / 取消心愿 in the chat, so the
reported members and the community's chats hear about it in the same way.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text
from sqlmodel import Session, select

from bot.cli._common import EXIT_USAGE, console, engine, error_boundary, fail, settings
from bot.cli.export import _write
from bot.core.clock import SystemClock
from handlers import texts
from handlers import wishes as wish_flow
from handlers.scope import subtree
from handlers.service_export import wishes_book
from storage import community, wishes
from storage.audit import record
from storage.db import session_scope
from storage.models import Member, Organization, Wish, WishState
from storage.orgs import resolve

app = typer.Typer(help="微心愿 / residents' small wishes posted by communities.", no_args_is_help=True)


def _community(session: Session, ref: str) -> Organization:
    org = resolve(session, ref)
    if community.community_of(session, org) is None:
        raise fail(f"{org.name} 不是社区或网格 / not a community or grid", EXIT_USAGE)
    return org


def _chosen(
    session: Session, org: str | None, state: WishState | None, overdue: bool, unclaimed: bool, now: datetime
) -> list[Wish]:
    orgs = subtree(session, resolve(session, org)) if org else session.exec(select(Organization.id)).all()
    ids = [i for i in orgs if i is not None]
    if overdue or unclaimed:
        return wish_flow.staff_board(session, ids, "逾期" if overdue else "未认领", now)
    return wishes.of_orgs(session, ids, states=[state] if state else None, limit=10_000)


@app.command("list")
def list_cmd(
    org: str = typer.Option(None, "--org", help="社区或网格，默认全部 / community or grid, default all"),
    state: WishState | None = typer.Option(None, "--state", help="只看这种状态 / only this state"),
    overdue: bool = typer.Option(False, "--overdue", help="逾期的 / past the deadline"),
    unclaimed: bool = typer.Option(False, "--unclaimed", help="没人认领的 / nobody claimed"),
) -> None:
    """Wishes by deadline (心愿列表)."""
    now = SystemClock(settings().tz).now()
    with Session(engine()) as session, error_boundary():
        found = _chosen(session, org, state, overdue, unclaimed, now)
        table = Table(title=f"微心愿 / wishes ({len(found)})")
        for column in ("id", "心愿 / title", "发布 / by", "截止 / due", "人数 / taken", "状态 / state"):
            table.add_column(column)
        for w in found:
            owner = session.get(Organization, w.org_id)
            table.add_row(
                str(w.id),
                Text(w.title),
                Text(owner.name if owner else ""),
                wish_flow.due_text(w),
                f"{w.taken}/{w.places}",
                texts.WISH_STATES.get(w.state, w.state),
            )
    console.print(table)


@app.command("add")
def add(
    org: str = typer.Option(..., "--org", help="社区或网格 / the community or grid"),
    title: str = typer.Option(..., "--title", help="心愿内容 / what is wished for"),
    due: datetime = typer.Option(
        ...,
        "--due",
        formats=["%Y-%m-%d", "%Y-%m-%d %H:%M"],
        help="截止 / deadline, 2026-12-10 or '2026-12-10 18:00'",
    ),
    places: int = typer.Option(1, "--places", min=1, help="需要几人 / how many people"),
    resident: str = typer.Option(
        "", "--for", help="居民（对党员只显示姓氏）/ the resident, masked to members"
    ),
    place: str = typer.Option("", "--place", help="地点 / where"),
) -> None:
    """Post a wish and tell the community's reported members and chats (发布心愿)."""
    tz = settings().tz
    now = SystemClock(tz).now()
    at = due.replace(tzinfo=tz) if due.hour or due.minute else due.replace(hour=23, minute=59, tzinfo=tz)
    with session_scope(engine()) as session, error_boundary():
        target = _community(session, org)
        assert target.id is not None
        try:
            wish = wishes.post(
                session,
                org_id=target.id,
                title=title,
                due_at=at,
                now=now,
                places=places,
                resident=resident,
                place=place,
            )
        except wishes.Refused as refused:
            raise fail(
                texts.WISH_REFUSED.get(refused.code, refused.code).format(id=""), EXIT_USAGE
            ) from refused
        reached = wish_flow.announce(session, wish, now=now)
        record(session, action="wish_post", at=now, org_id=target.id, channel="cli", detail=f"wish={wish.id}")
        console.print(
            f"已发布心愿 {wish.id}，通知 {reached} 个会话 / posted wish {wish.id}, {reached} chats told"
        )


@app.command("show")
def show(wish_id: int = typer.Argument(help="心愿编号 / the wish's id")) -> None:
    """One wish with its claims (心愿详情)."""
    with Session(engine()) as session:
        wish = session.get(Wish, wish_id)
        if wish is None:
            raise fail(f"没有心愿 {wish_id} / no wish {wish_id}")
        owner = session.get(Organization, wish.org_id)
        for label, shown in (
            ("心愿 / title", wish.title),
            ("发布 / by", owner.name if owner else ""),
            ("对象 / for", wish.resident or "—"),
            ("地点 / place", wish.place or "—"),
            ("截止 / due", wish_flow.due_text(wish)),
            ("人数 / taken", f"{wish.taken}/{wish.places}"),
            ("状态 / state", texts.WISH_STATES.get(wish.state, wish.state)),
        ):
            console.print(Text.assemble((f"{label}: ", "bold"), shown))
        for claim in wishes.claims(session, wish_id, statuses=("active", "done", "released")):
            member = session.get(Member, claim.member_id)
            note = f" — {claim.note}" if claim.note else ""
            console.print(Text(f"  · {member.name if member else '?'} {claim.status}{note}"))


@app.command("cancel")
def cancel(wish_id: int = typer.Argument(help="心愿编号 / the wish's id")) -> None:
    """Cancel a wish still waiting for people; its claimants are told (取消心愿)."""
    now = SystemClock(settings().tz).now()
    with session_scope(engine()) as session:
        try:
            wish = wish_flow.cancel_wish(session, wish_id=wish_id, now=now)
        except wishes.Refused as refused:
            raise fail(texts.WISH_REFUSED.get(refused.code, refused.code).format(id=wish_id)) from refused
        record(
            session, action="wish_cancel", at=now, org_id=wish.org_id, channel="cli", detail=f"wish={wish_id}"
        )
    console.print(f"已取消心愿 {wish_id} / cancelled")


@app.command("export")
def export(
    org: str = typer.Option(..., "--org", help="社区或网格 / the community or grid"),
    out: Path = typer.Option(None, "--out", "-o", help="输出文件 / output .xlsx"),
) -> None:
    """Every wish of a community with its claims, as .xlsx (心愿台账)."""
    now = SystemClock(settings().tz).now()
    with session_scope(engine()) as session, error_boundary():
        target = _community(session, org)
        data = wishes_book(session, wishes.of_orgs(session, subtree(session, target), limit=100_000))
        record(session, action="export_wishes", at=now, org_id=target.id, channel="cli")
        name = target.name
    _write(out or Path(f"{name}-微心愿.xlsx"), data)
