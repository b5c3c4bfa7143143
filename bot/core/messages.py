"""Channel-neutral message types shared by every layer.

Handlers see only these; channel adapters translate them to and from the
platforms' wire formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SUBSCRIBE_COMMAND = "/subscribe"  # the text a channel hands the router when someone follows the account


@dataclass(frozen=True, slots=True)
class Inbound:
    """One text a person typed, as any platform delivered it."""

    channel: str  # a platform's section in bot/channels/registry.py, or "console"
    account: str  # the configured account name, e.g. "default"
    chat_id: str  # group id, or the sender's id in a one-to-one chat
    sender_id: str  # platform user id (openid, userid, telegram id)
    text: str
    received_at: datetime
    is_group: bool = False
    message_id: str = ""  # platform id used to drop retries; "" when none
    sender_name: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says back: plain text always, markdown where a channel can show it."""

    text: str
    markdown: str | None = None
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """Where an outbound message goes: one chat or one person on one account."""

    channel: str
    account: str
    chat_id: str
    is_group: bool = False
