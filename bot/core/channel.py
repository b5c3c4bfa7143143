"""The structural boundary every outbound channel satisfies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from bot.core.messages import Reply, Target


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """How a platform measures and caps one message."""

    unit: Literal["utf8", "chars"]
    max_length: int
    markdown: bool = False


class OutboundChannel(Protocol):
    """Something that can deliver a reply to a target; raises bot.core.errors on failure."""

    name: str
    limits: ChannelLimits

    async def send(self, target: Target, reply: Reply) -> str:
        """Deliver and return the platform's message id ("" when it gives none)."""
        ...
