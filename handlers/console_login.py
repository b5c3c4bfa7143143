"""后台 / 登录后台: a one-time link to the web console, given only in a private chat to a bound member.

The link's secret is a console code of storage/bindcodes.py (160 random bits, stored hashed, single
use, ``CONSOLE_TTL``); bot/web/ turns it into a browser session.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.messages import Reply
from handlers import texts
from handlers.context import HandlerContext
from handlers.scope import audit
from storage import bindcodes
from storage.bindcodes import CONSOLE_TTL, Purpose
from storage.models import Member, Organization

LOGIN_PATH = "/console/login/"


def login_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{LOGIN_PATH}{code}"


def issue_link(session: Session, *, member: Member, base_url: str, now: datetime) -> str:
    """A fresh login link for ``member``; earlier unused links of theirs stop working."""
    code, _ = bindcodes.issue(session, purpose=Purpose.CONSOLE, now=now, member_id=member.id)
    return login_url(base_url, code)


def link_text(url: str) -> str:
    return texts.CONSOLE_LINK.format(minutes=int(CONSOLE_TTL.total_seconds() // 60), url=url)


def login(ctx: HandlerContext) -> list[Reply]:
    """后台: a login link for a bound member, in a private chat (handlers/commands.py refuses the rest)."""
    assert ctx.asker is not None
    if not ctx.console_url:
        return [Reply(texts.CONSOLE_NO_URL)]
    url = issue_link(ctx.session, member=ctx.asker, base_url=ctx.console_url, now=ctx.now)
    audit(ctx, "console_link", ctx.session.get(Organization, ctx.asker.org_id))
    return [Reply(link_text(url))]
