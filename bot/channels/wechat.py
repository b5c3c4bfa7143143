"""WeChat Official Account (公众号): callbacks in plaintext or safe (AES) mode, passive replies, sends.

Conversations are one-to-one (an openid and the account); there are no group
chats. Inbound: text messages and follow events. Outbound: customer-service text
(only within 48 h of the user's last message), falling back to a template message
when the account has one configured for reminders.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from wechatpy.exceptions import WeChatClientException
from wechatpy.replies import TextReply

from bot.channels._callback import (
    AesKey,
    ApiBaseUrl,
    Callback,
    CallbackToken,
    Envelope,
    Format,
    check_fresh,
    check_signature,
    param,
    parse_fields,
    signature_param,
    to_inbound,
)
from bot.channels._platform import Platform, Shared
from bot.channels._split import split_message
from bot.channels._tokens import OfficialAccountClient
from bot.core.channel import ChannelLimits, ChannelRates, Rate, TokenStore
from bot.core.clock import Clock
from bot.core.errors import InboundRejected, PermanentFailure
from bot.core.messages import Reply, Target

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
LIMITS = ChannelLimits(unit="utf8", max_length=2048)
OUTSIDE_WINDOW = frozenset({45015, 45047})  # 48-hour customer-service window closed / quota used


class WeChatAccount(BaseModel):
    """One ``[wechat.NAME]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    app_id: str
    token: CallbackToken
    encoding_aes_key: AesKey | None = None  # set: safe mode, and plaintext callbacks are refused
    app_secret: SecretStr | None = None  # needed for anything but passive replies
    api_base_url: ApiBaseUrl = "https://api.weixin.qq.com/cgi-bin/"
    reminder_template_id: str | None = None
    reminder_template_key: str = "content"  # the template's keyword that carries the text
    timestamp_window: int = Field(default=300, ge=30, le=3600)
    timeout: float = Field(default=10.0, gt=0, le=60)

    @field_validator("app_id")
    @classmethod
    def _app_id(cls, value: str) -> str:
        if not value.startswith("wx"):
            raise ValueError("must start with wx (the AppID from the 公众号 console)")
        return value

    @field_validator("encoding_aes_key", "app_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value


class WeChatChannel:
    """One configured 公众号: verifies and parses its callbacks, renders passive replies, sends."""

    name = CHANNEL
    limits = LIMITS

    def __init__(
        self, account_name: str, account: WeChatAccount, *, clock: Clock, tokens: TokenStore | None
    ) -> None:
        self.account_name = account_name
        self.account = account
        self.clock = clock
        self._token = account.token.get_secret_value()
        aes = account.encoding_aes_key
        self._envelope = Envelope(self._token, aes.get_secret_value(), account.app_id) if aes else None
        self._client = None
        if account.app_secret and tokens is not None:
            self._client = OfficialAccountClient(
                account.app_id,
                account.app_secret.get_secret_value(),
                tokens=tokens,
                base_url=account.api_base_url,
                timeout=account.timeout,
            )

    def verify_url(self, query: Mapping[str, str]) -> str:
        """The GET handshake: the echostr back, in every mode, once the signature checks out."""
        timestamp, nonce = param(query, "timestamp"), param(query, "nonce")
        check_fresh(timestamp, self.clock.now(), self.account.timestamp_window)
        check_signature(param(query, "signature"), self._token, timestamp, nonce)
        return param(query, "echostr", limit=None)

    def check_query(self, query: Mapping[str, str]) -> None:
        """What the query string shows on its own, checked before the body is read.

        A fresh timestamp and a well-formed signature; in plaintext mode the whole signature,
        which covers nothing but the query string anyway.
        """
        timestamp, nonce = param(query, "timestamp"), param(query, "nonce")
        check_fresh(timestamp, self.clock.now(), self.account.timestamp_window)
        if self._envelope is None:
            check_signature(signature_param(query, "signature"), self._token, timestamp, nonce)
        elif query.get("encrypt_type") != "aes":
            raise InboundRejected("plaintext callback to a safe-mode account")
        else:
            signature_param(query, "msg_signature")

    def parse(self, query: Mapping[str, str], body: bytes) -> Callback:
        self.check_query(query)
        timestamp, nonce, now = query["timestamp"], query["nonce"], self.clock.now()
        if self._envelope is None:
            fields, fmt = parse_fields(body)
        else:
            fields, fmt = self._decrypt(self._envelope, query, body, timestamp, nonce)
        inbound = to_inbound(CHANNEL, self.account_name, fields, now)
        return Callback(
            inbound,
            fmt,
            fields.get("ToUserName", ""),
            nonce,
            encrypted=self._envelope is not None,
            timestamp=timestamp,
        )

    def _decrypt(
        self, envelope: Envelope, query: Mapping[str, str], body: bytes, timestamp: str, nonce: str
    ) -> tuple[dict[str, str], Format]:
        outer, fmt = parse_fields(body)
        encrypt = outer.get("Encrypt") or ""
        check_signature(param(query, "msg_signature"), self._token, timestamp, nonce, encrypt)
        fields, _ = parse_fields(envelope.open(encrypt))
        return fields, fmt

    def render(self, callback: Callback, reply: Reply | None) -> tuple[str, str]:
        """The HTTP body and media type answering a callback: a passive reply, or "success" for none."""
        if reply is None or callback.inbound is None:
            return "success", "text/plain"
        now = str(int(self.clock.now().timestamp()))
        target, source = callback.inbound.sender_id, callback.account_id
        if callback.fmt == "json":
            fields = {"ToUserName": target, "FromUserName": source, "CreateTime": int(now), "MsgType": "text"}
            plain = json.dumps({**fields, "Content": reply.text}, ensure_ascii=False)
        else:
            plain = TextReply(source=source, target=target, content=reply.text, time=int(now)).render()
        if self._envelope is None:
            return plain, f"application/{callback.fmt}"
        if callback.fmt == "xml":
            return self._envelope.seal_xml(plain, callback.nonce, now), "application/xml"
        return json.dumps(self._envelope.seal_json(plain, callback.nonce, now)), "application/json"

    async def aclose(self) -> None:
        """Nothing to close: wechatpy's blocking session goes with the process."""

    async def send(self, target: Target, reply: Reply) -> str:
        """Customer-service text to one follower (template message outside the 48 h window if configured)."""
        return await asyncio.to_thread(self._send, target, reply)

    def _send(self, target: Target, reply: Reply) -> str:
        if target.is_group:
            raise PermanentFailure(
                "a 公众号 has no group chats; use a WeCom robot, appchat or Telegram group"
            )
        client = self._client
        if client is None:
            raise PermanentFailure(f"wechat.{self.account_name}.app_secret is not set: passive replies only")
        msg_id = ""
        for part in split_message(reply.text, LIMITS.unit, LIMITS.max_length):
            result = client.call(partial(self._send_text, client, target.chat_id, part))
            msg_id = str(result.get("msgid", "")) if isinstance(result, dict) else ""
        return msg_id

    def _send_text(self, client: OfficialAccountClient, openid: str, text: str) -> Any:
        try:
            return client.message.send_text(openid, text)
        except WeChatClientException as exc:
            template = self.account.reminder_template_id
            if exc.errcode not in OUTSIDE_WINDOW or not template:
                raise
        data = {self.account.reminder_template_key: {"value": text}}
        return client.message.send_template(openid, template, data)


def _build(name: str, account: WeChatAccount, shared: Shared) -> WeChatChannel:
    if account.encoding_aes_key is None:
        logger.warning(
            "wechat %s: plaintext mode (明文模式) signs callbacks without their body; "
            "switch the 公众号 to safe mode (安全模式) and set encoding_aes_key",
            name,
        )
    return WeChatChannel(name, account, clock=shared.clock, tokens=shared.tokens)


SAMPLE = """\
# [wechat.default]            # 公众号, callback URL /wechat/default
# app_id = "wx..."
# token = "..."
# encoding_aes_key = "..."    # set it and choose 安全模式: in 明文模式 the signature covers the URL
#                             # but not the message, so a leaked callback URL could carry other messages
# app_secret = "..."
"""

PLATFORM = Platform(
    CHANNEL,
    "微信公众号",
    WeChatAccount,
    _build,
    # Customer-service messages: the 5-per-48-hours quota follows the user's last message and is
    # enforced by the platform (45047 → permanent); the bucket only stops bursts.
    ChannelRates(account=Rate(50, 1.0, burst=10), chat=Rate(1, 1.0, burst=3)),
    limits=LIMITS,
    callbacks="reply",
    sample=SAMPLE,
)
