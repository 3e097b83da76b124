"""The round workbook: one Excel format to set up, export and re-import a round.

Coordinators live in spreadsheets, so a round is described by one workbook with the
sheets ``Programme``, ``Meetings``, ``Participants`` and (optionally) ``Pairs`` and
``Criteria`` (the programme's success criteria, as data). The same format is written by
the template, by an export of a running round and by a matching proposal (a ``Pairs``
sheet with extra ``score`` and ``reasons`` columns), so whatever the bot hands out can be
edited in Excel and read straight back.

Reading never stops at the first mistake: a coordinator fixing a 40-row sheet wants
every problem at once, each pinned to the sheet, Excel row and column they see. This
module knows nothing of Slack: it reports a :class:`Problem` as a catalog code plus
parameters, and whoever shows it renders it in the reader's language.
:meth:`Problem.english` gives command-line tools and tests readable text.

Lists inside a cell (``languages``, ``interests``) are separated by commas; semicolons
and line breaks also separate items, and every item is stripped. An item therefore
can never contain a comma: :func:`write_workbook` splits such an item rather than
writing something that would read back differently.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache, total_ordering
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, TypeAlias
from warnings import catch_warnings, simplefilter
from xml.etree import ElementTree
from zipfile import BadZipFile, ZipFile
from zoneinfo import ZoneInfo, available_timezones

from bot.core.dates import WEEKDAYS, read_complete_date, read_date_and_time
from bot.i18n import plain_entries
from bot.surveys.criteria import DEFAULT_CRITERIA, CriterionSpec
from storage.models import CriterionMeasure, Role, SurveyKind

if TYPE_CHECKING:
    # openpyxl loads only when a workbook is read or written: the functions that do so import
    # it themselves, so a web process that never sees a workbook never pays for it.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "CRITERION_MEASURES",
    "CRITERION_ROLES",
    "CRITERION_SURVEYS",
    "LANGUAGES",
    "MEETING_KINDS",
    "PROBLEM_CODES",
    "ROLES",
    "MeetingRow",
    "PairRow",
    "ParticipantRow",
    "Problem",
    "ProgrammeSettings",
    "RoundWorkbook",
    "read_workbook",
    "workbook_bytes",
    "write_template",
    "write_workbook",
]

# --------------------------------------------------------------------------- vocabulary

SHEET_INSTRUCTIONS: Final = "Instructions"
SHEET_PROGRAMME: Final = "Programme"
SHEET_MEETINGS: Final = "Meetings"
SHEET_PARTICIPANTS: Final = "Participants"
SHEET_PAIRS: Final = "Pairs"
SHEET_CRITERIA: Final = "Criteria"
#: The order problems are listed in: the order a coordinator fills the sheets in.
SHEET_ORDER: Final = (SHEET_PROGRAMME, SHEET_MEETINGS, SHEET_PARTICIPANTS, SHEET_PAIRS, SHEET_CRITERIA)

MEETING_KINDS: Final = (
    "mentor_course",
    "cv_workshop",
    "kick_off",
    "midway",
    "interview_workshop",
    "closing",
    "other",
)
ROLES: Final = ("mentor", "mentee", "coordinator", "company_contact")
LANGUAGES: Final = ("en", "da")
#: A criterion's measure, whom it is asked of, and in which surveys (mentors' and mentees' agree criteria).
CRITERION_MEASURES: Final = tuple(measure.value for measure in CriterionMeasure)
CRITERION_ROLES: Final = (Role.MENTOR.value, Role.MENTEE.value, Role.COMPANY_CONTACT.value)
CRITERION_SURVEYS: Final = (SurveyKind.MIDWAY.value, SurveyKind.FINAL.value)

PROGRAMME_KEYS: Final = (
    "programme",
    "round",
    "starts_on",
    "ends_on",
    "language",
    "coordinator_channel",
    "session_every_days",
    "timezone",
    "pulse_every_days",
    "min_answers_shown",
    "digest_weekday",
    "digest_hour",
    "retention_months",
)
PROGRAMME_REQUIRED: Final = ("programme", "round", "starts_on", "ends_on")
MEETING_COLUMNS: Final = ("kind", "title", "starts_at", "duration_minutes", "location")
MEETING_REQUIRED: Final = ("kind", "title", "starts_at", "duration_minutes")
PARTICIPANT_COLUMNS: Final = (
    "email",
    "name",
    "role",
    "field",
    "languages",
    "interests",
    "company",
    "partner_company",
    "home_country",
    "language",
    "max_mentees",
)
PARTICIPANT_REQUIRED: Final = ("email", "name", "role")
PAIR_COLUMNS: Final = ("mentor_email", "mentee_email")
CRITERION_COLUMNS: Final = ("key", "statement_en", "statement_da", "measure", "asked_of", "surveys", "target")
#: Besides these, at least one of statement_en and statement_da (the other falls back to it).
CRITERION_REQUIRED: Final = ("key", "measure", "asked_of", "target")
CRITERION_STATEMENTS: Final = ("statement_en", "statement_da")

DEFAULT_LANGUAGE: Final = "en"
DEFAULT_SESSION_EVERY_DAYS: Final = 14
DEFAULT_PULSE_EVERY_DAYS: Final = 21
# The coordinators' weekly digest: Monday (0 = Monday .. 6 = Sunday) at 09:00.
DEFAULT_DIGEST_WEEKDAY: Final = 0
DEFAULT_DIGEST_HOUR: Final = 9
DIGEST_WEEKDAY_NAMES: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Days between reminders or pulses: a year is more than any round lasts.
MAX_EVERY_DAYS: Final = 365
#: The anonymity threshold: no figure from fewer answers is shown. Below 3, two people who
#: compare notes could work out a third person's answer; the database refuses it too.
DEFAULT_MIN_ANSWERS_SHOWN: Final = 5
MIN_ANSWERS_SHOWN_FLOOR: Final = 3
MAX_ANSWERS_SHOWN: Final = 1000
#: Retention (GDPR art. 5(1)(e)): a round's personal data is erased this many months after
#: its six-month follow-up; the database allows 1 to 120 (ten years), as here.
DEFAULT_RETENTION_MONTHS: Final = 12
MAX_RETENTION_MONTHS: Final = 120
#: Answers to a criterion are stored under its key, beside the bot's own questions.
RESERVED_CRITERION_KEYS: Final = ("comment", "recommend")
DEFAULT_TIMEZONE: Final = "Europe/Copenhagen"
MIN_DURATION_MINUTES: Final = 1
MAX_DURATION_MINUTES: Final = 24 * 60
#: Data validations cover this many rows: far more than a round of ~40 people needs.
VALIDATION_LAST_ROW: Final = 1000

# Problem codes: each is a key in bot/i18n/catalogs/workbook.<lang>.json.
FILE_UNREADABLE: Final = "workbook.file.unreadable"
FILE_TOO_LARGE: Final = "workbook.file.too_large"
FILE_UNPACKS_TOO_LARGE: Final = "workbook.file.unpacks_too_large"
SHEET_TOO_MANY_ROWS: Final = "workbook.sheet.too_many_rows"
SHEET_TOO_LONG: Final = "workbook.sheet.too_long"
SHEET_TOO_BIG: Final = "workbook.sheet.too_big"
CELL_ERROR: Final = "workbook.cell.error"
CELL_FORMULA_NO_VALUE: Final = "workbook.cell.formula_no_value"
CELL_BOOLEAN: Final = "workbook.cell.boolean"
SHEET_MISSING: Final = "workbook.sheet.missing"
HEADER_MISSING: Final = "workbook.header.missing"
HEADER_DUPLICATE: Final = "workbook.header.duplicate"
SETTING_UNKNOWN: Final = "workbook.setting.unknown"
SETTING_DUPLICATE: Final = "workbook.setting.duplicate"
VALUE_MISSING: Final = "workbook.value.missing"
EMAIL_INVALID: Final = "workbook.email.invalid"
EMAIL_DUPLICATE: Final = "workbook.email.duplicate"
ROLE_UNKNOWN: Final = "workbook.role.unknown"
KIND_UNKNOWN: Final = "workbook.kind.unknown"
LANGUAGE_UNKNOWN: Final = "workbook.language.unknown"
DATE_INVALID: Final = "workbook.date.invalid"
DATETIME_INVALID: Final = "workbook.datetime.invalid"
DATETIME_NO_TIME: Final = "workbook.datetime.no_time"
INT_INVALID: Final = "workbook.int.invalid"
INT_TOO_SMALL: Final = "workbook.int.too_small"
DURATION_OUT_OF_RANGE: Final = "workbook.duration.out_of_range"
TIMEZONE_UNKNOWN: Final = "workbook.timezone.unknown"
CHANNEL_INVALID: Final = "workbook.channel.invalid"
ROUND_END_BEFORE_START: Final = "workbook.round.end_before_start"
MEETING_OUTSIDE_ROUND: Final = "workbook.meeting.outside_round"
PAIR_UNKNOWN_PERSON: Final = "workbook.pair.unknown_person"
PAIR_WRONG_ROLE: Final = "workbook.pair.wrong_role"
PAIR_MENTEE_TWICE: Final = "workbook.pair.mentee_twice"
PAIR_DUPLICATE: Final = "workbook.pair.duplicate"
PAIR_OVER_CAPACITY: Final = "workbook.pair.over_capacity"
VALUE_TOO_LONG: Final = "workbook.value.too_long"
INT_TOO_LARGE: Final = "workbook.int.too_large"
ANONYMITY_TOO_LOW: Final = "workbook.anonymity.too_low"
COMPANY_MISSING: Final = "workbook.company.missing"
CRITERION_KEY_INVALID: Final = "workbook.criterion.key_invalid"
CRITERION_KEY_RESERVED: Final = "workbook.criterion.key_reserved"
CRITERION_DUPLICATE: Final = "workbook.criterion.duplicate"
CRITERION_NO_STATEMENT: Final = "workbook.criterion.no_statement"
CRITERION_MEASURE_UNKNOWN: Final = "workbook.criterion.measure_unknown"
CRITERION_ROLE_UNKNOWN: Final = "workbook.criterion.role_unknown"
CRITERION_SURVEY_UNKNOWN: Final = "workbook.criterion.survey_unknown"
CRITERION_SURVEYS_MISSING: Final = "workbook.criterion.surveys_missing"
CRITERION_EMPLOYED_ROLES: Final = "workbook.criterion.employed_roles"
CRITERION_RECOMMEND_ROLES: Final = "workbook.criterion.recommend_roles"
TARGET_INVALID: Final = "workbook.target.invalid"
TARGET_OUT_OF_RANGE: Final = "workbook.target.out_of_range"
TARGET_AMBIGUOUS: Final = "workbook.target.ambiguous"
WEEKDAY_UNKNOWN: Final = "workbook.weekday.unknown"

PROBLEM_CODES: Final = (
    FILE_UNREADABLE,
    FILE_TOO_LARGE,
    FILE_UNPACKS_TOO_LARGE,
    SHEET_TOO_BIG,
    SHEET_TOO_MANY_ROWS,
    SHEET_TOO_LONG,
    CELL_ERROR,
    CELL_FORMULA_NO_VALUE,
    CELL_BOOLEAN,
    SHEET_MISSING,
    HEADER_MISSING,
    HEADER_DUPLICATE,
    SETTING_UNKNOWN,
    SETTING_DUPLICATE,
    VALUE_MISSING,
    EMAIL_INVALID,
    EMAIL_DUPLICATE,
    ROLE_UNKNOWN,
    KIND_UNKNOWN,
    LANGUAGE_UNKNOWN,
    DATE_INVALID,
    DATETIME_INVALID,
    DATETIME_NO_TIME,
    INT_INVALID,
    INT_TOO_SMALL,
    DURATION_OUT_OF_RANGE,
    TIMEZONE_UNKNOWN,
    WEEKDAY_UNKNOWN,
    CHANNEL_INVALID,
    ROUND_END_BEFORE_START,
    MEETING_OUTSIDE_ROUND,
    PAIR_UNKNOWN_PERSON,
    PAIR_WRONG_ROLE,
    PAIR_MENTEE_TWICE,
    PAIR_DUPLICATE,
    PAIR_OVER_CAPACITY,
    VALUE_TOO_LONG,
    INT_TOO_LARGE,
    ANONYMITY_TOO_LOW,
    COMPANY_MISSING,
    CRITERION_KEY_INVALID,
    CRITERION_KEY_RESERVED,
    CRITERION_DUPLICATE,
    CRITERION_NO_STATEMENT,
    CRITERION_MEASURE_UNKNOWN,
    CRITERION_ROLE_UNKNOWN,
    CRITERION_SURVEY_UNKNOWN,
    CRITERION_SURVEYS_MISSING,
    CRITERION_EMPLOYED_ROLES,
    CRITERION_RECOMMEND_ROLES,
    TARGET_INVALID,
    TARGET_OUT_OF_RANGE,
    TARGET_AMBIGUOUS,
)

#: The longest text each column may hold: the database's column sizes, so a workbook
#: that imports on a laptop's SQLite also imports on production PostgreSQL.
MAX_LENGTHS: Final[dict[tuple[str, str], int]] = {
    (SHEET_PROGRAMME, "programme"): 200,
    (SHEET_PROGRAMME, "round"): 200,
    (SHEET_PROGRAMME, "coordinator_channel"): 100,
    (SHEET_MEETINGS, "title"): 200,
    (SHEET_MEETINGS, "location"): 500,
    (SHEET_PARTICIPANTS, "email"): 320,
    (SHEET_PARTICIPANTS, "name"): 200,
    (SHEET_PARTICIPANTS, "field"): 200,
    (SHEET_PARTICIPANTS, "company"): 200,
    (SHEET_PARTICIPANTS, "partner_company"): 200,
    (SHEET_PARTICIPANTS, "home_country"): 100,
    (SHEET_PARTICIPANTS, "languages"): 100,  # per item
    (SHEET_PARTICIPANTS, "interests"): 100,  # per item
    (SHEET_CRITERIA, "key"): 64,
    # A statement is one sentence people rate in a survey; 500 keeps it readable in a modal.
    (SHEET_CRITERIA, "statement_en"): 500,
    (SHEET_CRITERIA, "statement_da"): 500,
}

LOCATION_CELL: Final = "workbook.location.cell"
LOCATION_ROW: Final = "workbook.location.row"
LOCATION_SHEET: Final = "workbook.location.sheet"
LOCATION_KEYS: Final = (LOCATION_CELL, LOCATION_ROW, LOCATION_SHEET)


# ------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class ProgrammeSettings:
    """The ``Programme`` sheet: which round this is and how the bot should run it."""

    programme: str
    round: str
    starts_on: date
    ends_on: date
    language: str = DEFAULT_LANGUAGE
    coordinator_channel: str | None = None
    session_every_days: int = DEFAULT_SESSION_EVERY_DAYS
    timezone: str = DEFAULT_TIMEZONE
    pulse_every_days: int = DEFAULT_PULSE_EVERY_DAYS
    min_answers_shown: int = DEFAULT_MIN_ANSWERS_SHOWN
    digest_weekday: int = DEFAULT_DIGEST_WEEKDAY  # 0 = Monday .. 6 = Sunday
    digest_hour: int = DEFAULT_DIGEST_HOUR
    retention_months: int = DEFAULT_RETENTION_MONTHS


@dataclass(frozen=True)
class MeetingRow:
    """One shared meeting; ``starts_at`` is naive wall-clock time in the round's time zone."""

    row: int
    kind: str
    title: str
    starts_at: datetime
    duration_minutes: int
    location: str | None = None


