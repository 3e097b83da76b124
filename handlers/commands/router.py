"""Shared shape of a slash command: ack, identify, route a subcommand, answer ephemerally."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.container import Deps
from bot.messages.blocks import Message
from bot.messages.help import help_message, unknown_subcommand_message
from bot.services.commands import commands_for, split_subcommand, subcommands_of, suggest
from bot.services.people import Viewer, identify
from storage.db import unit_of_work


@dataclass(frozen=True, kw_only=True)
class CommandRequest:
    """What a subcommand callback gets: who asked, the rest of the text, and the raw payload."""

    deps: Deps
    viewer: Viewer
    argument: str
    command: dict[str, Any]
    client: Any
    respond: Callable[..., Any]


SubcommandHandler = Callable[[CommandRequest], Message | None]


def load_viewer(deps: Deps, slack_user_id: str) -> Viewer:
    with unit_of_work(deps.session_factory) as session:
        return identify(session, slack_user_id=slack_user_id, admin_user_ids=deps.settings.admin_user_ids)


def reply(respond: Callable[..., Any], message: Message) -> None:
    respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False)


def help_for(viewer: Viewer) -> Message:
    return help_message(commands=commands_for(viewer), language=viewer.language, is_coordinator=viewer.is_coordinator)


def route(
    *,
    request: CommandRequest,
    command_name: str,
    subcommand: str,
    handlers: dict[str, SubcommandHandler],
) -> None:
    """Run the subcommand if this viewer may use it; otherwise a kind answer with suggestions."""
    allowed = subcommands_of(command_name, request.viewer)
    handler = handlers.get(subcommand)
    if handler is not None and subcommand in allowed:
        message = handler(request)
    else:
        message = unknown_subcommand_message(
            command=command_name,
            typed=subcommand,
            suggestion=suggest(subcommand, allowed),
            commands=commands_for(request.viewer),
            language=request.viewer.language,
            is_coordinator=request.viewer.is_coordinator,
        )
    if message is not None:
        reply(request.respond, message)


__all__ = ["CommandRequest", "SubcommandHandler", "help_for", "load_viewer", "reply", "route", "split_subcommand"]
