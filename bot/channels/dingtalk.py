"""钉钉 (DingTalk) custom group robot (自定义机器人): an outbound-only, signed webhook.

Many 机关 run their branch groups on DingTalk (浙政钉 is built on it). A custom robot posts into
the one group it was added to, so the account name is the robot and a target's chat id is
ignored. Security is 加签 (docs/platforms.md §5): ``timestamp`` in milliseconds and
``sign = base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))`` in the query string;
the platform refuses a timestamp more than an hour off. The robot takes 20 messages a minute and
blocks itself for 10 minutes past that, so bot.ratelimit keeps under it and 130101 waits 10 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.channels._platform import Platform
from bot.channels._split import split_message
from bot.channels._webhook import WebhookRobot, post_json
from bot.core.channel import ChannelLimits, ChannelRates, Rate
from bot.core.errors import PermanentFailure, RetryLater, SendError
from bot.core.messages import Reply, Target

CHANNEL = "dingtalk_robot"
# A request body may be 20,000 bytes; the rest of the JSON needs far less than the margin left here.
CONTENT_LIMIT = 18_000
LIMITS = ChannelLimits(unit="utf8", max_length=CONTENT_LIMIT, markdown=True)
TITLE_CHARS = 20  # the markdown title is what the notification shows
BLOCKED_WAIT = 600.0  # 130101: past 20 a minute the robot is blocked for 10 minutes

RETRY_CODES = frozenset({-1, 130101})
CONFIG_CODES = {
    310000: "the platform refused the robot's security check: check dingtalk_robot.{name}.secret "
    "(加签) and the robot's keyword and IP settings",
    300001: "the access token is not valid: check dingtalk_robot.{name}.access_token",
}


class DingTalkRobotAccount(BaseModel):
    """One ``[dingtalk_robot.NAME]`` table: the webhook's access_token and the 加签 secret (SEC…)."""

    model_config = ConfigDict(extra="forbid")

    access_token: SecretStr = Field(min_length=8)
    secret: SecretStr = Field(min_length=8)
    base_url: str = Field(default="https://oapi.dingtalk.com", pattern=r"^https?://")
    timeout: float = Field(default=10.0, gt=0)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The 加签 value for ``timestamp_ms`` (before URL encoding, which httpx does)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _title(markdown: str) -> str:
    first = next((line for line in markdown.splitlines() if line.strip()), "")
    return first.strip("#*【】 ")[:TITLE_CHARS] or "支部助手"


class DingTalkRobotChannel(WebhookRobot[DingTalkRobotAccount]):
    """Posts to one DingTalk custom robot's webhook."""

    name = CHANNEL
    limits = LIMITS

    async def send(self, target: Target, reply: Reply) -> str:
        """Post the reply (markdown when it has one), cut to size; the robot returns no message id."""
        if reply.markdown:
            for part in split_message(reply.markdown, "utf8", CONTENT_LIMIT, markup="markdown"):
                await self._post({"msgtype": "markdown", "markdown": {"title": _title(part), "text": part}})
            return ""
        for n, part in enumerate(split_message(reply.text, "utf8", CONTENT_LIMIT)):
            payload: dict[str, Any] = {"msgtype": "text", "text": {"content": part}}
            if reply.mentions and n == 0:  # one notification per message, not one per part
                payload["at"] = {"atUserIds": list(reply.mentions), "isAtAll": False}
            await self._post(payload)
        return ""

    async def _post(self, payload: dict[str, Any]) -> None:
        stamp = int(self.clock.now().timestamp() * 1000)
        params = {
            "access_token": self.account.access_token.get_secret_value(),
            "timestamp": str(stamp),
            "sign": dingtalk_sign(self.account.secret.get_secret_value(), stamp),
        }
        url = f"{self.account.base_url.rstrip('/')}/robot/send"
        who = f"dingtalk_robot {self.account_name}"
        result = await post_json(self._http.get(), url, payload, who=who, params=params)
        if result.get("errcode", -1) != 0:
            raise self._error(int(result.get("errcode", -1)), str(result.get("errmsg", ""))[:120])

    def _error(self, code: int, message: str) -> SendError:
        """Map an errcode (docs/platforms.md §8) to retry or give up; the token never enters the message."""
        message = message.split("access_token=")[0]
        if code in RETRY_CODES:
            wait = BLOCKED_WAIT if code == 130101 else None
            return RetryLater(f"dingtalk_robot errcode {code}: {message}", retry_after=wait)
        hint = CONFIG_CODES.get(code, "").format(name=self.account_name)
        return PermanentFailure(f"dingtalk_robot errcode {code}: {hint or message}")


SAMPLE = """\
# [dingtalk_robot.branch2]    # 钉钉自定义机器人 with 加签 (posts only)
# access_token = "..."        # the access_token= part of the robot's webhook URL
# secret = "SEC..."           # the 加签 secret
"""

PLATFORM = Platform(
    CHANNEL,
    "钉钉自定义机器人",
    DingTalkRobotAccount,
    lambda name, account, shared: DingTalkRobotChannel(name, account, shared.clock),
    # 20/min like WeCom's robots, and a robot that goes past it is blocked for 10 minutes.
    ChannelRates(account=Rate(18, 60.0, burst=2)),
    limits=LIMITS,
    sample=SAMPLE,
)
