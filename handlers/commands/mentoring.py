"""/mentoring: what participants (and coordinators) type."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.core.commands import MENTORING
from handlers.commands.my_data import my_data_command
from handlers.commands.outcome import outcome_command
from handlers.commands.pause import pause_command, resume_command
from handlers.commands.profile import open_profile
from handlers.commands.router import (
    CommandRequest,
    help_for,
    route,
    split_subcommand,
    subcommand_table,
)
from handlers.commands.sessions import log_subcommand, sessions_subcommand
from handlers.context import deps_from, viewer_from

SUBCOMMANDS = subcommand_table(MENTORING, {
    "help": help_for,
    "profile": open_profile,
    "log": log_subcommand,
    "sessions": sessions_subcommand,
    "pause": pause_command,
    "resume": resume_command,
    "outcome": outcome_command,
    "my-data": my_data_command,
})


def handle_mentoring(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext, client: WebClient, logger: Logger
) -> None:
    ack()
    subcommand, argument = split_subcommand(command.get("text") or "")
    request = CommandRequest(deps=deps_from(context), viewer=viewer_from(context), argument=argument, command=command,
                             client=client, respond=respond)
    route(request=request, command_name=MENTORING, subcommand=subcommand, handlers=SUBCOMMANDS)
