"""The structural boundary every outbound channel satisfies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from bot.core.messages import Reply, Target


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """How a platform measures and caps one message."""

    unit: Literal["utf8", "chars", "utf16"]  # utf16: Telegram counts UTF-16 code units
    max_length: int
    markdown: bool = False
    markdown_length: int | None = None  # markdown's own cap, where it differs from the text's

    @property
    def markdown_max(self) -> int:
        return self.markdown_length or self.max_length


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` messages per ``per`` seconds, at most ``burst`` at once (default: all of ``count``)."""

    count: int
    per: float
    burst: int | None = None

    @property
    def capacity(self) -> float:
        return float(self.burst if self.burst is not None else self.count)

    @property
    def per_second(self) -> float:
        return self.count / self.per


@dataclass(frozen=True, slots=True)
class ChannelRates:
    """The limits of one platform: per account (bot, robot, app), per one-to-one chat, per group chat.

    Set a little under the published figures (docs/platforms.md §0 #4), because a bucket that starts
    full allows its burst plus a minute's refill in the first minute.
    """

    account: Rate | None = None
    chat: Rate | None = None
    group: Rate | None = None


class OutboundChannel(Protocol):
    """Something that can deliver a reply to a target; raises bot.core.errors on failure."""

    name: str
    limits: ChannelLimits

    async def send(self, target: Target, reply: Reply) -> str:
        """Deliver and return the platform's message id ("" when it gives none)."""
        ...


class TokenStore(Protocol):
    """A shared cache of platform access tokens (one per app), so processes do not invalidate each other's.

    ``refresh`` runs ``fetch`` under a lock held across processes, unless another
    holder refreshed meanwhile (then the fresh stored token is returned).
    """

    def get(self, name: str) -> str | None:
        """The cached token if it has not expired, else None."""
        ...

    def refresh(self, name: str, fetch: Callable[[], tuple[str, int]], *, stale: str | None = None) -> str:
        """Fetch a new token (``fetch`` returns token and lifetime in seconds) and store it.

        ``stale`` is the token the platform just rejected: if the store already holds
        a different, unexpired one, that is returned without fetching.
        """
        ...


@runtime_checkable
class WebLogin(Protocol):
    """A channel whose app can tell the web console who is looking (网页授权, OAuth): no link needed.

    The browser goes to ``login_url``; the platform sends it back to ``redirect_uri`` with ``state`` and a
    one-time code, which ``user_of`` turns into the user's id on the platform (as chat bindings store it).
    """

    login_label: str  # the app people know, for the login button: 用{login_label}登录

    def login_url(self, redirect_uri: str, state: str) -> str: ...

    def user_of(self, code: str) -> str:
        """The user id behind a code; blocking. Raises WebLoginFailed saying why there is none."""
        ...
