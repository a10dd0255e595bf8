"""The console served from a background thread (``aiwatch demo``, tests): uvicorn on a loopback port."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

from aiwatch.config import Settings


class BackgroundConsole:
    """uvicorn in a daemon thread; ``start`` returns the base URL once it listens, ``stop`` waits for it."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, name="aiwatch-console", daemon=True)

    def start(self, timeout: float = 30.0) -> str:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise OSError("the console could not start (is the port already in use?)")
            if time.monotonic() > deadline:
                raise OSError("the console did not start in time")
            time.sleep(0.02)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self, timeout: float = 30.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


DEMO_ACCOUNT = "demo"


def start_demo_console(
    settings: Settings, *, port: int, open_browser: bool = False
) -> tuple[BackgroundConsole, str, str]:
    """The console for ``aiwatch demo``: serves on 127.0.0.1:``port`` and (re)sets the password of the admin
    account ``demo`` so the demo can print a working login. Returns the server, its URL and that password."""
    from aiwatch.web.accounts import AccountError, Role, generate_password
    from aiwatch.web.app import create_app

    app = create_app(settings)
    accounts = app.state.accounts
    password = generate_password()
    try:
        accounts.create_user(DEMO_ACCOUNT, password, Role.ADMIN)
    except AccountError:  # an earlier demo created it: new password, admin again
        accounts.reset_password(DEMO_ACCOUNT, password)
        accounts.set_role(DEMO_ACCOUNT, Role.ADMIN)
    app.state.audit.record("aiwatch demo", "user.reset_password", DEMO_ACCOUNT)
    console = BackgroundConsole(app, port=port)
    url = console.start()
    if open_browser:
        import webbrowser

        webbrowser.open(url + "/login")
    return console, url, password
