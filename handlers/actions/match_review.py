"""A click in the matching review (Lock, Unlock, Forbid, Allow again, Re-run, a page): apply and redraw.

The value names the stored proposal; the service checks that the clicker coordinates its
round, applies the change, computes a fresh proposal and the ephemeral review is replaced
with it, so the coordinator always sees (and can only publish) the current proposal.
Registered with `coordinators_only`: nobody else gets this far.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.matching.review import ReviewOutcome, ReviewStatus, act_on_proposal
from bot.slack.render.match_review import parse_action_value, refused_message, review_action_for, review_message
from handlers.answers import replace, reply
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_match_review(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
    logger: Logger,
) -> None:
    ack()
    deps = deps_from(context)
    viewer = viewer_from(context)
    user_id = viewer.slack_user_id
    review_action = review_action_for(str(action.get("action_id") or ""))
    raw = (action.get("selected_option") or {}).get("value") if "selected_option" in action else action.get("value")
    value = parse_action_value(raw)
    language = viewer.language
    outcome: ReviewOutcome | None = None
    if review_action is not None and value is not None:
        with unit_of_work(deps.session_factory) as session:
            outcome = act_on_proposal(
                session,
                workspace=viewer.workspace,
                proposal_id=value.proposal_id,
                action=review_action,
                slack_user_id=user_id,
                now=deps.clock.now(),
                mentor_id=value.mentor_id,
                mentee_id=value.mentee_id,
                admin_user_ids=deps.settings.admin_user_ids,
            )
            language = outcome.language
    if outcome is None or outcome.status is not ReviewStatus.OK or outcome.review is None:
        status = outcome.status if outcome is not None else ReviewStatus.NOT_FOUND
        logger.info("match review action %s by %s refused: %s", action.get("action_id"), user_id, status.value)
        reply(respond, refused_message(status, language=language))
        return
    page = value.page if value is not None else 0
    message = review_message(outcome.review, language=language, page=page)
    replace(respond, message)
