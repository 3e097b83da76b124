"""`/mentoring log [TEXT]` and `/mentoring sessions`: logging and listing 1:1 sessions."""

from __future__ import annotations

import logging

from bot.sessions.service import list_sessions
from bot.slack.render.blocks import Message
from bot.slack.render.sessions import sessions_list_message
from handlers.actions.session_log_open import open_log_modal
from handlers.commands.log_session import log_from_text
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work

log = logging.getLogger(__name__)


def log_subcommand(request: CommandRequest) -> Message | None:
    """With text, the same as `/log-session TEXT`; without, the modal straight away."""
    trigger_id = str(request.command.get("trigger_id") or "")
    channel_id = request.command.get("channel_id")
    if request.argument.strip():
        return log_from_text(deps=request.deps, client=request.client, slack_user_id=request.viewer.slack_user_id,
                             workspace=request.viewer.workspace, text=request.argument, trigger_id=trigger_id,
                             channel_id=channel_id, logger=log)
    return open_log_modal(client=request.client, deps=request.deps, trigger_id=trigger_id,
                          slack_user_id=request.viewer.slack_user_id, workspace=request.viewer.workspace,
                          channel_id=channel_id)


def sessions_subcommand(request: CommandRequest) -> Message:
    with unit_of_work(request.deps.session_factory) as session:
        listing = list_sessions(session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id)
    return sessions_list_message(listing)
