"""Reading a day written in English or Danish, the one place that knows how people write dates.

Three places read dates people typed: the quick session note (`/mentoring log yesterday 45m`),
a pause (`/mentoring pause til 15. marts`) and the round workbook's cells. They used to carry
three copies of the month names and three sets of rules, which drifted apart ("til den 15.
marts" was a date in one and not in another). This module holds the words, the shapes and
the rules; each caller keeps only where it looks (a whole note, the start of a pause, a
whole cell) and what it does with what it finds.

Rules worth knowing:
- "Today" is the person's own: `local_today(now, zone)`; "yesterday" at 00:30 in
  Copenhagen is not yesterday in UTC.
- Numeric dates are day first ("2/12" is 2 December), as both languages write them; one that
  cannot be day first ("3/15") is read month first, as dateutil always did.
- What is not written is filled in towards the caller's side of today (`Yearless`): looking
  back (a session that was held) a year-less date or a lone weekday is the latest such day
  not after today, today included; looking ahead (a pause that ends) it is the first such
  day after today. A 29 February without a year is the nearest one that exists.
- "last Tuesday" / "sidste tirsdag" / "i tirsdags" are before today, "next Tuesday" /
  "næste tirsdag" / "på tirsdag" after it, whichever way the caller looks.
- What it will not guess, it reports as a doubt with the piece of text: "last week" or "i
  sidste uge" (which day?), a year-less date more than half a year back (a typo, or a date
  in the future?), a weekday that is not that date's ("Tuesday 3 Dec" when the 3rd is a
  Thursday); "31/2" is invalid.
- In running text some shapes are numbers more often than dates: "1.5" and "2.50" (a
  duration?), "10-12" (a range?). Only "2.12", "24.11", "10-12-2026" are dates there;
  where nothing but a date may stand (the start of a pause) "1.5" and "15-3" are dates too.
- Month and weekday names are read in both languages; weekday abbreviations only in the
  person's own language, and those that are ordinary words ("sat", "man") only after
  "last" / "sidste".

Whole cells (the workbook) are read by python-dateutil with the same names, so they may
carry a time of day ("18. marts 2027 kl. 17.00") and must say the year.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Final

from dateutil import parser as dateutil_parser
from dateutil.relativedelta import relativedelta

from bot.core.timing import zone
from bot.i18n import normalise_language

# --- words ----------------------------------------------------------------------------------------

# Every name a month goes by, English and Danish, lower case; the first is dateutil's own.
MONTHS: Final[tuple[tuple[str, ...], ...]] = (
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
WEEKDAYS: Final[dict[str, int]] = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "mandag": 0, "tirsdag": 1, "onsdag": 2, "torsdag": 3, "fredag": 4, "lørdag": 5, "søndag": 6,
}
# Abbreviations, read only in the person's own language. Those that are ordinary words
# ("sat", "sun", "man", "tor", "søn") are read only after "last" / "sidste" and the like.
_SAFE_ABBREVIATIONS: Final[dict[str, dict[str, int]]] = {
    "en": {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4},
    "da": {"tirs": 1, "ons": 2, "tors": 3, "fre": 4},
}
_QUALIFIED_ABBREVIATIONS: Final[dict[str, dict[str, int]]] = {
    "en": {"sat": 5, "sun": 6},
    "da": {"man": 0, "tir": 1, "tor": 3, "lør": 5, "søn": 6},
}
# Danish "i tirsdags" = last Tuesday.
_DANISH_PAST_WEEKDAY: Final[dict[str, int]] = {
    "man": 0, "tirs": 1, "ons": 2, "tors": 3, "fre": 4, "lør": 5, "søn": 6,
}


class _BilingualNames(dateutil_parser.parserinfo):
    """dateutil's parser with English and Danish month and weekday names, day first; "den"
    ("den 3. februar") is a filler word like English "of".

    dateutil reads any number of spellings per name; its stubs allow at most three."""

    MONTHS: list[tuple[str, ...]] = [tuple(names) for names in MONTHS]  # type: ignore[assignment]  # noqa: RUF012
    WEEKDAYS: list[tuple[str, ...]] = [  # type: ignore[assignment]  # noqa: RUF012
        ("mon", "monday", "man", "mandag"),
        ("tue", "tuesday", "tir", "tirs", "tirsdag"),
        ("wed", "wednesday", "ons", "onsdag"),
        ("thu", "thursday", "tor", "tors", "torsdag"),
        ("fri", "friday", "fre", "fredag"),
        ("sat", "saturday", "lør", "lørdag"),
        ("sun", "sunday", "søn", "søndag"),
    ]
    JUMP = [*dateutil_parser.parserinfo.JUMP, "den"]  # noqa: RUF012


_NAMES: Final = _BilingualNames(dayfirst=True)
_LEAP_YEAR: Final = 2000  # a year-less date is read in a leap year, so "29 feb" is a date


# --- what was read --------------------------------------------------------------------------------

class Yearless(enum.Enum):
    """Which side of today an under-specified date ("2 dec", "Tuesday") falls on."""

    PAST = "past"  # the latest such day not after today: a session that was held
    FUTURE = "future"  # the first such day after today: the day a pause ends


class DateDoubt(str, enum.Enum):
    AMBIGUOUS = "ambiguous"  # "last week", a year-less date long ago, a weekday that is not the date's
    INVALID = "invalid"  # "31/2", "2026-13-01"


# A year-less date further back than this is more likely a typo (or a date ahead) than a memory.
YEARLESS_LOOKBACK: Final = timedelta(days=183)


@dataclass(frozen=True, kw_only=True)
class DateRead:
    """One date found in the text: the day, or why not, and the piece of text it was read from."""

    day: date | None
    doubt: DateDoubt | None = None
    text: str
    start: int
    end: int


def local_today(now: datetime, timezone: str | None) -> date:
    """The date it is now where the person lives (an unknown zone counts as Copenhagen)."""
    return now.astimezone(zone(timezone)).date()


# --- shapes ---------------------------------------------------------------------------------------

_L = r"a-zæøåé"  # letters that end a word in either language
_END = rf"(?![{_L}0-9])"
_START = rf"(?<![{_L}0-9])"
_FLAGS = re.IGNORECASE


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted({re.escape(word) for word in words}, key=len, reverse=True))


_MONTH_NUMBER: Final[dict[str, int]] = {name: number for number, names in enumerate(MONTHS, 1) for name in names}
_MONTH_WORDS = _alternation(_MONTH_NUMBER)
# Danish "den 15. marts" / "d. 15/3"; English "the 15th of March" (an ordinal only: "the 3
# December deadline" keeps its "the").
_ARTICLE = rf"(?:{_START}(?:den|d\.)\s+|{_START}the\s+(?=\d{{1,2}}(?:st|nd|rd|th)))?"


def _weekday_prefix(days: Iterable[str]) -> str:
    """An optional weekday before a date: "Tuesday 2 December", "tirsdag den 2. dec"."""
    return rf"(?:{_START}(?P<wd>{_alternation(days)})\.?,?\s+)?"


_RELATIVE_DAYS: Final[tuple[tuple[str, int], ...]] = (  # longer phrases first
    (r"(?:the\s+)?day\s+before\s+yesterday|i\s*forgårs|forgårs", -2),
    (r"yesterday|last\s+night|i\s*går|igår|i\s+aftes", -1),
    (r"today|this\s+(?:morning|afternoon|evening)|tonight|i\s*dag|idag|i\s+morges|i\s+formiddags"
     r"|i\s+eftermiddags", 0),
    (r"tomorrow|i\s*morgen|imorgen", 1),
    (r"(?:a|one)\s+week\s+ago|(?:for\s+)?en\s+uge\s+siden", -7),
)
_DAYS_AGO = re.compile(rf"{_START}(?:for\s+)?(?P<n>\d{{1,2}})\s+(?:days?\s+ago|dage?\s+siden){_END}", _FLAGS)
_VAGUE = re.compile(
    rf"{_START}(?:(?:last|this|previous)\s+(?:week|month)|earlier\s+this\s+week|(?:i\s+)?(?:sidste|forrige|denne)"
    rf"\s+(?:uge|måned)|i\s+ugen|tidligere\s+på\s+ugen|recently|for\s+nylig){_END}",
    _FLAGS,
)
_DANISH_PAST = re.compile(rf"{_START}i\s+(?P<day>{_alternation(_DANISH_PAST_WEEKDAY)})dags{_END}", _FLAGS)
_BEFORE_TODAY = frozenset({"last", "previous", "sidste", "forrige"})
_AFTER_TODAY = frozenset({"next", "næste", "på"})

_ISO = re.compile(r"(?<![\d/.-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d/-])")


def _numeric(separator: str, *, year: str, tail: str) -> str:
    return rf"(?<![\d/.,:-])(?P<d>\d{{1,2}}){separator}(?P<m>\d{{1,2}}){year}{tail}"


# (name, pattern without the weekday and article that may stand before it)
_ABSOLUTE_SHAPES: Final[tuple[tuple[str, str], ...]] = (
    ("day_month", rf"(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?(?P<month>{_MONTH_WORDS})\.?"
                  rf"(?:,?\s*(?P<y>\d{{4}}))?{_END}"),
    ("month_day", rf"(?P<month>{_MONTH_WORDS})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s*(?P<y>\d{{4}}))?{_END}"),
    ("slash", _numeric("/", year=r"(?:/(?P<y>\d{4}|\d{2}))?", tail=r"(?![\d/:])")),
    ("dot", _numeric(r"\.", year=r"(?:\.(?P<y>\d{4}|\d{2})(?!\d)|\.(?!\d))", tail="")),
    # "2.12" without a trailing dot, and "15-3": in running text a date only when it cannot
    # well be a number ("1.5", "2.50") or a range ("10-12").
    ("short_dot", _numeric(r"\.", year="(?P<y>)", tail=r"(?![\d.,/:])")),
    ("dash", _numeric("-", year=r"(?:-(?P<y>\d{4}|\d{2}))?", tail=r"(?![\d/:-])")),
)
_NUMERIC = frozenset({"slash", "dot", "short_dot", "dash"})


def _plausible_in_running_text(shape: str, match: re.Match[str]) -> bool:
    """ "2.12" and "24.11" read as dates; "1.5" and "2.50" stay numbers; "10-12" needs its year."""
    if shape == "short_dot":
        day, month = match["d"], match["m"]
        return len(day) + len(month) >= 3 and 1 <= int(day) <= 31 and 1 <= int(month) <= 12
    if shape == "dash":
        return bool(match["y"])
    return True


# --- rules: a shape and what it means -------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class _Context:
    today: date
    yearless: Yearless


_Reading = Callable[[re.Match[str], _Context], date | DateDoubt]


@dataclass(frozen=True, kw_only=True)
class _Rule:
    pattern: re.Pattern[str]
    read: _Reading
    in_running_text: Callable[[re.Match[str]], bool] | None = None  # None: always


def _days_from_today(offset: int) -> _Reading:
    def read(_match: re.Match[str], context: _Context) -> date | DateDoubt:
        return context.today + timedelta(days=offset)

    return read


def _weekday_on_or_before(day: date, weekday: int) -> date:
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def _weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _weekday(weekday: int, context: _Context, *, which: str | None = None) -> date:
    """A weekday named without a date: before or after today when "last"/"next" says so,
    otherwise on the caller's side of today (today counts when looking back)."""
    today = context.today
    if which in _BEFORE_TODAY:
        return _weekday_on_or_before(today - timedelta(days=1), weekday)
    if which in _AFTER_TODAY:
        return _weekday_on_or_after(today + timedelta(days=1), weekday)
    if context.yearless is Yearless.PAST:
        return _weekday_on_or_before(today, weekday)
    return _weekday_on_or_after(today + timedelta(days=1), weekday)


