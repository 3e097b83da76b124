"""Property tests over every input the bot takes from Slack (issue 12, "Bad input"): every
slash command's text, every button's payload, every modal's values and every event shape,
10,000 cases in CI. Whatever arrives: never a 5xx, an answer Slack accepts (an empty 200, a
JSON ack, a `response_action` whose view and errors Slack would take), no listener that
raises, none that hangs. Each answer's time is recorded and printed as p50/p99/max (never
asserted on: the machine varies; `benchmarks/bench_fuzz.py` measures with Bolt's own polling).

What is fuzzed comes from the code (`tests/support/fuzz.py`): the command table, every
registration of an action, view or event, and the buttons, selects and modals the bot drew
in a seeded world. `test_every_registered_listener_is_fuzzed` fails when a listener is
registered that no fuzzed request can reach.

Sizes: FUZZ_PROFILE=ci (the default: derandomized, 10,000 cases; 2,000 on PostgreSQL) or FUZZ_PROFILE=explore
(fresh randomness); FUZZ_CASES=N sets the total (shared out as in CI), e.g.
`FUZZ_CASES=100000 FUZZ_PROFILE=explore .venv/bin/pytest tests/scenario/test_fuzz_every_input.py`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, text

from bot.clock import FixedClock
from bot.sandbox.harness import SandboxedApp
from storage.db import make_engine
from storage.models import Base
from tests.support.fuzz import (
    FUZZ_NOW,
    MATCHER,
    Corpus,
    Fuzzer,
    Request,
    Strategies,
    fast_ack_polling,
    registrations,
    seed_world,
    uncovered,
    watching_failures,
)

#: The share of the cases per surface; they add up to the total.
SHARES = {"command": 0.25, "action": 0.30, "view": 0.25, "event": 0.20}
#: 10,000 on SQLite, the run every machine makes; PostgreSQL, which CI adds when a server
#: answers, repeats a fifth of them (the same listeners, the other database's locking) so the
#: second pass does not double the suite's time. FUZZ_CASES sets either.
TOTAL = int(os.environ.get("FUZZ_CASES") or (2_000 if os.environ.get("TEST_DATABASE_URL", "").strip() else 10_000))
PROFILE = os.environ.get("FUZZ_PROFILE") or "ci"

_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
           HealthCheck.filter_too_much]
settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True,
                          suppress_health_check=_CHECKS)
settings.register_profile("explore", derandomize=False, deadline=None, database=None, print_blob=True,
                          suppress_health_check=_CHECKS)


@dataclass
class FuzzRun:
    slack: SandboxedApp
    corpus: Corpus
    strategies: Strategies
    fuzzer: Fuzzer


@pytest.fixture(scope="module")
def fuzz(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _migrated_sqlite_template: Path,
    _postgres_engine: Engine | None,
) -> Iterator[FuzzRun]:
    """One world for every case (a fresh one each would cost seconds): state accumulates as in
    a workspace, which is part of the test."""
    if _postgres_engine is not None:
        engine = _postgres_engine
    else:
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copyfile(_migrated_sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
    module, name, fast = fast_ack_polling()
    with pytest.MonkeyPatch.context() as patch, watching_failures() as failures:
        patch.setattr(module, name, fast)
        with SandboxedApp(engine=engine, clock=FixedClock(FUZZ_NOW), admin_user_ids=("UADMIN",)) as slack:
            corpus = seed_world(slack)
            setup_failures = failures.take()
            assert setup_failures == [], setup_failures
            run = FuzzRun(slack=slack, corpus=corpus, strategies=Strategies(slack, corpus),
                          fuzzer=Fuzzer(slack, failures))
            yield run
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and run.fuzzer.cases:
        with capture.global_and_fixture_disabled():  # the figures, printed whatever -s says
            reporter.write_line(f"\nfuzz: {run.fuzzer.cases} cases; answer times (Bolt's ack polled every 0.2 ms):")
            reporter.write_line(run.fuzzer.latencies.summary())
            reporter.write_line(f"fuzz: {run.fuzzer.reached} cases reached a listener that called Slack or answered")
    if _postgres_engine is not None:
        tables = ", ".join(f'"{table.name}"' for table in reversed(Base.metadata.sorted_tables))
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        engine.dispose()


def test_every_registered_listener_is_fuzzed() -> None:
    """A new command, action, view or event listener fails here until the fuzzing sends it."""
    assert uncovered() == []


def test_the_recorder_sees_every_listener_bolt_has(fuzz: FuzzRun) -> None:
    """`registrations()` reads the same `register` functions the app runs: as many as Bolt holds."""
    assert len(registrations()) == len(fuzz.slack.runtime.bolt_app._listeners)


def test_the_seeded_world_drew_every_kind_of_button_and_modal(fuzz: FuzzRun) -> None:
    """The corpus holds the real thing for the listeners' deep paths, not only examples."""
    drawn = {element.action_id.split(".")[0] for element in fuzz.corpus.elements}
    forms = {form.callback_id for form in fuzz.corpus.forms}
    assert {"consent", "profile", "session", "checkin", "meeting", "survey", "digest", "match", "outcome"} <= drawn
    assert {"profile.submit", "session.log.submit", "survey.submit", "pairs.end.submit",
            "meeting.attendance.submit", "outcome.submit", "outcome.admin.submit", "outcome.company.submit"} <= forms


