"""`/mentoring-admin status`: onboarding per round, the same overview as the Home tab."""

from __future__ import annotations

from bot.home.service import status_for
from bot.slack.render.blocks import Message
from bot.slack.render.home import status_message
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work


def admin_status(request: CommandRequest) -> Message:
    deps = request.deps
    with unit_of_work(deps.session_factory) as session:
        report = status_for(
            session,
            workspace=request.viewer.workspace,
            slack_user_id=request.viewer.slack_user_id,
            admin_user_ids=deps.settings.admin_user_ids,
            now=deps.clock.now(),
        )
    return status_message(overview=report.overview, language=report.language, timezone=report.timezone)
