"""`/mentoring-admin digest [ROUND]`: this week's coordinator digest now, only to the asker.

The router has acknowledged and checked the asker coordinates something; the service picks
the round among theirs and builds the digest (its scoreboard records what it shows) in one
unit of work. A big round's digest comes as several ephemeral messages, as it is posted."""

from __future__ import annotations

from bot.digest.service import digest_for
from bot.matching.review import LookupStatus, RoundLookup
from bot.slack.render.blocks import Message
from bot.slack.render.digest import digest_part_message
from bot.slack.render.match_review import choose_round_message
from handlers.answers import reply
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work


def admin_digest(request: CommandRequest) -> Message | None:
    deps = request.deps
    typed = request.argument.strip()
    with unit_of_work(deps.session_factory) as session:
        view = digest_for(session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id,
                          round_name=typed or None,
                          admin_user_ids=deps.settings.admin_user_ids, now=deps.clock.now())
    if view.digest is None:
        lookup = view.lookup or RoundLookup(status=LookupStatus.UNKNOWN)
        return choose_round_message(lookup, typed=typed, language=view.language, keys="digest.choose")
    messages = [digest_part_message(part, view.language) for part in view.digest.parts()]
    for message in messages[:-1]:
        reply(request.respond, message)
    return messages[-1]


__all__ = ["admin_digest"]
