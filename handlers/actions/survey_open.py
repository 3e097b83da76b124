"""`survey.open`: "Answer (2 minutes)" opens the survey form; under a pulse, "Add a comment"
opens the comment form. The form is drawn from the answers on record, so answering again
shows the earlier answers to change.

A trigger_id lives 3 seconds, so this does the least possible before `views.open`: ack, one
short read, open. Someone who cannot answer (closed, someone else's, consent withdrawn) is
told why instead.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.slack.render.blocks import Message, section
from bot.slack.render.surveys import parse_invitation_value, survey_modal
from bot.surveys.service import survey_form
from handlers.answers import explain
from handlers.context import deps_from, viewer_from
from handlers.survey_effects import act_on_invitation, message_place


def handle_survey_open(
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
    result = act_on_invitation(
        deps=deps, viewer=viewer, invitation_id=parse_invitation_value(action.get("value")), body=body, client=client,
        respond=respond, logger=logger,
        call=lambda session, invitation: survey_form(session, invitation_id=invitation,
                                                     slack_user_id=viewer.slack_user_id, workspace=viewer.workspace,
                                                     now=deps.clock.now()),
    )
    if result is None or result.facts is None:
        return
    channel_id, message_ts = message_place(body)
    view = survey_modal(result.facts, language=result.language, channel_id=channel_id, message_ts=message_ts)
    try:
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)
    except SlackApiError as error:
        logger.warning("could not open the survey form for %s: %s", viewer.slack_user_id,
                       error.response.get("error"))
        text = t("error.generic", result.language)
        explain(client=client, body=body, respond=respond, logger=logger,
                message=Message(text=text, blocks=[section(text)]))
