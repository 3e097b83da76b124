"""Block primitives that keep to Slack's size limits by construction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.text import truncate

SECTION_TEXT_LIMIT = 3000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
CONTEXT_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
SURFACE_BLOCK_LIMIT = 100
MODAL_TITLE_LIMIT = 24

Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    """A message: the fallback `text` (notifications, screen readers) and its blocks.

    The fallback is mrkdwn too: Slack pings and links from it as from the blocks, so it is
    built from the same escaped values, never from the raw names."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def view_metadata(private_metadata: str | None) -> dict[str, Any]:
    """A modal's private_metadata as the JSON object the bot wrote there; {} for anything
    else (a view this bot did not open, or one whose metadata was tampered with)."""
    try:
        data = json.loads(private_metadata or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, HEADER_TEXT_LIMIT), "emoji": True}}


def section(mrkdwn: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": truncate(mrkdwn, SECTION_TEXT_LIMIT)}}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn, CONTEXT_TEXT_LIMIT)}]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, *, action_id: str, value: str | None = None, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_TEXT_LIMIT), "emoji": True},
        "action_id": action_id,
    }
    if value is not None:
        if len(value) > BUTTON_VALUE_LIMIT:
            raise ValueError(f"button value longer than {BUTTON_VALUE_LIMIT} characters")
        element["value"] = value
    if style in {"primary", "danger"}:
        element["style"] = style
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def check_message_limits(blocks: list[Block]) -> None:
    """Raise if a message breaks Slack's limits (used by builders' tests and the deliverer)."""
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        raise ValueError(f"{len(blocks)} blocks; a message takes at most {MESSAGE_BLOCK_LIMIT}")
    _check_unique_ids(blocks)


def check_surface_limits(blocks: list[Block]) -> None:
    if len(blocks) > SURFACE_BLOCK_LIMIT:
        raise ValueError(f"{len(blocks)} blocks; a modal or Home tab takes at most {SURFACE_BLOCK_LIMIT}")
    _check_unique_ids(blocks)


def _check_unique_ids(blocks: list[Block]) -> None:
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    if len(block_ids) != len(set(block_ids)):
        raise ValueError("block_id values must be unique within a message")
    action_ids = [
        element["action_id"]
        for block in blocks
        for element in [*block.get("elements", []), block.get("accessory") or {}]
        if isinstance(element, dict) and "action_id" in element
    ]
    if len(action_ids) != len(set(action_ids)):
        raise ValueError("action_id values must be unique within a message")
