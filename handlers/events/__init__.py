from __future__ import annotations

from slack_bolt import App

from handlers.events.app_home_opened import handle_app_home_opened
from handlers.events.user_change import handle_user_change


def register(app: App) -> None:
    app.event("app_home_opened")(handle_app_home_opened)
    app.event("user_change")(handle_user_change)
