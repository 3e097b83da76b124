"""`/mentoring-admin scoreboard [ROUND]`: where a round stands against its success criteria.

The router has acknowledged and checked the asker coordinates something; the service picks
the round among theirs and computes the board (anonymous totals only), recording what it
shows, in one unit of work."""

from __future__ import annotations

from bot.matching.review import LookupStatus, RoundLookup
from bot.slack.render.blocks import Message
from bot.slack.render.match_review import choose_round_message
from bot.slack.render.scoreboard import scoreboard_message
from bot.surveys.scoreboard import scoreboard_for
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work


def admin_scoreboard(request: CommandRequest) -> Message:
    deps = request.deps
    typed = request.argument.strip()
    with unit_of_work(deps.session_factory) as session:
        answer = scoreboard_for(session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id,
                                round_name=typed or None,
                                now=deps.clock.now(), admin_user_ids=deps.settings.admin_user_ids)
    if answer.board is None:
        lookup = answer.lookup or RoundLookup(status=LookupStatus.UNKNOWN)
        return choose_round_message(lookup, typed=typed, language=answer.language, keys="scoreboard.choose")
    return scoreboard_message(answer.board, language=answer.language)


__all__ = ["admin_scoreboard"]
