"""`/mentoring profile`: open the profile modal from anywhere, or say why it cannot open."""

from __future__ import annotations

import logging

from bot.slack.render.blocks import Message
from handlers.actions.profile_open import open_profile_modal
from handlers.commands.router import CommandRequest

log = logging.getLogger(__name__)


def open_profile(request: CommandRequest) -> Message | None:
    return open_profile_modal(
        deps=request.deps,
        client=request.client,
        slack_user_id=request.viewer.slack_user_id,
        workspace=request.viewer.workspace,
        trigger_id=str(request.command.get("trigger_id") or ""),
        participant_id=None,
        logger=log,
    )
