"""Sends outbox rows through slack_sdk's WebClient and classifies the answer."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.chat import ChatUser, SendOutcome

log = logging.getLogger(__name__)

# Slack answers these with ok:false, but they are Slack's trouble, not ours: try again.
RETRYABLE_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"})
DEFAULT_RETRY_AFTER_SECONDS = 30.0


def make_web_client(*, token: str, base_url: str) -> WebClient:
    """A client with no built-in retries: the outbox owns retrying, so nothing is sent twice."""
    client = WebClient(token=token, base_url=base_url, timeout=15)
    client.retry_handlers = []
    return client


class SlackWebSender:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    def send(self, *, method: str, payload: dict[str, Any]) -> SendOutcome:
        try:
            response = self._client.api_call(method, json=payload)
        except SlackApiError as exc:
            return classify_api_error(exc)
        except (SlackClientError, OSError, TimeoutError) as exc:
            log.warning("network trouble calling %s: %s", method, exc)
            return SendOutcome(ok=False, error=f"network: {exc}", retryable=True)
        return SendOutcome(ok=True, response=dict(response.data) if isinstance(response.data, dict) else {})


def classify_api_error(exc: SlackApiError) -> SendOutcome:
    status = exc.response.status_code
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    error = str(data.get("error") or f"http_{status}")
    if status == 429 or error == "ratelimited":
        header = _header(exc.response.headers, "retry-after")
        try:
            retry_after = float(header) if header is not None else DEFAULT_RETRY_AFTER_SECONDS
        except ValueError:
            retry_after = DEFAULT_RETRY_AFTER_SECONDS
        return SendOutcome(ok=False, error="ratelimited", retry_after_seconds=retry_after, retryable=True)
    if status >= 500 or error in RETRYABLE_ERRORS:
        return SendOutcome(ok=False, error=error, retryable=True)
    return SendOutcome(ok=False, error=error, response=dict(data))


def _header(headers: Any, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else str(value)
    return None


class SlackDirectory:
    """Reads people from Slack for onboarding (users.lookupByEmail, users.info)."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def lookup_by_email(self, email: str) -> ChatUser | None:
        try:
            response = self._client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.data.get("error") in {"users_not_found", "user_not_found"}:
                return None
            raise
        return _chat_user(response["user"])

    def user_info(self, user_id: str) -> ChatUser | None:
        try:
            response = self._client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            if exc.response.data.get("error") in {"user_not_found", "users_not_found"}:
                return None
            raise
        return _chat_user(response["user"])


def _chat_user(user: dict[str, Any]) -> ChatUser:
    profile = user.get("profile") or {}
    return ChatUser(
        user_id=user["id"],
        name=profile.get("real_name") or user.get("real_name") or user.get("name") or user["id"],
        email=profile.get("email"),
        timezone=user.get("tz"),
        locale=user.get("locale"),
        deleted=bool(user.get("deleted")),
        is_bot=bool(user.get("is_bot")),
    )
