"""Publish in the matching review: make the pairs real once, or show a fresh proposal and why.

Publishing writes the pairs (the channel opener takes it from there) and queues the DMs
for people left without a match; the ephemeral review is replaced by the confirmation, so
its buttons are gone and cannot be clicked twice. A stale proposal is refused by the
service and the coordinator gets the recomputed one to review. A proposal without pairs
is refused with an explanation beside the review, which stays as it was. Registered with
`coordinators_only`; whether the clicker coordinates this proposal's round is the service's check.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.matching.review import PublishStatus, ReviewOutcome, ReviewStatus, publish_for
from bot.slack.render.match_review import parse_action_value, publish_message, refused_message
from handlers.answers import replace, reply
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_match_publish(
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
    value = parse_action_value(action.get("value"))
    language = viewer.language
    outcome: ReviewOutcome | None = None
    if value is not None:
        with unit_of_work(deps.session_factory) as session:
            outcome = publish_for(
                session,
                workspace=viewer.workspace,
                proposal_id=value.proposal_id,
                slack_user_id=user_id,
                now=deps.clock.now(),
                admin_user_ids=deps.settings.admin_user_ids,
            )
            language = outcome.language
    if outcome is None or outcome.status is not ReviewStatus.OK or outcome.publish is None:
        status = outcome.status if outcome is not None else ReviewStatus.NOT_FOUND
        message = refused_message(status, language=language)
        reply(respond, message)
        return
    result = outcome.publish
    logger.info("proposal %s publish by %s: %s (%d pairs)", result.proposal_id, user_id, result.status.value,
                result.pairs_published)
    message = publish_message(result, language=language, review=outcome.review)
    if result.status is PublishStatus.EMPTY:  # refused: the review stays, with the reasons beside it
        reply(respond, message)
        return
    replace(respond, message)
