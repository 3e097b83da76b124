"""/mentoring-admin: coordinators only; everyone else is told so, kindly."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from bot.slack.render.help import not_a_coordinator_message
from bot.core.commands import ADMIN
from handlers.commands.admin_attendance import open_attendance
from handlers.commands.admin_import import import_instructions, send_template
from handlers.commands.admin_match import admin_match
from handlers.commands.pair_end import end_pair_command, rematch_command
from handlers.commands.router import (
    CommandRequest,
    help_for,
    load_viewer,
    reply,
    route,
    split_subcommand,
    subcommand_table,
)
from handlers.commands.status import admin_status
from handlers.context import deps_from

SUBCOMMANDS = subcommand_table(ADMIN, {
    "help": help_for,
    "status": admin_status,
    "import": import_instructions,
    "template": send_template,
    "attendance": open_attendance,
    "match": admin_match,
    "end-pair": end_pair_command,
    "rematch": rematch_command,
})


def handle_mentoring_admin(
    ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any], context: Any, client: Any, logger: Logger
) -> None:
    ack()
    deps = deps_from(context)
    viewer = load_viewer(deps, command["user_id"])
    if not viewer.is_coordinator:
        reply(respond, not_a_coordinator_message(language=viewer.language))
        return
    subcommand, argument = split_subcommand(command.get("text") or "")
    request = CommandRequest(deps=deps, viewer=viewer, argument=argument, command=command, client=client, respond=respond)
    route(request=request, command_name=ADMIN, subcommand=subcommand, handlers=SUBCOMMANDS)
