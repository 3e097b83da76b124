"""A check-in answer in a pair channel: "It's planned for ..." (a date pick), "Not yet" or
"We'd like help". ("Yes" opens the session log modal and is the session feature's.)

Ack, check it is one of the pair's two people (the service does), record, redraw the
message with the answer on record; anyone else, or a bad date, gets an ephemeral note.
"""

from __future__ import annotations

from datetime import date
from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.nudges.checkins import PLANNED_MAX_DAYS, CheckinStatus, answer_checkin
from bot.slack.render.nudges import (
    answer_of_action,
    checkin_message,
    checkin_refusal_message,
    parse_checkin_ref,
)
from handlers.answers import reply
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_checkin_answer(
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
    answer = answer_of_action(str(action.get("action_id") or ""))
    ref = parse_checkin_ref(action.get("value")) or parse_checkin_ref(action.get("block_id"))
    planned_for = _picked_date(action.get("selected_date"))
    if answer is None or ref is None:
        reply(respond, checkin_refusal_message(language=viewer.language, reason="stale"))
        return
    pair_id, window_start = ref
    with unit_of_work(deps.session_factory) as session:
        outcome = answer_checkin(
            session, workspace=viewer.workspace, pair_id=pair_id, window_start=window_start, slack_user_id=user_id, answer=answer,
            planned_for=planned_for, now=deps.clock.now(),
        )
    if outcome.status is not CheckinStatus.RECORDED or outcome.facts is None:
        reply(respond, checkin_refusal_message(language=outcome.language, reason=outcome.status.value,
                                                  mentor=outcome.mentor_name, mentee=outcome.mentee_name,
                                                  days=PLANNED_MAX_DAYS))
        return
    logger.info("check-in of pair %s for %s answered %s", pair_id, window_start, answer.value)
    channel_id = (body.get("channel") or {}).get("id")
    message_ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    if channel_id and message_ts:
        try:
            redrawn = checkin_message(outcome.facts, outcome.facts_language)
            client.chat_update(channel=channel_id, ts=message_ts, **redrawn.as_kwargs())
        except SlackApiError as error:  # the answer is saved; a stale message must not hide that
            logger.warning("could not redraw the check-in in %s: %s", channel_id, error.response.get("error"))


def _picked_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
