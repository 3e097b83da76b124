"""A person changed their Slack profile: follow their time zone so nudges stay in daytime."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import BoltContext

from bot.core.people import follow_time_zone_change
from handlers.context import deps_from
from storage.db import unit_of_work


def handle_user_change(event: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    deps = deps_from(context)
    user = event.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return
    with unit_of_work(deps.session_factory) as session:
        changed = follow_time_zone_change(
            session, slack_user_id=user["id"], timezone=user.get("tz"), now=deps.clock.now()
        )
    if changed:
        logger.info("time zone of %s is now %s (%d participant rows)", user["id"], user.get("tz"), changed)
