"""钉钉 (DingTalk) enterprise-internal app robot: HTTP callbacks in, the robot messages API out.

Inbound (docs/platforms.md §5): the platform posts the message as JSON with the headers
``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(key=AppSecret, msg=f"{timestamp}\\n{AppSecret}")),
checked in constant time and refused more than an hour off. A text message goes to the router
keyed on its ``msgId``, so a redelivery is answered once. Stream mode (a WebSocket the bot opens)
is not used: zhibu already serves HTTPS callbacks for the other platforms, and HTTP mode lets any
of several processes take a message, where a stream ties each message to one connection.

Outbound: the robot API with an access token from the shared token store — a group by its
openConversationId (the callback's ``conversationId``), a person by userId (``senderStaffId``).
Replies go through the outbox like every other message, not through the callback's
``sessionWebhook``, which expires and cannot carry reminders sent later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.channels._app_token import AppBot
from bot.channels._platform import Platform, Shared
from bot.channels._split import split_message
from bot.core.channel import ChannelLimits, ChannelRates, Rate
from bot.core.errors import InboundRejected, PermanentFailure, RetryLater
from bot.core.messages import Inbound, Reply, Target

CHANNEL = "dingtalk"
CONTENT_LIMIT = 5_000  # bytes of text per message, well inside the API's own limits
LIMITS = ChannelLimits(unit="utf8", max_length=CONTENT_LIMIT, markdown=True)
TIMESTAMP_WINDOW = 3600.0  # seconds
MAX_ID = 128
TITLE_CHARS = 20


class DingTalkAppAccount(BaseModel):
    """One ``[dingtalk.NAME]`` table: the app's AppKey (Client ID) and AppSecret, and its robot."""

    model_config = ConfigDict(extra="forbid")

    app_key: str = Field(min_length=8, max_length=64)
    app_secret: SecretStr = Field(min_length=8)
    robot_code: str = ""  # the robot's code; the AppKey when left out (the usual case)
    api_base_url: str = Field(default="https://api.dingtalk.com", pattern=r"^https?://")
    timeout: float = Field(default=10.0, gt=0)


