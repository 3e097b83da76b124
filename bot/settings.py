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
    # Slack user ids treated as coordinators before any round names one (bootstrap).
    admin_user_ids: frozenset[str] = frozenset()

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
        return cls(
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

    def require_slack(self, *, socket_mode: bool) -> None:
        """Raise SettingsError naming every missing token, with how to get them."""
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
