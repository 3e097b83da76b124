"""`/mentoring-admin match [ROUND]`: compute a proposal and show it to the coordinator to review.

The router has acknowledged the command and checked that the person is a coordinator;
the service picks the round among those they coordinate (several running rounds need a
name) and stores the proposal the review's buttons will refer to.
"""

from __future__ import annotations

from bot.matching.review import LookupStatus, RoundLookup, start_review
from bot.slack.render.blocks import Message
from bot.slack.render.match_review import choose_round_message, review_message
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work


def admin_match(request: CommandRequest) -> Message:
    """The proposal with its buttons, or which rounds the coordinator can name."""
    deps = request.deps
    typed = request.argument.strip()
    with unit_of_work(deps.session_factory) as session:
        outcome = start_review(
            session,
            workspace=request.viewer.workspace,
            slack_user_id=request.viewer.slack_user_id,
            round_name=typed or None,
            now=deps.clock.now(),
            admin_user_ids=deps.settings.admin_user_ids,
        )
    if outcome.review is None:
        lookup = outcome.lookup or RoundLookup(status=LookupStatus.UNKNOWN)
        return choose_round_message(lookup, typed=typed, language=outcome.language)
    return review_message(outcome.review, language=outcome.language)


__all__ = ["admin_match"]
