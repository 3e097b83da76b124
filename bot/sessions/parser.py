"""Reading a quick note such as `/log-session yesterday 45m CV review` into a session.

Logging a 1:1 session must take ten seconds, so people type it the way they would say it,
in English or Danish ("i går 1t30 ansøgning og netværk"). This module is pure: it takes the
text, the person's "now", time zone and language, and returns what it understood and what
is missing or ambiguous. It never guesses silently: when it is not sure (two dates, a bare
"45" that could be minutes or hours, "last week") it says so, and the caller opens the
modal prefilled with what *was* understood instead of storing a wrong session.

Rules worth knowing:
- Dates are read by `bot.core.dates`, looking back from today in the person's own time zone
  ("yesterday" at 00:30 in Copenhagen is not yesterday in UTC): a weekday on its own is the
  most recent one, today included; "last Tuesday" / "i tirsdags" the most recent one before
  today; a year-less date the most recent such day, flagged when more than half a year back.
  What this note adds: two different dates are ambiguous; and "1.5" or "2.50" are numbers,
  not dates (so a number without a unit is an ambiguous duration), while "2.12" is a date.
- Durations: `45m`, `45 min`, `1h`, `1h30`, `1t30` (Danish t = time), `90 min`, `1.5h`,
  `1,5 t`, "half an hour", "en halv time", "halvanden time". A decimal such as `1.30 t`
  is ambiguous (1 h 18 min, or 1 h 30 min as Danes often mean?) and flagged.
- Topics come from words in both languages; the words stay in the notes, because "CV
  review" says more than "review". Only when the rest is nothing but topic words is there
  no note. Notes are kept as typed: escaping is the message builders' job.
- Range checks (not in the future, 5 minutes to 8 hours) are the logging service's, so
  the same rules apply to the modal; this module only reads.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from bot.core.dates import DateDoubt, Unread, find_dates, local_today
from bot.i18n import normalise_language

# Topic codes, in the order they are shown. Stored in MentoringSession.topics.
CV = "cv"
APPLICATIONS = "applications"
JOB_OPENINGS = "job_openings"
INTERVIEW_PRACTICE = "interview_practice"
NETWORKING = "networking"
WORK_CULTURE = "work_culture"
LANGUAGE = "language"
OTHER = "other"
TOPICS: tuple[str, ...] = (
    CV, APPLICATIONS, JOB_OPENINGS, INTERVIEW_PRACTICE, NETWORKING, WORK_CULTURE, LANGUAGE, OTHER,
)


class ParseIssue(str, enum.Enum):
    MISSING_DATE = "missing_date"
    MISSING_DURATION = "missing_duration"
    AMBIGUOUS_DATE = "ambiguous_date"  # two different dates, "last week", a year-less date long ago
    AMBIGUOUS_DURATION = "ambiguous_duration"  # two durations, a bare number, "1.30 t"
    INVALID_DATE = "invalid_date"  # "31/2"


@dataclass(frozen=True)
class ParseProblem:
    """One thing the caller should ask about; `text` is the piece of input it is about."""

    issue: ParseIssue
    text: str | None = None


@dataclass(frozen=True, kw_only=True)
class ParseResult:
    """What a quick note said. Fields are None when not understood; `problems` says why."""

    held_on: date | None = None
    duration_minutes: int | None = None
    topics: tuple[str, ...] = ()
    introductions_made: int | None = None
    notes: str | None = None
    problems: tuple[ParseProblem, ...] = ()

    @property
    def complete(self) -> bool:
        """Enough to log without asking: a date, a duration, and nothing in doubt."""
        return self.held_on is not None and self.duration_minutes is not None and not self.problems

    @property
    def missing(self) -> tuple[ParseIssue, ...]:
        wanted = (ParseIssue.MISSING_DATE, ParseIssue.MISSING_DURATION)
        return tuple(problem.issue for problem in self.problems if problem.issue in wanted)

    @property
    def doubts(self) -> tuple[ParseProblem, ...]:
        """Problems other than something simply missing: ambiguous or invalid pieces."""
        return tuple(p for p in self.problems if p.issue not in self.missing)


# --- words ----------------------------------------------------------------------------------

_L = r"a-zæøåé"  # letters that end a word in either language
_END = rf"(?![{_L}0-9])"
_START = rf"(?<![{_L}0-9])"
_FLAGS = re.IGNORECASE

_HOUR_UNIT = r"(?:hours?|hrs?|h|timer|time|tim|t)"
_MINUTE_UNIT = r"(?:minutter|minutes?|minut|mins?|m)"
_HOURS = re.compile(
    rf"(?<![\w.,])(?P<h>\d{{1,2}}(?:[.,]\d{{1,2}})?)\s*{_HOUR_UNIT}"
    rf"(?:(?P<m1>\d{{1,2}})(?:\s*{_MINUTE_UNIT})?|\s*(?:and\s+|og\s+)?(?P<m2>\d{{1,2}})\s*{_MINUTE_UNIT})?{_END}",
    _FLAGS,
)
_MINUTES = re.compile(rf"(?<![\w.,])(?P<m>\d{{1,4}})\s*{_MINUTE_UNIT}{_END}", _FLAGS)
_WORDED_DURATIONS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(rf"{_START}(?:{pattern}){_END}", _FLAGS), minutes)
    for pattern, minutes in (
        (r"an\s+hour\s+and\s+a\s+half|one\s+and\s+a\s+half\s+hours?|halvanden\s+time", 90),
        (r"half\s+an\s+hour|a\s+half\s+hour|en\s+halv\s+time|en\s+halvtime|½\s*(?:time|t|h)", 30),
        (r"an\s+hour|one\s+hour|en\s+time", 60),
        (r"two\s+hours|to\s+timer", 120),
    )
)
_INTRODUCTIONS = re.compile(
    rf"(?<![\w.,])(?P<n>\d{{1,3}})\s*(?:new\s+|nye?\s+)?(?:introductions?|intros?|introduktion(?:er)?|introer){_END}",
    _FLAGS,
)
_BARE_NUMBER = re.compile(r"(?<![\w.,/:-])(?P<n>\d{1,3}(?:[.,]\d{1,2})?)(?![\w/:-]|[.,]\d)")

_TOPIC_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (topic, re.compile(rf"{_START}(?:{pattern}){_END}", _FLAGS))
    for topic, pattern in (
        (CV, r"cv(?:'?(?:et|er|erne|s|en))?|curriculum\s+vitae|r[eé]sum[eé]s?|linkedin[- ]profil(?:e|en)?"),
        (APPLICATIONS, r"applications?|cover\s+letters?|motivation(?:al)?\s+letters?|ansøg[a-zæøå]*"),
        (JOB_OPENINGS, r"job\s+(?:openings?|ads?|adverts?|postings?|listings?|search)|openings?|vacanc(?:y|ies)"
                       r"|(?:job|stillings)opslag[a-zæøå]*|ledige\s+stillinger|jobsøgning[a-zæøå]*"),
        (INTERVIEW_PRACTICE, r"(?:mock\s+|job\s+)?interviews?|interview\s+practice|job[- ]?samtale[a-zæøå]*"
                             r"|jobinterview[a-zæøå]*|samtaletræning"),
        (NETWORKING, r"network(?:s|ing)?|netværk[a-zæøå]*|linkedin"),
        (WORK_CULTURE, r"(?:work(?:place)?\s+)?culture|(?:arbejds|arbejdsplads|virksomheds)?kultur[a-zæøå]*"),
        (LANGUAGE, r"languages?|sprog[a-zæøå]*|danish\s+(?:lessons?|classes|course)|dansk(?:kursus|undervisning)"),
        (OTHER, r"(?<!each\s)(?<!one\s)(?<!the\s)other|andet"),
    )
)
# Words that join topics and mean nothing on their own ("CV and networking").
_FILLER = re.compile(
    rf"{_START}(?:and|og|about|om|on|på|the|a|an|en|et|of|af|with|med|plus|samt|we|vi|talked|snakkede|talte)"
    rf"{_END}|[,;:&+/.!·-]",
    _FLAGS,
)


# --- parsing --------------------------------------------------------------------------------

def parse_session_text(text: str, *, now: datetime, timezone: str | None, language: str | None) -> ParseResult:
    """Read a quick note; `now` is passed in (aware), so tests and `tick --now` agree."""
    lang = normalise_language(language)
    today = local_today(now, timezone)
    source = Unread(" ".join((text or "").split()))
    problems: list[ParseProblem] = []

    durations, duration_doubts = _durations(source)
    introductions = [int(match["n"]) for match in source.take(_INTRODUCTIONS)]
    dates, date_problems = _dates(source, today=today, language=lang)
    rest = source.rest()

    held_on: date | None = None
    distinct_dates = {found.value for found in dates}
    if len(distinct_dates) == 1:
        held_on = next(iter(distinct_dates))
    elif len(distinct_dates) > 1:
        problems.append(ParseProblem(ParseIssue.AMBIGUOUS_DATE, _pieces(dates)))
    problems.extend(date_problems)
    if held_on is None and not any(p.issue in (ParseIssue.AMBIGUOUS_DATE, ParseIssue.INVALID_DATE)
                                   for p in problems):
        problems.append(ParseProblem(ParseIssue.MISSING_DATE))

    duration: int | None = None
    distinct_durations = {found.value for found in durations}
    if len(distinct_durations) == 1 and not duration_doubts:
        duration = next(iter(distinct_durations))
    elif len(distinct_durations) > 1:
        problems.append(ParseProblem(ParseIssue.AMBIGUOUS_DURATION, _pieces(durations)))
    problems.extend(duration_doubts)
    if not durations and not duration_doubts:
        bare = list(_BARE_NUMBER.finditer(rest))
        if bare:  # "yesterday 45 CV": minutes or hours? Ask rather than guess.
            problems.append(ParseProblem(ParseIssue.AMBIGUOUS_DURATION, bare[0]["n"]))
            rest = rest[:bare[0].start()] + " " * len(bare[0].group(0)) + rest[bare[0].end():]
        else:
            problems.append(ParseProblem(ParseIssue.MISSING_DURATION))

    return ParseResult(
        held_on=held_on,
        duration_minutes=duration,
        topics=topics_in(rest),
        introductions_made=max(introductions) if introductions else None,
        notes=_notes(rest),
        problems=tuple(problems),
    )


def topics_in(text: str) -> tuple[str, ...]:
    """Topic codes whose words occur in the text, in the standard order."""
    return tuple(topic for topic, pattern in _TOPIC_PATTERNS if pattern.search(text))


def parse_duration(text: str | None) -> int | None:
    """A duration typed into the modal's box: the quick-text forms, or a bare number of
    minutes ("45"). None when it cannot be read or is ambiguous."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return None
    if re.fullmatch(r"\d{1,4}", cleaned):
        return int(cleaned)
    source = Unread(cleaned)
    durations, doubts = _durations(source)
    if doubts or len(durations) != 1 or source.rest().strip(" ,.;"):
        return None
    return durations[0].value


