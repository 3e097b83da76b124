"""What Slack makes live in what the bot sends: mentions and links, as Slack's parser finds them.

A fake that only stores text cannot tell whether a name typed as `@here` or a round called
`https://evil.example` would ping or link once Slack draws it. These functions answer that
the way Slack documents it, so a test can ask the fake instead of guessing with a regex:

- Manual sequences are always live, wherever mrkdwn is read: `<!channel>`, `<!here>`,
  `<!everyone>`, `<!subteam^S…>`, `<@U…>`, `<#C…>` and `<url|label>`. Only a literal `<`
  opens one; `&lt;` is the text "<".
- A `mrkdwn` text object with `verbatim` false (the default) is also pre-processed: Slack
  auto-converts URLs into links, link-ifies conversation names and parses certain mentions.
  With `verbatim: true` it keeps the formatting and the manual sequences but does not touch
  the plain text (channel names are not hyperlinked).
- A message's top-level `text` (chat.postMessage, chat.update, chat.postEphemeral): with
  `parse` absent Slack still links bare URLs; `link_names` (or `parse: full`) also turns
  `@name`, `@here`, `@channel` and `#channel` into mentions; `parse: none` does no processing
  at all, manual sequences kept; `parse: full` ignores the manual markup (shows it as text)
  and links URLs and names itself.
- `plain_text` objects (headers, buttons, labels, titles, options) are never parsed.
- A file's `initial_comment` is message text with no `parse` argument: bare URLs link.

Unknown shapes are read the cautious way (as parsed mrkdwn), so the fake never calls
something inert that Slack might make live.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: `<…>` made of a literal `<`, no nested brackets, and a literal `>`.
_MANUAL = re.compile(r"<([^<>\n]*)>")
_SCHEME_URL = re.compile(r"\b(?:https?|ftp|mailto|slack)://[^\s<>|]+|\bmailto:[^\s<>|]+", re.IGNORECASE)
_WWW = re.compile(r"\bwww\.[^\s<>|]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
#: A bare domain Slack would link (a conservative list of top-level domains).
_DOMAIN = re.compile(r"\b(?:[a-z0-9-]+\.)+(?:com|org|net|io|dk|eu|de|se|no|uk|co|app|dev|example)\b(?:/[^\s<>|]*)?",
                     re.IGNORECASE)
_AT_NAME = re.compile(r"(?<![\w@])@([\w.-]+)")
_HASH_NAME = re.compile(r"(?<![\w#&])#([a-z0-9_-]+)", re.IGNORECASE)
_SPECIAL_WORDS = frozenset({"here", "channel", "everyone", "group"})


@dataclass(frozen=True)
class Live:
    """One thing Slack would draw live: who it pings or where it leads, and how it got live.

    `kind` is `special` (`@channel`, `@here`, `@everyone`, a user group), `user`,
    `channel`, `link` or `date`; `how` is `manual` (written as `<…>`) or `auto` (Slack's own
    parsing of plain text); `where` is a JSON pointer into the payload."""

    kind: str
    target: str
    how: str
    where: str


def _manual(text: str, where: str) -> Iterator[Live]:
    for match in _MANUAL.finditer(text):
        inside = match.group(1)
        target = inside.split("|", 1)[0]
        if target.startswith("!subteam^"):
            yield Live("special", target, "manual", where)
        elif target.startswith("!date^"):
            continue  # a date drawn in the reader's zone; it pings no one and leads nowhere
        elif target.startswith("!"):
            yield Live("special", target, "manual", where)
        elif target.startswith("@"):
            yield Live("user", target[1:], "manual", where)
        elif target.startswith("#"):
            yield Live("channel", target[1:], "manual", where)
        elif target:
            yield Live("link", target, "manual", where)


def _auto(text: str, where: str, *, names: bool) -> Iterator[Live]:
    """Slack's pre-processing of plain text: URLs always, names when asked to."""
    plain = _MANUAL.sub(" ", text)
    taken: list[tuple[int, int]] = []
    for pattern in (_SCHEME_URL, _WWW, _EMAIL, _DOMAIN):
        for match in pattern.finditer(plain):
            span = match.span()
            if any(start <= span[0] < end for start, end in taken):
                continue
            taken.append(span)
            yield Live("link", match.group(0), "auto", where)
    if not names:
        return
    for match in _AT_NAME.finditer(plain):
        if any(start <= match.start() < end for start, end in taken):
            continue  # the @ of an email address
        name = match.group(1).rstrip(".")
        yield Live("special" if name.lower() in _SPECIAL_WORDS else "user", name, "auto", where)
    for match in _HASH_NAME.finditer(plain):
        yield Live("channel", match.group(1), "auto", where)


