"""`session.delete.<id>`: the author deletes a session (the button asks "are you sure?"
first); the pair-channel post then says it was removed. Anyone else is told why not."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.sessions.service import LogStatus, delete_session
from bot.slack.render.sessions import outcome_message
from handlers.answers import explain
from handlers.context import deps_from, viewer_from
from handlers.session_effects import act_on_session_button, apply_outcome


def handle_session_delete(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
    logger: Logger,
) -> None:
    ack()
    deps = deps_from(context)
    viewer = viewer_from(context)
    outcome = act_on_session_button(body=body, action=action, client=client, respond=respond, deps=deps,
                                   viewer=viewer, logger=logger, act=delete_session)
    if outcome is None:
        return
    if outcome.status is LogStatus.DELETED:
        apply_outcome(client=client, deps=deps, outcome=outcome, acting_user_id=viewer.slack_user_id, logger=logger)
    explain(client=client, body=body, respond=respond, message=outcome_message(outcome), logger=logger)
