"""`meeting.attendance.submit`: store who came to a shared meeting, then tell the coordinator.

Nothing in the form can be wrong (every box may be left empty), so the modal is
acknowledged first; the confirmation, or the refusal for someone who may not record
this meeting, comes as a DM. Registered with `coordinators_only`, so only a coordinator
gets here; the service checks they coordinate this meeting's round.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.render.timeline import (
    attendance_refused_message,
    attendance_saved_message,
    parse_attendance_metadata,
    read_attendance_form,
)
from bot.timeline.service import record_attendance
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_attendance_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext, logger: Logger
) -> None:
    ack()
    deps = deps_from(context)
    viewer = viewer_from(context)
    user_id = viewer.slack_user_id
    parsed = parse_attendance_metadata(view.get("private_metadata"))
    ticked = read_attendance_form((view.get("state") or {}).get("values") or {})
    meeting_id, listed = parsed if parsed is not None else (0, [])
    with unit_of_work(deps.session_factory) as session:
        result = record_attendance(
            session, workspace=viewer.workspace, meeting_id=meeting_id, slack_user_id=user_id,
            admin_user_ids=deps.settings.admin_user_ids,
            listed_ids=listed, ticked_ids=ticked, now=deps.clock.now(),
        )
    if result.saved:
        logger.info("attendance for meeting %s: %d of %d came", meeting_id, result.came, result.listed)
        message = attendance_saved_message(meeting_name=result.meeting_name, came=result.came, listed=result.listed,
                                           language=result.language)
    else:
        message = attendance_refused_message(language=result.language)
    try:
        client.chat_postMessage(channel=user_id, **message.as_kwargs())
    except SlackApiError as error:
        logger.warning("attendance handled, but the note to %s failed: %s", user_id, error.response.get("error"))
