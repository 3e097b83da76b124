"""Reading what the bot answered a person in the sandbox: the ephemeral replies Slack relays."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.harness import SandboxedApp


def answers_on(slack: SandboxedApp, response_url: str | None) -> list[dict[str, Any]]:
    """Every answer the app posted to this response_url (a command's or a click's), in order."""
    assert response_url, "this request carried no response_url to answer on"
    return [body for url_id, body in slack.sandbox.response_posts if response_url.endswith(url_id)]


def ephemeral_text(slack: SandboxedApp, response_url: str | None) -> str:
    """The one ephemeral answer posted to a command's response_url, text and blocks together."""
    posts = answers_on(slack, response_url)
    assert len(posts) == 1, f"expected one answer on the response_url, got {posts}"
    assert posts[0]["response_type"] == "ephemeral"
    return posts[0]["text"] + json.dumps(posts[0]["blocks"], ensure_ascii=False)


def message_text(message: dict[str, Any]) -> str:
    """A message's `text` and its blocks as one string, for "does it say ..." checks."""
    return message.get("text", "") + json.dumps(message.get("blocks"), ensure_ascii=False)


def find_element(message: dict[str, Any], action_id: str) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the interactive element with this action_id in a message's
    blocks, whether in an actions block or a section's accessory; fails the test if absent."""
    for block in message.get("blocks") or []:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return block.get("block_id", ""), element
    raise AssertionError(f"no {action_id} in {json.dumps(message)[:400]}")


def button(message: dict[str, Any], action_id: str) -> tuple[str, str]:
    """(block_id, value) of a button, which is what a click sends back."""
    block_id, element = find_element(message, action_id)
    assert block_id, f"the block of {action_id} has no block_id to send back"
    return block_id, element["value"]
