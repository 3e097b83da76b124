"""Outcomes: where a mentee stands after the round, and the 6-month follow-up that asks.

The programme counts mentees "in work six months after the round" (PROGRAMME.md), so the
rules are:

* **One outcome per mentee** (per participant row, i.e. per round): employed, internship,
  own company, in education, still looking, other; when it started; whether the mentor's
  network helped. The latest report wins, whoever made it: the mentee in the follow-up DM,
  the mentee any time with `/mentoring outcome`, or a coordinator who heard it on the phone
  (`/mentoring-admin outcome NAME`, confirming the person agreed to the follow-up).
* **The follow-up.** Six months after the round's last day (`ends_on` + 6 calendar months,
  `bot.core.dates.months_after`, so 31 August is followed up on 28/29 February), each mentee of
  that round gets ONE DM in their own daytime slot (`bot.core.timing.due_slot`): those who
  had a published pair, are in Slack, did not opt out, and granted the FOLLOW_UP consent.
  It is asked even when an outcome is already on record, with that outcome shown and
  prefilled: what counts is the situation at six months, and a job found in month two may
  be gone by month six; confirming takes one click. Only an outcome recorded on or after
  the follow-up date already answers it, and then nobody is asked.
  A round that passed its follow-up date more than `ASK_WITHIN_DAYS` ago is not asked any
  more (a deployment that starts long after a round ended does not ask stale questions).
* **One reminder**, five working days after the question, in their slot, if no outcome was
  recorded since; then it lapses (`REMINDER_WITHIN_DAYS` after asking at the latest).
  Consent is read when the reminder falls due, so a withdrawal stops it; so does opting out.

A name given to `/mentoring-admin outcome` may also be a company contact's (who need not be
in Slack): the coordinator then enters that contact's answers to the company survey by
hand, through the surveys' own `record_by_hand`, after the same check of whose round it is.

Asking is recorded in a `FollowUp` row (unique per participant: asked once, inserted with
ON CONFLICT DO NOTHING so a second tick cannot ask again), and every notice has a dedup key.
Recording an outcome locks the participant row first, so two submits at the same moment
(a double click, two devices, a coordinator and the mentee) are decided one after the other
on PostgreSQL, the later winning whole; the upsert is keyed on the outcome's unique
participant id besides.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Executable, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from bot.core.dates import months_after
from bot.core.notices import Notice, Person
from bot.core.people import identify
from bot.core.timing import add_working_days, due_slot, local_day, zone
from bot.core.workspace import Workspace
from bot.i18n import normalise_language
from bot.outcomes.notices import FollowUpFacts
from bot.pairs.channel_names import slugify
from bot.surveys.consent import consenting_ids, has_granted, record_consent_given
from bot.surveys.criteria import COMMENT_QUESTION
from bot.surveys.notices import Question
from bot.surveys.service import OPEN_FOR, AnswerResult, AnswerStatus, hand_entry_form, record_by_hand
from storage.db import rows_affected
from storage.models import (
    ConsentPurpose,
    FollowUp,
    OutboxMessage,
    OutboxState,
    Outcome,
    OutcomeSource,
    OutcomeStatus,
    Pair,
    Participant,
    Role,
    Round,
    SurveyKind,
    table_of,
)

FOLLOW_UP_MONTHS = 6
ASK_WITHIN_DAYS = 60
REMINDER_AFTER_WORKING_DAYS = 5
REMINDER_WITHIN_DAYS = 30
MAX_REMINDERS = 1
# A start date this long before the round began is a mistyped year, not a situation.
EARLIEST_START_BEFORE_ROUND = timedelta(days=366)
# Statuses that begin on a day: the mentee is asked when (a coordinator may not know it).
DATED_STATUSES = frozenset({OutcomeStatus.EMPLOYED, OutcomeStatus.INTERNSHIP, OutcomeStatus.OWN_COMPANY,
                            OutcomeStatus.EDUCATION})
CANDIDATES_SHOWN = 8

# Block ids of the outcome modal: errors name them, so they land under the right box.
STATUS_FIELD = "status"
STARTED_FIELD = "started_on"
NETWORK_FIELD = "network"
CONSENT_FIELD = "consent"


# --- dedup keys --------------------------------------------------------------------------------------------


def follow_up_prefix(participant_id: int) -> str:
    """Every follow-up message of one mentee (the trailing colon keeps 1 from matching 12)."""
    return f"follow-up:participant={participant_id}:"


def ask_key(participant_id: int) -> str:
    return f"{follow_up_prefix(participant_id)}ask"


def reminder_key(participant_id: int) -> str:
    return f"{follow_up_prefix(participant_id)}reminder=1"


# --- when --------------------------------------------------------------------------------------------------


def follow_up_date(ends_on: date) -> date:
    """The day a round's mentees are asked: six calendar months after its last day."""
    return months_after(ends_on, FOLLOW_UP_MONTHS)


