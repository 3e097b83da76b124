"""Turning the sandbox's record of Web API calls into what each person saw, as plain text."""

from __future__ import annotations

import difflib
import json
import re
import textwrap
from collections.abc import Mapping
from typing import Any

from bot.sandbox.server import SlackSandbox

WIDTH = 92
MENTION = re.compile(r"<([@#!])([A-Za-z0-9^_-]+)(?:\|([^>]*))?>")
LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


class Transcript:
    """Collects the new calls since the last scene and prints them per person."""

    def __init__(self, sandbox: SlackSandbox, *, names: Mapping[str, str]) -> None:
        self._sandbox = sandbox
        self._names = dict(names)
        self._seen_calls = 0
        self._seen_posts = 0
        self._shown: dict[tuple[str, str], list[str]] = {}  # (channel, ts) -> rendered lines
        self.lines: list[str] = []

    def name(self, user_id: str, name: str) -> None:
        """Call someone who joined after the story began by name, not by user id."""
        self._names[user_id] = name

    def scene(self, title: str) -> None:
        self.flush()
        self.lines.extend(["", f"── {title} " + "─" * max(3, WIDTH - len(title) - 4)])

    def note(self, text: str) -> None:
        self.flush()
        self.lines.extend(textwrap.wrap(text, WIDTH, initial_indent="   ", subsequent_indent="   "))

    def raw(self, text: str) -> None:
        """A line as a terminal prints it (command output), not re-wrapped."""
        self.flush()
        self.lines.append(f"   {text}")

    def skip(self) -> None:
        """Forget calls made since the last flush: for steps the transcript only summarises."""
        self._seen_calls = len(self._sandbox.calls)
        self._seen_posts = len(self._sandbox.response_posts)

    def flush(self) -> None:
        calls = self._sandbox.calls
        for call in calls[self._seen_calls :]:
            if call.ok:
                self._render_call(call.method, call.args, call.response)
        self._seen_calls = len(calls)
        posts = self._sandbox.response_posts
        for _url_id, body in posts[self._seen_posts :]:
            who = "only visible to you" if body.get("response_type", "ephemeral") == "ephemeral" else "in channel"
            self._block(f"bot → ({who})", body.get("blocks"), body.get("text"))
        self._seen_posts = len(posts)

    def text(self) -> str:
        self.flush()
        return "\n".join(self.lines) + "\n"

    def _who(self, target: str | None) -> str:
        if not target:
            return "?"
        if target in self._names:
            return self._names[target]
        channel = self._sandbox.get_channel(target)
        if channel is not None:
            if channel.get("is_im"):
                user = str(channel.get("user") or target)
                return self._names.get(user, user)
            return f"#{channel.get('name', target)}"
        return target

    def _render_call(self, method: str, args: dict[str, Any], response: dict[str, Any]) -> None:
        if method == "chat.postMessage":
            rendered = self._block(f"bot → {self._who(args.get('channel'))}", args.get("blocks"), args.get("text"))
            self._shown[(str(response.get("channel")), str(response.get("ts")))] = rendered
        elif method == "chat.postEphemeral":
            self._block(f"bot → {self._who(args.get('user'))} (only visible to you)", args.get("blocks"), args.get("text"))
        elif method == "chat.update":
            key = (str(args.get("channel")), str(args.get("ts")))
            before = self._shown.get(key)
            heading = f"bot updates its message to {self._who(args.get('channel'))}"
            if before is None:
                self._shown[key] = self._block(heading, args.get("blocks"), args.get("text"))
            else:
                # Show only what changed: a reader wants the new answer, not the whole welcome again.
                after = self._render(args.get("blocks"), args.get("text"))
                self._shown[key] = after
                self._changed(heading, before, after)
        elif method in ("views.open", "views.push", "views.update"):
            view = _as_dict(args.get("view"))
            title = (view.get("title") or {}).get("text", "")
            self._block(f"bot opens a window “{title}”", view.get("blocks"), None)
        elif method == "views.publish":
            view = _as_dict(args.get("view"))
            key = ("home", str(args.get("user_id")))
            heading = f"{self._who(args.get('user_id'))}'s Home tab"
            before = self._shown.get(key)
            if before is None:
                self._shown[key] = self._block(f"{heading} now shows", view.get("blocks"), None)
            else:
                after = self._render(view.get("blocks"), None)
                self._shown[key] = after
                self._changed(f"{heading} is refreshed", before, after)
        elif method == "conversations.create":
            self.lines.append(f"   bot creates channel #{args.get('name')}")
        elif method == "conversations.invite":
            users = ", ".join(self._who(user) for user in str(args.get("users", "")).split(",") if user)
            self.lines.append(f"   bot invites {users} to {self._who(args.get('channel'))}")
        elif method == "conversations.archive":
            self.lines.append(f"   bot archives {self._who(args.get('channel'))}")
        elif method == "files.completeUploadExternal":
            names = ", ".join(str(item.get("title", "file")) for item in _as_list(args.get("files")))
            self.lines.append(f"   bot shares a file with {self._who(args.get('channel_id'))}: {names}")

    def _changed(self, heading: str, before: list[str], after: list[str]) -> None:
        """Only the lines that are new or different: the reader has seen the rest."""
        matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
        changed = [line for tag, _i1, _i2, j1, j2 in matcher.get_opcodes() if tag in ("replace", "insert")
                   for line in after[j1:j2]]
        self.lines.append(f"   {heading} (changed lines):")
        self.lines.extend(f"      │ {line}" for line in changed or ["(no visible change)"])

    def _block(self, heading: str, blocks: Any, fallback: str | None) -> list[str]:
        self.lines.append(f"   {heading}:")
        rendered = self._render(blocks, fallback)
        self.lines.extend(f"      │ {piece}" for piece in rendered)
        return rendered

    def _render(self, blocks: Any, fallback: str | None) -> list[str]:
        body = render_blocks(_as_list(blocks), names=self._names) if blocks else (fallback or "")
        rendered: list[str] = []
        for line in body.splitlines() or [""]:
            rendered.extend(textwrap.wrap(self._readable(line), WIDTH - 8) or [""])
        return rendered

    def _readable(self, text: str) -> str:
        def mention(match: re.Match[str]) -> str:
            kind, ident, label = match.groups()
            if kind == "@":
                return "@" + self._names.get(ident, label or ident)
            if kind == "#":
                return f"#{label}" if label else self._who(ident)
            return f"@{ident}"

        text = LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
        text = MENTION.sub(mention, text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_blocks(blocks: list[dict[str, Any]], *, names: Mapping[str, str] | None = None) -> str:
    """Blocks as a person would read them, buttons in [brackets]."""
    out: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            out.append(f"**{_text(block.get('text'))}**")
        elif kind == "section":
            if block.get("text"):
                out.append(_text(block.get("text")))
            for field_ in block.get("fields") or []:
                out.append(_text(field_))
            accessory = block.get("accessory")
            if accessory:
                out.append(_element(accessory))
        elif kind == "context":
            out.append("  ".join(_text(element) for element in block.get("elements", []) if element.get("text")))
        elif kind == "actions":
            out.append("  ".join(_element(element) for element in block.get("elements", [])))
        elif kind == "input":
            label = _text(block.get("label"))
            element = block.get("element") or {}
            value = element.get("initial_value") or element.get("initial_date") or _option(element.get("initial_option"))
            out.append(f"{label}: [{value or ' '}]")
        elif kind == "divider":
            out.append("―" * 20)
        elif kind == "rich_text":
            out.append("(formatted text)")
    return "\n".join(out)


def _element(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[{_text(element.get('text'))}]"
    if kind == "datepicker":
        return f"[📅 {element.get('initial_date') or _text(element.get('placeholder')) or 'pick a date'}]"
    if kind in ("static_select", "radio_buttons", "checkboxes"):
        return f"[{_option(element.get('initial_option')) or _text(element.get('placeholder')) or 'choose'} ▾]"
    return ""


def _option(option: Any) -> str:
    return _text(option.get("text")) if isinstance(option, dict) else ""


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return str(obj or "")


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value or {})


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])
