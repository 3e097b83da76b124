"""A person changed their Slack profile: follow their time zone so nudges stay in daytime;
a participant deactivated (`deleted: true`) left the workspace and their pairs pause; one
active again after that is back (`bot.pairs.departures`)."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import BoltContext

from bot.core.people import follow_time_zone_change
from bot.pairs.departures import DepartureOutcome, participant_back_in_workspace, participant_left_workspace
from handlers.context import deps_from, workspace_from
from storage.db import unit_of_work


def handle_user_change(event: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    deps = deps_from(context)
    user = event.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return
    if user.get("is_bot"):
        return
    deleted = user.get("deleted")
    now = deps.clock.now()
    # The same user id in another workspace is someone else: only this team's rows follow.
    workspace = workspace_from(context)
    outcome: DepartureOutcome | None = None
    with unit_of_work(deps.session_factory) as session:
        if deleted is True:
            outcome = participant_left_workspace(session, slack_user_id=user["id"], workspace=workspace, now=now)
            changed = 0
        else:
            changed = follow_time_zone_change(session, slack_user_id=user["id"], workspace=workspace,
                                              timezone=user.get("tz"), now=now)
            outcome = (participant_back_in_workspace(session, slack_user_id=user["id"], workspace=workspace, now=now)
                       if deleted is False else None)
    if changed:
        logger.info("time zone of %s is now %s (%d participant rows)", user["id"], user.get("tz"), changed)
    if outcome is None:
        return
    if deleted is True and (outcome.told or outcome.paused_pairs):
        logger.info("%s left the workspace: %d pair(s) paused, coordinators told %d time(s)",
                    user["id"], outcome.paused_pairs, outcome.told)
    elif deleted is False and outcome.told:
        logger.info("%s is back in the workspace: %d pair(s) resumed", user["id"], outcome.resumed_pairs)
