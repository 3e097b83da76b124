"""/log-session TEXT: log a 1:1 session in one line.

Complete, unambiguous text is logged at once (an ephemeral answer, and a post in the pair
channel); anything missing or in doubt opens the modal prefilled with what was
understood, using the command's trigger_id straight away (it lives 3 seconds). A bad date
or duration, or a paused, ended or missing pair, gets an ephemeral explanation and
nothing is stored. `/mentoring log TEXT` takes the same path.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.container import Deps
from bot.core.workspace import Workspace
from bot.sessions.service import quick_log
from bot.slack.render.blocks import Message
from bot.slack.render.sessions import outcome_message
from handlers.actions.session_log_open import open_form
from handlers.answers import reply
from handlers.commands.router import not_in_programme
from handlers.context import deps_from, viewer_from
from handlers.session_effects import apply_outcome
from storage.db import unit_of_work


def handle_log_session(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    client: WebClient,
    logger: Logger,
) -> None:
    ack()
    deps = deps_from(context)
    viewer = viewer_from(context)
    if not viewer.in_programme:
        reply(respond, not_in_programme(deps, viewer))
        return
    message = log_from_text(
        deps=deps,
        client=client,
        slack_user_id=viewer.slack_user_id,
        workspace=viewer.workspace,
        text=str(command.get("text") or ""),
        trigger_id=str(command.get("trigger_id") or ""),
        channel_id=command.get("channel_id"),
        logger=logger,
    )
    if message is not None:
        reply(respond, message)


def log_from_text(
    *,
    deps: Deps,
    client: WebClient,
    slack_user_id: str,
    workspace: Workspace,
    text: str,
    trigger_id: str,
    channel_id: str | None,
    logger: Logger,
) -> Message | None:
    """Log from a quick note, or open the modal; returns the ephemeral answer, if any."""
    with unit_of_work(deps.session_factory) as session:
        outcome = quick_log(session, slack_user_id=slack_user_id, workspace=workspace, text=text, now=deps.clock.now(),
                            channel_id=channel_id)
    if outcome.form is not None:
        return open_form(client=client, trigger_id=trigger_id, form=outcome.form, slack_user_id=slack_user_id)
    apply_outcome(client=client, deps=deps, outcome=outcome, acting_user_id=slack_user_id, logger=logger)
    return outcome_message(outcome)
