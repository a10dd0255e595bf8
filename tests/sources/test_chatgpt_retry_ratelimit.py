"""Backoff math, Retry-After parsing and the token-bucket rate limiter (fake clocks, no real waiting)."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from aiwatch.sources.chatgpt import RateLimits, RetryPolicy, parse_retry_after
from aiwatch.sources.chatgpt.ratelimit import EndpointKind, RateLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_backoff_caps_grow_exponentially_and_stop_at_max() -> None:
    policy = RetryPolicy(max_retries=10, base_delay=0.5, max_delay=8.0)
    assert [policy.backoff_cap(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert policy.backoff_cap(10_000) == 8.0


def test_full_jitter_stays_within_cap_and_varies() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    rng = random.Random(3)
    delays = [policy.delay(3, rng) for _ in range(200)]
    assert all(0.0 <= delay <= 8.0 for delay in delays)
    assert len({round(delay, 6) for delay in delays}) > 150  # jittered, not constant


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    rng = random.Random(0)
    assert policy.delay(0, rng, retry_after=7.0) == 7.0
    assert policy.delay(0, rng, retry_after=86400.0) == 60.0
    assert policy.delay(0, rng, retry_after=-5.0) == 0.0


def test_negative_retry_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("5", 5.0), (" 2.5 ", 2.5), ("0", 0.0), ("-3", None), ("", None), (None, None), ("soon", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == pytest.approx(42.0)
    earlier = format_datetime(now - timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(earlier, now=now.timestamp()) == 0.0
    assert parse_retry_after("Mon, 99 Foo 2025 99:99:99 GMT") is None
    assert parse_retry_after("inf") is None and parse_retry_after("nan") is None


def test_token_bucket_allows_burst_then_paces() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1.0, capacity=3, clock=clock)
    waits = [bucket.reserve() for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(1.0) and waits[4] == pytest.approx(2.0)
    clock.now += 10
    assert bucket.reserve() == 0.0  # refilled (capped at capacity)


def test_rate_limiter_per_endpoint_and_scaled() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(list_per_minute=60, burst_seconds=1), clock=clock, sleep=clock.sleep)
    limiter.acquire("GET /users", EndpointKind.LIST)
    limiter.acquire("GET /users", EndpointKind.LIST)
    assert clock.slept == [pytest.approx(1.0)]
    limiter.acquire("GET /gpts", EndpointKind.LIST)  # its own bucket: no wait
    assert len(clock.slept) == 1

    fast = RateLimits(list_per_minute=60, scale=10)
    assert fast.per_second(EndpointKind.LIST) == pytest.approx(10.0)
    assert RateLimits().per_second(EndpointKind.OBJECT) == pytest.approx(100 / 60)
    with pytest.raises(ValueError):
        RateLimits(scale=0)


def test_rate_limiter_is_thread_safe_and_never_over_admits() -> None:
    clock = FakeClock()
    lock = threading.Lock()
    waits: list[float] = []
    bucket = TokenBucket(rate=10.0, capacity=5, clock=clock)

    def worker() -> None:
        for _ in range(50):
            wait = bucket.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 400 reservations at a frozen clock: 5 free, the rest queued 0.1 s apart, each slot handed out once.
    assert len(waits) == 400
    assert sorted(round(wait, 6) for wait in waits) == [
        round(max(0.0, (n - 4) / 10.0), 6) if n >= 5 else 0.0 for n in range(400)
    ]
