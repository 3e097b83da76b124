"""Answers only the person who asked sees: the one way a listener says something back.

An ephemeral reply on the request's response_url; for a click on the Home tab, which has
no message to answer under, a DM instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Ack, Respond
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


def show_errors(
    ack: Ack, *, view: dict[str, Any], errors: dict[str, str], when_none_shown: Callable[[], object] | None = None
) -> None:
    """Inline errors under the boxes of the modal submitted: the one way a view listener
    says "fix this". Slack refuses the whole answer when one error names a block the modal
    does not have (the person then sees Slack's own "We had some trouble connecting"), so an
    error for a block not shown moves to the first box that is, and a submission with no
    box at all (never sent by Slack for our modals; a forged or stale view) is answered by
    closing it rather than with errors nothing can show. `when_none_shown` answers instead
    when no error is about a box the modal shows (a form whose questions changed since it
    was opened says so in its place)."""
    shown = _boxes_shown(view)
    kept = {block: text for block, text in errors.items() if block in shown}
    if not kept and when_none_shown is not None:
        when_none_shown()
        return
    strays = [text for block, text in errors.items() if block not in shown]
    if strays and shown:
        first = shown[0]
        kept[first] = " ".join(filter(None, [kept.get(first), *strays]))[:2000]
    if not kept:
        log.warning("a modal's errors name no box it shows (%s); closing it", ", ".join(sorted(errors))[:200])
        ack()
        return
    ack(response_action="errors", errors=kept)


def _boxes_shown(view: dict[str, Any]) -> list[str]:
    """The input blocks of the modal, in order: its blocks, and the block ids of its state
    (Slack's state.values has an entry for each input block of the view)."""
    blocks = view.get("blocks")
    shown = [str(block["block_id"]) for block in (blocks if isinstance(blocks, list) else [])
             if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id")]
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    if isinstance(values, dict):
        shown += [str(block_id) for block_id in values if str(block_id) not in shown]
    return shown
