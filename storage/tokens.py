"""Platform access tokens in the database, shared by every process (bot.core.channel.TokenStore).

公众号 invalidates the previous token a few minutes after each refresh, so
processes that refresh on their own knock each other's tokens out (docs/platforms.md
§7). Here one row per app holds the token and its expiry; a refresh takes a
lock held across processes (PostgreSQL: a transaction-scoped advisory lock;
SQLite: the database's single write lock, taken by the first statement), then
looks again: if another process refreshed meanwhile, its token is used and the
platform is not called. Tokens count as expired ``margin`` seconds early.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Connection, Engine, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from bot.core.clock import Clock
from storage.models import AccessToken

DEFAULT_MARGIN = 300.0  # refresh five minutes before the platform's expiry


class DatabaseTokenStore:
    def __init__(self, engine: Engine, clock: Clock, *, margin: float = DEFAULT_MARGIN) -> None:
        self.engine = engine
        self.clock = clock
        self.margin = timedelta(seconds=margin)

    def get(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return self._valid(conn, name)

    def refresh(self, name: str, fetch: Callable[[], tuple[str, int]], *, stale: str | None = None) -> str:
        """Fetch and store a new token unless another process already stored a fresh one (not ``stale``)."""
        with self.engine.begin() as conn:
            self._lock(conn, name)
            current = self._valid(conn, name)
            if current and current != stale:
                return current
            token, lifetime = fetch()
            self._store(conn, name, token, lifetime)
            return token

    def _valid(self, conn: Connection, name: str) -> str | None:
        row = conn.execute(
            select(AccessToken.token, AccessToken.expires_at).where(AccessToken.name == name)
        ).first()
        if row is None or self.clock.now() >= row.expires_at - self.margin:
            return None
        return str(row.token)

    def _lock(self, conn: Connection, name: str) -> None:
        """Serialise refreshes of ``name`` until this transaction ends."""
        if conn.dialect.name == "postgresql":
            key = zlib.crc32(f"zhibu-token:{name}".encode())
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        else:  # SQLite: a write, even of no row, takes the database's write lock until commit
            conn.execute(
                update(AccessToken).where(col(AccessToken.name) == name).values(name=AccessToken.name)
            )

    def _store(self, conn: Connection, name: str, token: str, lifetime: int) -> None:
        expires_at = self.clock.now() + timedelta(seconds=lifetime)
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(AccessToken).values(name=name, token=token, expires_at=expires_at)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["name"], set_={"token": token, "expires_at": stmt.excluded.expires_at}
            )
        )