_V = TypeVar("_V")


@dataclass(frozen=True)
class _Found(Generic[_V]):
    """A value read, and the piece of text it was read from."""

    value: _V
    text: str
    start: int

    @classmethod
    def at(cls, value: _V, match: re.Match[str]) -> _Found[_V]:
        return cls(value, match.group(0), match.start())


def _pieces(found: Sequence[_Found[_V]]) -> str:
    """The pieces of text that disagree, in the order they were typed."""
    return ", ".join(piece.text for piece in sorted(found, key=lambda piece: piece.start))


def _durations(source: Unread) -> tuple[list[_Found[int]], list[ParseProblem]]:
    found: list[_Found[int]] = []
    doubts: list[ParseProblem] = []
    for pattern, minutes in _WORDED_DURATIONS:
        found.extend(_Found.at(minutes, match) for match in source.take(pattern))
    for match in source.take(_HOURS):
        hours_text = match["h"].replace(",", ".")
        extra = match["m1"] or match["m2"]
        if "." in hours_text:
            fraction = hours_text.split(".", 1)[1]
            if extra or (len(fraction) == 2 and fraction not in {"25", "50", "75"}):
                # "1.30 t": one and three tenths, or half past one as many Danes write it?
                doubts.append(ParseProblem(ParseIssue.AMBIGUOUS_DURATION, match.group(0)))
                continue
            found.append(_Found.at(round(float(hours_text) * 60), match))
            continue
        minutes = int(hours_text) * 60
        if extra:
            if int(extra) >= 60:
                doubts.append(ParseProblem(ParseIssue.AMBIGUOUS_DURATION, match.group(0)))
                continue
            minutes += int(extra)
        found.append(_Found.at(minutes, match))
    found.extend(_Found.at(int(match["m"]), match) for match in source.take(_MINUTES))
    return found, doubts


