"""A fake Slack Web API on loopback that behaves as Slack documents, not as we hope.

Why a real HTTP server and not a mock: the bot talks to Slack through ``slack_sdk.WebClient``
(and Bolt through the same client), so the honest seam is HTTP. Pointing
``WebClient(base_url=sandbox.base_url)`` here exercises the client's own encoding, its
error handling (``SlackApiError`` with the real status and headers) and the bot's handling
of what Slack really answers: ``ok: false`` with HTTP 200 for most errors, 429 with
``Retry-After``, ``name_taken`` for a channel name an archived channel still holds,
``channel_not_found`` for a private channel the bot cannot see, trigger ids that expire
after three seconds, 50 blocks in a message and 24 characters in a modal title.

The same code backs ``mentorbot demo`` and the tests, so it lives in the package and uses
only the standard library. Every request runs under one lock: the sandbox is small and
serialising calls keeps its state (and the record of calls) consistent without cleverness.
"""

from __future__ import annotations

import base64
import copy
import email.parser
import email.policy
import itertools
import json
import mimetypes
import random
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._blocks import validate_message_blocks, validate_view
from ._methods import SPEC_REQUIRED_ARGS
from ._ratelimit import RateLimiter

JSON = dict[str, Any]
Clock = Callable[[], float]

# Arguments Slack really requires beyond the loose 2020 spec, and methods newer than it.
_REQUIRED_CORRECTIONS: dict[str, tuple[str, ...]] = {
    "conversations.create": ("name",),
    "conversations.invite": ("channel", "users"),
    "conversations.archive": ("channel",),
    "conversations.unarchive": ("channel",),
    "conversations.info": ("channel",),
    "conversations.members": ("channel",),
    "conversations.history": ("channel",),
    "conversations.replies": ("channel", "ts"),
    "conversations.join": ("channel",),
    "conversations.kick": ("channel", "user"),
    "conversations.leave": ("channel",),
    "users.info": ("user",),
    "chat.delete": ("channel", "ts"),
    "chat.getPermalink": ("channel", "message_ts"),
    "views.update": ("view",),
    "files.info": ("file",),
    "files.delete": ("file",),
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
}
_NEWER_METHODS = frozenset({"files.getUploadURLExternal", "files.completeUploadExternal"})
_NO_AUTH_METHODS = frozenset({"api.test", "oauth.access", "oauth.token", "oauth.v2.access"})
# Slack's OAuth codes are good for one exchange within ten minutes.
OAUTH_CODE_TTL_SECONDS = 600.0
AUTHORIZE_PATH = "/oauth/v2/authorize"

# Fields that Slack takes as JSON-encoded strings in form bodies, and the error it gives
# when they do not parse.
_JSON_FIELDS: dict[str, str] = {
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
    "view": "invalid_arguments",
    "files": "invalid_arguments",
    "metadata": "invalid_metadata_format",
}

_CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
_TRIGGER_FORMAT = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_TTL_SECONDS = 30 * 60.0
RESPONSE_URL_MAX_USES = 5
MAX_TEXT_LENGTH = 40_000
MAX_ATTACHMENTS = 100
MAX_VIEW_BYTES = 250_000

_TZ_LABELS: dict[str, str] = {
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "WET": "Western European Time",
    "WEST": "Western European Summer Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
}

_FILETYPES: dict[str, tuple[str, str]] = {
    "txt": ("text", "Plain Text"),
    "text": ("text", "Plain Text"),
    "csv": ("csv", "CSV"),
    "tsv": ("tsv", "TSV"),
    "xlsx": ("xlsx", "Excel Spreadsheet"),
    "xls": ("xls", "Excel Spreadsheet"),
    "pdf": ("pdf", "PDF"),
    "png": ("png", "PNG"),
    "jpg": ("jpg", "JPEG"),
    "jpeg": ("jpg", "JPEG"),
    "gif": ("gif", "GIF"),
    "json": ("json", "JSON"),
    "md": ("markdown", "Markdown (raw)"),
    "docx": ("docx", "Word Document"),
    "doc": ("doc", "Word Document"),
    "html": ("html", "HTML"),
    "zip": ("zip", "Zip"),
    "py": ("python", "Python"),
}


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call as the sandbox saw and answered it (failed calls included).

    ``args`` are the merged arguments (query, form or JSON body) with JSON fields decoded
    and the token left out. ``response`` is the JSON body sent back; for a plain-text 5xx
    answer it is ``{"raw_body": "..."}``. ``at`` is the sandbox's wall clock. ``lost``: the
    call was applied but its answer never left (the connection was closed instead), and
    ``injected`` names the random fault (:meth:`SlackSandbox.inject_faults`) that answered it.
    """

    method: str
    args: dict[str, Any]
    http_status: int
    response: dict[str, Any]
    at: float
    lost: bool = False
    injected: str | None = None

    @property
    def ok(self) -> bool:
        """True when Slack would have called this a success."""
        return self.http_status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        """The ``error`` string of a refused call, if any."""
        value = self.response.get("error")
        return value if isinstance(value, str) else None


class _ApiError(Exception):
    """An ``ok: false`` answer, raised from deep inside a method handler."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> JSON:
        return {"ok": False, "error": self.error, **self.extra}


def _invalid_arguments(*messages: str) -> _ApiError:
    return _ApiError("invalid_arguments", response_metadata={"messages": list(messages)})


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    display_name: str
    email: str | None
    tz: str
    is_bot: bool
    deleted: bool
    locale: str
    updated: int


@dataclass
class _Channel:
    id: str
    name: str
    is_private: bool
    is_im: bool
    is_mpim: bool
    created: int
    creator: str
    members: list[str]
    is_archived: bool = False
    im_user: str | None = None
    topic: str = ""
    purpose: str = ""
    messages: list[JSON] = field(default_factory=list)


@dataclass
class _File:
    id: str
    name: str
    title: str
    mimetype: str
    filetype: str
    pretty_type: str
    user: str
    created: int
    content: bytes | None = None
    declared_length: int = 0
    upload_token: str | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    shares: dict[str, dict[str, list[JSON]]] = field(default_factory=dict)


@dataclass
class _Trigger:
    issued_at: float
    user_id: str | None
    used: bool = False


@dataclass
class _ResponseUrl:
    id: str
    channel_id: str | None
    user_id: str | None
    message_ts: str | None
    issued_at: float
    uses: int = 0


class _OAuthCode:
    """A code Slack's authorize page handed the installer's browser: one exchange only."""

    def __init__(self, *, workspace: SlackSandbox, user_id: str, scopes: str, redirect_uri: str | None,
                 issued_at: float) -> None:
        self.workspace = workspace
        self.user_id = user_id
        self.scopes = scopes
        self.redirect_uri = redirect_uri
        self.issued_at = issued_at
        self.used = False


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str | None
    lost: bool = False


# What inject_faults can answer: a rate limit, three 5xx from Slack's edge, a lost answer.
FAULT_KINDS: tuple[str, ...] = ("429", "500", "502", "503", "lost")


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    lost: bool = False  # applied, but the connection is closed with no answer
    delay: float = 0.0  # seconds the answer takes to arrive (latency), slept outside the lock

    @classmethod
    def json(cls, payload: JSON, *, status: int = 200, headers: Mapping[str, str] | None = None) -> _Reply:
        data = json.dumps(payload).encode("utf-8")
        return cls(status, data, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    @classmethod
    def text(cls, text: str, *, status: int = 200) -> _Reply:
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})


def _flag(value: Any) -> bool:
    """Slack's booleans arrive as JSON booleans or as "true"/"1" in forms."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in {"true", "1", "yes"}


def _has_content(args: Mapping[str, Any]) -> bool:
    return any(args.get(key) not in (None, "", []) for key in ("text", "blocks", "attachments"))


def _split_ids(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _page(items: list[Any], args: Mapping[str, Any], *, default_limit: int = 100) -> tuple[list[Any], str]:
    """Cursor pagination as Slack does it: an opaque ``next_cursor``, empty at the end."""
    try:
        limit = int(args.get("limit") or default_limit)
    except (TypeError, ValueError) as exc:
        raise _invalid_arguments("[ERROR] limit must be an integer") from exc
    limit = max(1, min(limit, 1000))
    start = 0
    cursor = args.get("cursor")
    if cursor:
        try:
            decoded = base64.b64decode(str(cursor)).decode()
            prefix, _, number = decoded.partition(":")
            if prefix != "offset":
                raise ValueError(decoded)
            start = int(number)
        except ValueError as exc:
            raise _ApiError("invalid_cursor") from exc
    end = start + limit
    return items[start:end], (_encode_cursor(end) if end < len(items) else "")


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields of a multipart body; file parts come back as bytes."""
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    fields: dict[str, Any] = {}
    if not message.is_multipart():
        raise _ApiError("invalid_form_data")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if part.get_filename() is not None:
            fields[name] = payload
        else:
            fields[name] = payload.decode("utf-8", errors="replace")
    return fields