def _person_zone(participant: Participant) -> str:
    """Their own zone, else the programme's: where their daytime is."""
    return zone(participant.timezone or participant.round.programme.timezone).key


def _today_for(participant: Participant, now: datetime) -> date:
    """The latest "today" among the person's zone and the programme's: a coordinator in
    Copenhagen entering today's date for someone whose clock is still on yesterday is right."""
    zones = {_person_zone(participant), zone(participant.round.programme.timezone).key}
    return max(now.astimezone(zone(name)).date() for name in zones)


# --- the tick's job ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DueFollowUps:
    notices: list[Notice] = field(default_factory=list)  # for the tick to queue
    asked: int = 0
    reminded: int = 0


def due_follow_ups(session: Session, *, now: datetime) -> DueFollowUps:
    """The 6-month questions and reminders due now, in each mentee's open slot.

    Written only while the person's slot is open, with the slot as not-before, so a worker
    that was down all morning waits for the next day's slot rather than asking at night."""
    notices: list[Notice] = []
    asked = _asks(session, now=now, notices=notices)
    reminded = _reminders(session, now=now, notices=notices)
    return DueFollowUps(notices=notices, asked=asked, reminded=reminded)


def _reachable() -> list[ColumnElement[bool]]:
    """In Slack, not opted out, and (read now, not when asked) agreed to be followed up."""
    return [
        Participant.role == Role.MENTEE,
        Participant.slack_user_id.is_not(None),
        Participant.opted_out_at.is_(None),
        Participant.id.in_(consenting_ids(ConsentPurpose.FOLLOW_UP)),
    ]


def _asks(session: Session, *, now: datetime, notices: list[Notice]) -> int:
    today = now.date()
    # Month arithmetic does not invert exactly at month ends (31 Aug + 6 months = 28 Feb),
    # so the database is asked a few days wider and each round is checked exactly below.
    latest_end = months_after(today, -FOLLOW_UP_MONTHS) + timedelta(days=4)
    earliest_end = months_after(today, -FOLLOW_UP_MONTHS) - timedelta(days=ASK_WITHIN_DAYS + 4)
    had_pair = exists(select(Pair.id).where(Pair.mentee_id == Participant.id, Pair.published_at.is_not(None)))
    asked_before = exists(select(FollowUp.id).where(FollowUp.participant_id == Participant.id))
    candidates = session.scalars(
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(*_reachable(), had_pair, ~asked_before, Round.ends_on.between(earliest_end, latest_end))
        .options(selectinload(Participant.round).selectinload(Round.programme))
        .order_by(Participant.id)
    ).all()
    if not candidates:
        return 0
    outcomes = _outcomes_of(session, [participant.id for participant in candidates])
    count = 0
    for participant in candidates:
        tz_name = _person_zone(participant)
        slot = due_slot(now, [tz_name])
        if slot is None:
            continue
        local_today = local_day(now, [tz_name])
        due_on = follow_up_date(participant.round.ends_on)
        if not (due_on <= local_today <= due_on + timedelta(days=ASK_WITHIN_DAYS)):
            continue
        outcome = outcomes.get(participant.id)
        if outcome is not None and outcome.recorded_at.astimezone(zone(tz_name)).date() >= due_on:
            continue  # told us at (or after) six months already: that is the answer
        if not _insert_follow_up(session, participant_id=participant.id, now=now):
            continue  # asked by a tick running beside this one
        notices.append(_follow_up_notice(participant, outcome=outcome, reminder=False, not_before=slot))
        count += 1
    return count


