"""Reading a quick note such as `/log-session yesterday 45m CV review` into a session.

Logging a 1:1 session must take ten seconds, so people type it the way they would say it,
in English or Danish ("i går 1t30 ansøgning og netværk"). This module is pure: it takes the
text, the person's "now", time zone and language, and returns what it understood and what
is missing or ambiguous. It never guesses silently: when it is not sure (two dates, a bare
"45" that could be minutes or hours, "last week") it says so, and the caller opens the
modal prefilled with what *was* understood instead of storing a wrong session.

Rules worth knowing:
- Dates resolve in the person's own time zone ("yesterday" at 00:30 in Copenhagen is not
  yesterday in UTC). A weekday on its own ("Tuesday", "tirsdag") is the most recent one,
  today included; "last Tuesday", "sidste tirsdag" and Danish "i tirsdags" mean the most
  recent one *before* today. A date without a year ("2 dec", "2/12") is the most recent
  such day not after today; when that is more than half a year back it is flagged as
  ambiguous (probably a typo, or a date in the future).
- Numeric dates are day-first ("2/12" is 2 December). With dots, "2.12.", "2.12.2026" and
  "24.11" are dates, but "1.5" and "2.50" are not: they are far more often numbers (and a
  number without a unit is then an ambiguous duration). Absolute dates are parsed by
  python-dateutil with English and Danish month names.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeAlias, TypeVar

from dateutil import parser as dateutil_parser
from dateutil.relativedelta import relativedelta

from bot.core.timing import zone
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

# A year-less date further back than this is more likely a typo than a memory.
YEARLESS_LOOKBACK = timedelta(days=183)


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

_WEEKDAYS: dict[str, int] = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "mandag": 0, "tirsdag": 1, "onsdag": 2, "torsdag": 3, "fredag": 4, "lørdag": 5, "søndag": 6,
}
# Abbreviations are read only in the person's own language and only where they are not
# ordinary words ("sat", "sun", "man" and "søn" are, so they need "last"/"sidste" before them).
_SAFE_ABBREVIATIONS: dict[str, dict[str, int]] = {
    "en": {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4},
    "da": {"tirs": 1, "ons": 2, "tors": 3, "fre": 4},
}
_QUALIFIED_ABBREVIATIONS: dict[str, dict[str, int]] = {
    "en": {"sat": 5, "sun": 6},
    "da": {"man": 0, "tir": 1, "tor": 3, "lør": 5, "søn": 6},
}
# Danish "i tirsdags" = last Tuesday.
_DANISH_PAST_WEEKDAY = {"man": 0, "tirs": 1, "ons": 2, "tors": 3, "fre": 4, "lør": 5, "søn": 6}

_MONTHS: tuple[tuple[str, ...], ...] = (
    ("jan", "january", "januar"),
    ("feb", "february", "februar"),
    ("mar", "march", "marts"),
    ("apr", "april"),
    ("may", "maj"),
    ("jun", "june", "juni"),
    ("jul", "july", "juli"),
    ("aug", "august"),
    ("sep", "sept", "september"),
    ("oct", "october", "okt", "oktober"),
    ("nov", "november"),
    ("dec", "december"),
)


class _BilingualParserInfo(dateutil_parser.parserinfo):
    """dateutil's parser with English and Danish month names, day first."""

    # dateutil reads any number of spellings per month; its stubs allow at most three.
    MONTHS: list[tuple[str, ...]] = [tuple(names) for names in _MONTHS]  # type: ignore[assignment]  # noqa: RUF012


_PARSER_INFO = _BilingualParserInfo(dayfirst=True)

_L = r"a-zæøåé"  # letters that end a word in either language
_END = rf"(?![{_L}0-9])"
_START = rf"(?<![{_L}0-9])"


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted({re.escape(word) for word in words}, key=len, reverse=True))


_MONTH_WORDS = _alternation(name for names in _MONTHS for name in names)
_WEEKDAY_WORDS = _alternation(_WEEKDAYS)
_FLAGS = re.IGNORECASE

# Relative days: (pattern, days from today). Longer phrases first.
_RELATIVE_DAYS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(rf"{_START}(?:{pattern}){_END}", _FLAGS), offset)
    for pattern, offset in (
        (r"(?:the\s+)?day\s+before\s+yesterday|i\s*forgårs|forgårs", -2),
        (r"yesterday|last\s+night|i\s*går|igår|i\s+aftes", -1),
        (r"today|this\s+(?:morning|afternoon|evening)|tonight|i\s*dag|idag|i\s+morges|i\s+formiddags"
         r"|i\s+eftermiddags", 0),
        (r"tomorrow|i\s*morgen|imorgen", 1),
        (r"(?:a|one)\s+week\s+ago|(?:for\s+)?en\s+uge\s+siden", -7),
    )
)
_DAYS_AGO = re.compile(rf"{_START}(?:for\s+)?(?P<n>\d{{1,2}})\s+(?:days?\s+ago|dage?\s+siden){_END}", _FLAGS)
_VAGUE_DATE = re.compile(
    rf"{_START}(?:(?:last|this|previous)\s+(?:week|month)|earlier\s+this\s+week|(?:i\s+)?(?:sidste|forrige|denne)"
    rf"\s+(?:uge|måned)|i\s+ugen|tidligere\s+på\s+ugen|recently|for\s+nylig){_END}",
    _FLAGS,
)
_DANISH_PAST = re.compile(rf"{_START}i\s+(?P<day>{_alternation(_DANISH_PAST_WEEKDAY)})dags{_END}", _FLAGS)

