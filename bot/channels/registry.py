"""Every platform kind zhibu speaks to, one line each: a new platform is its module plus a line here.

Each module ends with its ``PLATFORM`` entry (bot/channels/_platform.py): account table, how to
build a channel, how its callbacks come in, its rate limits, its sample settings. Settings, runtime,
app, sender and the robots CLI read ``PLATFORMS`` instead of naming platforms. The console channel
has no entry: it is wired by the terminal chat, configured by nobody and limited by nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.channels import dingtalk, dingtalk_app, feishu, feishu_app, robot, telegram, wechat, wecom
from bot.channels._callback import load_accounts
from bot.channels._platform import Platform
from bot.core.channel import ChannelRates

PLATFORMS: dict[str, Platform] = {
    p.section: p
    for p in (
        wechat.PLATFORM,  # 微信公众号
        wecom.PLATFORM,  # 企业微信自建应用
        telegram.PLATFORM,
        dingtalk_app.PLATFORM,  # 钉钉企业内部应用机器人
        feishu_app.PLATFORM,  # 飞书应用机器人
        robot.PLATFORM,  # 企业微信群机器人
        dingtalk.PLATFORM,  # 钉钉自定义机器人
        feishu.PLATFORM,  # 飞书自定义机器人
    )
}


def rates() -> dict[str, ChannelRates]:
    """Each platform's limits by channel name, for the sender's rate limiter."""
    return {section: platform.rates for section, platform in PLATFORMS.items()}


def robots() -> list[Platform]:
    return [platform for platform in PLATFORMS.values() if platform.robot]


def accounts(platform: Platform, tables: Mapping[str, Any]) -> dict[str, Any]:
    """The platform's ``[SECTION.NAME]`` tables validated; a bad one raises Misconfigured naming its key."""
    return load_accounts(platform.section, tables, platform.account)
