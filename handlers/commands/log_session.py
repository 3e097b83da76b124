"""/log-session: quick logging of a 1:1 session (the parser arrives with the sessions issue)."""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from bot.i18n import t
from bot.messages.blocks import Message, section
from handlers.commands.router import load_viewer, reply
from handlers.context import deps_from


def handle_log_session(
    ack: Callable[..., None], command: dict[str, Any], respond: Callable[..., Any], context: Any, logger: Logger
) -> None:
    ack()
    deps = deps_from(context)
    viewer = load_viewer(deps, command["user_id"])
    text = t("log_session.no_pair", viewer.language)
    reply(respond, Message(text=text, blocks=[section(text)]))
