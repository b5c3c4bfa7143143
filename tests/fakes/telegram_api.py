"""A fake Telegram Bot API (``POST /bot<token>/<method>``) speaking the real JSON envelope.

getMe, sendMessage (4096 UTF-16 units, HTML parse check, blocked users 403,
migrated groups 400 + migrate_to_chat_id), getUpdates with offsets (409 while
a webhook is set), setWebhook/deleteWebhook. ``script`` queues raw answers
(status, body) for the next calls, e.g. a 429 with ``parameters.retry_after``.
getUpdates holds an empty answer for at most 0.2 s (the real one holds up to ``timeout`` s).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def flood(retry_after: int) -> tuple[int, dict[str, Any]]:
    body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}"}
    return 429, {**body, "parameters": {"retry_after": retry_after}}


@dataclass
class TelegramApi:
    token: str
    blocked: set[str] = field(default_factory=set)
    migrated: dict[str, int] = field(default_factory=dict)
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] | None = None

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self._call, methods=["POST"])])

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [m["text"] for m in self.sent if chat_id is None or str(m["chat_id"]) == chat_id]

    async def _call(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.headers.get("content-type", "").startswith("application/json"):
            params = await request.json()
        else:
            params = dict(await request.form())
        self.calls.append((method, params))
        if request.path_params["token"] != self.token:
            return _fail(401, "Unauthorized")
        if self.script:
            status, body = self.script.pop(0)
            return JSONResponse(body, status_code=status)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _fail(404, "Not Found: method not found")
        if method == "getUpdates" and not self.updates and int(params.get("timeout") or 0) > 0:
            await asyncio.sleep(0.2)  # a short long poll, so a polling loop does not spin
        return handler(params)

    def _getMe(self, params: dict[str, Any]) -> JSONResponse:
        return _ok(
            {
                "id": int(self.token.split(":")[0]),
                "is_bot": True,
                "first_name": "支部助手",
                "username": "zhibu_bot",
            }
        )

    def _sendMessage(self, params: dict[str, Any]) -> JSONResponse:
        chat, text = str(params.get("chat_id", "")), str(params.get("text", ""))
        if chat in self.blocked:
            return _fail(403, "Forbidden: bot was blocked by the user")
        if chat in self.migrated:
            body = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
            }
            return JSONResponse(
                {**body, "parameters": {"migrate_to_chat_id": self.migrated[chat]}}, status_code=400
            )
        if not text or len(text.encode("utf-16-le")) // 2 > 4096:
            return _fail(
                400, "Bad Request: message is too long" if text else "Bad Request: message text is empty"
            )
        if params.get("parse_mode") == "HTML" and text.count("<") != text.count(">"):
            return _fail(400, "Bad Request: can't parse entities")
        self.sent.append(params)
        return _ok({"message_id": len(self.sent), "chat": {"id": int(chat)}, "text": text})

    def _getUpdates(self, params: dict[str, Any]) -> JSONResponse:
        if self.webhook is not None:
            return _fail(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        if offset:  # confirmed updates are forgotten, and so are test updates with an id of the wrong type
            self.updates = [
                u for u in self.updates if isinstance(u["update_id"], int) and u["update_id"] >= offset
            ]
        return _ok(list(self.updates))

    def _setWebhook(self, params: dict[str, Any]) -> JSONResponse:
        self.webhook = params
        return _ok(True)

    def _deleteWebhook(self, params: dict[str, Any]) -> JSONResponse:
        self.webhook = None
        return _ok(True)


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _fail(status: int, description: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": status, "description": description}, status_code=status)
