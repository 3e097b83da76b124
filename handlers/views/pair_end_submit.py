"""`pairs.end.submit`: end the chosen pair, or show what to fix under each box.

Slack shows inline errors only if they come back in the acknowledgement, so the service
runs before `ack` here (one quick transaction); on success the modal is replaced by what
happened and what comes next. Messages to the pair and the coordinators go via the outbox.
Registered with `coordinators_only`; which pair a coordinator may end is the service's check.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.i18n import t
from bot.pairs.end import PAIR_FIELD, end_pair
from bot.slack.render.pair_end import end_pair_done_view, end_pair_errors, read_end_pair_submission
from handlers.answers import show_errors
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_end_pair_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, logger: Logger
) -> None:
    deps = deps_from(context)
    viewer = viewer_from(context)
    user_id = viewer.slack_user_id
    submission = read_end_pair_submission(view)
    try:
        # The service checks who may end which pair: only a coordinator of the pair's round.
        with unit_of_work(deps.session_factory) as session:
            result = end_pair(
                session, workspace=viewer.workspace, slack_user_id=user_id, admin_user_ids=deps.settings.admin_user_ids,
                pair_id=submission.pair_id, reason=submission.reason, note=submission.note,
                rematch=submission.rematch, now=deps.clock.now(),
            )
    except Exception:  # any failure: the coordinator must hear something within 3 seconds
        logger.exception("ending a pair for %s failed", user_id)
        show_errors(ack, view=view, errors={PAIR_FIELD: t("pairs.end.error.generic", None)})
        return
    if result.ended is None:
        show_errors(ack, view=view, errors=end_pair_errors(result.errors, result.language))
        return
    ack(response_action="update", view=end_pair_done_view(ended=result.ended, language=result.language))
