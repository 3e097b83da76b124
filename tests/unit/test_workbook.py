"""The round workbook: parsing, every problem a coordinator can make, and round trips.

Workbooks are built in memory with openpyxl so each test shows exactly which cells a
coordinator typed, including Excel date cells next to dates written as text.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import string
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from bot.rounds import workbook as wb
from bot.rounds.workbook import (
    EXCEL_ERRORS,
    MeetingRow,
    PairRow,
    ParticipantRow,
    Problem,
    ProgrammeSettings,
    RoundWorkbook,
    read_workbook,
    workbook_bytes,
    write_template,
    write_workbook,
)
from bot.surveys.criteria import DEFAULT_CRITERIA, CriterionSpec
from storage.models import CriterionMeasure, Role, SurveyKind

Sheets = dict[str, list[list[object]]]

CATALOG_DIR = Path(__file__).resolve().parents[2] / "bot" / "i18n" / "catalogs"

GOOD: Sheets = {
    "Programme": [
        ["setting", "value"],
        ["programme", "Career Mentoring"],
        ["round", "Spring 2027"],
        ["starts_on", datetime(2027, 2, 1)],  # an Excel date cell
        ["ends_on", "31 May 2027"],  # loose text
        ["language", "DA"],
        ["coordinator_channel", "#mentoring-coordinators"],
        ["session_every_days", 10],
        ["timezone", "Europe/Copenhagen"],
    ],  # pulse_every_days and min_answers_shown left out: their defaults
    "Meetings": [
        ["Kind", "Title", "Starts at", "duration_minutes", "location"],
        ["kick_off", "Kick-off", datetime(2027, 2, 4, 17, 0), 180, "City Hall"],
        ["Midway", "Midway meeting", "2027-03-18 17:00", "120", None],
    ],
    "Participants": [
        [
            "email", "name", "role", "field", "languages", "interests",
            "company", "home_country", "language", "max_mentees", "Partner company",
        ],
        [" Mette@Example.com ", "Mette Hansen", "mentor", "IT", "Danish, English", "cloud,  hiking ",
         "Novo", "Denmark", None, 2, "ignored for a mentor"],
        ["ana@example.com", "Ana Silva", "Mentee", "IT", "English; Portuguese", None,
         None, "Brazil", "en", None, " Lyngby Pharma "],
        ["soren@example.com", "Søren Ærø", "mentee", None, None, None, None, None, "da", None,
         "A company with no contact in the sheet"],
        ["kim@example.com", "Kim Koordinator", "coordinator", None, None, None, None, None, None, None, None],
        ["hanne@lyngbypharma.dk", "Hanne Holm", "Company contact", None, None, None,
         "Lyngby Pharma", None, "da", None, None],
    ],
    "Pairs": [
        ["mentor_email", "mentee_email", "score", "reasons"],
        ["mette@example.com", "ana@example.com", 0.85, "same field"],
        ["mette@example.com", "SOREN@example.com", None, None],
    ],
    "Criteria": [
        ["key", "statement_en", "statement_da", "measure", "asked_of", "surveys", "target"],
        ["Mentee network", "Taking part has strengthened my network.", None, "Agree", "mentees",
         "midway, Final", "67%"],
        ["recommend", "I would recommend taking part.", "Jeg vil anbefale at deltage.", "recommend",
         "Mentor, mentee", None, "2/3"],
        ["employed", None, "Mentees i job efter 6 måneder.", "employed", "mentee", "not read", 33.3],
        ["company_retention", "We keep our employee.", "Vi fastholder vores medarbejder.", "agree",
         "company_contact", "not read either", "66,7 %"],
    ],
}


def build(sheets: Sheets) -> bytes:
    """An .xlsx file in memory with exactly these cell values (None leaves a cell empty)."""
    book = Workbook()
    book.remove(book.worksheets[0])  # a new workbook comes with one empty sheet
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def good() -> Sheets:
    return copy.deepcopy(GOOD)


def found(sheets: Sheets) -> list[tuple[str, int | None, str | None, str]]:
    result, problems = read_workbook(build(sheets))
    assert result is None, "a workbook with problems must not be returned"
    assert problems
    return [(p.sheet, p.row, p.column, p.code) for p in problems]


def only_problem(sheets: Sheets) -> Problem:
    _, problems = read_workbook(build(sheets))
    assert len(problems) == 1, [p.english() for p in problems]
    return problems[0]


def set_programme(sheets: Sheets, key: str, value: object) -> None:
    for row in sheets["Programme"]:
        if row[0] == key:
            row[1] = value
            return
    sheets["Programme"].append([key, value])


def set_cell(sheets: Sheets, sheet: str, excel_row: int, column: str, value: object) -> None:
    header = sheets[sheet][0]
    sheets[sheet][excel_row - 1][[str(h).lower() for h in header].index(column)] = value


# ------------------------------------------------------------------------- good input


def test_good_workbook_parses_with_excel_and_text_dates() -> None:
    result, problems = read_workbook(build(good()))
    assert problems == []
    assert result is not None
    assert result.programme == ProgrammeSettings(
        programme="Career Mentoring",
        round="Spring 2027",
        starts_on=date(2027, 2, 1),
        ends_on=date(2027, 5, 31),
        language="da",
        coordinator_channel="#mentoring-coordinators",
        session_every_days=10,
        timezone="Europe/Copenhagen",
    )
    assert result.meetings == (
        MeetingRow(row=2, kind="kick_off", title="Kick-off", starts_at=datetime(2027, 2, 4, 17, 0),
                   duration_minutes=180, location="City Hall"),
        MeetingRow(row=3, kind="midway", title="Midway meeting", starts_at=datetime(2027, 3, 18, 17, 0),
                   duration_minutes=120, location=None),
    )
    mette, ana, soren, kim, hanne = result.participants
    assert mette == ParticipantRow(
        row=2, email="mette@example.com", name="Mette Hansen", role="mentor", field="IT",
        languages=("Danish", "English"), interests=("cloud", "hiking"), company="Novo",
        home_country="Denmark", language=None, max_mentees=2, partner_company=None,  # only mentees have one
    )
    assert (ana.role, ana.languages, ana.language, ana.max_mentees) == ("mentee", ("English", "Portuguese"), "en", 1)
    assert ana.partner_company == "Lyngby Pharma"
    assert soren.name == "Søren Ærø"
    assert soren.partner_company == "A company with no contact in the sheet"  # no contact there: fine
    assert (kim.role, kim.row) == ("coordinator", 5)
    assert (hanne.role, hanne.company, hanne.language, hanne.partner_company) == (
        "company_contact", "Lyngby Pharma", "da", None)
    assert (result.programme.pulse_every_days, result.programme.min_answers_shown) == (21, 5)
    assert result.programme.retention_months == 12  # left out: the default
    assert result.pairs == (
        PairRow(row=2, mentor_email="mette@example.com", mentee_email="ana@example.com",
                extra={"score": "0.85", "reasons": "same field"}),
        PairRow(row=3, mentor_email="mette@example.com", mentee_email="soren@example.com", extra={}),
    )
    assert result.criteria == (
        CriterionSpec(key="mentee_network", measure=CriterionMeasure.AGREE, roles=(Role.MENTEE,),
                      surveys=(SurveyKind.MIDWAY, SurveyKind.FINAL), target=Fraction(67, 100),
                      statement_en="Taking part has strengthened my network.",
                      statement_da="Taking part has strengthened my network.", position=1),
        CriterionSpec(key="recommend", measure=CriterionMeasure.RECOMMEND, roles=(Role.MENTOR, Role.MENTEE),
                      surveys=(SurveyKind.MIDWAY, SurveyKind.FINAL), target=Fraction(2, 3),
                      statement_en="I would recommend taking part.", statement_da="Jeg vil anbefale at deltage.",
                      position=2),
        CriterionSpec(key="employed", measure=CriterionMeasure.EMPLOYED, roles=(Role.MENTEE,), surveys=(),
                      target=Fraction(333, 1000), statement_en="Mentees i job efter 6 måneder.",
                      statement_da="Mentees i job efter 6 måneder.", position=3),
        CriterionSpec(key="company_retention", measure=CriterionMeasure.AGREE, roles=(Role.COMPANY_CONTACT,),
                      surveys=(), target=Fraction(667, 1000), statement_en="We keep our employee.",
                      statement_da="Vi fastholder vores medarbejder.", position=4),
    )


def test_defaults_when_optional_settings_and_pairs_are_absent() -> None:
    sheets = good()
    required = ("programme", "round", "starts_on", "ends_on")
    sheets["Programme"] = [row for row in sheets["Programme"] if row[0] in required]
    del sheets["Pairs"]
    result, problems = read_workbook(build(sheets))
    assert problems == []
    assert result is not None
    assert (result.programme.language, result.programme.coordinator_channel) == ("en", None)
    assert (result.programme.session_every_days, result.programme.timezone) == (14, "Europe/Copenhagen")
    assert result.pairs == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-02-03", date(2027, 2, 3)),
        ("3 Feb 2027", date(2027, 2, 3)),
        ("3/2/2027", date(2027, 2, 3)),  # day first, as in Denmark
        ("3. februar 2027", date(2027, 2, 3)),
        ("onsdag 3. feb. 2027", date(2027, 2, 3)),
        ("February 3, 2027", date(2027, 2, 3)),
    ],
)
def test_text_dates(text: str, expected: date) -> None:
    sheets = good()
    set_programme(sheets, "starts_on", text)
    result, problems = read_workbook(build(sheets))
    assert problems == []
    assert result is not None and result.programme.starts_on == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-03-18T09:30", datetime(2027, 3, 18, 9, 30)),
        ("18 Mar 2027 9:30", datetime(2027, 3, 18, 9, 30)),
        ("18. marts 2027 kl. 17.00", datetime(2027, 3, 18, 17, 0)),
        (datetime(2027, 3, 18, 9, 29, 59, 999000), datetime(2027, 3, 18, 9, 30)),  # Excel float noise
    ],
)
def test_meeting_start_times(value: object, expected: datetime) -> None:
    sheets = good()
    set_cell(sheets, "Meetings", 3, "starts at", value)
    result, problems = read_workbook(build(sheets))
    assert problems == []
    assert result is not None and result.meetings[1].starts_at == expected


def test_headers_match_case_insensitively_in_any_order_and_blank_rows_are_skipped() -> None:
    sheets = good()
    people = sheets["Participants"]
    order = [2, 0, 1, *range(3, len(people[0]))]
    sheets["Participants"] = [[row[i] for i in order] for row in people]
    sheets["Participants"][0][:3] = ["ROLE", " Email ", "Name"]
    sheets["Participants"].insert(2, [None, "   ", None, *[None] * (len(order) - 3)])
    sheets["Participants"].append(["mentor", "extra@example.com", "Extra Person", "notes column ignored"])
    sheets["Participants"][0].append("My own notes")
    result, problems = read_workbook(build(sheets))
    assert problems == []
    assert result is not None
    assert [(p.row, p.email) for p in result.participants] == [
        (2, "mette@example.com"), (4, "ana@example.com"), (5, "soren@example.com"),
        (6, "kim@example.com"), (7, "hanne@lyngbypharma.dk"), (8, "extra@example.com"),
    ]


def test_programme_settings_are_forgiving_about_form() -> None:
    sheets = good()
    set_programme(sheets, "timezone", "europe/copenhagen")
    set_programme(sheets, "coordinator_channel", "Mentoring-Coordinators")
    set_programme(sheets, "session_every_days", "7")
    sheets["Programme"][1][0] = "  Programme "
    result, problems = read_workbook(build(sheets))
    assert problems == []
    assert result is not None
    assert result.programme.timezone == "Europe/Copenhagen"
    assert result.programme.coordinator_channel == "#mentoring-coordinators"
    assert result.programme.session_every_days == 7
    set_programme(sheets, "coordinator_channel", "C0123ABCD")
    result, _ = read_workbook(build(sheets))
    assert result is not None and result.programme.coordinator_channel == "C0123ABCD"


@pytest.mark.parametrize(
    ("typed", "weekday"),
    [("monday", 0), ("Mandag", 0), (" TUESDAY ", 1), ("onsdag", 2), ("lørdag", 5), ("Søndag", 6), (1, 0), ("7", 6), (5.0, 4)],
)
def test_digest_weekday_in_english_danish_or_as_a_number_from_monday_1(typed: object, weekday: int) -> None:
    sheets = good()
    set_programme(sheets, "digest_weekday", typed)
    set_programme(sheets, "digest_hour", "7")
    result, problems = read_workbook(build(sheets))
    assert problems == []
    assert result is not None
    assert (result.programme.digest_weekday, result.programme.digest_hour) == (weekday, 7)


def test_digest_defaults_to_monday_at_nine_and_the_template_says_so() -> None:
    result, problems = read_workbook(build(good()))
    assert problems == [] and result is not None
    assert (result.programme.digest_weekday, result.programme.digest_hour) == (0, 9)
    buffer = io.BytesIO()
    wb.write_template(buffer)
    template = load_workbook(io.BytesIO(buffer.getvalue()))
    settings_rows = {row[0]: row[1] for row in template["Programme"].iter_rows(min_row=2, values_only=True)}
    assert (settings_rows["digest_weekday"], settings_rows["digest_hour"]) == ("monday", 9)


def test_reads_paths_strings_and_streams(tmp_path: Path) -> None:
    data = build(good())
    path = tmp_path / "round.xlsx"
    path.write_bytes(data)
    for source in (path, str(path), io.BytesIO(data), data):
        result, problems = read_workbook(source)
        assert problems == [] and result is not None


# --------------------------------------------------------------------- each problem


def drop_sheet(name: str) -> Callable[[Sheets], None]:
    def drop(sheets: Sheets) -> None:
        del sheets[name]
    return drop


def drop_column(sheet: str, column: str) -> Callable[[Sheets], None]:
    def change(s: Sheets) -> None:
        index = [str(h).lower() for h in s[sheet][0]].index(column)
        s[sheet] = [row[:index] + row[index + 1:] for row in s[sheet]]
    return change


def drop_columns(sheet: str, *columns: str) -> Callable[[Sheets], None]:
    def change(s: Sheets) -> None:
        for column in columns:
            drop_column(sheet, column)(s)
    return change


def cell(sheet: str, excel_row: int, column: str, value: object) -> Callable[[Sheets], None]:
    return lambda s: set_cell(s, sheet, excel_row, column, value)


def setting(key: str, value: object) -> Callable[[Sheets], None]:
    return lambda s: set_programme(s, key, value)


def remove_setting(key: str) -> Callable[[Sheets], None]:
    def change(s: Sheets) -> None:
        s["Programme"] = [row for row in s["Programme"] if row[0] != key]
    return change


def add_row(sheet: str, row: list[object]) -> Callable[[Sheets], None]:
    return lambda s: s[sheet].append(row)


CASES: list[tuple[str, Callable[[Sheets], None], tuple[str, int | None, str | None, str]]] = [
    ("missing Programme", drop_sheet("Programme"), ("Programme", None, None, wb.SHEET_MISSING)),
    ("missing Meetings", drop_sheet("Meetings"), ("Meetings", None, None, wb.SHEET_MISSING)),
    ("missing Participants", drop_sheet("Participants"), ("Participants", None, None, wb.SHEET_MISSING)),
    ("missing header", drop_column("Participants", "role"), ("Participants", 1, None, wb.HEADER_MISSING)),
    ("missing meeting header", drop_column("Meetings", "kind"), ("Meetings", 1, None, wb.HEADER_MISSING)),
    ("missing pairs header", drop_column("Pairs", "mentee_email"), ("Pairs", 1, None, wb.HEADER_MISSING)),
    ("duplicate header", lambda s: s["Meetings"][0].__setitem__(4, "TITLE"),
     ("Meetings", 1, None, wb.HEADER_DUPLICATE)),
    ("missing setting", remove_setting("round"), ("Programme", None, None, wb.VALUE_MISSING)),
    ("empty setting", setting("programme", "  "), ("Programme", 2, None, wb.VALUE_MISSING)),
    ("unknown setting", add_row("Programme", ["colour", "blue"]), ("Programme", 10, None, wb.SETTING_UNKNOWN)),
    ("duplicate setting", add_row("Programme", ["round", "Autumn"]), ("Programme", 10, None, wb.SETTING_DUPLICATE)),
    ("missing name", cell("Participants", 3, "name", " "), ("Participants", 3, "name", wb.VALUE_MISSING)),
    ("missing title", cell("Meetings", 2, "title", None), ("Meetings", 2, "title", wb.VALUE_MISSING)),
    ("missing mentee", cell("Pairs", 2, "mentee_email", None), ("Pairs", 2, "mentee_email", wb.VALUE_MISSING)),
    ("bad email", cell("Participants", 4, "email", "bob@"), ("Participants", 4, "email", wb.EMAIL_INVALID)),
    ("bad pair email", cell("Pairs", 3, "mentee_email", "soren at example"),
     ("Pairs", 3, "mentee_email", wb.EMAIL_INVALID)),
    ("duplicate email", cell("Participants", 5, "email", "ANA@example.com"),
     ("Participants", 5, "email", wb.EMAIL_DUPLICATE)),
    ("unknown role", cell("Participants", 5, "role", "boss"), ("Participants", 5, "role", wb.ROLE_UNKNOWN)),
    ("unknown kind", cell("Meetings", 3, "kind", "party"), ("Meetings", 3, "kind", wb.KIND_UNKNOWN)),
    ("unknown participant language", cell("Participants", 3, "language", "fr"),
     ("Participants", 3, "language", wb.LANGUAGE_UNKNOWN)),
    ("unknown programme language", setting("language", "Danish"), ("Programme", 6, None, wb.LANGUAGE_UNKNOWN)),
    ("bad date", setting("starts_on", "31 Febtember"), ("Programme", 4, None, wb.DATE_INVALID)),
    ("incomplete date", setting("starts_on", "Feb 2027"), ("Programme", 4, None, wb.DATE_INVALID)),
    ("number as date", setting("ends_on", 46000), ("Programme", 5, None, wb.DATE_INVALID)),
    ("bad datetime", cell("Meetings", 3, "starts at", "soon"), ("Meetings", 3, "starts_at", wb.DATETIME_INVALID)),
    ("text without time", cell("Meetings", 3, "starts at", "2027-03-18"),
     ("Meetings", 3, "starts_at", wb.DATETIME_NO_TIME)),
    ("date cell without time", cell("Meetings", 2, "starts at", datetime(2027, 2, 4)),
     ("Meetings", 2, "starts_at", wb.DATETIME_NO_TIME)),
    ("bad duration int", cell("Meetings", 2, "duration_minutes", "two hours"),
     ("Meetings", 2, "duration_minutes", wb.INT_INVALID)),
    ("bad max_mentees", cell("Participants", 2, "max_mentees", "many"),
     ("Participants", 2, "max_mentees", wb.INT_INVALID)),
    ("bad session_every_days", setting("session_every_days", "fortnightly"), ("Programme", 8, None, wb.INT_INVALID)),
    ("fractional int", setting("session_every_days", 2.5), ("Programme", 8, None, wb.INT_INVALID)),
    ("zero max_mentees", cell("Participants", 2, "max_mentees", 0),
     ("Participants", 2, "max_mentees", wb.INT_TOO_SMALL)),
    ("zero session_every_days", setting("session_every_days", 0), ("Programme", 8, None, wb.INT_TOO_SMALL)),
    ("zero duration", cell("Meetings", 2, "duration_minutes", 0),
     ("Meetings", 2, "duration_minutes", wb.DURATION_OUT_OF_RANGE)),
    ("long duration", cell("Meetings", 3, "duration_minutes", "1441"),
     ("Meetings", 3, "duration_minutes", wb.DURATION_OUT_OF_RANGE)),
    ("unknown time zone", setting("timezone", "Europe/Aarhus"), ("Programme", 9, None, wb.TIMEZONE_UNKNOWN)),
    ("bad channel", setting("coordinator_channel", "#mentoring coordinators!"),
     ("Programme", 7, None, wb.CHANNEL_INVALID)),
    ("end before start", setting("ends_on", "2027-01-31"), ("Programme", 5, None, wb.ROUND_END_BEFORE_START)),
    ("meeting outside round", cell("Meetings", 3, "starts at", "2027-06-01 17:00"),
     ("Meetings", 3, "starts_at", wb.MEETING_OUTSIDE_ROUND)),
    ("meeting before round", cell("Meetings", 2, "starts at", datetime(2027, 1, 31, 23, 59)),
     ("Meetings", 2, "starts_at", wb.MEETING_OUTSIDE_ROUND)),
    ("pair unknown person", cell("Pairs", 3, "mentee_email", "nobody@example.com"),
     ("Pairs", 3, "mentee_email", wb.PAIR_UNKNOWN_PERSON)),
    ("pair mentor is a mentee", cell("Pairs", 3, "mentor_email", "ana@example.com"),
     ("Pairs", 3, "mentor_email", wb.PAIR_WRONG_ROLE)),
    ("pair mentee is a coordinator", cell("Pairs", 3, "mentee_email", "kim@example.com"),
     ("Pairs", 3, "mentee_email", wb.PAIR_WRONG_ROLE)),
    ("duplicate pair", add_row("Pairs", ["Mette@example.com", "ana@example.com"]),
     ("Pairs", 4, None, wb.PAIR_DUPLICATE)),
    ("over capacity", cell("Participants", 2, "max_mentees", 1),
     ("Pairs", 3, "mentor_email", wb.PAIR_OVER_CAPACITY)),
    ("company contact without company", cell("Participants", 6, "company", " "),
     ("Participants", 6, "company", wb.COMPANY_MISSING)),
    ("company contact as a mentee in a pair", cell("Pairs", 3, "mentee_email", "hanne@lyngbypharma.dk"),
     ("Pairs", 3, "mentee_email", wb.PAIR_WRONG_ROLE)),
    ("zero pulse_every_days", setting("pulse_every_days", 0), ("Programme", 10, None, wb.INT_TOO_SMALL)),
    ("pulse_every_days over a year", setting("pulse_every_days", "366"), ("Programme", 10, None, wb.INT_TOO_LARGE)),
    ("fractional pulse_every_days", setting("pulse_every_days", 7.5), ("Programme", 10, None, wb.INT_INVALID)),
    ("min_answers_shown below 3", setting("min_answers_shown", 2), ("Programme", 10, None, wb.ANONYMITY_TOO_LOW)),
    ("min_answers_shown not a number", setting("min_answers_shown", "five"), ("Programme", 10, None, wb.INT_INVALID)),
    ("digest_weekday not a day", setting("digest_weekday", "someday"), ("Programme", 10, None, wb.WEEKDAY_UNKNOWN)),
    ("digest_weekday 8", setting("digest_weekday", 8), ("Programme", 10, None, wb.WEEKDAY_UNKNOWN)),
    ("digest_weekday 0 (Monday is 1)", setting("digest_weekday", 0), ("Programme", 10, None, wb.WEEKDAY_UNKNOWN)),
    ("digest_hour 24", setting("digest_hour", 24), ("Programme", 10, None, wb.INT_TOO_LARGE)),
    ("digest_hour negative", setting("digest_hour", -1), ("Programme", 10, None, wb.INT_TOO_SMALL)),
    ("retention_months 0", setting("retention_months", 0), ("Programme", 10, None, wb.INT_TOO_SMALL)),
    ("retention_months over ten years", setting("retention_months", 121), ("Programme", 10, None, wb.INT_TOO_LARGE)),
    ("retention_months not a number", setting("retention_months", "a year"), ("Programme", 10, None, wb.INT_INVALID)),
    ("criteria: missing target column", drop_column("Criteria", "target"), ("Criteria", 1, None, wb.HEADER_MISSING)),
    ("criteria: no statement column", drop_columns("Criteria", "statement_en", "statement_da"),
     ("Criteria", 1, None, wb.HEADER_MISSING)),
    ("criteria: unknown role", cell("Criteria", 2, "asked_of", "mentees, bosses"),
     ("Criteria", 2, "asked_of", wb.CRITERION_ROLE_UNKNOWN)),
    ("criteria: coordinators are not asked", cell("Criteria", 2, "asked_of", "coordinator"),
     ("Criteria", 2, "asked_of", wb.CRITERION_ROLE_UNKNOWN)),
    ("criteria: nobody asked", cell("Criteria", 2, "asked_of", " , "), ("Criteria", 2, "asked_of", wb.VALUE_MISSING)),
    ("criteria: unknown measure", cell("Criteria", 3, "measure", "vibes"),
     ("Criteria", 3, "measure", wb.CRITERION_MEASURE_UNKNOWN)),
    ("criteria: unknown survey", cell("Criteria", 2, "surveys", "midway, kick_off"),
     ("Criteria", 2, "surveys", wb.CRITERION_SURVEY_UNKNOWN)),
    ("criteria: agree without surveys", cell("Criteria", 2, "surveys", None),
     ("Criteria", 2, "surveys", wb.CRITERION_SURVEYS_MISSING)),
    ("criteria: target over 100 %", cell("Criteria", 3, "target", "150%"),
     ("Criteria", 3, "target", wb.TARGET_OUT_OF_RANGE)),
    ("criteria: negative target", cell("Criteria", 4, "target", -5),
     ("Criteria", 4, "target", wb.TARGET_OUT_OF_RANGE)),
    ("criteria: fraction over 1", cell("Criteria", 4, "target", "4/3"),
     ("Criteria", 4, "target", wb.TARGET_OUT_OF_RANGE)),
    ("criteria: unreadable target", cell("Criteria", 5, "target", "most of them"),
     ("Criteria", 5, "target", wb.TARGET_INVALID)),
    ("criteria: divided by zero", cell("Criteria", 5, "target", "2/0"), ("Criteria", 5, "target", wb.TARGET_INVALID)),
    ("criteria: 0.8 of what", cell("Criteria", 5, "target", 0.8), ("Criteria", 5, "target", wb.TARGET_AMBIGUOUS)),
    ("criteria: missing target", cell("Criteria", 5, "target", None), ("Criteria", 5, "target", wb.VALUE_MISSING)),
    ("criteria: missing key", cell("Criteria", 3, "key", None), ("Criteria", 3, "key", wb.VALUE_MISSING)),
    ("criteria: duplicate key", cell("Criteria", 5, "key", "MENTEE-NETWORK"),
     ("Criteria", 5, "key", wb.CRITERION_DUPLICATE)),
    ("criteria: key with odd characters", cell("Criteria", 5, "key", "2nd criterion!"),
     ("Criteria", 5, "key", wb.CRITERION_KEY_INVALID)),
    ("criteria: the comment key", cell("Criteria", 5, "key", "Comment"), ("Criteria", 5, "key", wb.CRITERION_KEY_RESERVED)),
    ("criteria: recommend as an agree key", cell("Criteria", 3, "measure", "agree"),
     ("Criteria", 3, "key", wb.CRITERION_KEY_RESERVED)),
    ("criteria: no statement", cell("Criteria", 4, "statement_da", None),
     ("Criteria", 4, "statement_en", wb.CRITERION_NO_STATEMENT)),
    ("criteria: employed asked of mentors", cell("Criteria", 4, "asked_of", "mentor, mentee"),
     ("Criteria", 4, "asked_of", wb.CRITERION_EMPLOYED_ROLES)),
    ("criteria: recommend asked of companies", cell("Criteria", 3, "asked_of", "mentee, company_contact"),
     ("Criteria", 3, "asked_of", wb.CRITERION_RECOMMEND_ROLES)),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_reported_where_it_is(
    change: Callable[[Sheets], None], expected: tuple[str, int | None, str | None, str]
) -> None:
    sheets = good()
    change(sheets)
    result, problems = read_workbook(build(sheets))
    assert result is None
    assert expected in [(p.sheet, p.row, p.column, p.code) for p in problems], [p.english() for p in problems]
    for problem in problems:
        text = problem.english()
        assert problem.code not in text, text  # the catalog has the code
        assert "{" not in text, text  # every placeholder was given a parameter


LIMIT_CODES = {wb.FILE_TOO_LARGE, wb.FILE_UNPACKS_TOO_LARGE, wb.SHEET_TOO_BIG, wb.SHEET_TOO_MANY_ROWS,
               wb.SHEET_TOO_LONG, wb.CELL_ERROR, wb.CELL_FORMULA_NO_VALUE, wb.CELL_BOOLEAN}


def test_every_problem_code_is_covered_by_a_case() -> None:
    covered = {case[2][3] for case in CASES} | {wb.FILE_UNREADABLE, wb.PAIR_MENTEE_TWICE, wb.VALUE_TOO_LONG}
    covered |= LIMIT_CODES  # each made by a hostile workbook in tests/unit/test_workbook_limits.py
    assert covered == set(wb.PROBLEM_CODES)


@pytest.mark.parametrize(
    ("typed", "share"),
    [
        ("67%", Fraction(67, 100)),
        ("66.7", Fraction(667, 1000)),
        (66.7, Fraction(667, 1000)),
        ("66,7 %", Fraction(667, 1000)),  # a Danish decimal comma
        ("2/3", Fraction(2, 3)),
        (" 4 / 5 ", Fraction(4, 5)),
        (80, Fraction(4, 5)),
        ("100%", Fraction(1)),
        (0, Fraction(0)),
        ("0 %", Fraction(0)),
        (200 / 3, Fraction(2, 3)),  # a formula's 66.666…: two thirds, not a long decimal
        ("33.33", Fraction(3333, 10000)),
    ],
)
def test_targets_written_the_ways_people_write_them(typed: object, share: Fraction) -> None:
    sheets = good()
    set_cell(sheets, "Criteria", 2, "target", typed)
    result, problems = read_workbook(build(sheets))
    assert problems == [] and result is not None and result.criteria is not None
    assert result.criteria[0].target == share


@pytest.mark.parametrize(
    ("value", "number_format", "share"),
    [
        (0.667, "0.0%", Fraction(667, 1000)),
        (2 / 3, "0.00%", Fraction(2, 3)),
        (0.8, "0%", Fraction(4, 5)),
        (0.008, "0.0%", Fraction(1, 125)),  # 0.8 %: the format says so, so it is not ambiguous
        (1, "0%", Fraction(1)),
    ],
)
def test_a_percent_formatted_excel_cell_is_a_share(value: float, number_format: str, share: Fraction) -> None:
    """openpyxl gives 0.667 for a cell Excel shows as 66.7 %; only its number format tells."""
    book = load_workbook(io.BytesIO(build(good())))
    target = book["Criteria"]["G2"]
    target.value = value
    target.number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    result, problems = read_workbook(buffer.getvalue())
    assert [p.english() for p in problems] == [] and result is not None and result.criteria is not None
    assert result.criteria[0].target == share


def test_a_percent_cell_over_100_percent_is_refused_with_its_row() -> None:
    book = load_workbook(io.BytesIO(build(good())))
    book["Criteria"]["G3"].value = 1.5
    book["Criteria"]["G3"].number_format = "0%"
    buffer = io.BytesIO()
    book.save(buffer)
    result, problems = read_workbook(buffer.getvalue())
    assert result is None
    assert [p.english() for p in problems] == [
        'Criteria row 3, column target: The target "150%" is outside 0 to 100 %. Write a share like 80%, 66.7 or 2/3.'
    ]


def test_without_a_criteria_sheet_or_with_an_empty_one_the_programme_keeps_its_criteria() -> None:
    header_only: list[list[object]] = [["key", "statement_en", "measure", "asked_of", "target"]]
    for criteria_sheet in (None, [], header_only):
        sheets = good()
        if criteria_sheet is None:
            del sheets["Criteria"]
        else:
            sheets["Criteria"] = criteria_sheet
        result, problems = read_workbook(build(sheets))
        assert problems == [] and result is not None
        assert result.criteria is None, criteria_sheet


def test_criteria_keys_and_lists_are_forgiving_about_form() -> None:
    sheets = good()
    sheets["Criteria"][0] = ["Key", "Statement EN", "statement-da", "MEASURE", "Asked of", "Surveys", "Target"]
    set_cell(sheets, "Criteria", 2, "asked of", "Mentees; mentors, mentee")
    set_cell(sheets, "Criteria", 2, "surveys", "FINAL")
    result, problems = read_workbook(build(sheets))
    assert problems == [] and result is not None and result.criteria is not None
    first = result.criteria[0]
    assert (first.key, first.roles, first.surveys) == ("mentee_network", (Role.MENTOR, Role.MENTEE), (SurveyKind.FINAL,))


def test_a_criteria_problem_names_sheet_row_and_column_in_both_languages() -> None:
    sheets = good()
    set_cell(sheets, "Criteria", 3, "key", "Mentee network")
    problem = only_problem(sheets)
    assert problem.english() == (
        'Criteria row 3, column key: The criterion "mentee_network" is already in row 2. Each key can appear only once.'
    )
    danish = json.loads((CATALOG_DIR / "workbook.da.json").read_text(encoding="utf-8"))
    assert problem.render(danish) == (
        'Arket Criteria, række 3, kolonne key: Succeskriteriet "mentee_network" står allerede i række 2. '
        "Hver nøgle må kun stå der én gang."
    )


def test_several_criteria_problems_are_all_reported_after_the_other_sheets() -> None:
    sheets = good()
    set_cell(sheets, "Criteria", 2, "asked_of", "bosses")
    set_cell(sheets, "Criteria", 2, "target", "lots")
    set_cell(sheets, "Criteria", 4, "measure", "vibes")
    set_cell(sheets, "Participants", 3, "role", "mentorr")
    assert found(sheets) == [
        ("Participants", 3, "role", wb.ROLE_UNKNOWN),
        ("Criteria", 2, "asked_of", wb.CRITERION_ROLE_UNKNOWN),
        ("Criteria", 2, "target", wb.TARGET_INVALID),
        ("Criteria", 4, "measure", wb.CRITERION_MEASURE_UNKNOWN),
    ]


def test_surveys_are_not_read_where_they_mean_nothing() -> None:
    """Employment is no question and a company contact has one survey: "not read" is fine there."""
    result, problems = read_workbook(build(good()))
    assert problems == [] and result is not None and result.criteria is not None
    assert [spec.surveys for spec in result.criteria[2:]] == [(), ()]


def test_bad_email_message_in_english() -> None:
    sheets = good()
    set_cell(sheets, "Participants", 5, "email", "bob@")
    problem = only_problem(sheets)
    assert problem == Problem(
        sheet="Participants", row=5, column="email", code=wb.EMAIL_INVALID, params={"value": "bob@"}
    )
    assert problem.english() == 'Participants row 5, column email: "bob@" is not a valid email address.'


def test_duplicate_email_names_the_first_row() -> None:
    sheets = good()
    set_cell(sheets, "Participants", 5, "email", " ANA@example.com")
    problem = only_problem(sheets)
    assert (problem.code, problem.params["first_row"]) == (wb.EMAIL_DUPLICATE, "3")


def test_mentee_in_two_pairs() -> None:
    sheets = good()
    sheets["Participants"].append(["lars@example.com", "Lars", "mentor"])
    sheets["Pairs"].append(["lars@example.com", "ana@example.com"])
    problem = only_problem(sheets)
    assert (problem.sheet, problem.row, problem.column, problem.code) == (
        "Pairs", 4, "mentee_email", wb.PAIR_MENTEE_TWICE
    )
    assert problem.params == {"value": "ana@example.com", "first_row": "2"}


def test_over_capacity_params_and_text() -> None:
    sheets = good()
    set_cell(sheets, "Participants", 2, "max_mentees", None)  # blank means 1
    problem = only_problem(sheets)
    assert problem.params == {"value": "mette@example.com", "count": "2", "max_mentees": "1"}
    assert problem.english() == (
        'Pairs row 3, column mentor_email: The mentor "mette@example.com" is in 2 pairs, '
        "but max_mentees in the Participants sheet allows 1."
    )


def test_max_mentees_is_ignored_for_non_mentors() -> None:
    sheets = good()
    set_cell(sheets, "Participants", 3, "max_mentees", "n/a")
    result, problems = read_workbook(build(sheets))
    assert problems == [] and result is not None
    assert result.participants[1].max_mentees == 1


def test_unreadable_file() -> None:
    result, problems = read_workbook(b"name,email\nbob,bob@example.com\n")
    assert result is None
    assert [(p.sheet, p.row, p.column, p.code) for p in problems] == [("", None, None, wb.FILE_UNREADABLE)]
    assert problems[0].english().startswith("The file could not be read")


def test_empty_pairs_sheet_means_no_pairs() -> None:
    sheets = good()
    sheets["Pairs"] = []
    result, problems = read_workbook(build(sheets))
    assert problems == [] and result is not None and result.pairs == ()


def test_several_problems_are_all_reported_in_reading_order() -> None:
    sheets = good()
    set_programme(sheets, "timezone", "Mars/Olympus")
    set_programme(sheets, "ends_on", "1 Jan 2027")
    set_cell(sheets, "Meetings", 2, "kind", "party")
    set_cell(sheets, "Meetings", 2, "duration_minutes", -5)
    set_cell(sheets, "Participants", 4, "email", "soren@")
    set_cell(sheets, "Participants", 3, "role", "mentorr")
    set_cell(sheets, "Participants", 5, "name", None)
    sheets["Pairs"].append(["nobody@example.com", "ana@example.com"])
    found_problems = found(sheets)
    assert found_problems == [
        ("Programme", 5, None, wb.ROUND_END_BEFORE_START),
        ("Programme", 9, None, wb.TIMEZONE_UNKNOWN),
        ("Meetings", 2, "kind", wb.KIND_UNKNOWN),
        ("Meetings", 2, "duration_minutes", wb.DURATION_OUT_OF_RANGE),
        ("Participants", 3, "role", wb.ROLE_UNKNOWN),
        ("Participants", 4, "email", wb.EMAIL_INVALID),
        ("Participants", 5, "name", wb.VALUE_MISSING),
        ("Pairs", 3, "mentee_email", wb.PAIR_UNKNOWN_PERSON),
        ("Pairs", 4, "mentor_email", wb.PAIR_UNKNOWN_PERSON),
        ("Pairs", 4, "mentee_email", wb.PAIR_MENTEE_TWICE),
    ]


def test_missing_sheets_and_columns_do_not_stop_other_checks() -> None:
    sheets = good()
    del sheets["Programme"]
    drop_column("Participants", "name")(sheets)
    set_cell(sheets, "Participants", 2, "email", "mette")
    codes = found(sheets)
    assert ("Programme", None, None, wb.SHEET_MISSING) in codes
    assert ("Participants", 1, None, wb.HEADER_MISSING) in codes
    assert ("Participants", 2, "email", wb.EMAIL_INVALID) in codes
    assert ("Pairs", 2, "mentor_email", wb.PAIR_UNKNOWN_PERSON) in codes


def test_problems_sort_by_sheet_then_row_then_column() -> None:
    def problem(sheet: str, row: int | None, column: str | None) -> Problem:
        return Problem(sheet=sheet, row=row, column=column, code=wb.VALUE_MISSING, params={})

    ordered = [
        problem("", None, None),
        problem("Programme", None, None),
        problem("Programme", 3, None),
        problem("Meetings", 1, None),
        problem("Meetings", 2, "kind"),
        problem("Meetings", 2, "title"),
        problem("Meetings", 10, "kind"),
        problem("Participants", 2, "email"),
        problem("Pairs", 2, "mentor_email"),
    ]
    backwards = list(reversed(ordered))  # sorting must reorder, not keep what it was given
    assert sorted(backwards) == ordered


def test_location_prefixes() -> None:
    sheet_level = Problem(sheet="Meetings", row=None, column=None, code=wb.SHEET_MISSING, params={"sheet": "Meetings"})
    assert sheet_level.english() == (
        'Meetings: The workbook has no sheet named "Meetings". Add it, or start from the template.'
    )
    row_level = Problem(sheet="Pairs", row=4, column=None, code=wb.PAIR_DUPLICATE, params={"first_row": "2"})
    assert row_level.english() == "Pairs row 4: This pair is already listed in row 2."
    danish = json.loads((CATALOG_DIR / "workbook.da.json").read_text(encoding="utf-8"))
    assert row_level.render(danish) == "Arket Pairs, række 4: Dette par står allerede i række 2."
    unknown = Problem(sheet="Pairs", row=4, column=None, code="workbook.nope", params={"x": "1"})
    assert unknown.english() == "Pairs row 4: workbook.nope (x=1)"


# ------------------------------------------------------------------ template, export


def test_template_reads_back_without_problems(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    result, problems = read_workbook(path)
    assert problems == []
    assert result is not None
    assert len(result.meetings) == 1
    assert [p.role for p in result.participants] == ["mentor", "mentee", "company_contact"]
    assert result.participants[1].partner_company == result.participants[2].company  # the example links them
    assert len(result.pairs) == 1
    assert result.criteria == DEFAULT_CRITERIA  # the eight of the programme brief, exactly (2/3 stays 2/3)
    assert (result.programme.pulse_every_days, result.programme.min_answers_shown) == (21, 5)

    book = load_workbook(path)
    assert book.sheetnames == ["Instructions", "Programme", "Meetings", "Participants", "Pairs", "Criteria"]
    instructions = " ".join(str(c.value) for c in book["Instructions"]["A"] if c.value)
    for word in ("email", "mentor_course", "interview_workshop", "comma", "updates", "company_contact",
                 "partner_company", "pulse_every_days", "min_answers_shown", "Criteria sheet", "asked_of",
                 "recommend", "employed", "2/3"):
        assert word in instructions, word
    for name in ("Programme", "Meetings", "Participants", "Pairs", "Criteria"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert all(c.font.bold for c in sheet[1] if c.value)
        assert sheet.column_dimensions["A"].width > 10
    lists = {
        (name, str(v.sqref)): v.formula1
        for name in ("Programme", "Meetings", "Participants", "Criteria")
        for v in book[name].data_validations.dataValidation
        if v.type == "list"
    }
    participants = [c.value for c in book["Participants"][1]]
    column = {name: chr(ord("A") + participants.index(name)) for name in participants}
    assert lists[("Meetings", "A2:A1000")] == '"' + ",".join(wb.MEETING_KINDS) + '"'
    assert lists[("Participants", f"{column['role']}2:{column['role']}1000")] == (
        '"mentor,mentee,coordinator,company_contact"')
    assert lists[("Participants", f"{column['language']}2:{column['language']}1000")] == '"en,da"'
    assert lists[("Programme", "B6")] == '"en,da"'
    assert lists[("Criteria", "D2:D1000")] == '"agree,recommend,employed"'

    criteria = book["Criteria"]
    assert [c.value for c in criteria[1]] == list(wb.CRITERION_COLUMNS)
    two_thirds, four_fifths = criteria["G2"], criteria["G5"]
    assert (criteria["A2"].value, criteria["A5"].value) == ("mentor_network", "mentee_job_search")
    assert (two_thirds.value, two_thirds.number_format) == (2 / 3, "0.00%")  # Excel shows 66.67%
    assert (four_fifths.value, four_fifths.number_format) == (0.8, "0%")  # Excel shows 80%
    employed = next(row for row in criteria.iter_rows(min_row=2) if row[0].value == "mentee_employed")
    assert employed[5].value is None  # surveys: not asked in a survey, so left empty


def test_export_writes_proposal_columns_in_order() -> None:
    template = io.BytesIO()
    write_template(template)
    result, _ = read_workbook(template.getvalue())
    assert result is not None
    pair = dataclasses.replace(result.pairs[0], extra={"reasons": "same field, both hike", "score": "0.91"})
    proposal = dataclasses.replace(result, pairs=(pair,))
    data = workbook_bytes(proposal, pair_extra_columns=("score", "reasons"))
    sheet = load_workbook(io.BytesIO(data))["Pairs"]
    assert [c.value for c in sheet[1]] == ["mentor_email", "mentee_email", "score", "reasons"]
    assert sheet["C2"].value == 0.91  # a number Excel can sort by
    again, problems = read_workbook(data)
    assert problems == [] and again == proposal


def test_export_keeps_awkward_text_as_text(tmp_path: Path) -> None:
    result, _ = read_workbook(build(good()))
    assert result is not None
    person = dataclasses.replace(
        result.participants[0], name="=SUM(A1)", company="007", interests=("sales, marketing", "golf")
    )
    changed = dataclasses.replace(result, participants=(person, *result.participants[1:]))
    path = tmp_path / "export.xlsx"
    write_workbook(path, changed)
    again, problems = read_workbook(path)
    assert problems == [] and again is not None
    assert again.participants[0].name == "=SUM(A1)"
    assert again.participants[0].company == "007"
    assert again.participants[0].interests == ("sales", "marketing", "golf")  # split, never mangled


# --------------------------------------------------------------- round trip property

# Control characters cannot be stored in .xlsx; surrounding whitespace is stripped on read.
# Excel's error values ("#DIV/0!") are refused on read even as text, on purpose: rows are
# read as values, where a failed formula and the same text look alike
# (tests/unit/test_workbook_limits.py), so they cannot round-trip.
TEXT = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Cn")), min_size=1, max_size=16
).map(str.strip).filter(bool).filter(lambda text: text.upper() not in EXCEL_ERRORS)
# List items are comma-separated, so an item can never contain a separator.
ITEM = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Cn"), exclude_characters=",;"), min_size=1, max_size=12
).map(str.strip).filter(bool)
OPTIONAL = st.none() | TEXT
EMAIL = st.from_regex(r"\A[a-z0-9]{1,8}(\.[a-z0-9_+-]{1,5})?@[a-z0-9]{1,8}\.(dk|com|org)\Z")
NUMBER_TEXT = st.floats(0, 1, allow_nan=False).map(repr) | st.integers(-999, 999).map(str)


# Targets as coordinators write them: whole and decimal percentages, simple fractions.
TARGETS = (
    st.integers(0, 100).map(lambda n: Fraction(n, 100))
    | st.integers(0, 10000).map(lambda n: Fraction(n, 10000))
    | st.tuples(st.integers(1, 12), st.integers(0, 12)).filter(lambda t: t[1] <= t[0]).map(lambda t: Fraction(t[1], t[0]))
)
KEYS = st.from_regex(r"\A[a-z][a-z0-9_]{0,30}\Z").filter(lambda key: key not in wb.RESERVED_CRITERION_KEYS)


def _some(draw: st.DrawFn, items: tuple[str, ...]) -> tuple[str, ...]:
    chosen = set(draw(st.lists(st.sampled_from(items), min_size=1, unique=True)))
    return tuple(item for item in items if item in chosen)


@st.composite
def criteria_sheets(draw: st.DrawFn) -> tuple[CriterionSpec, ...]:
    """Criteria a coordinator could write: each measure with whom and when it may be asked."""
    keys = draw(st.lists(KEYS, min_size=1, max_size=6, unique=True))
    criteria = []
    for position, key in enumerate(keys, start=1):
        measure = draw(st.sampled_from(CriterionMeasure))
        if measure is CriterionMeasure.EMPLOYED:
            roles: tuple[str, ...] = ("mentee",)
            surveys: tuple[str, ...] = ()
        elif measure is CriterionMeasure.RECOMMEND:
            roles = _some(draw, ("mentor", "mentee"))
            surveys = _some(draw, wb.CRITERION_SURVEYS)
        else:
            roles = _some(draw, wb.CRITERION_ROLES)
            surveys = _some(draw, wb.CRITERION_SURVEYS) if {"mentor", "mentee"} & set(roles) else ()
        criteria.append(CriterionSpec(
            key=key, measure=measure, roles=tuple(Role(role) for role in roles),
            surveys=tuple(SurveyKind(kind) for kind in surveys), target=draw(TARGETS),
            statement_en=draw(TEXT), statement_da=draw(TEXT), position=position,
        ))
    return tuple(criteria)


@st.composite
def round_workbooks(draw: st.DrawFn) -> RoundWorkbook:
    starts_on = draw(st.dates(date(2020, 1, 1), date(2035, 12, 31)))
    ends_on = starts_on + timedelta(days=draw(st.integers(0, 400)))
    programme = ProgrammeSettings(
        programme=draw(TEXT),
        round=draw(TEXT),
        starts_on=starts_on,
        ends_on=ends_on,
        language=draw(st.sampled_from(wb.LANGUAGES)),
        coordinator_channel=draw(
            st.none() | st.from_regex(r"\A#[a-z0-9_-]{1,20}\Z") | st.from_regex(r"\AC[A-Z0-9]{8}\Z")
        ),
        session_every_days=draw(st.integers(1, 60)),
        timezone=draw(st.sampled_from(["Europe/Copenhagen", "UTC", "America/Sao_Paulo", "Asia/Kolkata"])),
        pulse_every_days=draw(st.integers(1, 365)),
        min_answers_shown=draw(st.integers(3, 1000)),
    )
    span = (ends_on - starts_on).days
    meetings = tuple(
        MeetingRow(
            row=0,
            kind=draw(st.sampled_from(wb.MEETING_KINDS)),
            title=draw(TEXT),
            starts_at=datetime.combine(
                starts_on + timedelta(days=draw(st.integers(0, span))),
                draw(st.times().map(lambda t: t.replace(second=0, microsecond=0)).filter(lambda t: t != time(0))),
            ),
            duration_minutes=draw(st.integers(1, 1440)),
            location=draw(OPTIONAL),
        )
        for _ in range(draw(st.integers(0, 4)))
    )
    emails = draw(st.lists(EMAIL, min_size=0, max_size=8, unique=True))
    participants = []
    for email in emails:
        role = draw(st.sampled_from(wb.ROLES))
        participants.append(
            ParticipantRow(
                row=0,
                email=email,
                name=draw(TEXT),
                role=role,
                field=draw(OPTIONAL),
                languages=tuple(draw(st.lists(ITEM, max_size=3))),
                interests=tuple(draw(st.lists(ITEM, max_size=3))),
                company=draw(TEXT if role == "company_contact" else OPTIONAL),
                home_country=draw(OPTIONAL),
                language=draw(st.none() | st.sampled_from(wb.LANGUAGES)),
                max_mentees=draw(st.integers(1, 3)) if role == "mentor" else 1,
                partner_company=draw(OPTIONAL) if role == "mentee" else None,
            )
        )
    capacity = {p.email: p.max_mentees for p in participants if p.role == "mentor"}
    pairs = []
    for mentee in (p.email for p in participants if p.role == "mentee"):
        free = sorted(email for email, left in capacity.items() if left > 0)
        if not free or not draw(st.booleans()):
            continue
        mentor = draw(st.sampled_from(free))
        capacity[mentor] -= 1
        extra = draw(st.dictionaries(st.sampled_from(["score", "reasons", "note"]), TEXT | NUMBER_TEXT, max_size=3))
        pairs.append(PairRow(row=0, mentor_email=mentor, mentee_email=mentee, extra=extra))
    return RoundWorkbook(
        programme=programme, meetings=meetings, participants=tuple(participants), pairs=tuple(pairs),
        criteria=draw(st.none() | criteria_sheets()),
    )


Row = TypeVar("Row", MeetingRow, ParticipantRow, PairRow)


def renumber(rows: tuple[Row, ...]) -> tuple[Row, ...]:
    return tuple(dataclasses.replace(row, row=index) for index, row in enumerate(rows, start=2))


def numbered(workbook: RoundWorkbook) -> RoundWorkbook:
    """Rows as the writer lays them out: each table from Excel row 2 down."""
    return dataclasses.replace(
        workbook,
        meetings=renumber(workbook.meetings),
        participants=renumber(workbook.participants),
        pairs=renumber(workbook.pairs),
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(round_workbooks())
def test_export_round_trips(original: RoundWorkbook) -> None:
    result, problems = read_workbook(workbook_bytes(original, pair_extra_columns=("score", "reasons")))
    assert [p.english() for p in problems] == []
    assert result == numbered(original)


def test_round_trip_keeps_unicode_and_list_items() -> None:
    original = RoundWorkbook(
        programme=ProgrammeSettings(
            programme="Karrierementorordning", round="Forår 2027",
            starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 31), language="da",
        ),
        participants=(
            ParticipantRow(row=2, email="soren@example.dk", name="Søren Ærø", role="mentor",
                           languages=("Dansk", "English"), interests=("Økonomi", "Friluftsliv"), max_mentees=3),
            ParticipantRow(row=3, email="zhang@example.com", name="张伟 (Zhāng Wěi)", role="mentee",
                           languages=("中文",), home_country="中国"),
        ),
        pairs=(PairRow(row=2, mentor_email="soren@example.dk", mentee_email="zhang@example.com"),),
    )
    result, problems = read_workbook(workbook_bytes(original))
    assert problems == [] and result == original


# ------------------------------------------------------------------------- catalogs


def load_catalog(language: str) -> dict[str, str]:
    loaded = json.loads((CATALOG_DIR / f"workbook.{language}.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict) and all(isinstance(v, str) for v in loaded.values())
    return loaded


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    english, danish = load_catalog("en"), load_catalog("da")
    assert set(english) == set(danish) == set(wb.PROBLEM_CODES) | set(wb.LOCATION_KEYS)
    for key in english:
        assert placeholders(english[key]) == placeholders(danish[key]), key
        assert english[key] != danish[key], f"{key} is not translated"
    for key in wb.LOCATION_KEYS:
        assert "message" in placeholders(english[key])


def test_danish_catalog_uses_the_programmes_words() -> None:
    danish = " ".join(load_catalog("da").values())
    for word in ("forløb", "mentor", "mentee", "koordinator", "kick-off", "midtvejsmøde",
                 "workshop om jobsamtaler", "afslutningsmøde"):
        assert word in danish, word


def test_text_longer_than_the_database_holds_is_reported_with_the_limit() -> None:
    sheets = good()
    set_cell(sheets, "Participants", 3, "name", "A" * 201)
    set_cell(sheets, "Participants", 2, "interests", "cloud, " + "b" * 101)
    set_cell(sheets, "Meetings", 2, "location", "x" * 501)
    _, problems = read_workbook(build(sheets))
    lines = [problem.english() for problem in problems]
    assert ('Participants row 3, column name: "name" is 201 characters long; at most 200 fit. Shorten it.'
            in lines)
    assert any(line.startswith("Participants row 2, column interests:") and "at most 100" in line for line in lines)
    assert any(line.startswith("Meetings row 2, column location:") and "at most 500" in line for line in lines)


def test_criteria_text_longer_than_the_database_or_a_survey_holds() -> None:
    sheets = good()
    set_cell(sheets, "Criteria", 2, "key", "k" * 65)
    set_cell(sheets, "Criteria", 3, "statement_da", "s" * 501)
    set_cell(sheets, "Participants", 3, "partner company", "p" * 201)
    assert found(sheets) == [
        ("Participants", 3, "partner_company", wb.VALUE_TOO_LONG),
        ("Criteria", 2, "key", wb.VALUE_TOO_LONG),
        ("Criteria", 3, "statement_da", wb.VALUE_TOO_LONG),
    ]
