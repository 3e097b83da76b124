"""The console script as a person meets it: one clear line and exit code 2 for what they can fix."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.sandbox import SlackSandbox


def _run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 60
) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL", "PORT"))}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=clean, cwd=cwd, timeout=timeout
    )


def test_run_without_tokens_explains_how_to_get_them(tmp_path: Path) -> None:
    result = _run("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "missing SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in result.stderr
    assert "manifest.yml" in result.stderr and "xoxb-" in result.stderr


def test_socket_mode_without_an_app_token_prefix_is_named(tmp_path: Path) -> None:
    result = _run("run", env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "nope"}, cwd=tmp_path)
    assert result.returncode == 2 and "SLACK_APP_TOKEN must be an app-level token" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [("mysql://x/y", "supports sqlite and postgresql"), ("not a url", "is not a database URL"),
     ("postgresql://nobody@127.0.0.1:1/none", "cannot reach the database")],
)
def test_a_bad_database_url_is_one_line(tmp_path: Path, url: str, expected: str) -> None:
    result = _run("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def _serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-sandbox", "SLACK_SIGNING_SECRET": "s", "HOST": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", **extra}


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with SlackSandbox() as sandbox, socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _serve_env(tmp_path, PORT=str(port), SLACK_API_BASE_URL=sandbox.base_url)
        result = _run("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "set PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_or_refusing_slack_is_one_line(tmp_path: Path) -> None:
    dead = _run("serve", env=_serve_env(tmp_path, PORT="0", SLACK_API_BASE_URL="http://127.0.0.1:9/api/"), cwd=tmp_path)
    assert dead.returncode == 2 and "cannot reach the Slack Web API" in dead.stderr
    assert "Traceback" not in dead.stderr
    with SlackSandbox() as sandbox:
        env = _serve_env(tmp_path, PORT="0", SLACK_API_BASE_URL=sandbox.base_url, SLACK_BOT_TOKEN="xoxb-wrong")
        refused = _run("serve", env=env, cwd=tmp_path)
    assert refused.returncode == 2 and "Slack refused SLACK_BOT_TOKEN" in refused.stderr


def test_bad_port_setting(tmp_path: Path) -> None:
    result = _run("serve", env={"PORT": "http"}, cwd=tmp_path)
    assert result.returncode == 2 and "PORT must be a number" in result.stderr


def test_db_upgrade_then_tick_dry_run_creates_the_default_sqlite_file(tmp_path: Path) -> None:
    upgrade = _run("db", "upgrade", cwd=tmp_path)
    assert upgrade.returncode == 0 and "migration" in upgrade.stdout
    assert (tmp_path / "mentorbot.db").exists()
    tick = _run("tick", "--now", "2027-02-01T09:00+01:00", "--dry-run", cwd=tmp_path)
    assert tick.returncode == 0, tick.stderr
    assert "tick at 2027-02-01T09:00+01:00" in tick.stdout and "would send" in tick.stdout


def test_tick_on_an_empty_database_says_to_upgrade(tmp_path: Path) -> None:
    result = _run("tick", "--dry-run", cwd=tmp_path)
    assert result.returncode == 2 and "mentorbot db upgrade" in result.stderr


def test_tick_rejects_a_bad_instant(tmp_path: Path) -> None:
    result = _run("tick", "--now", "tomorrow-ish", cwd=tmp_path)
    assert result.returncode == 2 and "ISO-8601" in result.stderr


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["run"], ["serve"], ["worker"], ["db", "upgrade"], ["tick"], ["template"], ["import"], ["demo"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*command, "--help"])
        assert exit_info.value.code == 0
        assert len(capsys.readouterr().out) > 80


def test_template_and_import_round_trip(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    assert _run("template", str(tmp_path / "round.xlsx"), env=env).returncode == 0
    dry = _run("import", str(tmp_path / "round.xlsx"), "--dry-run", env=env)
    assert dry.returncode == 0 and "Nothing was saved" in dry.stdout
    first = _run("import", str(tmp_path / "round.xlsx"), env=env)
    assert first.returncode == 0 and "Imported" in first.stdout
    again = _run("import", str(tmp_path / "round.xlsx"), env=env)
    assert "Nothing changed" in again.stdout
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    broken = _run("import", str(tmp_path / "broken.xlsx"), env=env)
    assert broken.returncode == 1 and "could not be read as an Excel workbook" in broken.stdout
    missing = _run("import", str(tmp_path / "nope.xlsx"), env=env)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_demo_plays_against_the_sandbox_and_prints_a_transcript(tmp_path: Path) -> None:
    result = _run("demo", "--quiet", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "Ana (mentee) types /mentoring help" in out
    assert "Welcome to Career Mentoring Programme Lyngby" in out and "Velkommen til" in out
    assert "Priya Nair (priya@example.org)" in out, "the coordinator hears who is not in Slack"
    assert "inline error under “timezone”" in out
    assert "messages sent by the second run: 0" in out
    assert "bot creates channel #spring-2027-lars-ana" in out and "Welcome to your mentoring pair" in out
    assert "channels created by the second run: 0, messages: 0" in out
    assert "Confirmed by @Lars" in out and "nothing new" in out
    assert "*Did you meet?*" in out and "check-ins sent to the paused pair: 0" in out
    assert "*Welcome back*" in out
    assert "refused with HTTP 401" in out
    # Surveys, an outcome and the scoreboard (issue 10).
    assert "*Pulse check 1* · Spring 2027" in out
    assert "inline error under “survey.q.recommend”" in out
    assert "This survey has closed" in out
    assert "Henrik Dahl" in out and "/mentoring-admin outcome" in out, "a contact not in Slack is asked by hand"
    assert "six months since *Spring 2027*" in out
    assert "Resultattavle: Spring 2027" in out and "for få svar endnu" in out
    # The funder's report (issue 11), written to a temp file the demo names.
    report = re.search(r"wrote the report of Spring 2027 to (\S+\.xlsx): 8 sheets", out.replace("\n   ", " "))
    assert report, out[-1500:]
    assert len(load_workbook(report.group(1)).sheetnames) == 8
    Path(report.group(1)).unlink()
    assert "demo finished" in result.stdout
    assert result.stderr == "" and "log lines are in" not in out, "--quiet keeps no log at all"
    assert not (tmp_path / "mentorbot.db").exists(), "the demo uses a throwaway database"


def test_demo_prints_the_story_only_and_its_log_lines_go_to_a_file(tmp_path: Path) -> None:
    result = _run("demo", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == "", "no log lines between the scenes"
    assert " INFO " not in result.stdout and "Ana (mentee) types /mentoring help" in result.stdout
    found = re.search(r"log lines are in (\S+\.log)", result.stdout)
    assert found, result.stdout[-500:]
    log_file = Path(found.group(1))
    try:
        assert "INFO" in log_file.read_text(encoding="utf-8"), "the log lines are in the file the demo names"
    finally:
        log_file.unlink()


def test_demo_verbose_keeps_the_log_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.demo

    calls: list[dict[str, object]] = []
    def run_demo(**kwargs: object) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr(bot.demo, "run_demo", run_demo)
    handlers = list(logging.getLogger().handlers)
    assert main(["demo", "--verbose"]) == 0
    assert calls == [{}], "no log file: the log lines stay where logging sends them"
    assert logging.getLogger().handlers == handlers


def test_tick_at_a_future_instant_says_what_it_queued_for_then(tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import date

    from bot.rounds.workbook import workbook_bytes
    from tests.unit.test_roster_import import sample_workbook

    workbook = sample_workbook(meetings=(), pairs=())
    workbook = replace(workbook, programme=replace(workbook.programme, starts_on=date(2099, 2, 1), ends_on=date(2099, 5, 31)))
    (tmp_path / "round.xlsx").write_bytes(workbook_bytes(workbook))
    with SlackSandbox() as sandbox:
        for user_id, email in (("ULARS", "lars@firm.dk"), ("UANA", "ana@example.org"), ("UMETTE", "mette@kommune.dk")):
            sandbox.add_user(user_id=user_id, name=user_id.lower(), real_name=user_id.title(), email=email)
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "SLACK_BOT_TOKEN": "xoxb-sandbox",
               "SLACK_SIGNING_SECRET": "s", "SLACK_API_BASE_URL": sandbox.base_url}
        assert _run("import", str(tmp_path / "round.xlsx"), env=env).returncode == 0
        first = _run("tick", "--now", "2099-02-03T10:00+01:00", env=env)
        again = _run("tick", "--now", "2099-02-03T10:00+01:00", env=env)
        posted = sandbox.calls_to("chat.postMessage")
    assert first.returncode == 0, first.stderr
    assert "tick at 2099-02-03T10:00+01:00: 3 messages due" in first.stdout
    assert ("queued 3 new messages for 2099-02-03T10:00+01:00; nothing is sent now: the worker (`mentorbot worker`) "
            "sends them at that time") in first.stdout
    assert "sent 0" not in first.stdout, "no confusing delivery report for messages that are not due yet"
    assert posted == [], "the welcomes wait for their time"
    assert again.returncode == 0 and "queued nothing new for 2099-02-03T10:00+01:00" in again.stdout


def test_run_uses_socket_mode_when_an_app_token_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Socket Mode cannot reach Slack here, so the handler is replaced by one that records
    how `run` started it; everything before it (settings, migrations, app, scheduler) is real."""
    import slack_bolt.adapter.socket_mode as socket_mode

    started: list[tuple[object, str]] = []

    class RecordingHandler:
        def __init__(self, app: object, app_token: str) -> None:
            self.app, self.app_token = app, app_token

        def start(self) -> None:
            started.append((self.app, self.app_token))

    monkeypatch.setattr(socket_mode, "SocketModeHandler", RecordingHandler)
    with SlackSandbox() as sandbox:
        for key, value in {
            "SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_SIGNING_SECRET": "",
            "SLACK_API_BASE_URL": sandbox.base_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        }.items():
            monkeypatch.setenv(key, value)
        assert main(["run"]) == 0
    assert len(started) == 1 and started[0][1] == "xapp-1-test"
    from slack_bolt import App

    assert isinstance(started[0][0], App)
    from storage.db import make_engine
    from storage.migrate import current_revision

    assert current_revision(make_engine(f"sqlite:///{tmp_path / 'run.db'}")) is not None, "run migrated the database"
