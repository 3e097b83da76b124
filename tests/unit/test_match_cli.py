"""`mentorbot match`: the proposal on the command line, round names that need help, and --out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.rounds.workbook import read_workbook
from storage.db import unit_of_work
from storage.models import MatchProposal, Pair, Role
from tests.match_factories import make_ready, make_round_in


@pytest.fixture
def seeded(session_factory, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """Two programmes with a "Spring 2027" each; the Career one has people ready to match."""
    for name in [key for key in os.environ if key.startswith("SLACK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with unit_of_work(session_factory) as session:
        spring = make_round_in(session)
        make_round_in(session, programme_name="Business Mentoring")
        make_ready(session, round_=spring, role=Role.MENTOR, email="lars@firm.dk", name="Lars", field="Engineering",
                   languages=["Danish", "English"], max_mentees=2)
        make_ready(session, round_=spring, role=Role.MENTEE, email="ana@x.org", name="Ana", field="Engineering")
        make_ready(session, round_=spring, role=Role.MENTEE, email="kai@x.org", name="Kai", languages=["Japanese"])


@pytest.mark.usefixtures("seeded")
def test_an_unknown_or_ambiguous_round_is_one_line_naming_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "--round", "Winter"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no round called “Winter”" in err
    assert "Career Mentoring / Spring 2027" in err and "Business Mentoring / Spring 2027" in err

    assert main(["match", "--round", "spring 2027"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "several programmes" in err and "--programme" in err

    assert main(["match", "--round", "Spring 2027", "--programme", "Nope"]) == 2
    assert "no rounds at all" in capsys.readouterr().err
    assert main(["match", "--round", "Spring 2027", "--programme", "Career Mentoring", "--out", "x.csv"]) == 2
    assert ".xlsx" in capsys.readouterr().err


@pytest.mark.usefixtures("seeded")
def test_match_prints_pairs_and_the_unmatched_and_writes_a_workbook_import_accepts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, session_factory  # noqa: ANN001
) -> None:
    out = tmp_path / "proposal.xlsx"
    assert main(["match", "--round", "Career Mentoring / Spring 2027", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Proposal #1 for Career Mentoring / Spring 2027: 1 pair, total score" in printed
    assert "Lars (mentor) ↔ Ana (mentee): score 4" in printed and "Same field: Engineering (+4)" in printed
    assert "Without a match (2):" in printed
    assert "Kai has no mentor: no mentor in this round speaks any of their languages (Japanese)." in printed
    assert "Lars has 1 place free" in printed
    assert f"Wrote {out}" in printed
    workbook, problems = read_workbook(out)
    assert problems == [] and workbook is not None
    assert [(p.mentor_email, p.mentee_email) for p in workbook.pairs] == [("lars@firm.dk", "ana@x.org")]
    assert workbook.pairs[0].extra["reasons"].startswith("Shared language: English; Same field: Engineering (+4)")
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(MatchProposal)).created_by == "cli"
        assert session.scalar(select(Pair)) is None, "a proposal is not a pair until it is imported or published"

    assert main(["import", str(out)]) == 0
    capsys.readouterr()
    assert main(["match", "--round", "Spring 2027", "--programme", "career mentoring"]) == 0
    assert "Lars (mentor) ↔ Ana (mentee): score 4 [Locked by a coordinator]" in capsys.readouterr().out


def test_match_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["match", "--help"])
    assert exit_info.value.code == 0 and "--out" in capsys.readouterr().out