def _insert_follow_up(session: Session, *, participant_id: int, now: datetime) -> bool:
    """One `FollowUp` row per mentee, ever; True when this call made it."""
    table = table_of(FollowUp)
    dialect = session.get_bind().dialect.name
    values = {"participant_id": participant_id, "asked_at": now, "reminders_sent": 0}
    statement: Executable
    if dialect == "postgresql":
        statement = (postgresql.insert(table).values(**values)
                     .on_conflict_do_nothing(index_elements=["participant_id"]).returning(table.c.id))
    elif dialect == "sqlite":
        statement = (sqlite.insert(table).values(**values)
                     .on_conflict_do_nothing(index_elements=["participant_id"]).returning(table.c.id))
    else:  # pragma: no cover - only the two supported backends reach here
        statement = table.insert().values(**values).returning(table.c.id)
    return session.execute(statement).scalar() is not None


def _reminders(session: Session, *, now: datetime, notices: list[Notice]) -> int:
    rows = session.execute(
        select(FollowUp, Participant)
        .join(Participant, Participant.id == FollowUp.participant_id)
        .where(
            *_reachable(),
            FollowUp.answered_at.is_(None),
            FollowUp.reminders_sent < MAX_REMINDERS,
            FollowUp.asked_at >= now - timedelta(days=REMINDER_WITHIN_DAYS),
        )
        .options(selectinload(Participant.round).selectinload(Round.programme))
        .order_by(FollowUp.id)
    ).all()
    if not rows:
        return 0
    outcomes = _outcomes_of(session, [participant.id for _, participant in rows])
    count = 0
    for follow_up, participant in rows:
        tz_name = _person_zone(participant)
        slot = due_slot(now, [tz_name])
        if slot is None:
            continue
        asked_on = follow_up.asked_at.astimezone(zone(tz_name)).date()
        if local_day(now, [tz_name]) < add_working_days(asked_on, REMINDER_AFTER_WORKING_DAYS):
            continue
        if _ask_failed(session, participant.id):
            continue  # the question never reached them; a reminder would fail the same way
        claimed = session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up.id, FollowUp.reminders_sent == 0, FollowUp.answered_at.is_(None))
            .values(reminders_sent=1)
        )
        if not rows_affected(claimed):
            continue
        notices.append(_follow_up_notice(participant, outcome=outcomes.get(participant.id), reminder=True,
                                         not_before=slot))
        count += 1
    return count


def _ask_failed(session: Session, participant_id: int) -> bool:
    state = session.scalar(select(OutboxMessage.state).where(OutboxMessage.dedup_key == ask_key(participant_id)))
    return state is OutboxState.FAILED


def _outcomes_of(session: Session, participant_ids: Sequence[int]) -> dict[int, Outcome]:
    rows = session.scalars(select(Outcome).where(Outcome.participant_id.in_(participant_ids)))
    return {row.participant_id: row for row in rows}


def _follow_up_notice(participant: Participant, *, outcome: Outcome | None, reminder: bool,
                      not_before: datetime) -> Notice:
    round_ = participant.round
    facts = FollowUpFacts(
        participant_id=participant.id, name=participant.name, round_name=round_.name,
        programme=round_.programme.name, ended_on=round_.ends_on, reminder=reminder,
        last_status=outcome.status if outcome else None, last_started_on=outcome.started_on if outcome else None,
    )
    return Notice(
        dedup_key=reminder_key(participant.id) if reminder else ask_key(participant.id),
        to=Person(participant.slack_user_id or "", team_id=round_.programme.team_id), facts=facts,
        not_before=not_before,
        language=normalise_language(participant.language),
    )