def _with_year(month: int, day: int, context: _Context) -> date | DateDoubt:
    """A year-less day on the caller's side of today; far back is a doubt, not a memory."""
    today = context.today
    step = -1 if context.yearless is Yearless.PAST else 1
    for offset in range(9):  # a 29 February exists at least once in eight years
        try:
            candidate = date(today.year + step * offset, month, day)
        except ValueError:
            continue
        if (context.yearless is Yearless.PAST and candidate <= today) or (
            context.yearless is Yearless.FUTURE and candidate > today
        ):
            break
    else:  # pragma: no cover - dateutil let through a day that never exists
        return DateDoubt.INVALID
    if context.yearless is Yearless.PAST and today - candidate > YEARLESS_LOOKBACK:
        return DateDoubt.AMBIGUOUS
    return candidate


def _absolute(shape: str, weekdays: dict[str, int]) -> _Reading:
    def read(match: re.Match[str], context: _Context) -> date | DateDoubt:
        year_given = bool(match["y"])
        if shape in _NUMERIC:
            written = f"{match['d']}/{match['m']}" + (f"/{match['y']}" if year_given else "")
        else:
            written = f"{match['d']} {match['month']}" + (f" {match['y']}" if year_given else "")
        try:
            parsed = dateutil_parser.parse(written, parserinfo=_NAMES, default=datetime(_LEAP_YEAR, 1, 1)).date()
        except (ValueError, OverflowError):
            return DateDoubt.INVALID
        day = parsed if year_given else _with_year(parsed.month, parsed.day, context)
        if isinstance(day, date) and match["wd"] and weekdays[match["wd"].lower()] != day.weekday():
            return DateDoubt.AMBIGUOUS  # "Tuesday 3 December" when the 3rd is a Thursday: which one?
        return day

    return read


