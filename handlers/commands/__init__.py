from __future__ import annotations

from slack_bolt import App

from handlers.commands.log_session import handle_log_session
from handlers.commands.mentoring import handle_mentoring
from handlers.commands.mentoring_admin import handle_mentoring_admin


def register(app: App) -> None:
    app.command("/mentoring")(handle_mentoring)
    app.command("/mentoring-admin")(handle_mentoring_admin)
    app.command("/log-session")(handle_log_session)