@dataclass(frozen=True)
class ParticipantRow:
    """One person; ``email`` (lower-case) is the key a re-import updates people by.

    ``max_mentees`` only means something for mentors; it is 1 for everyone else.
    ``partner_company`` only means something for mentees (where their partner works, which
    links them to that company's contact); it is None for everyone else.
    ``language`` is None when the person should get the programme's language.
    """

    row: int
    email: str
    name: str
    role: str
    field: str | None = None
    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    company: str | None = None
    home_country: str | None = None
    language: str | None = None
    max_mentees: int = 1
    partner_company: str | None = None


@dataclass(frozen=True)
class PairRow:
    """A mentor and mentee matched by hand or proposed by matching.

    ``extra`` keeps any further columns (``score``, ``reasons`` ...) keyed by their
    normalised header, so a proposal survives a trip through Excel. Blank cells are
    left out. It is excluded from hashing because dicts cannot be hashed.
    """

    row: int
    mentor_email: str
    mentee_email: str
    extra: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class RoundWorkbook:
    """Everything one workbook says about a round, already validated.

    ``criteria`` is None when the workbook has no Criteria sheet (or an empty one): the
    programme then keeps the criteria it has. Written, None leaves the sheet out."""

    programme: ProgrammeSettings
    meetings: tuple[MeetingRow, ...] = ()
    participants: tuple[ParticipantRow, ...] = ()
    pairs: tuple[PairRow, ...] = ()
    criteria: tuple[CriterionSpec, ...] | None = None


_COLUMN_ORDER: Final[dict[str, tuple[str, ...]]] = {
    SHEET_PROGRAMME: PROGRAMME_KEYS,
    SHEET_MEETINGS: MEETING_COLUMNS,
    SHEET_PARTICIPANTS: PARTICIPANT_COLUMNS,
    SHEET_PAIRS: PAIR_COLUMNS,
    SHEET_CRITERIA: CRITERION_COLUMNS,
}


@total_ordering
@dataclass(frozen=True, eq=True)
class Problem:
    """One thing wrong with a workbook, as a catalog code so any language can show it.

    ``sheet`` is "" for problems with the file as a whole; ``row`` is the Excel row
    number a person sees (None for a whole sheet); ``column`` is the header name.
    Problems sort in the order a person works through the workbook: by sheet, then
    row, then column.
    """

    sheet: str
    row: int | None
    column: str | None
    code: str
    params: dict[str, str] = field(default_factory=dict, hash=False)

    def _sort_key(self) -> tuple[int, int, int, str, str]:
        if not self.sheet:
            sheet_rank = 0  # the file as a whole comes first
        elif self.sheet in SHEET_ORDER:
            sheet_rank = SHEET_ORDER.index(self.sheet) + 1
        else:
            sheet_rank = len(SHEET_ORDER) + 1
        columns = _COLUMN_ORDER.get(self.sheet, ())
        if self.column is None:
            column_rank = -1
        elif self.column in columns:
            column_rank = columns.index(self.column)
        else:
            column_rank = len(columns)
        return (sheet_rank, self.row or 0, column_rank, self.column or "", self.code)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return self._sort_key() < other._sort_key()

    def render(self, catalog: Mapping[str, str]) -> str:
        """The problem in the catalog's language, prefixed by where to look.

        Unknown keys or placeholders degrade to the code and raw text rather than
        raising: a report with one odd line beats no report at all.
        """
        template = catalog.get(self.code)
        if template is None:
            params = ", ".join(f"{key}={value}" for key, value in sorted(self.params.items()))
            message = f"{self.code} ({params})" if params else self.code
        else:
            message = template.format_map(_Lenient(self.params))
        if not self.sheet:
            return message
        if self.row is None:
            key = LOCATION_SHEET
        elif self.column is None:
            key = LOCATION_ROW
        else:
            key = LOCATION_CELL
        location = catalog.get(key, "{sheet}: {message}")
        return location.format_map(
            _Lenient(
                {
                    "sheet": self.sheet,
                    "row": "" if self.row is None else str(self.row),
                    "column": self.column or "",
                    "message": message,
                }
            )
        )

    def english(self) -> str:
        """English text, for the CLI and tests."""
        return self.render(plain_entries("en"))


class _Lenient(dict[str, str]):
    """Leaves an unknown ``{placeholder}`` visible instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# ---------------------------------------------------------------------- value parsing

_EMAIL_LOCAL_RE: Final = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_EMAIL_DOMAIN_RE: Final = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_CHANNEL_ID_RE: Final = re.compile(r"^[CG][A-Z0-9]{2,}$")
_CHANNEL_NAME_RE: Final = re.compile(r"^[\w-]{1,80}$")
_LIST_SEPARATOR_RE: Final = re.compile(r"[,;\r\n]")
_HEADER_SPACE_RE: Final = re.compile(r"[\s-]+")
_MAX_SHOWN: Final = 80


def _clean(value: object) -> object:
    """Strip text and turn blank text into None, so "  " counts as missing."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(value: object) -> str | None:
    """Any cell value as the text a person would read in the cell."""
    value = _clean(value)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip() or None


def _shown(value: object) -> str:
    """A cell value short enough to quote in a message."""
    text = _text(value) or ""
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _is_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    if not at or not local or len(text) > 254:
        return False
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return bool(_EMAIL_LOCAL_RE.match(local)) and bool(_EMAIL_DOMAIN_RE.match(domain))


def _split_list(text: str | None) -> tuple[str, ...]:
    if text is None:
        return ()
    return tuple(item.strip() for item in _LIST_SEPARATOR_RE.split(text) if item.strip())


