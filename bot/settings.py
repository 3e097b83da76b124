"""Settings from the environment, checked up front with one line naming what is missing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from storage.db import DEFAULT_DATABASE_URL, normalise_database_url

DEFAULT_SLACK_API_BASE_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000

HOW_TO_GET_TOKENS = (
    "create the Slack app from manifest.yml (https://api.slack.com/apps > Create New App > From a manifest), "
    "install it to your workspace, then copy the Bot User OAuth Token (xoxb-...) into SLACK_BOT_TOKEN and "
    "Basic Information > Signing Secret into SLACK_SIGNING_SECRET; for Socket Mode also create an app-level "
    "token with connections:write (xapp-...) and set SLACK_APP_TOKEN"
)


HOW_TO_GET_OAUTH = (
    "copy Basic Information > App Credentials (Client ID, Client Secret, Signing Secret) into SLACK_CLIENT_ID, "
    "SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET, and set SLACK_STATE_SECRET to a long random string of your own"
)
# OAuth mode: all of these, or none (token mode).
OAUTH_SETTINGS = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")
MIN_STATE_SECRET_LENGTH = 16


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line a person can act on."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    database_url: str
    slack_api_base_url: str
    port: int
    host: str = "0.0.0.0"
    # Slack user ids treated as coordinators before any round names one (bootstrap), each
    # `TEAM:USER` (an admin of every round of that workspace only) or a bare `USER` (an admin
    # in whichever workspace they ask from: meant for single-workspace token mode).
    admin_user_ids: frozenset[str] = frozenset()
    # OAuth mode (many workspaces install the app through /slack/install): all three or none.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_state_secret: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        port_text = env.get("PORT", "").strip() or str(DEFAULT_PORT)
        try:
            port = int(port_text)
        except ValueError:
            raise SettingsError(f"PORT must be a number from 0 to 65535, not {port_text!r}") from None
        if not 0 <= port <= 65535:
            raise SettingsError(f"PORT must be a number from 0 to 65535, not {port}")
        base_url = env.get("SLACK_API_BASE_URL", "").strip() or DEFAULT_SLACK_API_BASE_URL
        if not base_url.endswith("/"):
            base_url += "/"
        oauth = {name: env.get(name, "").strip() or None for name in OAUTH_SETTINGS}
        _check_oauth(oauth, bot_token=env.get("SLACK_BOT_TOKEN", "").strip() or None)
        return cls(
            slack_client_id=oauth["SLACK_CLIENT_ID"],
            slack_client_secret=oauth["SLACK_CLIENT_SECRET"],
            slack_state_secret=oauth["SLACK_STATE_SECRET"],
            slack_bot_token=env.get("SLACK_BOT_TOKEN", "").strip() or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip() or None,
            slack_app_token=env.get("SLACK_APP_TOKEN", "").strip() or None,
            database_url=normalise_database_url(env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL),
            slack_api_base_url=base_url,
            port=port,
            host=env.get("HOST", "").strip() or "0.0.0.0",
            admin_user_ids=frozenset(
                item.strip() for item in env.get("MENTORBOT_ADMINS", "").split(",") if item.strip()
            ),
        )

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def oauth(self) -> bool:
        """Many workspaces, each installing the app through /slack/install (SLACK_CLIENT_ID
        set; `from_env` has checked the other two are too): every workspace's bot token
        comes from its installation, not from SLACK_BOT_TOKEN."""
        return self.slack_client_id is not None

    def require_slack(self, *, socket_mode: bool) -> None:
        """Raise SettingsError naming every missing token, with how to get them."""
        if self.oauth:
            if socket_mode:
                raise SettingsError(
                    "SLACK_APP_TOKEN (Socket Mode) and SLACK_CLIENT_ID (OAuth) are both set: workspaces install the "
                    "app through https://YOUR-HOST/slack/install, which needs HTTP; unset SLACK_APP_TOKEN"
                )
            if not self.slack_signing_secret:
                raise SettingsError(f"missing SLACK_SIGNING_SECRET: {HOW_TO_GET_OAUTH}")
            return
        missing = [name for name, value in (("SLACK_BOT_TOKEN", self.slack_bot_token),) if not value]
        if not socket_mode and not self.slack_signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        if socket_mode and not self.slack_app_token:
            missing.append("SLACK_APP_TOKEN")
        if missing:
            raise SettingsError(f"missing {', '.join(missing)}: {HOW_TO_GET_TOKENS}")
        if self.slack_bot_token and not self.slack_bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if socket_mode and self.slack_app_token and not self.slack_app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")


def _check_oauth(values: Mapping[str, str | None], *, bot_token: str | None) -> None:
    """OAuth mode needs all three settings; with only some, the app would start in token
    mode and the install page would be missing, or the reverse, with no word why.

    SLACK_BOT_TOKEN beside them is refused rather than one silently winning: a token left
    over from a single-workspace setup would send every workspace's messages with one
    workspace's token (or be ignored while someone believes it is used)."""
    given = [name for name in OAUTH_SETTINGS if values.get(name)]
    if not given:
        return
    missing = [name for name in OAUTH_SETTINGS if not values.get(name)]
    if missing:
        raise SettingsError(
            f"{', '.join(given)} set but not {', '.join(missing)}: OAuth mode (many workspaces) needs all three, "
            f"token mode none of them; {HOW_TO_GET_OAUTH}"
        )
    if bot_token:
        raise SettingsError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: in OAuth mode each workspace's token comes from its "
            "installation; unset SLACK_BOT_TOKEN (or unset SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and "
            "SLACK_STATE_SECRET for one workspace with its token)"
        )
    if len(values["SLACK_STATE_SECRET"] or "") < MIN_STATE_SECRET_LENGTH:
        raise SettingsError(
            f"SLACK_STATE_SECRET must be at least {MIN_STATE_SECRET_LENGTH} characters: it signs the state of "
            "each install, so a guessable one lets a forged install through"
        )
