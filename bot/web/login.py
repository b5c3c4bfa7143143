"""Logging in and out of the console: the one-time link (GET asks to confirm, POST uses it), a platform's
web login, logout.

The link's secret is a console code of storage/bindcodes.py, issued by 后台 in a private chat
(handlers/console_login.py) or `zhibu console link`. Only the POST uses it, so a chat's link preview
cannot; a used, expired or unknown link shows how to get a new one.

A channel that is a ``WebLogin`` (the WeCom app) logs its members in from its in-app browser: the
button sends the browser to the platform with a random ``state`` kept in a short-lived cookie; the
platform sends it back with a one-time code, which names the user bound in the chat. Without the
console's base URL there is no address to come back to, so no button.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, TypeGuard

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.channel import WebLogin
from bot.core.clock import Clock
from bot.core.errors import WebLoginFailed
from bot.web import auth
from bot.web.auth import Viewer
from bot.web.config import ConsoleConfig
from bot.web.render import HEADERS
from bot.web.views import AUDIT_CHANNEL, HOME, LOGIN, PREFIX, Base, see_other, with_params
from handlers import texts
from handlers.console_login import LOGIN_PATH
from storage import bindcodes, console_sessions
from storage.audit import record
from storage.bindcodes import CodeRejected, Purpose
from storage.db import session_scope
from storage.members import by_identity
from storage.models import Member, MemberStatus

OAUTH = f"{PREFIX}/oauth"  # /console/oauth/SECTION/ACCOUNT starts a web login, …/back is where it returns
STATE_COOKIE = "zhibu_oauth_state"
STATE_SECONDS = 600  # the platform's code lives 5 minutes; the way there and back gets 10
OAUTH_STATUS = {"state": 400, "bad_code": 400, "outsider": 403, "unbound": 403, "unavailable": 502}


def usable(member: Member | None) -> TypeGuard[Member]:
    """A member who may log in: still on the roster here."""
    return member is not None and member.id is not None and member.status != MemberStatus.TRANSFERRED_OUT


class Login(Base):
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        config: ConsoleConfig,
        web_logins: Mapping[tuple[str, str], WebLogin] | None = None,
    ) -> None:
        super().__init__(engine, clock, config)
        self.web_logins = dict(web_logins or {}) if config.base_url else {}  # by (section, account)

    def _buttons(self) -> list[dict[str, str]]:
        several = len(self.web_logins) > 1
        template = texts.CONSOLE_OAUTH_BUTTON_OF if several else texts.CONSOLE_OAUTH_BUTTON
        return [
            {
                "url": f"{OAUTH}/{section}/{account}",
                "label": template.format(label=c.login_label, account=account),
            }
            for (section, account), c in self.web_logins.items()
        ]

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
                "buttons": self._buttons(),
                "where": texts.CONSOLE_OAUTH_WHERE.format(
                    labels="、".join(sorted({c.login_label for c in self.web_logins.values()}))
                ),
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
            if not usable(member):
                return self._forbidden(request)
            if not use:
                return self.render(request, None, "confirm_login.html", {"member": member})
            return self._sign_in(session, member)

    async def link(self, request: Request) -> Response:
        return await run_in_threadpool(self._link, request, request.method == "POST")

    def _forbidden(self, request: Request) -> Response:
        return self.render(request, None, "link_problem.html", {"problem": texts.CONSOLE_FORBIDDEN}, 403)

    def _sign_in(self, session: Session, member: Member, detail: str = "") -> Response:
        """A new console session for ``member``, recorded; the browser goes to the console's home."""
        now = self.clock.now()
        assert member.id is not None
        opened = console_sessions.open_session(session, member_id=member.id, now=now)
        record(
            session,
            action="console_login",
            at=now,
            member_id=member.id,
            org_id=member.org_id,
            channel=AUDIT_CHANNEL,
            detail=detail,
        )
        response = see_other(HOME)
        auth.set_cookie(response, opened.token, self.config)
        return response

    def _web_login(self, request: Request) -> WebLogin | None:
        return self.web_logins.get((request.path_params["section"], request.path_params["account"]))

    def _oauth_problem(self, request: Request, problem: str, label: str) -> Response:
        text = texts.CONSOLE_OAUTH_PROBLEM[problem].format(label=label)
        return self.render(request, None, "link_problem.html", {"problem": text}, OAUTH_STATUS[problem])

    async def oauth_start(self, request: Request) -> Response:
        """To the platform, which asks its app who is looking and sends the browser back with a code."""
        channel = self._web_login(request)
        if channel is None:
            return Response(status_code=404)
        state = secrets.token_urlsafe(24)
        section, account = request.path_params["section"], request.path_params["account"]
        back = f"{self.config.base_url}{OAUTH}/{section}/{account}/back"  # as login links are made
        response = RedirectResponse(channel.login_url(back, state), status_code=302, headers=HEADERS)
        response.set_cookie(
            STATE_COOKIE,
            state,
            max_age=STATE_SECONDS,
            path=OAUTH,
            httponly=True,
            samesite="lax",
            secure=self.config.secure,
        )
        return response

    async def oauth_back(self, request: Request) -> Response:
        """Back from the platform: the state this browser was given, the code's user, then their member."""
        channel = self._web_login(request)
        if channel is None:
            return Response(status_code=404)
        kept, given = request.cookies.get(STATE_COOKIE, ""), request.query_params.get("state", "")
        if kept and secrets.compare_digest(kept.encode(), given.encode()):
            response = await run_in_threadpool(self._oauth_back, request, channel)
        else:
            response = self._oauth_problem(request, "state", channel.login_label)
        response.delete_cookie(
            STATE_COOKIE, path=OAUTH, httponly=True, samesite="lax", secure=self.config.secure
        )
        return response

    def _oauth_back(self, request: Request, channel: WebLogin) -> Response:
        section, account = request.path_params["section"], request.path_params["account"]
        code = request.query_params.get("code", "")
        try:
            if not code:  # refused on the platform's page, or a hand-made URL
                raise WebLoginFailed("bad_code")
            user = channel.user_of(code)
        except WebLoginFailed as exc:
            return self._oauth_problem(request, exc.problem, channel.login_label)
        with session_scope(self.engine) as session:
            member = by_identity(session, channel=section, account=account, external_id=user)
            if member is None:
                return self._oauth_problem(request, "unbound", channel.login_label)
            if not usable(member):
                return self._forbidden(request)
            return self._sign_in(session, member, detail=f"{section}.{account}")

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
            Route(OAUTH.removeprefix(PREFIX) + "/{section}/{account}", self.oauth_start, methods=["GET"]),
            Route(OAUTH.removeprefix(PREFIX) + "/{section}/{account}/back", self.oauth_back, methods=["GET"]),
        ]
