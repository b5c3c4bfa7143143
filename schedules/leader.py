"""Leader election: of several ``zhibu serve`` processes, exactly one runs the scheduler.

PostgreSQL does the coordinating: the leader holds a session-level advisory lock on a
dedicated connection for as long as it lives. When the leader process dies, its
connection closes and PostgreSQL releases the lock; another process's next poll
(every few seconds) takes it over. Server-side TCP keepalives are set on that
connection so a leader whose machine vanishes is noticed within about 25 seconds.
On SQLite there is one process per database file, so that process is always leader.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


SCHEDULER_LOCK = lock_key("zhibu:scheduler")

# Server-side keepalives for the lock connection: an unreachable leader's session (and lock)
# ends after about idle + interval * count seconds instead of the kernel's two hours.
_KEEPALIVE_SQL = "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3"


class LeaderElection:
    """Polls for the lock; calls ``on_elected`` when won and ``on_deposed`` when lost.

    ``step()`` runs one poll (tests drive it directly); ``start()`` runs it every
    ``poll_seconds`` in a daemon thread until ``stop()``, which also releases the lock.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        on_elected: Callable[[], None],
        on_deposed: Callable[[], None],
        key: int = SCHEDULER_LOCK,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine = engine
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.key = key
        self.poll_seconds = poll_seconds
        self.is_leader = False
        self._conn: Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def coordinated(self) -> bool:
        """True when the database can arbitrate between processes (PostgreSQL)."""
        return self.engine.dialect.name == "postgresql"

    def step(self) -> bool:
        """One poll: keep or try to take the lock. Returns whether this process leads now."""
        if not self.coordinated:
            self._set_leader(True)
            return True
        try:
            self._set_leader(self._still_holding() if self.is_leader else self._try_lock())
        except DBAPIError as exc:
            log.warning("leader election: database unavailable (%s); not leading", type(exc.orig).__name__)
            self._drop_connection()
            self._set_leader(False)
        return self.is_leader

    def _connection(self) -> Connection:
        if self._conn is None:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql(_KEEPALIVE_SQL)
            self._conn = conn
        return self._conn

    def _try_lock(self) -> bool:
        got = self._connection().execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
        return bool(got)

    def _still_holding(self) -> bool:
        """The lock lives as long as the session: a live connection means we still hold it."""
        self._connection().execute(text("SELECT 1"))
        return True

    def _set_leader(self, leading: bool, *, stopping: bool = False) -> None:
        if leading == self.is_leader:
            return
        self.is_leader = leading
        if leading:
            log.info("leader election: this process now runs the scheduler")
            try:
                self.on_elected()
            except Exception:
                # holding the lock without a running scheduler would stop every job for good:
                # let go (ending the session frees the lock) so this or another process tries again
                self.is_leader = False
                self._drop_connection()
                raise
        else:
            if stopping:
                log.info("leader election: shutting down; handing the scheduler to another process")
            else:
                log.warning("leader election: lost the scheduler lock; stopping the scheduler here")
            self.on_deposed()

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.invalidate()
            conn.close()
        except Exception:  # the connection is already broken; nothing to release
            log.debug("leader election: closing a broken connection failed", exc_info=True)

    def start(self) -> None:
        """Poll in a background thread until ``stop()``."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # a bug in a callback must not end elections for good
                log.exception("leader election: poll failed")
            self._stop.wait(self.poll_seconds)

    def stop(self) -> None:
        """Stop polling, step down and release the lock at once so another process takes over."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.poll_seconds + 5)
            self._thread = None
        self._set_leader(False, stopping=True)
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                self._conn.close()
            except Exception:  # a dead connection holds no lock any more
                log.debug("leader election: releasing the lock failed", exc_info=True)
            self._conn = None


def lock_held(conn: Connection, key: int = SCHEDULER_LOCK) -> bool:
    """Whether some process holds the scheduler lock now (PostgreSQL; False elsewhere), for /healthz.

    pg_locks shows a bigint advisory key as its high half in ``classid``, its low half in
    ``objid`` and ``objsubid`` 1 (PostgreSQL manual, "pg_locks").
    """
    if conn.dialect.name != "postgresql":
        return False
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    held = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = CAST(:high AS oid) AND objid = CAST(:low AS oid) AND objsubid = 1)"
        ),
        {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF},
    ).scalar()
    return bool(held)