# --- recording ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordedOutcome:
    """An outcome as it now stands on record, for the thank-you and the coordinator's note."""

    participant_id: int
    name: str
    round_name: str
    status: OutcomeStatus
    started_on: date | None
    network_helped: bool | None
    source: OutcomeSource


def outcome_errors(*, participant: Participant, status: OutcomeStatus | None, started_on: date | None,
                   source: OutcomeSource, now: datetime) -> dict[str, str]:
    """What to fix, by field (catalog keys): nothing stored until it is empty.

    A start day after today is not a situation yet (tell us once it has begun); one more than
    a year before the round began is a mistyped year. The mentee is asked when an
    employment, internship, company or education began; a coordinator may not know it."""
    errors: dict[str, str] = {}
    if status is None:
        errors[STATUS_FIELD] = "outcomes.error.status"
    if started_on is not None:
        if started_on > _today_for(participant, now):
            errors[STARTED_FIELD] = "outcomes.error.future"
        elif started_on < participant.round.starts_on - EARLIEST_START_BEFORE_ROUND:
            errors[STARTED_FIELD] = "outcomes.error.too_early"
    elif status in DATED_STATUSES and source is not OutcomeSource.COORDINATOR:
        errors[STARTED_FIELD] = "outcomes.error.started_required"
    return errors


def record_outcome(
    session: Session,
    *,
    participant: Participant,
    status: OutcomeStatus,
    started_on: date | None,
    network_helped: bool | None,
    source: OutcomeSource,
    recorded_by: str | None,
    now: datetime,
) -> RecordedOutcome:
    """Store the mentee's outcome, replacing any before it (the latest wins), and count a
    pending follow-up as answered. Callers that may race lock the participant row before
    (see `submit_outcome`), and show `outcome_errors` to the person; a start day in the
    future or years before the round is refused here too (ValueError), whoever calls.

    "Still looking" has no start day worth keeping, so one given is dropped."""
    problems = outcome_errors(participant=participant, status=status, started_on=started_on,
                              source=OutcomeSource.COORDINATOR, now=now)  # the day itself may be unknown
    if problems:
        raise ValueError(f"not an outcome for participant {participant.id}: {sorted(problems.values())}")
    if status is OutcomeStatus.LOOKING:
        started_on = None
    values = {"status": status, "started_on": started_on, "network_helped": network_helped, "source": source,
              "recorded_by": recorded_by, "recorded_at": now}
    table = table_of(Outcome)
    dialect = session.get_bind().dialect.name
    statement: Executable
    if dialect == "postgresql":
        insert = postgresql.insert(table).values(participant_id=participant.id, **values)
        statement = insert.on_conflict_do_update(index_elements=["participant_id"], set_=values)
    elif dialect == "sqlite":
        insert_sqlite = sqlite.insert(table).values(participant_id=participant.id, **values)
        statement = insert_sqlite.on_conflict_do_update(index_elements=["participant_id"], set_=values)
    else:  # pragma: no cover - only the two supported backends reach here
        raise NotImplementedError(dialect)
    session.execute(statement)
    session.execute(
        update(FollowUp)
        .where(FollowUp.participant_id == participant.id, FollowUp.answered_at.is_(None))
        .values(answered_at=now)
    )
    for instance in list(session.identity_map.values()):  # ORM copies are behind the statements above
        if isinstance(instance, (Outcome, FollowUp)) and instance.participant_id == participant.id:
            session.expire(instance)
    return RecordedOutcome(
        participant_id=participant.id, name=participant.name, round_name=participant.round.name, status=status,
        started_on=started_on, network_helped=network_helped, source=source,
    )


# --- who records for whom: forms and submissions ----------------------------------------------------------


