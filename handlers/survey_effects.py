"""The Slack side of a survey answer, shared by the pulse buttons, "No thanks" and the form.

After the answer is stored (and its transaction closed), the invitation's DM is drawn again
from the answers on record, in its place (`chat.update`); where that message cannot be found
the thank-you goes as a DM of its own. A failed redraw never undoes a saved answer: it is
logged, and the next click draws the message again.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.container import Deps
from bot.core.people import Viewer
from bot.slack.render.blocks import Message
from bot.slack.render.surveys import survey_refusal_message
from bot.surveys.service import AnswerResult, AnswerStatus
from handlers.answers import explain
from storage.db import unit_of_work

#: A refusal about an invitation that is not the asker's (or none at all) is in the asker's
#: language; the others are in the language of the person whose invitation it is, who asked.
_ASKERS_LANGUAGE = (AnswerStatus.UNKNOWN, AnswerStatus.NOT_YOURS)


def answer_language(result: AnswerResult, viewer: Viewer) -> str:
    return viewer.language if result.status in _ASKERS_LANGUAGE else result.language


def act_on_invitation(
    *, deps: Deps, viewer: Viewer, invitation_id: int | None, call: Callable[[Session, int], AnswerResult],
    body: dict[str, Any], client: WebClient, respond: Respond, logger: Logger,
) -> AnswerResult | None:
    """The part every survey button shares: a button that names no invitation is refused;
    otherwise the one service call runs in its unit of work, and anything but a recorded
    answer is explained to the clicker alone. The result when there is more to do."""
    result = AnswerResult(status=AnswerStatus.UNKNOWN)
    if invitation_id is not None:
        with unit_of_work(deps.session_factory) as session:
            result = call(session, invitation_id)
    if result.status is not AnswerStatus.RECORDED or result.facts is None:
        explain(client=client, body=body, respond=respond, logger=logger,
                message=survey_refusal_message(status=result.status, language=answer_language(result, viewer)))
        return None
    return result


def message_place(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(channel id, ts) of the message a button was clicked in, when it was one."""
    channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    message_ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
    return (str(channel_id) if channel_id else None), (str(message_ts) if message_ts else None)


def redraw(*, client: WebClient, channel_id: str | None, message_ts: str | None, message: Message,
           logger: Logger) -> bool:
    """Draw the invitation's DM again in its place; False when there is none or Slack refused."""
    if not channel_id or not message_ts:
        return False
    try:
        client.chat_update(channel=channel_id, ts=message_ts, **message.as_kwargs())
    except SlackApiError as error:  # the answer is saved; a stale message must not hide that
        logger.warning("could not redraw the survey message in %s: %s", channel_id, error.response.get("error"))
        return False
    return True


def tell(*, client: WebClient, user_id: str, message: Message, logger: Logger) -> None:
    """A DM of its own, for when there was no message to redraw."""
    try:
        client.chat_postMessage(channel=user_id, **message.as_kwargs())
    except SlackApiError as error:
        logger.warning("could not send the survey note to %s: %s", user_id, error.response.get("error"))


__all__ = ["act_on_invitation", "answer_language", "message_place", "redraw", "tell"]