def _read_iso(match: re.Match[str], context: _Context) -> date | DateDoubt:
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return DateDoubt.INVALID


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


@cache
def _rules(language: str) -> tuple[_Rule, ...]:
    """The rules in the order they are tried: a piece read by one is not read again."""
    rules: list[_Rule] = []
    for phrase, offset in _RELATIVE_DAYS:
        rules.append(_Rule(pattern=_compile(rf"{_START}(?:{phrase}){_END}"), read=_days_from_today(offset)))
    rules.append(_Rule(pattern=_DAYS_AGO, read=lambda m, c: c.today - timedelta(days=int(m["n"]))))
    rules.append(_Rule(pattern=_VAGUE, read=lambda _m, _c: DateDoubt.AMBIGUOUS))
    rules.append(_Rule(pattern=_DANISH_PAST,
                       read=lambda m, c: _weekday(_DANISH_PAST_WEEKDAY[m["day"].lower()], c, which="last")))
    qualified = {**WEEKDAYS, **_SAFE_ABBREVIATIONS[language], **_QUALIFIED_ABBREVIATIONS[language]}
    rules.append(_Rule(
        pattern=_compile(rf"{_START}(?P<which>last|previous|sidste|forrige|next|næste|this|denne|på)\s+"
                         rf"(?P<day>{_alternation(qualified)})\.?{_END}"),
        read=lambda m, c: _weekday(qualified[m["day"].lower()], c, which=m["which"].lower()),
    ))
    rules.append(_Rule(pattern=_ISO, read=_read_iso))
    bare = {**WEEKDAYS, **_SAFE_ABBREVIATIONS[language]}
    prefix = _weekday_prefix(bare)
    for shape, body in _ABSOLUTE_SHAPES:
        check = None if shape not in ("short_dot", "dash") else (
            lambda m, shape=shape: _plausible_in_running_text(shape, m))
        rules.append(_Rule(pattern=_compile(prefix + _ARTICLE + body), read=_absolute(shape, bare), in_running_text=check))
    rules.append(_Rule(pattern=_compile(rf"{_START}(?P<day>{_alternation(bare)}){_END}"),
                       read=lambda m, c: _weekday(bare[m["day"].lower()], c)))
    return tuple(rules)


