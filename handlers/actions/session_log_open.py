"""`session.log.open`: a "Log a session" button (pair channel, App Home, check-ins) opens
the log modal; `open_log_modal` is what other features call to open it themselves.

A trigger_id lives 3 seconds, so this does the least possible before `views.open`: ack,
one small read, open. Someone who cannot log now (paused or ended pair, not matched) is
told why instead.
"""

from __future__ import annotations

import logging
from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.container import Deps
from bot.core.workspace import Workspace
from bot.i18n import t
from bot.sessions.parser import ParseResult
from bot.sessions.service import LogForm, SessionDraft, load_log_form
from bot.slack.render.blocks import Message, section
from bot.slack.render.sessions import log_modal, outcome_message, pair_id_from_action
from handlers.answers import explain
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work

log = logging.getLogger(__name__)


def handle_session_log_open(
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
    explanation = open_log_modal(
        client=client,
        deps=deps,
        trigger_id=str(body.get("trigger_id") or ""),
        slack_user_id=user_id,
        workspace=viewer.workspace,
        pair_id=pair_id_from_action(action),
        channel_id=(body.get("channel") or {}).get("id"),
    )
    if explanation is not None:
        explain(client=client, body=body, respond=respond, message=explanation, logger=logger)


def open_log_modal(
    *,
    client: WebClient,
    deps: Deps,
    trigger_id: str,
    slack_user_id: str,
    workspace: Workspace,
    pair_id: int | None = None,
    prefill: SessionDraft | ParseResult | None = None,
    channel_id: str | None = None,
) -> Message | None:
    """Open the log modal for this person (and this pair, when given), prefilled with
    `prefill`; returns None when it opened, else the message saying why it did not, for
    the caller to show the person (ephemerally, or by DM from the Home tab).

    Call it right after `ack()`: the trigger_id expires 3 seconds after the click."""
    draft = SessionDraft.from_parse(prefill) if isinstance(prefill, ParseResult) else prefill
    with unit_of_work(deps.session_factory) as session:
        outcome = load_log_form(session, slack_user_id=slack_user_id, workspace=workspace, now=deps.clock.now(), pair_id=pair_id,
                                channel_id=channel_id, draft=draft)
    if outcome.form is None:
        return outcome_message(outcome)
    return open_form(client=client, trigger_id=trigger_id, form=outcome.form, slack_user_id=slack_user_id)


def open_form(*, client: WebClient, trigger_id: str, form: LogForm, slack_user_id: str) -> Message | None:
    """`views.open` with the log (or edit) modal; a message for the person if Slack refused."""
    try:
        client.views_open(trigger_id=trigger_id, view=log_modal(form))
    except SlackApiError as error:
        log.warning("could not open the session modal for %s: %s", slack_user_id, error.response.get("error"))
        text = t("error.generic", form.language)
        return Message(text=text, blocks=[section(text)])
    return None
