"""Hostile text, and how to tell whether it came out live in something Slack renders.

Slack reads `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<https://…|label>` in mrkdwn: in
section and context blocks, and in a message's `text`, which is what notifications and
screen readers show. A person's or a workbook's text must come out escaped in both.

Slack also parses *plain* text by itself: bare URLs, `www.` and email addresses become links,
and `@here`, `@name`, `#channel` become mentions, unless a text object is `verbatim` and a
message goes with `parse: none` (see `bot/sandbox/_parsing.py`, which answers what Slack
would make live). `HOSTILE_ALL` carries those plain forms too, and `message_leaks`,
`view_leaks` and `traffic_leaks` ask the fake Slack's parser rather than a regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bot.sandbox._parsing import Live, live_in_call, live_in_message, live_in_mrkdwn, live_in_view

#: Put this wherever a person or a workbook can type; it must never come out live.
HOSTILE = "<!channel> <!here> <@UHOSTILE> <#CHOSTILE> <https://evil.example|click> AT&T *bold*"
#: What Slack turns live in plain text when it pre-parses (not verbatim, no `parse: none`).
HOSTILE_PLAIN = "@here @channel @everyone #general https://evil.example/plain www.evil.example evil@evil.example"
#: Both kinds: what a renderer's every free-text argument gets in the generic checks.
HOSTILE_ALL = f"{HOSTILE} {HOSTILE_PLAIN}"
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
    """The live pieces of HOSTILE found in `text` (empty when it was escaped): its manual
    `<…>` sequences, as Slack reads them in verbatim mrkdwn, and a bare `&`."""
    found = [pattern.pattern for pattern in _LIVE if pattern.search(text)]
    return found + [leak for leak in hostile_live(live_in_mrkdwn(text, verbatim=True)) if leak not in found]


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


def hostile_live(found: Iterable[Live]) -> list[str]:
    """The live things that can only have come from typed text.

    The bot never writes a special mention (`@channel`, `@here`, a user group) and never
    relies on Slack's own parsing of plain text (it writes each mention and link it means as
    `<…>`), so any of those is a leak; a manual mention or link is one when it leads to what
    the hostile text names."""
    leaks = []
    for live in found:
        marked = "hostile" in live.target.lower() or "evil" in live.target.lower()
        if live.kind == "special" or live.how == "auto" or marked:
            leaks.append(f"{live.where}: {live.how} {live.kind} {live.target!r}")
    return leaks


def _bare_ampersands(texts: Iterable[tuple[str, str]]) -> list[str]:
    """An `&` of the hostile text not written as `&amp;` (Slack would read what follows it)."""
    return [f"{where}: an unescaped & (AT&T)" for where, text in texts if "AT&T" in text]


def message_leaks(args: Mapping[str, Any]) -> list[str]:
    """What a chat.postMessage-like payload (text, blocks, parse, link_names) would make
    live from typed text, and any `&` of it left unescaped."""
    texts = rendered_texts(text=args.get("text") if isinstance(args.get("text"), str) else None,
                           blocks=args.get("blocks"))
    return hostile_live(live_in_message(args)) + _bare_ampersands(texts)


def view_leaks(view: Mapping[str, Any]) -> list[str]:
    """The same for a modal or a Home tab."""
    texts = [("view", text) for text in mrkdwn_texts(view.get("blocks") or [])]
    return hostile_live(live_in_view(view)) + _bare_ampersands(texts)


def traffic_leaks(sandbox: Any, *, since_call: int = 0, since_response: int = 0) -> list[str]:
    """Every leak in what the bot sent the fake Slack: Web API calls (messages, ephemerals,
    updates, views, Home tabs, file comments) and response_url posts.

    A response_url post cannot carry `parse` (Bolt's `respond` builds the body from a fixed
    set of fields), so Slack may link a bare URL in its fallback `text`; that text is not
    drawn when blocks come with it (it serves notifications, and ephemeral answers notify
    no one). Such auto links are left out here, and only there; mentions never are."""
    leaks = []
    for call in sandbox.calls[since_call:]:
        found = live_in_call(call.method, call.args)
        texts = [(f"{call.method}", text) for _, text in rendered_texts(
            text=call.args.get("text") if isinstance(call.args.get("text"), str) else None,
            blocks=call.args.get("blocks") or (call.args.get("view") or {}).get("blocks"))]
        leaks += [f"{call.method} to {call.args.get('channel')}: {leak}" for leak in
                  hostile_live(found) + _bare_ampersands(texts)]
    for url, body in sandbox.response_posts[since_response:]:
        found = [live for live in live_in_message(body)
                 if not (live.where == "/text" and live.how == "auto" and live.kind == "link" and body.get("blocks"))]
        leaks += [f"response_url {url}: {leak}" for leak in hostile_live(found)]
    return leaks
