"""`session.edit.<id>`: the author opens the edit modal; anyone else is told only the
author can edit (ephemerally)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.sessions.service import LogOutcome, Refusal, load_edit_form
from bot.slack.render.blocks import Message
from bot.slack.render.sessions import outcome_message, refusal_message, session_id_from_action
from handlers.actions.session_log_open import open_form
from handlers.answers import explain
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_session_edit(
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
    session_id = session_id_from_action(action)
    outcome: LogOutcome | None = None
    message: Message | None
    if session_id is None:
        message = refusal_message(Refusal.GONE, viewer.language)
    else:
        with unit_of_work(deps.session_factory) as session:
            outcome = load_edit_form(session, workspace=viewer.workspace, session_id=session_id, slack_user_id=user_id,
                                     now=deps.clock.now())
        message = outcome_message(outcome) if outcome.form is None else None
    if outcome is not None and outcome.form is not None:
        message = open_form(client=client, trigger_id=str(body.get("trigger_id") or ""), form=outcome.form,
                            slack_user_id=user_id)
    if message is not None:
        explain(client=client, body=body, respond=respond, message=message, logger=logger)