def _parse_date(value: object) -> date | None:
    """An Excel date cell, or text that `bot.core.dates` reads as a complete date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return read_complete_date(value)
    return None


def _round_to_minute(moment: datetime) -> datetime:
    """Excel stores times as fractions of a day; rounding absorbs the float error."""
    return (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)


def _parse_datetime(value: object) -> tuple[datetime | None, str | None]:
    """A meeting start as (naive datetime, None) or (None, problem code).

    A start at exactly midnight is refused as "no time": a date-only Excel cell looks
    exactly like that, and a reminder at 00:00 is never what the coordinator meant.
    """
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)
    elif isinstance(value, date):
        return None, DATETIME_NO_TIME
    elif isinstance(value, str):
        loose = read_date_and_time(value)
        if loose is None:
            return None, DATETIME_INVALID
        moment, has_time = loose
        if not has_time:
            return None, DATETIME_NO_TIME
    else:
        return None, DATETIME_INVALID
    moment = _round_to_minute(moment)
    if moment.time() == time(0, 0):
        return None, DATETIME_NO_TIME
    return moment, None


def _parse_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


@dataclass(frozen=True)
class _Percent:
    """A number from a cell Excel formats as a percentage: 0.8 shown as 80 %.

    `values_only` reading loses the format, and with it the difference between 80 % and
    0.8 typed in a plain cell, so a table reads such cells into this marker."""

    share: float

    def __str__(self) -> str:
        return f"{self.share * 100:g}%"


#: Floats this close to a simple fraction are that fraction (2/3 written as 0.6666666666666666).
_FLOAT_NOISE: Final = 1e-9
_SIMPLE_DENOMINATOR: Final = 1000


def _exact(number: float) -> Fraction:
    """A cell's number as the fraction a person meant: 0.667 is 667/1000, but
    0.6666666666666666 (two thirds, as Excel and Python store it) is 2/3."""
    if isinstance(number, int):
        return Fraction(number)
    simple = Fraction(number).limit_denominator(_SIMPLE_DENOMINATOR)
    if abs(float(simple) - number) <= _FLOAT_NOISE * max(1.0, abs(number)):
        return simple
    return Fraction(Decimal(repr(number)))


def _decimal_fraction(text: str) -> Fraction | None:
    """ "66.7" or the Danish "66,7" as an exact fraction; None for anything else."""
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return Fraction(number) if number.is_finite() else None


def _parse_share(value: object) -> tuple[Fraction | None, str | None]:
    """A target as (share in [0, 1], None) or (None, problem code).

    "80%", "66.7 %", a percent-formatted cell and "2/3" are unambiguous. A bare number is
    a percentage ("80" is 80 %), except strictly between 0 and 1, where 0.8 may mean 80 %
    (a share) or 0.8 %: that is refused rather than guessed."""
    share: Fraction | None
    if isinstance(value, _Percent):
        share = _exact(value.share) if math.isfinite(value.share) else None
    elif isinstance(value, bool):
        return None, TARGET_INVALID
    elif isinstance(value, (int, float)):
        if not math.isfinite(value):
            return None, TARGET_INVALID
        percent = _exact(value)
        if 0 < percent < 1:
            return None, TARGET_AMBIGUOUS
        share = percent / 100
    elif isinstance(value, str):
        text = "".join(value.split())
        if text.endswith("%"):
            percent_or_none = _decimal_fraction(text[:-1])
            share = None if percent_or_none is None else percent_or_none / 100
        elif "/" in text:
            top, _, bottom = text.partition("/")
            numerator, denominator = _parse_int(top), _parse_int(bottom)
            share = Fraction(numerator, denominator) if numerator is not None and denominator else None
        else:
            percent_or_none = _decimal_fraction(text)
            if percent_or_none is not None and 0 < percent_or_none < 1:
                return None, TARGET_AMBIGUOUS
            share = None if percent_or_none is None else percent_or_none / 100
    else:
        return None, TARGET_INVALID
    if share is None:
        return None, TARGET_INVALID
    if not 0 <= share <= 1:
        return None, TARGET_OUT_OF_RANGE
    return share, None


def _normalise_code(text: str) -> str:
    """ "Kick-off" and "kick off" both mean kick_off; case never matters."""
    return _HEADER_SPACE_RE.sub("_", text.strip().lower())


@cache
def _timezones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def _timezone(text: str) -> str | None:
    """The canonical IANA name, forgiving letter case ("europe/copenhagen")."""
    try:
        ZoneInfo(text)
    except (KeyError, ValueError, OSError):
        return _timezones_by_lower_name().get(text.lower())
    return text


def _channel(text: str) -> str | None:
    """"#name" (Slack names are lower-case) or a channel ID such as C0123ABCD."""
    if _CHANNEL_ID_RE.match(text):
        return text
    name = text[1:] if text.startswith("#") else text
    if _CHANNEL_NAME_RE.match(name):
        return "#" + name.lower()
    return None


# ---------------------------------------------------------------------------- reading


# ------------------------------------------------------------------- limits of what is read

#: A file over this size is refused before it is opened (the Slack upload is also checked
#: against Slack's reported size before it is downloaded). A round's workbook is tens of
#: kilobytes; this leaves room for pictures and styles.
MAX_FILE_BYTES: Final = 5 * 1024 * 1024
#: What the parts of the .xlsx (a zip archive) may unpack to in all, by the sizes the archive
#: declares, which Python's zipfile never reads past. A round's workbook unpacks to well under
#: a megabyte; a few megabytes of zip can otherwise unpack to gigabytes of XML.
MAX_UNPACKED_BYTES: Final = 64 * 1024 * 1024
#: What one sheet's XML may unpack to. openpyxl reads a whole sheet once just to find its size
#: when the file does not state it (a program's file may not), before a single row comes; a
#: round's 2,000 rows take well under 2 MB, and 100,000 people took 26 MB and 11 seconds.
MAX_SHEET_UNPACKED_BYTES: Final = 4 * 1024 * 1024
#: Filled rows per sheet (the header included): a round is a few dozen people, and even a
#: programme's largest is a few hundred. Checked while the rows stream in.
MAX_TABLE_ROWS: Final = 2000
#: Rows looked at per sheet, empty ones included: Excel keeps formatted empty rows, and one
#: cell far down makes every row above it exist.
MAX_SCANNED_ROWS: Final = 20_000
#: Columns read per row; the widest sheet has a dozen.
MAX_COLUMNS: Final = 100
#: What Excel shows in a cell whose formula failed. Read as text, "#REF!" would pass for a name.
EXCEL_ERRORS: Final = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                                 "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!",
                                 "#BUSY!", "#UNKNOWN!"})
_FORMULA_TAG: Final = re.compile(rb"<(?:\w+:)?f[\s>/]")
_MEGABYTE: Final = 1024 * 1024


def _megabytes(size: int) -> str:
    return f"{size / _MEGABYTE:.1f}"


def _content_within_limits(source: str | Path | bytes | BinaryIO, problems: _Problems) -> bytes | None:
    """The file's bytes when its size and what it unpacks to are sane; None (with the
    problem recorded) otherwise. A path is measured before it is read; a stream is read no
    further than the limit."""
    if isinstance(source, (bytes, bytearray)):
        content: bytes | None = bytes(source)
        size = len(source)
    elif isinstance(source, (str, Path)):
        size = Path(source).stat().st_size  # a path that does not exist raises: the caller's mistake
        content = Path(source).read_bytes() if size <= MAX_FILE_BYTES else None
    else:
        content = source.read(MAX_FILE_BYTES + 1)
        size = len(content)
    if content is None or size > MAX_FILE_BYTES:
        problems.add(FILE_TOO_LARGE, at=("", None, None), size=_megabytes(size), maximum=_megabytes(MAX_FILE_BYTES))
        return None
    try:
        with ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (BadZipFile, ValueError, OSError, EOFError):
        problems.add(FILE_UNREADABLE, at=("", None, None))
        return None
    if unpacked > MAX_UNPACKED_BYTES:
        problems.add(FILE_UNPACKS_TOO_LARGE, at=("", None, None), size=_megabytes(unpacked),
                     maximum=_megabytes(MAX_UNPACKED_BYTES))
        return None
    too_big = [(title, size) for title, size in _sheet_sizes(content).items() if size > MAX_SHEET_UNPACKED_BYTES]
    for title, size in too_big:
        problems.add(SHEET_TOO_BIG, at=(title, None, None), size=_megabytes(size), maximum=MAX_TABLE_ROWS)
    return None if too_big else content


def _sheet_sizes(content: bytes) -> dict[str, int]:
    """Each sheet's title and the size its XML unpacks to, from the workbook's own index
    (`xl/workbook.xml` and its relationships); {} when the index cannot be read, which
    openpyxl then reports as an unreadable file."""
    try:
        with ZipFile(io.BytesIO(content)) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
            index, links = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"
            if sizes.get(index, _MEGABYTE + 1) > _MEGABYTE or sizes.get(links, _MEGABYTE + 1) > _MEGABYTE:
                return {}
            book, rels = ElementTree.fromstring(archive.read(index)), ElementTree.fromstring(archive.read(links))
    except (BadZipFile, ElementTree.ParseError, KeyError, OSError, ValueError):
        return {}
    targets = {rel.get("Id"): str(rel.get("Target") or "") for rel in rels}
    found: dict[str, int] = {}
    for sheet in book.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        rel_id = next((value for key, value in sheet.attrib.items() if key.endswith("}id")), None)
        target = targets.get(rel_id, "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        found[str(sheet.get("name") or part)] = sizes.get(part, 0)
    return found


def _has_formulas(content: bytes) -> bool:
    """Whether any sheet's XML holds a formula (`<f>`), read as a stream: most workbooks have
    none, and then the second reading that finds them is spared."""
    with ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            with archive.open(info) as part:
                tail = b""
                while chunk := part.read(256 * 1024):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _formula_cells(content: bytes) -> dict[str, frozenset[tuple[int, int]]]:
    """Where the formulas are, by sheet: the values are read with Excel's saved results, and
    a formula saved without one (a file written by a program, never opened in Excel) is
    empty there, which must not read as "required but empty"."""
    book = _open(content, data_only=False)
    try:
        found: dict[str, frozenset[tuple[int, int]]] = {}
        for sheet in book.worksheets:
            cells = {
                (int(cell.row or 0), int(cell.column or 0))
                for row in sheet.iter_rows(max_row=MAX_SCANNED_ROWS, max_col=MAX_COLUMNS)
                for cell in row
                if getattr(cell, "data_type", None) == "f"
            }
            if cells:
                found[sheet.title.strip().lower()] = frozenset(cells)
        return found
    finally:
        book.close()


def _rows(
    sheet: Worksheet, *, name: str, problems: _Problems, values_only: bool = True, max_col: int = MAX_COLUMNS
) -> Iterator[tuple[Any, ...]]:
    """A sheet's rows as they stream in, stopping (with the problem recorded) at the first
    row past the limits, so a sheet of 100,000 people is refused after 2,000 of them."""
    filled = 0
    for excel_row, values in enumerate(sheet.iter_rows(max_col=max_col, values_only=values_only), start=1):
        if excel_row > MAX_SCANNED_ROWS:
            problems.add(SHEET_TOO_LONG, at=(name, None, None), maximum=MAX_SCANNED_ROWS)
            return
        cells = values if values_only else tuple(getattr(cell, "value", None) for cell in values)
        if any(_clean(value) is not None for value in cells):
            filled += 1
            if filled > MAX_TABLE_ROWS:
                problems.add(SHEET_TOO_MANY_ROWS, at=(name, excel_row, None), maximum=MAX_TABLE_ROWS)
                return
        yield values


def _check_cell(
    value: object, *, at: tuple[str, int | None, str | None], problems: _Problems, formula: bool, text: bool
) -> None:
    """What a cell's type says before its column's own rules look at it: a formula with no
    saved result, an Excel error shown as the value, a yes/no value where text belongs."""
    if formula and value is None:
        problems.add(CELL_FORMULA_NO_VALUE, at=at)
    elif isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        problems.add(CELL_ERROR, at=at, value=value.strip())
    elif text and isinstance(value, bool):
        problems.add(CELL_BOOLEAN, at=at, value="TRUE" if value else "FALSE")


class _Problems:
    """Collects problems so every check can run and report, never stopping early."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        #: Cells holding a formula, by sheet title (lowercase): (Excel row, column number).
        self.formulas: dict[str, frozenset[tuple[int, int]]] = {}

    def add(self, code: str, /, *, at: tuple[str, int | None, str | None], **params: object) -> None:
        """Record ``code`` at (sheet, Excel row, column); params become catalog placeholders."""
        sheet, row, column = at
        self.items.append(
            Problem(
                sheet=sheet,
                row=row,
                column=column,
                code=code,
                params={key: str(value) for key, value in params.items()},
            )
        )


