from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.core.commands import ADMIN, LOG_SESSION, MENTORING, listed_commands
from handlers.ack_first import ack_first
from handlers.commands.log_session import handle_log_session
from handlers.commands.mentoring import handle_mentoring
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.commands.router import CommandTableError
from handlers.middleware import coordinators_only

LISTENERS: dict[str, Callable[..., Any]] = {
    MENTORING: handle_mentoring,
    ADMIN: handle_mentoring_admin,
    LOG_SESSION: handle_log_session,
}

#: Listener middleware per command: all of /mentoring-admin is for coordinators.
GUARDS: dict[str, list[Callable[..., Any]]] = {
    ADMIN: [coordinators_only],
}


def register(app: App) -> None:
    """One listener per slash command in the command table (the one help lists), no more."""
    if set(LISTENERS) != set(listed_commands()):
        raise CommandTableError(f"listeners for {sorted(LISTENERS)}, command table lists {sorted(listed_commands())}")
    for command in listed_commands():
        app.command(command, middleware=GUARDS.get(command))(ack_first(LISTENERS[command]))
