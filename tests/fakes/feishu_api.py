"""A fake Feishu custom-robot webhook (``POST /open-apis/bot/v2/hook/{hook_id}``).

It checks a known hook, and for a robot with 签名校验 the body's timestamp (seconds, within an
hour) and signature, computed here on its own from the documented formula (the string to sign is
the HMAC key, the message empty); at most 5 messages a second and 100 a minute (11232); bodies over
20 KB are refused (9499). ``script`` queues answers (a code, an HTTP status 5xx, or None).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PER_SECOND = 5
PER_MINUTE = 100
MAX_BODY = 20 * 1024


@dataclass
class FeishuRobotApi:
    robots: dict[str, str | None]  # hook id -> secret (None: no signature check)
    now: Callable[[], float]
    script: list[int | None] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    _recent: dict[str, list[float]] = field(default_factory=dict)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/open-apis/bot/v2/hook/{hook}", self._send, methods=["POST"])])

    def bodies(self) -> list[dict[str, Any]]:
        return [body for _, body in self.delivered]

    async def _send(self, request: Request) -> Response:
        hook = request.path_params["hook"]
        raw = await request.body()
        body = await request.json()
        self.requests.append({"hook": hook, **body})
        scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            return (
                Response("upstream", status_code=scripted)
                if 500 <= scripted < 600
                else _answer(scripted, "scripted")
            )
        if hook not in self.robots:
            return _answer(19001, "param invalid: incoming webhook access token invalid")
        now = self.now()
        secret = self.robots[hook]
        if secret is not None and not self._signed(
            secret, str(body.get("timestamp", "")), str(body.get("sign", "")), now
        ):
            return _answer(19021, "sign match fail or timestamp is not within one hour from current time")
        if len(raw) > MAX_BODY:
            return _answer(9499, "Bad Request")
        recent = [t for t in self._recent.get(hook, []) if t > now - 60]
        if len(recent) >= PER_MINUTE or len([t for t in recent if t > now - 1]) >= PER_SECOND:
            return _answer(11232, "frequency limited psm")
        self._recent[hook] = [*recent, now]
        self.delivered.append((now, body))
        return _answer(0, "success")

    @staticmethod
    def _signed(secret: str, timestamp: str, sign: str, now: float) -> bool:
        if not timestamp.isdigit() or abs(int(timestamp) - now) > 3600:
            return False
        key = f"{timestamp}\n{secret}".encode()
        expected = base64.b64encode(hmac.new(key, digestmod=hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, sign)


def _answer(code: int, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "data": {}, "msg": message})
