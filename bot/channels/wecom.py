"""WeCom (企业微信) self-built app: encrypted callbacks, passive replies, app messages and appchat sends.

Callbacks carry only what a member sends to the app itself; group delivery goes
to app-created group chats (appchat), addressed by their chat id. The app also logs members in to the
web console from WeCom's in-app browser (网页授权, scope snsapi_base: no consent screen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from wechatpy.enterprise.replies import TextReply
from wechatpy.exceptions import WeChatClientException

from bot.channels._callback import (
    AesKey,
    ApiBaseUrl,
    Callback,
    CallbackToken,
    Envelope,
    check_fresh,
    check_signature,
    param,
    parse_fields,
    signature_param,
    to_inbound,
)
from bot.channels._platform import Platform
from bot.channels._split import split_message
from bot.channels._tokens import WeComClient
from bot.core.channel import ChannelLimits, ChannelRates, Rate, TokenStore
from bot.core.clock import Clock
from bot.core.errors import InboundRejected, PermanentFailure, SendError, WebLoginFailed
from bot.core.messages import Reply, Target

CHANNEL = "wecom"
LIMITS = ChannelLimits(unit="utf8", max_length=2048)
INVALID_CODE = 40029  # a login code unknown, used or older than its 5 minutes


class WeComAccount(BaseModel):
    """One ``[wecom.NAME]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    corp_id: str = Field(min_length=1)
    agent_id: int = Field(gt=0)
    secret: SecretStr
    token: CallbackToken
    encoding_aes_key: AesKey  # WeCom callbacks are always encrypted
    api_base_url: ApiBaseUrl = "https://qyapi.weixin.qq.com/cgi-bin/"
    oauth_base_url: ApiBaseUrl = "https://open.weixin.qq.com/connect/"  # where browsers go to log in
    timestamp_window: int = Field(default=300, ge=30, le=3600)
    timeout: float = Field(default=10.0, gt=0, le=60)


