"""The outbox worker: claims due deliveries, waits for the rate limits, sends, records the outcome.

Errors are sorted by type alone (bot.core.errors): RetryLater and TokenExpired
(the channel already refreshed once and retried once) come back later with
exponential backoff and jitter, honouring the platform's retry_after;
PermanentFailure is recorded and never retried; after ``max_attempts`` a
delivery fails for good. Every outcome is written right after the send, and a
split message records each part, so a sender that dies repeats at most the part
that was in flight once its lease runs out (storage.outbox.claim_due).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot import metrics
from bot.channels import registry
from bot.channels._split import split_message
from bot.core.channel import ChannelLimits, OutboundChannel
from bot.core.clock import Clock
from bot.core.errors import Misconfigured, PermanentFailure, RetryLater, SendError
from bot.core.messages import Reply, Target
from bot.ratelimit import RateLimiter
from storage import account_leases, outbox, senders
from storage.db import session_scope
from storage.models import Delivery

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
ChannelKey = tuple[str, str]  # (channel, account)
# How often a running sender says so (storage/senders.py); its word holds for three beats, which is
# longer than one row can take (the rate-limit wait is capped by ``max_wait``, sends time out).
HEARTBEAT_EVERY = timedelta(seconds=30)
# A sender sends through an account only while it holds that account's lease (storage/account_leases.py),
# so the platform's per-account limit holds across processes; a dead sender's leases pass on after the TTL.
LEASE_RENEW = timedelta(seconds=10)
LEASE_TTL = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 10.0
    cap_seconds: float = 3600.0

    def delay(self, attempts: int, retry_after: float | None, rng: random.Random) -> float:
        """Exponential backoff with ±50 % jitter, never sooner than the platform's ``retry_after``."""
        if retry_after is not None:
            return retry_after + rng.uniform(0.0, 1.0)
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return backoff * rng.uniform(0.5, 1.5)


def parts_of(delivery: Delivery, limits: ChannelLimits) -> list[Reply]:
    """The message as the channel will send it, cut to the platform's size in its own unit.

    Mentions ride on the first part only: one notification per message, not one per part.
    """
    if limits.markdown and delivery.markdown:
        pieces = split_message(delivery.markdown, limits.unit, limits.max_length, markup="markdown")
        parts = [Reply(text=piece, markdown=piece) for piece in pieces]
    else:
        parts = [Reply(text=piece) for piece in split_message(delivery.text, limits.unit, limits.max_length)]
    if parts and delivery.mentions:
        parts[0] = replace(parts[0], mentions=tuple(delivery.mentions))
    return parts


