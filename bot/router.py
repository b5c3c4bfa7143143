"""Inbound message → the right handler → replies, inside one database transaction.

The router knows no concrete channel: whoever received the message passes an
``Inbound`` and sends back what it returns, through the same channel.

Webhooks call ``respond``: a platform retry of a message still being handled in
this process joins that work; a retry of a finished message is answered from the
inbound log, whichever process handled it. So the process keeps only the work in
flight, not every recent outcome: a large, long-lived cache of futures made every
full garbage collection walk it, which was the 100–300 ms tail (bench/README.md).

New messages queue for a worker thread, which takes whatever has queued as one
batch: under load one thread hop and one commit serve many messages, which is
most of what a webhook costs. In 公众号 plaintext mode the batch also records, in
one statement, which body used each signed query string, before any handler runs.
Replies wait under the passive-reply deadline; one that misses it still finishes,
its replies then go through the outbox instead. The request that hit the deadline
gets an error (never "success" for a message not yet stored), so the platform
retries; a retry while the work runs waits for it too and carries the passive
reply if the work finishes in time, gets "success" once the work is stored, or
handles the message again if the work failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections import OrderedDict, deque
from concurrent.futures import Future

from sqlalchemy import Engine
from sqlmodel import Session

from bot import metrics
from bot.channels._split import split_message
from bot.core.channel import ChannelLimits
from bot.core.clock import Clock
from bot.core.errors import InboundRejected, NotYetStored
from bot.core.messages import Inbound, Reply, Target
from bot.router_work import Batches, Job, Race
from handlers import texts
from handlers.ask import Outcome
from handlers.commands import dispatch, explain
from handlers.context import HandlerContext
from storage import arrival
from storage import inbound as inbound_log
from storage.arrival import Arrival, Asked
from storage.db import has_written, session_scope, start_watching_writes
from storage.models import Member, Organization
from storage.outbox import enqueue
from storage.point_rules import PointsRules

logger = logging.getLogger(__name__)

DEFAULT_DEADLINE = 4.5  # seconds of WeChat's and WeCom's 5
COMMIT_GRACE = 0.5  # the rest of those 5 s, for a passive reply already being committed
# Work in flight, bounded as a safety net: an entry normally leaves when its outcome is stored (or
# fails). One older than this, or past the count, is dropped; a retry then races the running work
# on the inbound log's claim, which lets exactly one of them win, so dropping costs work, not dedupe.
IN_FLIGHT_TTL = 60.0  # WeChat and WeCom retry three times within 15 s
IN_FLIGHT_MAX = 5_000  # a few seconds of messages at full speed


class Router:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        deadline: float = DEFAULT_DEADLINE,
        workers: int = 4,
        batch_size: int = 32,
        stall: float = 0.2,
        console_url: str = "",
        points: PointsRules | None = None,
    ) -> None:
        self.engine = engine
        self.console_url = console_url  # handlers put it in 后台 login links
        self.clock = clock
        self.points = points or PointsRules()
        self.deadline = deadline
        self._batches = Batches(self._work, workers=workers, size=batch_size, stall=stall)
        # message in flight → when it was queued, its outcome, and the requests waiting for it
        self._in_flight: OrderedDict[inbound_log.MessageKey, tuple[float, Future[Reply | None], Race]]
        self._in_flight = OrderedDict()
        self._in_flight_lock = threading.Lock()
        # Stalled batches run beside the others; taking turns for their claims keeps them off
        # SQLite's busy-wait sleeps, which would otherwise dominate the tail latency.
        self._write_lock = threading.Lock()

    def close(self) -> None:
        self._batches.close()

    def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one message; a bug in a handler becomes an apology, not silence."""
        try:
            with session_scope(self.engine) as session:
                return dispatch(self._context(session, inbound))
        except Exception:
            logger.exception(
                "handler failed channel=%s account=%s chat=%s",
                inbound.channel,
                inbound.account,
                inbound.chat_id,
            )
            return [Reply(texts.ERROR)]

    def explain(self, inbound: Inbound) -> Outcome:
        """Answer one message and say how (answer, live, suggestions, fallback): for tuning, not for chat."""
        with session_scope(self.engine) as session:
            return explain(self._context(session, inbound))

    async def push(self, inbound: Inbound, limits: ChannelLimits) -> None:
        """Handle a message whose platform takes no reply in its HTTP response (Telegram, 钉钉, 飞书): every
        part goes to the outbox, in order, in the transaction that stores the message. ``NotYetStored``
        as for ``respond``."""
        await self.respond(inbound, limits, passive=False)

    async def respond(
        self,
        inbound: Inbound,
        limits: ChannelLimits,
        signature: inbound_log.SignatureUse | None = None,
        *,
        passive: bool = True,
    ) -> Reply | None:
        """The passive reply for a webhook, or None: answer "success" (nothing to say, or sent later).

        Raises ``NotYetStored`` when nothing is stored by the deadline: "success" then could lose the
        message (if its handling later fails, say on a locked database), so the platform must retry.
        A retry finds the work finished (its reply passive or in the outbox), still running (it waits
        for it as the first request did), or failed and forgotten, in which case it is handled afresh.
        ``signature``: the message's body is handled (or joins running work) only if it may use it;
        else ``InboundRejected``.
        """
        job = Job(inbound, limits, Race(passive=passive), signature)
        while (outcome := self._outcome(job)) is None:  # a retry of running work: its signature first
            assert job.signature is not None  # _outcome returns None only for a job still to sign
            await asyncio.wait_for(asyncio.to_thread(self.use_signature, job.signature), self.deadline / 2)
            job.signature = None
        future, race = outcome
        try:
            return await _landed(future, self.deadline)
        except _Late:
            if not race.give_up():
                # It is committing its passive reply right now: wait as long as the platform still
                # listens, not for a locked database's busy timeout. A retry then finds the reply.
                with contextlib.suppress(_Late):
                    return await _landed(future, COMMIT_GRACE)
            logger.warning(
                "handler late channel=%s key=%s: not stored yet, the platform is asked to retry",
                job.key[0],
                job.key[2],
            )
            raise NotYetStored(f"{job.key[0]} message {job.key[2]} not stored yet") from None
        except asyncio.CancelledError:  # the connection is gone: its reply goes to the outbox
            race.give_up()
            raise

    def use_signature(self, signature: inbound_log.SignatureUse) -> None:
        """Record one body's use of its signed query string; ``InboundRejected`` if another body used it."""
        with session_scope(self.engine) as session:
            if not inbound_log.use_signatures(session, [signature], received_at=self.clock.now())[0]:
                raise InboundRejected("signature already used with another body")

    def _outcome(self, job: Job) -> tuple[Future[Reply | None], Race] | None:
        """The outcome of the job's message if this process is handling it now, which the request
        joins; else the job's own, queued (a finished message's worker finds it in the inbound log).
        None: it would join, but its signature is not checked yet."""
        key, now = job.key, time.monotonic()
        with self._in_flight_lock:
            while self._in_flight:
                oldest_key, (started, *_) = next(iter(self._in_flight.items()))
                if now - started < IN_FLIGHT_TTL and len(self._in_flight) < IN_FLIGHT_MAX:
                    break
                del self._in_flight[oldest_key]
            if key[2] and key in self._in_flight:
                if job.signature is not None:
                    return None
                _, future, race = self._in_flight[key]
                race.join()
                metrics.CALLBACKS.labels(key[0], "duplicate").inc()
                return future, race
            self._batches.submit(job)
            if key[2]:
                self._in_flight[key] = (now, job.future, job.race)
        if key[2]:  # outside the lock: a future already done runs the callback here and now
            job.future.add_done_callback(lambda done: self._landed(key, done))
        return job.future, job.race

    def _landed(self, key: inbound_log.MessageKey, future: Future[Reply | None]) -> None:
        """The outcome is stored (a retry now finds it in the inbound log) or failed (a retry handles
        the message again): either way the process stops holding it."""
        with self._in_flight_lock:
            if key in self._in_flight and self._in_flight[key][1] is future:
                del self._in_flight[key]

    def _work(self, jobs: list[Job]) -> None:
        """Runs in a worker thread: dedupe through the database, run each handler, claim, store the replies.

        An answer that wrote something commits at once, its claim in the same transaction as its
        writes. Read-only answers (most questions) are claimed together in one statement and one
        commit at the end of the batch; their replies are released only after that commit.
        """
        waiting: dict[inbound_log.MessageKey, tuple[Job, list[Reply]]] = {}
        try:
            # one connection for the batch's transactions, not one from the pool for each
            with self.engine.connect() as connection, Session(connection, expire_on_commit=False) as session:
                jobs = self._signed_fairly(session, jobs)
                ahead: deque[Arrival] = deque()  # the arrivals of the jobs still to run, looked up together
                for index, job in enumerate(jobs):
                    if not ahead:
                        ahead.extend(arrival.look_ahead(session, [_asked(j.inbound) for j in jobs[index:]]))
                    arrived = ahead.popleft()
                    try:
                        if self._work_one(session, job, arrived, waiting):
                            ahead.clear()  # it committed writes (say, a binding): the rest look again
                    except Exception as exc:
                        session.rollback()
                        job.future.set_exception(exc)
                if waiting:
                    self._claim_together(session, waiting)
        except Exception as exc:  # e.g. the connection broke: fail (the platform retries), never time out
            # into "success", which would drop the message
            logger.exception("handler batch failed")
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(exc)

    def _signed_fairly(self, session: Session, jobs: list[Job]) -> list[Job]:
        """The jobs whose bodies may use their signatures, all recorded in one short transaction;
        the others fail with ``InboundRejected`` before any handler runs."""
        signed = [job for job in jobs if job.signature is not None]
        if not signed:
            return jobs
        with self._write_lock:
            uses = [job.signature for job in signed if job.signature is not None]
            fresh = inbound_log.use_signatures(session, uses, received_at=self.clock.now())
            session.commit()
        for job, ok in zip(signed, fresh, strict=True):
            if not ok:
                job.future.set_exception(InboundRejected("signature already used with another body"))
            elif job.race.abandoned():  # the database was slow here: nothing is stored, so the platform's
                # retry (its body may use the signature again) is handled afresh and answered passively
                job.future.set_exception(NotYetStored(f"{job.key[0]} message {job.key[2]} not stored yet"))
        return [job for job in jobs if not job.future.done()]

    def _work_one(
        self,
        session: Session,
        job: Job,
        arrived: Arrival,
        waiting: dict[inbound_log.MessageKey, tuple[Job, list[Reply]]],
    ) -> bool:
        """Handle one job of the batch; True when it committed writes of its own."""
        inbound = job.inbound
        if arrived.handled is not None:
            metrics.CALLBACKS.labels(inbound.channel, "duplicate").inc()
            job.future.set_result(arrived.handled.reply)
            return False
        start_watching_writes(session)
        with metrics.HANDLER_SECONDS.labels(inbound.channel).time():
            parts = self._answer(session, self._context(session, inbound, arrived), job.limits)
        metrics.CALLBACKS.labels(inbound.channel, "handled").inc()
        if inbound.message_id and not has_written(session):
            waiting[job.key] = (job, parts)
            return False
        # Not under ``_write_lock``: on SQLite this transaction already holds the database's write lock,
        # and a batch holding ``_write_lock`` may be waiting for exactly that: the two would deadlock
        # until the busy timeout.
        inbound_log.wait_for_writes(session)
        passive, later = self._settle(job, parts)
        self._queue(session, inbound, later)
        won = not inbound.message_id or inbound_log.claim(
            session,
            channel=job.key[0],
            account=job.key[1],
            key=job.key[2],
            reply=passive,
            received_at=self.clock.now(),
        )
        if won:
            session.commit()
            job.future.set_result(passive)
            return True
        session.rollback()  # another process answered first: undo ours, give theirs
        job.future.set_result(self._winner(session, job.key))
        return False

    def _claim_together(
        self, session: Session, waiting: dict[inbound_log.MessageKey, tuple[Job, list[Reply]]]
    ) -> None:
        try:
            with self._write_lock:
                inbound_log.wait_for_writes(session)
                # decided only now, when nothing can hold up the commit: a reply held up behind a
                # slow message in its batch, or a lock, goes out through the outbox if the platform gave up
                settled = {key: (job, *self._settle(job, parts)) for key, (job, parts) in waiting.items()}
                passive = {key: reply for key, (_, reply, _) in settled.items()}
                won = inbound_log.claim_many(session, passive, received_at=self.clock.now())
                for key in won:
                    job, _, later = settled[key]
                    self._queue(session, job.inbound, later)
                session.commit()
        except Exception as exc:
            session.rollback()
            for job, _ in waiting.values():
                job.future.set_exception(exc)
            return
        for key, (job, _) in waiting.items():
            job.future.set_result(passive[key] if key in won else self._winner(session, key))

    @staticmethod
    def _settle(job: Job, parts: list[Reply]) -> tuple[Reply | None, list[Reply]]:
        """The passive reply (if the webhook still waits for one) and the parts left for the sender."""
        if parts and job.race.answer_passively():
            return parts[0], parts[1:]
        return None, parts

    def _winner(self, session: Session, key: inbound_log.MessageKey) -> Reply | None:
        """The reply another process stored for a message it handled first."""
        seen = inbound_log.lookup(session, channel=key[0], account=key[1], key=key[2])
        session.commit()
        return seen.reply if seen else None

    def _answer(self, session: Session, ctx: HandlerContext, limits: ChannelLimits) -> list[Reply]:
        """The handler's replies as message-sized parts; a failing handler's writes are undone."""
        try:
            replies = dispatch(ctx)
        except Exception:
            inbound = ctx.inbound
            logger.exception(
                "handler failed channel=%s account=%s chat=%s",
                inbound.channel,
                inbound.account,
                inbound.chat_id,
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

    def _context(self, session: Session, inbound: Inbound, arrived: Arrival | None = None) -> HandlerContext:
        arrived = arrived or arrival.look(session, [_asked(inbound)])[0]
        return HandlerContext(
            session=session,
            inbound=inbound,
            now=self.clock.now(),
            asker=session.get(Member, arrived.member_id) if arrived.member_id is not None else None,
            chat_org=session.get(Organization, arrived.chat_org_id)
            if arrived.chat_org_id is not None
            else None,
            console_url=self.console_url,
            points=self.points,
        )


def _asked(inbound: Inbound) -> Asked:
    return Asked(inbound.channel, inbound.account, inbound.message_id, inbound.sender_id, inbound.chat_id)


class _Late(Exception):
    """The outcome did not land within the time a request may wait for it."""


async def _landed(future: Future[Reply | None], seconds: float) -> Reply | None:
    """The worker's outcome, or ``_Late`` after ``seconds``. Leaving (late, or cancelled with the
    connection) never cancels the work: other requests may wait for it, and it stores its reply anyway.

    One loop future and one timer per request: the same as ``wait_for(shield(wrap_future(…)))`` with
    a third of the objects and callbacks, on the path of every webhook.
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[Reply | None] = loop.create_future()

    def land(done: Future[Reply | None]) -> None:  # in the worker thread, or here if already done
        if not loop.is_closed():
            loop.call_soon_threadsafe(_copy_outcome, done, waiter)

    future.add_done_callback(land)
    timer = loop.call_later(seconds, _expire, waiter)
    try:
        return await waiter
    finally:
        timer.cancel()


def _copy_outcome(done: Future[Reply | None], waiter: asyncio.Future[Reply | None]) -> None:
    if waiter.done():  # late or cancelled already
        return
    if (exc := done.exception()) is not None:
        waiter.set_exception(exc)
    else:
        waiter.set_result(done.result())


def _expire(waiter: asyncio.Future[Reply | None]) -> None:
    if not waiter.done():
        waiter.set_exception(_Late())
