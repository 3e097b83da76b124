"""Render the person's Home tab each time they open it."""

from __future__ import annotations

from logging import Logger
from typing import Any

from bot.messages.home import home_view
from handlers.commands.router import load_viewer
from handlers.context import deps_from


def handle_app_home_opened(event: dict[str, Any], context: Any, client: Any, logger: Logger) -> None:
    if event.get("tab") not in (None, "home"):
        return
    deps = deps_from(context)
    viewer = load_viewer(deps, event["user"])
    view = home_view(language=viewer.language, enrolled=bool(viewer.participant_ids))
    client.views_publish(user_id=event["user"], view=view)
