"""Every platform kind zhibu speaks to, one line each: a new platform is its module plus a line here,
its section (the name of its ``[SECTION.NAME]`` tables) and the module that holds its entry.

Each module ends with its ``PLATFORM`` entry (bot/channels/_platform.py): account table, how to
build a channel, how its callbacks come in, its rate limits, its sample settings. Settings, runtime,
app, sender and the robots CLI read ``PLATFORMS`` instead of naming platforms. The console channel
has no entry: it is wired by the terminal chat, configured by nobody and limited by nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from bot.channels._platform import Platform
from bot.core.channel import ChannelRates


class _Registry(MutableMapping[str, Platform]):
    """Section → platform, each platform's module imported the first time its entry is read.

    The section names alone are enough for settings, so a short command (`zhibu ask`) does not
    import every platform's SDK and HTTP client to read its configuration.
    """

    def __init__(self, modules: Mapping[str, str]) -> None:
        self._entries: dict[str, str | Platform] = dict(modules)  # a module's name until first read

    def __getitem__(self, section: str) -> Platform:
        entry = self._entries[section]
        if isinstance(entry, str):
            module, entry = entry, importlib.import_module(entry).PLATFORM
            if entry.section != section:
                raise RuntimeError(f"{module} declares section {entry.section!r}, listed as {section!r}")
            self._entries[section] = entry
        return entry

    def __setitem__(self, section: str, platform: Platform) -> None:
        self._entries[section] = platform

    def __delitem__(self, section: str) -> None:
        del self._entries[section]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


PLATFORMS: MutableMapping[str, Platform] = _Registry(
    {
        "wechat": "bot.channels.wechat",  # 微信公众号
        "wecom": "bot.channels.wecom",  # 企业微信自建应用
        "telegram": "bot.channels.telegram",
        "dingtalk": "bot.channels.dingtalk_app",  # 钉钉企业内部应用机器人
        "feishu": "bot.channels.feishu_app",  # 飞书应用机器人
        "robot": "bot.channels.robot",  # 企业微信群机器人
        "dingtalk_robot": "bot.channels.dingtalk",  # 钉钉自定义机器人
        "feishu_robot": "bot.channels.feishu",  # 飞书自定义机器人
    }
)


def rates() -> dict[str, ChannelRates]:
    """Each platform's limits by channel name, for the sender's rate limiter."""
    return {section: platform.rates for section, platform in PLATFORMS.items()}


def robots() -> list[Platform]:
    return [platform for platform in PLATFORMS.values() if platform.robot]


def accounts(platform: Platform, tables: Mapping[str, Any]) -> dict[str, Any]:
    """The platform's ``[SECTION.NAME]`` tables validated; a bad one raises Misconfigured naming its key."""
    from bot.channels._callback import load_accounts  # brings wechatpy: only when accounts are read

    return load_accounts(platform.section, tables, platform.account)
