"""The group robots zhibu can post through: the registry's outbound-only platforms, by section and name.

A group robot (企业微信群机器人, 钉钉自定义机器人, 飞书自定义机器人) is an outbound-only webhook into
the one group it was added to. Its section is also the channel name on its chat bindings and
deliveries, so the rate limits and the sender find it by that name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.channels import registry
from bot.channels._platform import Channel, Shared
from bot.core.clock import Clock
from bot.core.errors import Misconfigured


def robot_tables(channels: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The ``[SECTION.NAME]`` tables of every robot platform in the settings' channels, by section."""
    return {platform.section: channels.get(platform.section, {}) for platform in registry.robots()}


def load_robots(channels: Mapping[str, Mapping[str, Any]], clock: Clock) -> dict[tuple[str, str], Channel]:
    """Every configured robot as a channel, by (section, name); a bad table raises Misconfigured."""
    robots: dict[tuple[str, str], Channel] = {}
    for section, tables in robot_tables(channels).items():
        platform = registry.PLATFORMS[section]
        for name, account in registry.accounts(platform, tables).items():
            robots[(section, name)] = platform.build(name, account, Shared(clock))
    return robots


def find_robot(
    channels: Mapping[str, Mapping[str, Any]], spec: str, clock: Clock
) -> tuple[str, str, Channel]:
    """``NAME`` or ``SECTION.NAME`` → (section, name, channel); a name in two sections must say which."""
    section, _, name = spec.rpartition(".")
    robots = load_robots(channels, clock)
    found = [(s, n, c) for (s, n), c in robots.items() if n == name and (not section or s == section)]
    if len(found) == 1:
        return found[0]
    if found:
        choices = "、".join(f"{s}.{n}" for s, n, _ in found)
        raise Misconfigured(spec, f"several robots have this name, say which: {choices}")
    known = "、".join(f"{s}.{n}" for s, n in robots) or "none"
    raise Misconfigured(spec, f"no robot table of that name in zhibu.toml (configured: {known})")
