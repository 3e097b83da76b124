""""I'll be there" / "Can't make it" under a meeting reminder: record, redraw the reminder
with the answer on record (both buttons stay, so it can change), or explain ephemerally."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.render.timeline import (
    meeting_reminder_message,
    parse_meeting_value,
    rsvp_answer_of_action,
    rsvp_refusal_message,
)
from bot.timeline.service import RsvpStatus, record_rsvp
from handlers.answers import reply
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_meeting_rsvp(
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
    answer = rsvp_answer_of_action(str(action.get("action_id") or ""))
    meeting_id = parse_meeting_value(action.get("value"))
    if answer is None or meeting_id is None:
        message = rsvp_refusal_message(reason="stale", language=viewer.language)
        reply(respond, message)
        return
    with unit_of_work(deps.session_factory) as session:
        outcome = record_rsvp(session, workspace=viewer.workspace, meeting_id=meeting_id, slack_user_id=user_id, answer=answer,
                              now=deps.clock.now())
    if outcome.status is not RsvpStatus.RECORDED or outcome.facts is None:
        message = rsvp_refusal_message(reason=outcome.status.value, language=outcome.language)
        reply(respond, message)
        return
    logger.info("RSVP %s for meeting %s from %s", answer.value, meeting_id, user_id)
    channel_id = (body.get("channel") or {}).get("id")
    message_ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    if channel_id and message_ts:
        try:
            redrawn = meeting_reminder_message(outcome.facts, outcome.language)
            client.chat_update(channel=channel_id, ts=message_ts, **redrawn.as_kwargs())
        except SlackApiError as error:
            logger.warning("could not redraw the reminder for %s: %s", user_id, error.response.get("error"))
