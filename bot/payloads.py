"""Shape checks for what arrives at /slack/events, before anything acts on it.

Bolt would otherwise answer a malformed but signed request with a 500 or a 404 and a
stack trace in the log; we answer 400 with the reason and store nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

INTERACTION_TYPES = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion"}
)


class MalformedPayload(ValueError):
    """The request is signed but not something Slack sends; the message says what is off."""


def parse_slack_body(body: str, *, content_type: str) -> dict[str, Any]:
    """Parse and check the body; raise MalformedPayload naming the first problem."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        return _check_json_body(body)
    if media_type in ("application/x-www-form-urlencoded", ""):
        return _check_form_body(body)
    raise MalformedPayload(f"unsupported content type {media_type!r}")


def _check_json_body(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MalformedPayload(f"body is not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise MalformedPayload("JSON body is not an object")
    kind = data.get("type")
    if kind == "url_verification":
        if not isinstance(data.get("challenge"), str):
            raise MalformedPayload("url_verification without a challenge")
    elif kind == "event_callback":
        event = data.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise MalformedPayload("event_callback without an event object with a type")
        if not isinstance(data.get("event_id"), str):
            raise MalformedPayload("event_callback without an event_id")
    elif kind in ("app_rate_limited",):
        pass
    else:
        raise MalformedPayload(f"unknown JSON payload type {kind!r}")
    return data


def _check_form_body(body: str) -> dict[str, Any]:
    try:
        fields = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True, strict_parsing=bool(body)).items()}
    except ValueError as exc:
        raise MalformedPayload(f"form body cannot be parsed ({exc})") from None
    if fields.get("ssl_check") == "1":
        return fields
    if "payload" in fields:
        try:
            payload = json.loads(fields["payload"])
        except json.JSONDecodeError as exc:
            raise MalformedPayload(f"payload field is not JSON ({exc.msg})") from None
        if not isinstance(payload, dict):
            raise MalformedPayload("payload field is not a JSON object")
        kind = payload.get("type")
        if kind not in INTERACTION_TYPES:
            raise MalformedPayload(f"unknown interaction type {kind!r}")
        user = payload.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise MalformedPayload(f"{kind} without user.id")
        if kind == "block_actions" and not isinstance(payload.get("actions"), list):
            raise MalformedPayload("block_actions without an actions list")
        if kind in ("view_submission", "view_closed"):
            view = payload.get("view")
            if not isinstance(view, dict):
                raise MalformedPayload(f"{kind} without a view")
            if kind == "view_submission" and not isinstance((view.get("state") or {}).get("values"), dict):
                raise MalformedPayload("view_submission without view.state.values")
        return payload
    if "command" in fields:
        if not fields["command"].startswith("/"):
            raise MalformedPayload("command does not start with '/'")
        if not fields.get("user_id"):
            raise MalformedPayload("slash command without user_id")
        return fields
    raise MalformedPayload("form body is neither a slash command nor an interaction")
