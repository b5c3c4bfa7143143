"""The console's 通知 (broadcast) page: compose, see the reach ("N 个群，覆盖 M 名党员") and a warning
when the same text went to the same chats in the last 24 h, confirm, then follow the notice per chat.

It is the chat's 发布 / 确认发送 (handlers/broadcast.py): the same plan, repeat check and queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.web.auth import Viewer
from bot.web.views import PREFIX, Base, Forbidden, number, require_manager, see_other
from handlers import broadcast, texts
from storage import broadcasts
from storage.models import Organization

MAX_TEXT = 2000


class BroadcastPages(Base):
    def _org(self, seen: Viewer, value: object) -> Organization:
        """Whom the notice is from: the viewer's organization (everything below it) or one managed branch."""
        require_manager(seen)
        wanted = number(str(value or ""), 0)
        if not value or wanted == seen.scope.home.id:
            return seen.scope.home
        branch = seen.scope.branch_of(wanted)
        if branch is None:
            raise Forbidden
        return branch

    def _page(self, session: Session, seen: Viewer, request: Request, **extra: Any) -> Response:
        batch = request.query_params.get("batch") or broadcasts.latest_batch(
            session, org_ids=seen.scope.org_ids
        )
        rows = broadcasts.batch_status(session, batch=batch) if batch else []
        if rows and not all(r.org_id in seen.scope.orgs for r in rows):
            raise Forbidden
        context = {
            "home": seen.scope.home,
            "branches": seen.scope.branches,
            "org_id": seen.scope.home.id,
            "text": "",
            "reach": None,
            "batch": batch if rows else None,
            "rows": rows,
            "totals": broadcasts.totals(session, batch=batch) if batch and rows else {},
            "orgs": seen.scope.orgs,
            "error": "",
            "repeat_warning": texts.BROADCAST_REPEAT.strip(),
            **extra,
        }
        return self.render(request, seen, "broadcasts.html", context)

    def _show(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        require_manager(seen)
        return self._page(session, seen, request)

    def _post(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        org = self._org(seen, form.get("org"))
        text = str(form.get("text", "")).strip()
        if not text or len(text) > MAX_TEXT:
            error = (
                texts.CONSOLE_BROADCAST_EMPTY if not text else texts.CONSOLE_BROADCAST_LONG.format(n=MAX_TEXT)
            )
            return self._page(session, seen, request, org_id=org.id, text=text, error=error)
        reach = broadcast.plan(session, org)
        if not reach.targets:
            error = texts.BROADCAST_NO_CHATS.format(org=org.name)
            return self._page(session, seen, request, org_id=org.id, text=text, error=error)
        if form.get("action") != "confirm":
            repeat = broadcast.repeated(session, reach, text, self.clock.now())
            return self._page(session, seen, request, org_id=org.id, text=text, reach=reach, repeat=repeat)
        batch, queued = broadcast.send(session, org, text, self.clock.now())
        self.audit(session, seen, "broadcast", org.id, broadcast.logged(batch, queued, text))
        return see_other(f"{PREFIX}/broadcasts?batch={batch}&notice=broadcast_queued&count={queued}")

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/broadcasts", self.page(self._show), methods=["GET"]),
            Route("/broadcasts", self.page(self._post), methods=["POST"]),
        ]
