"""The funder's Excel report: one workbook for one round or all rounds of a programme.

Why it looks the way it does:

- Every figure about criteria, surveys and outcomes comes from
  `bot.surveys.scoreboard.compute_scoreboard`, the one computation (anonymity threshold and
  all), so the report, the Slack scoreboard and the digest never disagree. No survey answer
  is read here: nothing in the file can be traced to a person's answer.
- The workbook is written in openpyxl's write-only mode and the large tables (people,
  pairs, sessions) are streamed from the database (`yield_per`), so memory stays flat as a
  programme grows; only per-week and per-round tallies are held.
- The notes of a 1:1 session are private to the pair and are left out (the Glossary says so).
- With `pseudonymise`, names and emails become stable codes: ``P-`` and the first ten hex
  digits of HMAC-SHA256 over the email (trimmed, case-folded), keyed with `pseudonym_key`
  (by default a key made of the programme's id and creation time, which is in the database
  but not in the file). The same person gets the same code in every run and every round.

Computing the scoreboard records what was disclosed (see `bot.surveys.anonymity`), so the
caller runs this in a unit of work that commits.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.core.timing import zone
from bot.i18n import normalise_language, t
from bot.onboarding.state import onboarding_step
from bot.surveys.scoreboard import IN_WORK, Scoreboard, Standing, compute_scoreboard
from bot.surveys.service import PULSE_CONFIDENCE, PULSE_QUESTIONS, PULSE_USEFUL
from storage.models import (
    Consent,
    ConsentPurpose,
    MeetingRsvp,
    MentoringSession,
    OutcomeStatus,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
    RsvpAnswer,
    SharedMeeting,
    SurveyKind,
)

if TYPE_CHECKING:
    # openpyxl loads only when a report or an export is written: the functions that write
    # import it themselves, so a web process that never writes one never pays for it.
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

#: The sheets, in order (their titles are in the report catalogs).
SHEETS = ("summary", "people", "pairs", "sessions", "meetings", "surveys", "outcomes", "glossary")

#: Rows fetched per round trip while streaming the large tables.
STREAM_BATCH = 1000
#: People are read as whole ORM objects (the onboarding step is computed from one), which
#: weigh far more than a row of columns: a smaller batch keeps the peak near the others'.
PEOPLE_BATCH = 200

PERCENT = "0%"
INTEGER = "0"
MEAN = "0.0"
SCORE = "0.0"
DAY = "yyyy-mm-dd"
MOMENT = "yyyy-mm-dd hh:mm"

_PULSE_COLUMNS = tuple((role, question) for role in (Role.MENTEE, Role.MENTOR) for question in PULSE_QUESTIONS)
_PULSE_KEY = {PULSE_USEFUL: "useful", PULSE_CONFIDENCE: "confidence"}


@dataclass(frozen=True)
class Column:
    key: str
    width: int = 16
    number_format: str | None = None


#: Every table: (sheet, columns). Headers are `report.col.<table>.<key>`, the Glossary's
#: explanation `report.help.<table>.<key>`.
TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "criteria": ("summary", (
        Column("round", 20), Column("criterion", 60), Column("role", 14), Column("survey", 16),
        Column("answers", 10, INTEGER), Column("agreeing", 10, INTEGER), Column("share", 12, PERCENT),
        Column("target", 10, PERCENT), Column("standing", 20),
    )),
    "key": ("summary", (Column("round", 20), Column("figure", 60), Column("value", 14))),
    "weeks": ("summary", (Column("week", 20, DAY), Column("sessions", 60, INTEGER))),
    "people": ("people", (
        Column("name", 26), Column("email", 30), Column("role", 16), Column("round", 20), Column("company", 22),
        Column("partner_company", 22), Column("step", 20), Column("coordination", 14), Column("evaluation", 14),
        Column("follow_up", 14),
    )),
    "pairs": ("pairs", (
        Column("round", 20), Column("mentor", 26), Column("mentee", 26), Column("score", 10, SCORE),
        Column("reasons", 60), Column("status", 12), Column("end_reason", 18), Column("channel_opened", 16, DAY),
        Column("sessions", 10, INTEGER),
    )),
    "sessions": ("sessions", (
        Column("round", 20), Column("mentor", 26), Column("mentee", 26), Column("date", 12, DAY),
        Column("minutes", 10, INTEGER), Column("topics", 40), Column("introductions", 14, INTEGER),
    )),
    "meetings": ("meetings", (
        Column("round", 20), Column("meeting", 30), Column("kind", 22), Column("starts", 18, MOMENT),
        Column("invited", 10, INTEGER), Column("yes", 10, INTEGER), Column("no", 10, INTEGER),
        Column("attended", 10, INTEGER),
    )),
    "responses": ("surveys", (
        Column("round", 20), Column("survey", 22), Column("opens", 12, DAY), Column("closes", 12, DAY),
        Column("invited", 10, INTEGER), Column("answered", 10, INTEGER), Column("rate", 12, PERCENT),
        Column("open", 10),
    )),
    "pulses": ("surveys", (
        Column("round", 20), Column("survey", 22),
        *(Column(f"mean_{role.value}_{_PULSE_KEY[question]}", 12, MEAN) for role, question in _PULSE_COLUMNS),
        *(Column(f"answers_{role.value}_{_PULSE_KEY[question]}", 12, INTEGER) for role, question in _PULSE_COLUMNS),
    )),
    "outcomes": ("outcomes", (
        Column("round", 20), Column("status", 22), Column("mentees", 12, INTEGER), Column("share", 12, PERCENT),
    )),
}


@dataclass(frozen=True, kw_only=True)
class ReportSummary:
    """What was written: for the CLI's and Slack's one-line answer, and for tests."""

    language: str
    rounds: tuple[str, ...]
    sheets: tuple[str, ...]  # titles, in order
    rows: Mapping[str, int] = field(default_factory=dict)  # data rows per table
    charts: int = 0
    pseudonymised: bool = False


# --- helpers ----------------------------------------------------------------------------------------------


def pseudonym(email: str, key: bytes) -> str:
    """A stable code for a person: the same email gives the same code with the same key."""
    digest = hmac.new(key, email.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"P-{digest[:10].upper()}"


def default_pseudonym_key(programme: Programme) -> bytes:
    """The key used when none is given: in the database, never in the file."""
    created = programme.created_at.replace(tzinfo=None).isoformat()
    return f"mentorbot-report:{programme.id}:{created}".encode()


def report_language(session: Session, round_ids: Sequence[int]) -> str:
    """The programme's language (the first round's programme when several are given)."""
    language = session.scalar(
        select(Programme.default_language).join(Round, Round.programme_id == Programme.id)
        .where(Round.id.in_(list(round_ids))).order_by(Round.starts_on, Round.id).limit(1)
    )
    return normalise_language(language)


def rounds_of_programme(session: Session, name: str) -> list[int]:
    """All rounds of the programme so named (case-insensitive), oldest first."""
    return list(session.scalars(
        select(Round.id).join(Programme, Programme.id == Round.programme_id)
        .where(func.lower(Programme.name) == name.strip().lower()).order_by(Round.starts_on, Round.id)
    ))


def _local(moment: datetime | None, zone_name: str) -> datetime | None:
    """Excel has no time zones: a moment is written as the programme's wall-clock time."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(zone(zone_name)).replace(tzinfo=None)


