"""The group robots zhibu can post through, one entry per platform: adding one is a module plus a line.

A group robot (企业微信群机器人, 钉钉自定义机器人, 飞书自定义机器人) is an outbound-only webhook into
the one group it was added to. Each kind has its ``[SECTION.NAME]`` tables in zhibu.toml, and the
section is also the channel name on its chat bindings and deliveries, so bot.ratelimit's table and
the sender find it by that name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from bot.channels._callback import load_accounts
from bot.channels.dingtalk import DingTalkRobotAccount, DingTalkRobotChannel
from bot.channels.feishu import FeishuRobotAccount, FeishuRobotChannel
from bot.channels.robot import RobotAccount, RobotChannel
from bot.core.channel import OutboundChannel
from bot.core.clock import Clock
from bot.core.errors import Misconfigured


class Robot(OutboundChannel, Protocol):
    """A robot channel: it sends, and it has a connection pool to close."""

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RobotKind:
    section: str  # the zhibu.toml table and the channel name
    label: str
    account: type[BaseModel]
    build: Callable[[str, Any, Clock], Robot]
    example: str  # the keys a table needs, for error messages


KINDS: dict[str, RobotKind] = {
    kind.section: kind
    for kind in (
        RobotKind(
            "robot",
            "企业微信群机器人",
            RobotAccount,
            lambda name, account, clock: RobotChannel(name, account),
            'webhook_key = "..."',
        ),
        RobotKind(
            "dingtalk_robot",
            "钉钉自定义机器人",
            DingTalkRobotAccount,
            DingTalkRobotChannel,
            'access_token = "..."  secret = "SEC..."',
        ),
        RobotKind(
            "feishu_robot",
            "飞书自定义机器人",
            FeishuRobotAccount,
            FeishuRobotChannel,
            'hook_id = "..."  secret = "..."',
        ),
    )
}


def robot_tables(settings: Any) -> dict[str, Mapping[str, Any]]:
    """The ``[SECTION.NAME]`` tables of every robot kind in the settings, by section."""
    return {section: getattr(settings, section) for section in KINDS}


def load_robots(settings: Any, clock: Clock) -> dict[tuple[str, str], Robot]:
    """Every configured robot as a channel, by (section, name); a bad table raises Misconfigured."""
    robots: dict[tuple[str, str], Robot] = {}
    for section, tables in robot_tables(settings).items():
        kind = KINDS[section]
        for name, account in load_accounts(section, tables, kind.account).items():
            robots[(section, name)] = kind.build(name, account, clock)
    return robots


def find_robot(settings: Any, spec: str, clock: Clock) -> tuple[str, str, Robot]:
    """``NAME`` or ``SECTION.NAME`` → (section, name, channel); a name in two sections must say which."""
    section, _, name = spec.rpartition(".")
    robots = load_robots(settings, clock)
    found = [(s, n, c) for (s, n), c in robots.items() if n == name and (not section or s == section)]
    if len(found) == 1:
        return found[0]
    if found:
        choices = "、".join(f"{s}.{n}" for s, n, _ in found)
        raise Misconfigured(spec, f"several robots have this name, say which: {choices}")
    known = "、".join(f"{s}.{n}" for s, n in robots) or "none"
    raise Misconfigured(spec, f"no robot table of that name in zhibu.toml (configured: {known})")