def _found(match: re.Match[str], value: date | DateDoubt) -> DateRead:
    if isinstance(value, DateDoubt):
        return DateRead(day=None, doubt=value, text=match.group(0), start=match.start(), end=match.end())
    return DateRead(day=value, text=match.group(0), start=match.start(), end=match.end())


# --- where to look --------------------------------------------------------------------------------

class Unread:
    """Text being read piece by piece: what one reader understood is masked out, so the next
    (a date after a duration, say) never reads the same characters twice."""

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
        """The text with what was taken blanked out, positions kept."""
        return "".join(" " if taken else char for char, taken in zip(self.text, self._taken, strict=True))


def find_dates(
    source: Unread, *, today: date, language: str | None, yearless: Yearless = Yearless.PAST
) -> list[DateRead]:
    """Every date in running text ("i går 1t30 CV", "met on 2 Dec"), taken out of `source`."""
    context = _Context(today=today, yearless=yearless)
    found: list[DateRead] = []
    for rule in _rules(normalise_language(language)):
        found.extend(_found(match, rule.read(match, context))
                     for match in source.take(rule.pattern, accept=rule.in_running_text))
    return found


_AFTER_LEADING = re.compile(r"[.,;:]?(?:\s|$)")


def leading_date(
    text: str, *, today: date, language: str | None, yearless: Yearless = Yearless.FUTURE
) -> DateRead | None:
    """The date the text starts with ("15. marts flytning", "next monday", "1.5"), the
    longest one that ends where a word ends; None when it starts with no date. Here, where
    nothing but a date may stand, "1.5" and "15-3" are dates."""
    context = _Context(today=today, yearless=yearless)
    best: tuple[re.Match[str], _Rule] | None = None
    for rule in _rules(normalise_language(language)):
        match = rule.pattern.match(text)
        if match is None or match.end() == 0 or not _AFTER_LEADING.match(text, match.end()):
            continue
        if best is None or match.end() > best[0].end():
            best = (match, rule)
    if best is None:
        return None
    match, rule = best
    return _found(match, rule.read(match, context))