def live_in_mrkdwn(text: str, *, verbatim: bool, where: str = "") -> list[Live]:
    """A `mrkdwn` text object: manual sequences, plus Slack's auto-parsing unless verbatim."""
    found = list(_manual(text, where))
    if not verbatim:
        found += _auto(text, where, names=True)
    return found


def live_in_text(text: str, *, parse: Any = None, link_names: Any = None, where: str = "/text") -> list[Live]:
    """A message's top-level `text` as chat.postMessage and its siblings read it."""
    mode = str(parse).lower() if parse is not None else ""
    if mode == "none":
        return list(_manual(text, where))
    if mode == "full":  # the markup is shown as typed; Slack links what it finds itself
        return list(_auto(text, where, names=True))
    names = str(link_names).lower() in {"1", "true"}
    return [*_manual(text, where), *_auto(text, where, names=names)]


def _walk(node: Any, where: str) -> Iterator[Live]:
    if isinstance(node, Mapping):
        kind = node.get("type")
        text = node.get("text")
        if kind == "plain_text":
            return
        if kind == "mrkdwn" and isinstance(text, str):
            yield from live_in_mrkdwn(text, verbatim=node.get("verbatim") is True, where=f"{where}/text")
            return
        if kind == "markdown" and isinstance(text, str):  # the markdown block: links and auto-links
            yield from live_in_mrkdwn(text, verbatim=False, where=f"{where}/text")
            yield from (Live("link", m.group(1), "manual", f"{where}/text")
                        for m in re.finditer(r"\]\(([^)\s]+)\)", text))
            return
        for key, value in node.items():
            if key in {"action_id", "block_id", "value", "callback_id", "private_metadata", "external_id",
                       "image_url", "url", "alt_text", "type", "style", "initial_value", "placeholder"}:
                continue  # ids, values and URLs the bot set itself, or texts Slack never parses
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list | tuple):
        for index, item in enumerate(node):
            yield from _walk(item, f"{where}/{index}")


def live_in_blocks(blocks: Any, *, where: str = "/blocks") -> list[Live]:
    """Every live thing in blocks (or any Block Kit structure, such as a view)."""
    return list(_walk(blocks or [], where))


def live_in_message(args: Mapping[str, Any]) -> list[Live]:
    """A chat.postMessage / chat.update / chat.postEphemeral (or response_url) payload."""
    found: list[Live] = []
    text = args.get("text")
    if isinstance(text, str):
        found += live_in_text(text, parse=args.get("parse"), link_names=args.get("link_names"))
    found += live_in_blocks(args.get("blocks"))
    for index, attachment in enumerate(args.get("attachments") or []):
        if isinstance(attachment, Mapping):  # legacy attachments: their texts are parsed mrkdwn
            for key in ("text", "pretext", "fallback", "title"):
                value = attachment.get(key)
                if isinstance(value, str):
                    found += live_in_mrkdwn(value, verbatim=False, where=f"/attachments/{index}/{key}")
            found += live_in_blocks(attachment.get("blocks"), where=f"/attachments/{index}/blocks")
    return found


def live_in_view(view: Mapping[str, Any]) -> list[Live]:
    """A modal or Home tab: its blocks (titles and buttons are plain text)."""
    return live_in_blocks(view.get("blocks"), where="/view/blocks")


def live_in_upload(args: Mapping[str, Any]) -> list[Live]:
    """files.completeUploadExternal: the `initial_comment` becomes a message's text, read
    with no `parse` argument; titles and file names are shown as plain text."""
    comment = args.get("initial_comment")
    return live_in_text(comment, where="/initial_comment") if isinstance(comment, str) else []


def live_in_call(method: str, args: Mapping[str, Any]) -> list[Live]:
    """What one recorded Web API call would make live in Slack (nothing for other methods)."""
    if method in {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"}:
        return live_in_message(args)
    if method in {"views.open", "views.push", "views.update", "views.publish"}:
        view = args.get("view")
        return live_in_view(view) if isinstance(view, Mapping) else []
    if method == "files.completeUploadExternal":
        return live_in_upload(args)
    return []


__all__ = ["Live", "live_in_blocks", "live_in_call", "live_in_message", "live_in_mrkdwn", "live_in_text",
           "live_in_upload", "live_in_view"]
