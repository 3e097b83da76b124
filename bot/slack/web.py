"""The HTTP surface: Bolt's WSGI adapter serves /slack/events; we add GET /healthz and the
few refusals Bolt does not make itself.

A request to POST /slack/events passes, in this order:

1. `SlackEventsHandler.dispatch`: 413 when Content-Length is over MAX_BODY_BYTES (before
   the body is read); 400 when the body is not UTF-8 or Bolt cannot read it as Slack's
   form or JSON (Bolt's adapter would raise, which waitress turns into a 500); 401 when a
   signing header is garbled in a way that makes Bolt's check raise instead of refuse.
2. Bolt's own `RequestVerification`: 401 for a missing, forged or stale signature.
3. `RefuseUnroutablePayloads` (Bolt's `before_authorize` slot, so it runs after the
   signature check): 400 for a signed payload that lacks what Bolt's routing or every
   listener reads without looking (an action's `action_id`, a view's `type`, who is asking).
4. Authorization, our global middleware (`handlers/middleware.py`, the first to touch the
   database), then the one matching listener.

So a refused request never reaches anything that stores.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.middleware import Middleware
from sqlalchemy import Engine

from storage.db import DatabaseConfigError, check_connection

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 2 * 1024 * 1024

StartResponse = Callable[..., Any]
INTERACTION_TYPES = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion"}
)


class SlackHttpApp:
    """A WSGI application for waitress (or any WSGI server): /healthz here, the rest Bolt's."""

    def __init__(self, *, bolt_app: App, engine: Engine) -> None:
        self._slack = SlackEventsHandler(bolt_app, path=EVENTS_PATH)
        self._engine = engine

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD", "GET").upper() in ("GET", "HEAD"):
            return self._health(start_response)
        return self._slack(environ, start_response)

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            check_connection(self._engine)
        except DatabaseConfigError as exc:
            log.error("health check failed: %s", exc)
            return _plain(start_response, 503, "database unavailable")
        return _plain(start_response, 200, "ok")


class SlackEventsHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, refusing what would make it raise before Bolt's own checks run."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            length = int(request.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refuse(400, "bad Content-Length")
        if length > MAX_BODY_BYTES:
            return _refuse(413, "request too large")
        try:
            body = request.get_body()
        except UnicodeDecodeError:
            return _refuse(400, "malformed payload: body is not UTF-8")
        headers = request.get_headers()
        if _garbled_signing_headers(headers):
            return _refuse(401, "invalid request")
        try:
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=headers)
        except Exception as exc:  # noqa: BLE001 - Bolt's parser and context readers assume Slack's shapes
            return _refuse(400, f"malformed payload: not a Slack form or JSON body ({type(exc).__name__})")
        return self.app.dispatch(bolt_request)


def _garbled_signing_headers(headers: Mapping[str, Any]) -> bool:
    """Bolt's check raises (a 500) on a timestamp that is not a number or a non-ASCII signature.

    A missing header is Bolt's to refuse: it reads a missing timestamp as 0, i.e. stale."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if timestamp is not None:
        try:
            int(str(timestamp))
        except ValueError:
            return True
    return signature is not None and not str(signature).isascii()


class RefuseUnroutablePayloads(Middleware):
    """400 for a signed payload Slack would not send and Bolt or a listener would trip over.

    Installed as Bolt's `before_authorize`, so it runs after Bolt's signature check (an
    unsigned caller learns nothing about our parsing) and before any middleware that stores."""

    def process(  # Bolt passes `next` by that name
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]  # noqa: A002
    ) -> BoltResponse:
        problem = payload_problem(req.body)
        if problem is None:
            return next()
        return _refuse(400, f"malformed payload: {problem}")


def payload_problem(body: Mapping[str, Any]) -> str | None:
    """The first thing Bolt's routing or every listener reads from this payload that is not there.

    Only those: anything else odd is Bolt's to answer (404 when nobody listens) or a
    listener's to ignore."""
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event_callback without an event object with a type"
        return None
    if "command" in body:
        if not _is_str(body.get("user_id")):
            return "slash command without user_id"
        # Slack always sends one, and every command answers on it (Bolt's respond raises without).
        return None if _is_url(body.get("response_url")) else "slash command without a response_url"
    if kind not in INTERACTION_TYPES:
        return None
    user = body.get("user")
    if not isinstance(user, dict) or not _is_str(user.get("id")):
        return f"{kind} without user.id"
    if body.get("response_url") is not None and not _is_url(body.get("response_url")):
        return f"{kind} with a response_url that is not a URL"  # listeners answer on it when it is there
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        if not all(isinstance(action, dict) and _is_str(action.get("action_id")) for action in actions):
            return "block_actions with an action without action_id"
        if not all(_slack_typed(action) for action in actions):
            return "block_actions with an action whose value, date or option is not of Slack's type"
        # Where the click came from: Slack sends each of these as an object when it sends it,
        # and listeners read the message they redraw, the channel and the view from them.
        for where in ("message", "container", "channel", "view"):
            if body.get(where) is not None and not isinstance(body.get(where), dict):
                return f"block_actions with a {where} that is not an object"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not _is_str(view.get("type")) or not _is_str(view.get("callback_id")):
            return f"{kind} without a view with a type and a callback_id"
        if not isinstance(view.get("private_metadata", ""), str):
            return f"{kind} with private_metadata that is not a string"  # Slack keeps it as a string
        title = view.get("title", {"type": "plain_text", "text": ""})
        if not isinstance(title, dict) or title.get("type") != "plain_text" or not isinstance(title.get("text"), str):
            return f"{kind} with a title that is not plain text"  # a refusal may show the modal's own title
        # A modal without inputs carries "state": {}; only a state that is not an object is odd.
        state = view.get("state", {})
        if not isinstance(state, dict) or not isinstance(state.get("values", {}), dict):
            return f"{kind} with a view state that is not an object"
        if not all(isinstance(actions, dict) and all(isinstance(element, dict) and _slack_typed(element)
                                                     for element in actions.values())
                   for actions in state.get("values", {}).values()):
            return f"{kind} with a view state whose values are not of Slack's types"
    if kind == "block_suggestion" and not _is_str(body.get("action_id")):
        return "block_suggestion without action_id"
    return None


def _is_str(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _slack_typed(action: Mapping[str, Any]) -> bool:
    """Slack sends a value and a date as strings (a view state's as null when empty) and options as
    objects: listeners and the modals' readers read them so."""
    return (isinstance(action.get("value", ""), (str, type(None)))
            and isinstance(action.get("selected_date", ""), (str, type(None)))
            and isinstance(action.get("selected_option", {}), (dict, type(None)))
            and isinstance(action.get("selected_options", []), list)
            and all(isinstance(option, dict) for option in action.get("selected_options") or []))


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _refuse(status: int, reason: str) -> BoltResponse:
    if status == 401:
        log.warning("refused a request with a missing, forged or stale signature")
    else:
        log.warning("refused a Slack request with %d: %s", status, reason)
    return BoltResponse(status=status, body=reason, headers={"content-type": "text/plain; charset=utf-8"})


def _plain(start_response: StartResponse, status: int, text: str) -> list[bytes]:
    payload = text.encode("utf-8")
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload)))],
    )
    return [payload]
