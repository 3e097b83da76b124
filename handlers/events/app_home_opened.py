"""Render the person's Home tab each time they open it."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from handlers.context import deps_from, workspace_from
from handlers.home.publish import publish_home


def handle_app_home_opened(event: dict[str, Any], context: BoltContext, client: WebClient, logger: Logger) -> None:
    if event.get("tab") not in (None, "home"):
        return
    user_id = event.get("user")
    if not isinstance(user_id, str) or not user_id:
        logger.warning("app_home_opened without a user id; nothing to render")
        return
    publish_home(client=client, deps=deps_from(context), slack_user_id=user_id, workspace=workspace_from(context))
