"""The app was uninstalled, or its tokens revoked: stop sending to the workspace.

Bolt lets these two events (and `team_access_revoked`) skip authorization, since the token
they are about no longer works (`no_auth_test_events` in Bolt's authorization middleware);
without a listener of its own the event was only acknowledged by the catch-all, and before
that Bolt answered 404 (`unhandled request`) and Slack redelivered it. Here each is
acknowledged and recorded in `workspace_status` (`bot.core.workspace`): the deliverer and
the Slack-calling tick jobs stop until the app is installed again.

`tokens_revoked` may list only users' tokens; the bot uses none, so only a revoked bot
token stops sending.

Only the team the event is about stops: with many workspaces (OAuth) the others go on, and
the team's stored installation is deleted, so neither a request nor the worker uses its
dead token; installing again (/slack/install) saves a new one and resumes sending."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import BoltContext

from bot.core.workspace import TOKENS_REVOKED, UNINSTALLED, resume_sending, stop_sending
from handlers.context import deps_from
from handlers.sending_seen import forget_sending
from storage.db import unit_of_work


def _team(body: dict[str, Any], context: BoltContext) -> str | None:
    team = body.get("team_id") or context.team_id
    return team if isinstance(team, str) and team else None


def handle_app_uninstalled(body: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    _stop(body, context, logger, because=UNINSTALLED)


def handle_tokens_revoked(event: dict[str, Any], body: dict[str, Any], context: BoltContext, logger: Logger) -> None:
    tokens = event.get("tokens")
    bot_tokens = tokens.get("bot") if isinstance(tokens, dict) else None
    if not bot_tokens:
        logger.info("tokens_revoked for users' tokens only; the bot's token still works")
        return
    _stop(body, context, logger, because=TOKENS_REVOKED)


def _stop(body: dict[str, Any], context: BoltContext, logger: Logger, *, because: str) -> None:
    deps = deps_from(context)
    team = _team(body, context)
    with unit_of_work(deps.session_factory) as session:
        stopped = stop_sending(session, team_id=team, because=because, now=deps.clock.now())
    forget_sending(context)  # committed: this process looks for the stop again at the next request
    if deps.delete_installation is not None and team:
        # After the stop is committed: the worker never finds a team half-gone.
        event_time = body.get("event_time")
        when = float(event_time) if isinstance(event_time, int | float) and not isinstance(event_time, bool) else None
        if not deps.delete_installation(team, when):
            # A late redelivery: the workspace installed again since. Its new installation stays,
            # and so does sending there.
            with unit_of_work(deps.session_factory) as session:
                resume_sending(session, now=deps.clock.now(), team_id=team)
            return
    if stopped:
        logger.warning("%s for workspace %s: nothing more is sent there until the app is installed again",
                       because, _team(body, context))