class WeComChannel:
    """One configured WeCom app."""

    name = CHANNEL
    limits = LIMITS
    login_label = "企业微信"

    def __init__(
        self, account_name: str, account: WeComAccount, *, clock: Clock, tokens: TokenStore | None
    ) -> None:
        self.account_name = account_name
        self.account = account
        self.clock = clock
        self._token = account.token.get_secret_value()
        self._envelope = Envelope(self._token, account.encoding_aes_key.get_secret_value(), account.corp_id)
        self._client = None
        if tokens is not None:
            self._client = WeComClient(
                account.corp_id,
                account.secret.get_secret_value(),
                account.agent_id,
                tokens=tokens,
                base_url=account.api_base_url,
                timeout=account.timeout,
            )

    def verify_url(self, query: Mapping[str, str]) -> str:
        """The GET handshake: the decrypted echostr, verbatim."""
        timestamp, nonce, echostr = (
            param(query, "timestamp"),
            param(query, "nonce"),
            param(query, "echostr", limit=None),
        )
        check_fresh(timestamp, self.clock.now(), self.account.timestamp_window)
        check_signature(param(query, "msg_signature"), self._token, timestamp, nonce, echostr)
        return self._envelope.open(echostr)

    def check_query(self, query: Mapping[str, str]) -> None:
        """A fresh timestamp and a well-formed msg_signature, checked before the body is read."""
        timestamp = param(query, "timestamp")
        param(query, "nonce")
        check_fresh(timestamp, self.clock.now(), self.account.timestamp_window)
        signature_param(query, "msg_signature")

    def parse(self, query: Mapping[str, str], body: bytes) -> Callback:
        self.check_query(query)
        timestamp, nonce, now = query["timestamp"], query["nonce"], self.clock.now()
        outer, fmt = parse_fields(body)
        encrypt = outer.get("Encrypt") or ""
        check_signature(param(query, "msg_signature"), self._token, timestamp, nonce, encrypt)
        fields, _ = parse_fields(self._envelope.open(encrypt))
        agent = fields.get("AgentID", "")
        if agent and agent != str(self.account.agent_id):
            raise InboundRejected("message for another agent", status=400)
        inbound = to_inbound(CHANNEL, self.account_name, fields, now)
        return Callback(inbound, fmt, fields.get("ToUserName", ""), nonce, encrypted=True)

    def render(self, callback: Callback, reply: Reply | None) -> tuple[str, str]:
        """An encrypted passive reply, or an empty 200 (WeCom's "received, nothing to say")."""
        if reply is None or callback.inbound is None:
            return "", "text/plain"
        now = int(self.clock.now().timestamp())
        xml = TextReply(
            source=callback.account_id,
            target=callback.inbound.sender_id,
            agent=str(self.account.agent_id),
            content=reply.text,
            time=now,
        ).render()
        return self._envelope.seal_xml(xml, callback.nonce, str(now)), "application/xml"

    def login_url(self, redirect_uri: str, state: str) -> str:
        """构造网页授权链接: WeCom sends the browser back to ``redirect_uri`` with a code and ``state``."""
        query = {
            "appid": self.account.corp_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
            "agentid": self.account.agent_id,
        }
        return f"{self.account.oauth_base_url}oauth2/authorize?{urlencode(query)}#wechat_redirect"

    def user_of(self, code: str) -> str:
        """获取访问用户身份: the member's userid; someone outside the corp gets only an openid."""
        client = self._client
        if client is None:
            raise WebLoginFailed("unavailable")
        try:
            answer = client.call(partial(_user_info, client, code))
        except SendError as exc:
            raise WebLoginFailed("unavailable") from exc
        user = answer.get("userid") if isinstance(answer, dict) else None
        if not user:
            raise WebLoginFailed("outsider")
        return str(user)

    async def aclose(self) -> None:
        """Nothing to close: wechatpy's blocking session goes with the process."""

    async def send(self, target: Target, reply: Reply) -> str:
        """An app message to a member, or to an app-created group chat when the target is a group."""
        return await asyncio.to_thread(self._send, target, reply)

    def _send(self, target: Target, reply: Reply) -> str:
        client = self._client
        if client is None:
            raise PermanentFailure(f"wecom.{self.account_name}: no token store to send with")
        msg_id = ""
        for part in split_message(reply.text, LIMITS.unit, LIMITS.max_length):
            result = client.call(partial(self._send_text, client, target, part))
            msg_id = str(result.get("msgid", "")) if isinstance(result, dict) else ""
        return msg_id

    def _send_text(self, client: WeComClient, target: Target, text: str) -> Any:
        if target.is_group:
            return client.appchat.send_text(target.chat_id, text)
        result = client.message.send_text(self.account.agent_id, target.chat_id, text)
        invalid = str(result.get("invaliduser", "")) if isinstance(result, dict) else ""
        if target.chat_id in invalid.split("|"):
            raise PermanentFailure(f"WeCom refused user {target.chat_id}: not in the app's visible scope")
        return result


def _user_info(client: WeComClient, code: str) -> Any:
    # Not wechatpy 1.8's client.oauth: it asks the older user/getuserinfo, and builds authorize URLs
    # without agentid on a fixed host.
    try:
        return client.get("auth/getuserinfo", params={"code": code})
    except WeChatClientException as exc:
        if exc.errcode == INVALID_CODE:
            raise WebLoginFailed("bad_code") from exc
        raise


SAMPLE = """\
# [wecom.default]             # 企业微信自建应用, callback URL /wecom/default
# corp_id = "ww..."
# agent_id = 1000002
# secret = "..."
# token = "..."
# encoding_aes_key = "..."
"""

PLATFORM = Platform(
    CHANNEL,
    "企业微信自建应用",
    WeComAccount,
    lambda name, account, shared: WeComChannel(name, account, clock=shared.clock, tokens=shared.tokens),
    # 30/min per member (excess silently dropped), 200/min per member from appchat.
    ChannelRates(
        account=Rate(50, 1.0, burst=10), chat=Rate(25, 60.0, burst=5), group=Rate(100, 60.0, burst=10)
    ),
    limits=LIMITS,
    callbacks="reply",
    sample=SAMPLE,
)
