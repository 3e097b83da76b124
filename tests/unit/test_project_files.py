"""The files a newcomer and CI rely on say what the code does."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_start_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)^## ", text, flags=re.S | re.M)
    assert section, "README needs a '## Quick start' section"
    block = re.search(r"```[a-z]*\n(.*?)```", section.group(1), flags=re.S)
    assert block, "the quick start needs one fenced block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_quick_start_has_exactly_two_commands_demo_then_tests() -> None:
    demo, tests = quick_start_lines()
    assert "mentorbot demo" in demo and "pip install" in demo
    assert "pytest" in tests and ".[test]" in tests


def test_ci_runs_the_readme_test_command_and_postgres_when_it_answers() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_lines()[1] in ci
    assert "TEST_DATABASE_URL" in ci and "127.0.0.1:5432" in ci


def test_ci_lints_and_type_checks_before_the_tests() -> None:
    """A finding from ruff or mypy fails CI before a minute is spent on tests."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    tests_at = ci.index(quick_start_lines()[1])
    for command in (".venv/bin/ruff check . || exit 1", ".venv/bin/mypy || exit 1"):
        assert 0 <= ci.find(command) < tests_at, command
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.ruff" in pyproject and "[tool.mypy]" in pyproject
    extra = re.search(r"^test = \[(.*?)^\]", pyproject, flags=re.S | re.M)
    assert extra and '"ruff' in extra.group(1) and '"mypy' in extra.group(1)


def test_procfile_runs_serve_and_worker() -> None:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").split("\n")
    assert "web: mentorbot serve" in lines and "worker: mentorbot worker" in lines
    # Migrating in a release step keeps Alembic out of the web process (docs/benchmarks.md, memory).
    assert "release: mentorbot db upgrade" in lines


def _manifest() -> str:
    return (ROOT / "manifest.yml").read_text(encoding="utf-8")


def test_manifest_declares_the_three_commands_home_interactivity_and_socket_mode() -> None:
    manifest = _manifest()
    for command in ("/mentoring", "/log-session", "/mentoring-admin"):
        assert re.search(rf"- command: {re.escape(command)}\n", manifest)
    assert "home_tab_enabled: true" in manifest
    assert re.search(r"interactivity:\n\s+is_enabled: true", manifest)
    assert "socket_mode_enabled: true" in manifest


def _listed(manifest: str, key: str) -> set[str]:
    match = re.search(rf"{key}:\n((?:\s+(?:#.*|- \S+)\n)+)", manifest)
    assert match, f"manifest has no {key} list"
    return set(re.findall(r"- (\S+)", match.group(1)))


def test_every_event_in_the_manifest_has_a_listener(session_factory, clock) -> None:  # noqa: ANN001
    """Bolt answers 404 to an event nobody listens to; Slack would then retry it three times."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    from slack_bolt import App, BoltRequest
    from slack_sdk import WebClient

    from bot.container import Deps
    from bot.sandbox import SlackSandbox
    from bot.settings import Settings
    from handlers import register_all

    sandbox = SlackSandbox().start()
    executor = ThreadPoolExecutor(max_workers=1)
    app = App(client=WebClient(token=sandbox.bot_token, base_url=sandbox.base_url), signing_secret="s",
              token_verification_enabled=False, request_verification_enabled=False, listener_executor=executor)
    register_all(app, Deps(settings=Settings.from_env({}), session_factory=session_factory, clock=clock))
    events = _listed(_manifest(), "bot_events")
    assert events, "the manifest subscribes to no events"
    for index, name in enumerate(sorted(events)):
        event_type, _, channel_type = name.partition(".")
        event = {"type": event_type, "user": "U1", "channel": "D1", "ts": "1.1", "event_ts": "1.1"}
        if channel_type:
            event["channel_type"] = channel_type
        body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"Ev{index}",
                "event_time": 1, "event": event}
        response = app.dispatch(BoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]}))
        assert response.status == 200, f"no listener for the manifest's event {name}"
    executor.shutdown(wait=True)
    sandbox.stop()
