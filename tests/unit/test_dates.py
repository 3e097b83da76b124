"""The one date reader: English and Danish, relative days, which side of today a year-less
date falls on, what it refuses to guess, and the three ways callers look (running text,
the start of a text, a whole cell)."""

from __future__ import annotations

import ast
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.dates import (
    DateDoubt,
    DateRead,
    Unread,
    Yearless,
    find_dates,
    leading_date,
    local_today,
    read_complete_date,
    read_date_and_time,
)

SATURDAY = date(2026, 12, 5)
WEDNESDAY = date(2027, 2, 3)


def days(text: str, language: str = "en", *, today: date = SATURDAY,
         yearless: Yearless = Yearless.PAST) -> list[date | DateDoubt | None]:
    """What running text says, one entry per date found: the day, or the doubt."""
    return [read.day or read.doubt for read in find_dates(Unread(text), today=today, language=language,
                                                          yearless=yearless)]


def leading(text: str, language: str = "en", *, today: date = WEDNESDAY,
            yearless: Yearless = Yearless.FUTURE) -> DateRead | None:
    return leading_date(text, today=today, language=language, yearless=yearless)


# --- both languages -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("2 December", "en"), ("2nd of December", "en"), ("the 2nd of December", "en"), ("December 2nd", "en"),
        ("Dec 2, 2026", "en"), ("2 dec, 2026", "en"), ("Wednesday 2 December", "en"), ("Wed, Dec 2", "en"),
        ("2. december", "da"), ("2. dec.", "da"), ("den 2. dec", "da"), ("d. 2/12", "da"),
        ("onsdag den 2. december 2026", "da"), ("ons 2.12.", "da"),
        ("2/12", "en"), ("2.12.2026", "da"), ("2/12/26", "da"), ("02-12-2026", "da"), ("2026-12-02", "en"),
    ],
)
def test_one_day_written_many_ways_in_both_languages(text: str, language: str) -> None:
    assert days(text, language) == [date(2026, 12, 2)]


def test_danish_and_english_month_names_are_one_list() -> None:
    pairs = [("15 march", "15. marts"), ("1 may", "1. maj"), ("3 october", "3. oktober"), ("3 oct", "3. okt"),
             ("6 june", "6. juni"), ("9 sept", "9. september")]
    for english, danish in pairs:
        assert days(english, today=date(2027, 1, 1), yearless=Yearless.FUTURE) == days(
            danish, "da", today=date(2027, 1, 1), yearless=Yearless.FUTURE)


# --- relative days --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("english", "danish", "offset"),
    [
        ("today", "i dag", 0), ("yesterday", "i går", -1), ("the day before yesterday", "i forgårs", -2),
        ("tomorrow", "i morgen", 1), ("3 days ago", "for 3 dage siden", -3), ("a week ago", "for en uge siden", -7),
    ],
)
def test_relative_days_count_from_the_given_today(english: str, danish: str, offset: int) -> None:
    expected = date.fromordinal(SATURDAY.toordinal() + offset)
    assert days(english) == days(danish, "da") == [expected]


def test_today_is_where_the_person_lives() -> None:
    late = datetime(2026, 12, 4, 23, 30, tzinfo=timezone.utc)  # 00:30 on the 5th in Copenhagen
    assert local_today(late, "Europe/Copenhagen") == date(2026, 12, 5)
    assert local_today(late, "America/Sao_Paulo") == date(2026, 12, 4)
    assert local_today(late, None) == local_today(late, "Not/AZone") == date(2026, 12, 5)  # Copenhagen by default


def test_last_and_next_weekday_whichever_way_the_caller_looks() -> None:
    # Saturday 5 December: "last Saturday" is a week ago, "next Saturday" a week ahead, either way.
    for yearless in Yearless:
        assert days("last Saturday", yearless=yearless) == days("sidste lørdag", "da", yearless=yearless) == [
            date(2026, 11, 28)]
        assert days("i lørdags", "da", yearless=yearless) == [date(2026, 11, 28)]
        assert days("next Saturday", yearless=yearless) == days("næste lørdag", "da", yearless=yearless) == [
            date(2026, 12, 12)]
        assert days("på lørdag", "da", yearless=yearless) == [date(2026, 12, 12)]


