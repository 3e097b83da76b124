"""Middleware: hand listeners their dependencies and who is asking, drop redelivered events,
and keep non-coordinators out of coordinator-only listeners.

The workspace a request comes from (`Workspace`, by the team Slack names) and who a person
is there (their language, roles and the rounds of that workspace they coordinate) are
resolved here once per request and put in the context; listeners read them with
`workspace_from(context)` and `viewer_from(context)`, and every look-up goes through them.
The person is read from the database only when first asked for (`LazyViewer`): a command or
a click is acknowledged before its listener asks, so the ack itself reads nothing.
A coordinator-only listener is registered with `middleware=[coordinators_only]`, so the
refusal is said in one place and the listener itself never runs for anyone else. Which
*round* a coordinator may touch is still the service's check, on the object itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.container import Deps
from bot.core.events import record_event_once
from bot.core.people import Viewer, identify
from bot.core.workspace import TOKENS_REVOKED, UNINSTALLED, Workspace, resume_sending, sending_stopped
from bot.i18n import DEFAULT_LANGUAGE
from bot.slack.render.help import not_a_coordinator_message, not_a_coordinator_view
from handlers.ack_first import defer
from handlers.answers import reply
from handlers.context import DEPS_KEY, VIEWER_KEY, WORKSPACE_KEY, LazyViewer, viewer_or_none
from handlers.sending_seen import SENDING_SEEN_KEY, SendingSeen
from storage.db import read_only_unit_of_work, unit_of_work

log = logging.getLogger(__name__)


def resolve_workspace(deps: Deps, team_id: str | None) -> Workspace:
    """The workspace a request comes from, by the team Slack names in it. With OAuth every
    installed workspace sees only its own rows; in token mode the bot's one workspace also
    owns rows made before its team was known (the CLI's, until adopted at start-up). A team
    that is not a string (a forged body) is no team: it sees nothing of any workspace's
    own rows."""
    team = team_id if isinstance(team_id, str) else ""
    if deps.settings.oauth:
        return Workspace(team_id=team[:32], owns_unassigned=False)
    return Workspace.single(team)


def resolve_viewer(deps: Deps, slack_user_id: str, workspace: Workspace) -> Viewer:
    """Who this is in this workspace, in one short read transaction (the rule itself is
    `identify`). Read-only: on SQLite it neither waits for nor holds the write lock."""
    with read_only_unit_of_work(deps.session_factory) as session:
        return identify(session, slack_user_id=slack_user_id, workspace=workspace,
                        admin_user_ids=deps.settings.admin_user_ids)


def register(app: App, deps: Deps) -> None:
    sending_seen = SendingSeen()
    @app.middleware
    def provide_deps(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 - Bolt's name
        context[DEPS_KEY] = deps
        next()

    @app.middleware
    def drop_redelivered_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            next()
            return None
        with unit_of_work(deps.session_factory) as session:
            first_time = record_event_once(session, event_id=str(event_id), now=deps.clock.now())
        if not first_time:
            log.info("event %s already handled; acknowledging the redelivery", event_id)
            return BoltResponse(status=200, body="")
        next()
        return None

    @app.middleware
    def resume_sending_when_installed(body: dict[str, Any], context: BoltContext,
                                      next: Callable[[], None]) -> None:  # noqa: A002
        # A command, a click or a fresh event from the team arrives only while the app is
        # installed: sending stopped by an uninstall or a revoked token resumes. Nothing in
        # the ack depends on it (the outbox sends from the worker), so the look-up waits
        # for the executor instead of holding up the acknowledgement, and a team seen sending
        # in the last few seconds is not looked up again (handlers/sending_seen.py).
        context[SENDING_SEEN_KEY] = sending_seen  # the stop listeners forget what it saw
        team_id = context.team_id
        if _proves_installed(body) and not sending_seen.recently(team_id):
            generation = sending_seen.generation

            def resume_if_stopped() -> None:
                with unit_of_work(deps.session_factory) as session:
                    stopped = sending_stopped(session, team_id=team_id)
                    resumed = stopped is not None and _after(body, stopped.since)
                    if resumed:
                        resume_sending(session, team_id=team_id, now=deps.clock.now())
                        log.info("a request from workspace %s: the app is installed again; sending resumes", team_id)
                if stopped is None or resumed:  # committed: no stop in force now
                    sending_seen.saw_sending(team_id, generation=generation)

            defer(context, resume_if_stopped, "resume_sending_when_installed")
        next()

    @app.middleware
    def provide_viewer(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
        # After the redelivery check: a dropped repeat costs no lookup. Every request has a
        # workspace (the team Slack names); one that names no user (most events about the
        # workspace) gets no viewer.
        workspace = resolve_workspace(deps, context.team_id)
        context[WORKSPACE_KEY] = workspace
        if context.user_id:
            # Read when a listener first asks (LazyViewer): for most, on the executor after the ack.
            context[VIEWER_KEY] = LazyViewer(partial(resolve_viewer, deps, context.user_id, workspace))
        next()


# Events about the app losing its access: they never mean it is back.
_ACCESS_LOST_EVENTS = frozenset({UNINSTALLED, TOKENS_REVOKED, "team_access_revoked"})


def _proves_installed(body: dict[str, Any]) -> bool:
    if body.get("type") == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and event.get("type") not in _ACCESS_LOST_EVENTS
    return bool(body.get("command") or body.get("type") in ("block_actions", "view_submission", "view_closed",
                                                            "shortcut", "message_action", "block_suggestion"))


def _after(body: dict[str, Any], since: datetime) -> bool:
    """An event written after sending stopped: a redelivery of an older one (Slack retries
    for minutes, keeping its `event_time`) proves nothing about now."""
    if body.get("type") != "event_callback":
        return True
    event_time = body.get("event_time")
    if not isinstance(event_time, (int, float)) or isinstance(event_time, bool):
        return False
    try:
        return datetime.fromtimestamp(event_time, tz=timezone.utc) > since
    except (ValueError, OverflowError, OSError):  # a time no calendar holds proves nothing either
        return False


def coordinators_only(
    ack: Ack,
    body: dict[str, Any],
    context: BoltContext,
    respond: Respond | None,
    client: WebClient,
    next: Callable[[], None],  # noqa: A002 - Bolt's name
) -> BoltResponse | None:
    """Listener middleware: a coordinator (of any round, or an admin) goes on to the listener;
    anyone else gets the "only coordinators" answer where they asked, and nothing runs.

    Returning the acknowledgement is what stops Bolt here: a listener middleware that
    neither calls `next` nor returns a response makes Bolt try the next listener instead."""
    viewer = viewer_or_none(context)
    if viewer is not None and viewer.is_coordinator:
        next()
        return None
    language = viewer.language if viewer is not None else DEFAULT_LANGUAGE
    log.info("%s is not a coordinator; refused %s", context.user_id, _what(body))
    if body.get("type") == "view_submission":
        # A modal is answered in the acknowledgement: the refusal under its first box (the
        # keys of state.values are its input blocks), or in place of a form without boxes.
        view = body.get("view") or {}
        boxes = list((view.get("state") or {}).get("values") or {})
        if boxes:
            refusal = not_a_coordinator_message(language=language, command=False).text
            return ack(response_action="errors", errors={str(boxes[0]): refusal})
        return ack(response_action="update", view=not_a_coordinator_view(language=language, title=view.get("title")))
    answer = ack()
    message = not_a_coordinator_message(language=language, command=bool(body.get("command")))
    user_id = context.user_id

    def tell() -> None:
        if respond is not None and (body.get("response_url") or body.get("command")):
            reply(respond, message)
        elif user_id:  # a click on the Home tab has no message to answer under: a DM
            try:
                client.chat_postMessage(channel=user_id, **message.as_kwargs())
            except SlackApiError as error:
                log.warning("could not tell %s they are not a coordinator: %s", user_id, error.response.get("error"))

    # This runs in the request thread (ack first); the Web API call waits for the executor.
    defer(context, tell)
    return answer


def _what(body: dict[str, Any]) -> str:
    if body.get("command"):
        return str(body["command"])
    actions = body.get("actions") or [{}]
    return str(actions[0].get("action_id") or (body.get("view") or {}).get("callback_id") or body.get("type"))


__all__ = ["coordinators_only", "register", "resolve_viewer", "resolve_workspace"]
