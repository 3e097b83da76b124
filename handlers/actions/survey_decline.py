""""No thanks" under a company contact's survey DM: a no to the evaluation purpose, so no
reminders follow. The DM is drawn again as a short acknowledgement that still lets them
answer should they change their mind."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack.render.surveys import parse_invitation_value, survey_declined_message
from bot.surveys.service import decline_survey
from handlers.context import deps_from, viewer_from
from handlers.survey_effects import act_on_invitation, message_place, redraw, tell


def handle_survey_decline(
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
        call=lambda session, invitation: decline_survey(session, invitation_id=invitation,
                                                        slack_user_id=viewer.slack_user_id, workspace=viewer.workspace,
                                                        now=deps.clock.now()),
    )
    if result is None or result.facts is None:
        return
    invitation_id = result.facts.invitation_id
    logger.info("survey invitation %s declined", invitation_id)
    message = survey_declined_message(result.facts, result.language)
    channel_id, message_ts = message_place(body)
    if not redraw(client=client, channel_id=channel_id, message_ts=message_ts, message=message, logger=logger):
        tell(client=client, user_id=viewer.slack_user_id, message=message, logger=logger)
