"""`profile.submit`: store a submitted profile, or show what to fix under each box.

Slack shows inline errors only if they come back in the acknowledgement, so validation
runs before `ack` here (one quick transaction); the DM and Home tab follow after it.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.onboarding.profile import FIELD, ProfileAccess, save_profile
from bot.slack.render.profile import (
    participant_id_from_metadata,
    profile_notice_view,
    profile_saved_message,
    read_profile_form,
)
from handlers.ack_first import FollowUp
from handlers.answers import show_errors
from handlers.context import deps_from, viewer_from
from handlers.home.publish import publish_home
from storage.db import unit_of_work


def handle_profile_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext, logger: Logger
) -> FollowUp | None:
    deps = deps_from(context)
    viewer = viewer_from(context)
    user_id = viewer.slack_user_id
    participant_id = participant_id_from_metadata(view.get("private_metadata"))
    form = read_profile_form((view.get("state") or {}).get("values") or {})
    if participant_id is None:  # not a modal we opened: refuse rather than guess whose profile
        language = viewer.language
        ack(response_action="update", view=profile_notice_view(access=ProfileAccess.NOT_YOURS, language=language))
        return None
    try:
        with unit_of_work(deps.session_factory) as session:
            result = save_profile(
                session, slack_user_id=user_id, workspace=viewer.workspace, participant_id=participant_id, form=form,
                now=deps.clock.now()
            )
    except Exception:  # any failure: the person must hear something within 3 seconds
        logger.exception("saving the profile of %s failed", user_id)
        show_errors(ack, view=view, errors={FIELD: t("error.generic", None)})
        return None
    if result.errors:
        show_errors(ack, view=view, errors=result.errors)
        return None
    if not result.ok or result.saved is None:
        ack(response_action="update", view=profile_notice_view(access=result.access, language=result.language))
        return None
    ack()
    message = profile_saved_message(saved=result.saved, first_time=result.first_time, language=result.language)

    def confirm() -> None:  # after the ack, on the listener executor
        try:
            client.chat_postMessage(channel=user_id, **message.as_kwargs())
        except SlackApiError as error:
            logger.warning("profile saved, but the confirmation to %s failed: %s", user_id, error.response.get("error"))
        publish_home(client=client, deps=deps, slack_user_id=user_id, workspace=viewer.workspace)

    return confirm
