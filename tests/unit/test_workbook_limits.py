"""Workbooks that go wrong the ways real ones do: each gets a clear answer naming the sheet,
row and column (or the file), or a correct import; none hangs, and nothing is stored.

Decisions these tests hold:
- A formula is read as the result Excel saved with it (what the coordinator sees in the
  cell); a formula saved without a result (written by a program, never opened in Excel) is
  refused naming its cell, and not also called "required but empty".
- An Excel error shown in a cell (`#REF!`, `#N/A` …) is refused, never taken as text; a
  yes/no value where text belongs is refused; numbers and dates typed as text are read.
- Size is bounded before parsing: the file (5 MB), what the zip unpacks to (64 MB), what one
  sheet unpacks to (4 MB); and while the rows stream in: 2,000 filled rows, 20,000 rows in all.
Wall-clock time is never asserted: `benchmarks/bench_workbook.py` measures it.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import bot.rounds.workbook as wb
from bot.rounds.roster import import_round, import_workbook_file
from bot.rounds.workbook import (
    SHEET_MEETINGS,
    SHEET_PARTICIPANTS,
    SHEET_PROGRAMME,
    Problem,
    read_workbook,
)
from storage.db import unit_of_work
from storage.models import Pair, Participant, Programme, Round, SharedMeeting
from tests.factories import EPOCH as NOW
from tests.support.workbooks import (
    base_bytes,
    base_workbook,
    edited,
    far_down,
    formula,
    many_people,
    not_a_workbook,
    oversized,
    patched,
    rows_appended,
    set_cell,
    zip_bomb,
)
from tests.support.workspaces import ONE_WORKSPACE


def _where(problems: list[Problem]) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.sheet, p.row, p.column, p.code) for p in problems]


def _refused(content: bytes | str | Path) -> list[Problem]:
    result, problems = read_workbook(content)
    assert result is None and problems
    for problem in problems:  # every line reads as words, in both languages, with its place
        for language in ("en", "da"):
            from bot.i18n import plain_entries

            text = problem.render(plain_entries(language))
            assert problem.code not in text and "{" not in text, text
    return problems


# ---------------------------------------------------------------------------------- formulas


def test_a_formula_is_read_as_the_result_excel_saved_with_it() -> None:
    content = patched(SHEET_PARTICIPANTS, formula("B3", 'CONCAT("A","na")', saved="Ana"))
    result, problems = read_workbook(content)
    assert problems == [] and result is not None
    assert [p.name for p in result.participants] == [p.name for p in base_workbook().participants]


def test_a_formula_saved_without_its_result_is_named_by_its_cell_once() -> None:
    content = edited(set_cell(SHEET_PARTICIPANTS, 3, "name", '=CONCAT("A","na")'))  # openpyxl saves no result
    problems = _refused(content)
    assert _where(problems) == [(SHEET_PARTICIPANTS, 3, "name", wb.CELL_FORMULA_NO_VALUE)]
    assert "paste the values" in problems[0].english()


def test_a_formula_in_a_programme_setting_is_named_too() -> None:
    content = edited(lambda book: book[SHEET_PROGRAMME].cell(row=3, column=2, value='=UPPER("spring")'))
    assert (SHEET_PROGRAMME, 3, "round", wb.CELL_FORMULA_NO_VALUE) in _where(_refused(content))


# ------------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize("error", ["#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?"])
def test_an_excel_error_in_a_cell_is_never_taken_for_text(error: str) -> None:
    content = edited(set_cell(SHEET_PARTICIPANTS, 3, "name", error))
    assert _where(_refused(content)) == [(SHEET_PARTICIPANTS, 3, "name", wb.CELL_ERROR)]


def test_an_excel_error_where_a_date_belongs_is_named_as_the_error() -> None:
    content = edited(set_cell(SHEET_MEETINGS, 2, "starts_at", "#VALUE!"))
    assert (SHEET_MEETINGS, 2, "starts_at", wb.CELL_ERROR) in _where(_refused(content))


def test_a_yes_no_value_where_text_belongs_is_refused() -> None:
    content = edited(set_cell(SHEET_PARTICIPANTS, 3, "name", True))
    assert _where(_refused(content)) == [(SHEET_PARTICIPANTS, 3, "name", wb.CELL_BOOLEAN)]
    content = edited(set_cell(SHEET_PARTICIPANTS, 2, "max_mentees", False))
    assert _where(_refused(content)) == [(SHEET_PARTICIPANTS, 2, "max_mentees", wb.INT_INVALID)]


def test_numbers_and_dates_typed_as_text_are_read() -> None:
    content = edited(set_cell(SHEET_PARTICIPANTS, 2, "max_mentees", " 2 "))
    content = edited(set_cell(SHEET_MEETINGS, 2, "starts_at", "2027-02-03 17:00"), content)
    content = edited(set_cell(SHEET_MEETINGS, 2, "duration_minutes", "120"), content)
    result, problems = read_workbook(content)
    assert problems == [] and result == replace(base_workbook())


def test_a_number_where_an_email_belongs_and_a_fraction_of_a_mentee_are_named() -> None:
    content = edited(set_cell(SHEET_PARTICIPANTS, 2, "max_mentees", 2.5))
    content = edited(set_cell(SHEET_PARTICIPANTS, 4, "email", 12345), content)
    found = _where(_refused(content))
    assert (SHEET_PARTICIPANTS, 2, "max_mentees", wb.INT_INVALID) in found
    assert (SHEET_PARTICIPANTS, 4, "email", wb.EMAIL_INVALID) in found


# ------------------------------------------------------------------------------- huge cells


@pytest.mark.parametrize(("sheet", "row", "column", "limit"), [
    (SHEET_PARTICIPANTS, 3, "name", 200), (SHEET_PARTICIPANTS, 2, "company", 200),
    (SHEET_PARTICIPANTS, 3, "interests", 100), (SHEET_MEETINGS, 2, "location", 500),
])
def test_a_cell_as_long_as_excel_allows_is_named_with_its_limit(sheet: str, row: int, column: str,
                                                                 limit: int) -> None:
    content = edited(set_cell(sheet, row, column, "x" * 32_767))  # Excel's longest cell
    problems = _refused(content)
    assert _where(problems) == [(sheet, row, column, wb.VALUE_TOO_LONG)]
    assert f"32767 characters long; at most {limit} fit" in problems[0].english()


def test_a_huge_programme_name_is_named() -> None:
    content = edited(lambda book: book[SHEET_PROGRAMME].cell(row=2, column=2, value="P" * 32_767))
    assert (SHEET_PROGRAMME, None, "programme", wb.VALUE_TOO_LONG) in _where(_refused(content))


def test_a_huge_cell_in_a_column_the_bot_does_not_read_changes_nothing() -> None:
    def add_notes(book: object) -> None:
        sheet = book[SHEET_PARTICIPANTS]
        sheet.cell(row=1, column=12, value="coordinator notes")
        sheet.cell(row=3, column=12, value="n" * 32_767)

    result, problems = read_workbook(edited(add_notes))
    assert problems == [] and result == base_workbook()


# ------------------------------------------------------------------------- rows and columns


def test_people_by_the_ten_thousand_as_openpyxl_writes_them_are_refused_before_reading() -> None:
    problems = _refused(many_people(20_000))  # 5 MB of sheet; 100,000 (25 MB) in benchmarks/bench_workbook.py
    assert _where(problems) == [(SHEET_PARTICIPANTS, None, None, wb.SHEET_TOO_BIG)]
    assert "2000 rows" in problems[0].english()


@pytest.mark.parametrize("dimension", [True, False], ids=["size stated", "size not stated"])
def test_a_hundred_thousand_rows_written_tersely_are_refused(dimension: bool) -> None:
    problems = _refused(patched(SHEET_PARTICIPANTS, rows_appended(100_000, dimension=dimension)))
    assert _where(problems) == [(SHEET_PARTICIPANTS, None, None, wb.SHEET_TOO_BIG)]


@pytest.mark.parametrize("dimension", [True, False], ids=["size stated", "size not stated"])
def test_more_rows_than_a_round_holds_stop_the_reading_at_the_first_one_too_many(dimension: bool) -> None:
    problems = _refused(patched(SHEET_PARTICIPANTS, rows_appended(2_500, dimension=dimension)))
    assert (SHEET_PARTICIPANTS, wb.MAX_TABLE_ROWS + 1, None, wb.SHEET_TOO_MANY_ROWS) in _where(problems)


def test_one_cell_at_the_bottom_of_the_sheet_stops_the_reading() -> None:
    """The sheet states its size as A1:K4, as before the cell was added: the size a file
    states is not trusted, or rows past it would go unread without a word."""
    problems = _refused(patched(SHEET_PARTICIPANTS, far_down(1_048_576)))
    assert (SHEET_PARTICIPANTS, None, None, wb.SHEET_TOO_LONG) in _where(problems)


def test_rows_past_a_wrongly_stated_sheet_size_are_read() -> None:
    content = patched(SHEET_PARTICIPANTS, rows_appended(3, dimension=True, stated_rows=2))
    result, problems = read_workbook(content)
    assert problems == [] and result is not None
    assert [p.email for p in result.participants][-3:] == ["m5@example.org", "m6@example.org", "m7@example.org"]


def test_blank_rows_between_people_are_skipped_and_rows_keep_their_excel_numbers() -> None:
    content = edited(lambda book: book[SHEET_PARTICIPANTS].insert_rows(3, 5))  # Lars, 5 blank rows, Ana …
    result, problems = read_workbook(content)
    assert problems == [] and result is not None
    assert [p.row for p in result.participants] == [2, 8, 9]
    content = edited(set_cell(SHEET_PARTICIPANTS, 8, "email", "not an email"), content)
    assert (SHEET_PARTICIPANTS, 8, "email", wb.EMAIL_INVALID) in _where(_refused(content))


def test_merged_cells_read_as_the_rows_excel_shows_them_empty() -> None:
    content = edited(lambda book: book[SHEET_PARTICIPANTS].merge_cells("C2:C3"))
    assert _where(_refused(content)) == [(SHEET_PARTICIPANTS, 3, "role", wb.VALUE_MISSING)]


# -------------------------------------------------------------------------- not a workbook


@pytest.mark.parametrize("kind", sorted(not_a_workbook()))
def test_a_file_that_is_not_a_workbook_is_one_clear_line(kind: str) -> None:
    assert _where(_refused(not_a_workbook()[kind])) == [("", None, None, wb.FILE_UNREADABLE)]


def test_a_zip_bomb_is_refused_by_what_it_would_unpack_to_without_unpacking_it() -> None:
    bomb = zip_bomb(unpacked_mb=80)
    assert len(bomb) < wb.MAX_FILE_BYTES, "small enough to pass the size limit"
    problems = _refused(bomb)
    assert _where(problems) == [("", None, None, wb.FILE_UNPACKS_TOO_LARGE)]


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    big = oversized(wb.MAX_FILE_BYTES + 1)
    assert load_workbook(io.BytesIO(big)).sheetnames, "otherwise a valid workbook"
    assert _where(_refused(big)) == [("", None, None, wb.FILE_TOO_LARGE)]
    path = tmp_path / "round.xlsx"
    path.write_bytes(big)
    assert _where(_refused(path)) == [("", None, None, wb.FILE_TOO_LARGE)]
    assert _where(_refused(io.BytesIO(big))) == [("", None, None, wb.FILE_TOO_LARGE)]  # type: ignore[arg-type]


def test_every_limit_code_is_made_here() -> None:
    from tests.unit.test_workbook import LIMIT_CODES

    made = {wb.CELL_FORMULA_NO_VALUE, wb.CELL_ERROR, wb.CELL_BOOLEAN, wb.SHEET_TOO_BIG, wb.SHEET_TOO_MANY_ROWS,
            wb.SHEET_TOO_LONG, wb.FILE_UNPACKS_TOO_LARGE, wb.FILE_TOO_LARGE}
    assert made == LIMIT_CODES


# ---------------------------------------------------------------------------- all or nothing


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(int(session.scalar(select(func.count()).select_from(model)) or 0)
                 for model in (Programme, Round, Participant, SharedMeeting, Pair))


@pytest.mark.parametrize("content", [
    pytest.param(lambda: edited(set_cell(SHEET_PARTICIPANTS, 3, "name", "#REF!")), id="error cell"),
    pytest.param(lambda: patched(SHEET_PARTICIPANTS, rows_appended(2_500, dimension=True)), id="2,500 rows"),
    pytest.param(lambda: zip_bomb(unpacked_mb=70), id="zip bomb"),
])
def test_a_refused_workbook_leaves_the_round_as_it_was(session_factory: sessionmaker[Session], content) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        assert import_round(session, base_workbook(), workspace=ONE_WORKSPACE, now=NOW).ok
    with unit_of_work(session_factory) as session:
        before = _counts(session)
        result = import_workbook_file(session, content(), workspace=ONE_WORKSPACE, now=NOW)
        assert not result.ok and result.problems
        assert _counts(session) == before
    assert base_bytes()  # the base itself still imports: the refusal is the change's


def test_mentorbot_import_names_the_sheet_and_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    path = tmp_path / "round.xlsx"
    path.write_bytes(patched(SHEET_PARTICIPANTS, rows_appended(100_000, dimension=True)))
    assert main(["import", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Participants: The sheet is" in out and "2000 rows" in out and "nothing was imported" in out
    path.write_bytes(base_bytes())
    assert main(["import", str(path), "--dry-run"]) == 0
    assert "Participants: 3 new, 0 updated" in capsys.readouterr().out, "the refusal stored no one"
