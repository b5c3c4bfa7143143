"""The console's 清单 page: write or upload a month's guide, preview it as a branch receives it, publish it to
every branch below or to the chosen ones, and follow where it went (per branch and chat), retrying failures.

Publishing is the chat's 发布清单 (handlers/guide.py, storage/guides.py); the guide job sends it
(schedules/guides.py) from the month's release time, or at once when the month has begun.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.preview import parts
from bot.core.clock import SHANGHAI
from bot.web.auth import Viewer
from bot.web.views import PREFIX, Base, Forbidden, require_manager, see_other
from handlers import texts
from handlers.console_guides import draft_of, failed_ids, preview, report
from handlers.guide import when_sent
from storage import outbox
from storage.guide_import import GuideFormatError
from storage.guides import BadMonth, check_month, store_guide
from storage.models import Organization


def _chosen(seen: Viewer, form: Any) -> list[Organization]:
    """The branches ticked in the form, each one the viewer manages; every managed branch when none is."""
    ids = {int(v) for v in form.getlist("branch") if str(v).isdigit()}
    if not ids:
        return list(seen.scope.branches)
    if not ids <= seen.scope.branch_ids:
        raise Forbidden
    return [b for b in seen.scope.branches if b.id in ids]


class GuidePages(Base):
    def _month(self, value: object) -> tuple[str, str]:
        this = self.clock.now().astimezone(SHANGHAI).strftime("%Y-%m")
        try:
            return check_month(str(value or this)), ""
        except BadMonth as exc:
            return this, str(exc)

    def _page(self, session: Session, seen: Viewer, request: Request, month: str, **extra: Any) -> Response:
        reports = report(session, seen.scope, month)
        context = {
            "month": month,
            "branches": seen.scope.branches,
            "chosen": {b.id for b in extra.pop("chosen", seen.scope.branches)},
            "reports": reports,
            "failed": len(failed_ids(reports)),
            "text": "",
            "error": "",
            "shown": None,
            **extra,
        }
        return self.render(request, seen, "guides.html", context)

    def _show(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        require_manager(seen)
        month, error = self._month(request.query_params.get("month"))
        when = when_sent(month, self.clock.now().astimezone(SHANGHAI).date())
        return self._page(session, seen, request, month, error=error, when=when)

    def _post(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        require_manager(seen)
        month, error = self._month(form.get("month"))
        chosen = _chosen(seen, form)
        text = str(form.get("text", ""))
        upload = form.get("file")
        given = (upload.filename or "", upload.file.read()) if isinstance(upload, UploadFile) else None
        if error:
            return self._page(session, seen, request, month, error=error, text=text, chosen=chosen)
        try:
            draft = draft_of(text, given, month)
        except (GuideFormatError, BadMonth) as exc:
            problem = texts.GUIDE_BAD_FILE.format(reason=exc)
            return self._page(session, seen, request, month, error=problem, text=text, chosen=chosen)
        home = seen.scope.home
        if form.get("action") != "publish":
            shown = preview(draft, issuer=home, branch=chosen[0], month=month)
            return self._page(
                session, seen, request, month, text=text, chosen=chosen, shown=shown, parts=parts(shown)
            )
        assert home.id is not None
        every = len(chosen) == len(seen.scope.branches)
        only = [] if every else [b.id for b in chosen if b.id is not None]
        _, replaced = store_guide(
            session, org_id=home.id, month=month, draft=draft, now=self.clock.now(), only=only
        )
        names = texts.CONSOLE_GUIDE_EVERY if every else "、".join(b.name for b in chosen)
        self.audit(session, seen, "guide_publish", home.id, f"{month} {draft.title} -> {names}")
        notice = "guide_replaced" if replaced else "guide_published"
        return see_other(f"{PREFIX}/guides?month={month}&notice={notice}")

    def _retry(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        require_manager(seen)
        month, _ = self._month(form.get("month"))
        ids = failed_ids(report(session, seen.scope, month))
        count = outbox.retry_failed(session, now=self.clock.now(), ids=ids) if ids else 0
        self.audit(session, seen, "outbox_retry", seen.scope.home.id, f"guide {month} count={count}")
        return see_other(f"{PREFIX}/guides?month={month}&notice=retried&count={count}")

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/guides", self.page(self._show), methods=["GET"]),
            Route("/guides", self.page(self._post), methods=["POST"]),
            Route("/guides/retry", self.page(self._retry), methods=["POST"]),
        ]
