"""The console's 知识库 page: the local entries of the viewer's organizations (list, add, edit, delete, as
`zhibu kb add/delete`), and 试问: a question with every reading, the ranked candidates, their scores and the
reason for the decision (handlers/ask.explain, as `zhibu kb search --explain`), to fix a wrong answer.
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
from handlers import texts
from handlers.ask import explain
from storage.knowledge.base import default_base
from storage.knowledge.entries import Entry, delete_local, local_entries, save_local
from storage.models import Organization
from storage.orgs import ancestors


class KnowledgePages(Base):
    def _org(self, seen: Viewer, value: object) -> Organization:
        """The viewer's own organization or one below it that they manage; their own when none is named."""
        require_manager(seen)
        wanted = number(str(value or ""), 0)
        org = seen.scope.orgs.get(wanted) if value else seen.scope.home
        if org is None or (org.id != seen.scope.home.id and seen.scope.branch_of(org.id) is None):
            raise Forbidden
        return org

    def _page(self, session: Session, seen: Viewer, request: Request, **extra: Any) -> Response:
        q, home = request.query_params, seen.scope.home
        org = self._org(seen, q.get("org"))
        question = q.get("ask", "").strip()[:200]
        lineage = [o.id for o in [org, *ancestors(session, org)] if o.id is not None]
        asked = explain(default_base(), question, session=session, org_ids=lineage) if question else []
        context = {
            "entries": local_entries(session, org_ids=list(seen.scope.orgs)),
            "orgs": seen.scope.orgs,
            "choices": [home, *(b for b in seen.scope.branches if b.id != home.id)],
            "org": org,
            "question": question,
            "asked": asked,
            "editing": None,
            "error": "",
            **extra,
        }
        return self.render(request, seen, "knowledge.html", context)

    def _show(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        key = request.query_params.get("edit")
        org = self._org(seen, request.query_params.get("org"))
        mine = local_entries(session, org_ids=[org.id]) if key and org.id is not None else []
        return self._page(session, seen, request, editing=next((e for e in mine if e.key == key), None))

    def _save(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        org = self._org(seen, form.get("org"))
        key, question, answer = (str(form.get(f, "")).strip() for f in ("key", "question", "answer"))
        if not key or not question or not answer:
            return self._page(session, seen, request, error=texts.CONSOLE_KB_MISSING)
        alternatives = tuple(a.strip() for a in str(form.get("alternatives", "")).splitlines() if a.strip())
        entry = Entry(
            key=key[:100],
            question=question[:200],
            answer=answer[:2000],
            alternatives=alternatives,
            source=str(form.get("source", "")).strip()[:200],
            org_id=org.id,
        )
        created = save_local(session, entry=entry)
        self.audit(session, seen, "kb_save", org.id, f"key={entry.key} {'new' if created else 'changed'}")
        return see_other(f"{PREFIX}/kb?notice=kb_saved")

    def _delete(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        org = self._org(seen, form.get("org"))
        key = str(form.get("key", ""))
        if org.id is not None and delete_local(session, org_id=org.id, key=key):
            self.audit(session, seen, "kb_delete", org.id, f"key={key}")
        return see_other(f"{PREFIX}/kb?notice=kb_deleted")

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/kb", self.page(self._show), methods=["GET"]),
            Route("/kb", self.page(self._save), methods=["POST"]),
            Route("/kb/delete", self.page(self._delete), methods=["POST"]),
        ]
