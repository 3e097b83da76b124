"""Sends outbox rows through slack_sdk's WebClient and classifies the answer.

Slack has no idempotency key, so the answer's class matters: a refusal (429, `ok: false`, a
connection never made) means nothing happened, while a lost answer (timeout, reset, the
connection closed with nothing) or a 5xx may follow a message Slack did post. Those come back
as `outcome_unknown`, and `find_posted` looks the message up by the outbox key it carries in
its `metadata` before the deliverer sends it again.
"""

from __future__ import annotations

import http.client
import logging
import socket
import urllib.error
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.chat import ChatUser, PostedLookup, SendOutcome

log = logging.getLogger(__name__)

# Slack answers these with ok:false, but they are Slack's trouble, not ours: try again.
RETRYABLE_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"})
MAYBE_APPLIED_ERRORS = frozenset({"internal_error", "fatal_error"})
DEFAULT_RETRY_AFTER_SECONDS = 30.0
# The metadata event type the outbox stamps on every message it posts (its payload: the key).
OUTBOX_EVENT_TYPE = "mentorbot_outbox"
HISTORY_PAGE_SIZE = 200
HISTORY_MAX_PAGES = 50  # 10,000 messages since the first try: beyond that, give up looking
# Transport failures where the request cannot have reached Slack: nothing happened.
_NEVER_SENT = (ConnectionRefusedError, socket.gaierror)
_TRANSPORT_ERRORS = (SlackClientError, OSError, TimeoutError, http.client.HTTPException)


def outbox_metadata(key: str) -> dict[str, Any]:
    """The `metadata` argument that lets a posted message be found by its outbox key."""
    return {"event_type": OUTBOX_EVENT_TYPE, "event_payload": {"key": key}}


def make_web_client(*, token: str | None, base_url: str) -> WebClient:
    """A client with no built-in retries: the outbox owns retrying, so nothing is sent twice.
    Without a token (OAuth mode), Bolt gives each request a copy with its team's token."""
    client = WebClient(token=token, base_url=base_url, timeout=15)
    client.retry_handlers = []
    return client


class SlackWebSender:
    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._dm_ids: dict[str, str] = {}  # user id -> the bot's DM with them (stable in Slack)

    def send(self, *, method: str, payload: dict[str, Any]) -> SendOutcome:
        try:
            response = self._client.api_call(method, json=payload)
        except SlackApiError as exc:
            return classify_api_error(exc)
        except _TRANSPORT_ERRORS as exc:
            never_sent = _never_sent(exc)
            log.warning("network trouble calling %s (%s): %r", method, "not sent" if never_sent else "outcome unknown", exc)
            return SendOutcome(ok=False, error=f"network: {exc!r}"[:300], retryable=True, outcome_unknown=not never_sent)
        return SendOutcome(ok=True, response=dict(response.data) if isinstance(response.data, dict) else {})

    def stamp(self, *, method: str, payload: dict[str, Any], key: str) -> dict[str, Any] | None:
        """chat.postMessage carries the outbox key in its metadata (Slack keeps it with the
        message and returns it from conversations.history with include_all_metadata)."""
        if method != "chat.postMessage" or payload.get("metadata") is not None:
            return None
        return {**payload, "metadata": outbox_metadata(key)}

    def lookup_methods(self, channel: str) -> tuple[str, ...]:
        if _is_user_id(channel) and channel not in self._dm_ids:
            return ("conversations.open", "conversations.history")
        return ("conversations.history",)

    def find_posted(self, *, channel: str, key: str, oldest: float, pace: Callable[[str], None]) -> PostedLookup:
        """Read the conversation's history since `oldest` with its metadata, page by page,
        for the message stamped with `key`. A DM addressed to a user id is read in the D…
        conversation `conversations.open` names (the one chat.postMessage posted into)."""
        try:
            conversation = self._dm_ids.get(channel, channel)
            if _is_user_id(channel) and channel not in self._dm_ids:
                pace("conversations.open")
                opened = self._client.conversations_open(users=channel)
                conversation = str(opened["channel"]["id"])
                self._dm_ids[channel] = conversation
            cursor: str | None = None
            seen: dict[str, str] = {}
            for _ in range(HISTORY_MAX_PAGES):
                pace("conversations.history")
                page = self._client.conversations_history(
                    channel=conversation, oldest=f"{oldest:.6f}", inclusive=True, include_all_metadata=True,
                    limit=HISTORY_PAGE_SIZE, **({"cursor": cursor} if cursor else {}),
                )
                for message in page.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    payload = metadata.get("event_payload") or {}
                    if metadata.get("event_type") == OUTBOX_EVENT_TYPE and isinstance(payload.get("key"), str):
                        seen.setdefault(payload["key"], str(message["ts"]))
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or not cursor:
                    return PostedLookup(looked=True, found_ts=seen.get(key), channel=conversation, seen=seen)
            if key in seen:
                return PostedLookup(looked=True, found_ts=seen[key], channel=conversation, seen=seen)
            return PostedLookup(error="history_too_long")
        except SlackApiError as exc:
            answer = classify_api_error(exc)
            return PostedLookup(
                error=answer.error, retry_after_seconds=answer.retry_after_seconds, retryable=answer.retryable
            )
        except _TRANSPORT_ERRORS as exc:
            log.warning("network trouble looking for outbox message %s in %s: %r", key, channel, exc)
            return PostedLookup(error=f"network: {exc!r}"[:300], retryable=True)


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
    if status >= 500:
        # Slack (or its edge) failed after receiving the call: it may have acted.
        return SendOutcome(ok=False, error=error, retryable=True, outcome_unknown=True)
    if error in RETRYABLE_ERRORS:
        # Slack documents that part of an operation may have succeeded before these.
        return SendOutcome(ok=False, error=error, retryable=True, outcome_unknown=error in MAYBE_APPLIED_ERRORS)
    return SendOutcome(ok=False, error=error, response=dict(data))


def _never_sent(exc: BaseException) -> bool:
    """A connection refused or a name that did not resolve: the request never left."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, _NEVER_SENT)


def _is_user_id(channel: str) -> bool:
    """chat.postMessage to a user id posts in the bot's DM with them (U… or W… ids)."""
    return channel[:1] in {"U", "W"}


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