# --- which side of today --------------------------------------------------------------------------

def test_what_is_not_written_falls_on_the_callers_side_of_today() -> None:
    # Looking back (a session held), today counts; looking ahead (a pause's end), it does not.
    assert days("Saturday") == days("5 dec") == [date(2026, 12, 5)]
    assert days("Saturday", yearless=Yearless.FUTURE) == [date(2026, 12, 12)]
    assert days("5 dec", yearless=Yearless.FUTURE) == [date(2027, 12, 5)]
    assert days("Monday") == [date(2026, 11, 30)]
    assert days("Monday", yearless=Yearless.FUTURE) == [date(2026, 12, 7)]
    january = date(2027, 1, 10)
    assert days("28/12", today=january) == [date(2026, 12, 28)]
    assert days("28/12", today=january, yearless=Yearless.FUTURE) == [date(2027, 12, 28)]
    assert days("2/12/2026", today=january, yearless=Yearless.FUTURE) == [date(2026, 12, 2)]  # a year is a year


def test_a_29_february_without_a_year_is_the_nearest_one_that_exists() -> None:
    assert days("29 feb", today=WEDNESDAY, yearless=Yearless.FUTURE) == [date(2028, 2, 29)]
    assert days("29/2", today=date(2028, 6, 1)) == [date(2028, 2, 29)]


# --- what it will not guess -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("last week", "en"), ("this month", "en"), ("recently", "en"), ("i sidste uge", "da"), ("for nylig", "da"),
        ("4/6", "en"),  # half a year back without a year: a typo, or a date ahead?
        ("Tuesday 2 December", "en"), ("tirsdag den 2. dec", "da"),  # the 2nd is a Wednesday
    ],
)
def test_ambiguous_pieces_are_doubts_with_their_text(text: str, language: str) -> None:
    [read] = find_dates(Unread(text), today=SATURDAY, language=language)
    assert (read.day, read.doubt, read.text) == (None, DateDoubt.AMBIGUOUS, text)


@pytest.mark.parametrize("text", ["31/2", "30. februar", "2026-13-01", "0/12", "31 april 2027"])
def test_days_that_never_exist_are_invalid(text: str) -> None:
    [read] = find_dates(Unread(text), today=SATURDAY, language="da")
    assert (read.day, read.doubt, read.text) == (None, DateDoubt.INVALID, text)


def test_a_year_less_date_far_ahead_is_no_doubt_when_looking_ahead() -> None:
    # A pause "til 3. okt." is simply far: the pause's own limit says so, not a doubt.
    assert days("3. okt.", "da", today=WEDNESDAY, yearless=Yearless.FUTURE) == [date(2027, 10, 3)]


def test_in_running_text_numbers_stay_numbers() -> None:
    assert days("1.5 hours, 2.50 kr, 10-12 people") == []
    assert days("2.12") == [date(2026, 12, 2)]
    assert days("24.11") == [date(2026, 11, 24)]
    assert days("10-12-2026") == [date(2026, 12, 10)]


def test_abbreviations_only_in_the_persons_language_and_word_like_ones_only_after_last() -> None:
    assert days("tue") == [date(2026, 12, 1)] and days("tue", "da") == []
    assert days("tirs", "da") == [date(2026, 12, 1)] and days("tirs") == []
    assert days("we sat down") == [] and days("last sat") == [date(2026, 11, 28)]
    assert days("man kan", "da") == [] and days("sidste man", "da") == [date(2026, 11, 30)]


def test_a_piece_another_reader_took_is_not_read_again() -> None:
    source = Unread("1.5h on 2/12")
    source.take(re.compile(r"1\.5h"))
    [read] = find_dates(source, today=SATURDAY, language="en")
    assert (read.day, read.text, read.start) == (date(2026, 12, 2), "2/12", 8)
    assert source.rest() == "     on     "