def default_worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Sender:
    """Delivers the outbox through the channels registered by (channel, account)."""

    def __init__(
        self,
        engine: Engine,
        channels: Mapping[ChannelKey, OutboundChannel],
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        policy: RetryPolicy = RetryPolicy(),
        worker: str | None = None,
        batch_size: int = 20,
        lease: timedelta = outbox.DEFAULT_LEASE,
        max_wait: float = 5.0,
        idle_seconds: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.channels = channels
        self.clock = clock
        self.limiter = limiter or RateLimiter(registry.rates())
        self.sleep = sleep
        self.policy = policy
        self.worker = worker or default_worker_name()
        self.batch_size = batch_size
        self.lease = lease
        self.max_wait = max_wait
        self.idle_seconds = idle_seconds
        self.rng = rng or random.Random()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._tally: Counter[str] = Counter()  # outcomes of the batch in hand, for its log line
        self._beaten_at: datetime | None = None
        self._held: set[ChannelKey] = set()
        self._leased_at: datetime | None = None

    async def run_once(self) -> int:
        """Claim one batch and work through it; the number of deliveries claimed."""
        self._tally = Counter()
        await self._beat()
        await self._hold_accounts()
        claimed_at = self.clock.now()
        rows = await self._db(
            outbox.claim_due,
            now=claimed_at,
            limit=self.batch_size,
            worker=self.worker,
            lease=self.lease,
            skip=set(self.channels) - self._held,
        )
        for row in rows:
            await self._beat()
            if self.clock.now() - claimed_at > self.lease / 2:
                await self._db(outbox.defer, delivery_id=row.id, worker=self.worker, at=self.clock.now())
                self._tally["put back"] += 1
                continue
            try:
                await self._deliver(row)
            except (
                Misconfigured
            ) as exc:  # e.g. an account table the channel cannot use: retrying will not help
                await self._after_failure(row, PermanentFailure(str(exc)))
            except Exception as exc:
                logger.exception(
                    "delivery %s failed unexpectedly channel=%s account=%s chat=%s",
                    row.id,
                    row.channel,
                    row.account,
                    row.chat_id,
                )
                await self._after_failure(row, RetryLater(f"unexpected {type(exc).__name__}"))
        if rows:  # one line a batch, never one per message
            tally = self._tally
            logger.info(
                "delivery batch: %d claimed, %d sent, %d to retry, %d failed, %d put back",
                len(rows),
                tally["sent"],
                tally["retry"],
                tally["failed"],
                tally["put back"],
            )
        return len(rows)

    async def _deliver(self, row: Delivery) -> None:
        assert row.id is not None
        channel = self.channels.get((row.channel, row.account))
        if channel is None:
            await self._after_failure(
                row, PermanentFailure(f"no {row.channel} account named {row.account!r}")
            )
            return
        target = Target(channel=row.channel, account=row.account, chat_id=row.chat_id, is_group=row.is_group)
        parts = parts_of(row, channel.limits)
        if not parts:
            await self._after_failure(row, PermanentFailure("empty message"))
            return
        platform_id = ""
        for index in range(row.parts_sent, len(parts)):
            if not await self._wait_for_rate(row):
                return
            try:
                platform_id = await channel.send(target, parts[index])
            except SendError as exc:
                await self._after_failure(row, exc)
                return
            if index + 1 < len(parts):
                await self._db(
                    outbox.mark_progress, delivery_id=row.id, worker=self.worker, parts_sent=index + 1
                )
        await self._db(
            outbox.mark_sent,
            delivery_id=row.id,
            worker=self.worker,
            now=self.clock.now(),
            platform_id=platform_id,
            text=row.text,
            markdown=row.markdown,
        )
        self._tally["sent"] += 1
        metrics.DELIVERIES.labels(row.channel, row.kind, "sent").inc()

    async def _wait_for_rate(self, row: Delivery) -> bool:
        """Wait for the chat's and account's buckets; False when the wait is long and the row was put back."""
        while wait := self.limiter.reserve(
            row.channel, row.account, row.chat_id, is_group=row.is_group, now=self._seconds()
        ):
            if wait > self.max_wait:
                later = self.clock.now() + timedelta(seconds=wait)
                await self._db(outbox.defer, delivery_id=row.id, worker=self.worker, at=later)
                self._tally["put back"] += 1
                return False
            await self.sleep(wait)
        return True

    async def _after_failure(self, row: Delivery, exc: SendError) -> None:
        where = f"delivery {row.id} channel={row.channel} account={row.account} chat={row.chat_id}"
        if isinstance(exc, PermanentFailure) or row.attempts >= self.policy.max_attempts:
            error = (
                str(exc)
                if row.attempts < self.policy.max_attempts
                else f"gave up after {row.attempts}: {exc}"
            )
            logger.warning("%s failed: %s", where, error)
            metrics.DELIVERIES.labels(row.channel, row.kind, "failed").inc()
            await self._db(outbox.mark_failed, delivery_id=row.id, worker=self.worker, error=error)
            self._tally["failed"] += 1
            return
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        delay = self.policy.delay(row.attempts, retry_after, self.rng)
        if retry_after:
            self.limiter.hold(
                row.channel,
                row.account,
                row.chat_id,
                is_group=row.is_group,
                until=self._seconds() + retry_after,
            )
        logger.info("%s will retry in %.0f s: %s", where, delay, exc)
        metrics.DELIVERIES.labels(row.channel, row.kind, "retried").inc()
        at = self.clock.now() + timedelta(seconds=delay)
        await self._db(outbox.mark_retry, delivery_id=row.id, worker=self.worker, at=at, error=str(exc))
        self._tally["retry"] += 1

    async def _beat(self) -> None:
        """Say that this sender runs, at most every HEARTBEAT_EVERY (`zhibu broadcast --wait` asks)."""
        now = self.clock.now()
        if self._beaten_at is not None and timedelta(0) <= now - self._beaten_at < HEARTBEAT_EVERY:
            return
        self._beaten_at = now  # also after a failure: the next try waits its turn, sending does not
        try:
            await self._db(senders.beat, worker=self.worker, now=now, ttl=3 * HEARTBEAT_EVERY)
        except Exception as exc:  # only advisory: a claimed row must not wait for it
            logger.warning("sender heartbeat not recorded: %s", type(exc).__name__)

    async def _hold_accounts(self) -> None:
        """Take or renew the leases of this sender's accounts, every LEASE_RENEW."""
        now = self.clock.now()
        if self._leased_at is not None and timedelta(0) <= now - self._leased_at < LEASE_RENEW:
            return
        leases = {"accounts": list(self.channels), "worker": self.worker, "now": now, "ttl": LEASE_TTL}
        self._held = await self._db(account_leases.hold, **leases)
        self._leased_at = now

    def _seconds(self) -> float:
        return self.clock.now().timestamp()

    async def _db(self, operation: Callable[..., Any], **kwargs: Any) -> Any:
        """Run one storage call in its own transaction, off the event loop."""

        def run() -> Any:
            with session_scope(self.engine) as session:
                return operation(session, **kwargs)

        return await asyncio.to_thread(run)

    # -- as a background service of `zhibu serve` --

    async def run(self) -> None:
        """Deliver until ``stop``; a failing database is logged and retried, never fatal."""
        while not self._stop.is_set():
            try:
                claimed = await self.run_once()
            except Exception:
                logger.exception("sender could not claim deliveries")
                claimed = 0
            if not claimed:
                try:
                    await asyncio.wait_for(self._stop.wait(), timeout=self.idle_seconds)
                except TimeoutError:
                    pass

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name="zhibu-sender")

    async def stop(self, grace: float = 10.0) -> None:
        """Let the message in flight finish (its outcome gets recorded), then stop."""
        self._stop.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, timeout=grace)
        except TimeoutError:
            logger.warning("sender did not stop within %.0f s; unsent rows return after their lease", grace)
        self._task = None
        try:
            await self._db(senders.stopped, worker=self.worker)
            await self._db(account_leases.release, worker=self.worker)
        except Exception:  # the database is gone: the heartbeat and the leases expire by themselves
            logger.warning("sender could not withdraw its heartbeat; it expires in %s", 3 * HEARTBEAT_EVERY)
