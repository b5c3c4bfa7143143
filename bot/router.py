"""Inbound message → the right handler → replies, inside one database transaction.

The router knows no concrete channel: whoever received the message passes an
``Inbound`` and sends back what it returns, through the same channel.

Webhooks call ``respond``: platform retries are answered from a process-local
cache of recent outcomes, or from the inbound log when another process handled
the message; a new message runs its handler in a worker thread under the
passive-reply deadline. A handler that misses the deadline still finishes: its
replies then go through the outbox instead, and the platform gets "success".
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session

from bot.channels._split import split_message
from bot.core.channel import ChannelLimits
from bot.core.clock import Clock
from bot.core.messages import Inbound, Reply, Target
from handlers import texts
from handlers.ask import Outcome
from handlers.commands import dispatch, explain
from handlers.context import HandlerContext
from storage import inbound as inbound_log
from storage.db import session_scope
from storage.members import for_identity
from storage.models import ChatBinding, Organization
from storage.outbox import enqueue

logger = logging.getLogger(__name__)

DEFAULT_DEADLINE = 4.5  # seconds of WeChat's and WeCom's 5
RECENT_TTL = 600.0  # platforms retry within seconds; keep outcomes ten minutes
RECENT_MAX = 20_000


_BINDINGS = ChatBinding.__table__  # type: ignore[attr-defined]
_CHAT_ORG = sa_select(_BINDINGS.c.org_id).where(
    _BINDINGS.c.channel == bindparam("channel"),
    _BINDINGS.c.account == bindparam("account"),
    _BINDINGS.c.chat_id == bindparam("chat_id"),
)


class _Race:
    """Who speaks first: the handler with a passive reply, or the request giving up at the deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "open"

    def _take(self, state: str) -> bool:
        with self._lock:
            if self._state != "open":
                return False
            self._state = state
            return True

    def answer_passively(self) -> bool:
        return self._take("passive")

    def give_up(self) -> bool:
        return self._take("late")


class Router:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        deadline: float = DEFAULT_DEADLINE,
        workers: int = 4,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.deadline = deadline
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="handler")
        self._recent: OrderedDict[tuple[str, str, str], tuple[float, Future[Reply | None]]] = OrderedDict()
        self._recent_lock = threading.Lock()
        # Handlers run in threads but the GIL runs one at a time anyway; taking turns for the final writes
        # keeps them off SQLite's busy-wait sleeps, which would otherwise dominate the tail latency.
        self._write_lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one message; a bug in a handler becomes an apology, not silence."""
        try:
            with session_scope(self.engine) as session:
                return dispatch(self._context(session, inbound))
        except Exception:
            logger.exception(
                "handler failed channel=%s account=%s chat=%s", inbound.channel, inbound.account, inbound.chat_id
            )
            return [Reply(texts.ERROR)]

    def explain(self, inbound: Inbound) -> Outcome:
        """Answer one message and say how (answer, live, suggestions, fallback): for tuning, not for chat."""
        with session_scope(self.engine) as session:
            return explain(self._context(session, inbound))

    async def respond(self, inbound: Inbound, limits: ChannelLimits) -> Reply | None:
        """The passive reply for a webhook, or None: answer "success" (nothing to say, or sent later)."""
        key = (inbound.channel, inbound.account, inbound.message_id)
        race = _Race()
        future, fresh = self._outcome(key, lambda: self._pool.submit(self._work, inbound, limits, race))
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self.deadline)
        except TimeoutError:
            if not fresh or race.give_up():
                logger.warning("handler late channel=%s key=%s: reply goes to the outbox", key[0], key[2])
                return None
            return await asyncio.wrap_future(future)  # it is committing its passive reply right now
        except Exception:
            self._forget(key, future)
            raise

    def _outcome(
        self, key: tuple[str, str, str], start: Callable[[], Future[Reply | None]]
    ) -> tuple[Future[Reply | None], bool]:
        """The running or finished outcome for ``key``, starting it when this process has none."""
        now = time.monotonic()
        with self._recent_lock:
            while self._recent:
                oldest_key, (started, _) = next(iter(self._recent.items()))
                if now - started < RECENT_TTL and len(self._recent) < RECENT_MAX:
                    break
                del self._recent[oldest_key]
            if key[2] and key in self._recent:
                return self._recent[key][1], False
            future = start()
            if key[2]:
                self._recent[key] = (now, future)
            return future, True

    def _forget(self, key: tuple[str, str, str], future: Future[Reply | None]) -> None:
        with self._recent_lock:
            if key in self._recent and self._recent[key][1] is future:
                del self._recent[key]

    def _work(self, inbound: Inbound, limits: ChannelLimits, race: _Race) -> Reply | None:
        """Runs in a worker thread: dedupe through the database, run the handler, claim, store the reply.

        One transaction and one commit per new message: the claim rides with the handler's own writes.
        """
        ids = {"channel": inbound.channel, "account": inbound.account, "key": inbound.message_id}
        with Session(self.engine, expire_on_commit=False) as session:
            if inbound.message_id and (seen := inbound_log.lookup(session, **ids)) is not None:
                return seen.reply
            parts = self._answer(session, inbound, limits)
            late = not race.answer_passively()
            passive = None if late or not parts else parts[0]
            with self._write_lock:
                self._queue(session, inbound, parts[0 if late else 1 :])
                claimed = not inbound.message_id or inbound_log.claim(
                    session, **ids, reply=passive, received_at=self.clock.now()
                )
                if claimed:
                    session.commit()
                    return passive
            session.rollback()  # another process answered first: undo ours, give theirs
            seen = inbound_log.lookup(session, **ids)
            session.commit()
        return seen.reply if seen else None

    def _answer(self, session: Session, inbound: Inbound, limits: ChannelLimits) -> list[Reply]:
        """The handler's replies as message-sized parts; a failing handler's writes are undone."""
        try:
            replies = dispatch(self._context(session, inbound))
        except Exception:
            logger.exception(
                "handler failed channel=%s account=%s chat=%s", inbound.channel, inbound.account, inbound.chat_id
            )
            session.rollback()
            replies = [Reply(texts.ERROR)]
        text = "\n\n".join(reply.text for reply in replies if reply.text)
        return [Reply(part) for part in split_message(text, limits.unit, limits.max_length)]

    def _queue(self, session: Session, inbound: Inbound, parts: list[Reply]) -> None:
        target = Target(inbound.channel, inbound.account, inbound.chat_id, inbound.is_group)
        message = inbound.message_id or uuid.uuid4().hex
        for index, part in enumerate(parts):
            key = f"reply:{inbound.channel}:{inbound.account}:{message}:{index}"
            enqueue(session, target=target, reply=part, dedupe_key=key, not_before=self.clock.now())

    def _context(self, session: Session, inbound: Inbound) -> HandlerContext:
        asker = for_identity(
            session, channel=inbound.channel, account=inbound.account, external_id=inbound.sender_id
        )
        ids = {"channel": inbound.channel, "account": inbound.account, "chat_id": inbound.chat_id}
        org_id = session.connection().execute(_CHAT_ORG, ids).scalar()
        chat_org = session.get(Organization, org_id) if org_id is not None else None
        return HandlerContext(
            session=session,
            inbound=inbound,
            now=self.clock.now(),
            asker=asker,
            chat_org=chat_org,
        )
