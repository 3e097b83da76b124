"""A Yes/No consent button in the welcome DM (or a reminder): record it, redraw the message.

The button's value names the participant, the purpose, the answer and the message it sits
in; the service checks that the person clicking is that participant.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.onboarding.service import ConsentStatus, record_consent
from bot.slack.render.onboarding import consent_refused_message, parse_consent_value, render_after_click
from handlers.answers import reply
from handlers.context import deps_from, viewer_from
from handlers.home.publish import publish_home
from storage.db import unit_of_work


def handle_consent(
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
    user_id = viewer.slack_user_id
    choice = parse_consent_value(action.get("value"))
    if choice is None:
        reply(respond, consent_refused_message(language=viewer.language, reason="stale"))
        return

    with unit_of_work(deps.session_factory) as session:
        outcome = record_consent(
            session,
            participant_id=choice.participant_id,
            acting_user_id=user_id,
            workspace=viewer.workspace,
            purpose=choice.purpose,
            granted=choice.granted,
            now=deps.clock.now(),
        )
    if not outcome.accepted or outcome.facts is None:
        reason = "not_yours" if outcome.status is ConsentStatus.NOT_YOURS else "stale"
        reply(respond, consent_refused_message(language=outcome.language, reason=reason))
        return

    message = render_after_click(outcome.facts, via=choice.via, language=outcome.language)
    channel_id = (body.get("channel") or {}).get("id")
    message_ts = (body.get("message") or {}).get("ts")
    if channel_id and message_ts:
        try:
            client.chat_update(channel=channel_id, ts=message_ts, **message.as_kwargs())
        except SlackApiError as error:  # the answer is saved; a message gone or elsewhere only stays as it was
            logger.warning("could not redraw the consent message for %s: %s", user_id, error.response.get("error"))
    if outcome.status is ConsentStatus.RECORDED:
        logger.info(
            "consent %s=%s recorded for participant %s", choice.purpose.value, choice.granted, choice.participant_id
        )
        try:
            publish_home(client=client, deps=deps, slack_user_id=user_id, workspace=viewer.workspace)
        except Exception:  # any failure: the answer is saved; a stale Home tab must not hide that
            logger.exception("could not refresh the Home tab of %s after a consent change", user_id)
