"""`session.log.submit`: store a logged or edited session, or show what to fix under each box.

Slack shows inline errors only when they come back in the acknowledgement, so the save
runs before `ack` (one quick transaction); the pair-channel post and the answer to the
person follow after it.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.i18n import t
from bot.sessions.service import HELD_ON, LogStatus, Refusal, submit_log_form
from bot.slack.render.sessions import notice_view, outcome_message, read_log_form, read_metadata, refusal_text
from handlers.ack_first import FollowUp
from handlers.answers import show_errors
from handlers.context import deps_from, viewer_from
from handlers.session_effects import apply_outcome, tell
from storage.db import unit_of_work


def handle_session_log_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext, logger: Logger
) -> FollowUp | None:
    deps = deps_from(context)
    viewer = viewer_from(context)
    user_id = viewer.slack_user_id
    metadata = read_metadata(view.get("private_metadata"))
    if metadata is None:  # not a modal we opened: refuse rather than guess whose pair
        language = viewer.language
        ack(response_action="update", view=notice_view(text=refusal_text(Refusal.NOT_IN_PAIR, language),
                                                       language=language))
        return None
    pair_id, session_id = metadata
    values = read_log_form((view.get("state") or {}).get("values") or {})
    try:
        with unit_of_work(deps.session_factory) as session:
            outcome = submit_log_form(session, workspace=viewer.workspace, slack_user_id=user_id, values=values, pair_id=pair_id,
                                      session_id=session_id, now=deps.clock.now())
    except Exception:  # any failure: the person must hear something within 3 seconds
        logger.exception("saving the session logged by %s failed", user_id)
        show_errors(ack, view=view, errors={HELD_ON: t("error.generic", None)})
        return None
    if outcome.status is LogStatus.INVALID:
        # An error about a box this modal does not have is said in place of the form.
        show_errors(ack, view=view, errors=outcome.errors, when_none_shown=lambda: ack(
            response_action="update", view=notice_view(text=" ".join(outcome.errors.values()),
                                                       language=outcome.language)))
        return None
    if outcome.status is LogStatus.REFUSED:
        ack(response_action="update", view=notice_view(text=outcome_message(outcome).text, language=outcome.language))
        return None
    ack()

    def post_and_tell() -> None:  # after the ack, on the listener executor
        apply_outcome(client=client, deps=deps, outcome=outcome, acting_user_id=user_id, logger=logger)
        if outcome.status is not LogStatus.UNCHANGED:
            channel_id = outcome.session.channel_id if outcome.session is not None else None
            tell(client=client, user_id=user_id, channel_id=channel_id, message=outcome_message(outcome),
                 logger=logger)

    return post_and_tell
