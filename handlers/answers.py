"""Answers only the person who asked sees: the one way a listener says something back.

An ephemeral reply on the request's response_url; for a click on the Home tab, which has
no message to answer under, a DM instead.
"""

from __future__ import annotations

import logging
from logging import Logger
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.render.blocks import Message

log = logging.getLogger(__name__)


def reply(respond: Respond, message: Message) -> None:
    """An ephemeral answer beside what the person typed or clicked; the original stays.

    Slack sends a response_url with every command and every click in a message; a button
    of a message clicked from a view comes without one (Slack never draws it there), and
    Bolt's respond would raise: there is nowhere to answer, so nothing is said."""
    if not respond.response_url:
        log.warning("an answer had no response_url to go to and was dropped")
        return
    respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False)


def replace(respond: Respond, message: Message) -> None:
    """Redraw the message clicked in place; a click from a view has no message to redraw
    (nor a response_url), so nothing is drawn rather than Bolt's respond raising."""
    if not respond.response_url:
        log.warning("a redraw had no response_url to go to and was dropped")
        return
    respond(text=message.text, blocks=message.blocks, replace_original=True)


def explain(*, client: WebClient, body: dict[str, Any], respond: Respond, message: Message, logger: Logger) -> None:
    """Answer a click only the clicker sees: under the message clicked, or, for a click on
    the Home tab (no message to answer under), by DM."""
    if body.get("response_url"):
        reply(respond, message)
        return
    user_id = str((body.get("user") or {}).get("id") or "")
    if not user_id:
        return
    try:
        client.chat_postMessage(channel=user_id, **message.as_kwargs())
    except SlackApiError as error:
        logger.warning("could not send the DM to %s: %s", user_id, error.response.get("error"))


__all__ = ["explain", "replace", "reply"]
