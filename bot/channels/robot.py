"""WeCom group robot (群机器人, now 消息推送): outbound-only webhooks, text and markdown, over httpx.

The webhook key is the whole credential (no token, no signature), so it never
appears in logs or errors. A robot posts into the one group it was added to:
the account name is the robot, and a target's chat id is ignored (by convention
it is the robot's name too). Sizes are UTF-8 bytes: text 2048, markdown 4096;
the limit is 20 messages a minute per robot (bot.ratelimit keeps under it).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.channels._platform import Platform
from bot.channels._split import split_message
from bot.channels._webhook import WebhookRobot, post_json
from bot.core.channel import ChannelLimits, ChannelRates, Rate
from bot.core.errors import PermanentFailure, RetryLater, SendError
from bot.core.messages import Reply, Target

CHANNEL = "robot"
TEXT_LIMIT = 2048
MARKDOWN_LIMIT = 4096
# The sender cuts to the smaller limit, so a part fits whichever form the reply takes.
LIMITS = ChannelLimits(unit="utf8", max_length=TEXT_LIMIT, markdown=True, markdown_length=MARKDOWN_LIMIT)
RATE_LIMITED_WAIT = 60.0  # 45009: the robot's minute is used up

RETRY_CODES = frozenset({-1, 45009})
CONFIG_CODES = {93000: "the webhook key is not valid: check robot.{name}.webhook_key"}


class RobotAccount(BaseModel):
    """One ``[robot.NAME]`` table (validated with bot.channels._callback.load_accounts)."""

    model_config = ConfigDict(extra="forbid")

    webhook_key: SecretStr = Field(min_length=8)
    base_url: str = Field(default="https://qyapi.weixin.qq.com", pattern=r"^https?://")
    timeout: float = Field(default=10.0, gt=0)


class RobotChannel(WebhookRobot[RobotAccount]):
    """Posts to one group robot's webhook."""

    name = CHANNEL
    limits = LIMITS

    async def send(self, target: Target, reply: Reply) -> str:
        """Post the reply (markdown when it has one), cut to size; robots return no message id."""
        if reply.markdown:
            for part in split_message(reply.markdown, "utf8", MARKDOWN_LIMIT, markup="markdown"):
                await self._post({"msgtype": "markdown", "markdown": {"content": part}})
            return ""
        for n, part in enumerate(split_message(reply.text, "utf8", TEXT_LIMIT)):
            body: dict[str, Any] = {"content": part}
            if reply.mentions and n == 0:  # one notification per message, not one per part
                body["mentioned_list"] = list(reply.mentions)
            await self._post({"msgtype": "text", "text": body})
        return ""

    async def _post(self, payload: dict[str, Any]) -> None:
        url = f"{self.account.base_url.rstrip('/')}/cgi-bin/webhook/send"
        params = {"key": self.account.webhook_key.get_secret_value()}
        who = f"robot {self.account_name}"
        result = await post_json(self._http.get(), url, payload, who=who, params=params)
        if result.get("errcode", -1) != 0:
            raise self._error(int(result.get("errcode", -1)), str(result.get("errmsg", ""))[:120])

    def _error(self, code: int, message: str) -> SendError:
        """Map a robot errcode (docs/platforms.md §8) to retry or give up; the message never shows the key."""
        message = message.split("key=")[0]
        if code in RETRY_CODES:
            return RetryLater(
                f"robot errcode {code}: {message}", retry_after=RATE_LIMITED_WAIT if code == 45009 else None
            )
        hint = CONFIG_CODES.get(code, "").format(name=self.account_name)
        return PermanentFailure(f"robot errcode {code}: {hint or message}")


SAMPLE = """\
# [robot.branch1]             # 企业微信群机器人 (posts only; then: zhibu robots bind branch1 第一党支部)
# webhook_key = "..."         # the key= part of the robot's webhook URL
"""

PLATFORM = Platform(
    CHANNEL,
    "企业微信群机器人",
    RobotAccount,
    lambda name, account, shared: RobotChannel(name, account),
    # 20/min per robot: a burst of 2 plus 18/min keeps any 60 s window at 20.
    ChannelRates(account=Rate(18, 60.0, burst=2)),
    limits=LIMITS,
    sample=SAMPLE,
)
