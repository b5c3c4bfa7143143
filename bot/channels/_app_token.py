"""An app's access token for the httpx-based app bots (钉钉, 飞书), kept in the shared TokenStore.

The store serialises refreshes across processes (storage/tokens.py), so processes share one token
instead of invalidating each other's; its calls are blocking, so they run in a thread here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from bot import metrics
from bot.channels._http import LoopClient
from bot.core.channel import TokenStore
from bot.core.clock import Clock

Fetch = Callable[[], tuple[str, int]]  # a new token and its lifetime in seconds


class AppToken:
    def __init__(self, name: str, tokens: TokenStore, fetch: Fetch) -> None:
        self.name = name  # "feishu:default": the platform before the colon labels the metric
        self.tokens = tokens
        self._fetch = fetch

    async def get(self) -> str:
        cached = await asyncio.to_thread(self.tokens.get, self.name)
        if cached:
            return cached
        return await asyncio.to_thread(self.tokens.refresh, self.name, self._counted)

    async def renew(self, stale: str) -> str:
        """The platform refused ``stale``: a fresh token, fetched once across processes."""
        return await asyncio.to_thread(self.tokens.refresh, self.name, self._counted, stale=stale)

    def _counted(self) -> tuple[str, int]:
        return counted_fetch(self.name, self._fetch)


def counted_fetch(name: str, fetch: Fetch) -> tuple[str, int]:
    """Fetch a token, counting the refresh (ok or failed) under the platform's name in /metrics."""
    channel = name.split(":")[0]
    try:
        token = fetch()
    except Exception:
        metrics.TOKEN_REFRESHES.labels(channel, "failed").inc()
        raise
    metrics.TOKEN_REFRESHES.labels(channel, "ok").inc()
    return token


class AppBot:
    """What the app-bot channels share: a named account, the clock, a connection pool and the app's token."""

    name: str

    def __init__(self, account_name: str, account: Any, *, clock: Clock, tokens: TokenStore) -> None:
        self.account_name = account_name
        self.account = account
        self.clock = clock
        self._http = LoopClient(account.timeout)
        self._token = AppToken(f"{self.name}:{account_name}", tokens, self._fetch_token)

    def admit(self, headers: Mapping[str, str]) -> None:
        """What the headers alone show, checked before the body is read (nothing, unless overridden)."""

    def _fetch_token(self) -> tuple[str, int]:
        raise NotImplementedError

    async def aclose(self) -> None:
        await self._http.aclose()