# --- whole cells ----------------------------------------------------------------------------------

_YEAR_FIRST = re.compile(r"^\d{4}[-/.]")
_DANISH_CLOCK = re.compile(r"\bkl\b\.?", re.IGNORECASE)
_DOTTED_TIME = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?![\d.])")
# Two different defaults: a component that differs between the two parses was not in the
# text, so "Feb 2027" (no day) is refused instead of silently becoming 1 February.
_DEFAULT_A: Final = datetime(1999, 1, 1, 0, 0)
_DEFAULT_B: Final = datetime(2004, 2, 2, 13, 0)


def read_date_and_time(text: str) -> tuple[datetime, bool] | None:
    """A whole text that is a complete date, perhaps with a time of day ("18. marts 2027
    kl. 17.00", "18 Mar 2027 9:30"), as (naive datetime, whether a time was written); None
    when it is not one, or leaves out the year, month or day."""
    prepared = _DOTTED_TIME.sub(r"\1:\2", _DANISH_CLOCK.sub(" ", text))
    # dateutil reads "2027-02-03" as 2 March when day first; ISO-like text is year first.
    year_first = bool(_YEAR_FIRST.match(prepared.strip()))
    results: list[datetime] = []
    for default in (_DEFAULT_A, _DEFAULT_B):
        try:
            parsed = dateutil_parser.parse(
                prepared, parserinfo=_NAMES, default=default, dayfirst=not year_first, yearfirst=year_first
            )
        except (ValueError, OverflowError, TypeError):
            return None
        results.append(parsed.replace(tzinfo=None))
    first, second = results
    if first.date() != second.date():
        return None
    return first, first.hour == second.hour


def read_complete_date(text: str) -> date | None:
    """A whole text that is a complete date ("2027-02-03", "3. februar 2027", "onsdag 3. feb.
    2027"); a time of day written with it is ignored."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    read = read_date_and_time(text)
    return read[0].date() if read else None


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later (or earlier, for a negative count),
    falling back to the month's last day: six months after 31 August is 28 or 29 February."""
    return day + relativedelta(months=months)


__all__ = [
    "MONTHS",
    "WEEKDAYS",
    "YEARLESS_LOOKBACK",
    "DateDoubt",
    "DateRead",
    "Unread",
    "Yearless",
    "find_dates",
    "leading_date",
    "local_today",
    "months_after",
    "read_complete_date",
    "read_date_and_time",
]
