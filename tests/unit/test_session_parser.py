"""The quick-text parser, in English and Danish, including what it refuses to guess.

"Now" is passed in: Saturday 5 December 2026, 10:00 in Copenhagen.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sessions.parser import (
    TOPICS,
    ParseIssue,
    ParseProblem,
    local_today,
    parse_duration,
    parse_session_text,
    topics_in,
)

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)  # a Saturday
CPH = "Europe/Copenhagen"


def parse(text: str, language: str = "en", *, now: datetime = NOW, zone: str = CPH):  # noqa: ANN201
    return parse_session_text(text, now=now, timezone=zone, language=language)


def issues(text: str, language: str = "en") -> list[ParseIssue]:
    return [problem.issue for problem in parse(text, language).problems]


# --- the examples from the issue -----------------------------------------------------------

def test_the_issues_own_example_is_complete() -> None:
    result = parse("yesterday 45m CV review")
    assert result.complete and result.problems == ()
    assert (result.held_on, result.duration_minutes, result.topics) == (date(2026, 12, 4), 45, ("cv",))
    assert result.notes == "CV review"  # the topic word stays: "review" alone says less


def test_a_danish_note_is_complete() -> None:
    result = parse("i går 1t30 ansøgning og netværk", "da")
    assert result.complete
    assert (result.held_on, result.duration_minutes) == (date(2026, 12, 4), 90)
    assert result.topics == ("applications", "networking")
    assert result.notes is None  # nothing but topic words and "og"


# --- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("today", "en", date(2026, 12, 5)),
        ("i dag", "da", date(2026, 12, 5)),
        ("idag", "da", date(2026, 12, 5)),
        ("this morning", "en", date(2026, 12, 5)),
        ("i morges", "da", date(2026, 12, 5)),
        ("yesterday", "en", date(2026, 12, 4)),
        ("Yesterday", "en", date(2026, 12, 4)),
        ("i går", "da", date(2026, 12, 4)),
        ("igår", "da", date(2026, 12, 4)),
        ("I GÅR", "da", date(2026, 12, 4)),
        ("i aftes", "da", date(2026, 12, 4)),
        ("the day before yesterday", "en", date(2026, 12, 3)),
        ("i forgårs", "da", date(2026, 12, 3)),
        ("3 days ago", "en", date(2026, 12, 2)),
        ("for 3 dage siden", "da", date(2026, 12, 2)),
        ("a week ago", "en", date(2026, 11, 28)),
        ("for en uge siden", "da", date(2026, 11, 28)),
        ("Tuesday", "en", date(2026, 12, 1)),
        ("tirsdag", "da", date(2026, 12, 1)),
        ("last Tuesday", "en", date(2026, 12, 1)),
        ("sidste tirsdag", "da", date(2026, 12, 1)),
        ("i tirsdags", "da", date(2026, 12, 1)),
        ("i fredags", "da", date(2026, 12, 4)),
        ("Saturday", "en", date(2026, 12, 5)),  # today is Saturday: the most recent one is today
        ("lørdag", "da", date(2026, 12, 5)),
        ("last Saturday", "en", date(2026, 11, 28)),  # "last" means before today
        ("sidste lørdag", "da", date(2026, 11, 28)),
        ("i lørdags", "da", date(2026, 11, 28)),
        ("last sat", "en", date(2026, 11, 28)),  # an abbreviation that is also a word needs "last"
        ("tue", "en", date(2026, 12, 1)),
        ("tirs", "da", date(2026, 12, 1)),
        ("sidste man", "da", date(2026, 11, 30)),
        ("2 dec", "en", date(2026, 12, 2)),
        ("2 Dec", "en", date(2026, 12, 2)),
        ("2. dec", "da", date(2026, 12, 2)),
        ("2 december", "en", date(2026, 12, 2)),
        ("2. december", "da", date(2026, 12, 2)),
        ("December 2", "en", date(2026, 12, 2)),
        ("Dec 2nd", "en", date(2026, 12, 2)),
        ("2nd of December", "en", date(2026, 12, 2)),
        ("2/12", "en", date(2026, 12, 2)),  # day first
        ("2/12", "da", date(2026, 12, 2)),
        ("2.12.", "da", date(2026, 12, 2)),
        ("2.12", "da", date(2026, 12, 2)),
        ("24.11", "da", date(2026, 11, 24)),
        ("2026-12-02", "en", date(2026, 12, 2)),
        ("2/12/2026", "en", date(2026, 12, 2)),
        ("2/12/26", "da", date(2026, 12, 2)),
        ("2.12.2026", "da", date(2026, 12, 2)),
        ("2 dec 2026", "en", date(2026, 12, 2)),
        ("2. december 2026", "da", date(2026, 12, 2)),
        ("30 nov", "en", date(2026, 11, 30)),
        ("3. okt", "da", date(2026, 10, 3)),
        ("3 oktober", "da", date(2026, 10, 3)),
        ("12 marts 2026", "da", date(2026, 3, 12)),
        ("1 maj 2026", "da", date(2026, 5, 1)),
    ],
)
def test_dates_in_both_languages(text: str, language: str, expected: date) -> None:
    result = parse(f"{text} 45m", language)
    assert result.held_on == expected, result
    assert result.complete, result.problems
    assert result.notes is None


def test_a_date_without_a_year_is_the_most_recent_one_not_after_today() -> None:
    january = datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc)
    assert parse("28/12 1h", now=january).held_on == date(2026, 12, 28)
    assert parse("28. dec 1t", "da", now=january).held_on == date(2026, 12, 28)
    assert parse("5 jan 1h", now=january).held_on == date(2027, 1, 5)


def test_yesterday_is_yesterday_where_the_person_lives() -> None:
    late = datetime(2026, 12, 4, 23, 30, tzinfo=timezone.utc)  # 00:30 on the 5th in Copenhagen
    assert parse("yesterday 1h", now=late).held_on == date(2026, 12, 4)
    assert parse("yesterday 1h", now=late, zone="America/Sao_Paulo").held_on == date(2026, 12, 3)
    assert parse("today 1h", now=late, zone="Asia/Tokyo").held_on == date(2026, 12, 5)
    assert local_today(late, "Not/AZone") == date(2026, 12, 5)  # an unknown zone falls back to Copenhagen


def test_future_dates_are_read_and_left_for_the_service_to_refuse() -> None:
    assert parse("tomorrow 1h").held_on == date(2026, 12, 6)
    assert parse("i morgen 1t", "da").held_on == date(2026, 12, 6)
    assert parse("next Tuesday 1h").held_on == date(2026, 12, 8)
    assert parse("næste tirsdag 1t", "da").held_on == date(2026, 12, 8)
    assert parse("2027-01-02 1h").held_on == date(2027, 1, 2)


def test_abbreviations_are_read_only_in_the_persons_language() -> None:
    assert parse("tue 1h", "da").held_on is None  # a Dane's "tue" is not a day
    assert parse("tirs 1t", "en").held_on is None
    assert parse("we sat down for 1h", "en").held_on is None  # "sat" alone is a word


# --- durations ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "language", "minutes"),
    [
        ("45m", "en", 45),
        ("45 m", "en", 45),
        ("45 min", "en", 45),
        ("45min", "da", 45),
        ("45 minutes", "en", 45),
        ("45 minutter", "da", 45),
        ("90 min", "en", 90),
        ("1h", "en", 60),
        ("1 h", "en", 60),
        ("2 hours", "en", 120),
        ("2 hrs", "en", 120),
        ("1t", "da", 60),
        ("2 timer", "da", 120),
        ("1 time", "da", 60),
        ("1h30", "en", 90),
        ("1t30", "da", 90),
        ("1h 30m", "en", 90),
        ("1h15m", "en", 75),
        ("1 hour 30 minutes", "en", 90),
        ("1 hour and 30 minutes", "en", 90),
        ("1 time og 30 minutter", "da", 90),
        ("1.5h", "en", 90),
        ("1,5 t", "da", 90),
        ("1,5 timer", "da", 90),
        ("1.25 hours", "en", 75),
        ("half an hour", "en", 30),
        ("an hour", "en", 60),
        ("an hour and a half", "en", 90),
        ("en halv time", "da", 30),
        ("en time", "da", 60),
        ("halvanden time", "da", 90),
    ],
)
def test_durations_in_both_languages(text: str, language: str, minutes: int) -> None:
    result = parse(f"yesterday {text}", language)
    assert result.duration_minutes == minutes, result
    assert result.complete, result.problems


def test_months_and_weekdays_are_not_mistaken_for_durations() -> None:
    assert parse("2 maj 1t", "da").duration_minutes == 60  # "2 m..." is not two minutes
    assert parse("2 mar 45m").duration_minutes == 45
    assert parse("2 tirsdag 45m", "da").duration_minutes == 45


def test_the_modal_duration_box_takes_minutes_or_the_quick_forms() -> None:
    assert [parse_duration(text) for text in ("45", " 90 ", "1h30", "1t30", "1,5 t", "90 min", "2 timer")] == [
        45, 90, 90, 90, 90, 90, 120]
    assert [parse_duration(text) for text in (None, "", "abc", "1.30 t", "45m yesterday", "1h 2h")] == [
        None, None, None, None, None, None]


# --- topics, introductions and notes --------------------------------------------------------

@pytest.mark.parametrize(
    ("english", "danish", "topic"),
    [
        ("CV review", "gennemgang af CV'et", "cv"),
        ("cover letter and applications", "ansøgningen", "applications"),
        ("job openings", "jobopslag på Jobindex", "job_openings"),
        ("interview practice", "øvede jobsamtale", "interview_practice"),
        ("networking event", "netværk", "networking"),
        ("Danish work culture", "arbejdskultur", "work_culture"),
        ("language", "sprog", "language"),
        ("something other", "noget andet", "other"),
    ],
)
def test_every_topic_is_recognised_in_both_languages(english: str, danish: str, topic: str) -> None:
    assert topic in parse(f"yesterday 1h {english}").topics
    assert topic in parse(f"i går 1t {danish}", "da").topics
    assert topic in TOPICS


def test_topics_come_in_a_fixed_order_once_each_and_not_from_look_alike_words() -> None:
    assert topics_in("networking, CV and more CV, then interviews") == ("cv", "interview_practice", "networking")
    assert topics_in("we helped each other") == ()  # "each other" is not the topic "other"
    assert topics_in("CVR-nummer og samtale") == ()  # a company number and a chat are not CV and interviews


def test_introductions_are_a_count() -> None:
    assert parse("yesterday 1h networking, 2 introductions").introductions_made == 2
    assert parse("i går 1t netværk 3 introduktioner", "da").introductions_made == 3
    assert parse("yesterday 1h").introductions_made is None


def test_notes_keep_what_was_typed_for_the_builders_to_escape() -> None:
    result = parse("yesterday 45m CV <!channel> & more")
    assert result.notes == "CV <!channel> & more"
    assert parse("yesterday 45m CV, networking").notes is None
    assert parse("  yesterday   45m   talked about   the move  ").notes == "talked about the move"


# --- what it will not guess -----------------------------------------------------------------

def test_nothing_typed_means_date_and_duration_are_missing() -> None:
    result = parse("")
    assert not result.complete
    assert result.missing == (ParseIssue.MISSING_DATE, ParseIssue.MISSING_DURATION)
    assert result.doubts == ()


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("CV review", "en", [ParseIssue.MISSING_DATE, ParseIssue.MISSING_DURATION]),
        ("yesterday CV", "en", [ParseIssue.MISSING_DURATION]),
        ("i går CV", "da", [ParseIssue.MISSING_DURATION]),
        ("45m CV", "en", [ParseIssue.MISSING_DATE]),
        ("1t30 ansøgning", "da", [ParseIssue.MISSING_DATE]),
    ],
)
def test_missing_parts_are_named(text: str, language: str, expected: list[ParseIssue]) -> None:
    assert issues(text, language) == expected


def test_a_number_without_a_unit_is_asked_about_not_guessed() -> None:
    result = parse("yesterday 45 CV")
    assert result.duration_minutes is None and not result.complete
    assert result.problems == (ParseProblem(ParseIssue.AMBIGUOUS_DURATION, "45"),)
    assert result.notes is None  # the "45" is in doubt, not a note
    assert parse("i går 1.5 CV", "da").problems == (ParseProblem(ParseIssue.AMBIGUOUS_DURATION, "1.5"),)


@pytest.mark.parametrize(
    ("text", "language", "issue", "piece"),
    [
        ("yesterday 45m 1h", "en", ParseIssue.AMBIGUOUS_DURATION, "45m, 1h"),
        ("yesterday 1.30 t", "da", ParseIssue.AMBIGUOUS_DURATION, "1.30 t"),  # 1 h 18 or half past one?
        ("yesterday 1h75", "en", ParseIssue.AMBIGUOUS_DURATION, "1h75"),
        ("yesterday 2 dec 1h", "en", ParseIssue.AMBIGUOUS_DATE, "yesterday, 2 dec"),
        ("i går i dag 1t", "da", ParseIssue.AMBIGUOUS_DATE, "i går, i dag"),
        ("last week 1h", "en", ParseIssue.AMBIGUOUS_DATE, "last week"),
        ("i sidste uge 1t", "da", ParseIssue.AMBIGUOUS_DATE, "i sidste uge"),
        ("4/6 1h", "en", ParseIssue.AMBIGUOUS_DATE, "4/6"),  # half a year back: a typo more likely
        ("31/2 1h", "en", ParseIssue.INVALID_DATE, "31/2"),
        ("30. februar 1t", "da", ParseIssue.INVALID_DATE, "30. februar"),
        ("2026-13-01 1h", "en", ParseIssue.INVALID_DATE, "2026-13-01"),
    ],
)
def test_ambiguous_and_invalid_pieces_are_reported_with_the_text(text: str, language: str, issue: ParseIssue,
                                                                 piece: str) -> None:
    result = parse(text, language)
    assert not result.complete
    assert ParseProblem(issue, piece) in result.problems, result.problems
    assert result.doubts  # not merely missing


def test_the_same_date_written_twice_is_not_ambiguous() -> None:
    result = parse("yesterday 4/12 45m")
    assert result.complete and result.held_on == date(2026, 12, 4)


def test_what_was_understood_survives_a_problem_for_the_modal_to_prefill() -> None:
    result = parse("yesterday 45 CV, 2 introductions")
    assert result.held_on == date(2026, 12, 4) and result.topics == ("cv",) and result.introductions_made == 2


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_an_answer_never_an_exception(text: str) -> None:
    for language in ("en", "da"):
        result = parse(text, language)
        assert result.complete == (result.held_on is not None and result.duration_minutes is not None
                                   and not result.problems)
        assert set(result.topics) <= set(TOPICS)
        assert result.held_on is not None or result.problems
