"""/mentoring-admin: coordinators only; everyone else is told so, kindly, by the
`coordinators_only` middleware it is registered with (handlers/commands/__init__.py)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.core.commands import ADMIN
from handlers.commands.admin_attendance import open_attendance
from handlers.commands.admin_import import import_instructions, send_template
from handlers.commands.admin_match import admin_match
from handlers.commands.digest import admin_digest
from handlers.commands.erase import admin_erase
from handlers.commands.outcome import admin_outcome_command
from handlers.commands.pair_end import end_pair_command, rematch_command
from handlers.commands.report import admin_report
from handlers.commands.router import (
    CommandRequest,
    help_for,
    route,
    split_subcommand,
    subcommand_table,
)
from handlers.commands.scoreboard import admin_scoreboard
from handlers.commands.status import admin_status
from handlers.context import deps_from, viewer_from

SUBCOMMANDS = subcommand_table(ADMIN, {
    "help": help_for,
    "status": admin_status,
    "import": import_instructions,
    "template": send_template,
    "attendance": open_attendance,
    "match": admin_match,
    "end-pair": end_pair_command,
    "rematch": rematch_command,
    "scoreboard": admin_scoreboard,
    "report": admin_report,
    "outcome": admin_outcome_command,
    "digest": admin_digest,
    "erase": admin_erase,
})


def handle_mentoring_admin(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient, logger: Logger
) -> None:
    ack()
    subcommand, argument = split_subcommand(command.get("text") or "")
    request = CommandRequest(deps=deps_from(context), viewer=viewer_from(context), argument=argument, command=command,
                             client=client, respond=respond)
    route(request=request, command_name=ADMIN, subcommand=subcommand, handlers=SUBCOMMANDS)
