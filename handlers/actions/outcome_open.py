"""`outcome.open`: the follow-up DM's button opens the outcome modal, prefilled.

A trigger id lives three seconds: ack, one small read, open. The modal remembers the DM it
came from, so the answer can redraw it. A button that is not the clicker's (forwarded, or a
stale id) opens nothing and says so only to them.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.outcomes.service import own_outcome_form
from bot.slack.render.outcomes import (
    outcome_modal,
    outcome_refusal_message,
    outcome_trouble_message,
    participant_id_from_button,
)
from handlers.answers import explain
from handlers.context import deps_from, viewer_from, workspace_from
from storage.db import unit_of_work
from storage.models import OutcomeSource


def handle_outcome_open(
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
    user_id = viewer_from(context).slack_user_id
    participant_id = participant_id_from_button(action.get("value"))
    with unit_of_work(deps.session_factory) as session:
        answer = own_outcome_form(session, workspace=workspace_from(context), slack_user_id=user_id,
                                  participant_id=participant_id,
                                  source=OutcomeSource.FOLLOW_UP) if participant_id is not None else None
    if answer is None or answer.form is None:
        message = (outcome_refusal_message(answer) if answer is not None
                   else outcome_trouble_message(language=viewer_from(context).language))
        explain(client=client, body=body, respond=respond, message=message, logger=logger)
        return
    channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    message_ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    view = outcome_modal(answer.form, opened_by_user_id=user_id, channel_id=channel_id, message_ts=message_ts)
    try:
        client.views_open(trigger_id=body.get("trigger_id") or "", view=view)
    except SlackApiError as error:
        logger.warning("could not open the outcome modal for %s: %s", user_id, error.response.get("error"))
        explain(client=client, body=body, respond=respond, message=outcome_trouble_message(language=answer.language),
                logger=logger)
