"""SQLite WAL checkpoints off the request path.

By default SQLite checkpoints inside whichever commit pushes the write-ahead log
past 1,000 pages, and a checkpoint syncs the database file: at a thousand
callbacks a second that lands a multi-millisecond stall on a request several
times a second. The server's connections raise that threshold and this service
checkpoints from its own thread instead. A no-op on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from sqlalchemy import Engine, event

logger = logging.getLogger(__name__)

SAFETY_NET_PAGES = 20_000  # if the service stalls, commits still checkpoint at ~80 MB of log


class WalCheckpointer:
    def __init__(self, engine: Engine, interval: float = 0.5) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _raise_threshold)

    async def start(self) -> None:
        if self.engine.dialect.name != "sqlite":
            return
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)

    def checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.checkpoint()
            except Exception:  # the service loop: log and try again next round
                logger.exception("WAL checkpoint failed")


def _raise_threshold(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
    cur.close()
