"""Reading what the bot answered a person in the sandbox: the ephemeral replies Slack relays."""

from __future__ import annotations

import json

from bot.sandbox.harness import SandboxedApp


def ephemeral_text(slack: SandboxedApp, response_url: str | None) -> str:
    """The one ephemeral answer posted to a command's response_url, text and blocks together."""
    posts = [body for url_id, body in slack.sandbox.response_posts if response_url and response_url.endswith(url_id)]
    assert len(posts) == 1, f"expected one answer on the response_url, got {posts}"
    assert posts[0]["response_type"] == "ephemeral"
    return posts[0]["text"] + json.dumps(posts[0]["blocks"], ensure_ascii=False)