@dataclass(frozen=True)
class _Table:
    """A table sheet after the header row is understood."""

    columns: tuple[str, ...]  # normalised header names present, first occurrence wins
    rows: tuple[tuple[int, dict[str, object]], ...]  # (Excel row, column -> cleaned value)


def _normalise_header(value: object) -> str | None:
    text = _text(value)
    return _normalise_code(text) if text else None


def _cell_values(sheet: Worksheet, *, name: str, problems: _Problems) -> list[tuple[object, ...]]:
    """Each row's values, a percent-formatted number marked as such (see `_Percent`)."""
    rows: list[tuple[object, ...]] = []
    for cells in _rows(sheet, name=name, problems=problems, values_only=False):
        values: list[object] = []
        for cell in cells:
            value: object = cell.value
            number_format = getattr(cell, "number_format", None) or ""
            if isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in number_format:
                value = _Percent(float(value))
            values.append(value)
        rows.append(tuple(values))
    return rows


def _read_table(
    *, sheet: Worksheet, name: str, required: Sequence[str], problems: _Problems, formats_matter: bool = False
) -> _Table:
    """The header understood and every non-blank row read; `formats_matter` keeps the
    difference between 80 % and 0.8 in a number cell (slower, so only where it matters)."""
    rows = (_cell_values(sheet, name=name, problems=problems) if formats_matter
            else list(_rows(sheet, name=name, problems=problems)))
    header = rows[0] if rows else ()
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = _normalise_header(cell)
        if column is None:
            continue
        if column in positions:
            problems.add(HEADER_DUPLICATE, at=(name, 1, None), column=column)
            continue
        positions[column] = index
    for column in required:
        if column not in positions:
            problems.add(HEADER_MISSING, at=(name, 1, None), column=column)
    table_rows: list[tuple[int, dict[str, object]]] = []
    formulas = problems.formulas.get(sheet.title.strip().lower(), frozenset())
    for excel_row, values in enumerate(rows[1:], start=2):
        cleaned = [_clean(value) for value in values]
        if all(value is None for value in cleaned) and not formulas:
            continue
        for column, index in positions.items():
            _check_cell(cleaned[index] if index < len(cleaned) else None, at=(name, excel_row, column),
                        problems=problems, formula=(excel_row, index + 1) in formulas,
                        text=(name, column) in MAX_LENGTHS)
        if all(value is None for value in cleaned):
            continue
        table_rows.append(
            (
                excel_row,
                {
                    column: cleaned[index] if index < len(cleaned) else None
                    for column, index in positions.items()
                },
            )
        )
    return _Table(columns=tuple(positions), rows=tuple(table_rows))


def _has_content(sheet: Worksheet) -> bool:
    rows = sheet.iter_rows(max_row=MAX_SCANNED_ROWS, max_col=MAX_COLUMNS, values_only=True)
    return any(_clean(value) is not None for row in rows for value in row)


def _read_programme(sheet: Worksheet | None, problems: _Problems) -> ProgrammeSettings | None:
    name = SHEET_PROGRAMME
    if sheet is None:
        problems.add(SHEET_MISSING, at=(name, None, None), sheet=name)
        return None
    found: dict[str, tuple[int, object]] = {}
    formulas = problems.formulas.get(sheet.title.strip().lower(), frozenset())
    for excel_row, values in enumerate(_rows(sheet, name=name, problems=problems, max_col=2), start=1):
        key_cell = _clean(values[0]) if values else None
        if key_cell is None:
            continue
        if key_cell and isinstance(key_cell, str) and _normalise_code(key_cell) in PROGRAMME_KEYS:
            _check_cell(_clean(values[1]) if len(values) > 1 else None,
                        at=(name, excel_row, _normalise_code(key_cell)), problems=problems,
                        formula=(excel_row, 2) in formulas,
                        text=(name, _normalise_code(key_cell)) in MAX_LENGTHS)
        key = _normalise_code(_text(key_cell) or "")
        if key in ("setting", "key"):
            continue  # the header row of the template
        if key not in PROGRAMME_KEYS:
            problems.add(
                SETTING_UNKNOWN,
                at=(name, excel_row, None),
                setting=_shown(key_cell),
                allowed=", ".join(PROGRAMME_KEYS),
            )
            continue
        if key in found:
            problems.add(
                SETTING_DUPLICATE,
                at=(name, excel_row, None),
                setting=key,
                first_row=found[key][0],
            )
            continue
        found[key] = (excel_row, _clean(values[1]) if len(values) > 1 else None)

    def get(key: str) -> tuple[int | None, object]:
        return found.get(key, (None, None))

    ok = True
    for key in PROGRAMME_REQUIRED:
        row, value = get(key)
        if value is None:
            problems.add(VALUE_MISSING, at=(name, row, None), column=key)
            ok = False

    programme = _text(get("programme")[1])
    round_name = _text(get("round")[1])

    dates: dict[str, date] = {}
    for key in ("starts_on", "ends_on"):
        row, value = get(key)
        if value is None:
            continue
        parsed = _parse_date(value)
        if parsed is None:
            problems.add(DATE_INVALID, at=(name, row, None), value=_shown(value))
            ok = False
        else:
            dates[key] = parsed
    if len(dates) == 2 and dates["ends_on"] < dates["starts_on"]:
        problems.add(
            ROUND_END_BEFORE_START,
            at=(name, get("ends_on")[0], None),
            starts_on=dates["starts_on"].isoformat(),
            ends_on=dates["ends_on"].isoformat(),
        )
        ok = False

    language = DEFAULT_LANGUAGE
    row, value = get("language")
    if value is not None:
        code = _normalise_code(_text(value) or "")
        if code in LANGUAGES:
            language = code
        else:
            problems.add(
                LANGUAGE_UNKNOWN,
                at=(name, row, None),
                value=_shown(value),
                allowed=", ".join(LANGUAGES),
            )
            ok = False

    channel: str | None = None
    row, value = get("coordinator_channel")
    if value is not None:
        channel = _channel(_text(value) or "")
        if channel is None:
            problems.add(CHANNEL_INVALID, at=(name, row, None), value=_shown(value))
            ok = False

    def whole_number(key: str, *, default: int, minimum: int, maximum: int, too_small: str = INT_TOO_SMALL) -> int:
        nonlocal ok
        row, value = get(key)
        if value is None:
            return default
        parsed_int = _parse_int(value)
        if parsed_int is None:
            problems.add(INT_INVALID, at=(name, row, None), value=_shown(value))
        elif parsed_int < minimum:
            problems.add(too_small, at=(name, row, None), value=parsed_int, minimum=minimum)
        elif parsed_int > maximum:
            problems.add(INT_TOO_LARGE, at=(name, row, None), value=parsed_int, maximum=maximum)
        else:
            return parsed_int
        ok = False
        return default

    every = whole_number("session_every_days", default=DEFAULT_SESSION_EVERY_DAYS, minimum=1, maximum=MAX_EVERY_DAYS)
    pulse_every = whole_number("pulse_every_days", default=DEFAULT_PULSE_EVERY_DAYS, minimum=1, maximum=MAX_EVERY_DAYS)
    min_answers = whole_number("min_answers_shown", default=DEFAULT_MIN_ANSWERS_SHOWN,
                               minimum=MIN_ANSWERS_SHOWN_FLOOR, maximum=MAX_ANSWERS_SHOWN, too_small=ANONYMITY_TOO_LOW)
    digest_hour = whole_number("digest_hour", default=DEFAULT_DIGEST_HOUR, minimum=0, maximum=23)
    retention_months = whole_number("retention_months", default=DEFAULT_RETENTION_MONTHS, minimum=1,
                                    maximum=MAX_RETENTION_MONTHS)
    digest_weekday = DEFAULT_DIGEST_WEEKDAY
    row, value = get("digest_weekday")
    if value is not None:
        weekday = _weekday(value)
        if weekday is None:
            problems.add(WEEKDAY_UNKNOWN, at=(name, row, None), value=_shown(value))
            ok = False
        else:
            digest_weekday = weekday

    zone = DEFAULT_TIMEZONE
    row, value = get("timezone")
    if value is not None:
        canonical = _timezone(_text(value) or "")
        if canonical is None:
            problems.add(TIMEZONE_UNKNOWN, at=(name, row, None), value=_shown(value))
            ok = False
        else:
            zone = canonical

    if not ok or programme is None or round_name is None or len(dates) != 2:
        return None
    return ProgrammeSettings(
        programme=programme,
        round=round_name,
        starts_on=dates["starts_on"],
        ends_on=dates["ends_on"],
        language=language,
        coordinator_channel=channel,
        session_every_days=every,
        timezone=zone,
        pulse_every_days=pulse_every,
        min_answers_shown=min_answers,
        digest_weekday=digest_weekday,
        digest_hour=digest_hour,
        retention_months=retention_months,
    )


def _weekday(value: object) -> int | None:
    """A weekday as 0 (Monday) .. 6 (Sunday), from an English or Danish name ("monday",
    "Mandag") or a number 1..7 with Monday = 1, as in ISO 8601 and Danish calendars."""
    if isinstance(value, bool):
        return None
    number = _parse_int(value)
    if number is not None:
        return number - 1 if 1 <= number <= 7 else None
    return WEEKDAYS.get((_text(value) or "").strip().casefold())


def _required_values(
    *, name: str, excel_row: int, values: Mapping[str, object], required: Sequence[str], problems: _Problems
) -> bool:
    """Report every empty required cell; a column missing from the header is already reported."""
    ok = True
    for column in required:
        if column in values and values[column] is None:
            problems.add(VALUE_MISSING, at=(name, excel_row, column), column=column)
            ok = False
        elif column not in values:
            ok = False
    return ok


