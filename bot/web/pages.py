"""The console's pages: the overview, deliveries, members, the audit log and my page.

A new page is a method ``(session, viewer, request, form) -> Response`` here (what it shows is decided in
handlers/ and read in storage/), a route in ``routes`` and a template extending base.html; bot/web/views.py
does the rest. bot/runtime.py adds ``routes(...)`` to the app that `zhibu serve` runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core.channel import WebLogin
from bot.core.clock import SHANGHAI, Clock
from bot.web.auth import Viewer
from bot.web.broadcasts import BroadcastPages
from bot.web.config import ConsoleConfig
from bot.web.guides import GuidePages
from bot.web.knowledge import KnowledgePages
from bot.web.login import Login
from bot.web.meetings import MeetingPages
from bot.web.members import MemberPages
from bot.web.render import HERE
from bot.web.views import (
    PAGE_SIZE,
    PREFIX,
    XLSX,
    Base,
    Forbidden,
    back_to,
    download,
    number,
    require_manager,
    see_other,
    with_params,
)
from handlers import overview, texts
from handlers.console import my_page
from handlers.console_birthdays import months
from storage import audit, outbox
from storage.guides import BadMonth, check_month
from storage.models import Delivery, DeliveryStatus


class Pages(Base):
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
            by=q.get("by", ""),
            opened=int(q["group"]) if q.get("group", "").isdigit() else None,
        )
        return view, error

    def _overview(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        if not seen.scope.manages:
            return see_other(f"{PREFIX}/me")
        view, error = self._overview_of(session, seen, request, number(request.query_params.get("page")))
        q = request.query_params
        return self.render(
            request,
            seen,
            "overview.html",
            {
                "view": view,
                "q": q.get("q", ""),
                "behind": bool(q.get("behind")),
                "sort": q.get("sort", "name"),
                "by": q.get("by", ""),
                "error": error,
            },
        )

    def _overview_xlsx(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        """The whole overview (every row, filtered and sorted as on the page) as an .xlsx download."""
        require_manager(seen)
        view, _ = self._overview_of(session, seen, request, None)
        return download(overview.workbook(view), XLSX, f"组织生活落实情况-{view.month}.xlsx")

    def _deliveries(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        require_manager(seen)
        q = request.query_params
        status = q.get("status") or None
        status = status if status in {s.value for s in DeliveryStatus} else None
        kind, chat, page_number = q.get("kind") or None, q.get("chat") or None, number(q.get("page"))
        rows = outbox.newest(
            session,
            status=status,
            kind=kind,
            chat_id=chat,
            org_ids=seen.scope.org_ids,
            limit=PAGE_SIZE + 1,
            offset=(page_number - 1) * PAGE_SIZE,
        )
        return self.render(
            request,
            seen,
            "deliveries.html",
            {
                "rows": rows[:PAGE_SIZE],
                "more": len(rows) > PAGE_SIZE,
                "page_number": page_number,
                "status": status or "",
                "kind": kind or "",
                "chat": chat or "",
                "kinds": outbox.kinds(session),
                "statuses": [s.value for s in DeliveryStatus],
                "orgs": seen.scope.orgs,
                "back": f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path,
            },
        )

    def _one_delivery(self, session: Session, seen: Viewer, request: Request) -> Delivery:
        require_manager(seen)
        row = session.get(Delivery, number(request.path_params["delivery_id"], 0))
        if row is None or row.org_id is None or row.org_id not in seen.scope.org_ids:
            raise Forbidden
        return row

    def _retry(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        row = self._one_delivery(session, seen, request)
        back = back_to(form, f"{PREFIX}/deliveries")
        if row.status != DeliveryStatus.FAILED:
            return see_other(with_params(back, notice="not_retried", state=row.status))
        count = outbox.retry_failed(session, now=self.clock.now(), ids=[row.id or 0])
        self.audit(session, seen, "outbox_retry", row.org_id, f"id={row.id} count={count}")
        return see_other(with_params(back, notice="retried", count=str(count)))

    def _cancel(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        row = self._one_delivery(session, seen, request)
        back = back_to(form, f"{PREFIX}/deliveries")
        if row.status != DeliveryStatus.PENDING or not outbox.cancel(
            session, ids=[row.id or 0], reason="cancelled from the web console"
        ):
            session.refresh(row)
            return see_other(with_params(back, notice="not_cancelled", state=row.status))
        self.audit(session, seen, "outbox_cancel", row.org_id, f"id={row.id}")
        return see_other(with_params(back, notice="cancelled"))

    def _audit_log(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        """Who did what in the organizations the viewer manages (their own organization included)."""
        require_manager(seen)
        q = request.query_params
        action, page_number, error = q.get("action") or None, number(q.get("page")), ""
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
            offset=(page_number - 1) * PAGE_SIZE,
        )
        return self.render(
            request,
            seen,
            "audit.html",
            {
                "rows": rows[:PAGE_SIZE],
                "more": len(rows) > PAGE_SIZE,
                "page_number": page_number,
                "error": error,
                "action": action or "",
                "actions": audit.actions(session),
                "since": q.get("since", ""),
            },
        )

    def _birthdays(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        """This month's and next month's 政治生日 in the viewer's branches, and when each was greeted."""
        require_manager(seen)
        today = self.clock.now().astimezone(SHANGHAI).date()
        asked = request.query_params.get("branch", "")
        chosen = seen.scope.branch_of(int(asked)) if asked.isdigit() else None
        branch_id = chosen.id if chosen is not None else None
        context = {
            "months": months(session, seen.scope, today, branch_id=branch_id),
            "today": today,
            "branches": seen.scope.branches,
            "chosen": branch_id,
        }
        return self.render(request, seen, "birthdays.html", context)

    def _me(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        return self.render(
            request, seen, "me.html", {"me": my_page(session, seen.scope, now=self.clock.now())}
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.page(self._overview), methods=["GET"]),
            Route("/overview.xlsx", self.page(self._overview_xlsx), methods=["GET"]),
            Route("/deliveries", self.page(self._deliveries), methods=["GET"]),
            Route("/deliveries/{delivery_id}/retry", self.page(self._retry), methods=["POST"]),
            Route("/deliveries/{delivery_id}/cancel", self.page(self._cancel), methods=["POST"]),
            Route("/audit", self.page(self._audit_log), methods=["GET"]),
            Route("/birthdays", self.page(self._birthdays), methods=["GET"]),
            Route("/me", self.page(self._me), methods=["GET"]),
        ]


def routes(
    engine: Engine,
    clock: Clock,
    config: ConsoleConfig,
    web_logins: Mapping[tuple[str, str], WebLogin] | None = None,
) -> list[BaseRoute]:
    """Everything under /console/: login (through ``web_logins`` too, by section and account), the pages
    and the static files (htmx, the stylesheet)."""
    groups = (
        Login(engine, clock, config, web_logins),
        Pages(engine, clock, config),
        MeetingPages(engine, clock, config),
        GuidePages(engine, clock, config),
        BroadcastPages(engine, clock, config),
        MemberPages(engine, clock, config),
        KnowledgePages(engine, clock, config),
    )
    static = Mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return [Mount(PREFIX, routes=[*(r for g in groups for r in g.routes()), static])]
