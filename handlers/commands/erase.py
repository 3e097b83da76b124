"""`/mentoring-admin erase NAME`: whom the name means, what will be erased, and a button to
confirm. The router has acknowledged and checked the asker coordinates something; which
programme's people they may erase is the service's check. Nothing changes until the click."""

from __future__ import annotations

from bot.privacy.requests import erase_lookup
from bot.slack.render.blocks import Message
from bot.slack.render.privacy import erase_message
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work


def admin_erase(request: CommandRequest) -> Message:
    deps = request.deps
    with unit_of_work(deps.session_factory) as session:
        answer = erase_lookup(session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id,
                              admin_user_ids=deps.settings.admin_user_ids, query=request.argument)
    return erase_message(answer)


__all__ = ["admin_erase"]
