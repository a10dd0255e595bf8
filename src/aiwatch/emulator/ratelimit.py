"""The documented rate limits: 50 requests/min per list endpoint per key, 100/min for everything else."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

LIST_LIMIT_PER_MINUTE = 50
SINGLE_LIMIT_PER_MINUTE = 100


class RateLimiter:
    """Token buckets per (key, endpoint). ``scale`` multiplies the limits; 0 disables limiting."""

    def __init__(self, scale: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if scale < 0:
            raise ValueError("rate limit scale must be >= 0")
        self.scale = scale
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # -> (tokens, last refill)
        self._rejections = 0
        self._lock = threading.Lock()

    def check(self, key: str, endpoint: str, per_minute: int) -> tuple[bool, str | None]:
        """(allowed, Retry-After value or None). Every other rejection omits Retry-After: it is not "
        "guaranteed."""
        if self.scale == 0:
            return True, None
        capacity = max(1.0, per_minute * self.scale)
        rate = capacity / 60.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get((key, endpoint), (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[(key, endpoint)] = (tokens - 1.0, now)
                return True, None
            self._buckets[(key, endpoint)] = (tokens, now)
            self._rejections += 1
            wait = max(1, math.ceil((1.0 - tokens) / rate))
            return False, (str(wait) if self._rejections % 2 else None)
