"""飞书 (Feishu / Lark) app bot: event-subscription callbacks in, the messages API out.

Inbound (docs/platforms.md §6): the platform posts JSON to the request URL; with an Encrypt Key
the body is ``{"encrypt": …}`` (AES-256-CBC, key SHA-256 of the Encrypt Key, the IV in front) and
``X-Lark-Signature`` = SHA-256 of timestamp + nonce + Encrypt Key + body, which is checked first.
The URL check (``url_verification``) is answered with its challenge; every callback carries the
app's Verification Token, compared in constant time. A text message (``im.message.receive_v1``)
goes to the router keyed on its event id, so a redelivery is answered once.

Outbound: ``POST /open-apis/im/v1/messages`` with a tenant_access_token from the shared token
store (refreshed once when the platform says it is stale); a group by its chat_id, a person by
open_id. Markdown replies go as rich text (post).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.channels._app_token import AppBot
from bot.channels._platform import Platform, Shared
from bot.channels._split import split_message
from bot.channels._webhook import post_json
from bot.channels.feishu import rich_text
from bot.core.channel import ChannelLimits, ChannelRates, Rate
from bot.core.errors import InboundRejected, PermanentFailure, RetryLater, SendError
from bot.core.messages import Inbound, Reply, Target

CHANNEL = "feishu"
CONTENT_LIMIT = 18_000  # bytes of text in a message; the API takes up to 150 KB, the reader less
LIMITS = ChannelLimits(unit="utf8", max_length=CONTENT_LIMIT, markdown=True)
MAX_ID = 128
STALE_TOKEN_CODES = frozenset({99991661, 99991663, 99991668})
RETRY_CODES = frozenset({99991400, 230020})  # request rate limits (app, chat)
TIMESTAMP_WINDOW = 3600.0  # seconds; signed callbacks further off are refused


class FeishuAppAccount(BaseModel):
    """One ``[feishu.NAME]`` table: the app's credentials and its event-subscription settings."""

    model_config = ConfigDict(extra="forbid")

    app_id: str = Field(pattern=r"^cli_\w{4,60}$")
    app_secret: SecretStr = Field(min_length=8)
    verification_token: SecretStr = Field(min_length=8)
    encrypt_key: SecretStr | None = None  # 事件订阅 → Encrypt Key: strongly advised (bodies are then signed)
    api_base_url: str = Field(default="https://open.feishu.cn", pattern=r"^https?://")
    timeout: float = Field(default=10.0, gt=0)


def decrypt(encrypt_key: str, encrypted: str) -> bytes:
    """An ``encrypt`` field's plaintext (AES-256-CBC, key SHA-256 of the Encrypt Key, IV in front)."""
    data = base64.b64decode(encrypted, validate=True)
    if len(data) < 32 or len(data) % 16:
        raise ValueError("not an AES-CBC payload")
    decryptor = Cipher(
        algorithms.AES(hashlib.sha256(encrypt_key.encode()).digest()), modes.CBC(data[:16])
    ).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(decryptor.update(data[16:]) + decryptor.finalize()) + unpadder.finalize()


