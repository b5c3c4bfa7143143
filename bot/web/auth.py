"""Who is looking: the session cookie and the CSRF token every write must carry.

The cookie holds only a random session token (storage/console_sessions.py keeps its hash): HttpOnly,
SameSite=Lax, Secure when the console is served over https, scoped to /console. Every POST must carry
the session's CSRF token, as the form field ``csrf`` or the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.web.config import ConsoleConfig
from handlers.console import Scope, scope_of
from storage import console_sessions
from storage.models import Member, MemberStatus

COOKIE = "zhibu_console"
COOKIE_PATH = "/console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in member and what they may see."""

    session_id: int
    csrf: str
    scope: Scope

    @property
    def member(self) -> Member:
        return self.scope.member


def viewer(session: Session, request: Request, *, config: ConsoleConfig, now: datetime) -> Viewer | None:
    """The member behind the request's cookie, or None: no cookie, an ended session, or a member who left."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    row = console_sessions.current(session, token=token, now=now, idle=config.idle)
    if row is None or row.id is None:
        return None
    member = session.get(Member, row.member_id)
    if member is None or member.status == MemberStatus.TRANSFERRED_OUT:
        return None
    return Viewer(row.id, row.csrf_token, scope_of(session, member))


def csrf_ok(seen: Viewer, request: Request, form: Mapping[str, object]) -> bool:
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    return isinstance(given, str) and secrets.compare_digest(given.encode(), seen.csrf.encode())


def set_cookie(response: Response, token: str, config: ConsoleConfig) -> None:
    """A browser-session cookie; the server ends the session itself after ``config.idle`` without use."""
    response.set_cookie(COOKIE, token, path=COOKIE_PATH, httponly=True, samesite="lax", secure=config.secure)


def clear_cookie(response: Response, config: ConsoleConfig) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=config.secure)
