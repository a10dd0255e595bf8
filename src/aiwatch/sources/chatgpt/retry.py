"""Retry timing: exponential backoff with full jitter, and ``Retry-After`` parsing (seconds or HTTP date)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` retries after the first attempt; delays grow ``base_delay * 2**retry`` up to
    ``max_delay``.

    Full jitter (a uniform draw between 0 and the cap) spreads clients that failed together. A server's
    ``Retry-After`` wins over the computed delay, capped at ``max_retry_after`` so a bogus value cannot
    stall a
    sync for hours.
    """

    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("retry settings must not be negative")

    def backoff_cap(self, retry: int) -> float:
        """The upper bound of the jittered delay before retry number ``retry`` (0 = first retry)."""
        return min(self.max_delay, self.base_delay * (2 ** min(retry, 62)))

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return rng.uniform(0.0, self.backoff_cap(retry))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None when
    absent/invalid."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return seconds if seconds >= 0 and seconds == seconds and seconds != float("inf") else None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)
