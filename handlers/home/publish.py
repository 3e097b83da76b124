"""Publishing a person's Home tab; called from the app_home_opened listener and after any
change that the Home tab shows (consent, profile, matching)."""

from __future__ import annotations

from typing import Any

from bot.container import Deps
from bot.messages.home import home_view
from handlers.commands.router import load_viewer


def publish_home(*, client: Any, deps: Deps, slack_user_id: str) -> None:
    viewer = load_viewer(deps, slack_user_id)
    view = home_view(language=viewer.language, enrolled=bool(viewer.participant_ids))
    client.views_publish(user_id=slack_user_id, view=view)