_DATE_ISSUES = {DateDoubt.AMBIGUOUS: ParseIssue.AMBIGUOUS_DATE, DateDoubt.INVALID: ParseIssue.INVALID_DATE}


def _dates(source: Unread, *, today: date, language: str) -> tuple[list[_Found[date]], list[ParseProblem]]:
    """The dates in the note, read by the shared date reader looking back from today."""
    dates: list[_Found[date]] = []
    problems: list[ParseProblem] = []
    for read in find_dates(source, today=today, language=language):
        if read.doubt is not None or read.day is None:
            problems.append(ParseProblem(_DATE_ISSUES[read.doubt or DateDoubt.INVALID], read.text))
        else:
            dates.append(_Found(read.day, read.text, read.start))
    return dates, problems


def _notes(rest: str) -> str | None:
    """What is left, as typed; nothing when it is only topic words and fillers."""
    note = " ".join(rest.split()).strip(" ,;:-–·")
    if not note:
        return None
    leftover = note
    for _, pattern in _TOPIC_PATTERNS:
        leftover = pattern.sub(" ", leftover)
    leftover = _FILLER.sub(" ", leftover)
    return note if leftover.strip() else None


__all__ = [
    "TOPICS",
    "ParseIssue",
    "ParseProblem",
    "ParseResult",
    "local_today",
    "parse_duration",
    "parse_session_text",
    "topics_in",
]
