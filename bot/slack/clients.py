"""The one answer to "which WebClient speaks for workspace T" outside a request.

Inside a request Bolt's authorize step gives each listener a client with its team's token.
The worker has no request: the deliverer sends each outbox row with the token of the row's
workspace (`outbox_message.team_id`), and the tick's Slack jobs and the workspace guard
need the same. Asking the installation store every time would cost a query per message,
so a workspace's client is kept for `ttl_seconds` (a reinstall's new token is picked up
within that), and dropped at once when Slack says its token is dead (`forget`), so the
next call finds a token saved since.

Token mode (SLACK_BOT_TOKEN): one workspace, one client, whatever the team id (rows made
before the bot learned its team carry '').
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.core.chat import SendOutcome
from bot.core.workspace import TOKEN_DEAD_ERRORS
from bot.slack.sender import SlackWebSender, make_web_client

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store import InstallationStore

# Long enough that a busy delivery run asks the store once per workspace, short enough
# that a token saved by a reinstall on another process is used within a minute.
CLIENT_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class _Entry:
    token: str
    client: WebClient
    sender: TeamSender
    fetched_at: float


class TeamSender(SlackWebSender):
    """A workspace's sender: an answer saying its token is dead drops the cached client,
    so the next call reads the installation again (a reinstall may have saved a new one)."""

    def __init__(self, client: WebClient, *, on_dead_token: Callable[[], None]) -> None:
        super().__init__(client)
        self._on_dead_token = on_dead_token

    def send(self, *, method: str, payload: dict[str, Any]) -> SendOutcome:
        outcome = super().send(method=method, payload=payload)
        if outcome.error in TOKEN_DEAD_ERRORS:
            self._on_dead_token()
        return outcome


class WorkspaceClients:
    """"The WebClient for team T": the one client in token mode; in OAuth mode the bot
    token the installation store holds for T (`find_bot`), cached a short while."""

    def __init__(
        self,
        *,
        base_url: str,
        client: WebClient | None = None,
        installation_store: InstallationStore | None = None,
        ttl_seconds: float = CLIENT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if (client is None) == (installation_store is None):
            raise ValueError("give the one client (token mode) or an installation store (OAuth mode), not both")
        self._base_url = base_url
        self._single = client
        self._single_sender = SlackWebSender(client) if client is not None else None
        self._store = installation_store
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[str, _Entry] = {}

    @property
    def oauth(self) -> bool:
        return self._store is not None

    def client(self, team_id: str) -> WebClient | None:
        """The client for `team_id`, or None when that workspace has no installation."""
        if self._single is not None:
            return self._single
        entry = self._entry(team_id)
        return entry.client if entry is not None else None

    def sender(self, team_id: str) -> SlackWebSender | None:
        """The outbox sender for `team_id` (one per workspace, so its DM-id memory is that
        workspace's), or None when that workspace has no installation."""
        if self._single_sender is not None:
            return self._single_sender
        entry = self._entry(team_id)
        return entry.sender if entry is not None else None

    def forget(self, team_id: str) -> None:
        """Its token is dead or the app was uninstalled there: read the store again next time."""
        with self._lock:
            self._cache.pop(team_id, None)

    def _entry(self, team_id: str) -> _Entry | None:
        if not team_id:
            return None  # OAuth mode has no "the one workspace": a row without a team has no token
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(team_id)
        if cached is not None and now - cached.fetched_at < self._ttl:
            return cached
        assert self._store is not None
        bot = self._store.find_bot(enterprise_id=None, team_id=team_id)
        token = bot.bot_token if bot is not None else None
        if not token:
            self.forget(team_id)
            return None
        with self._lock:
            current = self._cache.get(team_id)
            if current is not None and current.token == token:
                entry = _Entry(token, current.client, current.sender, now)  # same token: keep its DM ids
            else:
                client = make_web_client(token=token, base_url=self._base_url)
                entry = _Entry(token, client, TeamSender(client, on_dead_token=lambda: self.forget(team_id)), now)
            self._cache[team_id] = entry
        return entry


__all__ = ["CLIENT_TTL_SECONDS", "TeamSender", "WorkspaceClients"]
