"""`session.confirm.<id>`: "I was there too" under a session in the pair channel.

The partner confirms without typing anything; the post then shows both names. The author,
or anyone outside the pair, is told why the button is not theirs.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.sessions.service import LogStatus, confirm_session
from bot.slack.render.sessions import outcome_message
from handlers.answers import explain
from handlers.context import deps_from, viewer_from
from handlers.session_effects import act_on_session_button, apply_outcome


def handle_session_confirm(
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
                                   viewer=viewer, logger=logger, act=confirm_session)
    if outcome is None:
        return
    if outcome.status is LogStatus.REFUSED:
        explain(client=client, body=body, respond=respond, message=outcome_message(outcome), logger=logger)
        return
    apply_outcome(client=client, deps=deps, outcome=outcome, acting_user_id=viewer.slack_user_id, logger=logger)
