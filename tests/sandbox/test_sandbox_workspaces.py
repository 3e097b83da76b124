"""The sandbox's several workspaces and its side of an OAuth install (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import SlackSandbox


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as slack:
        slack.add_user(user_id="UALICE", name="alice", email="alice@alpha.example")
        yield slack


def _client(slack: SlackSandbox, token: str | None) -> WebClient:
    client = WebClient(token=token, base_url=slack.base_url)
    client.retry_handlers = []
    return client


def test_each_token_sees_its_own_workspace_only(sandbox: SlackSandbox) -> None:
    beta = sandbox.add_workspace(team_id="T0BETA", team_name="Beta")
    beta.add_user(user_id="UBIRGIT", name="birgit", email="birgit@beta.example")
    alpha_client, beta_client = _client(sandbox, sandbox.bot_token), _client(sandbox, beta.bot_token)
    assert alpha_client.auth_test()["team_id"] == "T0SANDBOX"
    assert beta_client.auth_test()["team_id"] == "T0BETA"
    assert beta_client.users_lookupByEmail(email="birgit@beta.example")["user"]["id"] == "UBIRGIT"
    with pytest.raises(SlackApiError) as refused:
        beta_client.users_lookupByEmail(email="alice@alpha.example")
    assert refused.value.response["error"] == "users_not_found"
    with pytest.raises(SlackApiError):
        alpha_client.users_info(user="UBIRGIT")
    beta_client.chat_postMessage(channel="UBIRGIT", text="hej")
    assert [m["text"] for m in beta.dm_messages("UBIRGIT")] == ["hej"]
    assert [c.method for c in sandbox.calls] == ["auth.test", "users.info"]  # alpha's record has alpha's calls only
    with pytest.raises(SlackApiError) as unknown:
        _client(sandbox, "xoxb-nobody").auth_test()
    assert unknown.value.response["error"] == "invalid_auth"


def test_an_install_code_is_traded_once_for_the_workspaces_token(sandbox: SlackSandbox) -> None:
    beta = sandbox.add_workspace(team_id="T0BETA")
    beta.add_user(user_id="UBIRGIT", name="birgit")
    sandbox.set_oauth_app(client_id="1.2", client_secret="secret", redirect_url="https://app.example/slack/oauth_redirect")
    authorize = f"{sandbox.root_url}/oauth/v2/authorize?" + urlencode({"client_id": "1.2", "scope": "chat:write",
                                                                        "state": "s1"})
    redirect = sandbox.approve_install(authorize, team_id="T0BETA", user_id="UBIRGIT")
    assert redirect.startswith("https://app.example/slack/oauth_redirect?")
    query = parse_qs(urlsplit(redirect).query)
    assert query["state"] == ["s1"]
    app_client = _client(sandbox, None)
    with pytest.raises(SlackApiError) as wrong:
        app_client.oauth_v2_access(client_id="1.2", client_secret="guess", code=query["code"][0])
    assert wrong.value.response["error"] == "bad_client_secret"
    answer = app_client.oauth_v2_access(client_id="1.2", client_secret="secret", code=query["code"][0])
    assert (answer["access_token"], answer["team"]["id"], answer["authed_user"]["id"], answer["token_type"]) == (
        beta.bot_token, "T0BETA", "UBIRGIT", "bot")
    assert answer["scope"] == "chat:write"
    with pytest.raises(SlackApiError) as again:
        app_client.oauth_v2_access(client_id="1.2", client_secret="secret", code=query["code"][0])
    assert again.value.response["error"] == "invalid_code"
    assert all(call.args.get("client_secret") in (None, "(redacted)") for call in sandbox.calls)
    # Uninstalled (token revoked), then installed again: a new token.
    old = beta.bot_token
    beta.revoke_token()
    redirect = sandbox.approve_install(authorize, team_id="T0BETA", user_id="UBIRGIT")
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    assert app_client.oauth_v2_access(client_id="1.2", client_secret="secret", code=code)["access_token"] != old
    assert _client(sandbox, beta.bot_token).auth_test()["team_id"] == "T0BETA"


def test_the_authorize_page_refuses_another_apps_client_id(sandbox: SlackSandbox) -> None:
    sandbox.set_oauth_app(client_id="1.2", client_secret="secret", redirect_url="https://app.example/cb")
    with pytest.raises(ValueError, match="invalid_client_id"):
        sandbox.approve_install(f"{sandbox.root_url}/oauth/v2/authorize?client_id=9.9", team_id="T0SANDBOX",
                                user_id="UALICE")
