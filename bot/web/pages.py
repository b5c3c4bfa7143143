"""The console's routes: login through a one-time link, the overview, deliveries, members and my page.

Each view runs in a worker thread inside one database transaction. A request without a live session is
sent to the login help page; a page the scope does not allow is a 403 page; a POST without the session's
CSRF token is a 403 page and changes nothing. Every write is recorded in the audit log (channel "web").
bot/runtime.py adds ``routes(...)`` to the app that `zhibu serve` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core.clock import SHANGHAI, Clock
from bot.web import auth
from bot.web.auth import Viewer
from bot.web.config import ConsoleConfig
from bot.web.render import HERE, page
from handlers import overview, texts
from handlers.console import my_page
from handlers.console_login import LOGIN_PATH
from storage import audit, bindcodes, console_sessions, outbox
from storage.audit import record
from storage.bindcodes import CodeRejected, Purpose
from storage.db import session_scope
from storage.guides import BadMonth, check_month
from storage.members import bound_ids, mask_phone, roster_page
from storage.models import Delivery, DeliveryStatus, Member, MemberStatus

PREFIX = "/console"
HOME = f"{PREFIX}/"
LOGIN = f"{PREFIX}/login"
PAGE_SIZE = 50
AUDIT_CHANNEL = "web"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

View = Callable[[Session, Viewer, Request, Mapping[str, Any]], Response]


class Forbidden(Exception):
    """The signed-in member may not see or do this."""


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(int(value or default), 1)
    except ValueError:
        return default


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _back(form: Mapping[str, Any], default: str) -> str:
    """Where a form came from (a page of the console, never elsewhere), with ``notice`` to show there."""
    back = str(form.get("back") or "")
    return back if back.startswith(f"{PREFIX}/") and "//" not in back and "\\" not in back else default


def _with(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


# The messages a page shows after a write; the query string names one, so no text comes from outside.
def _notice(request: Request) -> str:
    key, state = request.query_params.get("notice", ""), request.query_params.get("state", "")
    count = _int(request.query_params.get("count"), 0)
    why = texts.CONSOLE_DELIVERY_STATE.get(state, "")
    notices = {
        "retried": texts.CONSOLE_RETRIED.format(count=count),
        "not_retried": texts.CONSOLE_NOT_RETRIED.format(why=why),
        "cancelled": texts.CONSOLE_CANCELLED,
        "not_cancelled": texts.CONSOLE_NOT_CANCELLED.format(why=why),
    }
    return notices.get(key, "")


class Console:
    def __init__(self, engine: Engine, clock: Clock, config: ConsoleConfig) -> None:
        self.engine, self.clock, self.config = engine, clock, config

    # --- plumbing ---

    def _render(
        self, request: Request, seen: Viewer | None, name: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        base = {
            "viewer": seen,
            "csrf": seen.csrf if seen else "",
            "notice": _notice(request),
            "path": request.url.path,
        }
        return page(request, name, {**base, **context}, status)

    def _run(self, request: Request, view: View, form: Mapping[str, Any] | None) -> Response:
        with session_scope(self.engine) as session:
            seen = auth.viewer(session, request, config=self.config, now=self.clock.now())
            if seen is None:
                expired = {"expired": "1"} if request.cookies.get(auth.COOKIE) else {}
                return _see_other(_with(LOGIN, **expired) if expired else LOGIN)
            if form is not None and not auth.csrf_ok(seen, request, form):
                return self._render(request, seen, "error.html", {"message": texts.CONSOLE_CSRF}, 403)
            try:
                return view(session, seen, request, form or {})
            except Forbidden:
                session.rollback()
                return self._render(request, seen, "error.html", {"message": texts.CONSOLE_FORBIDDEN}, 403)

    def _page(self, view: View) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            form = dict(await request.form()) if request.method == "POST" else None
            return await run_in_threadpool(self._run, request, view, form)

        return endpoint

    def _audit(
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

    # --- login and logout ---

    def _login_help(self, request: Request) -> Response:
        with session_scope(self.engine) as session:
            seen = auth.viewer(session, request, config=self.config, now=self.clock.now())
        if seen is not None:
            return _see_other(HOME)
        return self._render(
            request,
            None,
            "login.html",
            {
                "how": texts.CONSOLE_HOW_TO_LOGIN,
                "expired": bool(request.query_params.get("expired")),
                "bye": bool(request.query_params.get("bye")),
            },
        )

    async def login_help(self, request: Request) -> Response:
        return await run_in_threadpool(self._login_help, request)

    def _link(self, request: Request, use: bool) -> Response:
        """GET shows whose link it is and a button; only the POST uses it (link previews must not)."""
        code, now = request.path_params["code"], self.clock.now()
        with session_scope(self.engine) as session:
            try:
                row = (bindcodes.redeem if use else bindcodes.check)(
                    session, code=code, purpose=Purpose.CONSOLE, now=now
                )
            except CodeRejected as exc:
                problem = texts.CONSOLE_LINK_PROBLEM[exc.problem.value]
                status = 404 if exc.problem.value in ("unknown", "wrong_purpose") else 410
                return self._render(
                    request,
                    None,
                    "link_problem.html",
                    {"problem": problem, "how": texts.CONSOLE_HOW_TO_LOGIN},
                    status,
                )
            member = session.get(Member, row.member_id)
            if member is None or member.id is None or member.status == MemberStatus.TRANSFERRED_OUT:
                return self._render(
                    request, None, "link_problem.html", {"problem": texts.CONSOLE_FORBIDDEN, "how": ""}, 403
                )
            if not use:
                return self._render(request, None, "confirm_login.html", {"member": member})
            opened = console_sessions.open_session(session, member_id=member.id, now=now)
            record(
                session,
                action="console_login",
                at=now,
                member_id=member.id,
                org_id=member.org_id,
                channel=AUDIT_CHANNEL,
            )
        response = _see_other(HOME)
        auth.set_cookie(response, opened.token, self.config)
        return response

    async def link(self, request: Request) -> Response:
        return await run_in_threadpool(self._link, request, request.method == "POST")

    def _logout(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        now = self.clock.now()
        if form.get("everywhere"):
            assert seen.member.id is not None
            count = console_sessions.revoke_all(session, member_id=seen.member.id, now=now)
            self._audit(session, seen, "console_logout_all", seen.member.org_id, f"sessions={count}")
        else:
            console_sessions.revoke(session, session_id=seen.session_id, now=now)
        response = _see_other(_with(LOGIN, bye="1"))
        auth.clear_cookie(response, self.config)
        return response

    # --- pages ---

    def _overview_of(
        self, session: Session, seen: Viewer, request: Request, page: int | None
    ) -> tuple[overview.Overview, str]:
        """The overview the query string asks for, and the reason when its month was not understood."""
        q, now = request.query_params, self.clock.now()
        month, error = q.get("month") or overview.this_month(now), ""
        try:
            month = check_month(month)
        except BadMonth as exc:
            month, error = overview.this_month(now), str(exc)
        view = overview.build(
            session,
            scope=seen.scope,
            month=month,
            now=now,
            search=q.get("q", ""),
            behind_only=bool(q.get("behind")),
            sort=q.get("sort", "name"),
            page=page,
        )
        return view, error

    def _overview(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        if not seen.scope.manages:
            return _see_other(f"{PREFIX}/me")
        view, error = self._overview_of(session, seen, request, _int(request.query_params.get("page")))
        q = request.query_params
        return self._render(
            request,
            seen,
            "overview.html",
            {
                "view": view,
                "q": q.get("q", ""),
                "behind": bool(q.get("behind")),
                "sort": q.get("sort", "name"),
                "error": error,
                "query": _query(request),
            },
        )

    def _overview_xlsx(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        """The whole overview (every row, filtered and sorted as on the page) as an .xlsx download."""
        _require_manager(seen)
        view, _ = self._overview_of(session, seen, request, None)
        name = quote(f"组织生活落实情况-{view.month}.xlsx")
        headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}", "Cache-Control": "no-store"}
        return Response(overview.workbook(view), media_type=XLSX, headers=headers)

    def _deliveries(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        _require_manager(seen)
        q = request.query_params
        status = q.get("status") or None
        status = status if status in {s.value for s in DeliveryStatus} else None
        kind, chat, number = q.get("kind") or None, q.get("chat") or None, _int(q.get("page"))
        rows = outbox.newest(
            session,
            status=status,
            kind=kind,
            chat_id=chat,
            org_ids=seen.scope.org_ids,
            limit=PAGE_SIZE + 1,
            offset=(number - 1) * PAGE_SIZE,
        )
        return self._render(
            request,
            seen,
            "deliveries.html",
            {
                "rows": rows[:PAGE_SIZE],
                "more": len(rows) > PAGE_SIZE,
                "page_number": number,
                "status": status or "",
                "kind": kind or "",
                "chat": chat or "",
                "kinds": outbox.kinds(session),
                "statuses": [s.value for s in DeliveryStatus],
                "orgs": seen.scope.orgs,
                "query": _query(request),
                "back": f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path,
            },
        )

    def _one_delivery(self, session: Session, seen: Viewer, request: Request) -> Delivery:
        _require_manager(seen)
        row = session.get(Delivery, _int(request.path_params["delivery_id"], 0))
        if row is None or row.org_id is None or row.org_id not in seen.scope.org_ids:
            raise Forbidden
        return row

    def _retry(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        row = self._one_delivery(session, seen, request)
        back = _back(form, f"{PREFIX}/deliveries")
        if row.status != DeliveryStatus.FAILED:
            return _see_other(_with(back, notice="not_retried", state=row.status))
        count = outbox.retry_failed(session, now=self.clock.now(), ids=[row.id or 0])
        self._audit(session, seen, "outbox_retry", row.org_id, f"id={row.id} count={count}")
        return _see_other(_with(back, notice="retried", count=str(count)))

    def _cancel(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        row = self._one_delivery(session, seen, request)
        back = _back(form, f"{PREFIX}/deliveries")
        if row.status != DeliveryStatus.PENDING or not outbox.cancel(
            session, ids=[row.id or 0], reason="cancelled from the web console"
        ):
            session.refresh(row)
            return _see_other(_with(back, notice="not_cancelled", state=row.status))
        self._audit(session, seen, "outbox_cancel", row.org_id, f"id={row.id}")
        return _see_other(_with(back, notice="cancelled"))

    def _members(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        _require_manager(seen)
        q = request.query_params
        status = q.get("status") or None
        status = status if status in {s.value for s in MemberStatus} else None
        number = _int(q.get("page"))
        members, total = roster_page(
            session,
            org_ids=seen.scope.org_ids,
            search=q.get("q", ""),
            status=status,
            offset=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        return self._render(
            request,
            seen,
            "members.html",
            {
                "members": members,
                "total": total,
                "page_number": number,
                "pages": max(1, -(-total // PAGE_SIZE)),
                "q": q.get("q", ""),
                "status": status or "",
                "statuses": [s.value for s in MemberStatus],
                "bound": bound_ids(session, [m.id for m in members if m.id is not None]),
                "orgs": seen.scope.orgs,
                "mask_phone": mask_phone,
                "query": _query(request),
            },
        )

    def _audit_log(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        """Who did what in the organizations the viewer manages (their own organization included)."""
        _require_manager(seen)
        q = request.query_params
        action, number, error = q.get("action") or None, _int(q.get("page")), ""
        since = None
        if q.get("since"):
            try:
                since = datetime.combine(date.fromisoformat(q["since"]), time(), SHANGHAI)
            except ValueError:
                error = texts.CONSOLE_BAD_DATE.format(date=q["since"])
        rows = audit.entries(
            session,
            org_ids=list(seen.scope.orgs),
            action=action,
            since=since,
            limit=PAGE_SIZE + 1,
            offset=(number - 1) * PAGE_SIZE,
        )
        return self._render(
            request,
            seen,
            "audit.html",
            {
                "rows": rows[:PAGE_SIZE],
                "more": len(rows) > PAGE_SIZE,
                "page_number": number,
                "error": error,
                "action": action or "",
                "actions": audit.actions(session),
                "since": q.get("since", ""),
                "query": _query(request),
            },
        )

    def _me(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        return self._render(
            request, seen, "me.html", {"me": my_page(session, seen.scope, now=self.clock.now())}
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Mount(
                PREFIX,
                routes=[
                    Route("/", self._page(self._overview), methods=["GET"]),
                    Route("/login", self.login_help, methods=["GET"]),
                    Route(LOGIN_PATH.removeprefix(PREFIX) + "{code}", self.link, methods=["GET", "POST"]),
                    Route("/logout", self._page(self._logout), methods=["POST"]),
                    Route("/overview.xlsx", self._page(self._overview_xlsx), methods=["GET"]),
                    Route("/deliveries", self._page(self._deliveries), methods=["GET"]),
                    Route("/deliveries/{delivery_id}/retry", self._page(self._retry), methods=["POST"]),
                    Route("/deliveries/{delivery_id}/cancel", self._page(self._cancel), methods=["POST"]),
                    Route("/members", self._page(self._members), methods=["GET"]),
                    Route("/me", self._page(self._me), methods=["GET"]),
                    Route("/audit", self._page(self._audit_log), methods=["GET"]),
                    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
                ],
            ),
        ]


def _require_manager(seen: Viewer) -> None:
    if not seen.scope.manages:
        raise Forbidden


def _query(request: Request) -> Callable[..., str]:
    """``query(page=2)``: this page's query string with some parameters changed (for paging and sorting)."""

    def build(**changes: object) -> str:
        params = {k: v for k, v in request.query_params.items() if k not in ("notice", "state", "count")}
        params.update({k: str(v) for k, v in changes.items()})
        return "?" + urlencode({k: v for k, v in params.items() if v not in ("", "None")})

    return build


def routes(engine: Engine, clock: Clock, config: ConsoleConfig) -> list[BaseRoute]:
    return Console(engine, clock, config).routes()
