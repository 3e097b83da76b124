"""The app factory: settings in, a wired Bolt app, database, Web API client and jobs out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, SystemClock
from bot.container import Deps
from bot.core.chat import ChatChannels, ChatDirectory
from bot.core.workspace import UNASSIGNED, Workspace, adopt_unassigned, resume_sending
from bot.settings import Settings
from bot.slack.channels import SlackChannels, paced_channels
from bot.slack.clients import WorkspaceClients
from bot.slack.sender import SlackDirectory, SlackWebSender, make_web_client
from bot.slack.token_watch import TokenWatch, WatchedChannels, WatchedDirectory
from bot.slack.web import RefuseUnroutablePayloads
from scheduling.deliverer import DeliveryReport, OutboxDeliverer
from scheduling.pacing import Pacer
from scheduling.ticks import TickResult, run_tick, workspace_slack_jobs
from scheduling.workspace_guard import WorkspaceGuard
from storage.db import make_engine, make_session_factory, unit_of_work
from storage.migrate import upgrade_to_head
from storage.models import Programme

if TYPE_CHECKING:
    from slack_bolt.authorization.authorize import Authorize
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.installation_store import InstallationStore

log = logging.getLogger(__name__)


def build_app(
    *, deps: Deps, client: WebClient, token_verification: bool = True, listener_executor: Executor | None = None,
    oauth_settings: OAuthSettings | None = None, authorize: Authorize | None = None,
) -> App:
    """A Bolt app with every listener registered.

    `process_before_response` is on: middleware and each listener's ack run in the web
    server's request thread, and the listener's work goes to `listener_executor` afterwards
    (handlers/ack_first.py). With it off, an ack waited for a pool thread busy with earlier
    requests' Web API calls, and a burst pushed acks past Slack's 3 seconds.

    With `oauth_settings` (OAuth mode) Bolt also answers GET /slack/install and
    /slack/oauth_redirect, and `authorize` gives each request its team's bot token."""
    from handlers import register_all
    from handlers.ack_first import after_ack_executor
    if oauth_settings is not None:
        from bot.slack.oauth import oauth_flow

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
        # Not Bolt's 5 threads: the follow-ups of 200 requests/s each wait ~150 ms for Slack.
        listener_executor=listener_executor or after_ack_executor(),
        oauth_flow=oauth_flow(oauth_settings) if oauth_settings is not None else None,
        authorize=authorize,  # type: ignore[arg-type]  # an Authorize is taken as is (App checks isinstance)
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
    # OAuth mode: each workspace's paced channel port, with the client it was built on.
    _team_channels: dict[str, tuple[WebClient, ChatChannels]] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return self.engine_override or make_engine(self.settings.database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def deps(self) -> Deps:
        return Deps(settings=self.settings, session_factory=self.session_factory, clock=self.clock,
                    delete_installation=self.delete_installation if self.settings.oauth else None)

    @cached_property
    def client(self) -> WebClient:
        """Token mode: the client with the one bot token. OAuth mode: a client without a
        token, which Bolt copies for each request with its team's token."""
        token = None if self.settings.oauth else self.settings.slack_bot_token or ""
        return make_web_client(token=token, base_url=self.settings.slack_api_base_url)

    @cached_property
    def installation_store(self) -> InstallationStore | None:
        """OAuth mode: slack_sdk's SQLAlchemy store on the bot's own database (imported only
        here: it pulls sqlalchemy.ext.asyncio, which a token-mode `serve` never loads)."""
        if not self.settings.oauth:
            return None
        from bot.slack.oauth import installation_store

        return installation_store(self.settings, self.engine)

    @cached_property
    def workspace_clients(self) -> WorkspaceClients:
        """The one place that answers "the WebClient for team T" outside a request."""
        base_url = self.settings.slack_api_base_url
        if self.installation_store is None:
            return WorkspaceClients(base_url=base_url, client=self.client)
        return WorkspaceClients(base_url=base_url, installation_store=self.installation_store)

    def resume_installed(self, team_id: str) -> int:
        """A workspace installed the app (again): sending there resumes."""
        with unit_of_work(self.session_factory) as session:
            return resume_sending(session, now=self.clock.now(), team_id=team_id)

    def delete_installation(self, team_id: str, event_time: float | None = None) -> bool:
        """OAuth mode, after `app_uninstalled` or a revoked bot token: the team's stored
        tokens go, so nothing (request or worker) uses them until it installs again.

        An event Slack delivers late (it retries for minutes when an answer failed) may come
        after the workspace installed again: an installation saved after `event_time` is
        kept, and False returned."""
        store = self.installation_store
        if store is None or not team_id:
            return False
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        # Slack's event_time is whole seconds (rounded down): only an install a full second
        # after it is surely a new one.
        if bot is not None and event_time is not None and bot.installed_at >= event_time + 1:
            log.info("workspace %s installed again after the event that uninstalled it: kept", team_id)
            return False
        store.delete_bot(enterprise_id=None, team_id=team_id)
        store.delete_installation(enterprise_id=None, team_id=team_id)
        self.workspace_clients.forget(team_id)
        return True

    @cached_property
    def bolt_app(self) -> App:
        if self.installation_store is None:
            return build_app(deps=self.deps, client=self.client, listener_executor=self.listener_executor)
        from bot.slack.oauth import authorize, oauth_settings

        return build_app(
            deps=self.deps, client=self.client, listener_executor=self.listener_executor,
            oauth_settings=oauth_settings(settings=self.settings, engine=self.engine, store=self.installation_store,
                                          resume_sending=self.resume_installed),
            authorize=authorize(self.settings, self.installation_store),
        )

    @cached_property
    def deliverer(self) -> OutboxDeliverer:
        if self.settings.oauth:  # each row with its workspace's token
            return OutboxDeliverer(session_factory=self.session_factory, sender_for_team=self.workspace_clients.sender,
                                   clock=self.clock, pacer=Pacer())
        return OutboxDeliverer(
            session_factory=self.session_factory, sender=SlackWebSender(self.client), clock=self.clock, pacer=Pacer()
        )

    def upgrade_database(self) -> None:
        upgrade_to_head(self.engine)

    def adopt_unassigned_rows(self) -> str | None:
        """Token mode, at `serve` and `worker` start: ask Slack once which workspace the token
        is for, and make the rows created before the bot knew it (by the CLI: team '') that
        workspace's own. Returns the team id, or None when there is nothing to ask (OAuth
        mode, where every row names its workspace) or Slack did not answer (tried again at
        the next start; token mode's workspace owns '' rows meanwhile anyway)."""
        if self.settings.oauth or not self.settings.slack_bot_token:
            return None
        try:
            team_id = self.client.auth_test().get("team_id")
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("could not ask Slack which workspace the bot token is for (%s); rows made before it was "
                        "known stay unassigned until the next start", type(exc).__name__)
            return None
        if not isinstance(team_id, str) or not team_id:
            return None
        with unit_of_work(self.session_factory) as session:
            adopted = adopt_unassigned(session, team_id=team_id)
        if adopted:
            log.info("workspace %s adopted %d programme(s) made before the bot knew its team", team_id, adopted)
        return team_id

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
        if self.settings.oauth:
            return WorkspaceGuard(session_factory=self.session_factory, sender=None, clock=self.clock,
                                  sender_for_team=self.workspace_clients.sender)
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
        if self.settings.oauth and not dry_run:
            self._tick_each_workspace(result)
        return result

    def _tick_each_workspace(self, result: TickResult) -> None:
        """OAuth mode: the tick's own run had no ports (no one token), so its Slack jobs
        skipped; here they run once per workspace with programmes, for that workspace's rows
        only and with its token. A stopped workspace (uninstalled, token dead) is skipped,
        after the per-team auth.test re-check; one not installed yet is skipped too."""
        guard = self.workspace_guard
        guard.probe_if_due()
        with unit_of_work(self.session_factory) as session:
            teams = set(session.scalars(select(Programme.team_id).where(Programme.team_id != UNASSIGNED).distinct()))
        for team in sorted(teams - guard.stopped_teams):
            client = self.workspace_clients.client(team)
            if client is None:
                continue  # not installed: its people are looked up once it is
            watch = TokenWatch()
            part = run_tick(
                session_factory=self.session_factory, now=result.now, jobs=workspace_slack_jobs(Workspace(team_id=team)),
                directory=WatchedDirectory(SlackDirectory(client), watch),
                channels=WatchedChannels(self._channels_of(team, client), watch), list_due=False,
            )
            for name, count in part.enqueued.items():
                result.enqueued[name] = result.enqueued.get(name, 0) + count
            for name, count in part.housekeeping.items():
                result.housekeeping[name] = result.housekeeping.get(name, 0) + count
            result.failed.extend(name for name in part.failed if name not in result.failed)
            if watch.take() is not None:
                guard.check_token(team)  # a job met a dead token: confirmed, that workspace stops

    def _channels_of(self, team_id: str, client: WebClient) -> ChatChannels:
        """A workspace's channel port, paced across ticks (Slack's budgets are per workspace);
        built again when its client changed (a new token)."""
        cached = self._team_channels.get(team_id)
        if cached is None or cached[0] is not client:
            cached = (client, paced_channels(SlackChannels(client)))
            self._team_channels[team_id] = cached
        return cached[1]

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
