"""The one place that answers "the WebClient for team T" outside a request (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from slack_sdk.oauth.installation_store import Bot

from bot.sandbox import SlackSandbox
from bot.slack.clients import WorkspaceClients
from bot.slack.sender import make_web_client


@dataclass
class _Store:
    """An installation store holding one bot token per team, counting the look-ups."""

    tokens: dict[str, str]
    asked: list[str] = field(default_factory=list)

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool = False) -> Bot | None:
        self.asked.append(str(team_id))
        token = self.tokens.get(str(team_id))
        if token is None:
            return None
        return Bot(team_id=team_id, bot_token=token, bot_id="B1", bot_user_id="U1", installed_at=1.0)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as slack:
        yield slack


def test_token_mode_has_one_client_for_every_team(sandbox: SlackSandbox) -> None:
    client = make_web_client(token=sandbox.bot_token, base_url=sandbox.base_url)
    clients = WorkspaceClients(base_url=sandbox.base_url, client=client)
    assert clients.client("") is client and clients.client("T0ANY") is client
    assert clients.sender("") is clients.sender("T0ANY")


def test_oauth_mode_reads_the_installation_and_keeps_it_a_short_while(sandbox: SlackSandbox) -> None:
    beta = sandbox.add_workspace(team_id="T0BETA")
    store = _Store({"T0SANDBOX": sandbox.bot_token, "T0BETA": beta.bot_token})
    clock = _Clock()
    clients = WorkspaceClients(base_url=sandbox.base_url, installation_store=store,  # type: ignore[arg-type]
                               ttl_seconds=60, monotonic=clock)
    alpha = clients.client("T0SANDBOX")
    assert alpha is not None and alpha.token == sandbox.bot_token
    assert clients.client("T0BETA").token == beta.bot_token
    assert clients.client("T0SANDBOX") is alpha and store.asked == ["T0SANDBOX", "T0BETA"]
    assert clients.client("") is None and clients.client("T0NONE") is None  # no installation, no client
    clock.now = 61
    assert clients.client("T0SANDBOX") is alpha  # read again, same token: the same client (and its DM ids)
    assert store.asked.count("T0SANDBOX") == 2
    store.tokens["T0SANDBOX"] = "xoxb-new"
    clock.now = 122
    assert clients.client("T0SANDBOX").token == "xoxb-new"


def test_a_dead_token_answer_drops_the_cached_client(sandbox: SlackSandbox) -> None:
    store = _Store({"T0SANDBOX": sandbox.bot_token})
    clients = WorkspaceClients(base_url=sandbox.base_url, installation_store=store)  # type: ignore[arg-type]
    sender = clients.sender("T0SANDBOX")
    assert sender is not None and sender.send(method="auth.test", payload={}).ok
    sandbox.revoke_token("invalid_auth")
    assert sender.send(method="auth.test", payload={}).error == "invalid_auth"
    asked = len(store.asked)
    clients.sender("T0SANDBOX")
    assert len(store.asked) == asked + 1  # read again at once, not after the minute
