"""Making user text safe for mrkdwn.

Without escaping, a note like `<!channel>` typed by one person would ping a whole channel.
Every Block Kit builder passes user text through `escape_mrkdwn`, for the blocks and for the
message's notification `text` alike (Slack parses both); a test calls every builder with
hostile text in each argument to keep it so.
"""

from __future__ import annotations


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Fit text into one of Slack's size limits without cutting a character in half."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))] + ellipsis
