"""Logging in and out of the console: the one-time link (GET asks to confirm, POST uses it), logout.

The link's secret is a console code of storage/bindcodes.py, issued by 后台 in a private chat
(handlers/console_login.py) or `zhibu console link`. Only the POST uses it, so a chat's link preview
cannot; a used, expired or unknown link shows how to get a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.web import auth
from bot.web.auth import Viewer
from bot.web.views import AUDIT_CHANNEL, HOME, LOGIN, PREFIX, Base, see_other, with_params
from handlers import texts
from handlers.console_login import LOGIN_PATH
from storage import bindcodes, console_sessions
from storage.audit import record
from storage.bindcodes import CodeRejected, Purpose
from storage.db import session_scope
from storage.models import Member, MemberStatus


class Login(Base):
    def _login_help(self, request: Request) -> Response:
        with session_scope(self.engine) as session:
            seen = auth.viewer(session, request, config=self.config, now=self.clock.now())
        if seen is not None:
            return see_other(HOME)
        return self.render(
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
                return self.render(
                    request,
                    None,
                    "link_problem.html",
                    {"problem": problem, "how": texts.CONSOLE_HOW_TO_LOGIN},
                    status,
                )
            member = session.get(Member, row.member_id)
            if member is None or member.id is None or member.status == MemberStatus.TRANSFERRED_OUT:
                return self.render(
                    request, None, "link_problem.html", {"problem": texts.CONSOLE_FORBIDDEN, "how": ""}, 403
                )
            if not use:
                return self.render(request, None, "confirm_login.html", {"member": member})
            opened = console_sessions.open_session(session, member_id=member.id, now=now)
            record(
                session,
                action="console_login",
                at=now,
                member_id=member.id,
                org_id=member.org_id,
                channel=AUDIT_CHANNEL,
            )
        response = see_other(HOME)
        auth.set_cookie(response, opened.token, self.config)
        return response

    async def link(self, request: Request) -> Response:
        return await run_in_threadpool(self._link, request, request.method == "POST")

    def _logout(self, session: Session, seen: Viewer, request: Request, form: Mapping[str, Any]) -> Response:
        now = self.clock.now()
        if form.get("everywhere"):
            assert seen.member.id is not None
            count = console_sessions.revoke_all(session, member_id=seen.member.id, now=now)
            self.audit(session, seen, "console_logout_all", seen.member.org_id, f"sessions={count}")
        else:
            console_sessions.revoke(session, session_id=seen.session_id, now=now)
        response = see_other(with_params(LOGIN, bye="1"))
        auth.clear_cookie(response, self.config)
        return response

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/login", self.login_help, methods=["GET"]),
            Route(LOGIN_PATH.removeprefix(PREFIX) + "{code}", self.link, methods=["GET", "POST"]),
            Route("/logout", self.page(self._logout), methods=["POST"]),
        ]
