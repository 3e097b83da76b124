"""The app factory: settings in, a wired Bolt app, database, Web API client and jobs out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, SystemClock
from bot.container import Deps
from bot.core.chat import ChatChannels, ChatDirectory
from bot.settings import Settings
from bot.slack.channels import SlackChannels, paced_channels
from bot.slack.sender import SlackDirectory, SlackWebSender, make_web_client
from bot.slack.token_watch import TokenWatch, WatchedChannels, WatchedDirectory
from bot.slack.web import RefuseUnroutablePayloads
from scheduling.deliverer import DeliveryReport, OutboxDeliverer
from scheduling.pacing import Pacer
from scheduling.ticks import TickResult, run_tick
from scheduling.workspace_guard import WorkspaceGuard
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_to_head

log = logging.getLogger(__name__)


def build_app(
    *, deps: Deps, client: WebClient, token_verification: bool = True, listener_executor: Executor | None = None
) -> App:
    """A Bolt app with every listener registered.

    `process_before_response` is on: middleware and each listener's ack run in the web
    server's request thread, and the listener's work goes to `listener_executor` afterwards
    (handlers/ack_first.py). With it off, an ack waited for a pool thread busy with earlier
    requests' Web API calls, and a burst pushed acks past Slack's 3 seconds."""
    from handlers import register_all

    app = App(
        client=client,
        signing_secret=deps.settings.slack_signing_secret or "",
        token_verification_enabled=token_verification,
        process_before_response=True,
        # Bolt verifies signatures (Socket Mode skips it); right after, before anything that
        # stores, a signed payload Bolt's routing would trip over is refused with a 400.
        request_verification_enabled=True,
        before_authorize=RefuseUnroutablePayloads(),
        ignoring_self_events_enabled=True,
        listener_executor=listener_executor,
    )
    register_all(app, deps)
    return app


@dataclass
class Runtime:
    """Everything one process needs, built lazily so `db upgrade` never touches Slack."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    engine_override: Engine | None = None
    # Tests pass an executor they can wait on; production uses Bolt's thread pool.
    listener_executor: Executor | None = None

    @cached_property
    def engine(self) -> Engine:
        return self.engine_override or make_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def deps(self) -> Deps:
        return Deps(settings=self.settings, session_factory=self.session_factory, clock=self.clock)

    @cached_property
    def client(self) -> WebClient:
        return make_web_client(token=self.settings.slack_bot_token or "", base_url=self.settings.slack_api_base_url)

    @cached_property
    def bolt_app(self) -> App:
        return build_app(deps=self.deps, client=self.client, listener_executor=self.listener_executor)

    @cached_property
    def deliverer(self) -> OutboxDeliverer:
        return OutboxDeliverer(
            session_factory=self.session_factory, sender=SlackWebSender(self.client), clock=self.clock, pacer=Pacer()
        )

    def upgrade_database(self) -> None:
        upgrade_to_head(self.engine)

    @cached_property
    def directory(self) -> ChatDirectory | None:
        """Slack's user directory, when a token lets us read it."""
        return WatchedDirectory(SlackDirectory(self.client), self.token_watch) if self.settings.slack_bot_token else None

    @cached_property
    def channels(self) -> ChatChannels | None:
        """Creating and joining pair channels now, when a token lets us."""
        if not self.settings.slack_bot_token:
            return None
        # Paced across ticks (one pacer for the runtime): tier 2's 20 creates a minute.
        return WatchedChannels(paced_channels(SlackChannels(self.client)), self.token_watch)

    @cached_property
    def token_watch(self) -> TokenWatch:
        return TokenWatch()

    @cached_property
    def workspace_guard(self) -> WorkspaceGuard:
        return WorkspaceGuard(session_factory=self.session_factory, sender=SlackWebSender(self.client), clock=self.clock)

    def tick(self, *, now: datetime | None = None, dry_run: bool = False, list_due: bool = True) -> TickResult:
        # Uninstalled or token revoked: the jobs that call Slack now get no ports, so they skip
        # (the rest only queue, and the queue waits); auth.test is asked every few minutes.
        stopped = not dry_run and bool(self.settings.slack_bot_token) and self.workspace_guard.probe_if_due()
        result = run_tick(
            session_factory=self.session_factory, now=now or self.clock.now(), dry_run=dry_run,
            directory=None if stopped else self.directory, channels=None if dry_run or stopped else self.channels,
            list_due=list_due,
        )
        if self.token_watch.take() is not None and not stopped:
            self.workspace_guard.check_token()  # a job met a dead token: confirmed, sending stops too
        return result

    def deliver(self, *, should_stop: Callable[[], bool] | None = None, budget_seconds: float | None = None) -> DeliveryReport:
        """Once through what is due now; with a `budget_seconds` (the worker's run) it keeps
        going while anything is due soon, until the budget is spent or `should_stop`."""
        if budget_seconds is None:
            report = self.deliverer.deliver_due()
        else:
            report = self.deliverer.deliver_while_due(
                budget_seconds=budget_seconds, should_stop=should_stop or (lambda: False)
            )
        if report.handled:
            log.info(
                "outbox: %d sent, %d to retry, %d rate-limited, %d failed",
                report.sent, report.retried, report.rate_limited, report.failed,
            )
        return report
