"""`survey.submit`: the survey form (or a pulse's comment form) submitted.

Slack shows inline errors only when they come back in the acknowledgement, so the answers
are saved before `ack` (one quick transaction, every answer or none); the thank-you follows
after it, in place of the invitation's DM. A form submitted by anyone but the person it was
sent to changes nothing: the service refuses it and the modal says so.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.i18n import t
from bot.slack.render.surveys import (
    COMMENT_BLOCK,
    form_errors,
    parse_survey_metadata,
    read_survey_form,
    survey_invitation_message,
    survey_notice_view,
    survey_thanks_message,
)
from bot.surveys.notices import SurveyInvitationFacts
from bot.surveys.service import AnswerStatus, submit_survey
from handlers.ack_first import FollowUp
from handlers.answers import show_errors
from handlers.context import deps_from, viewer_from
from handlers.survey_effects import answer_language, redraw, tell
from storage.db import unit_of_work


def handle_survey_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext, logger: Logger
) -> FollowUp | None:
    deps = deps_from(context)
    viewer = viewer_from(context)
    place = parse_survey_metadata(view.get("private_metadata"))
    if place is None:  # not a form we opened: refuse rather than guess whose survey
        ack(response_action="update", view=survey_notice_view(status=AnswerStatus.UNKNOWN, language=viewer.language))
        return None
    submitted = read_survey_form((view.get("state") or {}).get("values") or {})
    try:
        with unit_of_work(deps.session_factory) as session:
            result = submit_survey(session, invitation_id=place.invitation_id, slack_user_id=viewer.slack_user_id,
                                   workspace=viewer.workspace,
                                   values=submitted.values, comment=submitted.comment, consent=submitted.consent,
                                   now=deps.clock.now())
    except Exception:  # any failure: the person must hear something within 3 seconds
        logger.exception("saving the survey answers of %s failed", viewer.slack_user_id)
        show_errors(ack, view=view, errors={COMMENT_BLOCK: t("error.generic", viewer.language)})
        return None
    if result.status is AnswerStatus.INVALID:
        # An error about a box this form does not have (the questions changed): said in its place.
        show_errors(ack, view=view, errors=form_errors(result.errors, result.language), when_none_shown=lambda: ack(
            response_action="update", view=survey_notice_view(status=AnswerStatus.INVALID, language=result.language)))
        return None
    if result.status is not AnswerStatus.RECORDED or result.facts is None:
        ack(response_action="update",
            view=survey_notice_view(status=result.status, language=answer_language(result, viewer)))
        return None
    ack()
    logger.info("survey answers saved for invitation %s", place.invitation_id)
    facts, language, channel_id, message_ts = result.facts, result.language, place.channel_id, place.message_ts

    def thank() -> None:  # after the ack, on the listener executor
        redrawn = survey_invitation_message(SurveyInvitationFacts(survey=facts), language)
        if not redraw(client=client, channel_id=channel_id, message_ts=message_ts, message=redrawn, logger=logger):
            tell(client=client, user_id=viewer.slack_user_id, message=survey_thanks_message(facts, language),
                 logger=logger)

    return thank
