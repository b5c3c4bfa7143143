"""The console's 会议 pages: a branch's month, arranging, moving and cancelling a meeting, its attendance
sheet, and the 台账 / ICS downloads. Every rule is the chat's: handlers/meetings.py decides whether a
meeting may be arranged, handlers/reminders.py tells those already reminded of a move or cancellation,
handlers/attendance.py says what a secretary may record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.clock import SHANGHAI
from bot.web.auth import Viewer
from bot.web.views import (
    PREFIX,
    XLSX,
    Base,
    Forbidden,
    download,
    number,
    require_manager,
    see_other,
    with_params,
)
from handlers import calendar_feed, ledger, texts
from handlers.attendance import correct, roll
from handlers.console_meetings import default_day, month_view
from handlers.meetings import arrange, logged
from handlers.reminders import cancel_and_notify, move_and_notify
from storage.guides import BadMonth, check_month
from storage.meetings import MeetingClosed
from storage.models import AttendanceStatus, Meeting, MeetingKind, MeetingStatus, Member, Organization

ICS = "text/calendar; charset=utf-8"
ALL = "all"  # ?branch=all: every branch the viewer manages


def _every(seen: Viewer) -> str:
    return texts.CONSOLE_EVERY_BRANCH.format(org=seen.scope.home.name)


def _moment(day: str, clock: str) -> datetime | None:
    """A form's date and time fields as a Shanghai moment, or None when either is not understood."""
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), SHANGHAI)
    except ValueError:
        return None


