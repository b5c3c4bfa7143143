"""The shared token cache: one refresh at a time across threads/processes, and the stale rule."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine

from storage.db import make_engine
from storage.tokens import DatabaseTokenStore
from tests.fakes.clock import FakeClock


class TokenServer:
    """Stands in for /cgi-bin/token: every call mints a new token."""

    def __init__(self, lifetime: int = 7200, pause: float = 0.0) -> None:
        self.lifetime, self.pause, self.calls = lifetime, pause, 0
        self._lock = threading.Lock()

    def fetch(self) -> tuple[str, int]:
        with self._lock:
            self.calls += 1
            token = f"token-{self.calls}"
        time.sleep(self.pause)  # a slow platform widens the race the lock must close
        return token, self.lifetime


def test_a_token_is_reused_until_the_safety_margin_before_expiry(engine: Engine, clock: FakeClock) -> None:
    store, server = DatabaseTokenStore(engine, clock, margin=300), TokenServer()
    assert store.get("wechat:wx1") is None
    assert store.refresh("wechat:wx1", server.fetch) == "token-1"
    clock.advance(timedelta(seconds=7200 - 301))
    assert store.get("wechat:wx1") == "token-1"
    clock.advance(timedelta(seconds=2))
    assert store.get("wechat:wx1") is None
    assert store.refresh("wechat:wx1", server.fetch) == "token-2"


def test_processes_share_the_token_and_refresh_once(db_url: str, clock: FakeClock) -> None:
    """Eight workers with their own engines (like separate processes) find the token expired at once."""
    server = TokenServer(pause=0.05)
    engines = [make_engine(db_url) for _ in range(8)]
    stores = [DatabaseTokenStore(e, clock) for e in engines]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            tokens = list(
                pool.map(lambda s: s.get("wecom:c:1") or s.refresh("wecom:c:1", server.fetch), stores)
            )
    finally:
        for e in engines:
            e.dispose()
    assert server.calls == 1 and set(tokens) == {"token-1"}


def test_a_rejected_token_is_replaced_once_and_others_reuse_the_replacement(
    engine: Engine, clock: FakeClock
) -> None:
    server = TokenServer()
    first, second = DatabaseTokenStore(engine, clock), DatabaseTokenStore(engine, clock)
    old = first.refresh("wechat:wx1", server.fetch)
    # both saw 40001 with the old token; only the first to get the lock refreshes
    assert first.refresh("wechat:wx1", server.fetch, stale=old) == "token-2"
    assert second.refresh("wechat:wx1", server.fetch, stale=old) == "token-2"
    assert server.calls == 2
    assert second.get("wechat:wx1") == "token-2"


def test_names_are_separate(engine: Engine, clock: FakeClock) -> None:
    store, server = DatabaseTokenStore(engine, clock), TokenServer()
    assert store.refresh("a", server.fetch) != store.refresh("b", server.fetch)
    assert store.get("a") == "token-1" and store.get("b") == "token-2"