_ISO_DATE = re.compile(r"(?<![\d/.-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d/-])")
_SLASH_DATE = re.compile(r"(?<![\d/.,:-])(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/:])")
_DOT_DATE = re.compile(
    r"(?<![\d/.,:-])(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?:\.(?P<y>\d{4}|\d{2})(?!\d)|\.(?!\d))"
)
# "2.12" without a trailing dot: a date only when it cannot well be a number ("1.5" can).
_SHORT_DOT_DATE = re.compile(r"(?<![\d/.,:-])(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?P<y>)(?![\d.,/:])")
_DAY_MONTH = re.compile(
    rf"{_START}(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<month>{_MONTH_WORDS})\.?"
    rf"(?:\s*(?P<y>\d{{4}}))?{_END}",
    _FLAGS,
)
_MONTH_DAY = re.compile(
    rf"{_START}(?P<month>{_MONTH_WORDS})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(?P<y>\d{{4}}))?{_END}",
    _FLAGS,
)

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

class _Text:
    """The input, with the parts already understood masked out, so no piece is read twice."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._taken = [False] * len(text)

    def take(
        self, pattern: re.Pattern[str], *, accept: Callable[[re.Match[str]], bool] | None = None
    ) -> list[re.Match[str]]:
        found: list[re.Match[str]] = []
        for match in pattern.finditer(self.text):
            if match.end() == match.start() or any(self._taken[match.start():match.end()]):
                continue
            if accept is not None and not accept(match):
                continue
            for index in range(match.start(), match.end()):
                self._taken[index] = True
            found.append(match)
        return found

    def rest(self) -> str:
        return "".join(" " if taken else char for char, taken in zip(self.text, self._taken, strict=True))


def parse_session_text(text: str, *, now: datetime, timezone: str | None, language: str | None) -> ParseResult:
    """Read a quick note; `now` is passed in (aware), so tests and `tick --now` agree."""
    lang = normalise_language(language)
    today = local_today(now, timezone)
    source = _Text(" ".join((text or "").split()))
    problems: list[ParseProblem] = []

    durations, duration_doubts = _durations(source)
    introductions = [int(match["n"]) for match in source.take(_INTRODUCTIONS)]
    dates, date_problems = _dates(source, today=today, language=lang)
    rest = source.rest()

    held_on: date | None = None
    distinct_dates = {day for day, _ in dates}
    if len(distinct_dates) == 1:
        held_on = next(iter(distinct_dates))
    elif len(distinct_dates) > 1:
        problems.append(ParseProblem(ParseIssue.AMBIGUOUS_DATE, _pieces(dates)))
    problems.extend(date_problems)
    if held_on is None and not any(p.issue in (ParseIssue.AMBIGUOUS_DATE, ParseIssue.INVALID_DATE)
                                   for p in problems):
        problems.append(ParseProblem(ParseIssue.MISSING_DATE))

    duration: int | None = None
    distinct_durations = {minutes for minutes, _ in durations}
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


def local_today(now: datetime, timezone: str | None) -> date:
    """The date it is now where the person lives."""
    return now.astimezone(zone(timezone)).date()


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
    source = _Text(cleaned)
    durations, doubts = _durations(source)
    if doubts or len(durations) != 1 or source.rest().strip(" ,.;"):
        return None
    return durations[0][0]


_V = TypeVar("_V")
_Found: TypeAlias = tuple[_V, re.Match[str]]  # a value read, and where it was written


def _pieces(found: Sequence[_Found[object]]) -> str:
    """The pieces of text that disagree, in the order they were typed."""
    return ", ".join(match.group(0) for _, match in sorted(found, key=lambda item: item[1].start()))


def _durations(source: _Text) -> tuple[list[_Found[int]], list[ParseProblem]]:
    found: list[_Found[int]] = []
    doubts: list[ParseProblem] = []
    for pattern, minutes in _WORDED_DURATIONS:
        found.extend((minutes, match) for match in source.take(pattern))
    for match in source.take(_HOURS):
        hours_text = match["h"].replace(",", ".")
        extra = match["m1"] or match["m2"]
        if "." in hours_text:
            fraction = hours_text.split(".", 1)[1]
            if extra or (len(fraction) == 2 and fraction not in {"25", "50", "75"}):
                # "1.30 t": one and three tenths, or half past one as many Danes write it?
                doubts.append(ParseProblem(ParseIssue.AMBIGUOUS_DURATION, match.group(0)))
                continue
            found.append((round(float(hours_text) * 60), match))
            continue
        minutes = int(hours_text) * 60
        if extra:
            if int(extra) >= 60:
                doubts.append(ParseProblem(ParseIssue.AMBIGUOUS_DURATION, match.group(0)))
                continue
            minutes += int(extra)
        found.append((minutes, match))
    found.extend((int(match["m"]), match) for match in source.take(_MINUTES))
    return found, doubts


def _dates(source: _Text, *, today: date, language: str) -> tuple[list[_Found[date]], list[ParseProblem]]:
    dates: list[_Found[date]] = []
    problems: list[ParseProblem] = []
    for pattern, offset in _RELATIVE_DAYS:
        dates.extend((today + timedelta(days=offset), match) for match in source.take(pattern))
    dates.extend((today - timedelta(days=int(match["n"])), match) for match in source.take(_DAYS_AGO))
    problems.extend(ParseProblem(ParseIssue.AMBIGUOUS_DATE, match.group(0)) for match in source.take(_VAGUE_DATE))

    for match in source.take(_DANISH_PAST):
        dates.append((_weekday(today, _DANISH_PAST_WEEKDAY[match["day"].lower()], strictly_before=True), match))
    qualified = {**_WEEKDAYS, **_SAFE_ABBREVIATIONS[language], **_QUALIFIED_ABBREVIATIONS[language]}
    qualified_pattern = re.compile(
        rf"{_START}(?P<which>last|previous|sidste|forrige|next|næste|this|denne|på)\s+"
        rf"(?P<day>{_alternation(qualified)})\.?{_END}",
        _FLAGS,
    )
    for match in source.take(qualified_pattern):
        weekday = qualified[match["day"].lower()]
        which = match["which"].lower()
        if which in {"next", "næste", "på"}:
            day = _weekday_after(today, weekday)
        else:
            day = _weekday(today, weekday, strictly_before=which in {"last", "previous", "sidste", "forrige"})
        dates.append((day, match))

    for pattern in (_ISO_DATE, _DAY_MONTH, _MONTH_DAY, _SLASH_DATE, _DOT_DATE, _SHORT_DOT_DATE):
        accept = _looks_like_short_date if pattern is _SHORT_DOT_DATE else None
        for match in source.take(pattern, accept=accept):
            resolved = _absolute(match, pattern=pattern, today=today)
            if isinstance(resolved, ParseProblem):
                problems.append(resolved)
            else:
                dates.append((resolved, match))

    bare_days = {**_WEEKDAYS, **_SAFE_ABBREVIATIONS[language]}
    bare_pattern = re.compile(rf"{_START}(?P<day>{_alternation(bare_days)}){_END}", _FLAGS)
    dates.extend((_weekday(today, bare_days[match["day"].lower()], strictly_before=False), match)
                 for match in source.take(bare_pattern))
    return dates, problems


def _absolute(match: re.Match[str], *, pattern: re.Pattern[str], today: date) -> date | ParseProblem:
    """One written date, through dateutil; a year-less one is the latest not after today."""
    piece = match.group(0)
    year_given = bool(match["y"])
    try:
        if pattern is _ISO_DATE:
            parsed = dateutil_parser.isoparse(f"{match['y']}-{int(match['m']):02d}-{int(match['d']):02d}").date()
        else:
            if pattern in (_SLASH_DATE, _DOT_DATE, _SHORT_DOT_DATE):
                normalised = f"{match['d']}/{match['m']}" + (f"/{match['y']}" if year_given else "")
            else:
                normalised = f"{match['d']} {match['month']}" + (f" {match['y']}" if year_given else "")
            default = datetime(today.year, 1, 1)
            parsed = dateutil_parser.parse(normalised, parserinfo=_PARSER_INFO, default=default).date()
    except (ValueError, OverflowError):
        return ParseProblem(ParseIssue.INVALID_DATE, piece)
    if year_given:
        return parsed
    if parsed > today:
        try:
            parsed = parsed - relativedelta(years=1)
        except ValueError:  # pragma: no cover - relativedelta clamps 29 February itself
            return ParseProblem(ParseIssue.INVALID_DATE, piece)
    if today - parsed > YEARLESS_LOOKBACK:
        return ParseProblem(ParseIssue.AMBIGUOUS_DATE, piece)
    return parsed


def _looks_like_short_date(match: re.Match[str]) -> bool:
    """ "2.12" and "24.11" read as dates; "1.5" and "2.50" stay numbers."""
    day, month = match["d"], match["m"]
    return len(day) + len(month) >= 3 and 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def _weekday(today: date, weekday: int, *, strictly_before: bool) -> date:
    """The most recent such weekday: today counts unless `strictly_before`."""
    start = today - timedelta(days=1) if strictly_before else today
    return start - timedelta(days=(start.weekday() - weekday) % 7)


def _weekday_after(today: date, weekday: int) -> date:
    return today + timedelta(days=((weekday - today.weekday() - 1) % 7) + 1)


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
