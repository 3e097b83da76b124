"""The HTTP surface: POST /slack/events (events, commands, interactions) and GET /healthz.

Signature and shape are checked here, before Bolt, so a forged or stale request gets a
plain 401 and a malformed one a 400, and neither reaches a listener or the database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bot.payloads import MalformedPayload, parse_slack_body
from storage.db import DatabaseConfigError, check_connection

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 2 * 1024 * 1024

StartResponse = Callable[..., Any]


class SlackHttpApp:
    """A WSGI application for waitress (or any WSGI server)."""

    def __init__(self, *, bolt_app: App, signing_secret: str, engine: Engine) -> None:
        self._bolt_app = bolt_app
        self._verifier = SignatureVerifier(signing_secret)
        self._engine = engine

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return self._health(start_response)
        if path == EVENTS_PATH:
            if method != "POST":
                return _plain(start_response, 405, "use POST", extra=[("Allow", "POST")])
            return self._slack(environ, start_response)
        return _plain(start_response, 404, "not found")

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            check_connection(self._engine)
        except DatabaseConfigError as exc:
            log.error("health check failed: %s", exc)
            return _plain(start_response, 503, "database unavailable")
        return _plain(start_response, 200, "ok")

    def _slack(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(start_response, 400, "bad Content-Length")
        if length > MAX_BODY_BYTES:
            return _plain(start_response, 413, "request too large")
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = _headers(environ)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _plain(start_response, 400, "body is not UTF-8")
        if not self._verifier.is_valid(
            body=body,
            timestamp=headers.get("x-slack-request-timestamp", ""),
            signature=headers.get("x-slack-signature", ""),
        ):
            log.warning("refused a request with a missing, forged or stale signature")
            return _plain(start_response, 401, "invalid signature")
        try:
            parse_slack_body(body, content_type=headers.get("content-type", ""))
        except MalformedPayload as exc:
            log.warning("refused a malformed Slack request: %s", exc)
            return _plain(start_response, 400, f"malformed payload: {exc}")
        response = self._bolt_app.dispatch(
            BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers={k: [v] for k, v in headers.items()})
        )
        response_headers = [
            (name, value) for name, values in response.headers.items() for value in values if name.lower() != "content-length"
        ]
        payload = response.body.encode("utf-8") if isinstance(response.body, str) else json.dumps(response.body).encode()
        response_headers.append(("Content-Length", str(len(payload))))
        start_response(_status_line(response.status), response_headers)
        return [payload]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _plain(start_response: StartResponse, status: int, text: str, *, extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    payload = text.encode("utf-8")
    start_response(
        _status_line(status),
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(payload))), *(extra or [])],
    )
    return [payload]


def _status_line(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Status"
