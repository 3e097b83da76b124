"""Global middleware: hand listeners their dependencies, and drop redelivered events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse

from bot.container import Deps
from bot.core.events import record_event_once
from handlers.context import DEPS_KEY
from storage.db import unit_of_work

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.middleware
    def provide_deps(context: Any, next: Callable[[], None]) -> None:  # noqa: A002 - Bolt's name
        context[DEPS_KEY] = deps
        next()

    @app.middleware
    def drop_redelivered_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            next()
            return None
        with unit_of_work(deps.session_factory) as session:
            first_time = record_event_once(session, event_id=str(event_id), now=deps.clock.now())
        if not first_time:
            log.info("event %s already handled; acknowledging the redelivery", event_id)
            return BoltResponse(status=200, body="")
        next()
        return None