def _day(moment: datetime | None, zone_name: str) -> date | None:
    local = _local(moment, zone_name)
    return local.date() if local is not None else None


def _share(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


class _Sheet:
    """One write-only sheet: tables stacked from the top, header styled, first header frozen,
    filter on the first table, widths the widest any table asks for.

    The report's tables are the default; another workbook (a person's own data, see
    `bot.privacy.export`) passes its own `tables`, catalog prefix and sheet title, so both
    stream their rows the same way. Text is always written as text (see `_text_cell`)."""

    def __init__(self, workbook: Workbook, *, key: str, language: str, tables: Sequence[str],
                 table_columns: Mapping[str, tuple[str, tuple[Column, ...]]] = TABLES,
                 catalog_prefix: str = "report", title: str | None = None) -> None:
        # A write-only sheet has the attributes used here (widths, panes, filter, charts) but
        # the stubs type only the ordinary sheet's.
        from openpyxl.utils import get_column_letter
        self.ws = cast("Worksheet", workbook.create_sheet(title or t(f"{catalog_prefix}.sheet.{key}", language)))
        self.language = language
        self.table_columns = table_columns
        self.catalog_prefix = catalog_prefix
        self.row = 0
        self.filtered = False
        widths: dict[int, int] = {}
        for table in tables:
            for index, column in enumerate(table_columns[table][1], start=1):
                widths[index] = max(widths.get(index, 0), column.width)
        for index, width in widths.items():
            self.ws.column_dimensions[get_column_letter(index)].width = width

    def title(self, text: str) -> None:
        """A title above the first table (whose header is then the frozen row)."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        self.ws.freeze_panes = "A3"
        cell = WriteOnlyCell(self.ws, value=text)
        cell.font = Font(bold=True, size=14)
        self._append([cell])

    def blank(self) -> None:
        self._append([])

    def _append(self, values: list[Any]) -> None:
        self.ws.append(values)
        self.row += 1

    def _text_cell(self, text: str) -> Cell:
        """Text as text: openpyxl would make "=..." (a name, a note) a formula, and characters
        XML cannot hold would make saving fail."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        cell = WriteOnlyCell(self.ws, value=ILLEGAL_CHARACTERS_RE.sub("", text))
        cell.data_type = "s"
        return cell

    def table(self, name: str, rows: Iterable[Sequence[Any]]) -> tuple[int, int]:
        """Write a header and rows; returns (header row, last row) for charts and filters."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter
        columns = self.table_columns[name][1]
        header_cells = []
        for column in columns:
            cell = WriteOnlyCell(self.ws, value=t(f"{self.catalog_prefix}.col.{name}.{column.key}", self.language))
            cell.font = Font(bold=True)
            header_cells.append(cell)
        if not self.filtered and self.row == 0:
            self.ws.freeze_panes = "A2"  # must be set before the first row is streamed
        self._append(header_cells)
        header = self.row
        for values in rows:
            cells: list[Any] = []
            for column, value in zip(columns, values, strict=True):
                if column.number_format is not None and isinstance(value, int | float | date):
                    cell = WriteOnlyCell(self.ws, value=cast(float | datetime, value))
                    cell.number_format = column.number_format
                    cells.append(cell)
                elif isinstance(value, str):
                    cells.append(self._text_cell(value))
                else:
                    cells.append(value)
            self._append(cells)
        if not self.filtered:
            self.ws.auto_filter.ref = f"A{header}:{get_column_letter(len(columns))}{max(self.row, header)}"
            self.filtered = True
        return header, self.row


# --- the report ------------------------------------------------------------------------------------------


@dataclass
class _Context:
    session: Session
    language: str
    boards: dict[int, Scoreboard]
    round_names: dict[int, str]
    zone_name: str
    key: bytes | None  # None: names and emails as they are
    rows: dict[str, int] = field(default_factory=dict)

    def who(self, name: str, email: str) -> tuple[str, str]:
        if self.key is None:
            return name, email
        code = pseudonym(email, self.key)
        return code, code

    def count(self, table: str, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        self.rows[table] = 0
        for row in rows:
            self.rows[table] += 1
            yield row


def write_report(session: Session, *, round_ids: Sequence[int], out: BinaryIO | Path, language: str,
                 pseudonymise: bool, now: datetime, pseudonym_key: bytes | None = None) -> ReportSummary:
    """Write the report of `round_ids` (one programme's rounds) to `out`.

    Computes each round's scoreboard (recording what it discloses: commit the caller's unit
    of work) and streams everything else."""
    from openpyxl import Workbook
    if not round_ids:
        raise ValueError("a report needs at least one round")
    language = normalise_language(language)
    rounds = list(session.scalars(select(Round).where(Round.id.in_(list(round_ids)))
                                  .order_by(Round.starts_on, Round.id)))
    programme = rounds[0].programme
    key = (pseudonym_key or default_pseudonym_key(programme)) if pseudonymise else None
    boards = {round_.id: compute_scoreboard(session, round_id=round_.id, now=now) for round_ in rounds}
    context = _Context(session=session, language=language, boards=boards,
                       round_names={round_.id: round_.name for round_ in rounds}, zone_name=programme.timezone,
                       key=key)

    workbook = Workbook(write_only=True)
    charts = 0
    summary = _Sheet(workbook, key="summary", language=language, tables=("criteria", "key", "weeks"))
    charts += _summary(summary, context, programme=programme.name, now=now)
    people = _Sheet(workbook, key="people", language=language, tables=("people",))
    people.table("people", context.count("people", _people_rows(context)))
    pairs = _Sheet(workbook, key="pairs", language=language, tables=("pairs",))
    pairs.table("pairs", context.count("pairs", _pair_rows(context)))
    sessions = _Sheet(workbook, key="sessions", language=language, tables=("sessions",))
    sessions.table("sessions", context.count("sessions", _session_rows(context)))
    meetings = _Sheet(workbook, key="meetings", language=language, tables=("meetings",))
    meetings.table("meetings", context.count("meetings", _meeting_rows(context)))
    surveys = _Sheet(workbook, key="surveys", language=language, tables=("responses", "pulses"))
    charts += _surveys(surveys, context)
    outcomes = _Sheet(workbook, key="outcomes", language=language, tables=("outcomes",))
    charts += _outcomes(outcomes, context)
    glossary = _Sheet(workbook, key="glossary", language=language, tables=())
    _glossary(glossary, context)
    workbook.save(out)
    return ReportSummary(
        language=language, rounds=tuple(round_.name for round_ in rounds),
        sheets=tuple(t(f"report.sheet.{sheet}", language) for sheet in SHEETS),
        rows=dict(context.rows), charts=charts, pseudonymised=pseudonymise,
    )


# --- Summary ---------------------------------------------------------------------------------------------


def _survey_name(kind: SurveyKind | None, number: int, language: str) -> str:
    if kind is None:
        return t("report.value.outcomes", language)
    if kind is SurveyKind.PULSE:
        return t("scoreboard.survey.pulse", language, number=number)
    return t(f"scoreboard.survey.{kind.value}", language)


def _criteria_rows(context: _Context) -> Iterator[Sequence[Any]]:
    language = context.language
    for round_id, board in context.boards.items():
        for row in board.criteria:
            yield (
                context.round_names[round_id], row.statement(language), t(f"scoreboard.role.{row.role.value}", language),
                _survey_name(row.survey, 1, language) if row.survey is not None or row.standing is not Standing.NOT_YET
                else "", row.answers, row.agreeing, _share(row.share), float(row.target),
                t(f"scoreboard.standing.{row.standing.value}", language),
            )


def _key_rows(context: _Context) -> Iterator[Sequence[Any]]:
    language = context.language
    session = context.session
    for round_id, board in context.boards.items():
        name = context.round_names[round_id]
        roles: dict[Role, int] = {row[0]: row[1] for row in session.execute(
            select(Participant.role, func.count(Participant.id)).where(Participant.round_id == round_id)
            .group_by(Participant.role))}
        for role in (Role.MENTOR, Role.MENTEE, Role.COMPANY_CONTACT, Role.COORDINATOR):
            yield name, t(f"report.figure.people.{role.value}", language), roles.get(role, 0)
        statuses: dict[PairStatus, int] = {row[0]: row[1] for row in session.execute(
            select(Pair.status, func.count(Pair.id)).where(Pair.round_id == round_id).group_by(Pair.status))}
        for status in PairStatus:
            yield name, t(f"report.figure.pairs.{status.value}", language), statuses.get(status, 0)
        yield name, t("report.figure.sessions", language), board.introductions.sessions
        yield name, t("report.figure.introductions", language), board.introductions.total
        yield name, t("report.figure.pairs_introducing", language), board.introductions.pairs_with_any
        invited = sum(rate.invited for rate in board.responses)
        answered = sum(rate.answered for rate in board.responses)
        yield name, t("report.figure.response_rate", language), _percent_cell(
            Fraction(answered, invited) if invited else None, language)
        outcomes = board.outcomes
        in_work = (Fraction(sum(outcomes.counts.get(status, 0) for status in IN_WORK), outcomes.answers)
                   if outcomes.counts is not None and outcomes.answers else None)
        yield name, t("report.figure.in_work", language), _percent_cell(in_work, language)
        helped = (Fraction(outcomes.network_helped, outcomes.network_answers)
                  if outcomes.network_helped is not None and outcomes.network_answers else None)
        yield name, t("report.figure.network_helped", language), _percent_cell(helped, language)


class _Percent(float):
    """A share in a mixed column: written with the percent format."""


def _percent_cell(share: Fraction | None, language: str) -> Any:
    return t("scoreboard.standing.too_few", language) if share is None else _Percent(float(share))


def _weeks(context: _Context) -> list[tuple[date, int]]:
    """Sessions per week (Monday), every week from the first to the last, zeros included."""
    tally: Counter[date] = Counter()
    rows = context.session.execute(
        select(MentoringSession.held_on).join(Pair, Pair.id == MentoringSession.pair_id)
        .where(Pair.round_id.in_(list(context.boards))).execution_options(yield_per=STREAM_BATCH)
    )
    for (held_on,) in rows:
        tally[held_on - timedelta(days=held_on.weekday())] += 1
    if not tally:
        return []
    week, last = min(tally), max(tally)
    weeks = []
    while week <= last:
        weeks.append((week, tally.get(week, 0)))
        week += timedelta(days=7)
    return weeks


def _summary(sheet: _Sheet, context: _Context, *, programme: str, now: datetime) -> int:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.chart import BarChart, Reference
    language = context.language
    sheet.title(t("report.title", language, programme=programme, rounds=", ".join(context.round_names.values()),
                  day=_day(now, context.zone_name) or now.date()))
    sheet.table("criteria", context.count("criteria", _criteria_rows(context)))
    sheet.blank()
    key_rows = []
    for row in context.count("key", _key_rows(context)):
        value = row[2]
        if isinstance(value, _Percent):
            cell = WriteOnlyCell(sheet.ws, value=float(value))
            cell.number_format = PERCENT
            value = cell
        elif isinstance(value, int):
            cell = WriteOnlyCell(sheet.ws, value=value)
            cell.number_format = INTEGER
            value = cell
        key_rows.append((row[0], row[1], value))
    _plain_table(sheet, "key", key_rows)
    sheet.blank()
    weeks = _weeks(context)
    context.rows["weeks"] = len(weeks)
    header, last = sheet.table("weeks", weeks)
    if not weeks:
        return 0
    chart = BarChart()
    chart.title = t("report.chart.sessions_per_week", language)
    chart.y_axis.title = t("report.col.weeks.sessions", language)
    chart.x_axis.title = t("report.col.weeks.week", language)
    chart.x_axis.number_format = DAY
    chart.legend = None
    chart.add_data(Reference(sheet.ws, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=header + 1, max_row=last))
    chart.width, chart.height = 24, 9
    sheet.ws.add_chart(chart, f"K{header}")
    return 1


def _plain_table(sheet: _Sheet, name: str, rows: Sequence[Sequence[Any]]) -> None:
    """A table whose cells are already made (the key numbers mix counts and shares)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    columns = TABLES[name][1]
    header_cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet.ws, value=t(f"report.col.{name}.{column.key}", sheet.language))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet._append(header_cells)
    for row in rows:
        sheet._append(list(row))


