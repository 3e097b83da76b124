"""Any event no other listener takes: acknowledged, and left alone.

The manifest subscribes only to events we handle, but a changed subscription, a new
event type or an odd payload must not be answered 404: Slack would redeliver it three
times and, failing often enough, switch the subscription off. Registered last.
"""

from __future__ import annotations

from logging import Logger
from typing import Any


def handle_other_event(event: dict[str, Any], logger: Logger) -> None:
    logger.info("ignoring a %s event nobody listens to", event.get("type"))