class MeetingPages(Base):
    def _branch(self, seen: Viewer, value: object) -> Organization:
        """The managed branch a form or query names; the viewer's first when none is named."""
        require_manager(seen)
        if not value:
            return seen.scope.branches[0]
        branch = seen.scope.branch_of(number(str(value), 0))
        if branch is None:
            raise Forbidden
        return branch

    def _meeting(self, session: Session, seen: Viewer, request: Request) -> tuple[Meeting, Organization]:
        require_manager(seen)
        meeting = session.get(Meeting, request.path_params["meeting_id"])
        branch = seen.scope.branch_of(meeting.org_id) if meeting is not None else None
        if meeting is None or branch is None:
            raise Forbidden
        return meeting, branch

    def _month_page(
        self,
        session: Session,
        seen: Viewer,
        request: Request,
        branch: Organization,
        month: str,
        error: str = "",
    ) -> Response:
        now = self.clock.now()
        return self.render(
            request,
            seen,
            "meetings.html",
            {
                "view": month_view(session, branch=branch, month=month),
                "branches": seen.scope.branches,
                "kinds": [k.value for k in MeetingKind],
                "default_day": default_day(now).isoformat(),
                "year": now.astimezone(SHANGHAI).year,
                "error": error,
                "now": now,
            },
        )

    def _month(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        q = request.query_params
        branch = self._branch(seen, q.get("branch"))
        month, error = q.get("month") or self.clock.now().astimezone(SHANGHAI).strftime("%Y-%m"), ""
        try:
            month = check_month(month)
        except BadMonth as exc:
            month, error = self.clock.now().astimezone(SHANGHAI).strftime("%Y-%m"), str(exc)
        return self._month_page(session, seen, request, branch, month, error)

    def _create(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        branch = self._branch(seen, form.get("branch"))
        starts_at = _moment(str(form.get("day", "")), str(form.get("start", "")))
        end = str(form.get("end", ""))
        ends_at = _moment(str(form.get("day", "")), end) if end else None
        kind = str(form.get("kind", ""))
        now, month = self.clock.now(), str(form.get("day", ""))[:7]
        problem = ""
        if kind not in {k.value for k in MeetingKind}:
            problem = texts.MEETING_USAGE
        elif starts_at is None or (end and ends_at is None):
            problem = texts.CONSOLE_BAD_WHEN
        elif starts_at <= now:
            problem = texts.WHEN_PAST.format(day=texts.cn_date(starts_at.date()))
        elif ends_at is not None and ends_at <= starts_at:
            problem = texts.CONSOLE_END_BEFORE_START
        if problem or starts_at is None:
            return self._month_page(session, seen, request, branch, month or now.strftime("%Y-%m"), problem)
        meeting = arrange(
            session,
            org=branch,
            kind=MeetingKind(kind),
            starts_at=starts_at,
            ends_at=ends_at,
            place=str(form.get("place", "")).strip()[:100],
            topic=str(form.get("topic", "")).strip()[:200],
            by=seen.member.id,
        )
        if isinstance(meeting, str):
            return self._month_page(session, seen, request, branch, month, meeting)
        self.audit(
            session, seen, "meeting_create", branch.id, f"meeting={meeting.id} {kind} {logged(starts_at)}"
        )
        return see_other(f"{PREFIX}/meetings?branch={branch.id}&month={month}&notice=meeting_created")

    def _sheet_page(
        self,
        session: Session,
        seen: Viewer,
        request: Request,
        meeting: Meeting,
        branch: Organization,
        error: str = "",
    ) -> Response:
        now = self.clock.now()
        r = roll(session, meeting)
        records = {m.id: ("present", "") for m in r.present}
        records.update({m.id: ("leave", why) for m, why in r.leave})
        records.update({m.id: ("absent", why) for m, why in r.absent})
        return self.render(
            request,
            seen,
            "meeting.html",
            {
                "meeting": meeting,
                "branch": branch,
                "roll": r,
                "records": records,
                "started": meeting.starts_at <= now,
                "open": meeting.status == MeetingStatus.PLANNED and meeting.starts_at > now,
                "local": meeting.starts_at.astimezone(SHANGHAI),
                "error": error,
            },
        )

    def _sheet(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        meeting, branch = self._meeting(session, seen, request)
        return self._sheet_page(session, seen, request, meeting, branch)

    def _move(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        meeting, branch = self._meeting(session, seen, request)
        assert meeting.id is not None
        starts_at, now = _moment(str(form.get("day", "")), str(form.get("start", ""))), self.clock.now()
        if starts_at is None:
            return self._sheet_page(session, seen, request, meeting, branch, texts.CONSOLE_BAD_WHEN)
        if starts_at <= now:
            problem = texts.WHEN_PAST.format(day=texts.cn_date(starts_at.date()))
            return self._sheet_page(session, seen, request, meeting, branch, problem)
        old, place = meeting.starts_at, str(form.get("place", "")).strip()[:100]
        try:
            _, count = move_and_notify(
                session, meeting_id=meeting.id, starts_at=starts_at, now=now, place=place or None
            )
        except MeetingClosed:
            return self._sheet_page(session, seen, request, meeting, branch, texts.MEETING_CLOSED)
        self.audit(
            session,
            seen,
            "meeting_move",
            branch.id,
            f"meeting={meeting.id} {logged(old)} -> {logged(starts_at)}",
        )
        return see_other(f"{PREFIX}/meetings/{meeting.id}?notice=meeting_moved&count={count}")

    def _cancel(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        meeting, branch = self._meeting(session, seen, request)
        assert meeting.id is not None
        try:
            _, count = cancel_and_notify(session, meeting_id=meeting.id, now=self.clock.now())
        except MeetingClosed:
            return self._sheet_page(session, seen, request, meeting, branch, texts.MEETING_CLOSED)
        self.audit(
            session,
            seen,
            "meeting_cancel",
            branch.id,
            f"meeting={meeting.id} {meeting.kind} {logged(meeting.starts_at)}",
        )
        return see_other(f"{PREFIX}/meetings/{meeting.id}?notice=meeting_cancelled&count={count}")

    def _attendance(
        self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]
    ) -> Response:
        meeting, branch = self._meeting(session, seen, request)
        member = session.get(Member, number(str(form.get("member", "")), 0))
        status = str(form.get("status", ""))
        if member is None or status not in {s.value for s in AttendanceStatus}:
            raise Forbidden
        problem = correct(
            session,
            meeting=meeting,
            member=member,
            status=AttendanceStatus(status),
            reason=str(form.get("reason", ""))[:200],
            now=self.clock.now(),
        )
        if problem:
            return self._sheet_page(session, seen, request, meeting, branch, problem)
        self.audit(
            session,
            seen,
            "attendance_correct",
            branch.id,
            f"meeting={meeting.id} member={member.id} {status}",
        )
        return see_other(
            with_params(f"{PREFIX}/meetings/{meeting.id}", notice="attendance_saved") + f"#m{member.id}"
        )

    def _ledger(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        """One branch's 台账, or (``branch=all``) every managed branch's in one workbook, a sheet each."""
        q, now = request.query_params, self.clock.now()
        year = number(q.get("year"), now.astimezone(SHANGHAI).year)
        if q.get("branch") == ALL:
            require_manager(seen)
            scope = seen.scope
            body = ledger.build_all(session, branches=scope.branches, orgs=scope.orgs, year=year, now=now)
            self.audit(
                session, seen, "export_ledger", scope.home.id, f"year={year} branches={len(scope.branches)}"
            )
            return download(body, XLSX, texts.CONSOLE_LEDGER_FILE.format(org=_every(seen), year=year))
        branch = self._branch(seen, q.get("branch"))
        body = ledger.build(session, org=branch, year=year, now=now)
        self.audit(session, seen, "export_ledger", branch.id, f"year={year}")
        return download(body, XLSX, texts.CONSOLE_LEDGER_FILE.format(org=branch.name, year=year))

    def _ics(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        if request.query_params.get("branch") == ALL:
            require_manager(seen)
            scope, name = seen.scope, _every(seen)
            body = calendar_feed.build_all(
                session, branches=scope.branches, orgs=scope.orgs, name=name, now=self.clock.now()
            )
            return download(body, ICS, f"{name}.ics")
        branch = self._branch(seen, request.query_params.get("branch"))
        body = calendar_feed.build(session, org=branch, now=self.clock.now())
        return download(body, ICS, f"{branch.name}.ics")

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/meetings", self.page(self._month), methods=["GET"]),
            Route("/meetings", self.page(self._create), methods=["POST"]),
            Route("/meetings/ledger.xlsx", self.page(self._ledger), methods=["GET"]),
            Route("/meetings/calendar.ics", self.page(self._ics), methods=["GET"]),
            Route("/meetings/{meeting_id:int}", self.page(self._sheet), methods=["GET"]),
            Route("/meetings/{meeting_id:int}/move", self.page(self._move), methods=["POST"]),
            Route("/meetings/{meeting_id:int}/cancel", self.page(self._cancel), methods=["POST"]),
            Route("/meetings/{meeting_id:int}/attendance", self.page(self._attendance), methods=["POST"]),
        ]
