"""OAuth mode: many workspaces install the app through /slack/install (issue 13).

Imported only in OAuth mode: slack_sdk's SQLAlchemy stores pull in sqlalchemy.ext.asyncio,
megabytes a token-mode `serve` never needs (tests/unit/test_serve_imports.py).

Bolt runs the flow: GET /slack/install issues a state (stored in `slack_oauth_states`, and
in a cookie binding it to the browser) and redirects to Slack's authorize page; Slack sends
the installer back to /slack/oauth_redirect with a code, which Bolt trades for the
workspace's bot token (`oauth.v2.access`) and saves in `slack_installations` and
`slack_bots`. Those tables are Alembic's (migration 0005): the stores' create_tables() is
never called. Each request's authorize step then reads its team's installation.

The state is signed with SLACK_STATE_SECRET: a state that was not issued here (forged, or
another deployment's sharing the database) is refused before the database is asked.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store import Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.i18n import normalise_language, t
from bot.settings import Settings
from bot.slack.render.blocks import Message, header, section
from bot.slack.sender import make_web_client
from bot.text import escape_mrkdwn

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_EXPIRATION_SECONDS = 600
# The bot scopes manifest.yml asks for (each commented there with why); a test keeps the two equal.
BOT_SCOPES = (
    "commands", "chat:write", "users:read", "users:read.email", "files:read", "files:write", "im:history",
    "im:write", "groups:write", "groups:read", "groups:history", "channels:history",
)


class SignedStateStore(OAuthStateStore):
    """slack_sdk's SQLAlchemy state store, with each state signed by SLACK_STATE_SECRET."""

    def __init__(self, inner: OAuthStateStore, *, secret: str) -> None:
        self._inner = inner
        self._key = secret.encode("utf-8")

    @property
    def logger(self) -> Logger:
        return self._inner.logger

    def _sign(self, state: str) -> str:
        return hmac.new(self._key, state.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = self._inner.issue(*args, **kwargs)
        return f"{state}.{self._sign(state)}"

    def consume(self, state: str) -> bool:
        raw, _, signature = (state or "").rpartition(".")
        if not raw or not hmac.compare_digest(signature.encode("utf-8"), self._sign(raw).encode("utf-8")):
            log.warning("an install came back with a state this app did not sign: refused")
            return False
        return bool(self._inner.consume(raw))


class BotOnlyInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy store keeping only what the bot uses: the workspace's bot row.

    The stock `save` also writes `slack_installations`, whose row names the installer (their
    Slack user id) and would hold user tokens; the bot asks for no user scopes and reads
    only `find_bot` (Bolt's authorize runs bot-only, and so does `WorkspaceClients`), so that
    row would be personal data kept for nothing. A reinstall's new bot row replaces the
    older ones, so a revoked token does not linger in the database either (the new row is
    written first: a request meanwhile still finds a bot)."""

    def save(self, installation: Installation) -> None:
        bot = installation.to_bot()
        self.save_bot(bot)
        columns = self.bots.c
        with self.engine.begin() as connection:
            connection.execute(self.bots.delete().where(
                columns.client_id == self.client_id,
                columns.enterprise_id == bot.enterprise_id,
                columns.team_id == bot.team_id,
                columns.installed_at < normalize_datetime_for_db(bot.to_dict().get("installed_at")),
            ))


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    assert settings.slack_client_id is not None
    return BotOnlyInstallationStore(client_id=settings.slack_client_id, engine=engine)


def authorize(settings: Settings, store: InstallationStore) -> InstallationStoreAuthorize:
    """Each request gets its team's bot token from `slack_bots`. Bolt's default asks
    auth.test on every request (a Web API round trip before the ack); with its cache on, it
    asks once per token, and a deleted installation still ends the access at once (the
    store is read first, every request)."""
    return InstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.authorize"), installation_store=store,
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, bot_only=True,
        cache_enabled=True,
    )


def authorization_url(api_base_url: str) -> str:
    """Slack's authorize page beside its Web API (https://slack.com/oauth/v2/authorize), so a
    fake Slack at SLACK_API_BASE_URL serves the whole flow."""
    root = api_base_url.rstrip("/")
    root = root[: -len("/api")] if root.endswith("/api") else root
    return f"{root}/oauth/v2/authorize"


def oauth_settings(
    *, settings: Settings, engine: Engine, store: InstallationStore, resume_sending: Callable[[str], int],
) -> OAuthSettings:
    """Bolt's OAuth settings on the bot's own database. /slack/install redirects straight to
    Slack (no page of ours in between); a successful install resumes sending to that
    workspace and tells the installer in a DM what to do next."""
    assert settings.slack_client_id and settings.slack_client_secret and settings.slack_state_secret
    state_store = SignedStateStore(
        SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine),
        secret=settings.slack_state_secret,
    )
    installed = InstalledCallback(api_base_url=settings.slack_api_base_url, resume_sending=resume_sending)
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,
        authorization_url=authorization_url(settings.slack_api_base_url),
        installation_store=store,
        # The bot token only: find_bot reads slack_bots, the one row per workspace.
        installation_store_bot_only=True,
        state_store=state_store,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        callback_options=CallbackOptions(success=installed, failure=_failed),
    )


class ResilientOAuthFlow(OAuthFlow):
    """Bolt's flow, except that Slack out of reach during the code exchange (a timeout, a
    refused connection, an answer that is not JSON) gives the installer the failure page
    rather than a 500 with a traceback: Bolt catches only Slack's own API errors there. The
    code is single-use and may already be spent, so the page asks them to start again."""

    def run_installation(self, code: str) -> Installation | None:
        try:
            return super().run_installation(code)
        except (SlackClientError, OSError, ValueError) as exc:
            log.warning("an install's code exchange did not reach Slack: %s", type(exc).__name__)
            return None


def oauth_flow(settings: OAuthSettings) -> OAuthFlow:
    return ResilientOAuthFlow(settings=settings)


class InstalledCallback:
    """Bolt saved the installation: the workspace may be sent to again, and the installer
    hears what to do next. Neither may undo the install: a failed DM is logged, and the page
    still says it worked (it did)."""

    def __init__(self, *, api_base_url: str, resume_sending: Callable[[str], int]) -> None:
        self._api_base_url = api_base_url
        self._resume_sending = resume_sending  # the runtime's: its own unit of work

    def __call__(self, args: SuccessArgs) -> BoltResponse:
        installation: Installation = args.installation
        team_id = installation.team_id or ""
        if team_id:
            resumed = self._resume_sending(team_id)
            log.info("installed in workspace %s%s", team_id, "; sending there resumes" if resumed else "")
        if installation.bot_token and installation.user_id:
            self._welcome(installation)
        return args.default.success(args)

    def _welcome(self, installation: Installation) -> None:
        client = make_web_client(token=installation.bot_token or "", base_url=self._api_base_url)
        user_id = installation.user_id
        try:
            user = client.users_info(user=user_id, include_locale=True).get("user") or {}
            language = normalise_language(user.get("locale") if isinstance(user, dict) else None)
            client.chat_postMessage(channel=user_id, **welcome_message(
                language=language, team_name=installation.team_name or installation.team_id or "", user_id=user_id,
            ).as_kwargs())
        except (SlackApiError, SlackClientError, OSError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning("installed in %s, but the welcome DM to the installer failed: %s", installation.team_id, error)


def welcome_message(*, language: str, team_name: str, user_id: str) -> Message:
    text = t("install.welcome.text", language, team=escape_mrkdwn(team_name), user=escape_mrkdwn(user_id))
    return Message(text=text, blocks=[header(t("install.welcome.title", language)), section(text)])


def _failed(args: FailureArgs) -> BoltResponse:
    """Bolt's failure page, with the reason logged (an expired or forged state, a refused code,
    Slack out of reach). A database that could not store the installation is still a failed
    install to the person in the browser: they get the page (asking them to try again) with
    503, not Bolt's bare 500."""
    log.warning("an install failed: %s", args.reason)
    response = args.default.failure(args)
    if response.status >= 500:
        response.status = 503
    return response


__all__ = [
    "BOT_SCOPES",
    "INSTALL_PATH",
    "REDIRECT_PATH",
    "BotOnlyInstallationStore",
    "InstalledCallback",
    "ResilientOAuthFlow",
    "SignedStateStore",
    "authorization_url",
    "authorize",
    "installation_store",
    "oauth_flow",
    "oauth_settings",
    "welcome_message",
]
