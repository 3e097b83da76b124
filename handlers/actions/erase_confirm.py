""""Erase" under the confirmation of `/mentoring-admin erase NAME`: erase the person in one
unit of work, then replace the ephemeral confirmation with what was done, so the button is
gone. A second click, another coordinator's, or a forged value finds nothing left to do or
is refused, and changes nothing. Registered with `coordinators_only`; whether the clicker
coordinates the person's programme is the service's check."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.privacy.requests import EraseAnswer, EraseStatus, erase_confirmed
from bot.slack.render.privacy import erase_message, parse_erase_value
from handlers.answers import reply
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_erase_confirm(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext, logger: Logger,
) -> None:
    ack()
    deps = deps_from(context)
    viewer = viewer_from(context)
    participant_id = parse_erase_value(action.get("value"))
    if participant_id is None:
        reply(respond, erase_message(EraseAnswer(language=viewer.language, status=EraseStatus.ALREADY)))
        return
    with unit_of_work(deps.session_factory) as session:
        answer = erase_confirmed(session, workspace=viewer.workspace, slack_user_id=viewer.slack_user_id,
                                 admin_user_ids=deps.settings.admin_user_ids, participant_id=participant_id,
                                 now=deps.clock.now())
    message = erase_message(answer)
    if answer.status is EraseStatus.ERASED:
        # Ids only: the log never holds the name that was just erased.
        logger.info("participant %s and their other rows erased by %s: %s", participant_id, viewer.slack_user_id,
                    answer.counts.tables if answer.counts else {})
        respond(text=message.text, blocks=message.blocks, replace_original=True)
        return
    reply(respond, message)
