"""The Slack side of a session outcome: the pair-channel post and the person's answer.

Shared by `/log-session`, `/mentoring log`, the log modal and the session buttons, so a
session looks the same in the pair channel however it was logged. These are direct
answers to the person who acted (DESIGN: straight to the Web API after `ack`, no outbox).
A failed post never undoes a stored session: it is logged, and the next confirmation or
edit posts it again.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.container import Deps
from bot.core.people import Viewer
from bot.sessions.service import (
    LogOutcome,
    LogStatus,
    Refusal,
    SessionView,
    claim_post,
    record_post,
    release_post,
)
from bot.slack.render.blocks import Message
from bot.slack.render.sessions import change_reply, refusal_message, session_id_from_action, session_post, session_removed_post
from handlers.answers import explain
from storage.db import unit_of_work


def apply_outcome(*, client: WebClient, deps: Deps, outcome: LogOutcome, acting_user_id: str, logger: Logger) -> None:
    """Show in the pair channel what the outcome changed (nothing for refusals and errors)."""
    view = outcome.session
    if view is None or not view.channel_id:
        return
    if outcome.status is LogStatus.LOGGED:
        post_session(client=client, deps=deps, view=view, logger=logger)
    elif outcome.status in (LogStatus.CONFIRMED, LogStatus.ALREADY_LOGGED):
        refresh_post(client=client, deps=deps, view=view, logger=logger)
    elif outcome.status is LogStatus.UPDATED:
        ts = refresh_post(client=client, deps=deps, view=view, logger=logger)
        if ts and outcome.changes:
            reply = change_reply(view, outcome.changes, editor_user_id=acting_user_id)
            _call(logger, "thread reply", client.chat_postMessage, channel=view.channel_id, thread_ts=ts,
                  **reply.as_kwargs())
    elif outcome.status is LogStatus.DELETED and view.message_ts:
        removed = session_removed_post(view, removed_by=acting_user_id)
        _call(logger, "removal notice", client.chat_update, channel=view.channel_id, ts=view.message_ts,
              **removed.as_kwargs())


def post_session(*, client: WebClient, deps: Deps, view: SessionView, logger: Logger) -> str | None:
    """Post the session in its pair channel, once, and remember the post; returns its ts.

    Requests racing to post the same session (both of the pair logging one meeting, a
    double-clicked Confirm) claim it in the database first: one posts, the others leave
    it. The poster draws the session as it stands when it claims, and draws it again if a
    change came in while the post was on its way."""
    if not view.channel_id:
        return None
    with unit_of_work(deps.session_factory) as session:
        claimed = claim_post(session, session_id=view.session_id, now=deps.clock.now())
    if claimed is None or not claimed.channel_id:
        return None
    drawn = session_post(claimed).as_kwargs()
    response = _call(logger, "session post", client.chat_postMessage, channel=claimed.channel_id, **drawn)
    ts = str(response.get("ts") or "") if response is not None else ""
    with unit_of_work(deps.session_factory) as session:
        if not ts:
            release_post(session, session_id=view.session_id)
            return None
        latest = record_post(session, session_id=view.session_id, message_ts=ts)
    if latest is None:  # deleted while the post was on its way
        _call(logger, "post of a deleted session", client.chat_delete, channel=claimed.channel_id, ts=ts)
        return None
    redrawn = session_post(latest).as_kwargs()
    if redrawn != drawn:
        _call(logger, "session post", client.chat_update, channel=claimed.channel_id, ts=ts, **redrawn)
    return ts


def refresh_post(*, client: WebClient, deps: Deps, view: SessionView, logger: Logger) -> str | None:
    """Redraw the post after a change; post it afresh when there is none (an earlier post
    failed) or Slack no longer has it. While another request is posting it, leave it: that
    request draws what this change stored."""
    if not view.channel_id or view.post_claimed:
        return None
    if view.message_ts:
        try:
            client.chat_update(channel=view.channel_id, ts=view.message_ts, **session_post(view).as_kwargs())
            return view.message_ts
        except SlackApiError as error:
            if error.response.get("error") not in {"message_not_found", "cant_update_message"}:
                logger.warning("could not update the post of session %s: %s", view.session_id,
                               error.response.get("error"))
                return None
        with unit_of_work(deps.session_factory) as session:  # gone from Slack: the next post replaces it
            release_post(session, session_id=view.session_id, message_ts=view.message_ts)
    return post_session(client=client, deps=deps, view=view, logger=logger)


def tell(*, client: WebClient, user_id: str, channel_id: str | None, message: Message, logger: Logger) -> None:
    """An answer only this person sees: ephemeral in the pair channel, else a DM (a modal
    submission has no response_url to answer on)."""
    if channel_id:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, **message.as_kwargs())
            return
        except SlackApiError as error:
            logger.info("no ephemeral in %s for %s (%s); sending a DM", channel_id, user_id,
                        error.response.get("error"))
    _call(logger, "DM", client.chat_postMessage, channel=user_id, **message.as_kwargs())


def _call(logger: Logger, what: str, method: Any, **kwargs: Any) -> Any:
    try:
        return method(**kwargs)
    except SlackApiError as error:
        logger.warning("could not send the %s to %s: %s", what, kwargs.get("channel"), error.response.get("error"))
        return None


def act_on_session_button(
    *,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    deps: Deps,
    viewer: Viewer,
    logger: Logger,
    act: Callable[..., LogOutcome],
) -> LogOutcome | None:
    """The shared middle of the Confirm/Delete buttons: read the session id off the button,
    run `act` in one unit of work, and explain a vanished session. Returns the outcome for
    the caller to render, or None when it already answered."""
    session_id = session_id_from_action(action)
    if session_id is None:
        message = refusal_message(Refusal.GONE, viewer.language)
        explain(client=client, body=body, respond=respond, message=message, logger=logger)
        return None
    with unit_of_work(deps.session_factory) as session:
        outcome = act(session, session_id=session_id, slack_user_id=viewer.slack_user_id, workspace=viewer.workspace,
                      now=deps.clock.now())
    return outcome
