"""Every way a person can reach the app, read off the real registration code.

The authorization matrix must cover each slash subcommand, button, modal and event
listener the app registers; reading them from `handlers.*.register` and the command
table (rather than listing them by hand) is what makes a new one fail the matrix until
someone decides who may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.core.commands import COMMANDS

Listener = Callable[..., Any]


@dataclass(frozen=True)
class Surface:
    """One registration: `kind` is command, action, view or event; `key` names it the way
    the matrix does (an action's id or pattern, a view's callback_id, an event's type)."""

    kind: str
    key: str


def _key(matcher: Any) -> str:
    if isinstance(matcher, re.Pattern):
        return matcher.pattern
    if isinstance(matcher, dict):
        return ",".join(f"{name}={value}" for name, value in sorted(matcher.items()))
    return str(matcher)


class _KeyRecordingApp:
    """Takes `app.command/action/view/event(...)` registrations and keeps what each matches."""

    def __init__(self) -> None:
        self.surfaces: list[Surface] = []

    def _recorder(self, kind: str) -> Callable[..., Any]:
        def register(matcher: Any, *_: Any, **__: Any) -> Callable[[Listener], Listener]:
            self.surfaces.append(Surface(kind, _key(matcher)))
            return lambda listener: listener

        return register

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name in ("command", "action", "view", "event"):
            return self._recorder(name)
        raise AttributeError(name)


@cache
def registered_surfaces() -> tuple[Surface, ...]:
    """Every listener registration: slash commands split into the subcommands of the one
    command table (`"/mentoring-admin report"`; `"/log-session"` for a free-text command)."""
    from handlers import actions, commands, events, views

    app = _KeyRecordingApp()
    for module in (commands, actions, views, events):
        module.register(app)
    surfaces = [surface for surface in app.surfaces if surface.kind != "command"]
    for info in COMMANDS:
        key = info.command if info.subcommand is None else f"{info.command} {info.subcommand}"
        surfaces.append(Surface("command", key))
    return tuple(surfaces)


__all__ = ["Surface", "registered_surfaces"]
