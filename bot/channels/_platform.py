"""What a platform kind tells the rest of zhibu about itself: its entry in bot/channels/registry.py.

Each platform module ends with one ``Platform``; settings, runtime, app and sender read these
entries and never name a platform themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from bot.core.channel import ChannelLimits, ChannelRates, OutboundChannel, TokenStore
from bot.core.clock import Clock
from bot.core.messages import Inbound

# How a platform's callbacks come in, which decides the gateway serving POST /SECTION/NAME:
# "reply": signed query string, the answer in the HTTP response (CallbackChannel in bot/app.py);
# "push": an empty 200 once stored, every answer through the outbox (PushChannel in bot/push_gateway.py);
# None: the platform never calls us (a group robot only posts).
CallbackStyle = Literal["reply", "push"] | None


class Channel(OutboundChannel, Protocol):
    """A configured account: it sends, and it has connections to close when zhibu stops."""

    async def aclose(self) -> None: ...


class Service(Protocol):
    """A background part of ``zhibu serve`` (a poller, a sender) tied to the app's lifespan."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


# (channel, account, old chat id, new chat id): a group got a new id, move its binding and queue
MoveChat = Callable[[str, str, str, str], Awaitable[None]]
Push = Callable[[Inbound, ChannelLimits], Awaitable[None]]  # answer a message through the outbox


@dataclass(frozen=True, slots=True)
class Shared:
    """What the runtime hands every platform's channels and services.

    A command-line tool that only posts through group robots (`zhibu robots test`) gives just a clock.
    """

    clock: Clock
    tokens: TokenStore | None = None
    push: Push | None = None
    move_chat: MoveChat | None = None
    public_url: str = ""

    def token_store(self) -> TokenStore:
        if self.tokens is None:
            raise RuntimeError("this process keeps no access tokens")
        return self.tokens


def no_services(channels: Mapping[str, Any], shared: Shared) -> list[Service]:
    return []


@dataclass(frozen=True, slots=True)
class Platform:
    """One platform kind.

    ``section`` is everything's name: the ``[SECTION.NAME]`` tables in zhibu.toml and the
    ``ZHIBU_SECTION__NAME__KEY`` variables, the channel on chat bindings and deliveries, and the
    callback URL ``/SECTION/NAME``.
    """

    section: str
    label: str  # shown by the CLI
    account: type[BaseModel]  # one ``[SECTION.NAME]`` table
    build: Callable[[str, Any, Shared], Channel]  # (account name, validated table, shared) → channel
    rates: ChannelRates  # what the sender keeps each account and chat under
    limits: ChannelLimits  # how its send measures, caps and cuts one message (the console previews it)
    callbacks: CallbackStyle = None
    sample: str = ""  # its commented table in the zhibu.toml that `zhibu init` writes
    services: Callable[[Mapping[str, Any], Shared], list[Service]] = no_services  # by account name

    @property
    def robot(self) -> bool:
        """An outbound-only group robot: `zhibu robots bind` ties it to an organization."""
        return self.callbacks is None
