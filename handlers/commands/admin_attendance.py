"""`/mentoring-admin attendance MEETING`: open the attendance modal for one shared meeting.

The router has checked that the person is a coordinator. The meeting is matched by
number, kind or title; when that is not clear, the answer lists the candidates with the
exact thing to type. The modal opens straight away (a trigger_id lives 3 seconds).
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.slack.render.blocks import Message, section
from bot.slack.render.timeline import attendance_modal, meeting_choices_message
from bot.timeline.service import LookupProblem, prepare_attendance
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work

log = logging.getLogger(__name__)


def open_attendance(request: CommandRequest) -> Message | None:
    deps = request.deps
    with unit_of_work(deps.session_factory) as session:
        prepared = prepare_attendance(
            session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id,
            admin_user_ids=deps.settings.admin_user_ids,
            typed=request.argument, now=deps.clock.now(),
        )
    language = request.viewer.language
    if prepared.sheet is None:
        lookup = prepared.lookup
        return meeting_choices_message(
            problem=(lookup.problem or LookupProblem.NOT_FOUND).value, typed=lookup.typed,
            choices=list(lookup.choices), language=language,
        )
    try:
        request.client.views_open(
            trigger_id=str(request.command.get("trigger_id") or ""),
            view=attendance_modal(prepared.sheet, language=language),
        )
    except SlackApiError as error:
        log.warning("could not open the attendance modal for %s: %s", request.viewer.slack_user_id,
                    error.response.get("error"))
        text = t("error.generic", language)
        return Message(text=text, blocks=[section(text)])
    return None


__all__ = ["open_attendance"]
