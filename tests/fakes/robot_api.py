"""A fake WeCom group-robot webhook (``POST /cgi-bin/webhook/send?key=``) speaking the real JSON.

It enforces what the real one does: 20 messages per rolling minute per key
(45009), text ≤ 2048 and markdown ≤ 4096 UTF-8 bytes (45002 / 40058), unknown
keys (93000). ``script`` queues answers for the next requests (an errcode, an
HTTP status ≥ 500, or None for "serve normally") to play outages. Time comes from the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PER_MINUTE = 20


@dataclass
class RobotApi:
    keys: set[str]
    now: Callable[[], float]
    script: list[int | None] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every request, accepted or not
    delivered: list[dict[str, Any]] = field(default_factory=list)  # only what reached the group
    _recent: dict[str, list[float]] = field(default_factory=dict)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/cgi-bin/webhook/send", self._send, methods=["POST"])])

    def contents(self) -> list[str]:
        """What the group saw, in order."""
        return [body[body["msgtype"]]["content"] for body in self.delivered]

    async def _send(self, request: Request) -> Response:
        key = request.query_params.get("key", "")
        body = await request.json()
        self.requests.append({"key": key, **body})
        scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            if scripted >= 500:
                return Response("upstream error", status_code=scripted)
            return _answer(scripted, "scripted failure")
        if key not in self.keys:
            return _answer(93000, f"invalid webhook url, hint: key={key}")
        if problem := _size_problem(body):
            return _answer(*problem)
        now = self.now()
        recent = [t for t in self._recent.get(key, []) if t > now - 60]
        if len(recent) >= PER_MINUTE:
            self._recent[key] = recent
            return _answer(45009, "api freq out of limit")
        self._recent[key] = [*recent, now]
        self.delivered.append(body)
        return _answer(0, "ok")


def _size_problem(body: dict[str, Any]) -> tuple[int, str] | None:
    kind = body.get("msgtype")
    content = str(body.get(kind, {}).get("content", "")) if isinstance(kind, str) else ""
    size = len(content.encode("utf-8"))
    if kind == "text" and size > 2048:
        return 45002, "content size out of limit"
    if kind == "markdown" and size > 4096:
        return 40058, "markdown.content exceed max length 4096"
    if kind not in ("text", "markdown") or not content:
        return 40008, "invalid message type"
    return None


def _answer(code: int, message: str) -> JSONResponse:
    return JSONResponse({"errcode": code, "errmsg": message})