class OutcomeRefusal(str, enum.Enum):
    """Why no form opens, or a submission is not stored (the catalog says it kindly)."""

    MENTOR = "mentor"  # outcomes are the mentees' situation; mentors answer the surveys
    NOT_A_MENTEE = "not_a_mentee"  # a coordinator (or a company contact) using /mentoring outcome
    NOT_YOURS = "not_yours"  # a button or form meant for someone else
    GONE = "gone"  # the participant is no longer on record
    NOT_YOUR_ROUND = "not_your_round"  # a coordinator, but not of that mentee's round
    NO_NAME = "no_name"  # /mentoring-admin outcome without a name
    NO_MATCH = "no_match"
    AMBIGUOUS = "ambiguous"
    WRONG_ROLE = "wrong_role"  # the name is a mentor's or a coordinator's
    SURVEY_NOT_OPEN = "survey_not_open"  # a company contact: their survey opens after the round
    SURVEY_CLOSED = "survey_closed"  # a company contact: their survey has closed


@dataclass(frozen=True, kw_only=True)
class CurrentOutcome:
    status: OutcomeStatus
    started_on: date | None
    network_helped: bool | None


@dataclass(frozen=True, kw_only=True)
class OutcomeForm:
    """What the outcome modal shows: whose outcome, what is on record, and who fills it in.

    `language` is the reader's (the mentee, or the coordinator entering it for them)."""

    participant_id: int
    name: str
    round_name: str
    language: str
    source: OutcomeSource
    current: CurrentOutcome | None = None
    ask_consent: bool = False  # a box to agree to the follow-up (required for a coordinator)


@dataclass(frozen=True, kw_only=True)
class CompanyForm:
    """The company survey, for a coordinator to fill in with a contact's answers given by
    phone or email: the company criteria (1-5), a comment, and the contact's agreement."""

    participant_id: int
    name: str
    company: str
    round_name: str
    language: str  # the coordinator's
    questions: tuple[Question, ...]
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class PersonChoice:
    """Someone a coordinator's name fitted, to tell them apart."""

    name: str
    role: Role
    round_name: str


@dataclass(frozen=True, kw_only=True)
class FormAnswer:
    """A form to open, or why not (with the people a name fitted, when that is why)."""

    language: str
    form: OutcomeForm | None = None
    refusal: OutcomeRefusal | None = None
    query: str = ""
    candidates: tuple[PersonChoice, ...] = ()
    more: int = 0  # candidates not listed
    company: CompanyForm | None = None  # the name is a company contact's: their survey, by hand
    when: date | None = None  # SURVEY_NOT_OPEN: the day it opens; SURVEY_CLOSED: the day it closed


def _current(session: Session, participant_id: int) -> CurrentOutcome | None:
    row = session.scalar(select(Outcome).where(Outcome.participant_id == participant_id))
    if row is None:
        return None
    return CurrentOutcome(status=row.status, started_on=row.started_on, network_helped=row.network_helped)


def _mentee_rows(session: Session, slack_user_id: str, workspace: Workspace) -> list[Participant]:
    return list(session.scalars(
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(Participant.slack_user_id == slack_user_id, Participant.role == Role.MENTEE,
               Participant.round_id.in_(workspace.rounds()))
        .options(selectinload(Participant.round))
        .order_by(Round.starts_on.desc(), Participant.id.desc())
    ))


