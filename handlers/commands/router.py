"""Shared shape of a slash command: ack, route a subcommand for the viewer the middleware
resolved, answer ephemerally."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.container import Deps
from bot.core.commands import (
    commands_for,
    find_command,
    listed_subcommands,
    may_use,
    split_subcommand,
    subcommands_of,
    suggest,
)
from bot.core.people import Viewer, contacts_for_outsiders
from bot.slack.render.blocks import Message, section
from bot.slack.render.help import help_message, not_in_programme_message, unknown_lead, unknown_subcommand_message
from handlers.answers import reply
from storage.db import unit_of_work


@dataclass(frozen=True, kw_only=True)
class CommandRequest:
    """What a subcommand callback gets: who asked, the rest of the text, and the raw payload."""

    deps: Deps
    viewer: Viewer
    argument: str
    command: dict[str, Any]
    client: WebClient
    respond: Respond


SubcommandHandler = Callable[[CommandRequest], Message | None]


class CommandTableError(Exception):
    """A handler table and the command table that help reads disagree."""


def subcommand_table(command: str, handlers: Mapping[str, SubcommandHandler]) -> Mapping[str, SubcommandHandler]:
    """The handlers of `command`, one for each subcommand the command table lists, and no other.

    Help and the permission check read `bot.core.commands.COMMANDS`; building the
    handler table through here makes a subcommand that help shows but nothing answers (or
    one that answers but help never shows) fail at import, not in front of a user."""
    listed = listed_subcommands(command)
    missing = [name for name in listed if name not in handlers]
    unlisted = sorted(set(handlers) - set(listed))
    if missing or unlisted:
        raise CommandTableError(f"{command}: no handler for {missing}; not in the command table: {unlisted}")
    return {name: handlers[name] for name in listed}


def not_in_programme(deps: Deps, viewer: Viewer) -> Message:
    """The one answer for someone the bot knows from no round, whatever they typed."""
    with unit_of_work(deps.session_factory) as session:
        contacts = contacts_for_outsiders(session, today=deps.clock.now().date(), workspace=viewer.workspace,
                                          admin_user_ids=deps.settings.admin_user_ids)
    return not_in_programme_message(language=viewer.language, contacts=contacts)


def help_for(request: CommandRequest) -> Message:
    """`help` (or nothing typed) for any command: what this person may do, or, for someone in
    no round, the same explanation any other command gives them."""
    viewer = request.viewer
    if not viewer.in_programme:
        return not_in_programme(request.deps, viewer)
    return help_message(commands=commands_for(viewer), language=viewer.language, is_coordinator=viewer.is_coordinator)


def route(
    *,
    request: CommandRequest,
    command_name: str,
    subcommand: str,
    handlers: Mapping[str, SubcommandHandler],
) -> None:
    """Run the subcommand if this viewer may use it; otherwise say why, or suggest what they meant."""
    viewer = request.viewer
    info = find_command(command_name, subcommand)
    handler = handlers.get(subcommand)
    if info is not None and handler is not None and may_use(viewer, info):
        message = handler(request)
    elif not viewer.in_programme:
        message = not_in_programme(request.deps, viewer)
        if info is None:  # a typo: say so, then the same explanation help gives
            allowed = subcommands_of(command_name, viewer)
            lead = unknown_lead(command=command_name, typed=subcommand, suggestion=suggest(subcommand, allowed),
                                language=viewer.language)
            message = Message(text=lead, blocks=[section(lead), *message.blocks])
    else:
        allowed = subcommands_of(command_name, viewer)
        message = unknown_subcommand_message(
            command=command_name,
            typed=subcommand,
            suggestion=suggest(subcommand, allowed),
            commands=commands_for(viewer),
            language=viewer.language,
            is_coordinator=viewer.is_coordinator,
        )
    if message is not None:
        reply(request.respond, message)


__all__ = [
    "CommandRequest",
    "CommandTableError",
    "SubcommandHandler",
    "help_for",
    "not_in_programme",
    "route",
    "split_subcommand",
    "subcommand_table",
]
