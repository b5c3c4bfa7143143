"""What /healthz reports: the database answers, its schema is current, the outbox is moving, who leads.

Load balancers poll it every few seconds, so a probe is three indexed queries on one
connection, and requests that arrive while one runs share its answer rather than
queueing threads behind a database that does not answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.clock import Clock
from schedules.leader import lock_held
from storage import outbox
from storage.db import pending_on

logger = logging.getLogger(__name__)

# Whether this process runs the scheduler now; None when it has none ([schedules] enabled = false).
Leading = Callable[[], bool | None]


@dataclass(frozen=True, slots=True)
class Health:
    """One probe's findings; ``None`` where the database could not be asked."""

    database_error: str
    pending_migrations: int | None
    role: str  # "leader", "follower" or "no leader"
    due: int | None
    oldest_due_seconds: float | None
    max_backlog_seconds: float

    @property
    def failing(self) -> list[str]:
        parts = [("database", bool(self.database_error)), ("migrations", bool(self.pending_migrations))]
        stale = self.oldest_due_seconds is not None and self.oldest_due_seconds > self.max_backlog_seconds
        return [name for name, bad in [*parts, ("outbox", stale)] if bad]

    def as_json(self) -> dict[str, Any]:
        failing = self.failing
        known = not self.database_error
        return {
            "ok": not failing,
            "failing": failing,
            "database": {"ok": known, **({"error": self.database_error} if self.database_error else {})},
            "migrations": {
                "ok": "migrations" not in failing if known else None,
                "pending": self.pending_migrations,
            },
            "scheduler": {"role": self.role},
            "outbox": {
                "ok": "outbox" not in failing if known else None,
                "due": self.due,
                "oldest_due_seconds": self.oldest_due_seconds,
                "max_seconds": self.max_backlog_seconds,
            },
        }


class HealthCheck:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        leading: Leading,
        max_backlog: timedelta = timedelta(minutes=15),
        timeout: float = 3.0,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.leading = leading
        self.max_backlog = max_backlog
        self.timeout = timeout
        self._running: asyncio.Future[Health] | None = None

    async def snapshot(self) -> Health:
        """The current findings; a database that does not answer within ``timeout`` counts as down."""
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(asyncio.to_thread(self.probe))
        try:
            return await asyncio.wait_for(asyncio.shield(self._running), self.timeout)
        except TimeoutError:
            logger.warning("health: the database did not answer within %.0f s", self.timeout)
            return self._down("no answer", self.leading())

    def probe(self) -> Health:
        now, leading = self.clock.now(), self.leading()
        try:
            with Session(self.engine) as session:
                conn = session.connection()
                pending = len(pending_on(conn))
                due, oldest = outbox.backlog(session, now=now)
                elsewhere = not leading and lock_held(conn)
        except Exception as exc:  # driver errors, a vanished file: the class name only, messages carry URLs
            logger.warning("health: database unavailable (%s)", type(exc).__name__)
            return self._down(type(exc).__name__, leading)
        return Health(
            database_error="",
            pending_migrations=pending,
            role=_role(leading, elsewhere),
            due=due,
            oldest_due_seconds=round((now - oldest).total_seconds(), 1) if oldest is not None else 0.0,
            max_backlog_seconds=self.max_backlog.total_seconds(),
        )

    def _down(self, error: str, leading: bool | None) -> Health:
        return Health(error, None, _role(leading, False), None, None, self.max_backlog.total_seconds())


def _role(leading: bool | None, elsewhere: bool) -> str:
    if leading:
        return "leader"
    return "follower" if elsewhere else "no leader"
