"""What a Bolt listener finds in its context: the app's dependencies and who is asking.

The global middleware (handlers/middleware.py) puts both there once per request, so a
listener never looks either up itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.container import Deps
from bot.core.people import Viewer

DEPS_KEY = "mentorbot_deps"
VIEWER_KEY = "mentorbot_viewer"


def deps_from(context: Mapping[str, Any]) -> Deps:
    deps = context.get(DEPS_KEY)
    if not isinstance(deps, Deps):
        raise RuntimeError("mentorbot dependencies missing from the Bolt context; was register_all() called?")
    return deps


def viewer_from(context: Mapping[str, Any]) -> Viewer:
    """The person this request comes from, as the middleware resolved them.

    Every command, click and submission carries a user id, so a listener for one of those
    can rely on it; a missing viewer is a wiring mistake, not a case to handle."""
    viewer = context.get(VIEWER_KEY)
    if not isinstance(viewer, Viewer):
        raise RuntimeError("no viewer in the Bolt context: the request had no user id, or the middleware did not run")
    return viewer


def viewer_or_none(context: Mapping[str, Any]) -> Viewer | None:
    """The viewer when the request names a user (events need not)."""
    viewer = context.get(VIEWER_KEY)
    return viewer if isinstance(viewer, Viewer) else None
