"""/mentoring: what participants (and coordinators) type."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from bot.core.commands import MENTORING
from handlers.commands.pause import pause_command, resume_command
from handlers.commands.profile import open_profile
from handlers.commands.router import (
    CommandRequest,
    help_for,
    load_viewer,
    route,
    split_subcommand,
    subcommand_table,
)
from handlers.commands.sessions import log_subcommand, sessions_subcommand
from handlers.context import deps_from

SUBCOMMANDS = subcommand_table(MENTORING, {
    "help": help_for,
    "profile": open_profile,
    "log": log_subcommand,
    "sessions": sessions_subcommand,
    "pause": pause_command,
    "resume": resume_command,
})


def handle_mentoring(
    ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any], context: Any, client: Any, logger: Logger
) -> None:
    ack()
    deps = deps_from(context)
    subcommand, argument = split_subcommand(command.get("text") or "")
    viewer = load_viewer(deps, command["user_id"])
    request = CommandRequest(deps=deps, viewer=viewer, argument=argument, command=command, client=client, respond=respond)
    route(request=request, command_name=MENTORING, subcommand=subcommand, handlers=SUBCOMMANDS)
