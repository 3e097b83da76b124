"""`mentorbot report`: a round or a whole programme to a workbook, and one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from storage.db import unit_of_work
from storage.models import Round
from tests.nudge_world import World
from tests.support.report_round import REPORT_NOW, charts_in, seed_report_round


@pytest.fixture
def world(session_factory: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    for name in [key for key in os.environ if key.startswith("SLACK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with unit_of_work(session_factory) as session:
        seeded = seed_report_round(session)
        round_ = session.get_one(Round, seeded.round_id)
        round_name, programme = round_.name, round_.programme.name
    assert (round_name, programme) == ("Spring 2027", round_.programme.name)
    return seeded


def test_report_writes_the_round_and_says_what_it_holds(world: World, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.xlsx"
    with freeze_time(REPORT_NOW):  # after the surveys: the pulse trend has its chart too
        assert main(["report", "--round", "Spring 2027", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote {out}: the report of Spring 2027 (en)." in printed and "share it only within" in printed
    workbook = load_workbook(out)
    assert len(workbook.sheetnames) == 8
    assert sum(charts_in(workbook, name) for name in workbook.sheetnames) == 3
    assert "M1" in [row[0] for row in workbook["People"].iter_rows(values_only=True)]


def test_a_programme_alone_reports_all_its_rounds_and_pseudonymise_hides_names(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        programme = session.get_one(Round, world.round_id).programme.name
    out = tmp_path / "all.xlsx"
    assert main(["report", "--programme", programme.upper(), "--out", str(out), "--pseudonymise"]) == 0
    assert "stable codes" in capsys.readouterr().out
    names = [row[0] for row in load_workbook(out)["People"].iter_rows(min_row=2, values_only=True)]
    assert names and all(str(name).startswith("P-") for name in names)


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize(("argv", "expected"), [
    (["--round", "Winter", "--out", "x.xlsx"], "no round called “Winter”"),
    (["--programme", "Nope", "--out", "x.xlsx"], "no programme called “Nope”"),
    (["--out", "x.xlsx"], "name a round with --round"),
    (["--round", "Spring 2027", "--out", "x.csv"], "ending in .xlsx"),
    (["--round", "Spring 2027", "--out", "/no/such/folder/x.xlsx"], "does not exist"),
])
def test_errors_are_one_line_with_exit_code_2(argv: list[str], expected: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err, err
