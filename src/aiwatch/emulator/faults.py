"""Fault injection: rate-limit storms, 5xx bursts, slowness, dropped connections, truncated JSON, duplicates,
expired URLs. Deterministic for a seed and a request sequence; never loses data for a client that retries
(bursts are bounded and followed by a quiet period, truncation is always detectable)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from random import Random
from typing import Any

PROFILES = ("429-storm", "5xx-burst", "slow", "reset", "truncated-json", "duplicates", "expired-urls")
_BURST = {"429-storm": 4, "5xx-burst": 3}
_QUIET_AFTER_BURST = 6


def parse_profiles(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if not value:
        return ()
    items = [p.strip() for p in value.split(",")] if isinstance(value, str) else [p.strip() for p in value]
    unknown = [p for p in items if p and p not in PROFILES]
    if unknown:
        raise ValueError(f"unknown fault profile(s) {', '.join(unknown)}; choose from {', '.join(PROFILES)}")
    return tuple(p for p in items if p)


@dataclass(slots=True)
class FaultDecision:
    status: int | None = None
    retry_after: str | None = None
    reset: bool = False
    truncate: bool = False
    delay: float = 0.0
    duplicates: bool = False
    expired_urls: bool = False


class FaultInjector:
    def __init__(
        self,
        profiles: tuple[str, ...],
        *,
        seed: int,
        rate: float = 0.1,
        slow_seconds: float = 0.3,
        retry_after_seconds: int = 1,
    ) -> None:
        self.profiles = frozenset(profiles)
        self.rate = rate
        self.slow_seconds = slow_seconds
        self.retry_after_seconds = retry_after_seconds
        self._rng = Random(f"{seed}:faults")
        self._lock = threading.Lock()
        self._burst: dict[str, int] = {}
        self._quiet: dict[str, int] = {}
        self.counts: dict[str, int] = dict.fromkeys(PROFILES, 0)

    def decide(self) -> FaultDecision:
        decision = FaultDecision()
        if not self.profiles:
            return decision
        with self._lock:
            for profile in ("429-storm", "5xx-burst"):
                if profile not in self.profiles or decision.status is not None:
                    continue
                if self._burst.get(profile, 0) > 0:
                    self._burst[profile] -= 1
                    if self._burst[profile] == 0:
                        self._quiet[profile] = _QUIET_AFTER_BURST
                elif self._quiet.get(profile, 0) > 0:
                    self._quiet[profile] -= 1
                    continue
                elif self._rng.random() < self.rate:
                    self._burst[profile] = _BURST[profile] - 1
                    if self._burst[profile] == 0:
                        self._quiet[profile] = _QUIET_AFTER_BURST
                else:
                    continue
                self.counts[profile] += 1
                if profile == "429-storm":
                    decision.status = 429
                    decision.retry_after = str(self.retry_after_seconds) if self._rng.random() < 0.5 else None
                else:
                    decision.status = self._rng.choice((500, 502, 503))
            if decision.status is None:
                decision.reset = self._roll("reset")
                decision.truncate = not decision.reset and self._roll("truncated-json")
            if self._roll("slow"):
                decision.delay = self.slow_seconds * (0.5 + self._rng.random())
            decision.duplicates = self._roll("duplicates")
            decision.expired_urls = self._roll("expired-urls")
        return decision

    def _roll(self, profile: str) -> bool:
        if profile in self.profiles and self._rng.random() < self.rate:
            self.counts[profile] += 1
            return True
        return False


class FaultMiddleware:
    """Pure ASGI middleware: applies a decision to every API and download request."""

    def __init__(self, app: Any, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        decision = self.injector.decide()
        scope.setdefault("state", {})["faults"] = decision
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.status is not None:
            body = (
                b'{"detail":"Too Many Requests"}'
                if decision.status == 429
                else b'{"detail":"upstream error"}'
            )
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            if decision.retry_after is not None:
                headers.append((b"retry-after", decision.retry_after.encode()))
            await send({"type": "http.response.start", "status": decision.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if not (decision.reset or decision.truncate):
            await self.app(scope, receive, send)
            return
        captured: dict[str, Any] = {"start": None, "body": b""}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["start"] = message
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        await self.app(scope, receive, capture)
        start, body = captured["start"], captured["body"]
        if start is None:
            return
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        is_json = any(
            k.lower() == b"content-type" and v.split(b";")[0].strip() == b"application/json"
            for k, v in headers
        )
        if decision.truncate and is_json and start["status"] == 200 and len(body) > 2:
            body = body[: max(1, len(body) // 2)]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": start["status"], "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if decision.reset and len(body) > 1:
            # Announce the full length, send half, then drop the connection: the client sees a broken read.
            headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": start["status"], "headers": headers})
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise ConnectionResetError("emulated connection reset")
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body})
