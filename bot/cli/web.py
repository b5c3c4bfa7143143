"""`zhibu console link NAME`: a one-time web-console login link from the terminal.

For the first login on a fresh install (before any chat is set up) and for the demo; members
otherwise send 后台 to the bot in a private chat. The link is the last line printed.
"""

from __future__ import annotations

import typer

from bot.cli._common import console, engine, error_boundary, fail, settings
from bot.cli.invite import one_member
from bot.core.clock import SystemClock
from handlers.console_login import issue_link
from storage.audit import record
from storage.db import session_scope
from storage.models import MemberStatus

app = typer.Typer(help="网页后台 / the web console.", no_args_is_help=True)


@app.command("link")
def link(
    name: str = typer.Argument(..., help="党员姓名 / member name"),
    org: str = typer.Option(None, "--org", help="同名时限定组织 / narrow down by organization"),
    base_url: str = typer.Option(
        None, "--base-url", help="后台网址，默认 [web] base_url / where browsers reach zhibu serve"
    ),
) -> None:
    """Print a one-time login link to the web console for a member (网页后台登录链接)."""
    config = settings()
    base = (base_url or config.console_url).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise fail(
            "请用 --base-url 给出后台网址，或在 zhibu.toml 的 [web] 设置 base_url / "
            "give --base-url http://HOST:PORT or set [web] base_url",
            2,
        )
    now = SystemClock(config.tz).now()
    with session_scope(engine()) as session, error_boundary():
        member = one_member(session, name, org)
        if member.status == MemberStatus.TRANSFERRED_OUT:
            raise fail(f"“{name}”已转出，不能登录 / {name!r} was transferred out")
        url = issue_link(session, member=member, base_url=base, now=now)
        record(
            session, action="console_link", at=now, member_id=member.id, org_id=member.org_id, channel="cli"
        )
    console.print(
        f"{member.name} 的网页后台登录链接（10分钟内有效，只能用一次）/ one-time login link, 10 minutes:"
    )
    console.print(url, soft_wrap=True)
