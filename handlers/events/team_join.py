"""Someone joined the workspace: if a round is waiting for them, welcome them now.

Without this, a person invited after the import would wait for the next backoff slot of
the email lookup (up to a day).
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.onboarding.service import pick_up_new_member
from bot.slack.sender import SlackDirectory
from handlers.context import deps_from, workspace_from
from storage.db import unit_of_work


def handle_team_join(event: dict[str, Any], context: BoltContext, client: WebClient, logger: Logger) -> None:
    user = event.get("user")
    user_id = user.get("id") if isinstance(user, dict) else user
    if not isinstance(user_id, str) or not user_id:
        return
    deps = deps_from(context)
    member = SlackDirectory(client).user_info(user_id)  # asked before any transaction opens
    with unit_of_work(deps.session_factory) as session:
        picked_up = pick_up_new_member(session, member=member, workspace=workspace_from(context), now=deps.clock.now())
    if picked_up:
        logger.info("new member %s is participant(s) %s; welcome queued", user_id, picked_up)