def signature(encrypt_key: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def _object(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InboundRejected("body is not JSON", status=400) from None
    if not isinstance(data, dict):
        raise InboundRejected("body is not a JSON object", status=400)
    return data


def _text(content: Any) -> str:
    """A text message's words, without the @-placeholders (``@_user_1``) of the people it mentions."""
    try:
        text = json.loads(content).get("text", "") if isinstance(content, str) else ""
    except (ValueError, AttributeError):
        return ""
    return " ".join(word for word in str(text).split() if not word.startswith("@_user_"))


class FeishuAppChannel(AppBot):
    name = CHANNEL
    limits = LIMITS

    # -- inbound --

    def receive(self, headers: Mapping[str, str], body: bytes) -> Inbound | dict[str, Any] | None:
        data = _object(body)
        key = self.account.encrypt_key.get_secret_value() if self.account.encrypt_key else None
        if key is not None:
            self._check_signature(key, headers, body)
            if not isinstance(data.get("encrypt"), str):
                raise InboundRejected("an Encrypt Key is set but the body is not encrypted")
            try:
                data = _object(decrypt(key, data["encrypt"]))
            except ValueError:
                raise InboundRejected("the body does not decrypt with the Encrypt Key", status=400) from None
        header: dict[str, Any] = data["header"] if isinstance(data.get("header"), dict) else {}
        token = str(header.get("token", data.get("token", "")))
        if not hmac.compare_digest(
            token.encode(), self.account.verification_token.get_secret_value().encode()
        ):
            raise InboundRejected("wrong verification token")
        if data.get("type") == "url_verification":
            return {"challenge": str(data.get("challenge", ""))}
        if header.get("event_type") != "im.message.receive_v1":
            return None
        return self._message(str(header.get("event_id", "")), data.get("event"))

    def _check_signature(self, key: str, headers: Mapping[str, str], body: bytes) -> None:
        timestamp = headers.get("x-lark-request-timestamp", "")
        nonce = headers.get("x-lark-request-nonce", "")
        sent = headers.get("x-lark-signature", "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise InboundRejected("missing or bad X-Lark-Request-Timestamp")
        if abs(self.clock.now().timestamp() - int(timestamp)) > TIMESTAMP_WINDOW:
            raise InboundRejected("callback timestamp outside the allowed window")
        if not hmac.compare_digest(sent.encode(), signature(key, timestamp, nonce, body).encode()):
            raise InboundRejected("bad X-Lark-Signature")

    def _message(self, event_id: str, event: Any) -> Inbound | None:
        if not isinstance(event, dict) or not isinstance(event.get("message"), dict):
            raise InboundRejected("message event without a message", status=400)
        message, sender = event["message"], event.get("sender") or {}
        if message.get("message_type") != "text" or sender.get("sender_type") not in (None, "user"):
            return None  # pictures, files, other bots
        open_id = str((sender.get("sender_id") or {}).get("open_id", ""))
        group = message.get("chat_type") == "group"
        chat = str(message.get("chat_id", "")) if group else open_id
        if not event_id or not open_id or not chat or max(len(event_id), len(open_id), len(chat)) > MAX_ID:
            raise InboundRejected("message event without usable ids", status=400)
        return Inbound(
            channel=CHANNEL,
            account=self.account_name,
            chat_id=chat,
            sender_id=open_id,
            text=_text(message.get("content")),
            received_at=self.clock.now(),
            is_group=group,
            message_id=event_id,
        )

    # -- outbound --

    async def send(self, target: Target, reply: Reply) -> str:
        """Send as rich text when the reply has markdown, else as text; the last part's message id."""
        message_id = ""
        if reply.markdown:
            for part in split_message(reply.markdown, "utf8", CONTENT_LIMIT, markup="markdown"):
                content = rich_text(part)["post"]
                message_id = await self._send(target, "post", content)
            return message_id
        for part in split_message(reply.text, "utf8", CONTENT_LIMIT):
            message_id = await self._send(target, "text", {"text": part})
        return message_id

    async def _send(self, target: Target, kind: str, content: dict[str, Any]) -> str:
        params = {"receive_id_type": "chat_id" if target.is_group else "open_id"}
        payload = {
            "receive_id": target.chat_id,
            "msg_type": kind,
            "content": json.dumps(content, ensure_ascii=False),
        }
        url = f"{self.account.api_base_url.rstrip('/')}/open-apis/im/v1/messages"
        token = await self._token.get()
        result = await self._post(url, payload, params, token)
        if int(result.get("code", -1)) in STALE_TOKEN_CODES:
            result = await self._post(url, payload, params, await self._token.renew(token))
        code = int(result.get("code", -1))
        if code != 0:
            raise self._error(code, str(result.get("msg", ""))[:120])
        data: dict[str, Any] = result["data"] if isinstance(result.get("data"), dict) else {}
        return str(data.get("message_id", ""))

    async def _post(
        self, url: str, payload: dict[str, Any], params: dict[str, str], token: str
    ) -> dict[str, Any]:
        auth = {"Authorization": f"Bearer {token}"}
        return await post_json(
            self._http.get(), url, payload, who=f"feishu {self.account_name}", params=params, headers=auth
        )

    def _fetch_token(self) -> tuple[str, int]:
        """A tenant_access_token (blocking: the token store calls it under its cross-process lock)."""
        url = f"{self.account.api_base_url.rstrip('/')}/open-apis/auth/v3/tenant_access_token/internal"
        body = {"app_id": self.account.app_id, "app_secret": self.account.app_secret.get_secret_value()}
        try:
            result = httpx.post(url, json=body, timeout=self.account.timeout).json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RetryLater(
                f"feishu {self.account_name}: token request failed ({type(exc).__name__})"
            ) from None
        if int(result.get("code", -1)) != 0 or "tenant_access_token" not in result:
            raise PermanentFailure(
                f"feishu {self.account_name}: token refused (code {result.get('code')}): "
                f"check feishu.{self.account_name}.app_id and app_secret"
            )
        return str(result["tenant_access_token"]), int(result.get("expire", 7200))

    def _error(self, code: int, message: str) -> SendError:
        if code in RETRY_CODES:
            return RetryLater(f"feishu code {code}: {message}", retry_after=1.0)
        return PermanentFailure(f"feishu code {code}: {message}")


def _build(name: str, account: FeishuAppAccount, shared: Shared) -> FeishuAppChannel:
    return FeishuAppChannel(name, account, clock=shared.clock, tokens=shared.token_store())


SAMPLE = """\
# [feishu.default]             # 飞书 应用机器人; request URL https://YOUR.HOST/feishu/default
# app_id = "cli_..."           # 凭证与基础信息 → App ID
# app_secret = "..."
# verification_token = "..."   # 事件与回调 → 加密策略 → Verification Token
# encrypt_key = "..."          # … → Encrypt Key (set it: callbacks are then encrypted and signed)
"""

PLATFORM = Platform(
    CHANNEL,
    "飞书应用机器人",
    FeishuAppAccount,
    _build,
    # The messages API: 5/s per chat.
    ChannelRates(account=Rate(40, 1.0, burst=10), chat=Rate(4, 1.0, burst=3), group=Rate(4, 1.0, burst=3)),
    limits=LIMITS,
    callbacks="push",
    sample=SAMPLE,
)