# --- People, Pairs, Sessions, Meetings -------------------------------------------------------------------


def _yes_no(value: bool | None, language: str) -> str:
    if value is None:
        return ""
    return t("report.value.yes" if value else "report.value.no", language)


def _people_rows(context: _Context) -> Iterator[Sequence[Any]]:
    language = context.language
    session = context.session
    ids = list(context.boards)
    consents: dict[tuple[int, ConsentPurpose], bool] = {
        (participant_id, purpose): granted
        for participant_id, purpose, granted in session.execute(
            select(Consent.participant_id, Consent.purpose, Consent.granted)
            .join(Participant, Participant.id == Consent.participant_id).where(Participant.round_id.in_(ids))
            .order_by(Consent.decided_at, Consent.id).execution_options(yield_per=STREAM_BATCH))
    }
    people = session.scalars(
        select(Participant).where(Participant.round_id.in_(ids))
        .order_by(Participant.round_id, Participant.role, Participant.name, Participant.id)
        .execution_options(yield_per=PEOPLE_BATCH)
    )
    for person in people:
        name, email = context.who(person.name, person.email)
        yield (
            name, email, t(f"onboarding.role.{person.role.value}", language), context.round_names[person.round_id],
            person.company or "", person.partner_company or "",
            t(f"home.step.{onboarding_step(person).value}", language),
            *(_yes_no(consents.get((person.id, purpose)), language) for purpose in ConsentPurpose),
        )
        session.expunge(person)


