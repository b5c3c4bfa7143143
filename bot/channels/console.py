"""The console channel: a terminal chat for `zhibu chat` and `zhibu demo`, and the in-process test channel."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from itertools import count

from bot.core.channel import ChannelLimits
from bot.core.messages import Inbound, Reply, Target

CHANNEL = "console"
ACCOUNT = "local"
LIMITS = ChannelLimits(unit="chars", max_length=100_000, markdown=False)


@dataclass(frozen=True, slots=True)
class Sent:
    """One message the sender handed to the console; ``platform_id`` is what the outbox row records."""

    target: Target
    reply: Reply
    platform_id: str


class ConsoleChannel:
    """Turns typed lines into ``Inbound`` messages from one identity, and collects what is sent to it.

    ``chat_id`` and ``is_group`` say where the identity is typing: its private chat with the bot,
    or a group chat it has entered.
    """

    name = CHANNEL
    limits = LIMITS

    def __init__(self, sender_id: str, *, chat_id: str | None = None, is_group: bool = False) -> None:
        self.sender_id = sender_id
        self.chat_id = chat_id or sender_id
        self.is_group = is_group
        self.outbox: list[Sent] = []
        self._taken = 0
        self._ids = count(1)

    def inbound(self, text: str, now: datetime) -> Inbound:
        return Inbound(
            channel=CHANNEL,
            account=ACCOUNT,
            chat_id=self.chat_id,
            sender_id=self.sender_id,
            text=text,
            received_at=now,
            is_group=self.is_group,
            message_id=f"{self.sender_id}:{next(self._ids)}",
        )

    async def send(self, target: Target, reply: Reply) -> str:
        # unique in the database, so a message shown later can be matched to its outbox row
        sent = Sent(target, reply, uuid.uuid4().hex)
        self.outbox.append(sent)
        return sent.platform_id

    def take(self) -> list[Sent]:
        """What arrived since the last call, oldest first."""
        new, self._taken = self.outbox[self._taken :], len(self.outbox)
        return new
