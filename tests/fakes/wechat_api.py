"""A fake WeChat + WeCom server API on loopback, speaking the real JSON wire format.

Serves ``/cgi-bin/token`` and ``/cgi-bin/gettoken`` (fresh token per call), 公众号
customer-service and template sends, WeCom ``message/send`` and ``appchat/send``, and WeCom's web
login: ``/connect/oauth2/authorize`` (the app's browser, signed in as ``browser_user``, comes back
with a one-time code) and ``/cgi-bin/auth/getuserinfo`` (the code's userid; unknown or used → 40029).
Tokens are checked like the real thing (unknown → 40001/40014, expired → 42001).
Faults are scripted: ``fail_next(errcode=45009)``. Every request is recorded.

    api = FakeWeChatApi()
    with serve(api.app) as base:  # point api_base_url at f"{base}/cgi-bin/"
        ...
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

SEND_PATHS = ("message/custom/send", "message/template/send", "message/send", "appchat/send")


@dataclass(frozen=True)
class Recorded:
    path: str  # e.g. "message/custom/send"
    params: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Fault:
    errcode: int
    path: str | None
    errmsg: str


class FakeWeChatApi:
    def __init__(self, *, wecom_token_code: int = 40014) -> None:
        self.requests: list[Recorded] = []
        self.valid_tokens: set[str] = set()
        self.expired_tokens: set[str] = set()
        self.invalid_users: set[str] = set()
        self._faults: deque[_Fault] = deque()
        self._issued = 0
        self._lock = threading.Lock()
        self._wecom_token_code = wecom_token_code
        self.browser_user: str | None = None  # who the WeCom app's browser is signed in as; None: an outsider
        self._login_codes: dict[str, str | None] = {}  # one-time code → its userid (None: an outsider)
        routes = [Route("/cgi-bin/token", self._token), Route("/cgi-bin/gettoken", self._token)]
        routes += [Route(f"/cgi-bin/{path}", self._send, methods=["POST"]) for path in SEND_PATHS]
        routes += [
            Route("/connect/oauth2/authorize", self._authorize),
            Route("/cgi-bin/auth/getuserinfo", self._user_info),
        ]
        self.app = Starlette(routes=routes)

    def fail_next(
        self, errcode: int, *, times: int = 1, path: str | None = None, errmsg: str = "scripted"
    ) -> None:
        """The next ``times`` calls (to ``path`` only, if given) answer ``errcode``."""
        with self._lock:
            self._faults.extend(_Fault(errcode, path, errmsg) for _ in range(times))

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 42001, as after its 7200 s."""
        with self._lock:
            self.expired_tokens |= self.valid_tokens
            self.valid_tokens.clear()

    def sent(self, path: str | None = None) -> list[Recorded]:
        """Accepted sends (errcode 0), optionally for one path."""
        return [
            r for r in self.requests if r.path in SEND_PATHS and r.body.get("_ok") and path in (None, r.path)
        ]

    def token_fetches(self) -> int:
        return sum(1 for r in self.requests if r.path in ("token", "gettoken"))

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path in (None, path):
                    self._faults.remove(fault)
                    return fault
        return None

    async def _token(self, request: Request) -> JSONResponse:
        path = request.url.path.removeprefix("/cgi-bin/")
        self.requests.append(Recorded(path, dict(request.query_params)))
        if fault := self._take_fault(path):
            return JSONResponse({"errcode": fault.errcode, "errmsg": fault.errmsg})
        with self._lock:
            self._issued += 1
            token = f"TOKEN-{self._issued}"
            self.valid_tokens.add(token)
        return JSONResponse({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    async def _send(self, request: Request) -> JSONResponse:
        path = request.url.path.removeprefix("/cgi-bin/")
        body = json.loads(await request.body() or b"{}")
        params = dict(request.query_params)
        answer = self._answer(path, params.get("access_token", ""), body)
        self.requests.append(Recorded(path, params, {**body, "_ok": answer["errcode"] == 0}))
        return JSONResponse(answer)

    def login_code(self, user: str | None) -> str:
        """A one-time code as WeCom hands the browser of ``user`` (None: someone outside the corp)."""
        with self._lock:
            self._issued += 1
            code = f"CODE-{self._issued}"
            self._login_codes[code] = user
        return code

    async def _authorize(self, request: Request) -> RedirectResponse:
        query = dict(request.query_params)
        self.requests.append(Recorded("oauth2/authorize", query))
        back = {"code": self.login_code(self.browser_user), "state": query.get("state", "")}
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode(back)}", status_code=302)

    async def _user_info(self, request: Request) -> JSONResponse:
        params = dict(request.query_params)
        self.requests.append(Recorded("auth/getuserinfo", params))
        answer = self._token_problem(params.get("access_token", ""), wecom=True)
        if answer is None and (fault := self._take_fault("auth/getuserinfo")):
            answer = {"errcode": fault.errcode, "errmsg": fault.errmsg}
        if answer is None:
            code = params.get("code", "")
            with self._lock:
                known, user = code in self._login_codes, self._login_codes.pop(code, None)
            if not known:
                answer = {"errcode": 40029, "errmsg": "invalid code"}
            else:
                answer = {"errcode": 0, "errmsg": "ok"} | (
                    {"userid": user} if user else {"openid": "oOutsider"}
                )
        return JSONResponse(answer)

    def _token_problem(self, token: str, *, wecom: bool) -> dict[str, Any] | None:
        if token in self.expired_tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if token not in self.valid_tokens:
            return {"errcode": self._wecom_token_code if wecom else 40001, "errmsg": "invalid access_token"}
        return None

    def _answer(self, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        if problem := self._token_problem(token, wecom=path in ("message/send", "appchat/send")):
            return problem
        if fault := self._take_fault(path):
            return {"errcode": fault.errcode, "errmsg": fault.errmsg}
        answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "msgid": len(self.requests) + 1}
        if path == "message/send":
            invalid = [u for u in str(body.get("touser", "")).split("|") if u in self.invalid_users]
            answer |= {"invaliduser": "|".join(invalid)}
        return answer
