"""Getting the app's dependencies inside a Bolt listener."""

from __future__ import annotations

from typing import Any

from bot.container import Deps

DEPS_KEY = "mentorbot_deps"


def deps_from(context: Any) -> Deps:
    deps = context.get(DEPS_KEY)
    if not isinstance(deps, Deps):
        raise RuntimeError("mentorbot dependencies missing from the Bolt context; was register_all() called?")
    return deps