def own_outcome_form(session: Session, *, slack_user_id: str, workspace: Workspace, participant_id: int | None = None,
                     source: OutcomeSource = OutcomeSource.SELF) -> FormAnswer:
    """The modal a mentee fills in for themselves: from `/mentoring outcome` (their newest
    round) or from the follow-up DM's button (`participant_id`, which must be theirs)."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace)
    language = viewer.language
    if participant_id is not None:
        participant = session.get(Participant, participant_id)
        if participant is None or participant.role is not Role.MENTEE:
            return FormAnswer(language=language, refusal=OutcomeRefusal.GONE)
        if participant.id not in viewer.participant_ids:  # their own row, in this workspace
            return FormAnswer(language=language, refusal=OutcomeRefusal.NOT_YOURS)
    else:
        mentee_rows = _mentee_rows(session, slack_user_id, workspace)
        if not mentee_rows:
            refusal = OutcomeRefusal.MENTOR if Role.MENTOR in viewer.roles else OutcomeRefusal.NOT_A_MENTEE
            return FormAnswer(language=language, refusal=refusal)
        participant = mentee_rows[0]
    granted = has_granted(session, participant_id=participant.id, purpose=ConsentPurpose.FOLLOW_UP)
    return FormAnswer(language=language, form=OutcomeForm(
        participant_id=participant.id, name=participant.name, round_name=participant.round.name,
        language=normalise_language(participant.language), source=source,
        current=_current(session, participant.id), ask_consent=not granted,
    ))


def _fits(name: str, query: str) -> bool:
    """As typed, or as ASCII ("aasa" finds Åsa, as her channel name spells it)."""
    needle, ascii_needle = query.casefold(), slugify(query)
    return needle in name.casefold() or bool(ascii_needle and ascii_needle in slugify(name))


def coordinator_outcome_form(session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = (),
                             query: str, now: datetime) -> FormAnswer:
    """`/mentoring-admin outcome NAME`: the person NAME (or email) fits among the mentees and
    company contacts of the rounds this coordinator runs; one fit opens the form, several
    are listed to tell apart (an exact name, or an email, picks one)."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    text = " ".join(query.split())
    if not text:
        return FormAnswer(language=language, refusal=OutcomeRefusal.NO_NAME)
    # Only the rounds they coordinate (an admin: every round of their workspace).
    people = select(Participant).join(Round, Round.id == Participant.round_id).options(
        selectinload(Participant.round)).where(Participant.round_id.in_(viewer.coordinated_round_ids))
    everyone = list(session.scalars(people.order_by(Round.starts_on.desc(), Participant.name, Participant.id)))
    by_email = [person for person in everyone if person.email.strip().casefold() == text.casefold()]
    fitting = by_email or [person for person in everyone if _fits(person.name, text)]
    eligible = [person for person in fitting if person.role in (Role.MENTEE, Role.COMPANY_CONTACT)]
    if len(eligible) > 1:
        exact = [person for person in eligible if person.name.casefold() == text.casefold()]
        eligible = exact if len(exact) == 1 else eligible
    shown = eligible or fitting
    choices = tuple(PersonChoice(name=person.name, role=person.role, round_name=person.round.name)
                    for person in shown[:CANDIDATES_SHOWN])
    more = max(0, len(shown) - CANDIDATES_SHOWN)
    if not fitting:
        return FormAnswer(language=language, refusal=OutcomeRefusal.NO_MATCH, query=text)
    if not eligible:
        return FormAnswer(language=language, refusal=OutcomeRefusal.WRONG_ROLE, query=text, candidates=choices,
                          more=more)
    if len(eligible) > 1:
        return FormAnswer(language=language, refusal=OutcomeRefusal.AMBIGUOUS, query=text, candidates=choices,
                          more=more)
    person = eligible[0]
    if person.role is Role.COMPANY_CONTACT:
        return _company_form(session, person, language=language, query=text, now=now)
    return FormAnswer(language=language, form=OutcomeForm(
        participant_id=person.id, name=person.name, round_name=person.round.name, language=language,
        source=OutcomeSource.COORDINATOR, current=_current(session, person.id), ask_consent=True,
    ))


def _programme_day(participant: Participant, moment: datetime) -> date:
    return moment.astimezone(zone(participant.round.programme.timezone)).date()


