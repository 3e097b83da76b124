"""Publishing a person's Home tab; called from the app_home_opened listener and after any
change that the Home tab shows (consent, profile, matching)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.container import Deps
from bot.core.workspace import Workspace
from bot.home.service import build_home
from bot.slack.render.home import home_view
from storage.db import unit_of_work


def publish_home(*, client: WebClient, deps: Deps, slack_user_id: str, workspace: Workspace) -> None:
    """Read what the person should see now and publish it; the database, not the event that
    triggered this, is the source, so a repeated or late call shows the same, current tab."""
    with unit_of_work(deps.session_factory) as session:
        data = build_home(
            session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=deps.settings.admin_user_ids,
            now=deps.clock.now()
        )
    client.views_publish(user_id=slack_user_id, view=home_view(data))
