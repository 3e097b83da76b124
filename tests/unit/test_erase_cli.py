"""`mentorbot erase EMAIL`: what will go per table, a question unless --yes, then the
erasure; bad or unknown input is one line naming it, with nothing changed."""

from __future__ import annotations

import os

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.privacy.inventory import ECHO_LIMIT
from storage.db import unit_of_work
from tests.support.personal_data import EMAIL, NAME, ErasureWorld, seed_erasure_world, where_markers_are


@pytest.fixture
def seeded(session_factory: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch) -> ErasureWorld:
    for name in [key for key in os.environ if key.startswith("SLACK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with unit_of_work(session_factory) as session:
        return seed_erasure_world(session)


def _markers(session_factory: sessionmaker[Session]) -> set[tuple[str, str]]:
    with unit_of_work(session_factory) as session:
        return where_markers_are(session)


def test_erase_asks_then_erases_and_prints_each_table(
    seeded: ErasureWorld, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert main(["erase", f"  {EMAIL.upper()} "]) == 0
    printed = capsys.readouterr().out
    assert f"About to erase {NAME} <{EMAIL}> from " in printed and "Autumn 2028" in printed
    assert "  participant: 2 rows" in printed and "  outbox_message: 5 rows" in printed
    assert f"Erased {EMAIL.upper()}. Rows changed per table:" in printed
    assert "stay there" in printed
    assert _markers(session_factory) == set()


def test_answering_no_changes_nothing(
    seeded: ErasureWorld, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _markers(session_factory)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["erase", EMAIL]) == 1
    assert "Nothing erased." in capsys.readouterr().out
    assert _markers(session_factory) == before and before


def test_yes_skips_the_question_and_a_second_run_finds_nobody(
    seeded: ErasureWorld, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_prompt(prompt: str) -> str:
        raise AssertionError("asked despite --yes")

    monkeypatch.setattr("builtins.input", no_prompt)
    assert main(["erase", EMAIL, "--yes"]) == 0
    assert _markers(session_factory) == set()
    capsys.readouterr()
    assert main(["erase", EMAIL, "--yes"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"mentorbot: error: nobody with the email “{EMAIL}” is stored (never imported, or erased already): "
        "nothing to erase")


@pytest.mark.parametrize(("argument", "expected"), [
    ("birgitte", "“birgitte” is not an email address"),
    ("a@b", "“a@b” is not an email address"),
    ("nobody@example.org", "nobody with the email “nobody@example.org” is stored"),
    ("x" * 3000, "“" + "x" * (ECHO_LIMIT - 1) + "…” is not an email address"),
    ("x" * 3000 + "@example.org", "nobody with the email “" + "x" * (ECHO_LIMIT - 1) + "…” is stored"),
])
def test_bad_input_is_one_line_and_changes_nothing(
    seeded: ErasureWorld, session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str],
    argument: str, expected: str,
) -> None:
    before = _markers(session_factory)
    assert main(["erase", argument, "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err
    assert _markers(session_factory) == before
