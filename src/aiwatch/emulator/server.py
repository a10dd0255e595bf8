"""Run the emulator in-process: ``with EmulatorServer(EmulatorConfig(...)) as emu: ...``.

uvicorn serves the app from a background thread on a loopback socket bound to a free port; the workspace is
the ground truth the tests compare against.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from random import Random
from typing import Any

from aiwatch.emulator import fakes
from aiwatch.emulator.faults import FaultInjector, parse_profiles
from aiwatch.emulator.ratelimit import RateLimiter
from aiwatch.emulator.risks import Label
from aiwatch.emulator.workspace import DEFAULT_RISK_RATE, Workspace, WorkspaceSpec

DEFAULT_SCOPES = ("read", "delete")


@dataclass(frozen=True)
class EmulatorConfig:
    seed: int = 7
    users: int = 5
    days: int = 3
    conversations_per_user: int = 3
    faults: tuple[str, ...] = ()
    rate_limit_scale: float = 0.0
    api_key: str | None = None  # None: a key derived from the seed
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    now: float | None = None  # reference "now" (Unix seconds); None: real time
    live: bool = False
    clean: bool = False
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port
    fault_rate: float = 0.1
    slow_seconds: float = 0.3
    retry_after_seconds: int = 1
    live_interval_seconds: float = 2.0
    live_conversations_per_tick: int = 1
    risk_rate: float = DEFAULT_RISK_RATE
    max_page_messages: int = (
        5000  # conversation pages are cut short (has_more stays true) past this many messages
    )
    extra_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)  # more keys -> their scopes


def default_api_key(seed: int) -> str:
    return "sk-proj-" + fakes.token(Random(f"{seed}:api-key"), 48)


class EmulatorServer:
    """Context manager serving an emulated workspace over real HTTP on loopback."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        from aiwatch.emulator.app import EmulatorState, create_app, redacted

        self.config = config = config or EmulatorConfig()
        self.api_key = config.api_key or default_api_key(config.seed)
        faults = parse_profiles(config.faults)
        self.workspace = Workspace(
            WorkspaceSpec(
                seed=config.seed,
                users=config.users,
                days=config.days,
                conversations_per_user=config.conversations_per_user,
                now=config.now,
                clean=config.clean,
                risk_rate=config.risk_rate,
                api_key_redacted_id=redacted(self.api_key),
                log_duplicates="duplicates" in faults,
            )
        )
        keys = {self.api_key: frozenset(config.scopes)}
        keys.update({key: frozenset(scopes) for key, scopes in config.extra_keys.items()})
        self.state = EmulatorState(
            workspace=self.workspace,
            keys=keys,
            limiter=RateLimiter(config.rate_limit_scale),
            faults=FaultInjector(
                faults,
                seed=config.seed,
                rate=config.fault_rate,
                slow_seconds=config.slow_seconds,
                retry_after_seconds=config.retry_after_seconds,
            ),
            max_page_messages=config.max_page_messages,
        )
        self.app = create_app(self.state)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._live_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.port = 0

    # identifiers -----------------------------------------------------------------------------------------
    @property
    def workspace_id(self) -> str:
        return self.workspace.workspace_id

    @property
    def chatgpt_org_id(self) -> str:
        return self.workspace.chatgpt_org_id

    @property
    def platform_org_id(self) -> str:
        return self.workspace.platform_org_id

    @property
    def labels(self) -> list[Label]:
        return self.workspace.labels

    @property
    def origin(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    @property
    def fault_counts(self) -> dict[str, int]:
        return dict(self.state.faults.counts)

    # lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> EmulatorServer:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.config.port))
        self.port = sock.getsockname()[1]
        _quiet_emulated_resets()
        uv_config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=5
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name=f"aiwatch-emulator-{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start; see the log above")
            time.sleep(0.01)
        if self.config.live:
            self._live_thread = threading.Thread(
                target=self._live_loop, daemon=True, name="aiwatch-emulator-live"
            )
            self._live_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._live_thread is not None:
            self._live_thread.join(timeout=10)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _live_loop(self) -> None:
        interval = self.config.live_interval_seconds
        while not self._stop.wait(interval):
            seconds = interval if self.workspace.clock.frozen else 0.0
            self.workspace.advance(seconds, new_conversations=self.config.live_conversations_per_tick)


class _DropEmulatedResets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, ConnectionResetError) and "emulated" in str(exc))


def _quiet_emulated_resets() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropEmulatedResets) for f in logger.filters):
        logger.addFilter(_DropEmulatedResets())
