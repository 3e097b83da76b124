"""Hostile text, and how to tell whether it came out live in something Slack renders.

Slack reads `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<https://…|label>` in mrkdwn: in
section and context blocks, and in a message's `text`, which is what notifications and
screen readers show. A person's or a workbook's text must come out escaped in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

#: Put this wherever a person or a workbook can type; it must never come out live.
HOSTILE = "<!channel> <!here> <@UHOSTILE> <#CHOSTILE> <https://evil.example|click> AT&T *bold*"
#: The ids the bot itself may mention: tests give people and channels these.
LEGIT_USER = "U0LEGIT"
LEGIT_CHANNEL = "C0LEGIT"

_LIVE = (
    re.compile(r"<!"),  # the bot never writes a special mention itself
    re.compile(r"<@UHOSTILE"),
    re.compile(r"<#CHOSTILE"),
    re.compile(r"<https?://evil"),
    re.compile(r"AT&T"),  # an `&` from the hostile text not written as `&amp;`
)


def live_sequences(text: str) -> list[str]:
    """The live pieces of HOSTILE found in `text` (empty when it was escaped)."""
    return [pattern.pattern for pattern in _LIVE if pattern.search(text)]


def mrkdwn_texts(surface: Any) -> Iterator[str]:
    """Every mrkdwn text object in blocks or a view, at any depth (plain text is never parsed)."""
    if isinstance(surface, Mapping):
        if surface.get("type") == "mrkdwn" and isinstance(surface.get("text"), str):
            yield surface["text"]
        for value in surface.values():
            yield from mrkdwn_texts(value)
    elif isinstance(surface, list | tuple):
        for item in surface:
            yield from mrkdwn_texts(item)


def rendered_texts(*, text: str | None, blocks: Any) -> list[tuple[str, str]]:
    """(where, text) for a message's `text` and each mrkdwn text of its blocks."""
    found = [("text", text)] if text is not None else []
    return found + [("blocks", piece) for piece in mrkdwn_texts(blocks or [])]
