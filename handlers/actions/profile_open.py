"""`profile.open`: the button in welcome DMs, reminders and the Home tab opens the profile modal.

A trigger_id lives 3 seconds, so this does the least possible before `views.open`: ack,
one small read, open. Anyone who cannot fill in a profile now is told why instead.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.container import Deps
from bot.core.workspace import Workspace
from bot.i18n import t
from bot.onboarding.profile import load_profile
from bot.slack.render.blocks import Message, section
from bot.slack.render.profile import participant_id_from_button, profile_access_message, profile_modal
from handlers.answers import explain
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_profile_open(
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
    explanation = open_profile_modal(
        deps=deps,
        client=client,
        slack_user_id=user_id,
        workspace=viewer.workspace,
        trigger_id=body.get("trigger_id") or "",
        participant_id=participant_id_from_button(action.get("value")),
        logger=logger,
    )
    if explanation is not None:
        explain(client=client, body=body, respond=respond, message=explanation, logger=logger)


def open_profile_modal(
    *, deps: Deps, client: WebClient, slack_user_id: str, workspace: Workspace, trigger_id: str,
    participant_id: int | None, logger: Logger
) -> Message | None:
    """Open the modal for this person's newest profile; otherwise the message saying why not.

    Shared by the button and `/mentoring profile`, so both explain refusals the same way."""
    with unit_of_work(deps.session_factory) as session:
        loaded = load_profile(session, slack_user_id=slack_user_id, workspace=workspace, participant_id=participant_id)
    if loaded.draft is None:
        return profile_access_message(access=loaded.access, language=loaded.language)
    try:
        client.views_open(trigger_id=trigger_id, view=profile_modal(loaded.draft))
    except SlackApiError as error:
        logger.warning("could not open the profile modal for %s: %s", slack_user_id, error.response.get("error"))
        text = t("error.generic", loaded.language)
        return Message(text=text, blocks=[section(text)])
    return None