def _read_meetings(
    sheet: Worksheet | None, problems: _Problems, programme: ProgrammeSettings | None
) -> list[MeetingRow]:
    name = SHEET_MEETINGS
    if sheet is None:
        problems.add(SHEET_MISSING, at=(name, None, None), sheet=name)
        return []
    table = _read_table(sheet=sheet, name=name, required=MEETING_REQUIRED, problems=problems)
    meetings: list[MeetingRow] = []
    for excel_row, values in table.rows:
        ok = _required_values(
            name=name, excel_row=excel_row, values=values, required=MEETING_REQUIRED, problems=problems
        )
        kind: str | None = None
        raw = values.get("kind")
        if raw is not None:
            kind = _normalise_code(_text(raw) or "")
            if kind not in MEETING_KINDS:
                problems.add(
                    KIND_UNKNOWN,
                    at=(name, excel_row, "kind"),
                    value=_shown(raw),
                    allowed=", ".join(MEETING_KINDS),
                )
                ok = False
        starts_at: datetime | None = None
        raw = values.get("starts_at")
        if raw is not None:
            starts_at, code = _parse_datetime(raw)
            if code is not None:
                problems.add(code, at=(name, excel_row, "starts_at"), value=_shown(raw))
                ok = False
            elif programme is not None and starts_at is not None and not (
                programme.starts_on <= starts_at.date() <= programme.ends_on
            ):
                problems.add(
                    MEETING_OUTSIDE_ROUND,
                    at=(name, excel_row, "starts_at"),
                    value=_shown(starts_at),
                    title=_text(values.get("title")) or "",
                    starts_on=programme.starts_on.isoformat(),
                    ends_on=programme.ends_on.isoformat(),
                )
                ok = False
        duration: int | None = None
        raw = values.get("duration_minutes")
        if raw is not None:
            duration = _parse_int(raw)
            if duration is None:
                problems.add(INT_INVALID, at=(name, excel_row, "duration_minutes"), value=_shown(raw))
                ok = False
            elif not MIN_DURATION_MINUTES <= duration <= MAX_DURATION_MINUTES:
                problems.add(
                    DURATION_OUT_OF_RANGE,
                    at=(name, excel_row, "duration_minutes"),
                    value=duration,
                    minimum=MIN_DURATION_MINUTES,
                    maximum=MAX_DURATION_MINUTES,
                )
                ok = False
        title = _text(values.get("title"))
        if ok and kind is not None and title is not None and starts_at is not None and duration is not None:
            meetings.append(
                MeetingRow(
                    row=excel_row,
                    kind=kind,
                    title=title,
                    starts_at=starts_at,
                    duration_minutes=duration,
                    location=_text(values.get("location")),
                )
            )
    return meetings


@dataclass(frozen=True)
class _Known:
    """What the Pairs checks need to know about a person, even one whose row has problems."""

    row: int
    role: str | None
    max_mentees: int | None


def _read_participants(
    sheet: Worksheet | None, problems: _Problems
) -> tuple[list[ParticipantRow], dict[str, _Known] | None]:
    """The people, plus every valid email seen (None when emails could not be read at all)."""
    name = SHEET_PARTICIPANTS
    if sheet is None:
        problems.add(SHEET_MISSING, at=(name, None, None), sheet=name)
        return [], None
    table = _read_table(sheet=sheet, name=name, required=PARTICIPANT_REQUIRED, problems=problems)
    known: dict[str, _Known] = {}
    people: list[ParticipantRow] = []
    for excel_row, values in table.rows:
        ok = _required_values(
            name=name, excel_row=excel_row, values=values, required=PARTICIPANT_REQUIRED, problems=problems
        )
        email: str | None = None
        raw = values.get("email")
        if raw is not None:
            candidate = (_text(raw) or "").lower()
            if not _is_email(candidate):
                problems.add(EMAIL_INVALID, at=(name, excel_row, "email"), value=_shown(raw))
                ok = False
            elif candidate in known:
                problems.add(
                    EMAIL_DUPLICATE,
                    at=(name, excel_row, "email"),
                    value=candidate,
                    first_row=known[candidate].row,
                )
                ok = False
            else:
                email = candidate
        role: str | None = None
        raw = values.get("role")
        if raw is not None:
            role = _normalise_code(_text(raw) or "")
            if role not in ROLES:
                problems.add(
                    ROLE_UNKNOWN,
                    at=(name, excel_row, "role"),
                    value=_shown(raw),
                    allowed=", ".join(ROLES),
                )
                role = None
                ok = False
        language: str | None = None
        raw = values.get("language")
        if raw is not None:
            language = _normalise_code(_text(raw) or "")
            if language not in LANGUAGES:
                problems.add(
                    LANGUAGE_UNKNOWN,
                    at=(name, excel_row, "language"),
                    value=_shown(raw),
                    allowed=", ".join(LANGUAGES),
                )
                ok = False
        max_mentees: int | None = 1
        raw = values.get("max_mentees")
        if role == "mentor" and raw is not None:
            max_mentees = _parse_int(raw)
            if max_mentees is None:
                problems.add(INT_INVALID, at=(name, excel_row, "max_mentees"), value=_shown(raw))
                ok = False
            elif max_mentees < 1:
                problems.add(
                    INT_TOO_SMALL,
                    at=(name, excel_row, "max_mentees"),
                    value=max_mentees,
                    minimum=1,
                )
                max_mentees = None
                ok = False
        company = _text(values.get("company"))
        if role == Role.COMPANY_CONTACT.value and company is None:
            # The company is what links them to the mentees whose partners work there.
            problems.add(COMPANY_MISSING, at=(name, excel_row, "company"))
            ok = False
        if email is not None:
            known[email] = _Known(row=excel_row, role=role, max_mentees=max_mentees)
        person_name = _text(values.get("name"))
        if ok and email is not None and role is not None and person_name is not None:
            people.append(
                ParticipantRow(
                    row=excel_row,
                    email=email,
                    name=person_name,
                    role=role,
                    field=_text(values.get("field")),
                    languages=_split_list(_text(values.get("languages"))),
                    interests=_split_list(_text(values.get("interests"))),
                    company=company,
                    home_country=_text(values.get("home_country")),
                    language=language,
                    max_mentees=max_mentees or 1,
                    partner_company=_text(values.get("partner_company")) if role == Role.MENTEE.value else None,
                )
            )
    emails_readable = "email" in table.columns
    return people, (known if emails_readable else None)


def _read_pairs(
    sheet: Worksheet | None, problems: _Problems, known: dict[str, _Known] | None
) -> list[PairRow]:
    """Pairs matched by hand; checked against Participants when those could be read."""
    name = SHEET_PAIRS
    if sheet is None or not _has_content(sheet):
        return []  # optional: no sheet (or an empty one) means "let the bot propose"
    table = _read_table(sheet=sheet, name=name, required=PAIR_COLUMNS, problems=problems)
    extra_columns = [column for column in table.columns if column not in PAIR_COLUMNS]
    pairs: list[PairRow] = []
    first_pair_row: dict[tuple[str, str], int] = {}
    mentee_row: dict[str, int] = {}
    mentor_rows: dict[str, list[int]] = {}
    for excel_row, values in table.rows:
        ok = _required_values(
            name=name, excel_row=excel_row, values=values, required=PAIR_COLUMNS, problems=problems
        )
        emails: dict[str, str] = {}
        for column, expected in (("mentor_email", "mentor"), ("mentee_email", "mentee")):
            raw = values.get(column)
            if raw is None:
                continue
            email = (_text(raw) or "").lower()
            if not _is_email(email):
                problems.add(EMAIL_INVALID, at=(name, excel_row, column), value=_shown(raw))
                ok = False
                continue
            emails[column] = email
            if known is None:
                continue
            person = known.get(email)
            if person is None:
                problems.add(PAIR_UNKNOWN_PERSON, at=(name, excel_row, column), value=email)
                ok = False
            elif person.role is not None and person.role != expected:
                problems.add(
                    PAIR_WRONG_ROLE,
                    at=(name, excel_row, column),
                    value=email,
                    role=person.role,
                    expected=expected,
                )
                ok = False
        mentor = emails.get("mentor_email")
        mentee = emails.get("mentee_email")
        if mentor is not None and mentee is not None:
            if (mentor, mentee) in first_pair_row:
                problems.add(
                    PAIR_DUPLICATE,
                    at=(name, excel_row, None),
                    mentor=mentor,
                    mentee=mentee,
                    first_row=first_pair_row[(mentor, mentee)],
                )
                ok = False
            else:
                first_pair_row[(mentor, mentee)] = excel_row
                if mentee in mentee_row:
                    problems.add(
                        PAIR_MENTEE_TWICE,
                        at=(name, excel_row, "mentee_email"),
                        value=mentee,
                        first_row=mentee_row[mentee],
                    )
                    ok = False
                else:
                    mentee_row[mentee] = excel_row
                mentor_rows.setdefault(mentor, []).append(excel_row)
        extra = {column: text for column in extra_columns if (text := _text(values.get(column))) is not None}
        if ok and mentor is not None and mentee is not None:
            pairs.append(PairRow(row=excel_row, mentor_email=mentor, mentee_email=mentee, extra=extra))
    if known is not None:
        for mentor, rows in mentor_rows.items():
            person = known.get(mentor)
            if person is None or person.role != "mentor" or person.max_mentees is None:
                continue
            if len(rows) > person.max_mentees:
                problems.add(
                    PAIR_OVER_CAPACITY,
                    at=(name, rows[person.max_mentees], "mentor_email"),  # the first pair that does not fit
                    value=mentor,
                    count=len(rows),
                    max_mentees=person.max_mentees,
                )
    return pairs


_KEY_RE: Final = re.compile(r"^[a-z][a-z0-9_]*$")


def _codes(
    text: str | None, *, allowed: Sequence[str], unknown: str, at: tuple[str, int | None, str | None],
    problems: _Problems,
) -> tuple[str, ...] | None:
    """A comma list of codes ("Mentor, mentees") in `allowed`'s order, repeats dropped; None
    (with a problem per unknown item) when any item is unknown. A plural's "s" is forgiven."""
    found: set[str] = set()
    ok = True
    for item in _split_list(text):
        code = _normalise_code(item)
        if code not in allowed and code.endswith("s") and code[:-1] in allowed:
            code = code[:-1]
        if code in allowed:
            found.add(code)
        else:
            problems.add(unknown, at=at, value=_shown(item), allowed=", ".join(allowed))
            ok = False
    return tuple(code for code in allowed if code in found) if ok else None


