"""Installing the app in a sandbox workspace through the real HTTP endpoints, as a browser does.

GET /slack/install (Bolt sets the state cookie and redirects to Slack's authorize page), the
installer clicks Allow (`SlackSandbox.approve_install`), and the browser follows Slack's
redirect to /slack/oauth_redirect with the code, the state and the cookie. Redirects are
not followed by urllib here: each hop is checked on its own.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.sandbox.harness import SandboxedApp
from bot.sandbox.server import SlackSandbox


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: str

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)


def get(url: str, *, cookie: str | None = None) -> HttpAnswer:
    """One GET, redirects not followed, HTTP errors returned rather than raised."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {}, method="GET")
    try:
        with _OPENER.open(request, timeout=10) as response:
            return HttpAnswer(response.status, dict(response.headers.items()), response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, dict(error.headers.items()), error.read().decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class Install:
    authorize_url: str  # where /slack/install sent the browser
    state: str  # the state in that URL (and in the cookie)
    cookie: str  # "slack-app-oauth-state=..." as the browser sends it back
    callback: HttpAnswer  # what /slack/oauth_redirect answered


def start_install(app: SandboxedApp) -> tuple[str, str, str]:
    """GET /slack/install: (Slack's authorize URL, the state in it, the state cookie)."""
    return start_install_at(app.server.url)


def start_install_at(app_url: str) -> tuple[str, str, str]:
    """`start_install` against any running app (a `mentorbot serve` process, say)."""
    answer = get(f"{app_url}/slack/install")
    assert answer.status == 302, answer
    location = answer.header("Location") or ""
    set_cookie = SimpleCookie(answer.header("Set-Cookie") or "")
    assert set_cookie, answer.headers
    name, morsel = next(iter(set_cookie.items()))
    state = parse_qs(urlsplit(location).query)["state"][0]
    return location, state, f"{name}={morsel.value}"


def install(app: SandboxedApp, *, team_id: str, user_id: str) -> Install:
    """The whole install of the app in workspace `team_id` by `user_id`."""
    done = install_at(app.server.url, app.sandbox, team_id=team_id, user_id=user_id)
    app.settle()
    return done


def install_at(app_url: str, sandbox: SlackSandbox, *, team_id: str, user_id: str) -> Install:
    """`install` against any running app whose Slack is `sandbox`."""
    authorize_url, state, cookie = start_install_at(app_url)
    redirect = sandbox.approve_install(authorize_url, team_id=team_id, user_id=user_id)
    callback = get(redirect, cookie=cookie)
    return Install(authorize_url=authorize_url, state=state, cookie=cookie, callback=callback)


__all__ = ["HttpAnswer", "Install", "get", "install", "install_at", "start_install", "start_install_at"]
