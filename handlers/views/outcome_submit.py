"""`outcome.submit` (a mentee, for themselves) and `outcome.admin.submit` (a coordinator,
for a mentee): store the outcome, or show what to fix under each box.

Slack shows inline errors only when they come back in the acknowledgement, so the service
runs before `ack` (one quick transaction). A submission by anyone but the person the modal
was opened for changes nothing. A mentee's answer from the follow-up DM redraws that DM.
Which mentee a coordinator may record for is the service's check.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.outcomes.service import STATUS_FIELD, OutcomeRefusal, submit_outcome
from bot.slack.render.outcomes import (
    follow_up_answered_message,
    outcome_done_view,
    outcome_error_texts,
    outcome_refusal_view,
    read_outcome_submission,
)
from handlers.ack_first import FollowUp
from handlers.answers import show_errors
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work
from storage.models import OutcomeSource


def handle_outcome_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext, logger: Logger
) -> FollowUp | None:
    return _submit(ack=ack, view=view, client=client, context=context, logger=logger, by_coordinator=False)


def handle_admin_outcome_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext, logger: Logger
) -> FollowUp | None:
    return _submit(ack=ack, view=view, client=client, context=context, logger=logger, by_coordinator=True)


def _submit(*, ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext, logger: Logger,
            by_coordinator: bool) -> FollowUp | None:
    deps = deps_from(context)
    viewer = viewer_from(context)
    user_id = viewer.slack_user_id
    submitted = read_outcome_submission(view)
    coordinator_form = submitted.source is OutcomeSource.COORDINATOR
    if submitted.source is None or submitted.opened_by != user_id or coordinator_form != by_coordinator:
        # Not a modal we opened for this person: refuse whole rather than guess whose outcome.
        ack(response_action="update", view=outcome_refusal_view(refusal=OutcomeRefusal.NOT_YOURS,
                                                                 language=viewer.language))
        return None
    try:
        with unit_of_work(deps.session_factory) as session:
            result = submit_outcome(
                session, workspace=viewer.workspace, slack_user_id=user_id, admin_user_ids=deps.settings.admin_user_ids,
                participant_id=submitted.participant_id, source=submitted.source, status=submitted.status,
                started_on=submitted.started_on, network_helped=submitted.network_helped,
                consent_confirmed=submitted.consent, now=deps.clock.now(),
            )
    except Exception:  # any failure: the person must hear something within 3 seconds
        logger.exception("recording the outcome submitted by %s failed", user_id)
        show_errors(ack, view=view, errors={STATUS_FIELD: t("outcomes.error.generic", viewer.language)})
        return None
    if result.errors:
        show_errors(ack, view=view, errors=outcome_error_texts(result.errors, result.language))
        return None
    if result.recorded is None:
        ack(response_action="update", view=outcome_refusal_view(refusal=result.refusal or OutcomeRefusal.GONE,
                                                                 language=result.language))
        return None
    ack(response_action="update", view=outcome_done_view(recorded=result.recorded, language=result.language))
    if not (submitted.channel_id and submitted.message_ts and not coordinator_form):
        return None
    answered = follow_up_answered_message(recorded=result.recorded, language=result.language)
    channel_id, message_ts = submitted.channel_id, submitted.message_ts

    def redraw_follow_up() -> None:  # after the ack, on the listener executor
        try:
            client.chat_update(channel=channel_id, ts=message_ts, **answered.as_kwargs())
        except SlackApiError as error:  # saved; a DM that cannot be redrawn must not hide that
            logger.warning("outcome saved, but the follow-up DM of %s was not redrawn: %s", user_id,
                           error.response.get("error"))

    return redraw_follow_up
