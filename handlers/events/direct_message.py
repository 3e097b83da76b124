"""Everything else said in the bot's DM: acknowledged, and left alone.

Subscribing to ``message.im`` (for workbook uploads) brings every DM message: what
people type, edits, deletions, and the bot's own posts. Each must still be acknowledged
with a 200, or Bolt answers 404 and Slack redelivers it three times. None of it needs an
answer, and answering could start a loop with another bot, so this listener only
acknowledges. It is registered last: more specific DM listeners go before it.
"""

from __future__ import annotations

from logging import Logger
from typing import Any


def is_direct_message(event: dict[str, Any]) -> bool:
    """A Bolt matcher: the message was written in a DM with the bot."""
    return event.get("channel_type") == "im"


def handle_direct_message(event: dict[str, Any], logger: Logger) -> None:
    logger.debug("DM message (subtype %s) in %s needs no answer", event.get("subtype"), event.get("channel"))


__all__ = ["handle_direct_message", "is_direct_message"]
