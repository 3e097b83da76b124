"""Serving the WSGI app with waitress: a production server, not Bolt's development one."""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
from collections.abc import Callable
from typing import Any

from waitress.server import create_server

log = logging.getLogger(__name__)


class PortInUseError(Exception):
    """The port is taken; the message is one line naming it."""


class HttpServer:
    def __init__(self, wsgi_app: Callable[..., Any], *, host: str, port: int, threads: int = 8) -> None:
        try:
            self._server = create_server(wsgi_app, host=host, port=port, threads=threads, ident="mentorbot")
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUseError(
                    f"cannot listen on {host}:{port}: {exc.strerror.lower() if exc.strerror else exc}; "
                    "set PORT to a free port"
                ) from None
            raise
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    @property
    def host(self) -> str:
        return str(self._server.effective_host)  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def serve_forever(self) -> None:
        self._server.run()

    def start_in_background(self) -> HttpServer:
        self._thread = threading.Thread(target=self._run_quietly, name="mentorbot-http", daemon=True)
        self._thread.start()
        return self

    def _run_quietly(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # closed under our feet at shutdown
            self._server.run()

    def close(self) -> None:
        """Stop listening and let the serving thread end.

        A running loop is asked (through waitress's trigger) to close the server itself: it
        wakes at once and, with nothing left to watch, returns. Closing from this thread
        instead leaves it asleep in select() until its 1-second timeout, a second per test."""
        asked_the_loop = False
        if self._thread is not None and self._thread.is_alive():
            try:
                self._server.trigger.pull_trigger(self._server.close)  # type: ignore[union-attr]
                asked_the_loop = True
            except (OSError, ValueError):
                # The loop is already on its way out and has closed its trigger (EBADF): close
                # from here instead; there is nothing left to wake.
                pass
        if not asked_the_loop:
            with contextlib.suppress(OSError, ValueError):
                self._server.close()
        self._server.task_dispatcher.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HttpServer:
        return self.start_in_background()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