def _survey_closed(person: Participant, result: AnswerResult, *, now: datetime) -> tuple[OutcomeRefusal, date] | None:
    """Why a contact's answers cannot be entered now, and the day to name: the survey opens
    on a day to come, or closed on a day past. The surveys report a survey the tick never
    opened (its month passed with the worker down, or before this feature) as "not open",
    with the day it would have opened: past that month, it is closed."""
    if result.status not in (AnswerStatus.NOT_OPEN, AnswerStatus.CLOSED) or result.closes_at is None:
        return None
    if result.status is AnswerStatus.CLOSED:
        return OutcomeRefusal.SURVEY_CLOSED, _programme_day(person, result.closes_at)
    opens_at = result.closes_at  # for NOT_OPEN the surveys put the opening there
    closes_at = opens_at + OPEN_FOR[SurveyKind.COMPANY]
    if now >= closes_at:
        return OutcomeRefusal.SURVEY_CLOSED, _programme_day(person, closes_at)
    return OutcomeRefusal.SURVEY_NOT_OPEN, _programme_day(person, opens_at)


def _company_form(session: Session, person: Participant, *, language: str, query: str, now: datetime) -> FormAnswer:
    """The company survey's form for a contact (the surveys' own rule decides whether it is
    open: after the round, for a month)."""
    result = hand_entry_form(session, participant_id=person.id, now=now)
    closed = _survey_closed(person, result, now=now)
    if closed is not None:
        refusal, when = closed
        return FormAnswer(language=language, refusal=refusal, query=query, when=when)
    if result.facts is None:
        return FormAnswer(language=language, refusal=OutcomeRefusal.GONE, query=query)
    return FormAnswer(language=language, query=query, company=CompanyForm(
        participant_id=person.id, name=person.name, company=person.company or "", round_name=person.round.name,
        language=language, questions=result.facts.questions, comment=result.facts.comment,
    ))


@dataclass(frozen=True, kw_only=True)
class CompanyAnswerRecorded:
    name: str
    company: str
    round_name: str


@dataclass(frozen=True, kw_only=True)
class CompanySubmission:
    """What a coordinator's entry of a contact's answers did: stored, fields to fix (block id
    -> catalog key), or refused whole."""

    language: str
    recorded: CompanyAnswerRecorded | None = None
    errors: dict[str, str] = field(default_factory=dict)
    refusal: OutcomeRefusal | None = None
    when: date | None = None


_SURVEY_ERRORS = {"required": "outcomes.company.error.required", "invalid": "outcomes.company.error.required",
                  "too_long": "outcomes.company.error.too_long"}


