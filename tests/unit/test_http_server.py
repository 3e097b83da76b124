"""Stopping the HTTP server never raises, however far its loop has got in shutting down."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bot.slack.server import HttpServer


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def test_close_returns_at_once_and_the_thread_ends() -> None:
    server = HttpServer(_app, host="127.0.0.1", port=0).start_in_background()
    server.close()
    assert server._thread is not None and not server._thread.is_alive()


def test_close_after_the_loop_lost_its_trigger_does_not_raise() -> None:
    """CI once saw EBADF here: the loop had already closed waitress's trigger when the test's
    teardown tried to wake it through it."""
    server = HttpServer(_app, host="127.0.0.1", port=0).start_in_background()
    server._server.trigger.close()  # what a loop on its way out does
    server.close()  # must not raise OSError
    assert server._thread is not None
    server._thread.join(timeout=5)
    assert not server._thread.is_alive()
