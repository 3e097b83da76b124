"""Calling Bolt listeners directly, as Bolt would, with fakes for ack, respond and the Web API.

Handler tests call a listener function with the keyword arguments Bolt injects. Bolt
would first have run the global middleware (the app's dependencies and the viewer in the
context) and the listener's own middleware (`coordinators_only`); `call_listener` does
the same, reading which middleware a listener has from the real `register` functions,
so a test never runs a listener that production would have kept out. Registration wraps
each listener (handlers/ack_first.py: ack in the request thread, work on the executor);
tests call the listener itself and run a modal's returned follow-up right after it.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from slack_bolt import BoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.container import Deps
from handlers.ack_first import unwrapped
from handlers.context import DEPS_KEY, VIEWER_KEY, WORKSPACE_KEY
from handlers.middleware import resolve_viewer, resolve_workspace

Listener = Callable[..., Any]
#: The team a test's request comes from unless it says otherwise (the sandbox's).
TEAM = "T0SANDBOX"


class Recorder:
    """Stands in for Bolt's ack or respond: remembers every call, in order, in a shared log."""

    def __init__(self, log: list[str], name: str, *, response_url: str | None = "https://hooks.slack.test/1") -> None:
        self.calls: list[dict[str, Any]] = []
        self._log, self._name = log, name
        # As Bolt's Respond: the request's response_url (None for a click from a view).
        self.response_url = response_url

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self._log.append(self._name)
        self.calls.append({"args": args, **kwargs})


class FakeClient:
    """A WebClient stand-in: every Web API call is recorded under Slack's method name
    (`chat.postMessage`) in the same log as ack and respond.

    `fail` makes a method raise Slack's error ({"views.open": "expired_trigger_id"});
    `users` answers `users.info`. A message gets a fresh ts, as Slack's do."""

    def __init__(
        self, log: list[str] | None = None, *, fail: dict[str, str] | None = None,
        users: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.log = log if log is not None else []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._fail = fail or {}
        self._users = users or {}
        self._ts = 0

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        if name.startswith("_"):
            raise AttributeError(name)
        method = name.replace("_", ".", 1)  # chat_postMessage -> chat.postMessage
        return lambda **kwargs: self._record(method, kwargs)

    def _record(self, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.log.append(method)
        self.calls.append((method, kwargs))
        if method in self._fail:
            response = SlackResponse(client=None, http_verb="POST", api_url=method, req_args={},
                                     data={"ok": False, "error": self._fail[method]}, headers={}, status_code=200)
            raise SlackApiError(self._fail[method], response)
        if method == "users.info":
            return {"ok": True, "user": self._users[kwargs["user"]]}
        self._ts += 1
        return {"ok": True, "ts": f"100.{self._ts}"}

    def made(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call of one Web API method, in order."""
        return [kwargs for name, kwargs in self.calls if name == method]


def bolt_context(deps: Deps, user_id: str | None, *, team_id: str = TEAM) -> BoltContext:
    """The context the global middleware hands a listener: the dependencies, the workspace
    the request comes from and, for a request that names a user, who they are there
    (resolved as the middleware does)."""
    workspace = resolve_workspace(deps, team_id)
    context = BoltContext({DEPS_KEY: deps, WORKSPACE_KEY: workspace, "team_id": team_id})
    if user_id:
        context["user_id"] = user_id
        context[VIEWER_KEY] = resolve_viewer(deps, user_id, workspace)
    return context


class _RecordingApp:
    """Takes the `app.command/action/view/event(...)` registrations and keeps each
    listener's middleware."""

    def __init__(self) -> None:
        self.middleware: dict[Listener, list[Listener]] = {}

    def _register(self, *_matchers: Any, middleware: list[Listener] | None = None, **_options: Any) -> Any:
        def add(listener: Listener) -> Listener:
            self.middleware[unwrapped(listener)] = list(middleware or [])
            return listener

        return add

    command = action = view = event = _register


@cache
def registered_middleware() -> dict[Listener, list[Listener]]:
    """Every listener the app registers, with the listener middleware it is registered with."""
    from handlers import actions, commands, events, views

    app = _RecordingApp()
    for surface in (commands, actions, views, events):
        surface.register(app)
    return app.middleware


def call_listener(
    listener: Listener, *, deps: Deps, user_id: str | None, team_id: str = TEAM, **kwargs: Any
) -> bool:
    """Run `listener` as Bolt would: context from the global middleware, then its own
    middleware, then the listener if every middleware called `next`. Returns whether it ran.

    `team_id` is the workspace the request comes from; `kwargs` are what Bolt injects
    besides the context (ack, body or command, respond...)."""
    context = bolt_context(deps, user_id, team_id=team_id)
    available = {"body": kwargs.get("body") or kwargs.get("command") or {}, "respond": None, "client": None,
                 **kwargs, "context": context}
    if not all(_lets_through(middleware, available) for middleware in registered_middleware().get(listener, [])):
        return False
    follow_up = listener(context=context, **kwargs)
    if callable(follow_up):  # a modal answered in its ack: the Web API work Bolt's executor would do next
        follow_up()
    return True


def _lets_through(middleware: Listener, available: dict[str, Any]) -> bool:
    """Run one listener middleware with the arguments it asks for; True if it called `next`."""
    went_on: list[bool] = []
    offered = {**available, "next": lambda: went_on.append(True)}
    middleware(**{name: offered[name] for name in inspect.signature(middleware).parameters})
    return bool(went_on)


def said(call: dict[str, Any]) -> str:
    """The text and blocks of one recorded message or ephemeral answer, as one string."""
    return call.get("text", "") + json.dumps(call.get("blocks"), ensure_ascii=False)


def only_ephemeral(respond: Recorder) -> str:
    """The one answer given through `respond`, checked to be ephemeral; its text and blocks."""
    assert len(respond.calls) == 1, respond.calls
    call = respond.calls[0]
    assert call["response_type"] == "ephemeral"
    return call["text"] + json.dumps(call["blocks"], ensure_ascii=False)