def _read_criteria(sheet: Worksheet | None, problems: _Problems) -> tuple[CriterionSpec, ...] | None:
    """The programme's success criteria, or None when there is no Criteria sheet (or no row
    in it): the programme then keeps what it has."""
    name = SHEET_CRITERIA
    if sheet is None or not _has_content(sheet):
        return None
    table = _read_table(sheet=sheet, name=name, required=CRITERION_REQUIRED, problems=problems, formats_matter=True)
    if not any(column in table.columns for column in CRITERION_STATEMENTS):
        problems.add(HEADER_MISSING, at=(name, 1, None), column=" / ".join(CRITERION_STATEMENTS))
    if not table.rows:
        return None
    criteria: list[CriterionSpec] = []
    first_row: dict[str, int] = {}
    for excel_row, values in table.rows:
        ok = _required_values(
            name=name, excel_row=excel_row, values=values, required=CRITERION_REQUIRED, problems=problems
        )

        measure: CriterionMeasure | None = None
        raw = values.get("measure")
        if raw is not None:
            code = _normalise_code(_text(raw) or "")
            if code in CRITERION_MEASURES:
                measure = CriterionMeasure(code)
            else:
                problems.add(CRITERION_MEASURE_UNKNOWN, at=(name, excel_row, "measure"), value=_shown(raw),
                             allowed=", ".join(CRITERION_MEASURES))
                ok = False

        key: str | None = None
        raw = values.get("key")
        if raw is not None:
            key = _normalise_code(_text(raw) or "")
            limit = MAX_LENGTHS[(name, "key")]
            if len(key) > limit:
                problems.add(VALUE_TOO_LONG, at=(name, excel_row, "key"), column="key", length=len(key),
                             maximum=limit)
                ok = False
            elif not _KEY_RE.match(key):
                problems.add(CRITERION_KEY_INVALID, at=(name, excel_row, "key"), value=_shown(raw))
                ok = False
            elif key in RESERVED_CRITERION_KEYS and not (
                key == "recommend" and measure is CriterionMeasure.RECOMMEND
            ):
                problems.add(CRITERION_KEY_RESERVED, at=(name, excel_row, "key"), value=key)
                ok = False
            elif key in first_row:
                problems.add(CRITERION_DUPLICATE, at=(name, excel_row, "key"), value=key, first_row=first_row[key])
                ok = False
            else:
                first_row[key] = excel_row

        statements: dict[str, str | None] = {column: _text(values.get(column)) for column in CRITERION_STATEMENTS}
        if any(column in table.columns for column in CRITERION_STATEMENTS) and not any(statements.values()):
            problems.add(CRITERION_NO_STATEMENT, at=(name, excel_row, CRITERION_STATEMENTS[0]))
            ok = False
        for column, statement in statements.items():
            limit = MAX_LENGTHS[(name, column)]
            if statement is not None and len(statement) > limit:
                problems.add(VALUE_TOO_LONG, at=(name, excel_row, column), column=column, length=len(statement),
                             maximum=limit)
                ok = False

        roles: tuple[str, ...] | None = None
        raw = values.get("asked_of")
        if raw is not None:
            roles = _codes(_text(raw), allowed=CRITERION_ROLES, unknown=CRITERION_ROLE_UNKNOWN,
                           at=(name, excel_row, "asked_of"), problems=problems)
            if roles == ():
                problems.add(VALUE_MISSING, at=(name, excel_row, "asked_of"), column="asked_of")
                roles = None
            if roles is None:
                ok = False
            elif measure is CriterionMeasure.EMPLOYED and roles != (Role.MENTEE.value,):
                problems.add(CRITERION_EMPLOYED_ROLES, at=(name, excel_row, "asked_of"), value=", ".join(roles))
                ok = False
            elif measure is CriterionMeasure.RECOMMEND and Role.COMPANY_CONTACT.value in roles:
                problems.add(CRITERION_RECOMMEND_ROLES, at=(name, excel_row, "asked_of"), value=", ".join(roles))
                ok = False

        # Surveys matter only for what mentors and mentees are asked: a company contact has one
        # survey, employment is no question, and "recommend" is in every midway and final.
        surveys: tuple[str, ...] | None = ()
        surveyed = roles is not None and bool(set(roles) & {Role.MENTOR.value, Role.MENTEE.value})
        if measure in (CriterionMeasure.AGREE, CriterionMeasure.RECOMMEND) and surveyed:
            text = _text(values.get("surveys"))
            surveys = _codes(text, allowed=CRITERION_SURVEYS, unknown=CRITERION_SURVEY_UNKNOWN,
                             at=(name, excel_row, "surveys"), problems=problems)
            if surveys is None:
                ok = False
            elif not surveys and measure is CriterionMeasure.RECOMMEND:
                surveys = CRITERION_SURVEYS
            elif not surveys:
                problems.add(CRITERION_SURVEYS_MISSING, at=(name, excel_row, "surveys"),
                             allowed=", ".join(CRITERION_SURVEYS))
                ok = False

        target: Fraction | None = None
        raw = values.get("target")
        if raw is not None:
            target, code_or_none = _parse_share(raw)
            if code_or_none is not None:
                problems.add(code_or_none, at=(name, excel_row, "target"), value=_shown(raw))
                ok = False

        statement_en = statements["statement_en"] or statements["statement_da"]
        statement_da = statements["statement_da"] or statements["statement_en"]
        if (
            ok and key is not None and measure is not None and roles is not None and surveys is not None
            and target is not None and statement_en is not None and statement_da is not None
        ):
            criteria.append(
                CriterionSpec(
                    key=key,
                    measure=measure,
                    roles=tuple(Role(role) for role in roles),
                    surveys=tuple(SurveyKind(kind) for kind in surveys),
                    target=target,
                    statement_en=statement_en,
                    statement_da=statement_da,
                    position=len(criteria) + 1,
                )
            )
    return tuple(criteria)


def _open(content: bytes, *, data_only: bool = True) -> Workbook:
    """Read-only: openpyxl then streams each sheet's rows instead of building every cell
    first (a 100,000-row sheet took three minutes and a gigabyte that way), so the row
    limits below are met while reading. `data_only` reads a formula as the result Excel
    saved with it."""
    from openpyxl import load_workbook
    with catch_warnings():
        # Excel-saved files carry extensions openpyxl warns about; they do not matter here.
        simplefilter("ignore")
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    for sheet in book.worksheets:
        # A read-only sheet stops at the size its file states, and a program can state a
        # wrong one: its rows would go unread without a word. The limits bound the reading.
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:
            reset()
    return book


def read_workbook(source: str | Path | bytes | BinaryIO) -> tuple[RoundWorkbook | None, list[Problem]]:
    """Validate a round workbook completely and return it with every problem found.

    The workbook is returned only when there are no problems at all, so a caller can
    never import half a round. Problems come sorted by sheet, row and column. A file
    that is not an .xlsx workbook is one problem; a path that does not exist raises
    (that is the caller's mistake, not the coordinator's).
    """
    from openpyxl.utils.exceptions import InvalidFileException
    problems = _Problems()
    content = _content_within_limits(source, problems)
    if content is None:
        return None, problems.items
    try:
        problems.formulas = _formula_cells(content) if _has_formulas(content) else {}
        book = _open(content)
    except (BadZipFile, InvalidFileException, KeyError, ValueError, EOFError, OSError, SyntaxError):
        # SyntaxError: the XML of a part is broken (ElementTree's ParseError is one).
        problems.add(FILE_UNREADABLE, at=("", None, None))
        return None, problems.items
    try:
        sheets = {sheet.title.strip().lower(): sheet for sheet in book.worksheets}
        programme = _read_programme(sheets.get(SHEET_PROGRAMME.lower()), problems)
        meetings = _read_meetings(sheets.get(SHEET_MEETINGS.lower()), problems, programme)
        participants, known = _read_participants(sheets.get(SHEET_PARTICIPANTS.lower()), problems)
        pairs = _read_pairs(sheets.get(SHEET_PAIRS.lower()), problems, known)
        criteria = _read_criteria(sheets.get(SHEET_CRITERIA.lower()), problems)
    except (BadZipFile, KeyError, EOFError, OSError, SyntaxError):
        problems.add(FILE_UNREADABLE, at=("", None, None))  # a sheet's part is damaged past its start
        return None, sorted(problems.items)
    finally:
        book.close()
    _check_lengths(programme=programme, meetings=meetings, participants=participants, problems=problems)
    # A formula with no saved result is said once, as that, not also as "required but empty".
    formula_cells = {(p.sheet, p.row, p.column) for p in problems.items if p.code == CELL_FORMULA_NO_VALUE}
    found = sorted(p for p in problems.items if not (
        p.code == VALUE_MISSING and (p.sheet, p.row, p.column or p.params.get("column")) in formula_cells))
    if found or programme is None:
        return None, found
    return (
        RoundWorkbook(
            programme=programme,
            meetings=tuple(meetings),
            participants=tuple(participants),
            pairs=tuple(pairs),
            criteria=criteria,
        ),
        [],
    )


def _check_lengths(
    *,
    programme: ProgrammeSettings | None,
    meetings: Sequence[MeetingRow],
    participants: Sequence[ParticipantRow],
    problems: _Problems,
) -> None:
    """Report text longer than the database can hold, naming the cell and the limit."""

    def check(sheet: str, row: int | None, column: str, value: str | None) -> None:
        limit = MAX_LENGTHS[(sheet, column)]
        if value is not None and len(value) > limit:
            problems.add(VALUE_TOO_LONG, at=(sheet, row, column), column=column, length=len(value), maximum=limit)

    if programme is not None:
        for key in ("programme", "round", "coordinator_channel"):
            check(SHEET_PROGRAMME, None, key, getattr(programme, key))
    for meeting in meetings:
        check(SHEET_MEETINGS, meeting.row, "title", meeting.title)
        check(SHEET_MEETINGS, meeting.row, "location", meeting.location)
    for person in participants:
        for column in ("email", "name", "field", "company", "partner_company", "home_country"):
            check(SHEET_PARTICIPANTS, person.row, column, getattr(person, column))
        for column in ("languages", "interests"):
            longest = max(getattr(person, column), key=len, default=None)
            check(SHEET_PARTICIPANTS, person.row, column, longest)


# ---------------------------------------------------------------------------- writing



@cache
def _header_font() -> Font:
    """Made on first use, not at import, so that importing this module does not load openpyxl."""
    from openpyxl.styles import Font
    return Font(bold=True)


@cache
def _title_font() -> Font:
    from openpyxl.styles import Font
    return Font(bold=True, size=14)


_DATE_FORMAT: Final = "yyyy-mm-dd"
_DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm"

_WIDTHS: Final[dict[str, int]] = {
    "setting": 22,
    "value": 32,
    "notes": 70,
    "kind": 20,
    "title": 34,
    "starts_at": 18,
    "duration_minutes": 18,
    "location": 36,
    "email": 32,
    "name": 26,
    "role": 14,
    "field": 24,
    "languages": 24,
    "interests": 36,
    "company": 24,
    "home_country": 16,
    "language": 11,
    "max_mentees": 13,
    "mentor_email": 32,
    "mentee_email": 32,
    "score": 10,
    "reasons": 60,
    "partner_company": 24,
    "key": 24,
    "statement_en": 60,
    "statement_da": 60,
    "measure": 12,
    "asked_of": 24,
    "surveys": 16,
    "target": 10,
}

_PROGRAMME_NOTES: Final[dict[str, str]] = {
    "programme": "Required. The name of the mentoring programme.",
    "round": "Required. The name of this round, for example Spring 2027.",
    "starts_on": "Required. The first day of the round, for example 2027-02-01 or 1 Feb 2027.",
    "ends_on": "Required. The last day of the round. Must not be before starts_on.",
    "language": "en or da: the language for participants who have no language of their own. Default en.",
    "coordinator_channel": "The Slack channel for coordinators: #channel-name or a channel ID "
    "like C0123ABCD.",
    "session_every_days": "How often, in days, pairs are reminded to hold a 1:1 session. Default 14.",
    "timezone": "The time zone of the meeting times, for example Europe/Copenhagen (the default).",
    "pulse_every_days": "How often, in days, mentors and mentees get a short pulse survey. Default 21.",
    "min_answers_shown": "Survey figures are shown only when at least this many people answered, "
    "so no one's answer can be worked out. At least 3. Default 5.",
    "digest_weekday": "The weekday of the coordinators' weekly digest: monday .. sunday (or mandag .. "
    "søndag, or 1-7 with Monday = 1). Default monday.",
    "digest_hour": "The hour (0-23, in the round's time zone) of the weekly digest. Default 9.",
    "retention_months": "Months after the six-month follow-up when the round's personal data is erased "
    "(1-120; the consent text states it). Default 12.",
}

