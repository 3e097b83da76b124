"""The sandbox served from a child process, so that what a benchmark measures is the bot alone.

A :class:`SlackSandbox` started in the benchmark's own interpreter answers every call with
that interpreter's CPU: its HTTP server, JSON parsing and rate limiter then compete with the
deliverer (or the load generator) for one GIL, which production never does (Slack's servers
are not in the bot's process). :class:`SandboxProcess` starts the same sandbox class, with
the same options, in a fresh interpreter (``multiprocessing``'s *spawn*, so nothing of the
parent is inherited) listening on a loopback port, and forwards every public method and
attribute over a pipe: seeding (``add_user``, ``add_channel``) and reading the record back
(``calls``, ``messages_in``, ...) happen in the child, so every count a benchmark reports comes
from the sandbox that served the calls.

    with SandboxProcess(enforce_rate_limits=True, latency_seconds=0.15) as slack:
        slack.add_channel(name="general", members=(slack.bot_user_id,))
        client = WebClient(token=slack.bot_token, base_url=slack.base_url)
        ...
        posts = slack.calls_to("chat.postMessage")   # RecordedCall copies from the child

Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any

from .server import SlackSandbox


def _serve(connection: Connection, sandbox_class: type[SlackSandbox], options: dict[str, Any]) -> None:
    """The child: start the sandbox, then answer the parent's requests until it says stop."""
    sandbox = sandbox_class(**options).start()
    connection.send(("ok", None))
    try:
        while True:
            try:
                request = connection.recv()
            except EOFError:  # the parent went away
                return
            if request is None:
                return
            name, args, kwargs = request
            try:
                value = getattr(sandbox, name)
                result = value(*args, **kwargs) if callable(value) else value
            except Exception as error:  # noqa: BLE001 - any failure is the caller's: raised in the parent
                connection.send(("error", error))
            else:
                connection.send(("ok", result))
    finally:
        sandbox.stop()


class SandboxProcess:
    """A :class:`SlackSandbox` (or a subclass, ``sandbox_class``) running in a child process.

    Stands in for the sandbox object: attribute reads and method calls are forwarded to the
    child and answered with copies (pickled), one at a time (a lock keeps the pipe's requests
    and answers paired when several threads use it, as the driver's load threads do).
    Private names are not forwarded. :attr:`pid` is the child's, for reading its CPU time.
    """

    def __init__(self, *, sandbox_class: type[SlackSandbox] = SlackSandbox, **options: Any) -> None:
        self._sandbox_class = sandbox_class
        self._options = options
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> SandboxProcess:
        """Start the child and wait until its sandbox listens."""
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_serve, args=(child_end, self._sandbox_class, self._options),
                                  name="slack-sandbox", daemon=True)
        process.start()
        child_end.close()
        self._connection, self._process = parent_end, process
        if not parent_end.poll(60):
            self.stop()
            raise RuntimeError("the sandbox process did not start within 60 s")
        try:
            parent_end.recv()
        except EOFError:
            self.stop()
            raise RuntimeError("the sandbox process exited before it listened (see its traceback above)") from None
        return self

    def stop(self) -> None:
        """Stop the child's server and the child (safe to call twice)."""
        connection, process = self._connection, self._process
        self._connection, self._process = None, None
        if connection is not None:
            with contextlib.suppress(OSError):  # the child may be gone already
                connection.send(None)
            connection.close()
        if process is not None:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        if self._process is None or self._process.pid is None:
            raise RuntimeError("the sandbox process is not running")
        return self._process.pid

    def _request(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._connection is None:
            raise RuntimeError("the sandbox process is not running; call start() first")
        with self._lock:
            self._connection.send((name, args, kwargs))
            status, result = self._connection.recv()
        if status == "error":
            raise result
        return result

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        member = getattr(self._sandbox_class, name, None)
        if callable(member):
            return lambda *args, **kwargs: self._request(name, args, kwargs)
        # An attribute or a property: read it in the child now.
        return self._request(name, (), {})
