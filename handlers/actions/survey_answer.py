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

from bot.slack.render.surveys import parse_pulse_value, survey_invitation_message, survey_refusal_message
from bot.surveys.notices import SurveyInvitationFacts
from bot.surveys.service import AnswerStatus, answer_pulse
from handlers.answers import explain
from handlers.context import deps_from, viewer_from
from handlers.survey_effects import answer_language, message_place, redraw
from storage.db import unit_of_work


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
    if parsed is None:
        explain(client=client, body=body, respond=respond, logger=logger,
                message=survey_refusal_message(status=AnswerStatus.UNKNOWN, language=viewer.language))
        return
    invitation_id, question, value = parsed
    with unit_of_work(deps.session_factory) as session:
        result = answer_pulse(session, invitation_id=invitation_id, slack_user_id=viewer.slack_user_id,
                              question=question, value=value, now=deps.clock.now())
    if result.status is not AnswerStatus.RECORDED or result.facts is None:
        explain(client=client, body=body, respond=respond, logger=logger,
                message=survey_refusal_message(status=result.status, language=answer_language(result, viewer)))
        return
    logger.info("pulse answer for invitation %s: %s", invitation_id, question)
    channel_id, message_ts = message_place(body)
    redraw(client=client, channel_id=channel_id, message_ts=message_ts, logger=logger,
           message=survey_invitation_message(SurveyInvitationFacts(survey=result.facts), result.language))
