"""The console's 清单 page: write or upload a month's guide, preview it as a branch receives it, publish it to
every branch below or to the chosen ones, and follow where it went (per branch and chat), retrying failures.

Publishing is the chat's 发布清单 (handlers/guide.py, storage/guides.py); the guide job sends it
(schedules/guides.py) from the month's release time, or at once when the month has begun. A publish time
chosen ahead is stored as the guide's publication time: the same job sends it from then on, and until then
it is listed as 定时 with a change of time and a cancel.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.channels.preview import parts
from bot.core.clock import SHANGHAI
from bot.web.auth import Viewer
from bot.web.views import PAGE_SIZE, PREFIX, Base, Forbidden, number, require_manager, see_other
from handlers import texts
from handlers.console_guides import draft_of, failed_ids, preview, report, states
from handlers.guide import when_sent
from storage import outbox
from storage.guide_import import GuideFormatError
from storage.guides import BadMonth, check_month, month_guide, scheduled, store_guide, withdraw
from storage.models import Guide, Organization


def _chosen(seen: Viewer, form: Any) -> list[Organization]:
    """The branches ticked in the form, each one the viewer manages; every managed branch when none is."""
    ids = {int(v) for v in form.getlist("branch") if str(v).isdigit()}
    if not ids:
        return list(seen.scope.branches)
    if not ids <= seen.scope.branch_ids:
        raise Forbidden
    return [b for b in seen.scope.branches if b.id in ids]


def _at(value: object) -> datetime | None:
    """A datetime-local field (2026-12-01T09:00) as a Shanghai moment; None when empty or not understood."""
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=SHANGHAI) if value else None
    except ValueError:
        return None


class GuidePages(Base):
    def _month(self, value: object) -> tuple[str, str]:
        this = self.clock.now().astimezone(SHANGHAI).strftime("%Y-%m")
        try:
            return check_month(str(value or this)), ""
        except BadMonth as exc:
            return this, str(exc)

    def _page(self, session: Session, seen: Viewer, request: Request, month: str, **extra: Any) -> Response:
        reports = report(session, seen.scope, month)
        problems = request.query_params.get("show") == "problems"
        listed = [r for r in reports if r.state != "sent"] if problems else reports
        pages = max(1, -(-len(listed) // PAGE_SIZE))
        page = min(number(request.query_params.get("page")), pages)
        context = {
            "month": month,
            "branches": seen.scope.branches,
            "chosen": {b.id for b in extra.pop("chosen", seen.scope.branches)},
            "reports": listed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            "states": states(reports),
            "problems": problems,
            "page": page,
            "pages": pages,
            "failed": len(failed_ids(reports)),
            "text": "",
            "error": "",
            "shown": None,
            "at": "",
            "scheduled": scheduled(session, seen.scope.home.id or 0, now=self.clock.now()),
            "names": {b.id: b.name for b in seen.scope.branches},
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
        typed_at = str(form.get("at", ""))
        at, problem = self._publish_time(session, seen, month, typed_at)
        if problem:
            return self._page(
                session, seen, request, month, error=problem, text=text, chosen=chosen, at=typed_at
            )
        if form.get("action") != "publish":
            shown = preview(draft, issuer=home, branch=chosen[0], month=month)
            return self._page(
                session,
                seen,
                request,
                month,
                text=text,
                chosen=chosen,
                shown=shown,
                parts=parts(shown),
                at=typed_at,
            )
        assert home.id is not None
        every = len(chosen) == len(seen.scope.branches)
        only = [] if every else [b.id for b in chosen if b.id is not None]
        _, replaced = store_guide(
            session, org_id=home.id, month=month, draft=draft, now=self.clock.now(), only=only, at=at
        )
        names = texts.CONSOLE_GUIDE_EVERY if every else "、".join(b.name for b in chosen)
        when = f" at={at.isoformat()}" if at else ""
        self.audit(session, seen, "guide_publish", home.id, f"{month} {draft.title} -> {names}{when}")
        notice = "guide_scheduled" if at else "guide_replaced" if replaced else "guide_published"
        return see_other(f"{PREFIX}/guides?month={month}&notice={notice}")

    def _publish_time(
        self, session: Session, seen: Viewer, month: str, typed: str
    ) -> tuple[datetime | None, str]:
        """The publish time chosen (None: at once), or why it cannot be: not ahead, before the month, or
        the month's guide already went out (a replacement then keeps its time)."""
        if not typed:
            return None, ""
        at, now = _at(typed), self.clock.now()
        if at is None or at <= now:
            return None, texts.CONSOLE_GUIDE_AT_AHEAD
        if at.strftime("%Y-%m") < month:  # the month's guides go out from its first day (schedules/guides.py)
            return None, texts.CONSOLE_GUIDE_AT_EARLY.format(month=int(month[5:]))
        existing = month_guide(session, seen.scope.home.id or 0, month)
        if existing is not None and existing.published_at <= now:
            return None, texts.CONSOLE_GUIDE_AT_PUBLISHED
        return at, ""

    def _scheduled_guide(self, session: Session, seen: Viewer, request: Request) -> Guide:
        """One of the viewer's organization's guides still waiting for its time."""
        require_manager(seen)
        guide = session.get(Guide, request.path_params["guide_id"])
        if guide is None or guide.org_id != seen.scope.home.id:
            raise Forbidden
        return guide

    def _reschedule(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        guide = self._scheduled_guide(session, seen, request)
        now, at = self.clock.now(), _at(form.get("at"))
        if guide.published_at <= now:
            return see_other(f"{PREFIX}/guides?month={guide.month}&notice=guide_gone")
        if at is None or at <= now:
            return self._page(session, seen, request, guide.month, error=texts.CONSOLE_GUIDE_AT_AHEAD)
        guide.published_at = at
        session.add(guide)
        self.audit(session, seen, "guide_schedule", guide.org_id, f"{guide.month} at={at.isoformat()}")
        return see_other(f"{PREFIX}/guides?month={guide.month}&notice=guide_scheduled")

    def _withdraw(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        guide = self._scheduled_guide(session, seen, request)
        if guide.published_at <= self.clock.now():
            return see_other(f"{PREFIX}/guides?month={guide.month}&notice=guide_gone")
        withdraw(session, guide)
        self.audit(session, seen, "guide_withdraw", guide.org_id, f"{guide.month} {guide.title}")
        return see_other(f"{PREFIX}/guides?month={guide.month}&notice=guide_withdrawn")

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
            Route("/guides/{guide_id:int}/schedule", self.page(self._reschedule), methods=["POST"]),
            Route("/guides/{guide_id:int}/withdraw", self.page(self._withdraw), methods=["POST"]),
        ]
