"""The plumbing every console page shares: a session per request, the viewer, CSRF, 403s and rendering.

A page is a method ``(session, viewer, request, form) -> Response`` wrapped by ``Base.page``: it runs in a
worker thread inside one database transaction. A request without a live session goes to the login help
page; ``Forbidden`` raised by a page becomes a 403 page; a POST without the session's CSRF token is a 403
page and changes nothing. Writes call ``Base.audit`` (channel "web").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.core.clock import Clock
from bot.web import auth
from bot.web.auth import Viewer
from bot.web.config import ConsoleConfig
from bot.web.render import page
from handlers import texts
from handlers.meetings import notified
from storage.audit import record
from storage.db import session_scope

PREFIX = "/console"
HOME = f"{PREFIX}/"
LOGIN = f"{PREFIX}/login"
PAGE_SIZE = 50
AUDIT_CHANNEL = "web"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

View = Callable[[Session, Viewer, Request, Mapping[str, Any]], Response]


class Forbidden(Exception):
    """The signed-in member may not see or do this."""


def number(value: str | None, default: int = 1) -> int:
    """A page number or id from the query string; ``default`` when it is none."""
    try:
        return max(int(value or default), 1)
    except ValueError:
        return default


def download(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save (an .xlsx, an .ics), never kept by a cache."""
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    }
    return Response(body, media_type=media_type, headers=headers)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def back_to(form: Mapping[str, Any], default: str) -> str:
    """Where a form came from (a page of the console, never elsewhere), with ``notice`` to show there."""
    back = str(form.get("back") or "")
    return back if back.startswith(f"{PREFIX}/") and "//" not in back and "\\" not in back else default


def with_params(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


def require_manager(seen: Viewer) -> None:
    if not seen.scope.manages:
        raise Forbidden


def _notice(request: Request) -> str:
    """The message a page shows after a write; the query string names one, so no text comes from outside."""
    key, state = request.query_params.get("notice", ""), request.query_params.get("state", "")
    given = request.query_params.get("count", "")
    count = int(given) if given.isdigit() else 0
    why = texts.CONSOLE_DELIVERY_STATE.get(state, "")
    notices = {
        "retried": texts.CONSOLE_RETRIED.format(count=count),
        "not_retried": texts.CONSOLE_NOT_RETRIED.format(why=why),
        "cancelled": texts.CONSOLE_CANCELLED,
        "not_cancelled": texts.CONSOLE_NOT_CANCELLED.format(why=why),
        "meeting_created": texts.CONSOLE_MEETING_CREATED,
        "meeting_moved": texts.CONSOLE_MEETING_MOVED + notified(count),
        "meeting_cancelled": texts.CONSOLE_MEETING_CANCELLED + notified(count),
        "attendance_saved": texts.CONSOLE_ATTENDANCE_SAVED,
        "guide_published": texts.CONSOLE_GUIDE_PUBLISHED,
        "guide_scheduled": texts.CONSOLE_GUIDE_SCHEDULED,
        "guide_withdrawn": texts.CONSOLE_GUIDE_WITHDRAWN,
        "guide_gone": texts.CONSOLE_GUIDE_GONE,
        "kb_saved": texts.CONSOLE_KB_SAVED,
        "kb_deleted": texts.CONSOLE_KB_DELETED,
        "broadcast_queued": texts.CONSOLE_BROADCAST_QUEUED.format(count=count),
        "guide_replaced": texts.CONSOLE_GUIDE_REPLACED + texts.CONSOLE_GUIDE_PUBLISHED,
        "transferred_out": texts.CONSOLE_TRANSFERRED_OUT
        + (texts.CONSOLE_TRANSFER_WITHDRAWN.format(count=count) if count else ""),
        "transferred_in": texts.CONSOLE_TRANSFERRED_IN,
    }
    return notices.get(key, "")


def _query(request: Request) -> Callable[..., str]:
    """``query(page=2)``: this page's query string with some parameters changed (for paging and sorting)."""

    def build(**changes: object) -> str:
        params = {k: v for k, v in request.query_params.items() if k not in ("notice", "state", "count")}
        params.update({k: str(v) for k, v in changes.items()})
        return "?" + urlencode({k: v for k, v in params.items() if v not in ("", "None")})

    return build


class Base:
    """What every group of console routes holds: the database, the clock and the [web] settings."""

    def __init__(self, engine: Engine, clock: Clock, config: ConsoleConfig) -> None:
        self.engine, self.clock, self.config = engine, clock, config

    def render(
        self, request: Request, seen: Viewer | None, name: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        base = {
            "viewer": seen,
            "csrf": seen.csrf if seen else "",
            "notice": _notice(request),
            "path": request.url.path,
            "query": _query(request),
        }
        return page(request, name, {**base, **context}, status)

    def _run(self, request: Request, view: View, form: Mapping[str, Any] | None) -> Response:
        with session_scope(self.engine) as session:
            seen = auth.viewer(session, request, config=self.config, now=self.clock.now())
            if seen is None:
                return see_other(
                    with_params(LOGIN, expired="1") if request.cookies.get(auth.COOKIE) else LOGIN
                )
            if form is not None and not auth.csrf_ok(seen, request, form):
                return self.render(request, seen, "error.html", {"message": texts.CONSOLE_CSRF}, 403)
            try:
                return view(session, seen, request, form if form is not None else {})
            except Forbidden:
                session.rollback()
                return self.render(request, seen, "error.html", {"message": texts.CONSOLE_FORBIDDEN}, 403)

    def page(self, view: View) -> Callable[[Request], Any]:
        """The endpoint of a page that needs a signed-in viewer (and, for a POST, the CSRF token)."""

        async def endpoint(request: Request) -> Response:
            if request.method != "POST":
                return await run_in_threadpool(self._run, request, view, None)
            async with request.form() as form:  # closes uploaded files afterwards
                return await run_in_threadpool(self._run, request, view, form)

        return endpoint

    def audit(
        self, session: Session, seen: Viewer, action: str, org_id: int | None, detail: str = ""
    ) -> None:
        record(
            session,
            action=action,
            at=self.clock.now(),
            member_id=seen.member.id,
            org_id=org_id,
            channel=AUDIT_CHANNEL,
            detail=detail,
        )
