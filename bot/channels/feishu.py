"""飞书 (Feishu / Lark) custom group robot (自定义机器人): an outbound-only, signed webhook.

A custom robot lives in one group, so the account name is the robot and a target's chat id is
ignored. With 签名校验 on, each body carries ``timestamp`` (seconds) and
``sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))`` — the string to sign is the
key and the message is empty, unlike DingTalk (docs/platforms.md §6). A body may be 20 KB; a robot
takes 100 messages a minute and 5 a second (bot.ratelimit keeps under both; 11232 waits a minute).
Markdown replies go out as rich text (``post``): a title and one paragraph per line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from bot.channels._platform import Platform
from bot.channels._split import split_message
from bot.channels._webhook import WebhookRobot, post_json
from bot.core.channel import ChannelLimits, ChannelRates, Rate
from bot.core.errors import PermanentFailure, RetryLater, SendError
from bot.core.messages import Reply, Target

CHANNEL = "feishu_robot"
CONTENT_LIMIT = 18_000  # bytes of text in a 20 KB body, leaving room for the JSON around it
LIMITS = ChannelLimits(unit="utf8", max_length=CONTENT_LIMIT, markdown=True)
RATE_LIMITED_WAIT = 60.0

RETRY_CODES = frozenset({11232})
CONFIG_CODES = {
    19021: "the signature or timestamp was refused: check feishu_robot.{name}.secret and this server's clock",
    19022: "the robot only accepts some IP addresses: add this server's",
    19024: "the robot only accepts messages with its keyword: set it off or add the keyword",
}


class FeishuRobotAccount(BaseModel):
    """One ``[feishu_robot.NAME]`` table: the hook id (the last part of the webhook URL) and its secret."""

    model_config = ConfigDict(extra="forbid")

    hook_id: SecretStr = Field(min_length=8)
    secret: SecretStr | None = None  # 签名校验 is optional on the platform, but strongly advised
    base_url: str = Field(default="https://open.feishu.cn", pattern=r"^https?://")
    timeout: float = Field(default=10.0, gt=0)


def feishu_sign(secret: str, timestamp: int) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


_HEADING = re.compile(r"^#{1,6}\s+")


def rich_text(markdown: str, mentions: tuple[str, ...] = ()) -> dict[str, Any]:
    """Our small markdown as a ``post``: the first heading is the title, each line a paragraph."""
    lines = [line.replace("**", "") for line in markdown.splitlines()]
    title = ""
    if lines and _HEADING.match(lines[0]):
        title, lines = _HEADING.sub("", lines[0]).strip(), lines[1:]
    while lines and not lines[0].strip():
        lines = lines[1:]
    paragraphs = [[{"tag": "text", "text": _HEADING.sub("", line)}] for line in lines]
    if mentions:
        paragraphs.insert(0, [{"tag": "at", "user_id": user} for user in mentions])
    return {"post": {"zh_cn": {"title": title, "content": paragraphs}}}


class FeishuRobotChannel(WebhookRobot[FeishuRobotAccount]):
    """Posts to one Feishu custom robot's webhook."""

    name = CHANNEL
    limits = LIMITS

    async def send(self, target: Target, reply: Reply) -> str:
        """Post the reply (rich text when it has markdown), cut to size; the robot returns no message id."""
        if reply.markdown:
            for n, part in enumerate(split_message(reply.markdown, "utf8", CONTENT_LIMIT, markup="markdown")):
                content = rich_text(part, reply.mentions if n == 0 else ())
                await self._post({"msg_type": "post", "content": content})
            return ""
        for n, part in enumerate(split_message(reply.text, "utf8", CONTENT_LIMIT)):
            if reply.mentions and n == 0:  # one notification per message, not one per part
                part = "".join(f'<at user_id="{user}"></at>' for user in reply.mentions) + " " + part
            await self._post({"msg_type": "text", "content": {"text": part}})
        return ""

    async def _post(self, payload: dict[str, Any]) -> None:
        body = dict(payload)
        if self.account.secret is not None:
            stamp = int(self.clock.now().timestamp())
            body.update(timestamp=str(stamp), sign=feishu_sign(self.account.secret.get_secret_value(), stamp))
        hook = self.account.hook_id.get_secret_value()
        url = f"{self.account.base_url.rstrip('/')}/open-apis/bot/v2/hook/{hook}"
        result = await post_json(self._http.get(), url, body, who=f"feishu_robot {self.account_name}")
        code = int(result.get("code", result.get("StatusCode", -1)))
        if code != 0:
            raise self._error(code, str(result.get("msg", result.get("StatusMessage", "")))[:120])

    def _error(self, code: int, message: str) -> SendError:
        """Map a code (docs/platforms.md §8) to retry or give up."""
        if code in RETRY_CODES:
            return RetryLater(f"feishu_robot code {code}: {message}", retry_after=RATE_LIMITED_WAIT)
        hint = CONFIG_CODES.get(code, "").format(name=self.account_name)
        return PermanentFailure(f"feishu_robot code {code}: {hint or message}")


SAMPLE = """\
# [feishu_robot.branch3]      # 飞书自定义机器人 with 签名校验 (posts only)
# hook_id = "..."             # the last part of the webhook URL (…/bot/v2/hook/HOOK_ID)
# secret = "..."              # the 签名校验 secret
"""

PLATFORM = Platform(
    CHANNEL,
    "飞书自定义机器人",
    FeishuRobotAccount,
    lambda name, account, shared: FeishuRobotChannel(name, account, shared.clock),
    # 100/min and 5/s per robot: a burst of 3 plus 1.5/s stays under both in any window.
    ChannelRates(account=Rate(90, 60.0, burst=3)),
    limits=LIMITS,
    sample=SAMPLE,
)
