"""The real app on loopback against the sandbox: what scenario tests and `mentorbot demo` drive.

Bolt acknowledges first and runs listeners in a thread pool, exactly as in production.
The harness gives Bolt an executor it can wait on, so a test (or the demo transcript)
sees the listener's Web API calls before it asserts on them.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from bot.clock import FixedClock
from bot.sandbox.driver import DriverResponse, SlackDriver
from bot.sandbox.server import SlackSandbox
from bot.settings import Settings
from bot.slack.app import Runtime
from bot.slack.server import HttpServer
from bot.slack.web import EVENTS_PATH, SlackHttpApp
from scheduling.deliverer import DeliveryReport, OutboxDeliverer
from scheduling.pacing import Pacer
from scheduling.ticks import TickResult

SIGNING_SECRET = "sandbox-signing-secret"
# OAuth mode (many workspaces): the app's credentials, as the sandbox's Slack knows them too.
OAUTH_CLIENT_ID = "1111.2222"
OAUTH_CLIENT_SECRET = "sandbox-client-secret"
OAUTH_STATE_SECRET = "sandbox-state-secret-long-enough"


class TrackingExecutor(ThreadPoolExecutor):
    """A thread pool that can report when every submitted listener has finished."""

    def __init__(self, max_workers: int = 4) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="bolt-listener")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until listeners (and any they started) are done; raise if one is stuck."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            for future in pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(pending)} Bolt listener(s) still running after {timeout}s")
                future.exception(timeout=remaining)


class NoWaitPacer(Pacer):
    """Pacing that books turns but never sleeps nor sets a row aside: the sandbox does not
    rate-limit by default, and a scenario's fixed clock would never reach a deferred row."""

    def __init__(self) -> None:
        super().__init__(sleep=lambda _seconds: None)

    def free_in(self, *, method: str, channel: str | None, ahead: int = 0) -> float:
        return 0.0


class SandboxedApp:
    """The sandbox, the real WSGI app under waitress, and a driver pointed at it."""

    def __init__(
        self,
        *,
        database_url: str | None = None,
        engine: Engine | None = None,
        clock: FixedClock | None = None,
        admin_user_ids: tuple[str, ...] = (),
        enforce_rate_limits: bool = False,
        oauth: bool = False,
    ) -> None:
        """`oauth=True`: OAuth mode, no SLACK_BOT_TOKEN; workspaces (the sandbox's own and
        any `sandbox.add_workspace` adds) install the app through /slack/install."""
        self.sandbox = SlackSandbox(enforce_rate_limits=enforce_rate_limits).start()
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        if database_url is None and engine is None:
            # In-memory SQLite is one database per connection; threads need a shared file.
            self._scratch = tempfile.TemporaryDirectory(prefix="mentorbot-sandbox-")
            database_url = f"sqlite:///{self._scratch.name}/mentorbot.db"
        # A fixed clock: the demo and the scenario tests move time themselves (clock.set).
        self.clock = clock or FixedClock(datetime.now().astimezone())
        environ = {
            **({"SLACK_CLIENT_ID": OAUTH_CLIENT_ID, "SLACK_CLIENT_SECRET": OAUTH_CLIENT_SECRET,
                "SLACK_STATE_SECRET": OAUTH_STATE_SECRET} if oauth else {"SLACK_BOT_TOKEN": self.sandbox.bot_token}),
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": self.sandbox.base_url,
            "DATABASE_URL": database_url or "sqlite://",  # unused when an engine is given
            "MENTORBOT_ADMINS": ",".join(admin_user_ids),
        }
        self.settings = Settings.from_env(environ)
        self.executor = TrackingExecutor()
        self.runtime = Runtime(
            settings=self.settings, clock=self.clock, engine_override=engine, listener_executor=self.executor
        )
        self.runtime.upgrade_database()
        wsgi = SlackHttpApp(bolt_app=self.runtime.bolt_app, engine=self.runtime.engine)
        self.server = HttpServer(wsgi, host="127.0.0.1", port=0).start_in_background()
        self.driver = self.driver_for(self.sandbox)
        if oauth:
            self.sandbox.set_oauth_app(client_id=OAUTH_CLIENT_ID, client_secret=OAUTH_CLIENT_SECRET,
                                       redirect_url=f"{self.server.url}/slack/oauth_redirect")
        self.deliverer = OutboxDeliverer(
            session_factory=self.runtime.session_factory,
            # The real Slack adapter, pointed at the sandbox: the one token, or each row's workspace's.
            sender=None if oauth else self.runtime.deliverer._sender,
            sender_for_team=self.runtime.workspace_clients.sender if oauth else None,
            clock=self.clock,
            pacer=NoWaitPacer(),
        )
        self.sandbox.reset_calls()  # start-up's auth.test is not what a test asks about

    def driver_for(self, workspace: SlackSandbox) -> SlackDriver:
        """Signed requests from one of the sandbox's workspaces (`sandbox.add_workspace`)."""
        return SlackDriver(app_url=f"{self.server.url}{EVENTS_PATH}", signing_secret=SIGNING_SECRET,
                           sandbox=workspace, team_id=workspace.team_id, team_domain=workspace.team_domain)

    def settle(self) -> None:
        """Wait until every listener started by the last requests has finished."""
        self.executor.wait_idle()

    def slash(self, user_id: str, command: str, text: str = "", **kwargs: Any) -> DriverResponse:
        response = self.driver.slash_command(user_id=user_id, command=command, text=text, **kwargs)
        self.settle()
        return response

    def click(self, user_id: str, action_id: str, **kwargs: Any) -> DriverResponse:
        response = self.driver.block_action(user_id=user_id, action_id=action_id, **kwargs)
        self.settle()
        return response

    def submit(self, user_id: str, callback_id: str, values: dict[str, Any], **kwargs: Any) -> DriverResponse:
        response = self.driver.view_submission(user_id=user_id, callback_id=callback_id, values=values, **kwargs)
        self.settle()
        return response

    def event(self, event: dict[str, Any], **kwargs: Any) -> DriverResponse:
        response = self.driver.event(event, **kwargs)
        self.settle()
        return response

    def tick(self, *, now: datetime | None = None, dry_run: bool = False) -> TickResult:
        return self.runtime.tick(now=now or self.clock.now(), dry_run=dry_run)

    def deliver(self) -> DeliveryReport:
        return self.deliverer.deliver_due()

    def tick_and_deliver(self, *, now: datetime | None = None) -> DeliveryReport:
        if now is not None:
            self.clock.set(now)
        self.tick(now=now)
        return self.deliver()

    def close(self) -> None:
        self.server.close()
        self.executor.shutdown(wait=True)
        self.sandbox.stop()
        self.runtime.engine.dispose()
        if self._scratch is not None:
            self._scratch.cleanup()

    def __enter__(self) -> SandboxedApp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