def _reasons(stored: object, language: str) -> str:
    """The pair's match reasons in one plain line, as the match review words them."""
    if not isinstance(stored, list):
        return ""
    parts = []
    for item in stored:
        if not isinstance(item, dict) or "code" not in item:
            continue
        params = {str(k): str(v) for k, v in (item.get("params") or {}).items()}
        try:
            text = t(str(item["code"]), language, **params)
        except (KeyError, IndexError):
            text = str(item["code"])
        points = item.get("points")
        if isinstance(points, int | float) and points:
            text += f" ({'+' if points > 0 else '−'}{abs(points):g})"
        parts.append(text)
    return "; ".join(parts)


def _pair_rows(context: _Context) -> Iterator[Sequence[Any]]:
    language = context.language
    mentor, mentee = aliased(Participant), aliased(Participant)
    held = (select(MentoringSession.pair_id, func.count(MentoringSession.id).label("held"))
            .group_by(MentoringSession.pair_id).subquery())
    rows = context.session.execute(
        select(Pair.round_id, mentor.name, mentor.email, mentee.name, mentee.email, Pair.match_score,
               Pair.match_reasons, Pair.status, Pair.end_reason, Pair.channel_opened_at, held.c.held)
        .join(mentor, mentor.id == Pair.mentor_id).join(mentee, mentee.id == Pair.mentee_id)
        .outerjoin(held, held.c.pair_id == Pair.id)
        .where(Pair.round_id.in_(list(context.boards))).order_by(Pair.round_id, Pair.id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    for (round_id, mentor_name, mentor_email, mentee_name, mentee_email, score, reasons, status, end_reason,
         opened, count) in rows:
        yield (
            context.round_names[round_id], context.who(mentor_name, mentor_email)[0],
            context.who(mentee_name, mentee_email)[0], score, _reasons(reasons, language),
            t(f"report.pair_status.{status.value}", language), end_reason or "", _day(opened, context.zone_name),
            count or 0,
        )


def _session_rows(context: _Context) -> Iterator[Sequence[Any]]:
    mentor, mentee = aliased(Participant), aliased(Participant)
    rows = context.session.execute(
        select(Pair.round_id, mentor.name, mentor.email, mentee.name, mentee.email, MentoringSession.held_on,
               MentoringSession.duration_minutes, MentoringSession.topics, MentoringSession.introductions_made)
        .join(Pair, Pair.id == MentoringSession.pair_id)
        .join(mentor, mentor.id == Pair.mentor_id).join(mentee, mentee.id == Pair.mentee_id)
        .where(Pair.round_id.in_(list(context.boards)))
        .order_by(Pair.round_id, MentoringSession.held_on, MentoringSession.id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    for round_id, mentor_name, mentor_email, mentee_name, mentee_email, held_on, minutes, topics, introductions in rows:
        yield (
            context.round_names[round_id], context.who(mentor_name, mentor_email)[0],
            context.who(mentee_name, mentee_email)[0], held_on, minutes, ", ".join(topics or ()), introductions or 0,
        )


def _meeting_rows(context: _Context) -> Iterator[Sequence[Any]]:
    language = context.language
    yes = func.count(MeetingRsvp.id).filter(MeetingRsvp.answer == RsvpAnswer.YES)
    no = func.count(MeetingRsvp.id).filter(MeetingRsvp.answer == RsvpAnswer.NO)
    attended = func.count(MeetingRsvp.id).filter(MeetingRsvp.attended.is_(True))
    rows = context.session.execute(
        select(SharedMeeting.round_id, SharedMeeting.title, SharedMeeting.kind, SharedMeeting.starts_at,
               func.count(MeetingRsvp.id), yes, no, attended)
        .outerjoin(MeetingRsvp, MeetingRsvp.meeting_id == SharedMeeting.id)
        .where(SharedMeeting.round_id.in_(list(context.boards)))
        .group_by(SharedMeeting.id, SharedMeeting.round_id, SharedMeeting.title, SharedMeeting.kind,
                  SharedMeeting.starts_at)
        .order_by(SharedMeeting.starts_at, SharedMeeting.id)
    )
    for round_id, title, kind, starts_at, invited, said_yes, said_no, came in rows:
        yield (context.round_names[round_id], title, t(f"home.meeting_kind.{kind.value}", language),
               _local(starts_at, context.zone_name), invited, said_yes, said_no, came)


# --- Surveys and Outcomes (from the scoreboard only) ------------------------------------------------------


def _response_rows(context: _Context) -> Iterator[Sequence[Any]]:
    language = context.language
    for round_id, board in context.boards.items():
        for rate in board.responses:
            yield (context.round_names[round_id], _survey_name(rate.kind, rate.number, language),
                   _day(rate.opens_at, context.zone_name), _day(rate.closes_at, context.zone_name), rate.invited,
                   rate.answered, _share(rate.rate), _yes_no(rate.open, language))


def _pulse_rows(context: _Context) -> Iterator[Sequence[Any]]:
    """One row per pulse: the means (empty where too few answered) and the answer counts
    ("too few answers yet" where the threshold hides them)."""
    language = context.language
    several = len(context.boards) > 1
    too_few = t("scoreboard.standing.too_few", language)
    for round_id, board in context.boards.items():
        numbers = sorted({pulse.number for pulse in board.pulses})
        for number in numbers:
            shown = {(pulse.role, pulse.question): pulse for pulse in board.pulses if pulse.number == number}
            label = _survey_name(SurveyKind.PULSE, number, language)
            means: list[Any] = []
            answers: list[Any] = []
            for role, question in _PULSE_COLUMNS:
                pulse = shown.get((role, question))
                means.append(_share(pulse.mean) if pulse is not None else None)
                answers.append(pulse.answers if pulse is not None and pulse.answers is not None else too_few)
            yield (context.round_names[round_id], f"{context.round_names[round_id]}: {label}" if several else label,
                   *means, *answers)


def _surveys(sheet: _Sheet, context: _Context) -> int:
    from openpyxl.chart import LineChart, Reference
    sheet.table("responses", context.count("responses", _response_rows(context)))
    sheet.blank()
    header, last = sheet.table("pulses", context.count("pulses", _pulse_rows(context)))
    if last == header:
        return 0
    chart = LineChart()
    chart.title = t("report.chart.pulse_trend", context.language)
    chart.y_axis.title = t("report.chart.mean", context.language)
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 1, 5
    chart.add_data(Reference(sheet.ws, min_col=3, max_col=2 + len(_PULSE_COLUMNS), min_row=header, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=2, min_row=header + 1, max_row=last))
    chart.width, chart.height = 24, 9
    sheet.ws.add_chart(chart, f"L{header}")
    return 1


def _outcome_rows(context: _Context) -> Iterator[Sequence[Any]]:
    language = context.language
    too_few = t("scoreboard.standing.too_few", language)
    for round_id, board in context.boards.items():
        for status in OutcomeStatus:
            counts = board.outcomes.counts
            yield (context.round_names[round_id], t(f"outcomes.status.{status.value}", language),
                   counts.get(status, 0) if counts is not None else too_few, _share(board.outcomes.share(status)))


def _outcomes(sheet: _Sheet, context: _Context) -> int:
    from openpyxl.chart import BarChart, Reference, Series
    header, last = sheet.table("outcomes", context.count("outcomes", _outcome_rows(context)))
    if last == header:
        return 0
    chart = BarChart()
    chart.title = t("report.chart.outcomes", context.language)
    chart.y_axis.title = t("report.col.outcomes.share", context.language)
    chart.y_axis.number_format = PERCENT
    block = len(OutcomeStatus)
    for index, round_name in enumerate(context.round_names.values()):
        first = header + 1 + index * block
        values = Reference(sheet.ws, min_col=4, min_row=first, max_row=first + block - 1)
        chart.series.append(Series(values, title=round_name))
    chart.set_categories(Reference(sheet.ws, min_col=2, min_row=header + 1, max_row=header + block))
    chart.width, chart.height = 20, 9
    sheet.ws.add_chart(chart, f"F{header}")
    return 1


# --- Glossary --------------------------------------------------------------------------------------------


def _glossary(sheet: _Sheet, context: _Context) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    language = context.language
    for column_index, width in ((1, 24), (2, 30), (3, 100)):
        sheet.ws.column_dimensions[get_column_letter(column_index)].width = width
    bold = Font(bold=True)
    header = []
    for key in ("sheet", "column", "meaning"):
        cell = WriteOnlyCell(sheet.ws, value=t(f"report.glossary.{key}", language))
        cell.font = bold
        header.append(cell)
    sheet.ws.freeze_panes = "A2"
    sheet._append(header)
    count = 0
    for table, (sheet_key, columns) in TABLES.items():
        for column in columns:
            sheet._append([t(f"report.sheet.{sheet_key}", language), t(f"report.col.{table}.{column.key}", language),
                           t(f"report.help.{table}.{column.key}", language)])
            count += 1
    sheet.ws.auto_filter.ref = f"A1:C{sheet.row}"
    sheet.blank()
    threshold = min((board.threshold for board in context.boards.values()), default=0)
    for note in ("anonymity", "notes", "pseudonyms" if context.key is not None else "names", "language"):
        sheet._append([t("report.glossary.note", language), "",
                       t(f"report.glossary.notes.{note}", language, count=threshold)])
        count += 1
    context.rows["glossary"] = count


#: For other workbooks written the same way (a person's own data: `bot.privacy.export`).
TableSheet = _Sheet
local_time = _local

__all__ = [
    "DAY",
    "INTEGER",
    "MOMENT",
    "SHEETS",
    "TABLES",
    "Column",
    "ReportSummary",
    "TableSheet",
    "default_pseudonym_key",
    "local_time",
    "pseudonym",
    "report_language",
    "rounds_of_programme",
    "write_report",
]
