from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.channels import registry
from bot.ratelimit import ChannelRates, Rate, RateLimiter


def _send_all(limiter: RateLimiter, count: int, *, channel: str, chat: str, is_group: bool) -> list[float]:
    """Send ``count`` messages as fast as the limiter allows; the times they left."""
    now, sent = 0.0, []
    while len(sent) < count:
        wait = limiter.reserve(channel, "default", chat, is_group=is_group, now=now)
        if wait:
            now += wait
            continue
        sent.append(now)
    return sent


def _most_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_a_wecom_robot_never_gets_more_than_twenty_a_minute() -> None:
    times = _send_all(RateLimiter(registry.rates()), 100, channel="robot", chat="branch1", is_group=True)
    assert _most_in_window(times, 60.0) <= 20
    assert times[-1] < 6 * 60  # and it still gets through 100 in about five minutes


def test_telegram_groups_twenty_a_minute_private_chats_one_a_second() -> None:
    group = _send_all(RateLimiter(registry.rates()), 40, channel="telegram", chat="-100123", is_group=True)
    private = _send_all(RateLimiter(registry.rates()), 40, channel="telegram", chat="42", is_group=False)
    assert _most_in_window(group, 60.0) <= 20
    assert _most_in_window(private, 10.0) <= 12
    assert private[-1] < 45


def test_chats_do_not_share_a_bucket_but_the_account_is_shared() -> None:
    limiter = RateLimiter({"x": ChannelRates(account=Rate(3, 1.0), chat=Rate(1, 60.0))})
    assert [limiter.reserve("x", "a", str(n), is_group=False, now=0.0) for n in range(4)][:3] == [0.0] * 3
    assert limiter.reserve("x", "a", "9", is_group=False, now=0.0) > 0  # account used up
    assert limiter.reserve("x", "a", "0", is_group=False, now=5.0) > 50  # chat 0 waits its minute


def test_a_refused_reservation_takes_nothing() -> None:
    limiter = RateLimiter({"x": ChannelRates(account=Rate(100, 1.0), chat=Rate(1, 10.0))})
    assert limiter.reserve("x", "a", "c", is_group=False, now=0.0) == 0.0
    for _ in range(5):
        assert limiter.reserve("x", "a", "c", is_group=False, now=1.0) > 0
    assert limiter.reserve("x", "a", "c", is_group=False, now=10.0) == 0.0


def test_hold_stops_the_chat_until_the_platform_allows() -> None:
    limiter = RateLimiter(registry.rates())
    limiter.hold("robot", "default", "branch1", is_group=True, until=60.0)
    assert limiter.reserve("robot", "default", "branch1", is_group=True, now=1.0) == 59.0
    assert limiter.reserve("robot", "default", "branch1", is_group=True, now=60.0) == 0.0
    assert limiter.reserve("robot", "default", "branch1", is_group=True, now=60.0) > 0


def test_unknown_channels_are_not_limited() -> None:
    limiter = RateLimiter(registry.rates())
    assert all(limiter.reserve("console", "local", "me", is_group=False, now=0.0) == 0.0 for _ in range(1000))


@given(st.lists(st.floats(min_value=0.0, max_value=30.0), min_size=1, max_size=200))
def test_whatever_the_arrival_pattern_a_robot_gets_at_most_twenty_in_any_minute(gaps: list[float]) -> None:
    limiter, now, sent = RateLimiter(registry.rates()), 0.0, []
    for gap in gaps:
        now += gap
        while wait := limiter.reserve("robot", "b", "b", is_group=True, now=now):
            now += wait
        sent.append(now)
    assert _most_in_window(sent, 60.0) <= 20


def test_chats_that_went_quiet_are_forgotten_and_the_limits_still_hold() -> None:
    """Months of reminders reach thousands of chats: the limiter keeps only those that sent lately."""
    limiter, now, largest = RateLimiter(registry.rates()), 0.0, 0
    steady: list[float] = []  # one private chat that keeps sending while 10,000 others come and go
    for n in range(10_000):
        for chat in (f"member{n}", "steady"):
            while wait := limiter.reserve("telegram", "default", chat, is_group=False, now=now):
                now += wait
            if chat == "steady":
                steady.append(now)
        largest = max(largest, len(limiter))
    assert largest < 600  # never more than a few hundred buckets, not one per chat ever served
    assert _most_in_window(steady[-500:], 10.0) <= 12  # the busy chat was never forgotten mid-burst


def test_a_held_chat_is_remembered_however_many_chats_pass() -> None:
    limiter = RateLimiter(registry.rates())
    limiter.hold("robot", "default", "branch1", is_group=True, until=3600.0)
    for n in range(5_000):
        limiter.reserve("wechat", "default", f"openid{n}", is_group=False, now=n / 2)
    assert len(limiter) < 600
    assert limiter.reserve("robot", "default", "branch1", is_group=True, now=3000.0) == 600.0