def callback_sign(app_secret: str, timestamp: str) -> str:
    digest = hmac.new(app_secret.encode(), f"{timestamp}\n{app_secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkAppChannel(AppBot):
    name = CHANNEL
    limits = LIMITS

    @property
    def robot_code(self) -> str:
        return self.account.robot_code or self.account.app_key

    # -- inbound --

    def admit(self, headers: Mapping[str, str]) -> None:
        """The ``sign`` header covers the timestamp, not the body: checked before the body is read."""
        self._check_sign(headers.get("timestamp", ""), headers.get("sign", ""))

    def receive(self, headers: Mapping[str, str], body: bytes) -> Inbound | None:
        """The text message for the router, None for anything else (called after ``admit``)."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise InboundRejected("body is not JSON", status=400) from None
        if not isinstance(data, dict):
            raise InboundRejected("body is not a JSON object", status=400)
        if data.get("msgtype") != "text" or not isinstance(data.get("text"), dict):
            return None
        group = str(data.get("conversationType")) == "2"
        sender = str(data.get("senderStaffId") or data.get("senderId") or "")
        chat = str(data.get("conversationId", "")) if group else sender
        message_id = str(data.get("msgId", ""))
        if not sender or not chat or not message_id or max(len(sender), len(chat), len(message_id)) > MAX_ID:
            raise InboundRejected("message without usable ids", status=400)
        return Inbound(
            channel=CHANNEL,
            account=self.account_name,
            chat_id=chat,
            sender_id=sender,
            text=str(data["text"].get("content", "")).strip(),
            received_at=self.clock.now(),
            is_group=group,
            message_id=message_id,
            sender_name=str(data.get("senderNick", ""))[:50],
        )

    def _check_sign(self, timestamp: str, sign: str) -> None:
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 15):
            raise InboundRejected("missing or bad timestamp header")
        if abs(self.clock.now().timestamp() - int(timestamp) / 1000) > TIMESTAMP_WINDOW:
            raise InboundRejected("callback timestamp outside the allowed window")
        expected = callback_sign(self.account.app_secret.get_secret_value(), timestamp)
        if not hmac.compare_digest(sign.encode(), expected.encode()):
            raise InboundRejected("bad sign header")

    # -- outbound --

    async def send(self, target: Target, reply: Reply) -> str:
        """Send each part; the platform's processQueryKey of the last one."""
        key = ""
        if reply.markdown:
            for part in split_message(reply.markdown, "utf8", CONTENT_LIMIT, markup="markdown"):
                title = next((line for line in part.splitlines() if line.strip()), "").strip("#*【】 ")
                key = await self._send(
                    target, "sampleMarkdown", {"title": title[:TITLE_CHARS] or "支部助手", "text": part}
                )
            return key
        for part in split_message(reply.text, "utf8", CONTENT_LIMIT):
            key = await self._send(target, "sampleText", {"content": part})
        return key

    async def _send(self, target: Target, msg_key: str, param: dict[str, str]) -> str:
        base = self.account.api_base_url.rstrip("/")
        payload: dict[str, Any] = {
            "robotCode": self.robot_code,
            "msgKey": msg_key,
            "msgParam": json.dumps(param, ensure_ascii=False),
        }
        if target.is_group:
            url, payload["openConversationId"] = f"{base}/v1.0/robot/groupMessages/send", target.chat_id
        else:
            url, payload["userIds"] = f"{base}/v1.0/robot/oToMessages/batchSend", [target.chat_id]
        token = await self._token.get()
        result, status = await self._post(url, payload, token)
        if status == 401:  # the token expired or was replaced
            result, status = await self._post(url, payload, await self._token.renew(token))
        if status >= 400:
            code, message = str(result.get("code", status)), str(result.get("message", ""))[:120]
            if code.startswith("Throttling") or "flowControl" in code:
                raise RetryLater(f"dingtalk {code}: {message}", retry_after=60.0)
            raise PermanentFailure(f"dingtalk {code}: {message}")
        if target.chat_id in (result.get("invalidStaffIdList") or []):
            raise PermanentFailure(f"dingtalk: {target.chat_id} is not a member this robot may message")
        if target.chat_id in (result.get("flowControlledStaffIdList") or []):
            raise RetryLater("dingtalk: this person's message quota is used up for now", retry_after=60.0)
        return str(result.get("processQueryKey", ""))

    async def _post(self, url: str, payload: dict[str, Any], token: str) -> tuple[dict[str, Any], int]:
        """The answer and its HTTP status: the robot API says what went wrong in 4xx bodies."""
        try:
            response = await self._http.get().post(
                url, json=payload, headers={"x-acs-dingtalk-access-token": token}
            )
        except httpx.HTTPError as exc:
            raise RetryLater(f"dingtalk {self.account_name}: network error {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryLater(f"dingtalk {self.account_name}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise RetryLater(f"dingtalk {self.account_name}: HTTP {response.status_code}, not JSON") from None
        return (answer if isinstance(answer, dict) else {}), response.status_code

    def _fetch_token(self) -> tuple[str, int]:
        """An app access token (blocking: the token store calls it under its cross-process lock)."""
        url = f"{self.account.api_base_url.rstrip('/')}/v1.0/oauth2/accessToken"
        body = {"appKey": self.account.app_key, "appSecret": self.account.app_secret.get_secret_value()}
        try:
            response = httpx.post(url, json=body, timeout=self.account.timeout)
            result = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RetryLater(
                f"dingtalk {self.account_name}: token request failed ({type(exc).__name__})"
            ) from None
        if response.status_code != 200 or "accessToken" not in result:
            raise PermanentFailure(
                f"dingtalk {self.account_name}: token refused ({result.get('code', response.status_code)}): "
                f"check dingtalk.{self.account_name}.app_key and app_secret"
            )
        return str(result["accessToken"]), int(result.get("expireIn", 7200))


def _build(name: str, account: DingTalkAppAccount, shared: Shared) -> DingTalkAppChannel:
    return DingTalkAppChannel(name, account, clock=shared.clock, tokens=shared.token_store())


SAMPLE = """\
# [dingtalk.default]           # 钉钉 企业内部应用机器人 (HTTP 模式); callback URL https://YOUR.HOST/dingtalk/default
# app_key = "ding..."          # 应用凭证 Client ID (AppKey)
# app_secret = "..."           # Client Secret (AppSecret): also signs the callbacks
"""

PLATFORM = Platform(
    CHANNEL,
    "钉钉应用机器人",
    DingTalkAppAccount,
    _build,
    # The robot API per app, and per group like the custom robots.
    ChannelRates(account=Rate(20, 1.0, burst=5), chat=Rate(1, 1.0, burst=3), group=Rate(18, 60.0, burst=2)),
    limits=LIMITS,
    callbacks="push",
    sample=SAMPLE,
)
