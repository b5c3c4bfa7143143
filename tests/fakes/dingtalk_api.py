"""A fake DingTalk custom-robot webhook (``POST /robot/send?access_token=&timestamp=&sign=``).

It checks what the real one checks: a known access token, a timestamp (ms) within an hour of its
clock and the 加签 signature, computed here on its own from the documented formula; 20 messages per
rolling minute per robot, past which the robot is blocked for 10 minutes (130101). ``script`` queues
answers for the next requests (an errcode, an HTTP status 5xx, or None) to play outages.
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

PER_MINUTE = 20
BLOCKED_SECONDS = 600


@dataclass
class DingTalkRobotApi:
    robots: dict[str, str]  # access token -> 加签 secret
    now: Callable[[], float]
    script: list[int | None] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (when, body)
    _recent: dict[str, list[float]] = field(default_factory=dict)
    _blocked_until: dict[str, float] = field(default_factory=dict)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/robot/send", self._send, methods=["POST"])])

    def bodies(self) -> list[dict[str, Any]]:
        return [body for _, body in self.delivered]

    async def _send(self, request: Request) -> Response:
        token = request.query_params.get("access_token", "")
        body = await request.json()
        self.requests.append({"query": dict(request.query_params), **body})
        scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            return (
                Response("upstream", status_code=scripted)
                if 500 <= scripted < 600
                else _answer(scripted, "scripted")
            )
        secret = self.robots.get(token)
        if secret is None:
            return _answer(300001, f"token is not exist, access_token={token}")
        now = self.now()
        if not self._signed(
            secret, request.query_params.get("timestamp", ""), request.query_params.get("sign", ""), now
        ):
            return _answer(310000, "sign not match")
        if self._blocked_until.get(token, 0) > now:
            return _answer(130101, "send too fast, exceed 20 times per minute")
        recent = [t for t in self._recent.get(token, []) if t > now - 60]
        if len(recent) >= PER_MINUTE:
            self._blocked_until[token] = now + BLOCKED_SECONDS
            return _answer(130101, "send too fast, exceed 20 times per minute")
        self._recent[token] = [*recent, now]
        self.delivered.append((now, body))
        return _answer(0, "ok")

    @staticmethod
    def _signed(secret: str, timestamp: str, sign: str, now: float) -> bool:
        if not timestamp.isdigit() or abs(int(timestamp) / 1000 - now) > 3600:
            return False
        mac = hmac.new(secret.encode("utf-8"), (timestamp + "\n" + secret).encode("utf-8"), hashlib.sha256)
        return hmac.compare_digest(base64.b64encode(mac.digest()).decode(), sign)


def _answer(code: int, message: str) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": message})
