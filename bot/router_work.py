"""The router's work in flight: who answers a message (``Race``), what a worker runs (``Job``), and how
queued messages reach the worker threads (``Batches``). bot/router.py explains why it works this way.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from bot.core.channel import ChannelLimits
from bot.core.messages import Inbound, Reply
from storage import inbound as inbound_log


class Race:
    """Who speaks: a passive reply to a request still waiting for it, or the outbox once none waits.

    The request that queued the message and every retry that joins it wait until their deadline.
    The handler decides only once it can commit without waiting on the database: a passive reply
    decided earlier could be committed after the last request left, and never be sent.
    """

    def __init__(self, *, passive: bool = True) -> None:
        self._lock = threading.Lock()
        self._waiting = 1  # the request that queued the job
        # a platform that takes no reply in its HTTP response: every part goes to the outbox
        self._state = "open" if passive else "late"

    def join(self) -> None:
        """A platform retry of the same message waits for its outcome too."""
        with self._lock:
            self._waiting += 1

    def answer_passively(self) -> bool:
        """True: a waiting request carries the first part; False: every part goes to the outbox."""
        with self._lock:
            if self._state == "open":
                self._state = "passive" if self._waiting else "late"
            return self._state == "passive"

    def abandoned(self) -> bool:
        """Every request left before anything was decided: a retry may as well handle it afresh."""
        with self._lock:
            return self._state == "open" and not self._waiting

    def give_up(self) -> bool:
        """A request leaves at its deadline; False while the passive reply it would carry is committed."""
        with self._lock:
            if self._state == "passive":
                return False
            self._waiting -= 1
            return True


@dataclass(slots=True)
class Job:
    """One new message waiting for a handler worker; the webhook awaits ``future``."""

    inbound: Inbound
    limits: ChannelLimits
    race: Race
    signature: inbound_log.SignatureUse | None = None  # checked by the worker, before the handler runs
    future: Future[Reply | None] = field(default_factory=Future)

    @property
    def key(self) -> inbound_log.MessageKey:
        return (self.inbound.channel, self.inbound.account, self.inbound.message_id)


class Batches:
    """Hands queued jobs to worker threads in batches, so one hop and one commit serve many messages.

    A single worker takes everything queued (up to ``size``) whenever it is free, which under load
    is a batch and when quiet is one message. Only when every busy worker has been on its batch
    for longer than ``stall`` (a slow handler, a lock wait) may another worker start: new messages
    then do not wait behind the slow one.
    """

    def __init__(self, run: Callable[[list[Job]], None], *, workers: int, size: int, stall: float) -> None:
        self._run = run
        self._size = size
        self._stall = stall
        self._queue: deque[Job] = deque()
        self._busy: dict[int, float] = {}  # worker number → when it took its batch
        self._closed = False
        self._cond = threading.Condition()
        self._workers = workers
        self._threads: list[threading.Thread] = []

    def submit(self, job: Job) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("router closed")
            if not self._threads:  # started on first use: most Routers (CLI, tests) never see a webhook
                self._threads = [
                    threading.Thread(target=self._work, args=(n,), name=f"handler-{n}", daemon=True)
                    for n in range(self._workers)
                ]
                for thread in self._threads:
                    thread.start()
            self._queue.append(job)
            self._cond.notify()

    def close(self) -> None:
        """Finish what is queued, then stop the workers."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()

    def _may_take(self) -> bool:
        now = time.monotonic()
        return bool(self._queue) and all(now - since > self._stall for since in self._busy.values())

    def _work(self, number: int) -> None:
        while True:
            with self._cond:
                while not self._may_take():
                    if self._closed and not self._queue:
                        return
                    self._cond.wait(self._stall if self._queue else None)
                batch = [self._queue.popleft() for _ in range(min(self._size, len(self._queue)))]
                self._busy[number] = time.monotonic()
            try:
                self._run(batch)
            finally:
                with self._cond:
                    del self._busy[number]
                    self._cond.notify()
