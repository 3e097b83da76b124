"""What a Bolt listener finds in its context: the app's dependencies, the workspace the
request comes from and who is asking.

The global middleware (handlers/middleware.py) puts them there once per request, so a
listener never looks any of them up itself, and every query it makes is scoped by the
same `Workspace`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from bot.container import Deps
from bot.core.people import Viewer
from bot.core.workspace import Workspace

DEPS_KEY = "mentorbot_deps"
VIEWER_KEY = "mentorbot_viewer"
WORKSPACE_KEY = "mentorbot_workspace"


def deps_from(context: Mapping[str, Any]) -> Deps:
    deps = context.get(DEPS_KEY)
    if not isinstance(deps, Deps):
        raise RuntimeError("mentorbot dependencies missing from the Bolt context; was register_all() called?")
    return deps


class LazyViewer:
    """Who is asking, read from the database the first time anything asks, then kept for the request.

    The middleware puts one of these in the context instead of reading the person in the
    request thread: most listeners acknowledge before they look at the viewer
    (handlers/ack_first.py), so their read transaction now runs on the executor, after Slack
    has its answer, and the ack does no database work. A modal that answers in the ack
    (`answer_then`) and `coordinators_only` still ask in the request thread, as before. Still
    once per request: the first caller reads, later callers (any thread) get the same Viewer."""

    __slots__ = ("_lock", "_resolve", "_viewer")

    def __init__(self, resolve: Callable[[], Viewer]) -> None:
        self._resolve = resolve
        self._viewer: Viewer | None = None
        self._lock = threading.Lock()

    def get(self) -> Viewer:
        with self._lock:  # a failed read is not kept: the next caller tries again
            if self._viewer is None:
                self._viewer = self._resolve()
            return self._viewer


def viewer_from(context: Mapping[str, Any]) -> Viewer:
    """The person this request comes from, as the middleware resolved them (read now if no
    one has asked before in this request).

    Every command, click and submission carries a user id, so a listener for one of those
    can rely on it; a missing viewer is a wiring mistake, not a case to handle."""
    viewer = context.get(VIEWER_KEY)
    if isinstance(viewer, LazyViewer):
        viewer = viewer.get()
    if not isinstance(viewer, Viewer):
        raise RuntimeError("no viewer in the Bolt context: the request had no user id, or the middleware did not run")
    return viewer


def workspace_from(context: Mapping[str, Any]) -> Workspace:
    """The workspace this request or event comes from, as the middleware resolved it: the
    one scope every look-up by a Slack id (a person, a channel, a programme) goes through."""
    workspace = context.get(WORKSPACE_KEY)
    if not isinstance(workspace, Workspace):
        raise RuntimeError("no workspace in the Bolt context: the middleware did not run")
    return workspace


def viewer_or_none(context: Mapping[str, Any]) -> Viewer | None:
    """The viewer when the request names a user (events need not)."""
    viewer = context.get(VIEWER_KEY)
    if isinstance(viewer, LazyViewer):
        viewer = viewer.get()
    return viewer if isinstance(viewer, Viewer) else None