_INSTRUCTIONS: Final[tuple[tuple[str, str], ...]] = (
    ("title", "Round workbook: how to fill it in"),
    ("text", "This workbook sets up one round of the mentoring programme. Fill in the sheets "
             "Programme, Meetings and Participants, and Pairs if you match mentors and mentees "
             "yourself. Then upload the file to the bot."),
    ("text", "The bot checks the whole workbook before it changes anything. If something is wrong, "
             "it lists every problem with its sheet, row and column, so you can fix them all at once."),
    ("text", "Row 1 of each sheet holds the column names. Keep the names; the order of the columns "
             "does not matter. Empty rows are skipped. The filled-in rows are examples: replace them "
             "with your own."),
    ("text", "Uploading again: people are recognised by their email address. Importing the workbook "
             "again updates the person with that email address, and a new email address adds a new "
             "person. So correct names and other details freely, but keep each person's email "
             "address the same."),
    ("text", "Dates can be Excel dates or text such as 2027-02-01 or 1 Feb 2027 (day before month). "
             "Lists (languages, interests) are separated by commas, so one item cannot itself contain "
             "a comma; spaces around items are removed."),
    ("heading", "Programme sheet"),
    ("text", "One setting per row: the setting's name in column A and its value in column B. "
             "Column C is only for notes."),
    ("item", "programme (required): the name of the mentoring programme."),
    ("item", "round (required): the name of this round, for example Spring 2027."),
    ("item", "starts_on, ends_on (required): the first and last day of the round."),
    ("item", "language: en (English) or da (Danish). The bot writes in this language to participants "
             "who have no language of their own. Default en."),
    ("item", "coordinator_channel: the Slack channel where the bot reports to coordinators, written "
             "as #channel-name or as a channel ID like C0123ABCD. Optional."),
    ("item", "session_every_days: how often, in days, each pair is reminded to hold a 1:1 session. "
             "A whole number, 1 or more. Default 14."),
    ("item", "timezone: the time zone the meeting times are in, for example Europe/Copenhagen "
             "(the default)."),
    ("item", "pulse_every_days: how often, in days, mentors and mentees get a short pulse survey "
             "(two questions). A whole number, 1 or more. Default 21."),
    ("item", "min_answers_shown: survey results are shown only when at least this many people "
             "answered, so that no one's answer can be worked out. A whole number, 3 or more. "
             "Default 5."),
    ("item", "digest_weekday: the day the coordinators' weekly digest is posted to the coordinator "
             "channel: a weekday name in English or Danish (monday, mandag, ...) or a number from 1 "
             "(Monday) to 7 (Sunday). Default monday."),
    ("item", "digest_hour: the hour, 0 to 23 in the round's time zone, from which the weekly digest "
             "is posted. Default 9."),
    ("item", "retention_months: how many months after the six-month follow-up the bot erases the "
             "round's personal data (names, contact details, profiles, notes, comments); counts and "
             "anonymous answers stay. A whole number from 1 to 120. Default 12. The consent question "
             "tells participants this number."),
    ("heading", "Meetings sheet"),
    ("text", "One row per shared meeting."),
    ("item", "kind (required): mentor_course (course for mentors), cv_workshop (CV workshop for "
             "mentees), kick_off, midway (midway meeting), interview_workshop (job-interview "
             "workshop), closing (closing meeting with evaluation) or other."),
    ("item", "title (required): the name participants will see."),
    ("item", "starts_at (required): date and local start time, for example 2027-02-04 17:00. "
             "It must fall within the round's dates."),
    ("item", "duration_minutes (required): how long the meeting lasts, from 1 to 1440 minutes."),
    ("item", "location: the address or the link to an online meeting."),
    ("heading", "Participants sheet"),
    ("text", "One row per mentor, mentee and coordinator, and one per contact person at a partner "
             "company."),
    ("item", "email (required): each person's email address, used once only. The bot finds the "
             "person in Slack by it. Capital letters do not matter."),
    ("item", "name (required): the person's name."),
    ("item", "role (required): mentor, mentee, coordinator or company_contact. A company_contact "
             "is a contact person at a company where a mentee's partner works: the bot only asks "
             "them one short survey after the round, and they need not be in Slack."),
    ("item", "field: the person's professional field. Used for matching."),
    ("item", "languages: the languages the person speaks, separated by commas, for example "
             "English, Danish."),
    ("item", "interests: interests and wishes for the match, separated by commas."),
    ("item", "company: where the person works. Required for a company_contact."),
    ("item", "partner_company: for mentees only, the company where their partner works. It links "
             "the mentee to the company_contact with the same company (capital letters do not "
             "matter). A company with no contact in the sheet is fine."),
    ("item", "home_country: the country the person comes from."),
    ("item", "language: en or da, the language the bot writes to this person in. Leave empty to use "
             "the programme's language."),
    ("item", "max_mentees: for mentors only, how many mentees they can take. A whole number, "
             "1 or more; empty means 1. Ignored for mentees and coordinators."),
    ("heading", "Pairs sheet (optional)"),
    ("text", "Fill this in only if you match mentors and mentees yourself. Leave it empty, or delete "
             "the sheet, to let the bot propose matches."),
    ("item", "mentor_email (required): the mentor's email address from the Participants sheet."),
    ("item", "mentee_email (required): the mentee's email address from the Participants sheet."),
    ("text", "Each mentee can appear once. A mentor can appear as many times as their max_mentees "
             "allows. Any further columns, such as score and reasons in a matching proposal from "
             "the bot, are kept as they are."),
    ("heading", "Criteria sheet (optional)"),
    ("text", "The programme's success criteria: what mentors, mentees and company contacts are asked "
             "in the midway and final surveys, and the target each is measured against. The sheet "
             "comes filled in with the programme's eight usual criteria; change, add or delete rows "
             "to make them your own. Importing a workbook with this sheet replaces all of the "
             "programme's criteria, for every round of the programme. Without the sheet (or with "
             "an empty one), the programme keeps the criteria it has."),
    ("item", "key (required): a short name for the criterion, for example mentee_network: letters, "
             "digits and underscores, used once only. Answers are kept under it, so keep a "
             "criterion's key when you reword it. comment is taken, and so is recommend except "
             "for a recommend criterion."),
    ("item", "statement_en, statement_da: the statement people are asked to agree or disagree with, "
             "in English and in Danish. Fill in at least one; the other language then shows the same "
             "text."),
    ("item", "measure (required): agree (people rate the statement from strongly disagree to "
             "strongly agree; agree and strongly agree count), recommend (the share who would "
             "recommend taking part, asked in every midway and final survey) or employed (the share "
             "of mentees in work or with their own company 6 months after the round, from their "
             "follow-up answers; asked of mentee only)."),
    ("item", "asked_of (required): whom it is about, separated by commas: mentor, mentee, "
             "company_contact. With several, each group must reach the target on its own. Company "
             "contacts are asked once, after the round."),
    ("item", "surveys: midway, final or both, separated by commas: when mentors and mentees are "
             "asked an agree criterion (required then). Ignored for company contacts and for "
             "employed; for recommend, empty means both."),
    ("item", "target (required): the share that must agree (or be in work) for the criterion to be "
             "met, from 0 to 100 %. Write it as 80%, 66.7 or 2/3. A plain number is a percentage, "
             "so write 80 or 80%, not 0.8. Two thirds shows as 66.67% and is kept as exactly 2/3."),
)

_EXAMPLE: Final = RoundWorkbook(
    programme=ProgrammeSettings(
        programme="Career Mentoring Programme",
        round="Spring 2027",
        starts_on=date(2027, 2, 1),
        ends_on=date(2027, 5, 31),
        language="en",
        coordinator_channel="#mentoring-coordinators",
        session_every_days=DEFAULT_SESSION_EVERY_DAYS,
        timezone=DEFAULT_TIMEZONE,
        pulse_every_days=DEFAULT_PULSE_EVERY_DAYS,
        min_answers_shown=DEFAULT_MIN_ANSWERS_SHOWN,
        digest_weekday=DEFAULT_DIGEST_WEEKDAY,
        digest_hour=DEFAULT_DIGEST_HOUR,
    ),
    meetings=(
        MeetingRow(
            row=2,
            kind="kick_off",
            title="Kick-off: speed networking and first meeting",
            starts_at=datetime(2027, 2, 4, 17, 0),
            duration_minutes=180,
            location="City Hall, meeting room 2",
        ),
    ),
    participants=(
        ParticipantRow(
            row=2,
            email="mette.mentor@example.com",
            name="Mette Mentor",
            role="mentor",
            field="Software engineering",
            languages=("Danish", "English"),
            interests=("Cloud", "Hiring", "Hiking"),
            company="Example Tech A/S",
            home_country="Denmark",
            language="da",
            max_mentees=1,
        ),
        ParticipantRow(
            row=3,
            email="ana.mentee@example.com",
            name="Ana Mentee",
            role="mentee",
            field="Software engineering",
            languages=("English", "Portuguese"),
            interests=("Backend development", "Networking"),
            company=None,
            home_country="Brazil",
            language="en",
            max_mentees=1,
            partner_company="Example Pharma A/S",
        ),
        ParticipantRow(
            row=4,
            email="carl.contact@example.com",
            name="Carl Contact",
            role="company_contact",
            company="Example Pharma A/S",
            language="da",
        ),
    ),
    pairs=(PairRow(row=2, mentor_email="mette.mentor@example.com", mentee_email="ana.mentee@example.com"),),
    criteria=DEFAULT_CRITERIA,
)


#: What the workbook writes into a cell (int and bool are floats to the type checker).
_CellValue: TypeAlias = str | float | date | datetime | time | timedelta | None


