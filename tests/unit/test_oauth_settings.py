"""OAuth mode's settings: all three or none, never beside SLACK_BOT_TOKEN, one line each."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

OAUTH = {"SLACK_CLIENT_ID": "123.456", "SLACK_CLIENT_SECRET": "shh", "SLACK_STATE_SECRET": "s" * 32}


def test_token_mode_is_the_default() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert not settings.oauth
    settings.require_slack(socket_mode=False)


def test_all_three_make_oauth_mode_which_needs_no_bot_token() -> None:
    settings = Settings.from_env({**OAUTH, "SLACK_SIGNING_SECRET": "sign"})
    assert settings.oauth
    assert (settings.slack_client_id, settings.slack_client_secret) == ("123.456", "shh")
    settings.require_slack(socket_mode=False)


@pytest.mark.parametrize("left_out", sorted(OAUTH))
def test_only_some_of_them_is_one_line_naming_what_is_missing(left_out: str) -> None:
    env = {name: value for name, value in OAUTH.items() if name != left_out}
    with pytest.raises(SettingsError, match=f"but not {left_out}: OAuth mode") as caught:
        Settings.from_env(env)
    assert "\n" not in str(caught.value)


def test_a_bot_token_beside_them_is_refused_rather_than_one_winning() -> None:
    with pytest.raises(SettingsError, match=r"SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: .* unset SLACK_BOT_TOKEN"):
        Settings.from_env({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"})


def test_a_short_state_secret_is_refused() -> None:
    with pytest.raises(SettingsError, match="SLACK_STATE_SECRET must be at least 16 characters"):
        Settings.from_env({**OAUTH, "SLACK_STATE_SECRET": "short"})


def test_oauth_needs_the_signing_secret_and_http() -> None:
    settings = Settings.from_env(OAUTH)
    with pytest.raises(SettingsError, match="missing SLACK_SIGNING_SECRET"):
        settings.require_slack(socket_mode=False)
    with pytest.raises(SettingsError, match="unset SLACK_APP_TOKEN"):
        Settings.from_env({**OAUTH, "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"}).require_slack(
            socket_mode=True
        )


def test_the_install_asks_for_exactly_the_manifests_bot_scopes() -> None:
    import re
    from pathlib import Path

    from bot.slack.oauth import BOT_SCOPES, authorization_url

    manifest = (Path(__file__).resolve().parents[2] / "manifest.yml").read_text(encoding="utf-8")
    bot = re.search(r"\n    bot:\n((?:\s+(?:#.*|- \S+)\n)+)", manifest)
    assert bot is not None
    assert sorted(re.findall(r"- (\S+)", bot.group(1))) == sorted(BOT_SCOPES)
    assert "- https://YOUR-HOST/slack/oauth_redirect" in manifest
    assert authorization_url("https://slack.com/api/") == "https://slack.com/oauth/v2/authorize"
    assert authorization_url("http://127.0.0.1:9/api/") == "http://127.0.0.1:9/oauth/v2/authorize"


def test_the_cli_says_it_in_one_line_and_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: object) -> None:
    from bot.cli import EXIT_USAGE, main

    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_CLIENT_ID", "123.456")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    assert main(["worker"]) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("mentorbot: error: SLACK_CLIENT_ID set but not SLACK_CLIENT_SECRET, SLACK_STATE_SECRET")
    assert "\n" not in err
