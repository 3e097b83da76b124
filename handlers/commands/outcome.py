"""`/mentoring outcome` (a mentee, for themselves) and `/mentoring-admin outcome NAME`
(a coordinator, for a mentee of a round they run): open the outcome modal; for a company
contact's name, the company survey's modal to enter their answers by hand.

The router has acknowledged and checked who may use which. A trigger id lives three
seconds, so this does one small read and opens the modal; anything that stops it (a mentor
asking, a name fitting nobody or several) is answered ephemerally, and nothing is stored.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.outcomes.service import FormAnswer, coordinator_outcome_form, own_outcome_form
from bot.slack.render.blocks import Message
from bot.slack.render.outcomes import (
    company_answer_modal,
    outcome_modal,
    outcome_refusal_message,
    outcome_trouble_message,
)
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work

log = logging.getLogger(__name__)


def _open(request: CommandRequest, answer: FormAnswer) -> Message | None:
    opened_by = request.viewer.slack_user_id
    if answer.company is not None:  # a company contact: their survey answers, by hand
        view = company_answer_modal(answer.company, opened_by_user_id=opened_by)
    elif answer.form is not None:
        view = outcome_modal(answer.form, opened_by_user_id=opened_by)
    else:
        return outcome_refusal_message(answer)
    try:
        request.client.views_open(trigger_id=request.command.get("trigger_id") or "", view=view)
    except (SlackApiError, SlackClientError, OSError) as exc:
        log.warning("could not open the outcome modal for %s: %s", request.viewer.slack_user_id, exc)
        return outcome_trouble_message(language=answer.language)
    return None


def outcome_command(request: CommandRequest) -> Message | None:
    """`/mentoring outcome`: the mentee's own situation, in their newest round."""
    with unit_of_work(request.deps.session_factory) as session:
        answer = own_outcome_form(session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id)
    return _open(request, answer)


def admin_outcome_command(request: CommandRequest) -> Message | None:
    """`/mentoring-admin outcome NAME`: the person NAME fits within this coordinator's rounds."""
    deps = request.deps
    with unit_of_work(deps.session_factory) as session:
        answer = coordinator_outcome_form(
            session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id,
            admin_user_ids=deps.settings.admin_user_ids,
            query=request.argument, now=deps.clock.now(),
        )
    return _open(request, answer)


__all__ = ["admin_outcome_command", "outcome_command"]