def _put(sheet: Worksheet, *, row: int, column: int, value: _CellValue, number_format: str | None = None) -> None:
    """Write one cell so that it reads back as the same value.

    Text starting with "=" would become a formula and characters XML cannot hold would
    make saving fail, so both are handled here rather than by every caller.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = value
        cell.data_type = "s"
    else:
        cell.value = value
    if number_format is not None:
        cell.number_format = number_format


def _extra_value(text: str) -> str | int | float:
    """Numbers in extra columns (a proposal's score) go in as numbers Excel can sort.

    Only when the text reads back identically: "0.85" becomes a number, "007" and
    a float with more digits than Excel keeps stay text.
    """
    try:
        whole = int(text)
    except ValueError:
        pass
    else:
        return whole if str(whole) == text and abs(whole) < 10**15 else text
    try:
        number = float(text)
    except ValueError:
        return text
    if (
        math.isfinite(number)
        and not number.is_integer()
        and repr(number) == text
        and float(f"{number:.15g}") == number  # Excel (and openpyxl) keep ~15 digits
    ):
        return number
    return text


def _flatten(items: Iterable[str]) -> str | None:
    """Join a list for one cell; an item holding a separator is split, never mangled."""
    parts = [part for item in items for part in _split_list(item)]
    return ", ".join(parts) if parts else None


def _table_sheet(
    book: Workbook,
    *,
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[_CellValue]],
    formats: Mapping[str, str],
) -> Worksheet:
    """A sheet with a bold, frozen header row: the shape every table sheet shares."""
    from openpyxl.utils import get_column_letter
    sheet: Worksheet = book.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        _put(sheet, row=1, column=index, value=column)
        sheet.cell(row=1, column=index).font = _header_font()
        width = _WIDTHS.get(column, max(12, len(column) + 4))
        sheet.column_dimensions[get_column_letter(index)].width = width
    for excel_row, values in enumerate(rows, start=2):
        for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            if value is not None:
                _put(sheet, row=excel_row, column=index, value=value, number_format=formats.get(column))
    sheet.freeze_panes = "A2"
    return sheet


def _drop_down(sheet: Worksheet, *, cells: str, allowed: Sequence[str], prompt: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(allowed) + '"',
        allow_blank=True,
        showDropDown=False,  # False means "show the arrow": openpyxl mirrors Excel's odd flag
        showErrorMessage=True,
        errorTitle="Not an allowed value",
        error="Choose one of: " + ", ".join(allowed),
        promptTitle="Allowed values",
        prompt=prompt,
        showInputMessage=True,
    )
    validation.add(cells)
    sheet.add_data_validation(validation)


def _input_prompt(sheet: Worksheet, *, cells: str, prompt: str) -> None:
    """A hint Excel shows on the cell, for a column no drop-down can describe (a list, a share)."""
    from openpyxl.worksheet.datavalidation import DataValidation
    validation = DataValidation(allow_blank=True, promptTitle="What to write", prompt=prompt, showInputMessage=True)
    validation.add(cells)
    sheet.add_data_validation(validation)


def _whole_number(sheet: Worksheet, *, cells: str, minimum: int, maximum: int | None) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation
    validation = DataValidation(
        type="whole",
        operator="between" if maximum is not None else "greaterThanOrEqual",
        formula1=str(minimum),
        formula2=str(maximum) if maximum is not None else None,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not an allowed number",
        error=f"Enter a whole number from {minimum}" + (f" to {maximum}." if maximum is not None else " up."),
    )
    validation.add(cells)
    sheet.add_data_validation(validation)


def _column_range(columns: Sequence[str], column: str) -> str:
    from openpyxl.utils import get_column_letter
    letter = get_column_letter(columns.index(column) + 1)
    return f"{letter}2:{letter}{VALIDATION_LAST_ROW}"


def _instructions_sheet(book: Workbook) -> None:
    from openpyxl.styles import Alignment
    sheet = book.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = SHEET_INSTRUCTIONS
    sheet.column_dimensions["A"].width = 110
    wrap = Alignment(wrap_text=True, vertical="top")
    for excel_row, (style, text) in enumerate(_INSTRUCTIONS, start=1):
        cell = sheet.cell(row=excel_row, column=1, value=("•  " + text) if style == "item" else text)
        cell.alignment = wrap
        if style == "title":
            cell.font = _title_font()
        elif style == "heading":
            cell.font = _header_font()


def _programme_sheet(book: Workbook, settings: ProgrammeSettings) -> None:
    values: dict[str, _CellValue] = {
        "programme": settings.programme,
        "round": settings.round,
        "starts_on": settings.starts_on,
        "ends_on": settings.ends_on,
        "language": settings.language,
        "coordinator_channel": settings.coordinator_channel,
        "session_every_days": settings.session_every_days,
        "timezone": settings.timezone,
        "pulse_every_days": settings.pulse_every_days,
        "min_answers_shown": settings.min_answers_shown,
        "digest_weekday": DIGEST_WEEKDAY_NAMES[settings.digest_weekday],
        "digest_hour": settings.digest_hour,
        "retention_months": settings.retention_months,
    }
    rows = [(key, values[key], _PROGRAMME_NOTES[key]) for key in PROGRAMME_KEYS]
    sheet = _table_sheet(
        book,
        title=SHEET_PROGRAMME,
        columns=("setting", "value", "notes"),
        rows=rows,
        formats={},
    )
    for index, key in enumerate(PROGRAMME_KEYS, start=2):
        sheet.cell(row=index, column=1).font = _header_font()
        if isinstance(values[key], date):
            sheet.cell(row=index, column=2).number_format = _DATE_FORMAT
    language_row = PROGRAMME_KEYS.index("language") + 2
    _drop_down(sheet, cells=f"B{language_row}", allowed=LANGUAGES, prompt="en (English) or da (Danish)")
    for key, minimum, maximum in (
        ("session_every_days", 1, MAX_EVERY_DAYS),
        ("pulse_every_days", 1, MAX_EVERY_DAYS),
        ("min_answers_shown", MIN_ANSWERS_SHOWN_FLOOR, MAX_ANSWERS_SHOWN),
        ("digest_hour", 0, 23),
        ("retention_months", 1, MAX_RETENTION_MONTHS),
    ):
        _whole_number(sheet, cells=f"B{PROGRAMME_KEYS.index(key) + 2}", minimum=minimum, maximum=maximum)


def _build(workbook: RoundWorkbook, pair_extra_columns: Sequence[str]) -> Workbook:
    from openpyxl import Workbook
    book = Workbook()
    _instructions_sheet(book)
    _programme_sheet(book, workbook.programme)

    meetings = _table_sheet(
        book,
        title=SHEET_MEETINGS,
        columns=MEETING_COLUMNS,
        rows=(
            (m.kind, m.title, m.starts_at, m.duration_minutes, m.location) for m in workbook.meetings
        ),
        formats={"starts_at": _DATETIME_FORMAT},
    )
    _drop_down(
        meetings,
        cells=_column_range(MEETING_COLUMNS, "kind"),
        allowed=MEETING_KINDS,
        prompt="The kind of shared meeting",
    )
    _whole_number(
        meetings,
        cells=_column_range(MEETING_COLUMNS, "duration_minutes"),
        minimum=MIN_DURATION_MINUTES,
        maximum=MAX_DURATION_MINUTES,
    )

    participants = _table_sheet(
        book,
        title=SHEET_PARTICIPANTS,
        columns=PARTICIPANT_COLUMNS,
        rows=(
            (
                p.email,
                p.name,
                p.role,
                p.field,
                _flatten(p.languages),
                _flatten(p.interests),
                p.company,
                p.partner_company if p.role == "mentee" else None,
                p.home_country,
                p.language,
                p.max_mentees if p.role == "mentor" else None,
            )
            for p in workbook.participants
        ),
        formats={},
    )
    _drop_down(
        participants,
        cells=_column_range(PARTICIPANT_COLUMNS, "role"),
        allowed=ROLES,
        prompt="mentor, mentee, coordinator or company_contact (a contact at a partner company)",
    )
    _drop_down(
        participants,
        cells=_column_range(PARTICIPANT_COLUMNS, "language"),
        allowed=LANGUAGES,
        prompt="en (English) or da (Danish); empty for the programme's language",
    )
    _whole_number(
        participants, cells=_column_range(PARTICIPANT_COLUMNS, "max_mentees"), minimum=1, maximum=None
    )

    extras: list[str] = []
    for column in [*pair_extra_columns, *(key for pair in workbook.pairs for key in pair.extra)]:
        if column not in extras and column not in PAIR_COLUMNS:
            extras.append(column)
    _table_sheet(
        book,
        title=SHEET_PAIRS,
        columns=(*PAIR_COLUMNS, *extras),
        rows=(
            (
                pair.mentor_email,
                pair.mentee_email,
                *(
                    _extra_value(pair.extra[column]) if pair.extra.get(column) else None
                    for column in extras
                ),
            )
            for pair in workbook.pairs
        ),
        formats={},
    )
    if workbook.criteria is not None:
        _criteria_sheet(book, workbook.criteria)
    return book


def _target_cell(target: Fraction) -> tuple[float, str]:
    """A target as a percent-formatted number that reads back as exactly the same fraction:
    2/3 is stored as 0.6666666666666666 and shown as 66.67%, and the reader turns such a float
    back into 2/3 (see `_exact`)."""
    whole_percent = (target * 100).denominator == 1
    return float(target), "0%" if whole_percent else "0.00%"


def _criteria_sheet(book: Workbook, criteria: Sequence[CriterionSpec]) -> None:
    from openpyxl.styles import Alignment
    def surveys(spec: CriterionSpec) -> str | None:
        asked = {Role.MENTOR, Role.MENTEE} & set(spec.roles)
        if spec.measure is CriterionMeasure.EMPLOYED or not asked:
            return None  # ignored when read: leaving it empty says so
        return ", ".join(kind.value for kind in spec.surveys) or None

    sheet = _table_sheet(
        book,
        title=SHEET_CRITERIA,
        columns=CRITERION_COLUMNS,
        rows=(
            (
                spec.key,
                spec.statement_en,
                spec.statement_da,
                spec.measure.value,
                ", ".join(role.value for role in spec.roles),
                surveys(spec),
                None,  # written below, with its own number format
            )
            for spec in criteria
        ),
        formats={},
    )
    target_column = CRITERION_COLUMNS.index("target") + 1
    wrap = Alignment(wrap_text=True, vertical="top")
    for excel_row, spec in enumerate(criteria, start=2):
        value, number_format = _target_cell(spec.target)
        _put(sheet, row=excel_row, column=target_column, value=value, number_format=number_format)
        for column in CRITERION_STATEMENTS:
            sheet.cell(row=excel_row, column=CRITERION_COLUMNS.index(column) + 1).alignment = wrap
    _drop_down(
        sheet,
        cells=_column_range(CRITERION_COLUMNS, "measure"),
        allowed=CRITERION_MEASURES,
        prompt="agree (a statement rated on the agree scale), recommend (would recommend taking part) "
        "or employed (mentees in work 6 months after the round)",
    )
    for column, prompt in (
        ("asked_of", "mentor, mentee, company_contact: one or more, separated by commas"),
        ("surveys", "midway, final or both, separated by commas"),
        ("target", "A share from 0 to 100 %: 80%, 66.7 or 2/3"),
    ):
        _input_prompt(sheet, cells=_column_range(CRITERION_COLUMNS, column), prompt=prompt)


def write_workbook(
    path_or_stream: str | Path | BinaryIO,
    workbook: RoundWorkbook,
    *,
    pair_extra_columns: Sequence[str] = (),
) -> None:
    """Export a round in exactly the format :func:`read_workbook` accepts.

    Row numbers in ``workbook`` are ignored: rows are written in order from row 2.
    ``pair_extra_columns`` come first after the two email columns; any other keys
    found in the pairs' ``extra`` follow, so nothing is silently dropped.
    """
    book = _build(workbook, pair_extra_columns)
    book.save(str(path_or_stream) if isinstance(path_or_stream, Path) else path_or_stream)


def workbook_bytes(workbook: RoundWorkbook, *, pair_extra_columns: Sequence[str] = ()) -> bytes:
    """The exported workbook as bytes, for uploading a file without touching the disk."""
    buffer = io.BytesIO()
    write_workbook(buffer, workbook, pair_extra_columns=pair_extra_columns)
    return buffer.getvalue()


def write_template(path: str | Path | BinaryIO) -> None:
    """A workbook to start a round from: instructions, drop-downs and one example of each row.

    It is simply the export of an example round, so the template is guaranteed to be
    a workbook :func:`read_workbook` accepts.
    """
    write_workbook(path, _EXAMPLE)
