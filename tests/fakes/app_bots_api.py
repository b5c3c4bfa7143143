"""Fake 钉钉 and 飞书 open-platform APIs (tokens and robot/bot messages) speaking their JSON.

钉钉: ``POST /v1.0/oauth2/accessToken`` ({appKey, appSecret} → {accessToken, expireIn}),
``/v1.0/robot/groupMessages/send`` and ``/v1.0/robot/oToMessages/batchSend`` with the
``x-acs-dingtalk-access-token`` header (401 InvalidAuthentication for an unknown token).
飞书: ``POST /open-apis/auth/v3/tenant_access_token/internal`` and ``/open-apis/im/v1/messages``
with ``Authorization: Bearer`` (code 99991663 for a stale token). ``expire_token()`` makes the
current token stale, as the platforms do when a token is replaced or runs out.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_serial = itertools.count(1)


@dataclass
class AppBotApi:
    app_id: str
    app_secret: str
    tokens_issued: int = 0
    sent: list[dict[str, Any]] = field(
        default_factory=list
    )  # what reached a chat: {to, group, kind, content}
    _valid: set[str] = field(default_factory=set)

    def expire_token(self) -> None:
        self._valid.clear()

    def _issue(self) -> str:
        self.tokens_issued += 1
        token = f"t-{next(_serial)}"
        self._valid.add(token)
        return token

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1.0/oauth2/accessToken", self._dingtalk_token, methods=["POST"]),
                Route("/v1.0/robot/groupMessages/send", self._dingtalk_group, methods=["POST"]),
                Route("/v1.0/robot/oToMessages/batchSend", self._dingtalk_single, methods=["POST"]),
                Route(
                    "/open-apis/auth/v3/tenant_access_token/internal", self._feishu_token, methods=["POST"]
                ),
                Route("/open-apis/im/v1/messages", self._feishu_send, methods=["POST"]),
            ]
        )

    # -- 钉钉 --

    async def _dingtalk_token(self, request: Request) -> JSONResponse:
        body = await request.json()
        if (body.get("appKey"), body.get("appSecret")) != (self.app_id, self.app_secret):
            return JSONResponse(
                {"code": "invalidClientIdOrSecret", "message": "无效的 appKey 或 appSecret"}, 400
            )
        return JSONResponse({"accessToken": self._issue(), "expireIn": 7200})

    def _dingtalk_authorized(self, request: Request) -> bool:
        return request.headers.get("x-acs-dingtalk-access-token", "") in self._valid

    async def _dingtalk_group(self, request: Request) -> JSONResponse:
        if not self._dingtalk_authorized(request):
            return JSONResponse({"code": "InvalidAuthentication", "message": "不合法的access_token"}, 401)
        body = await request.json()
        self.sent.append(
            {
                "to": body["openConversationId"],
                "group": True,
                "kind": body["msgKey"],
                "content": json.loads(body["msgParam"]),
            }
        )
        return JSONResponse({"processQueryKey": f"q-{next(_serial)}"})

    async def _dingtalk_single(self, request: Request) -> JSONResponse:
        if not self._dingtalk_authorized(request):
            return JSONResponse({"code": "InvalidAuthentication", "message": "不合法的access_token"}, 401)
        body = await request.json()
        for user in body["userIds"]:
            self.sent.append(
                {"to": user, "group": False, "kind": body["msgKey"], "content": json.loads(body["msgParam"])}
            )
        return JSONResponse(
            {
                "processQueryKey": f"q-{next(_serial)}",
                "invalidStaffIdList": [],
                "flowControlledStaffIdList": [],
            }
        )

    # -- 飞书 --

    async def _feishu_token(self, request: Request) -> JSONResponse:
        body = await request.json()
        if (body.get("app_id"), body.get("app_secret")) != (self.app_id, self.app_secret):
            return JSONResponse({"code": 10014, "msg": "app secret invalid"})
        return JSONResponse({"code": 0, "msg": "ok", "tenant_access_token": self._issue(), "expire": 7200})

    async def _feishu_send(self, request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self._valid:
            return JSONResponse({"code": 99991663, "msg": "Invalid access token for authorization."})
        body = await request.json()
        kind = request.query_params.get("receive_id_type")
        self.sent.append(
            {
                "to": body["receive_id"],
                "group": kind == "chat_id",
                "kind": body["msg_type"],
                "content": json.loads(body["content"]),
            }
        )
        return JSONResponse({"code": 0, "msg": "success", "data": {"message_id": f"om_{next(_serial)}"}})
