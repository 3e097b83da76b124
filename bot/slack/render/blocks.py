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
    built from the same escaped values, never from the raw names.

    Escaping stops `<!channel>`, `<@U…>` and `<https://…|…>`, but Slack also parses plain
    text on its own: in a message's `text` it links bare URLs unless `parse` is `none`, and
    turns `@here`, `@name` and `#channel` into mentions with `link_names` (or `parse: full`);
    `parse: none` does no processing while keeping the bot's own `<@U…>` and `<#C…>`. So every
    message goes with `parse: none` and never `link_names` (see `mrkdwn` for the blocks)."""

    text: str
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        """The arguments of chat.postMessage, chat.update and chat.postEphemeral."""
        return {"text": self.text, "blocks": self.blocks, "parse": "none"}

    def as_response(self, **options: Any) -> dict[str, Any]:
        """The whole body of a response_url post (Bolt's `respond` takes it as `text`)."""
        return {**self.as_kwargs(), **options}


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


def mrkdwn(text: str, *, limit: int = SECTION_TEXT_LIMIT) -> Block:
    """A mrkdwn text object that Slack draws as written.

    With `verbatim` false (Slack's default) Slack pre-processes the text: it auto-converts
    URLs into links, link-ifies conversation names (`#general`) and parses certain mentions
    (`@here`), so a name or note typed as `@channel` or `https://…` would come out live even
    though it was escaped. With `verbatim: true` Slack still draws the formatting and the
    bot's own manual sequences (`<@U…>`, `<#C…>`, `<url|label>`) but leaves the plain text
    alone. The bot never relies on auto-parsing: it writes every mention and link it means."""
    return {"type": "mrkdwn", "text": truncate(text, limit), "verbatim": True}


def section(mrkdwn_text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(mrkdwn_text, limit=SECTION_TEXT_LIMIT)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(mrkdwn_text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(mrkdwn_text, limit=CONTEXT_TEXT_LIMIT)]}


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
