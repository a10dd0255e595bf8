"""Client-side rate limiting: one token bucket per endpoint, sized from the documented limits.

Documented: 50 requests/min per list endpoint per key; 100/min for single objects, deletes and files. Staying
under them avoids 429 storms instead of only recovering from them. Thread-safe: a caller reserves its token
under
the lock (the bucket may go negative) and sleeps outside it, so waiters are served in arrival order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class EndpointKind(StrEnum):
    LIST = "list"
    OBJECT = "object"  # single objects, deletes and file content


@dataclass(frozen=True)
class RateLimits:
    """Requests per minute per endpoint. ``scale`` > 1 loosens (10 = ten times more), < 1 tightens.

    ``burst_seconds`` is how many seconds' worth of requests may go out back to back after an idle period.
    """

    list_per_minute: float = 50.0
    object_per_minute: float = 100.0
    scale: float = 1.0
    burst_seconds: float = 6.0

    def __post_init__(self) -> None:
        if self.scale <= 0 or self.list_per_minute <= 0 or self.object_per_minute <= 0:
            raise ValueError("rate limits and scale must be positive; pass rate_limits=None to disable")
        if self.burst_seconds <= 0:
            raise ValueError("burst_seconds must be positive")

    def per_second(self, kind: EndpointKind) -> float:
        per_minute = self.list_per_minute if kind is EndpointKind.LIST else self.object_per_minute
        return per_minute * self.scale / 60.0


class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` saved up."""

    def __init__(self, rate: float, capacity: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be positive and capacity at least 1")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token; return how many seconds the caller must wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class RateLimiter:
    """Token buckets keyed by endpoint (method + path template), created on first use."""

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, endpoint: str, kind: EndpointKind) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(endpoint)
            if bucket is None:
                rate = self.limits.per_second(kind)
                bucket = TokenBucket(rate, max(1.0, rate * self.limits.burst_seconds), clock=self._clock)
                self._buckets[endpoint] = bucket
            return bucket

    def acquire(self, endpoint: str, kind: EndpointKind) -> float:
        """Block until a request to ``endpoint`` may go out; returns the seconds waited."""
        wait = self.bucket(endpoint, kind).reserve()
        if wait > 0:
            self._sleep(wait)
        return wait