@pytest.mark.parametrize("surface", list(SHARES))
def test_no_input_gets_a_5xx_a_bad_answer_or_a_crashed_listener(fuzz: FuzzRun, surface: str) -> None:
    strategy = {"command": fuzz.strategies.commands, "action": fuzz.strategies.actions,
                "view": fuzz.strategies.views, "event": fuzz.strategies.events}[surface]()

    @settings(settings.get_profile(PROFILE), max_examples=max(1, round(TOTAL * SHARES[surface])))
    @given(request=strategy)
    def case(request: Request) -> None:
        problems = fuzz.fuzzer.check(request)
        assert problems == [], request.described

    case()


# --- what the fuzzing found, kept as plain regression tests -----------------------------------------

def test_a_consent_click_on_a_message_slack_no_longer_has_is_saved_without_a_crash(fuzz: FuzzRun) -> None:
    """chat.update answered message_not_found and the consent listener raised (the answer was saved)."""
    element = next(e for e in fuzz.corpus.elements if e.action_id.startswith("consent.") and e.user)
    assert element.user is not None and element.channel is not None
    body = fuzz.slack.driver.block_action(
        user_id=element.user, action_id=element.action_id, value=element.value, block_id=element.block_id,
        channel_id=element.channel, message={"type": "message", "ts": "1.000001", "text": "", "blocks": []})
    assert body.status == 200
    fuzz.slack.settle()
    assert fuzz.fuzzer.failures.take() == []


def test_a_review_button_clicked_from_a_view_changes_the_review_without_a_crash(fuzz: FuzzRun) -> None:
    """match.lock has no message to redraw from a view (no response_url): Bolt's respond raised."""
    element = next(e for e in fuzz.corpus.elements if e.action_id.startswith("match.lock."))
    home = {"id": "VHOME", "type": "home", "blocks": [], "private_metadata": "", "callback_id": "",
            "state": {"values": {}}, "hash": "1.x", "app_id": "A0SANDBOX", "root_view_id": "VHOME",
            "team_id": fuzz.slack.sandbox.team_id}
    response = fuzz.slack.driver.block_action(user_id=MATCHER, action_id=element.action_id, value=element.value,
                                              block_id=element.block_id, view=home)
    fuzz.slack.settle()
    assert response.status == 200
    assert fuzz.fuzzer.failures.take() == []


def test_an_event_time_no_calendar_holds_is_not_a_500_while_sending_is_stopped(fuzz: FuzzRun) -> None:
    """After app_uninstalled, a later event's event_time decides whether sending resumes;
    one beyond year 9999 raised in the middleware (a 500)."""
    envelope = {"token": "t", "team_id": fuzz.slack.sandbox.team_id, "api_app_id": "A0SANDBOX",
                "type": "event_callback", "event_time": 1}
    uninstalled = {**envelope, "event_id": "Ev0UNINSTALL", "event": {"type": "app_uninstalled"}}
    far = {**envelope, "event_id": "Ev0FAR", "event_time": 10**15,
           "event": {"type": "app_home_opened", "user": "UE1", "tab": "home"}}
    answers = [fuzz.fuzzer.caller.send(json.dumps(body).encode(), content_type="application/json")
               for body in (uninstalled, far)]
    fuzz.slack.settle()
    assert [answer.status for answer in answers] == [200, 200]
    assert fuzz.fuzzer.failures.take() == []
    fuzz.slack.slash("UCOORD", "/mentoring-admin", "help")  # a signed request: sending resumes
