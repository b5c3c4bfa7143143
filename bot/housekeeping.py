"""Background tidying for `zhibu serve`: short-lived records do not pile up.

The inbound log keeps only what platform retries can still need: retries come
within seconds (WeChat, WeCom) or at most a day (Telegram keeps undelivered
updates 24 h), so entries older than ``keep`` are dropped hourly; that is the
expiry of the "already handled" set. Chat state (pending confirmations,
numbered suggestions) goes ``keep`` after it expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import Engine

from bot.core.clock import Clock
from storage import conversation, inbound
from storage.db import session_scope

logger = logging.getLogger(__name__)


class Housekeeping:
    def __init__(
        self, engine: Engine, clock: Clock, *, keep: timedelta = timedelta(days=2), every: float = 3600.0
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.keep = keep
        self.every = every
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def tidy(self) -> int:
        """How many rows were dropped."""
        before = self.clock.now() - self.keep
        with session_scope(self.engine) as session:
            return inbound.forget_before(session, before=before) + conversation.forget_expired(
                session, before=before
            )

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                dropped = await asyncio.to_thread(self.tidy)
                logger.debug("housekeeping dropped %d rows", dropped)
            except Exception:
                logger.exception("housekeeping failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.every)

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name="zhibu-housekeeping")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
