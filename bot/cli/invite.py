"""`zhibu members invite` and `zhibu members chat-code`: one-time binding codes from the terminal."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.text import Text
from sqlmodel import Session

from bot.cli._common import console, engine, error_boundary, fail, settings
from bot.core.clock import SystemClock
from storage import bindcodes
from storage.audit import record
from storage.bindcodes import Purpose
from storage.db import session_scope
from storage.members import by_name, in_org
from storage.models import Member
from storage.orgs import resolve


def one_member(session: Session, name: str, org: str | None) -> Member:
    """The one roster member of that name (in ``org`` when given); fails naming the problem otherwise."""
    if org:
        found = [m for m in in_org(session, resolve(session, org).id) if m.name == name]
    else:
        found = by_name(session, name)
    if not found:
        raise fail(f"名册里没有“{name}” / no member named {name!r}")
    if len(found) > 1:
        raise fail(f"有{len(found)}位“{name}”，请加 --org / {len(found)} members named {name!r}: add --org")
    return found[0]


def invite(
    name: str = typer.Argument(..., help="党员姓名 / member name"),
    org: str = typer.Option(None, "--org", help="同名时限定组织 / narrow down by organization"),
    hours: int = typer.Option(72, "--hours", min=1, max=24 * 30, help="有效小时数 / hours valid"),
) -> None:
    """Print a one-time binding code for a member (生成个人绑定码)."""
    now = SystemClock(settings().tz).now()
    with session_scope(engine()) as session, error_boundary():
        member = one_member(session, name, org)
        code, _ = bindcodes.issue(
            session, purpose=Purpose.MEMBER, now=now, member_id=member.id, ttl=timedelta(hours=hours)
        )
        record(
            session,
            action="invite",
            at=now,
            org_id=member.org_id,
            channel="cli",
            detail=f"member={member.id}",
        )
    console.print(Text.assemble(f"{name} 的绑定码 / binding code: ", (bindcodes.display(code), "bold")))
    console.print(
        f"请本人私聊机器人发送 / the member sends privately: 绑定 {bindcodes.display(code)}  ({hours} h, once)"  # noqa: E501
    )


def chat_code(
    org: str = typer.Option(..., "--org", help="要绑定群的组织 / organization of the group"),
) -> None:
    """Print a one-time code that binds a group chat to an organization (生成群绑定码)."""
    now = SystemClock(settings().tz).now()
    with session_scope(engine()) as session, error_boundary():
        target = resolve(session, org)
        code, row = bindcodes.issue(session, purpose=Purpose.CHAT, now=now, org_id=target.id)
        record(session, action="chat_code", at=now, org_id=target.id, channel="cli")
        minutes = int((row.expires_at - now).total_seconds() // 60)
    console.print(Text.assemble(f"{org} 的群绑定码 / group code: ", (bindcodes.display(code), "bold")))
    console.print(
        f"在群里发送 / send in the group: 绑定本群 {bindcodes.display(code)}  ({minutes} min, once)"
    )