def _parse_body(headers: Message, body: bytes) -> tuple[dict[str, Any], bool]:
    """Arguments from a request body, and whether the body was JSON."""
    if not body:
        return {}, False
    raw_type = headers.get("Content-Type") or ""
    media = raw_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _ApiError("invalid_json") from exc
        if not isinstance(parsed, dict):
            raise _ApiError("invalid_json")
        return parsed, True
    if media in {"application/x-www-form-urlencoded", "text/plain", ""}:
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), False
        except (UnicodeDecodeError, ValueError) as exc:
            raise _ApiError("invalid_form_data") from exc
    if media == "multipart/form-data":
        return _parse_multipart(raw_type, body), False
    raise _ApiError("invalid_post_type")


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the sandbox and writes back what it decides."""

    server: _Server
    protocol_version = "HTTP/1.0"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.server.sandbox._handle_http(verb=self.command, path=self.path, headers=self.headers, body=body)
        if reply.delay > 0:
            time.sleep(reply.delay)  # outside the sandbox's lock: other calls go on meanwhile
        if reply.lost:
            # The call took effect, but the answer is lost on the wire: the client sees the
            # connection close with nothing (http.client.RemoteDisconnected).
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Stay quiet: test output is for test failures, the record of calls is in ``calls``."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Slack takes many connections at once; socketserver's default backlog of 5 reset the
    # connections of a deliverer with more calls than that in the air.
    request_queue_size = 128

    def __init__(self, sandbox: SlackSandbox) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sandbox = sandbox

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (killed, timed out) is its own business."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SlackSandbox:
    """A fake Slack workspace with a Web API, a response_url receiver and file hosting.

    Seed it with :meth:`add_user` and :meth:`add_channel`, point a ``WebClient`` at
    :attr:`base_url`, and read back what the bot did through :attr:`calls`,
    :meth:`messages_in`, :meth:`dm_messages`, :meth:`ephemerals_for`,
    :attr:`response_posts`, :meth:`published_home` and :attr:`opened_views`.

    ``clock`` (seconds, monotonic) drives trigger expiry, response_url expiry and rate
    limits; ``wall_clock`` (epoch seconds) drives message ``ts`` and ``created`` stamps.
    Both default to the ``time`` module, read on every call, so freezegun works too.

    Several workspaces: :meth:`add_workspace` gives another team, with its own bot token,
    users, channels and record of calls, served by the same HTTP server. A call is answered
    by the workspace its token belongs to, so team A's token never sees team B's people.
    :meth:`set_oauth_app` and :meth:`approve_install` (or ``GET /oauth/v2/authorize``) play
    Slack's side of an OAuth install; ``oauth.v2.access`` trades the code for that
    workspace's bot token.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-sandbox",
        team_id: str = "T0SANDBOX",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0SANDBOX",
        bot_name: str = "mentorbot",
        api_app_id: str = "A0SANDBOX",
        team_name: str = "Sandbox",
        team_domain: str = "sandbox",
        enforce_rate_limits: bool = False,
        clock: Clock | None = None,
        wall_clock: Clock | None = None,
        latency_seconds: float = 0.0,
    ) -> None:
        self.bot_token = bot_token
        self.token_revoked_as: str | None = None  # see revoke_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.api_app_id = api_app_id
        self.team_name = team_name
        self.team_domain = team_domain
        self._clock: Clock = clock or (lambda: time.monotonic())
        self._wall: Clock = wall_clock or (lambda: time.time())
        self._lock = threading.RLock()
        self._limiter = RateLimiter(clock=self._clock) if enforce_rate_limits else None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._counters: dict[str, itertools.count[int]] = {}
        self._last_ts_micros = 0

        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._ims: dict[str, str] = {}
        self._mpims: dict[frozenset[str], str] = {}
        self._ephemerals: list[JSON] = []
        self._views: dict[str, JSON] = {}
        self._view_owner: dict[str, str | None] = {}
        self._external_ids: dict[str, str] = {}
        self._opened: list[str] = []
        self._stacks: dict[str | None, list[str]] = {}
        self._home: dict[str, list[JSON]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._response_posts: list[tuple[str, JSON]] = []
        self._files: dict[str, _File] = {}
        self._uploads: dict[str, str] = {}
        self._failures: dict[str, deque[_Failure]] = {}
        self._calls: list[RecordedCall] = []
        # Every Web API answer takes this long to arrive (the real API: ~100-300 ms away).
        self.latency_seconds = latency_seconds
        self._fault_rate = 0.0
        self._fault_random = random.Random(0)
        self._fault_kinds: tuple[str, ...] = FAULT_KINDS
        self._fault_methods: frozenset[str] | None = None
        self._fault_retry_after = 1
        # Several workspaces: the first sandbox serves HTTP for all; each other one is a
        # workspace of its own (`add_workspace`) whose calls it routes by token.
        self._primary: SlackSandbox | None = None
        # What the ids this workspace makes carry after their letter: channels and files of
        # two workspaces never share an id, as in Slack (a pair channel's id is stored as unique).
        self._id_mark = "0S"
        self._workspaces: dict[str, SlackSandbox] = {}
        # OAuth: the app's credentials and redirect URL as configured at api.slack.com, and
        # the codes the authorize page handed out.
        self.oauth_client_id: str | None = None
        self._oauth_client_secret: str | None = None
        self.oauth_redirect_url: str | None = None
        self._oauth_codes: dict[str, _OAuthCode] = {}

        self._handlers: dict[str, Callable[[JSON], JSON]] = {
            name[len("_api_") :].replace("_", "."): getattr(self, name)
            for name in dir(self)
            if name.startswith("_api_")
        }
        self._known_methods = frozenset(SPEC_REQUIRED_ARGS) | _NEWER_METHODS | frozenset(self._handlers)
        self._required: dict[str, tuple[str, ...]] = {}
        for method in self._known_methods:
            names = list(SPEC_REQUIRED_ARGS.get(method, ()))
            names += [n for n in _REQUIRED_CORRECTIONS.get(method, ()) if n not in names]
            self._required[method] = tuple(names)

        self._users[bot_user_id] = _User(
            id=bot_user_id,
            name=bot_name,
            real_name=bot_name,
            display_name="",
            email=None,
            tz="America/Los_Angeles",
            is_bot=True,
            deleted=False,
            locale="en-US",
            updated=int(self._wall()),
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackSandbox:
        """Bind 127.0.0.1 on a free port and serve from a daemon thread."""
        if self._primary is not None:
            raise RuntimeError("a workspace added with add_workspace is served by the sandbox that added it")
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},  # stop() waits at most this long
            name="slack-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (safe to call twice)."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackSandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running sandbox."""
        server = (self._primary or self)._server
        if server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        host, port = server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        """The Web API base for ``WebClient(base_url=...)``, ending in a slash."""
        return f"{self.root_url}/api/"

    # ------------------------------------------------------------------ workspaces and OAuth

    def add_workspace(
        self,
        *,
        team_id: str,
        team_name: str | None = None,
        team_domain: str | None = None,
        bot_token: str | None = None,
        bot_user_id: str | None = None,
    ) -> SlackSandbox:
        """Another Slack workspace the same app can be installed in, served by this sandbox.

        It has its own bot token (each token belongs to one workspace), users, channels and
        ``calls``; seed it and read it back as this one. Calls with its token are answered by
        it; its response_urls, uploads and files are reached through this sandbox's server."""
        if self._primary is not None:
            return self._primary.add_workspace(team_id=team_id, team_name=team_name, team_domain=team_domain,
                                               bot_token=bot_token, bot_user_id=bot_user_id)
        with self._lock:
            if team_id == self.team_id or team_id in self._workspaces:
                raise ValueError(f"workspace {team_id} exists already")
            workspace = SlackSandbox(
                bot_token=bot_token or f"xoxb-{team_id.lower()}-{secrets.token_hex(6)}",
                team_id=team_id,
                bot_user_id=bot_user_id or f"U0BOT{len(self._workspaces) + 1}",
                bot_id=f"B0{team_id}"[:11],
                bot_name=self.bot_name,
                api_app_id=self.api_app_id,
                team_name=team_name or team_id,
                team_domain=team_domain or team_id.lower(),
                enforce_rate_limits=self._limiter is not None,
                clock=self._clock,
                wall_clock=self._wall,
                latency_seconds=self.latency_seconds,
            )
            workspace._primary = self
            workspace._id_mark = f"{len(self._workspaces) + 1}S"
            workspace._lock = self._lock  # one lock for every workspace: routing and state stay consistent
            self._workspaces[team_id] = workspace
            return workspace

    def workspace(self, team_id: str) -> SlackSandbox:
        """The workspace with this team id (this sandbox's own included)."""
        root = self._primary or self
        if team_id == root.team_id:
            return root
        found = root._workspaces.get(team_id)
        if found is None:
            raise KeyError(f"no workspace {team_id} in the sandbox")
        return found

    def _all_workspaces(self) -> list[SlackSandbox]:
        root = self._primary or self
        return [root, *root._workspaces.values()]

    def _workspace_for_token(self, token: str | None) -> SlackSandbox | None:
        return next((w for w in self._all_workspaces() if token is not None and w.bot_token == token), None)

    def set_oauth_app(self, *, client_id: str, client_secret: str, redirect_url: str | None = None) -> None:
        """The app's credentials (*Basic Information*) and its redirect URL (*OAuth &
        Permissions*), as Slack knows them: the authorize page and ``oauth.v2.access``
        check them."""
        root = self._primary or self
        with root._lock:
            root.oauth_client_id = client_id
            root._oauth_client_secret = client_secret
            root.oauth_redirect_url = redirect_url

    def approve_install(self, authorize_url: str, *, team_id: str, user_id: str) -> str:
        """The installer, signed in to workspace ``team_id`` as ``user_id``, clicks *Allow* on
        Slack's authorize page: returns where Slack sends their browser (the redirect URL
        with ``code`` and ``state``, or with ``error`` when the request was wrong)."""
        parts = urlsplit(authorize_url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        status, location_or_error = (self._primary or self)._authorize(query, team_id=team_id, user_id=user_id)
        if status != 302:
            raise ValueError(f"Slack's authorize page refused the request: {location_or_error}")
        return location_or_error

    def _authorize(self, query: Mapping[str, str], *, team_id: str, user_id: str) -> tuple[int, str]:
        """What the authorize page does: (302, redirect location) or (400, why)."""
        with self._lock:
            if not self.oauth_client_id or query.get("client_id") != self.oauth_client_id:
                return 400, "invalid_client_id"
            redirect_uri = query.get("redirect_uri") or None
            target = redirect_uri or self.oauth_redirect_url
            if not target:
                return 400, "no redirect_uri, and the app has no redirect URL configured"
            if redirect_uri and self.oauth_redirect_url and not redirect_uri.startswith(self.oauth_redirect_url):
                return 400, "bad_redirect_uri"
            try:
                workspace = self.workspace(team_id)
            except KeyError:
                return 400, f"no workspace {team_id}"
            if user_id not in workspace._users:
                return 400, f"no user {user_id} in {team_id}"
            code = f"{int(self._wall())}.{secrets.token_hex(16)}"
            self._oauth_codes[code] = _OAuthCode(workspace=workspace, user_id=user_id, scopes=query.get("scope", ""),
                                                 redirect_uri=redirect_uri, issued_at=self._clock())
            answer = {"code": code}
            if "state" in query:
                answer["state"] = query["state"]
            separator = "&" if "?" in target else "?"
            return 302, f"{target}{separator}{urlencode(answer)}"

    def _api_oauth_v2_access(self, args: JSON) -> JSON:
        """Trade an install's code for the workspace's bot token. A workspace that had
        uninstalled the app (its token revoked) gets a new token; otherwise its token stays."""
        root = self._primary or self
        if not root.oauth_client_id or args.get("client_id") != root.oauth_client_id:
            raise _ApiError("invalid_client_id")
        if args.get("client_secret") != root._oauth_client_secret:
            raise _ApiError("bad_client_secret")
        grant = root._oauth_codes.get(str(args.get("code") or ""))
        if grant is None or grant.used or self._clock() - grant.issued_at > OAUTH_CODE_TTL_SECONDS:
            raise _ApiError("invalid_code")
        if grant.redirect_uri is not None and args.get("redirect_uri") != grant.redirect_uri:
            raise _ApiError("bad_redirect_uri")
        grant.used = True
        workspace = grant.workspace
        if workspace.token_revoked_as is not None:
            workspace.bot_token = f"xoxb-{workspace.team_id.lower()}-{secrets.token_hex(6)}"
            workspace.token_revoked_as = None
        return {
            "access_token": workspace.bot_token,
            "token_type": "bot",
            "scope": grant.scopes,
            "bot_user_id": workspace.bot_user_id,
            "app_id": workspace.api_app_id,
            "team": {"name": workspace.team_name, "id": workspace.team_id},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.user_id},
        }

    # ------------------------------------------------------------------ ids and clocks

    def _new_id(self, prefix: str) -> str:
        counter = self._counters.setdefault(prefix, itertools.count(1))
        while True:
            candidate = f"{prefix}{self._id_mark}{next(counter):06X}"
            if candidate not in self._users and candidate not in self._channels and candidate not in self._files:
                return candidate

    def _next_ts(self) -> str:
        """Message ts: wall-clock microseconds, strictly increasing, unique per sandbox."""
        micros = max(int(self._wall() * 1_000_000), self._last_ts_micros + 1)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_hash(self) -> str:
        return f"{int(self._wall())}.{secrets.token_hex(4)}"

    # ------------------------------------------------------------------ seeding

    def add_user(
        self,
        *,
        user_id: str,
        name: str,
        real_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/Copenhagen",
        is_bot: bool = False,
        deleted: bool = False,
        locale: str = "en-US",
        display_name: str | None = None,
    ) -> JSON:
        """Add a workspace member and return them as ``users.info`` would (with locale)."""
        self._check_tz(tz)
        with self._lock:
            if user_id in self._users:
                raise ValueError(f"user {user_id} already exists")
            user = _User(
                id=user_id,
                name=name,
                real_name=real_name if real_name is not None else name,
                display_name=display_name if display_name is not None else name,
                email=email,
                tz=tz,
                is_bot=is_bot,
                deleted=deleted,
                locale=locale,
                updated=int(self._wall()),
            )
            self._users[user_id] = user
            return self._user_json(user, include_locale=True)

    def update_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        tz: str | None = None,
        locale: str | None = None,
        deleted: bool | None = None,
    ) -> JSON:
        """Change a member (a time-zone move, a new e-mail) as an admin or the user would."""
        if tz is not None:
            self._check_tz(tz)
        with self._lock:
            user = self._require_user_seed(user_id)
            for attr, value in (
                ("name", name),
                ("real_name", real_name),
                ("display_name", display_name),
                ("email", email),
                ("tz", tz),
                ("locale", locale),
                ("deleted", deleted),
            ):
                if value is not None:
                    setattr(user, attr, value)
            user.updated = int(self._wall())
            return self._user_json(user, include_locale=True)

    def remove_user(self, user_id: str) -> JSON:
        """Deactivate a member: Slack never forgets users, it marks them ``deleted``."""
        return self.update_user(user_id, deleted=True)

    def add_channel(
        self,
        *,
        name: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        channel_id: str | None = None,
        creator: str | None = None,
        is_archived: bool = False,
    ) -> JSON:
        """Add a channel made by someone else; the bot is a member only if listed."""
        with self._lock:
            problem = self._channel_name_problem(name)
            if problem is not None:
                raise ValueError(f"{problem}: {name!r}")
            if channel_id is not None and channel_id in self._channels:
                raise ValueError(f"channel {channel_id} already exists")
            member_list = list(dict.fromkeys(members))
            unknown = [m for m in member_list if m not in self._users]
            if unknown:
                raise ValueError(f"unknown members: {unknown}")
            channel = _Channel(
                id=channel_id or self._new_id("C"),
                name=name,
                is_private=is_private,
                is_im=False,
                is_mpim=False,
                created=int(self._wall()),
                creator=creator or (member_list[0] if member_list else self.bot_user_id),
                members=member_list,
                is_archived=is_archived,
            )
            self._channels[channel.id] = channel
            return self._channel_seed_json(channel)

    def add_member(self, *, channel: str, user_id: str) -> JSON:
        """A person joins a channel (by id or name) on their own; returns the channel."""
        with self._lock:
            self._require_user_seed(user_id)
            target = self._lookup_channel(channel, allow_names=True, allow_users=False)
            if target is None or target.is_im:
                raise ValueError(f"unknown channel {channel!r}")
            if user_id not in target.members:
                target.members.append(user_id)
            return self._channel_seed_json(target)

    def remove_member(self, *, channel: str, user_id: str) -> JSON:
        """A person leaves a channel (by id or name); returns the channel."""
        with self._lock:
            target = self._lookup_channel(channel, allow_names=True, allow_users=False)
            if target is None or target.is_im:
                raise ValueError(f"unknown channel {channel!r}")
            if user_id in target.members:
                target.members.remove(user_id)
            return self._channel_seed_json(target)

    def add_user_message(
        self,
        *,
        user_id: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
    ) -> JSON:
        """Put a message a person wrote into a channel (for ``message`` events and history)."""
        with self._lock:
            self._require_user_seed(user_id)
            target = self._lookup_channel(channel, allow_names=True, allow_users=True)
            if target is None:
                raise ValueError(f"unknown channel {channel!r}")
            message: JSON = {"type": "message", "user": user_id, "text": text, "team": self.team_id}
            return copy.deepcopy(self._append_message(target, message, thread_ts=thread_ts))

    def add_user_file(
        self,
        *,
        user_id: str,
        name: str,
        content: bytes,
        mimetype: str | None = None,
        channel: str | None = None,
        title: str | None = None,
    ) -> JSON:
        """Host a file as if a person uploaded it; return the file object events carry.

        With ``channel`` the file is also shared there as a ``file_share`` message.
        """
        with self._lock:
            self._require_user_seed(user_id)
            file = self._new_file(name=name, title=title or name, user=user_id, mimetype=mimetype)
            file.content = bytes(content)
            file.declared_length = len(content)
            file.completed = True
            if channel is not None:
                target = self._lookup_channel(channel, allow_names=True, allow_users=True)
                if target is None:
                    raise ValueError(f"unknown channel {channel!r}")
                message: JSON = {
                    "type": "message",
                    "subtype": "file_share",
                    "user": user_id,
                    "text": "",
                    "upload": True,
                    "display_as_bot": False,
                    "team": self.team_id,
                }
                self._share_files([file], target, message, thread_ts=None)
            return self._file_json(file)

    # ------------------------------------------------------------------ failure switches

    def fail_next(self, method: str, *, status: int = 429, retry_after: int = 1, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail at the HTTP level.

        429 answers ``{"ok": false, "error": "ratelimited"}`` with ``Retry-After``; any other
        status (say 500 or 503) answers a plain-text body, as Slack's edge does.
        """
        if status < 400:
            raise ValueError("fail_next needs an HTTP error status")
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            for _ in range(times):
                queue.append(_Failure(status=status, retry_after=retry_after if status == 429 else None, error=None))

    def lose_next_answer(self, method: str, *, times: int = 1) -> None:
        """Apply the next ``times`` calls of ``method``, then close the connection unanswered.

        The client cannot tell whether Slack acted: the honest model of a timeout or a reset
        after the request was sent (a posted message whose ``ts`` never arrived)."""
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            for _ in range(times):
                queue.append(_Failure(status=200, retry_after=None, error=None, lost=True))

    def inject_faults(
        self,
        rate: float,
        *,
        seed: int = 0,
        kinds: Iterable[str] = (),
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
    ) -> None:
        """Answer a random share ``rate`` of Web API calls with a fault, reproducibly (``seed``).

        Kinds (default all, equally likely): ``"429"`` (``ratelimited`` with ``Retry-After``,
        not applied), ``"500"``, ``"502"``, ``"503"`` (plain-text bodies from the edge, not
        applied) and ``"lost"`` (applied, then the connection closes with no answer).
        ``methods`` limits the faults to those methods; ``rate=0`` turns them off. The queued
        :meth:`fail_next`, :meth:`error_next` and :meth:`lose_next_answer` still come first."""
        chosen = tuple(kinds) or FAULT_KINDS
        unknown = [kind for kind in chosen if kind not in FAULT_KINDS]
        if unknown or not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault kinds are {FAULT_KINDS} and the rate is in [0, 1]; got {unknown or rate}")
        with self._lock:
            self._fault_rate = rate
            self._fault_random = random.Random(seed)
            self._fault_kinds = chosen
            self._fault_methods = frozenset(methods) if methods is not None else None
            self._fault_retry_after = retry_after

    def fault_counts(self) -> dict[str, int]:
        """How many calls each injected fault kind answered so far."""
        with self._lock:
            counts: dict[str, int] = {}
            for call in self._calls:
                if call.injected is not None:
                    counts[call.injected] = counts.get(call.injected, 0) + 1
            return counts

    def revoke_token(self, error: str = "token_revoked") -> None:
        """The app was uninstalled or its token revoked: from now on every call with the bot's
        token answers ``error`` (Slack: ``token_revoked``; ``invalid_auth`` or
        ``account_inactive`` are the other answers a dead token gets)."""
        with self._lock:
            self.token_revoked_as = error

    def reinstall(self) -> None:
        """Installed again with the same bot token: calls work again."""
        with self._lock:
            self.token_revoked_as = None

    def error_next(self, method: str, error: str, *, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` answer ``ok: false`` with ``error``."""
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            for _ in range(times):
                queue.append(_Failure(status=200, retry_after=None, error=error))

    # ------------------------------------------------------------------ interaction plumbing

    def issue_trigger_id(self, *, user_id: str | None = None) -> str:
        """A trigger id as an interaction would carry: good for one use within 3 seconds."""
        with self._lock:
            trigger_id = f"{int(self._wall())}{len(self._triggers):04d}.{self._team_number}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(issued_at=self._clock(), user_id=user_id)
            return trigger_id

    @property
    def _team_number(self) -> int:
        """A stable number standing for the team inside trigger ids."""
        return sum(ord(c) for c in self.team_id) * 7919

    def new_response_url(
        self,
        *,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url on the sandbox; its context lets posts replace or delete a message."""
        with self._lock:
            url_id = secrets.token_hex(12)
            self._response_urls[url_id] = _ResponseUrl(
                id=url_id,
                channel_id=channel_id,
                user_id=user_id,
                message_ts=message_ts,
                issued_at=self._clock(),
            )
            return f"{self.root_url}/response/{url_id}"

    def apply_view_response(
        self,
        *,
        user_id: str,
        view_id: str,
        response: JSON | None,
        closed: bool = False,
    ) -> list[str]:
        """Apply what the app answered to a ``view_submission`` (or a ``view_closed``).

        An empty answer closes the submitted view; ``response_action`` ``update`` and
        ``push`` change the stack (their views are checked like ``views.update/push``);
        ``clear`` closes every view; ``errors`` leaves the modal open. Returns the
        problems Slack would have shown the user instead of the new view.
        """
        with self._lock:
            stack = self._stacks.setdefault(user_id, [])
            action = (response or {}).get("response_action") if not closed else None
            if action in (None, "") or closed:
                if view_id in stack:
                    stack.remove(view_id)
                return []
            if action == "clear":
                stack.clear()
                return []
            if action == "errors":
                errors = (response or {}).get("errors")
                if not isinstance(errors, dict) or not errors:
                    return ["[ERROR] response_action errors needs a non-empty errors object"]
                return []
            if action not in ("update", "push"):
                return [f"[ERROR] unknown response_action: {action}"]
            view = (response or {}).get("view")
            problems = validate_view(view, allowed_types=frozenset({"modal"}))
            if problems:
                return problems
            assert isinstance(view, dict)
            if action == "update":
                current = self._views.get(view_id)
                if current is None:
                    return [f"[ERROR] unknown view {view_id}"]
                self._replace_view(current, view)
                return []
            if len(stack) >= 3:
                return ["push_limit_reached"]
            root = stack[0] if stack else None
            new = self._store_view(view, user_id=user_id, root=root, previous=stack[-1] if stack else None)
            stack.append(new["id"])
            self._opened.append(new["id"])
            return []

    # ------------------------------------------------------------------ reading the record

    @property
    def calls(self) -> list[RecordedCall]:
        """Every Web API call so far, in order (a copy)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        """The calls made to one method, in order."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def reset_calls(self) -> None:
        """Forget the record of calls (state such as messages and channels stays)."""
        with self._lock:
            self._calls.clear()

    def messages_in(self, channel: str) -> list[JSON]:
        """Messages in a channel (id or name), oldest first, thread replies included."""
        with self._lock:
            target = self._lookup_channel(channel, allow_names=True, allow_users=False)
            return copy.deepcopy(target.messages) if target is not None else []

    def dm_messages(self, user_id: str) -> list[JSON]:
        """Messages in the bot's direct-message channel with ``user_id``, oldest first."""
        with self._lock:
            im_id = self._ims.get(user_id)
            return copy.deepcopy(self._channels[im_id].messages) if im_id else []

    def ephemerals_for(self, user_id: str) -> list[JSON]:
        """Ephemeral messages shown to ``user_id`` (postEphemeral and response_url)."""
        with self._lock:
            return [copy.deepcopy(e) for e in self._ephemerals if e["user"] == user_id]

    @property
    def response_posts(self) -> list[tuple[str, JSON]]:
        """Accepted POSTs to response_urls: ``(url_id, body)`` in order."""
        with self._lock:
            return copy.deepcopy(self._response_posts)

    def published_home(self, user_id: str) -> JSON | None:
        """The Home tab last published for ``user_id``, or None."""
        with self._lock:
            history = self._home.get(user_id)
            return copy.deepcopy(history[-1]) if history else None

    def home_history(self, user_id: str) -> list[JSON]:
        """Every Home tab published for ``user_id``, oldest first."""
        with self._lock:
            return copy.deepcopy(self._home.get(user_id, []))

    @property
    def opened_views(self) -> list[JSON]:
        """Modals opened or pushed, in order, each in its current (possibly updated) state."""
        with self._lock:
            return [copy.deepcopy(self._views[v]) for v in self._opened]

    def view(self, view_id: str) -> JSON | None:
        """The current state of a view by id."""
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def view_stack(self, user_id: str) -> list[str]:
        """Ids of the modals open for ``user_id``, root first."""
        with self._lock:
            return list(self._stacks.get(user_id, []))

    def get_user(self, user_id: str) -> JSON | None:
        """A member as ``users.info`` shows them (with locale), or None."""
        with self._lock:
            user = self._users.get(user_id)
            return self._user_json(user, include_locale=True) if user else None

    def get_channel(self, channel: str) -> JSON | None:
        """A channel by id or name, with its ``members`` list, whatever the bot can see."""
        with self._lock:
            target = self._lookup_channel(channel, allow_names=True, allow_users=False)
            return self._channel_seed_json(target) if target is not None else None

    def im_channel_for(self, user_id: str) -> str:
        """The id of the bot's DM with ``user_id`` (opened if needed), as Slack would."""
        with self._lock:
            self._require_user_seed(user_id)
            return self._im_for(user_id).id

    def find_message(self, ts: str, *, channel: str | None = None) -> tuple[str, JSON] | None:
        """Find a message by ts (in one channel, or anywhere): ``(channel_id, message)``."""
        with self._lock:
            if channel is not None:
                target = self._lookup_channel(channel, allow_names=True, allow_users=True)
                candidates = [target] if target is not None else []
            else:
                candidates = list(self._channels.values())
            for ch in candidates:
                found = self._message(ch, ts)
                if found is not None:
                    return ch.id, copy.deepcopy(found)
            return None

    def find_ephemeral(self, ts: str) -> JSON | None:
        """An ephemeral message by its ``message_ts``."""
        with self._lock:
            found = next((e for e in self._ephemerals if e["ts"] == ts), None)
            return copy.deepcopy(found) if found is not None else None

    def file_content(self, file_id: str) -> bytes | None:
        """The bytes hosted for a file id (None if not uploaded)."""
        with self._lock:
            found = self._files.get(file_id)
            return found.content if found is not None else None

    # ------------------------------------------------------------------ HTTP

    def _handle_http(self, *, verb: str, path: str, headers: Message, body: bytes) -> _Reply:
        parts = urlsplit(path)
        route = parts.path
        if route.startswith("/api/") and verb in {"GET", "POST"}:
            return self._api(unquote(route[len("/api/") :]), query=parts.query, headers=headers, body=body)
        if route.startswith("/upload/v1/") and verb == "POST":
            token = route[len("/upload/v1/") :]
            owner = next((w for w in self._all_workspaces() if token in w._uploads), self)
            return owner._receive_upload(token, headers=headers, body=body)
        if route.startswith("/files-pri/") and verb in {"GET", "HEAD"}:
            return (self._workspace_for_token(self._bearer(headers)) or self)._serve_file(route, headers=headers)
        if route.startswith("/response/") and verb == "POST":
            url_id = route[len("/response/") :]
            owner = next((w for w in self._all_workspaces() if url_id in w._response_urls), self)
            posted = owner._receive_response_post(url_id, headers=headers, body=body)
            posted.delay = self.latency_seconds  # a response_url is answered by Slack's servers too
            return posted
        if route == AUTHORIZE_PATH and verb == "GET":
            # There is no signed-in browser: the sandbox's own `team` and `user` parameters
            # say who clicks Allow (approve_install does the same from Python).
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            status, answer = self._authorize(query, team_id=query.get("team", self.team_id),
                                             user_id=query.get("user", ""))
            if status == 302:
                return _Reply(302, b"", {"Location": answer, "Content-Type": "text/plain; charset=utf-8"})
            return _Reply.text(answer, status=status)
        if route in {"", "/"}:
            return _Reply.text("slack sandbox")
        return _Reply.text("not found", status=404)

    @staticmethod
    def _bearer(headers: Message) -> str | None:
        value = headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _api(self, method: str, *, query: str, headers: Message, body: bytes) -> _Reply:
        with self._lock:
            at = self._wall()
            args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
            # Slack no longer takes tokens from query strings (apps made since 2021).
            args.pop("token", None)
            try:
                body_args, is_json = _parse_body(headers, body)
            except _ApiError as exc:
                return self._finish(method, args, _Reply.json(exc.body()), at)
            # A token may come as a form field, but never inside a JSON body.
            body_token = body_args.pop("token", None)
            args.update(body_args)
            if method in _NO_AUTH_METHODS:
                # oauth.v2.access: the app's credentials as HTTP Basic auth (slack_sdk) or fields.
                args.update({k: v for k, v in self._basic_auth(headers).items() if k not in args})
            token = self._bearer(headers) or (None if is_json or not isinstance(body_token, str) else body_token)
            owner = self._workspace_for_token(token) if method not in _NO_AUTH_METHODS else None
            return (owner or self)._call(method, args, token=token, at=at)

    @staticmethod
    def _basic_auth(headers: Message) -> dict[str, str]:
        scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return {}
        try:
            client_id, _, client_secret = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return {}
        return {"client_id": client_id, "client_secret": client_secret}

    def _call(self, method: str, args: dict[str, Any], *, token: str | None, at: float) -> _Reply:
        if method not in self._known_methods:
            return self._finish(
                method, args, _Reply.json({"ok": False, "error": "unknown_method", "req_method": method}), at
            )
        if method not in _NO_AUTH_METHODS:
            if token is None:
                return self._finish(method, args, _Reply.json({"ok": False, "error": "not_authed"}), at)
            if token != self.bot_token:
                return self._finish(method, args, _Reply.json({"ok": False, "error": "invalid_auth"}), at)
            if self.token_revoked_as is not None:  # uninstalled: the old token answers so, every call
                return self._finish(method, args, _Reply.json({"ok": False, "error": self.token_revoked_as}), at)
        queue = self._failures.get(method)
        lost = False
        injected: str | None = None
        if queue:
            failure = queue.popleft()
            if not failure.lost:
                return self._finish(method, args, self._failure_reply(failure), at)
            lost = True
        elif self._draw_fault(method):
            injected = self._fault_random.choice(self._fault_kinds)
            if injected == "lost":
                lost = True
            else:
                status = int(injected)
                failure = _Failure(
                    status=status, retry_after=self._fault_retry_after if status == 429 else None, error=None
                )
                return self._finish(method, args, self._failure_reply(failure), at, injected=injected)
        if self._limiter is not None:
            retry_after = self._limiter.check(method, channel_key=self._rate_key(method, args))
            if retry_after is not None:
                reply = _Reply.json(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
                )
                return self._finish(method, args, reply, at)
        try:
            missing = [name for name in self._required.get(method, ()) if args.get(name) is None]
            if missing:
                raise _invalid_arguments(*(f"[ERROR] missing required field: {name}" for name in missing))
            self._decode_json_fields(args)
            handler = self._handlers.get(method)
            if handler is None:
                raise _ApiError(
                    "sandbox_not_implemented",
                    response_metadata={
                        "messages": [f"[SANDBOX] {method} is a real Slack method the sandbox does not model"]
                    },
                )
            result: JSON = {"ok": True, **handler(args)}
        except _ApiError as exc:
            result = exc.body()
        reply = _Reply.json(result)
        reply.lost = lost
        return self._finish(method, args, reply, at, injected=injected)

    def _draw_fault(self, method: str) -> bool:
        if self._fault_rate <= 0 or (self._fault_methods is not None and method not in self._fault_methods):
            return False
        return self._fault_random.random() < self._fault_rate

    def _failure_reply(self, failure: _Failure) -> _Reply:
        if failure.error is not None:
            return _Reply.json({"ok": False, "error": failure.error})
        if failure.status == 429:
            return _Reply.json(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(failure.retry_after or 1)},
            )
        try:
            phrase = HTTPStatus(failure.status).phrase
        except ValueError:
            phrase = "Error"
        return _Reply.text(f"{failure.status} {phrase}", status=failure.status)

    def _finish(
        self, method: str, args: Mapping[str, Any], reply: _Reply, at: float, *, injected: str | None = None
    ) -> _Reply:
        if reply.headers.get("Content-Type", "").startswith("application/json"):
            response = json.loads(reply.body)
        else:
            response = {"raw_body": reply.body.decode("utf-8", errors="replace")}
        recorded = copy.deepcopy(dict(args))
        if "client_secret" in recorded:
            recorded["client_secret"] = "(redacted)"
        self._calls.append(
            RecordedCall(
                method=method,
                args=recorded,
                http_status=reply.status,
                response=response,
                at=at,
                lost=reply.lost,
                injected=injected,
            )
        )
        reply.delay = self.latency_seconds
        return reply

    def _rate_key(self, method: str, args: Mapping[str, Any]) -> str | None:
        if method != "chat.postMessage":
            return None
        ref = str(args.get("channel") or "")
        # A user id and the DM id are the same conversation, so they share one budget.
        target = self._lookup_channel(ref, allow_names=True, allow_users=True)
        return target.id if target is not None else ref

    @staticmethod
    def _decode_json_fields(args: dict[str, Any]) -> None:
        for key, error in _JSON_FIELDS.items():
            value = args.get(key)
            if isinstance(value, bytes):
                value = value.decode("utf-8", errors="replace")
            if not isinstance(value, str):
                continue
            try:
                args[key] = json.loads(value)
            except ValueError as exc:
                raise _ApiError(
                    error, response_metadata={"messages": [f"[ERROR] failed to parse json: {key}"]}
                ) from exc

    # ------------------------------------------------------------------ state helpers

    @staticmethod
    def _check_tz(tz: str) -> None:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc

    def _require_user_seed(self, user_id: str) -> _User:
        user = self._users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id!r}")
        return user

    def _tz_info(self, tz: str) -> tuple[int, str]:
        moment = datetime.fromtimestamp(self._wall(), tz=timezone.utc).astimezone(ZoneInfo(tz))
        offset = moment.utcoffset()
        abbreviation = moment.tzname() or tz
        return (int(offset.total_seconds()) if offset is not None else 0), _TZ_LABELS.get(abbreviation, abbreviation)

    def _user_json(self, user: _User, *, include_locale: bool) -> JSON:
        tz_offset, tz_label = self._tz_info(user.tz)
        profile: JSON = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "team": self.team_id,
        }
        if user.email is not None:
            profile["email"] = user.email
        if user.is_bot and user.id == self.bot_user_id:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = self.api_app_id
        data: JSON = {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": user.updated,
        }
        if include_locale:
            data["locale"] = user.locale
        return data

    def _channel_json(self, ch: _Channel, *, include_num_members: bool = False) -> JSON:
        if ch.is_im:
            user = self._users.get(ch.im_user or "")
            return {
                "id": ch.id,
                "created": ch.created,
                "is_im": True,
                "is_org_shared": False,
                "user": ch.im_user,
                "is_user_deleted": bool(user and user.deleted),
                "priority": 0,
            }
        data: JSON = {
            "id": ch.id,
            "name": ch.name,
            "is_channel": not ch.is_mpim,
            "is_group": False,
            "is_im": False,
            "is_mpim": ch.is_mpim,
            "is_private": ch.is_private,
            "created": ch.created,
            "creator": ch.creator,
            "is_archived": ch.is_archived,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": ch.name,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": self.bot_user_id in ch.members,
            "topic": {"value": ch.topic, "creator": "", "last_set": 0},
            "purpose": {"value": ch.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if include_num_members:
            data["num_members"] = len(ch.members)
        return data

    def _channel_seed_json(self, ch: _Channel) -> JSON:
        data = self._channel_json(ch, include_num_members=True)
        data["members"] = list(ch.members)
        return data

    def _lookup_channel(self, ref: str, *, allow_names: bool, allow_users: bool) -> _Channel | None:
        """Resolve a channel reference the way chat.postMessage does (id, #name, user id)."""
        if not ref:
            return None
        if ref in self._channels:
            return self._channels[ref]
        if allow_users and ref in self._users:
            return self._im_for(ref)
        if allow_names:
            name = ref[1:] if ref.startswith("#") else ref
            for ch in self._channels.values():
                if not ch.is_im and ch.name == name:
                    return ch
        return None

    def _im_for(self, user_id: str) -> _Channel:
        existing = self._ims.get(user_id)
        if existing is not None:
            return self._channels[existing]
        channel = _Channel(
            id=self._new_id("D"),
            name="",
            is_private=True,
            is_im=True,
            is_mpim=False,
            created=int(self._wall()),
            creator=self.bot_user_id,
            members=[user_id, self.bot_user_id],
            im_user=user_id,
        )
        self._channels[channel.id] = channel
        self._ims[user_id] = channel.id
        return channel

    def _visible(self, ch: _Channel) -> bool:
        """A private channel the bot is not in is invisible to its token, as in Slack."""
        return not ch.is_private or self.bot_user_id in ch.members

    def _channel_arg(
        self,
        args: Mapping[str, Any],
        *,
        key: str = "channel",
        allow_names: bool = False,
        allow_users: bool = False,
    ) -> _Channel:
        ch = self._lookup_channel(str(args.get(key) or ""), allow_names=allow_names, allow_users=allow_users)
        if ch is None or not self._visible(ch):
            raise _ApiError("channel_not_found")
        return ch

    def _writable(self, ch: _Channel) -> None:
        """Checks before the bot writes into a channel: archived, then membership."""
        im_user = self._users.get(ch.im_user) if ch.im_user else None
        if ch.is_archived or (im_user is not None and im_user.deleted):
            # Slack archives the DM of a deactivated account; posting there is refused.
            raise _ApiError("is_archived")
        if self.bot_user_id not in ch.members:
            raise _ApiError("not_in_channel")

    @staticmethod
    def _message(ch: _Channel, ts: str) -> JSON | None:
        for message in ch.messages:
            if message.get("ts") == ts:
                return message
        return None

    def _bot_message(self, *, text: str | None) -> JSON:
        return {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.api_app_id,
            "text": text or "",
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.api_app_id,
                "name": self.bot_name,
                "deleted": False,
                "team_id": self.team_id,
            },
        }

    def _append_message(self, ch: _Channel, message: JSON, *, thread_ts: str | None, broadcast: bool = False) -> JSON:
        ts = self._next_ts()
        message["ts"] = ts
        if thread_ts:
            parent = self._message(ch, str(thread_ts))
            if parent is not None and parent.get("thread_ts") not in (None, parent["ts"]):
                thread_ts = str(parent["thread_ts"])
                parent = self._message(ch, thread_ts)
            message["thread_ts"] = str(thread_ts)
            if broadcast:
                message["subtype"] = "thread_broadcast"
            if parent is not None:
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
                users = list(parent.get("reply_users", []))
                author = message.get("user")
                if author and author not in users:
                    users.append(author)
                parent["reply_users"] = users
                parent["reply_users_count"] = len(users)
                parent["latest_reply"] = ts
        ch.messages.append(message)
        return message

    def _check_content(self, args: Mapping[str, Any]) -> None:
        if not _has_content(args):
            raise _ApiError("no_text")
        text = args.get("text")
        if isinstance(text, str) and len(text) > MAX_TEXT_LENGTH:
            raise _ApiError("msg_too_long")
        blocks = args.get("blocks")
        if blocks is not None:
            problems = validate_message_blocks(blocks)
            if problems:
                raise _ApiError("invalid_blocks", response_metadata={"messages": problems})
        attachments = args.get("attachments")
        if attachments is not None:
            if not isinstance(attachments, list):
                raise _ApiError("invalid_attachments")
            if len(attachments) > MAX_ATTACHMENTS:
                raise _ApiError("too_many_attachments")

    def _channel_name_problem(self, name: Any) -> str | None:
        if not isinstance(name, str) or name == "":
            return "invalid_name_required"
        if len(name) > 80:
            return "invalid_name_maxlength"
        if not _CHANNEL_NAME.match(name):
            return "invalid_name_specials"
        if set(name) <= {"-", "_"}:
            return "invalid_name_punctuation"
        if any(not ch.is_im and ch.name == name for ch in self._channels.values()):
            return "name_taken"
        return None

    # ------------------------------------------------------------------ auth, team, users

    def _api_api_test(self, args: JSON) -> JSON:
        return {"args": {k: v for k, v in args.items() if isinstance(v, str)}}

    def _api_auth_test(self, args: JSON) -> JSON:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_team_info(self, args: JSON) -> JSON:
        return {
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "",
                "icon": {"image_default": True},
            }
        }

    def _api_users_info(self, args: JSON) -> JSON:
        user = self._users.get(str(args["user"]))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": self._user_json(user, include_locale=_flag(args.get("include_locale")))}

    def _api_users_lookupByEmail(self, args: JSON) -> JSON:
        wanted = str(args["email"]).strip().lower()
        for user in self._users.values():
            if user.email is not None and user.email.lower() == wanted and not user.deleted:
                return {"user": self._user_json(user, include_locale=False)}
        raise _ApiError("users_not_found")

    def _api_users_list(self, args: JSON) -> JSON:
        include_locale = _flag(args.get("include_locale"))
        members = [self._user_json(u, include_locale=include_locale) for u in self._users.values()]
        page, next_cursor = _page(members, args, default_limit=200)
        return {"members": page, "cache_ts": int(self._wall()), "response_metadata": {"next_cursor": next_cursor}}

    # ------------------------------------------------------------------ conversations

    def _api_conversations_create(self, args: JSON) -> JSON:
        name = args.get("name")
        problem = self._channel_name_problem(name)
        if problem is not None:
            raise _ApiError(problem)
        assert isinstance(name, str)
        channel = _Channel(
            id=self._new_id("C"),
            name=name,
            is_private=_flag(args.get("is_private")),
            is_im=False,
            is_mpim=False,
            created=int(self._wall()),
            creator=self.bot_user_id,
            members=[self.bot_user_id],
        )
        self._channels[channel.id] = channel
        return {"channel": self._channel_json(channel)}

    def _api_conversations_invite(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        if ch.is_im or ch.is_mpim:
            raise _ApiError("method_not_supported_for_channel_type")
        if ch.is_archived:
            raise _ApiError("is_archived")
        if self.bot_user_id not in ch.members:
            raise _ApiError("not_in_channel")
        user_ids = _split_ids(args["users"])
        if not user_ids:
            raise _ApiError("no_user")
        if len(user_ids) > 1000:
            raise _ApiError("too_many_users")
        errors: list[JSON] = []
        to_add: list[str] = []
        for user_id in dict.fromkeys(user_ids):
            user = self._users.get(user_id)
            if user_id == self.bot_user_id:
                problem = "cant_invite_self"
            elif user is None or user.deleted:
                problem = "user_not_found"
            elif user_id in ch.members:
                problem = "already_in_channel"
            else:
                to_add.append(user_id)
                continue
            errors.append({"user": user_id, "ok": False, "error": problem})
        force = _flag(args.get("force"))
        if errors and (len(user_ids) == 1 or not force):
            extra: JSON = {"errors": errors} if len(user_ids) > 1 else {}
            raise _ApiError(errors[0]["error"], **extra)
        ch.members.extend(to_add)
        result: JSON = {"channel": self._channel_json(ch)}
        if errors:
            result["errors"] = errors
        return result

    def _api_conversations_kick(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        if ch.is_im or ch.is_mpim:
            raise _ApiError("method_not_supported_for_channel_type")
        self._writable(ch)
        user_id = str(args["user"])
        if user_id == self.bot_user_id:
            raise _ApiError("cant_kick_self")
        if user_id not in self._users:
            raise _ApiError("user_not_found")
        if user_id not in ch.members:
            raise _ApiError("not_in_channel")
        ch.members.remove(user_id)
        return {}

    def _api_conversations_join(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        if ch.is_private or ch.is_im or ch.is_mpim:
            raise _ApiError("method_not_supported_for_channel_type")
        if ch.is_archived:
            raise _ApiError("is_archived")
        result: JSON = {}
        if self.bot_user_id in ch.members:
            result = {"warning": "already_in_channel", "response_metadata": {"warnings": ["already_in_channel"]}}
        else:
            ch.members.append(self.bot_user_id)
        return {"channel": self._channel_json(ch), **result}

    def _api_conversations_leave(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        if ch.is_im:
            raise _ApiError("method_not_supported_for_channel_type")
        if ch.is_archived:
            raise _ApiError("is_archived")
        if self.bot_user_id not in ch.members:
            return {"not_in_channel": True}
        ch.members.remove(self.bot_user_id)
        return {}

    def _api_conversations_archive(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        if ch.is_im or ch.is_mpim:
            raise _ApiError("method_not_supported_for_channel_type")
        if ch.is_archived:
            raise _ApiError("already_archived")
        if self.bot_user_id not in ch.members:
            raise _ApiError("not_in_channel")
        ch.is_archived = True
        return {}

    def _api_conversations_unarchive(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        if ch.is_im or ch.is_mpim:
            raise _ApiError("method_not_supported_for_channel_type")
        if not ch.is_archived:
            raise _ApiError("not_archived")
        ch.is_archived = False
        return {}

    def _api_conversations_info(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        return {"channel": self._channel_json(ch, include_num_members=_flag(args.get("include_num_members")))}

    def _api_conversations_members(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        page, next_cursor = _page(list(ch.members), args)
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _api_conversations_list(self, args: JSON) -> JSON:
        types = set(_split_ids(args.get("types") or "public_channel"))
        exclude_archived = _flag(args.get("exclude_archived"))
        found: list[JSON] = []
        for ch in self._channels.values():
            if ch.is_im:
                kind = "im"
            elif ch.is_mpim:
                kind = "mpim"
            else:
                kind = "private_channel" if ch.is_private else "public_channel"
            if kind not in types or not self._visible(ch):
                continue
            if exclude_archived and ch.is_archived:
                continue
            found.append(self._channel_json(ch, include_num_members=not ch.is_im))
        page, next_cursor = _page(found, args)
        return {"channels": page, "response_metadata": {"next_cursor": next_cursor}}

    def _api_conversations_open(self, args: JSON) -> JSON:
        if args.get("channel"):
            ch = self._channel_arg(args)
            if not (ch.is_im or ch.is_mpim):
                raise _ApiError("method_not_supported_for_channel_type")
            return {"channel": self._channel_json(ch) if _flag(args.get("return_im")) else {"id": ch.id}}
        if not args.get("users"):
            raise _ApiError("users_list_not_supplied")
        user_ids = [u for u in dict.fromkeys(_split_ids(args["users"])) if u != self.bot_user_id]
        if not user_ids:
            raise _ApiError("cannot_dm_bot")
        if len(user_ids) > 8:
            raise _ApiError("too_many_users")
        for user_id in user_ids:
            user = self._users.get(user_id)
            if user is None:
                raise _ApiError("user_not_found")
            if user.deleted:
                raise _ApiError("user_disabled")
        if len(user_ids) == 1:
            existed = user_ids[0] in self._ims
            ch = self._im_for(user_ids[0])
        else:
            key = frozenset(user_ids)
            existed = key in self._mpims
            if existed:
                ch = self._channels[self._mpims[key]]
            else:
                names = "--".join(sorted(self._users[u].name for u in [self.bot_user_id, *user_ids]))
                ch = _Channel(
                    id=self._new_id("C"),
                    name=f"mpdm-{names}-1",
                    is_private=True,
                    is_im=False,
                    is_mpim=True,
                    created=int(self._wall()),
                    creator=self.bot_user_id,
                    members=[*user_ids, self.bot_user_id],
                )
                self._channels[ch.id] = ch
                self._mpims[key] = ch.id
        result: JSON = {"channel": self._channel_json(ch) if _flag(args.get("return_im")) else {"id": ch.id}}
        if existed:
            result.update({"no_op": True, "already_open": True})
        return result

    def _api_conversations_history(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        if self.bot_user_id not in ch.members:
            raise _ApiError("not_in_channel")
        inclusive = _flag(args.get("inclusive"))
        oldest = float(args.get("oldest") or 0)
        latest = float(args["latest"]) if args.get("latest") else None

        def in_range(ts: float) -> bool:
            above = ts >= oldest if inclusive else ts > oldest
            below = latest is None or (ts <= latest if inclusive else ts < latest)
            return above and below

        top_level = [
            m
            for m in ch.messages
            if (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")
            and in_range(float(m["ts"]))
        ]
        newest_first = list(reversed(top_level))
        page, next_cursor = _page(newest_first, args)
        messages = copy.deepcopy(page)
        if not _flag(args.get("include_all_metadata")):
            # Slack returns message metadata only to a caller who asks for it.
            for message in messages:
                message.pop("metadata", None)
        return {
            "messages": messages,
            "has_more": bool(next_cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _api_conversations_replies(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        if self.bot_user_id not in ch.members:
            raise _ApiError("not_in_channel")
        parent = self._message(ch, str(args["ts"]))
        if parent is None:
            raise _ApiError("thread_not_found")
        root = str(parent.get("thread_ts") or parent["ts"])
        thread = [m for m in ch.messages if m["ts"] == root or m.get("thread_ts") == root]
        page, next_cursor = _page(thread, args, default_limit=1000)
        return {
            "messages": copy.deepcopy(page),
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
        }

    # ------------------------------------------------------------------ chat

    def _api_chat_postMessage(self, args: JSON) -> JSON:
        ch = self._channel_arg(args, allow_names=True, allow_users=True)
        self._writable(ch)
        self._check_content(args)
        message = self._bot_message(text=args.get("text"))
        for key in ("blocks", "attachments", "metadata"):
            if args.get(key) is not None:
                message[key] = args[key]
        thread_ts = args.get("thread_ts")
        stored = self._append_message(
            ch,
            message,
            thread_ts=str(thread_ts) if thread_ts else None,
            broadcast=_flag(args.get("reply_broadcast")),
        )
        return {"channel": ch.id, "ts": stored["ts"], "message": copy.deepcopy(stored)}

    def _api_chat_postEphemeral(self, args: JSON) -> JSON:
        ch = self._channel_arg(args, allow_names=True, allow_users=True)
        self._writable(ch)
        user_id = str(args["user"])
        user = self._users.get(user_id)
        if user is None or user.deleted:
            raise _ApiError("user_not_found")
        if user_id not in ch.members:
            raise _ApiError("user_not_in_channel")
        self._check_content(args)
        ts = self._next_ts()
        self._ephemerals.append(
            {
                "channel": ch.id,
                "user": user_id,
                "ts": ts,
                "text": args.get("text") or "",
                "blocks": args.get("blocks"),
                "attachments": args.get("attachments"),
                "thread_ts": args.get("thread_ts"),
            }
        )
        return {"message_ts": ts}

    def _api_chat_update(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        message = self._message(ch, str(args["ts"]))
        if message is None:
            raise _ApiError("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise _ApiError("cant_update_message")
        if ch.is_archived:
            raise _ApiError("is_archived")
        self._check_content(args)
        if args.get("text") is not None:
            message["text"] = args["text"]
        for key in ("blocks", "attachments"):
            if args.get(key) is not None:
                message[key] = args[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "channel": ch.id,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _api_chat_delete(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        message = self._message(ch, str(args["ts"]))
        if message is None:
            raise _ApiError("message_not_found")
        if message.get("user") != self.bot_user_id:
            raise _ApiError("cant_delete_message")
        self._delete_message(ch, message)
        return {"channel": ch.id, "ts": str(args["ts"])}

    @staticmethod
    def _delete_message(ch: _Channel, message: JSON) -> None:
        if int(message.get("reply_count", 0)) > 0:
            message.clear()
            message.update({"type": "message", "subtype": "tombstone", "text": "This message was deleted."})
            return
        ch.messages.remove(message)

    def _api_chat_getPermalink(self, args: JSON) -> JSON:
        ch = self._channel_arg(args)
        ts = str(args["message_ts"])
        if self._message(ch, ts) is None:
            raise _ApiError("message_not_found")
        return {
            "channel": ch.id,
            "permalink": f"https://{self.team_domain}.slack.com/archives/{ch.id}/p{ts.replace('.', '')}",
        }

    # ------------------------------------------------------------------ views

    def _exchange_trigger(self, trigger_id: Any) -> _Trigger:
        value = str(trigger_id)
        if not _TRIGGER_FORMAT.match(value):
            raise _invalid_arguments("invalid `trigger_id`")
        trigger = self._triggers.get(value)
        if trigger is None:
            raise _ApiError("invalid_trigger_id")
        if trigger.used:
            raise _ApiError("exchanged_trigger_id")
        if self._clock() - trigger.issued_at > TRIGGER_TTL_SECONDS:
            raise _ApiError("expired_trigger_id")
        return trigger

    def _check_view(self, view: Any, *, allowed_types: frozenset[str]) -> JSON:
        problems = validate_view(view, allowed_types=allowed_types)
        if problems:
            raise _invalid_arguments(*problems)
        assert isinstance(view, dict)
        if len(json.dumps(view)) > MAX_VIEW_BYTES:
            raise _ApiError("view_too_large")
        return view

    def _check_external_id(self, view: JSON, *, own_id: str | None = None) -> None:
        external_id = view.get("external_id")
        if external_id and self._external_ids.get(external_id, own_id) != own_id:
            raise _ApiError("duplicate_external_id")

    def _store_view(self, view: JSON, *, user_id: str | None, root: str | None, previous: str | None) -> JSON:
        view_id = self._new_id("V")
        stored: JSON = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": _flag(view.get("clear_on_close")),
            "notify_on_close": _flag(view.get("notify_on_close")),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous,
            "root_view_id": root or view_id,
            "app_id": self.api_app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        self._view_owner[view_id] = user_id
        if stored["external_id"]:
            self._external_ids[stored["external_id"]] = view_id
        return stored

    def _replace_view(self, stored: JSON, view: JSON) -> None:
        for key in ("blocks", "title", "close", "submit"):
            stored[key] = copy.deepcopy(view.get(key))
        stored["blocks"] = stored["blocks"] or []
        stored["private_metadata"] = view.get("private_metadata", "")
        stored["callback_id"] = view.get("callback_id", "")
        stored["clear_on_close"] = _flag(view.get("clear_on_close"))
        stored["notify_on_close"] = _flag(view.get("notify_on_close"))
        if view.get("external_id"):
            stored["external_id"] = view["external_id"]
            self._external_ids[view["external_id"]] = stored["id"]
        stored["hash"] = self._new_hash()

    def _api_views_open(self, args: JSON) -> JSON:
        trigger = self._exchange_trigger(args["trigger_id"])
        view = self._check_view(args["view"], allowed_types=frozenset({"modal"}))
        self._check_external_id(view)
        trigger.used = True
        stored = self._store_view(view, user_id=trigger.user_id, root=None, previous=None)
        self._stacks[trigger.user_id] = [stored["id"]]
        self._opened.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _api_views_push(self, args: JSON) -> JSON:
        trigger = self._exchange_trigger(args["trigger_id"])
        view = self._check_view(args["view"], allowed_types=frozenset({"modal"}))
        self._check_external_id(view)
        stack = self._stacks.setdefault(trigger.user_id, [])
        if len(stack) >= 3:
            raise _ApiError("push_limit_reached")
        trigger.used = True
        stored = self._store_view(
            view, user_id=trigger.user_id, root=stack[0] if stack else None, previous=stack[-1] if stack else None
        )
        stack.append(stored["id"])
        self._opened.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _api_views_update(self, args: JSON) -> JSON:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise _invalid_arguments("[ERROR] missing required field: view_id or external_id")
        view_key = str(view_id) if view_id else self._external_ids.get(str(external_id), "")
        stored = self._views.get(view_key)
        if stored is None:
            raise _ApiError("not_found")
        if args.get("hash") and args["hash"] != stored["hash"]:
            raise _ApiError("hash_conflict")
        view = self._check_view(args["view"], allowed_types=frozenset({stored["type"]}))
        self._check_external_id(view, own_id=stored["id"])
        self._replace_view(stored, view)
        return {"view": copy.deepcopy(stored)}

    def _api_views_publish(self, args: JSON) -> JSON:
        user_id = str(args["user_id"])
        if user_id not in self._users:
            raise _ApiError("user_not_found")
        view = self._check_view(args["view"], allowed_types=frozenset({"home"}))
        history = self._home.setdefault(user_id, [])
        if history and args.get("hash") and args["hash"] != history[-1]["hash"]:
            raise _ApiError("hash_conflict")
        if history:
            stored = copy.deepcopy(history[-1])
            self._replace_view(stored, view)
            self._views[stored["id"]] = stored
        else:
            stored = self._store_view(view, user_id=user_id, root=None, previous=None)
        history.append(copy.deepcopy(stored))
        return {"view": copy.deepcopy(stored)}

    # ------------------------------------------------------------------ files

    def _new_file(self, *, name: str, title: str, user: str, mimetype: str | None) -> _File:
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        filetype, pretty = _FILETYPES.get(extension, (extension or "binary", extension.upper() or "Binary"))
        file = _File(
            id=self._new_id("F"),
            name=name,
            title=title,
            mimetype=mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream",
            filetype=filetype,
            pretty_type=pretty,
            user=user,
            created=int(self._wall()),
        )
        self._files[file.id] = file
        return file

    def _file_json(self, file: _File) -> JSON:
        base = f"{self.root_url}/files-pri/{self.team_id}-{file.id}"
        quoted = quote(file.name)
        return {
            "id": file.id,
            "created": file.created,
            "timestamp": file.created,
            "name": file.name,
            "title": file.title,
            "mimetype": file.mimetype,
            "filetype": file.filetype,
            "pretty_type": file.pretty_type,
            "user": file.user,
            "user_team": self.team_id,
            "editable": False,
            "size": len(file.content) if file.content is not None else file.declared_length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": any(not self._channels[c].is_private for c in file.channels if c in self._channels),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{quoted}",
            "url_private_download": f"{base}/download/{quoted}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{file.user}/{file.id}/{quoted}",
            "channels": [c for c in file.channels if c in self._channels and not self._channels[c].is_private],
            "groups": [
                c
                for c in file.channels
                if c in self._channels and self._channels[c].is_private and not self._channels[c].is_im
            ],
            "ims": [c for c in file.channels if c in self._channels and self._channels[c].is_im],
            "shares": copy.deepcopy(file.shares),
            "comments_count": 0,
        }

    def _share_files(self, files: list[_File], ch: _Channel, message: JSON, *, thread_ts: str | None) -> JSON:
        """Post ``message`` carrying ``files`` into ``ch`` and note the share on each file."""
        for file in files:
            if ch.id not in file.channels:
                file.channels.append(ch.id)
        message["files"] = [self._file_json(f) for f in files]
        stored = self._append_message(ch, message, thread_ts=thread_ts)
        scope = "private" if ch.is_private else "public"
        for file in files:
            file.shares.setdefault(scope, {}).setdefault(ch.id, []).append({"ts": stored["ts"], "reply_count": 0})
        stored["files"] = [self._file_json(f) for f in files]
        return stored

    def _api_files_getUploadURLExternal(self, args: JSON) -> JSON:
        filename = str(args["filename"])
        if not filename:
            raise _invalid_arguments("[ERROR] filename must not be empty")
        try:
            length = int(args["length"])
        except (TypeError, ValueError) as exc:
            raise _invalid_arguments("[ERROR] length must be an integer") from exc
        if length <= 0:
            raise _invalid_arguments("[ERROR] length must be a positive integer")
        file = self._new_file(name=filename, title=filename, user=self.bot_user_id, mimetype=None)
        file.declared_length = length
        token = secrets.token_urlsafe(24)
        file.upload_token = token
        self._uploads[token] = file.id
        return {"upload_url": f"{self.root_url}/upload/v1/{token}", "file_id": file.id}

    def _api_files_completeUploadExternal(self, args: JSON) -> JSON:
        items = args["files"]
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) and i.get("id") for i in items):
            raise _invalid_arguments("[ERROR] files must be a non-empty list of objects with an id")
        files: list[_File] = []
        for item in items:
            file = self._files.get(str(item["id"]))
            if file is None or file.content is None or file.user != self.bot_user_id or file.completed:
                raise _ApiError("file_not_found")
            files.append(file)
        targets: list[_Channel] = []
        channel_refs = []
        if args.get("channel_id"):
            channel_refs.append(str(args["channel_id"]))
        channel_refs += _split_ids(args.get("channels") or "")
        for ref in dict.fromkeys(channel_refs):
            ch = self._lookup_channel(ref, allow_names=False, allow_users=False)
            if ch is None or not self._visible(ch):
                raise _ApiError("channel_not_found")
            self._writable(ch)
            targets.append(ch)
        for item, file in zip(items, files, strict=True):
            file.completed = True
            if item.get("title"):
                file.title = str(item["title"])
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        for ch in targets:
            message = self._bot_message(text=args.get("initial_comment"))
            message["upload"] = True
            self._share_files(files, ch, message, thread_ts=thread_ts)
        return {"files": [self._file_json(f) for f in files]}

    def _api_files_info(self, args: JSON) -> JSON:
        file = self._files.get(str(args["file"]))
        if file is None or not file.completed:
            raise _ApiError("file_not_found")
        return {"file": self._file_json(file), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _api_files_delete(self, args: JSON) -> JSON:
        file = self._files.get(str(args["file"]))
        if file is None or not file.completed:
            raise _ApiError("file_not_found")
        if file.user != self.bot_user_id:
            raise _ApiError("cant_delete_file")
        del self._files[file.id]
        return {}

    def _receive_upload(self, token: str, *, headers: Message, body: bytes) -> _Reply:
        """Step two of the external upload: the bytes, raw or as a multipart form."""
        with self._lock:
            file_id = self._uploads.get(token)
            file = self._files.get(file_id or "")
            if file is None:
                return _Reply.text("not found", status=404)
            content = body
            if (headers.get("Content-Type") or "").lower().startswith("multipart/form-data"):
                try:
                    fields = _parse_multipart(headers.get("Content-Type") or "", body)
                except _ApiError:
                    return _Reply.text("invalid multipart body", status=400)
                blobs = [v for v in fields.values() if isinstance(v, bytes)]
                content = blobs[0] if blobs else str(fields.get("file", "")).encode()
            file.content = content
            return _Reply.text(f"OK - {len(content)}")

    def _serve_file(self, route: str, *, headers: Message) -> _Reply:
        """``url_private(_download)``: the bytes, only for a request bearing the bot token."""
        with self._lock:
            if self._bearer(headers) != self.bot_token:
                return _Reply.text("forbidden", status=403)
            segments = route.split("/")
            team_and_id = segments[2] if len(segments) > 2 else ""
            file_id = team_and_id.split("-", 1)[1] if "-" in team_and_id else ""
            file = self._files.get(file_id)
            if file is None or file.content is None or not file.completed:
                return _Reply.text("not found", status=404)
            return _Reply(
                200,
                file.content,
                {
                    "Content-Type": file.mimetype,
                    "Content-Disposition": f'attachment; filename="{quote(file.name)}"',
                },
            )

    # ------------------------------------------------------------------ response_url

    def _receive_response_post(self, url_id: str, *, headers: Message, body: bytes) -> _Reply:
        """A POST to a response_url: record it and do what it asks to the conversation."""
        with self._lock:
            target = self._response_urls.get(url_id)
            if target is None:
                return _Reply.text("no_service", status=404)
            if self._clock() - target.issued_at > RESPONSE_URL_TTL_SECONDS:
                return _Reply.text("expired_url", status=404)
            if target.uses >= RESPONSE_URL_MAX_USES:
                return _Reply.text("used_url", status=404)
            try:
                payload, _ = _parse_body(headers, body)
                if "payload" in payload and isinstance(payload["payload"], str):
                    payload = json.loads(payload["payload"])
                if not isinstance(payload, dict):
                    raise ValueError(payload)
            except (_ApiError, ValueError):
                return _Reply.text("invalid_payload", status=400)
            deleting = _flag(payload.get("delete_original"))
            if not deleting and not _has_content(payload):
                return _Reply.text("no_text", status=400)
            if payload.get("blocks") is not None and validate_message_blocks(payload["blocks"]):
                return _Reply.text("invalid_blocks", status=400)
            target.uses += 1
            self._response_posts.append((url_id, copy.deepcopy(payload)))
            self._apply_response_post(target, payload, deleting=deleting)
            return _Reply.text("ok")

    def _apply_response_post(self, target: _ResponseUrl, payload: JSON, *, deleting: bool) -> None:
        ch = self._channels.get(target.channel_id or "")
        if ch is None:
            return
        original = self._message(ch, target.message_ts) if target.message_ts else None
        original_ephemeral = next(
            (
                e
                for e in self._ephemerals
                if target.message_ts and e["ts"] == target.message_ts and e["channel"] == ch.id
            ),
            None,
        )
        if deleting:
            if original is not None:
                self._delete_message(ch, original)
            elif original_ephemeral is not None:
                self._ephemerals.remove(original_ephemeral)
            return
        if _flag(payload.get("replace_original")):
            replaced = original if original is not None else original_ephemeral
            if replaced is not None:
                replaced["text"] = payload.get("text") or ""
                for key in ("blocks", "attachments"):
                    if payload.get(key) is not None:
                        replaced[key] = payload[key]
                    else:
                        replaced.pop(key, None)
                return
        if payload.get("response_type") == "in_channel":
            message = self._bot_message(text=payload.get("text"))
            for key in ("blocks", "attachments"):
                if payload.get(key) is not None:
                    message[key] = payload[key]
            thread_ts = payload.get("thread_ts")
            self._append_message(ch, message, thread_ts=str(thread_ts) if thread_ts else None)
            return
        if target.user_id is not None:
            self._ephemerals.append(
                {
                    "channel": ch.id,
                    "user": target.user_id,
                    "ts": self._next_ts(),
                    "text": payload.get("text") or "",
                    "blocks": payload.get("blocks"),
                    "attachments": payload.get("attachments"),
                    "thread_ts": payload.get("thread_ts"),
                }
            )


__all__ = ["RecordedCall", "SlackSandbox"]
