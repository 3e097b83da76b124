"""`mentorbot export EMAIL [--out DIR]`: both files, their paths and a count per section;
an unknown email or a missing folder is one line and a non-zero exit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.i18n import t
from bot.privacy.export import SECTION_KEYS
from bot.privacy.inventory import ECHO_LIMIT
from storage.db import unit_of_work
from tests.support.personal_data import ADA_EMAIL, ADA_NAME, SeededPerson, seed_person_everywhere


@pytest.fixture
def seeded(session_factory: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch) -> SeededPerson:
    for name in [key for key in os.environ if key.startswith("SLACK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with unit_of_work(session_factory) as session:
        return seed_person_everywhere(session)


def test_export_writes_both_files_and_counts_each_section(seeded: SeededPerson, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # Under freezegun, as first written: the notice codec reads stored dates back whichever
    # clock its type hints were first read on (tests/unit/test_notices.py).
    with freeze_time("2027-07-01T09:00:00Z"):
        assert main(["export", ADA_EMAIL.upper(), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    json_path, workbook_path = tmp_path / "my-data-2027-07-01.json", tmp_path / "my-data-2027-07-01.xlsx"
    assert printed[0] == f"Wrote {json_path} and {workbook_path}: everything stored about {ADA_EMAIL.upper()}."
    document = json.loads(json_path.read_text(encoding="utf-8"))
    assert document["generated_at"].startswith("2027-07-01T09:00")
    assert printed[1:-1] == [t("export.cli.count", "en", section=t(f"export.sheet.{key}", "en"),
                               count=document["counts"][key]) for key in SECTION_KEYS]
    assert "  1-1 sessions: 1 entry" in printed and "  Participation: 2 entries" in printed
    assert [row["name"] for row in document["sections"]["participation"]] == [ADA_NAME, ADA_NAME]
    assert "ada-message-name" in document["sections"]["messages"][0]["text"]
    assert len(load_workbook(workbook_path).sheetnames) == len(SECTION_KEYS) + 1


def test_an_unknown_email_is_one_line_and_a_non_zero_exit(seeded: SeededPerson, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", "nobody@example.org", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == ("mentorbot: error: nobody with the email “nobody@example.org” is stored: "
                                    "there is nothing to export")
    assert list(out.iterdir()) == []


def test_a_missing_folder_is_one_line(seeded: SeededPerson, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    assert main(["export", ADA_EMAIL, "--out", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"mentorbot: error: {missing}: the folder does not exist"


@pytest.mark.parametrize("argument", ["birgitte", "a@b", "x" * 3000, "x" * 3000 + "@example.org"])
def test_export_refuses_what_erase_refuses_and_echoes_it_cut_short(
    seeded: SeededPerson, tmp_path: Path, capsys: pytest.CaptureFixture[str], argument: str,
) -> None:
    """The same email rule as `erase` (a non-email is refused before any lookup), and a
    pasted 3,000-character input comes back as ECHO_LIMIT characters, not whole."""
    out = tmp_path / "out"
    out.mkdir()
    assert main(["export", argument, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and len(err) < ECHO_LIMIT + 150
    expected = "is not an email address" if "@example.org" not in argument else "nobody with the email"
    assert expected in err and argument[:20] in err
    assert list(out.iterdir()) == []