# --- the start of a text --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "day", "rest"),
    [
        ("15 march moving house", date(2027, 3, 15), " moving house"),
        ("den 15. marts flytning", date(2027, 3, 15), " flytning"),
        ("mandag den 15. marts", date(2027, 3, 15), ""),
        ("15 march 2027 3 weeks away", date(2027, 3, 15), " 3 weeks away"),
        ("10 feb 3 weeks in Spain", date(2027, 2, 10), " 3 weeks in Spain"),
        ("15/3, barsel", date(2027, 3, 15), ", barsel"),
        ("1.5", date(2027, 5, 1), ""),  # where only a date may stand, "1.5" is one
        ("15-3", date(2027, 3, 15), ""),
        ("next monday", date(2027, 2, 8), ""),
        ("i morgen", date(2027, 2, 4), ""),
        ("friday back at work", date(2027, 2, 5), " back at work"),
        ("1 february", date(2028, 2, 1), ""),  # looking ahead: the next one to come
    ],
)
def test_the_date_a_text_starts_with(text: str, day: date, rest: str) -> None:
    read = leading(text, "da" if "marts" in text else "en")
    assert read is not None and read.doubt is None, read
    assert (read.day, text[read.end:]) == (day, rest)


@pytest.mark.parametrize("text", ["someday", "moving 15 march", "15/3barsel", "the move", ""])
def test_a_text_that_does_not_start_with_a_date(text: str) -> None:
    assert leading(text) is None


def test_the_start_of_a_text_has_the_same_doubts() -> None:
    read = leading("31 february")
    assert read is not None and (read.doubt, read.text) == (DateDoubt.INVALID, "31 february")
    read = leading("this week")
    assert read is not None and read.doubt is DateDoubt.AMBIGUOUS


# --- whole cells ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "moment", "has_time"),
    [
        ("18. marts 2027 kl. 17.00", datetime(2027, 3, 18, 17, 0), True),
        ("18 Mar 2027 9:30", datetime(2027, 3, 18, 9, 30), True),
        ("2027-03-18T09:30", datetime(2027, 3, 18, 9, 30), True),
        ("torsdag den 18. marts 2027", datetime(2027, 3, 18), False),
        ("18/3/2027", datetime(2027, 3, 18), False),
    ],
)
def test_a_whole_cell_with_or_without_a_time(text: str, moment: datetime, has_time: bool) -> None:
    assert read_date_and_time(text) == (moment, has_time)
    assert read_complete_date(text) == moment.date()


@pytest.mark.parametrize("text", ["Feb 2027", "3 Feb", "soon", "31 Febtember 2027", ""])
def test_a_whole_cell_must_say_year_month_and_day(text: str) -> None:
    assert read_date_and_time(text) is None and read_complete_date(text) is None


# --- robustness and the one place -----------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from(list(Yearless)), st.sampled_from(["en", "da", None]))
def test_any_text_gives_dates_or_doubts_never_an_exception(text: str, yearless: Yearless, language: str | None) -> None:
    for read in find_dates(Unread(text), today=SATURDAY, language=language, yearless=yearless):
        assert (read.day is None) != (read.doubt is None)
        assert text[read.start:read.end] == read.text
    first = leading_date(text, today=SATURDAY, language=language, yearless=yearless)
    assert first is None or (first.start == 0 and text.startswith(first.text))
    read_date_and_time(text)


def test_only_the_dates_module_reads_dates_with_dateutil() -> None:
    """Issue 9: the session parser, pauses and the workbook each had their own parser."""
    root = Path(__file__).resolve().parents[2]
    readers = set()
    for path in (root / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "dateutil" or name.startswith("dateutil.") for name in names):
                readers.add(path.relative_to(root).as_posix())
    assert readers == {"bot/core/dates.py"}
