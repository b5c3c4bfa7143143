"""A TokenStore for one process, for tests that do not need the database-backed one (storage/tokens.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.core.clock import Clock


class MemoryTokenStore:
    """A TokenStore for one process (and tests); several processes need the database-backed store."""

    def __init__(self, clock: Clock, margin: float = 300.0) -> None:
        self.clock = clock
        self.margin = margin
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        token, expires = self._tokens.get(name, ("", 0.0))
        return token if token and self.clock.now().timestamp() < expires - self.margin else None

    def refresh(self, name: str, fetch: Callable[[], tuple[str, int]], *, stale: str | None = None) -> str:
        with self._lock:
            current = self.get(name)
            if current and current != stale:
                return current
            token, lifetime = fetch()
            self._tokens[name] = (token, self.clock.now().timestamp() + lifetime)
            return token
