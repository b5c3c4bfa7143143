"""The console's 党员名册: search and filters (status, 党小组, 政治生日 this month, not yet bound),
importing a roster file all or nothing with its problems listed by row and column (storage/roster/, as
the CLI), a one-time binding code for a member (the chat's 邀请, handlers/binding.py), and 转出 / 转入
(handlers/transfers.py), each after a confirmation page.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.clock import SHANGHAI
from bot.core.errors import ZhibuError
from bot.web.auth import Viewer
from bot.web.views import PAGE_SIZE, PREFIX, Base, Forbidden, number, require_manager, see_other, with_params
from handlers import texts
from handlers.binding import member_code
from handlers.transfers import Arrival, plan_arrival, transfer_in, transfer_out
from storage.members import bound_ids, mask_phone, roster_page
from storage.models import Member, MemberStatus, Organization, OrgKind
from storage.orgs import ancestors
from storage.roster.cells import parse_date, parse_gender, parse_name, parse_phone
from storage.roster.importer import RosterInvalid, import_roster

ROSTER_FILES = (".xlsx", ".csv")


class MemberPages(Base):
    def _list(self, session: Session, seen: Viewer, request: Request, **extra: Any) -> Response:
        require_manager(seen)
        q = request.query_params
        status = q.get("status") or None
        status = status if status in {s.value for s in MemberStatus} else None
        group = int(q["group"]) if q.get("group", "").isdigit() else None
        if group is not None and group not in seen.scope.orgs:
            raise Forbidden
        month = self.clock.now().astimezone(SHANGHAI).month
        page_number = number(q.get("page"))
        members, total = roster_page(
            session,
            org_ids=seen.scope.org_ids,
            search=q.get("q", ""),
            status=status,
            group_id=group,
            joined_in_month=month if q.get("birthday") else None,
            unbound=bool(q.get("unbound")),
            offset=(page_number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        groups = [
            o for i, o in seen.scope.orgs.items() if OrgKind(o.kind).is_group and seen.scope.branch_of(i)
        ]
        context = {
            "members": members,
            "total": total,
            "page_number": page_number,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "q": q.get("q", ""),
            "status": status or "",
            "statuses": [s.value for s in MemberStatus],
            "group": group,
            "groups": sorted(groups, key=lambda o: o.name),
            "birthday": bool(q.get("birthday")),
            "unbound": bool(q.get("unbound")),
            "month": month,
            "bound": bound_ids(session, [m.id for m in members if m.id is not None]),
            "orgs": seen.scope.orgs,
            "mask_phone": mask_phone,
            "problems": None,
            "summary": None,
            "code": "",
            "arrival": {},
            **extra,
        }
        return self.render(request, seen, "members.html", context)

    def _members(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        return self._list(session, seen, request)

    def _import(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        """All rows or none: any problem rolls the file back and lists the problems by row and column."""
        require_manager(seen)
        upload = form.get("file")
        name = upload.filename or "" if isinstance(upload, UploadFile) else ""
        suffix = Path(name).suffix.lower()
        if not isinstance(upload, UploadFile) or suffix not in ROSTER_FILES:
            return self._list(session, seen, request, import_error=texts.CONSOLE_ROSTER_FILE)
        home = seen.scope.home
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"roster{suffix}"
            path.write_bytes(upload.file.read())
            try:
                where = "/".join([*(a.name for a in reversed(ancestors(session, home))), home.name])
                summary = import_roster(session, path=path, now=self.clock.now(), org_ref=where)
            except RosterInvalid as exc:
                session.rollback()
                why = texts.CONSOLE_ROSTER_INVALID.format(count=exc.errors.total)
                return self._list(session, seen, request, problems=exc, import_error=why)
            except ZhibuError as exc:
                session.rollback()
                return self._list(session, seen, request, import_error=str(exc))
        detail = f"file={name} added={summary.added} updated={summary.updated}"
        self.audit(session, seen, "roster_import", home.id, detail)
        return self._list(session, seen, request, summary=summary)

    def _invite(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        member = self._in_scope(session, seen, request)
        code = member_code(session, member=member, by=seen.member.id, now=self.clock.now())
        self.audit(session, seen, "invite", member.org_id, f"member={member.id}")
        return self._list(session, seen, request, code=code)

    def _in_scope(self, session: Session, seen: Viewer, request: Request) -> Member:
        require_manager(seen)
        member = session.get(Member, request.path_params["member_id"])
        if member is None or seen.scope.branch_of(member.org_id) is None:
            raise Forbidden
        return member

    def _leaving(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        """The confirmation page: who leaves and what becomes of their data."""
        member = self._in_scope(session, seen, request)
        context = {"member": member, "branch": seen.scope.branch_of(member.org_id), "error": ""}
        if member.id == seen.member.id:
            context["error"] = texts.CONSOLE_TRANSFER_SELF
        return self.render(request, seen, "transfer.html", context)

    def _leave(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        member = self._in_scope(session, seen, request)
        if member.id == seen.member.id or member.status == MemberStatus.TRANSFERRED_OUT:
            return see_other(f"{PREFIX}/members/{member.id}/transfer-out")
        withdrawn = transfer_out(session, member, now=self.clock.now())
        to = str(form.get("to", "")).strip()[:100]
        self.audit(
            session, seen, "transfer_out", member.org_id, f"member={member.id} to={to} withdrawn={withdrawn}"
        )
        return see_other(f"{PREFIX}/members?notice=transferred_out&count={withdrawn}")

    def _arrive(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        """转入: the form is checked and shown for confirmation first; ``confirm`` writes it."""
        require_manager(seen)
        typed = {k: str(form.get(k, "")).strip() for k in ("name", "joined_on", "full_on", "gender", "phone")}
        branch = _branch(seen, form.get("branch"))
        try:
            arrival = _arrival(typed)
        except ValueError as exc:
            return self._list(session, seen, request, arrival=typed, transfer_error=str(exc))
        plan = plan_arrival(session, arrival, branch)
        if plan.refusal or form.get("action") != "confirm":
            context = {"plan": plan, "typed": typed, "error": plan.refusal}
            return self.render(request, seen, "transfer.html", context)
        member = transfer_in(session, plan, now=self.clock.now())
        back = "returning" if plan.returning else "new"
        self.audit(
            session, seen, "transfer_in", branch.id, f"member={member.id} {back} from={plan.came_from}"
        )
        return see_other(with_params(f"{PREFIX}/members", notice="transferred_in", q=member.name))

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/members", self.page(self._members), methods=["GET"]),
            Route("/members/import", self.page(self._import), methods=["POST"]),
            Route("/members/{member_id:int}/invite", self.page(self._invite), methods=["POST"]),
            Route("/members/{member_id:int}/transfer-out", self.page(self._leaving), methods=["GET"]),
            Route("/members/{member_id:int}/transfer-out", self.page(self._leave), methods=["POST"]),
            Route("/members/transfer-in", self.page(self._arrive), methods=["POST"]),
        ]


def _branch(seen: Viewer, value: object) -> Organization:
    """The receiving branch the form names, one the viewer manages (their only one when not named)."""
    if value is None and len(seen.scope.branches) == 1:
        return seen.scope.branches[0]
    found = [b for b in seen.scope.branches if str(b.id) == str(value)]
    if not found:
        raise Forbidden
    return found[0]


def _arrival(typed: Mapping[str, str]) -> Arrival:
    """The arrival as typed, read by the roster importer's own cell rules; ValueError says what is wrong."""
    name, joined_on = parse_name(typed["name"]), parse_date(typed["joined_on"])
    if not name or joined_on is None:
        raise ValueError(texts.CONSOLE_TRANSFER_MISSING)
    return Arrival(
        name=name,
        joined_on=joined_on,
        full_on=parse_date(typed["full_on"]),
        gender=parse_gender(typed["gender"]),
        phone=parse_phone(typed["phone"]),
    )
