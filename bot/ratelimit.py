"""Token buckets per channel account and per chat, so the sender stays under each platform's limits.

Pure and clock-free: every call takes ``now`` in seconds, so the sender passes
its injected clock and tests move time by hand. The sender passes each platform's
rates from bot/channels/registry.py (docs/platforms.md §0 #4); a channel without
rates (the console) is not limited.

A bucket that has refilled and is not held is the same as a new one, so such
buckets are forgotten from time to time: the limiter remembers the chats that
sent lately, not every chat it ever served.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.channel import ChannelRates, Rate

_EPSILON = 1e-6  # seconds; float refill must not leave a sender waiting a nanosecond at a time
_SWEEP_AT_LEAST = 256  # buckets; below this many the limiter never looks for idle ones


class TokenBucket:
    """Refills continuously at ``rate.per_second`` up to ``rate.capacity``; starts full."""

    __slots__ = ("capacity", "held_until", "per_second", "tokens", "updated")

    def __init__(self, rate: Rate, now: float) -> None:
        self.capacity = rate.capacity
        self.per_second = rate.per_second
        self.tokens = self.capacity
        self.updated = now
        self.held_until = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0.0: available now)."""
        self._refill(now)
        wait = max((1.0 - self.tokens) / self.per_second, self.held_until - now)
        return wait if wait > _EPSILON else 0.0

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def hold(self, until: float) -> None:
        """Nothing leaves before ``until`` (the platform said so), then one at a time, no burst."""
        self.held_until = max(self.held_until, until)
        self.tokens = min(self.tokens, 1.0)
        self.updated = max(self.updated, until)

    def idle(self, now: float) -> bool:
        """Full again and not held: indistinguishable from a bucket created at ``now``."""
        if now < self.held_until or now < self.updated:
            return False
        return self.tokens + (now - self.updated) * self.per_second >= self.capacity


class RateLimiter:
    """One bucket per (channel, account) and per (channel, account, chat), created on first use."""

    def __init__(self, rates: Mapping[str, ChannelRates]) -> None:
        self.rates = rates  # by channel; a channel without rates is not limited
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._sweep_at = _SWEEP_AT_LEAST

    def __len__(self) -> int:
        """How many buckets are remembered (accounts and chats that sent lately)."""
        return len(self._buckets)

    def reserve(self, channel: str, account: str, chat_id: str, *, is_group: bool, now: float) -> float:
        """Take a token from every bucket that applies and return 0.0, or take none and return the wait."""
        if len(self._buckets) >= self._sweep_at:
            self._forget_idle(now)
        account_bucket, chat_buckets = self._buckets_for(channel, account, chat_id, is_group, now)
        buckets = [*account_bucket, *chat_buckets]
        wait = max((bucket.wait(now) for bucket in buckets), default=0.0)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.take(now)
        return 0.0

    def hold(self, channel: str, account: str, chat_id: str, *, is_group: bool, until: float) -> None:
        """The platform asked us to wait (429 retry_after, 45009): stop this chat's sends until ``until``."""
        account_bucket, chat_buckets = self._buckets_for(channel, account, chat_id, is_group, until)
        for bucket in chat_buckets or account_bucket:  # an account without chat limits holds itself
            bucket.hold(until)

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that are full and not held; the next sweep waits until the map has doubled.

        Doubling keeps the cost amortized to a constant per new bucket, and the map at most
        twice the number of buckets that were still busy at the last sweep.
        """
        self._buckets = {key: bucket for key, bucket in self._buckets.items() if not bucket.idle(now)}
        self._sweep_at = max(_SWEEP_AT_LEAST, 2 * len(self._buckets))

    def _buckets_for(
        self, channel: str, account: str, chat_id: str, is_group: bool, now: float
    ) -> tuple[list[TokenBucket], list[TokenBucket]]:
        """The account's bucket (if limited) and the chat's buckets (a group obeys both rates)."""
        rates = self.rates.get(channel, ChannelRates())
        chat_rates = [rates.group if is_group else None, rates.chat]
        account_bucket = self._bucket((channel, account), rates.account, now)
        chat_buckets = [
            self._bucket((channel, account, chat_id, str(n)), rate, now) for n, rate in enumerate(chat_rates)
        ]
        return [b for b in [account_bucket] if b], [b for b in chat_buckets if b]

    def _bucket(self, key: tuple[str, ...], rate: Rate | None, now: float) -> TokenBucket | None:
        if rate is None:
            return None
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(rate, now)
        return self._buckets[key]
