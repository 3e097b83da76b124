"""The funder's report: every sheet and chart, its numbers equal the scoreboard's, nothing
traceable to a person's answer, pseudonyms everywhere, and the programme's language."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook as LoadedWorkbook
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import t
from bot.reports import SHEETS, pseudonym, write_report
from bot.reports.workbook import TABLES, default_pseudonym_key
from bot.surveys.scoreboard import Scoreboard, Standing, compute_scoreboard
from storage.db import unit_of_work
from storage.models import MentoringSession, OutcomeStatus, Participant, Programme
from tests.support.report_round import REPORT_NOW, charts_in, people_in, seed_report_round


def _report(session: Session, round_id: int, *, language: str = "en", pseudonymise: bool = False,
            ) -> tuple[LoadedWorkbook, bytes]:
    buffer = io.BytesIO()
    write_report(session, round_ids=[round_id], out=buffer, language=language, pseudonymise=pseudonymise,
                 now=REPORT_NOW)
    data = buffer.getvalue()
    return load_workbook(io.BytesIO(data)), data


def _headers(workbook: LoadedWorkbook, sheet: str, row: int, language: str) -> list[object]:
    return [cell.value for cell in workbook[t(f"report.sheet.{sheet}", language)][row]
            if cell.value is not None]


def _expected_headers(table: str, language: str) -> list[object]:
    return [t(f"report.col.{table}.{column.key}", language) for column in TABLES[table][1]]


def _criteria_rows(workbook: LoadedWorkbook) -> list[tuple[object, ...]]:
    sheet = workbook[t("report.sheet.summary", "en")]
    rows: list[tuple[object, ...]] = []
    for row in sheet.iter_rows(min_row=3, values_only=True):
        if not any(value is not None for value in row):
            break
        rows.append(row)
    return rows


def test_every_sheet_header_and_chart_is_there_with_frozen_headers_and_filters(session: Session) -> None:
    world = seed_report_round(session)
    workbook, _ = _report(session, world.round_id)

    assert workbook.sheetnames == [t(f"report.sheet.{sheet}", "en") for sheet in SHEETS]
    assert _headers(workbook, "summary", 2, "en") == _expected_headers("criteria", "en")
    for table in ("people", "pairs", "sessions", "meetings", "responses", "outcomes"):
        assert _headers(workbook, TABLES[table][0], 1, "en") == _expected_headers(table, "en"), table
    charts = {name: charts_in(workbook, name) for name in workbook.sheetnames}
    assert charts == {"Summary": 1, "People": 0, "Pairs": 0, "Sessions": 0, "Meetings and attendance": 0,
                      "Surveys": 1, "Outcomes": 1, "Glossary": 0}
    people = workbook["People"]
    assert people.freeze_panes == "A2" and people.auto_filter.ref == f"A1:J{people.max_row}"
    assert workbook["Summary"].freeze_panes == "A3"
    assert people.column_dimensions["B"].width == 30
    sessions = workbook["Sessions"]
    assert [row[3].number_format for row in sessions.iter_rows(min_row=2)] == ["yyyy-mm-dd"] * 3
    assert sessions.max_row == 4  # the three logged 1:1s
    # Every column of every sheet is explained.
    glossary = {(row[0], row[1]) for row in workbook["Glossary"].iter_rows(min_row=2, values_only=True)}
    for table, (sheet, columns) in TABLES.items():
        for column in columns:
            assert (t(f"report.sheet.{sheet}", "en"), t(f"report.col.{table}.{column.key}", "en")) in glossary
    notes = " ".join(str(row[2]) for row in workbook["Glossary"].iter_rows(values_only=True) if row[0] == "Note")
    assert "notes of 1:1 sessions are private" in notes


def test_the_summary_surveys_and_outcomes_equal_the_scoreboard(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        world = seed_report_round(session)
    with unit_of_work(session_factory) as session:
        workbook, _ = _report(session, world.round_id)
    with unit_of_work(session_factory) as session:
        board: Scoreboard = compute_scoreboard(session, round_id=world.round_id, now=REPORT_NOW)

    rows = _criteria_rows(workbook)
    assert len(rows) == len(board.criteria)
    met = 0
    for row, standing in zip(rows, board.criteria, strict=True):
        assert row[1] == standing.statement_en
        assert row[4] == standing.answers and row[5] == standing.agreeing
        assert row[6] == (None if standing.share is None else float(standing.share))
        assert row[7] == float(standing.target)
        assert row[8] == t(f"scoreboard.standing.{standing.standing.value}", "en")
        met += standing.standing is Standing.MET
    assert met and any(standing.standing is Standing.NOT_MET for standing in board.criteria)

    surveys = list(workbook["Surveys"].iter_rows(min_row=2, values_only=True))
    assert [(row[4], row[5]) for row in surveys[:len(board.responses)]] == [
        (rate.invited, rate.answered) for rate in board.responses]
    pulse_row = surveys[len(board.responses) + 2]
    assert pulse_row[2:6] == tuple(float(pulse.mean) if pulse.mean is not None else None for pulse in board.pulses)

    outcomes = {row[1]: row[2] for row in workbook["Outcomes"].iter_rows(min_row=2, values_only=True)}
    assert board.outcomes.counts is not None
    assert outcomes == {t(f"outcomes.status.{status.value}", "en"): board.outcomes.counts[status]
                        for status in OutcomeStatus}
    key = {row[1]: row[2] for row in workbook["Summary"].iter_rows(values_only=True) if row[0] == "Spring 2027"}
    assert key["1:1 sessions logged"] == board.introductions.sessions == 3
    assert key["Introductions made by mentors"] == board.introductions.total == 5
    assert key["Participants: mentees"] == 6


def test_no_answer_of_a_person_is_in_the_file_and_the_notes_are_left_out(session: Session) -> None:
    world = seed_report_round(session)
    first = session.get_one(Participant, world.people["e1"])
    session.execute(update(MentoringSession).values(notes="Secret note about the interview"))
    workbook, data = _report(session, world.round_id)
    cells = [str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row
             if value is not None]
    assert not any("Secret note" in cell for cell in cells)
    # The People sheet has names but no survey value; the Surveys sheet has no names.
    assert first.name in cells
    survey_cells = [str(value) for row in workbook["Surveys"].iter_rows(values_only=True) for value in row]
    assert first.name not in survey_cells and first.email not in survey_cells
    assert b"Secret note" not in data


def test_pseudonymised_reports_hold_no_name_or_email_and_codes_are_stable(session: Session) -> None:
    world = seed_report_round(session)
    people = people_in(session, world)
    for person in people:  # names a code's hex digits cannot contain by chance
        person.name = f"{person.name} Kristensen"
    workbook, data = _report(session, world.round_id, pseudonymise=True)
    again, _ = _report(session, world.round_id, pseudonymise=True)
    cells = [str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row
             if value is not None]
    for person in people:
        assert not any(person.name in cell or person.email in cell for cell in cells), person.name
        assert person.name.encode() not in data and person.email.encode() not in data
    key = default_pseudonym_key(session.get_one(Programme, world.programme_id))
    mentor_code = pseudonym("m1@example.org", key)
    assert mentor_code == pseudonym(" M1@Example.org", key) and mentor_code.startswith("P-")
    people_rows = list(workbook["People"].iter_rows(min_row=2, values_only=True))
    assert (mentor_code, mentor_code) in {(row[0], row[1]) for row in people_rows}
    pairs = list(workbook["Pairs"].iter_rows(min_row=2, values_only=True))
    assert pairs[0][1] == mentor_code and pairs[0][2] == pseudonym("e1@example.org", key)
    assert [row[0:2] for row in again["People"].iter_rows(min_row=2, values_only=True)] == [
        row[0:2] for row in people_rows]


def test_a_danish_programme_gets_a_danish_report(session: Session, tmp_path: Path) -> None:
    world = seed_report_round(session, language="da")
    out = tmp_path / "rapport.xlsx"
    summary = write_report(session, round_ids=[world.round_id], out=out, language="da", pseudonymise=False,
                           now=REPORT_NOW)
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Oversigt", "Deltagere", "Par", "Mentormøder", "Møder og fremmøde",
                                   "Spørgeskemaer", "Resultater", "Ordliste"] == list(summary.sheets)
    assert _headers(workbook, "people", 1, "da")[:3] == ["Navn", "E-mail", "Rolle"]
    assert _headers(workbook, "summary", 2, "da") == _expected_headers("criteria", "da")
    assert str(workbook["Oversigt"]["A1"].value).startswith("Rapport: ")
    statuses = {row[1] for row in workbook["Resultater"].iter_rows(min_row=2, values_only=True)}
    assert "I job" in statuses
    assert summary.rows["sessions"] == 3 and summary.charts == 3
