"""A pulse button (survey.pulse.<question>.<value>): record that one answer and draw the DM
again with the choice marked, or explain ephemerally why nothing was saved.

Ack, one service call in one unit of work (a second click, or two at once, leaves one answer,
the last winning), then `chat.update` outside the transaction.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.render.surveys import parse_pulse_value, survey_invitation_message
from bot.surveys.notices import SurveyInvitationFacts
from bot.surveys.service import answer_pulse
from handlers.context import deps_from, viewer_from
from handlers.survey_effects import act_on_invitation, message_place, redraw


def handle_survey_answer(
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
    parsed = parse_pulse_value(action.get("value"))
    invitation_id, question, value = parsed or (None, "", 0)
    result = act_on_invitation(
        deps=deps, viewer=viewer, invitation_id=invitation_id, body=body, client=client, respond=respond, logger=logger,
        call=lambda session, invitation: answer_pulse(session, invitation_id=invitation, question=question, value=value,
                                                      slack_user_id=viewer.slack_user_id, workspace=viewer.workspace,
                                                      now=deps.clock.now()),
    )
    if result is None or result.facts is None:
        return
    logger.info("pulse answer for invitation %s: %s", invitation_id, question)
    channel_id, message_ts = message_place(body)
    redraw(client=client, channel_id=channel_id, message_ts=message_ts, logger=logger,
           message=survey_invitation_message(SurveyInvitationFacts(survey=result.facts), result.language))