def record_company_answer(
    session: Session,
    *,
    slack_user_id: str, workspace: Workspace,
    admin_user_ids: Collection[str] = (),
    participant_id: int | None,
    values: Mapping[str, int | None],
    comment: str | None,
    consent_confirmed: bool,
    now: datetime,
) -> CompanySubmission:
    """A company contact's answers to the company survey, entered by a coordinator of their
    round who confirms the contact agreed (recorded as their EVALUATION consent by the
    surveys' own `record_by_hand`, which keeps the last answer per question).

    The contact's row is locked first, so two submits at once (a double click) are decided
    one after the other: the second finds the invitation and consent the first made."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    person = (session.get(Participant, participant_id, with_for_update=True, populate_existing=True)
              if participant_id is not None else None)
    if person is None or person.role is not Role.COMPANY_CONTACT:
        return CompanySubmission(language=language, refusal=OutcomeRefusal.GONE)
    if not viewer.coordinates(person.round_id):
        return CompanySubmission(language=language, refusal=OutcomeRefusal.NOT_YOUR_ROUND)
    result = record_by_hand(session, participant_id=person.id, values=values, comment=comment,
                            consent=consent_confirmed, now=now)
    closed = _survey_closed(person, result, now=now)
    if closed is not None:
        refusal, when = closed
        return CompanySubmission(language=language, refusal=refusal, when=when)
    if result.status is AnswerStatus.INVALID:
        errors = {key: ("outcomes.company.error.consent" if key == CONSENT_FIELD
                        else _SURVEY_ERRORS.get(code, "outcomes.company.error.required"))
                  for key, code in result.errors.items()}
        return CompanySubmission(language=language, errors=errors)
    if result.status is not AnswerStatus.RECORDED:
        return CompanySubmission(language=language, refusal=OutcomeRefusal.GONE)
    return CompanySubmission(language=language, recorded=CompanyAnswerRecorded(
        name=person.name, company=person.company or "", round_name=person.round.name))


@dataclass(frozen=True, kw_only=True)
class OutcomeSubmission:
    """What a submitted modal did: stored (`recorded`), fields to fix, or refused whole."""

    language: str
    recorded: RecordedOutcome | None = None
    errors: dict[str, str] = field(default_factory=dict)  # block id -> catalog key
    refusal: OutcomeRefusal | None = None


def submit_outcome(
    session: Session,
    *,
    slack_user_id: str, workspace: Workspace,
    admin_user_ids: Collection[str] = (),
    participant_id: int | None,
    source: OutcomeSource,
    status: OutcomeStatus | None,
    started_on: date | None,
    network_helped: bool | None,
    consent_confirmed: bool,
    now: datetime,
) -> OutcomeSubmission:
    """Record what the modal says, if this person may: the mentee for themselves, or a
    coordinator of the mentee's round, who must confirm the person agreed to the follow-up
    (recorded as their FOLLOW_UP consent). A mentee who had not agreed may tick the same
    box; without it their outcome is kept but counts in no aggregate.

    The participant row is locked before anything is read (FOR UPDATE; SQLite's BEGIN
    IMMEDIATE already serialises), so simultaneous submits for one mentee are decided one
    after the other and the later wins whole, consent included."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    participant = (session.get(Participant, participant_id, with_for_update=True, populate_existing=True)
                   if participant_id is not None else None)
    if participant is None or participant.role is not Role.MENTEE:
        return OutcomeSubmission(language=language, refusal=OutcomeRefusal.GONE)
    if source is OutcomeSource.COORDINATOR:
        if not viewer.coordinates(participant.round_id):
            return OutcomeSubmission(language=language, refusal=OutcomeRefusal.NOT_YOUR_ROUND)
    elif participant.id not in viewer.participant_ids:  # their own row, in this workspace
        return OutcomeSubmission(language=language, refusal=OutcomeRefusal.NOT_YOURS)
    errors = outcome_errors(participant=participant, status=status, started_on=started_on, source=source, now=now)
    if source is OutcomeSource.COORDINATOR and not consent_confirmed:
        errors[CONSENT_FIELD] = "outcomes.error.consent"
    if errors or status is None:
        return OutcomeSubmission(language=language, errors=errors)
    if consent_confirmed:
        record_consent_given(session, participant=participant, purpose=ConsentPurpose.FOLLOW_UP, granted=True,
                             now=now)
    recorded = record_outcome(
        session, participant=participant, status=status, started_on=started_on, network_helped=network_helped,
        source=source, recorded_by=slack_user_id if source is OutcomeSource.COORDINATOR else None, now=now,
    )
    return OutcomeSubmission(language=language, recorded=recorded)


__all__ = [
    "ASK_WITHIN_DAYS",
    "CANDIDATES_SHOWN",
    "COMMENT_QUESTION",
    "CONSENT_FIELD",
    "DATED_STATUSES",
    "MAX_REMINDERS",
    "NETWORK_FIELD",
    "REMINDER_AFTER_WORKING_DAYS",
    "STARTED_FIELD",
    "STATUS_FIELD",
    "CompanyAnswerRecorded",
    "CompanyForm",
    "CompanySubmission",
    "CurrentOutcome",
    "DueFollowUps",
    "FormAnswer",
    "OutcomeForm",
    "OutcomeRefusal",
    "OutcomeSubmission",
    "PersonChoice",
    "RecordedOutcome",
    "ask_key",
    "coordinator_outcome_form",
    "due_follow_ups",
    "follow_up_date",
    "follow_up_prefix",
    "outcome_errors",
    "own_outcome_form",
    "record_company_answer",
    "record_outcome",
    "reminder_key",
    "submit_outcome",
]
