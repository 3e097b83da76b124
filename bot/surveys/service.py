"""Surveys: when each one opens, who is asked and reminded, and how an answer is recorded.

A round has, all derived from its rows so a restart or a second tick changes nothing:

* **Pulses** every `Round.pulse_every_days` (default 21) from the round's start until its
  closing meeting: two questions on a 1-5 scale answered by buttons in a DM (how useful
  the 1:1 sessions are; confidence in the job search, or in helping) and an optional
  comment. One reminder, then it lapses; each pulse is open until the next one.
* **Midway** (from the end of the midway meeting, or the round's middle) and **final**
  (from the end of the closing meeting, or the round's last day): a button opens a form
  with the role's criteria on the agree scale, "I would recommend taking part" and a
  comment. At most two reminders.
* **Company** (the day after the round ends): each company contact rates the company
  criteria. Contacts in Slack are asked in a DM and give their consent in the form;
  contacts who are not are listed for the coordinators to ask by hand.

Only people who consented to the evaluation purpose are asked (`bot.surveys.consent`).
Everyone is asked in their own daytime slot (`bot.core.timing.due_slot`): the tick writes
an invitation only while that slot is open. Answering again replaces the earlier answer
(one row per person and question, upserted so two simultaneous clicks leave one), and an
answer after a survey closed is refused kindly.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, Select, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from bot.core.notices import Coordinators, Notice, Person
from bot.core.timing import add_working_days, due_slot, local_day, zone
from bot.core.workspace import Workspace
from bot.i18n import normalise_language
from bot.nudges.marks import merge
from bot.surveys.consent import consenting_ids, has_granted, record_consent_given
from bot.surveys.criteria import COMMENT_QUESTION, SCALE, CriterionSpec, criteria_of
from bot.surveys.notices import (
    CompanyContactsToAskFacts,
    ContactToAsk,
    Question,
    SurveyFacts,
    SurveyInvitationFacts,
)
from storage.models import (
    Consent,
    ConsentPurpose,
    MeetingKind,
    Pair,
    PairStatus,
    Participant,
    Role,
    Round,
    SharedMeeting,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    table_of,
)

PULSE_USEFUL = "pulse.useful"
PULSE_CONFIDENCE = "pulse.confidence"
PULSE_QUESTIONS = (PULSE_USEFUL, PULSE_CONFIDENCE)
COMMENT_MAX_LENGTH = 2000

#: How long each survey stays open; a pulse is open until the next one.
OPEN_FOR: dict[SurveyKind, timedelta] = {
    SurveyKind.MIDWAY: timedelta(days=14),
    SurveyKind.FINAL: timedelta(days=21),
    SurveyKind.COMPANY: timedelta(days=30),
}
MAX_REMINDERS: dict[SurveyKind, int] = {
    SurveyKind.PULSE: 1, SurveyKind.MIDWAY: 2, SurveyKind.FINAL: 2, SurveyKind.COMPANY: 2,
}
#: Working days after the invitation that the first and the second reminder come.
REMINDER_AFTER_WORKING_DAYS = (3, 7)
#: The company survey opens this long after the round's last day.
COMPANY_AFTER_END = timedelta(days=1)
PARTICIPANT_ROLES = (Role.MENTOR, Role.MENTEE)


# --- dedup keys -----------------------------------------------------------------------------------------


def invitation_key(survey_id: int, participant_id: int, reminder: int = 0) -> str:
    return f"survey:s={survey_id}:p={participant_id}:n={reminder}"


def by_hand_key(survey_id: int) -> str:
    return f"survey-by-hand:s={survey_id}"


# --- when surveys open ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PlannedSurvey:
    kind: SurveyKind
    number: int
    opens_at: datetime
    closes_at: datetime


def _midnight(day: date, zone_name: str) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone(zone_name)).astimezone(timezone.utc)


def _meeting_end(meetings: Sequence[SharedMeeting], kind: MeetingKind) -> datetime | None:
    ends = [meeting.starts_at + timedelta(minutes=meeting.duration_minutes) for meeting in meetings if meeting.kind is kind]
    return min(ends) if ends else None


def planned_surveys(round_: Round, *, programme_zone: str, meetings: Sequence[SharedMeeting]) -> list[PlannedSurvey]:
    """Every survey of a round and when it is open, from the round's dates and meetings."""
    middle = round_.starts_on + (round_.ends_on - round_.starts_on) / 2
    midway_opens = _meeting_end(meetings, MeetingKind.MIDWAY) or _midnight(middle, programme_zone)
    final_opens = _meeting_end(meetings, MeetingKind.CLOSING) or _midnight(round_.ends_on, programme_zone)
    company_opens = _midnight(round_.ends_on, programme_zone) + COMPANY_AFTER_END
    plan = [
        PlannedSurvey(kind=SurveyKind.MIDWAY, number=1, opens_at=midway_opens,
                      closes_at=midway_opens + OPEN_FOR[SurveyKind.MIDWAY]),
        PlannedSurvey(kind=SurveyKind.FINAL, number=1, opens_at=final_opens,
                      closes_at=final_opens + OPEN_FOR[SurveyKind.FINAL]),
        PlannedSurvey(kind=SurveyKind.COMPANY, number=1, opens_at=company_opens,
                      closes_at=company_opens + OPEN_FOR[SurveyKind.COMPANY]),
    ]
    # Pulses open at midnight where the programme is, every so many calendar days, so a
    # change to summer time does not move them to 01:00.
    every = timedelta(days=max(round_.pulse_every_days, 1))
    number = 1
    while True:
        opens_at = _midnight(round_.starts_on + every * number, programme_zone)
        if opens_at >= final_opens:
            break
        next_opens = _midnight(round_.starts_on + every * (number + 1), programme_zone)
        plan.append(PlannedSurvey(kind=SurveyKind.PULSE, number=number, opens_at=opens_at,
                                  closes_at=min(next_opens, final_opens)))
        number += 1
    return sorted(plan, key=lambda planned: (planned.opens_at, planned.kind.value))


def survey_rounds(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The rounds that may have a survey open at `now`: begun, and not past the company survey."""
    today = now.date()
    return (Round.starts_on <= today,
            Round.ends_on >= today - OPEN_FOR[SurveyKind.COMPANY] - COMPANY_AFTER_END - timedelta(days=1))


def _open_surveys(
    session: Session, *, now: datetime, round_ids: Collection[int] | None = None
) -> tuple[list[Survey], dict[int, datetime | None]]:
    """Create the surveys that have opened by `now` (once: the row is unique per round, kind
    and number), and return every survey open now.

    With `round_ids` (the tick's rounds whose mark has come, bot.nudges.marks) only those
    rounds' plans are worked out, and the second result says when each next has a survey
    opening (None: none planned)."""
    next_opening: dict[int, datetime | None] = {} if round_ids is None else dict.fromkeys(round_ids)
    query = select(Round).where(*survey_rounds(now)).options(selectinload(Round.programme), selectinload(Round.meetings))
    if round_ids is not None:
        query = query.where(Round.id.in_(sorted(round_ids)))
    rounds = session.scalars(query).all() if round_ids is None or round_ids else []
    if rounds:
        existing = {
            (row.round_id, row.kind, row.number)
            for row in session.execute(
                select(Survey.round_id, Survey.kind, Survey.number).where(Survey.round_id.in_([r.id for r in rounds]))
            )
        }
        for round_ in rounds:
            plan = planned_surveys(round_, programme_zone=round_.programme.timezone, meetings=round_.meetings)
            for planned in plan:
                if planned.opens_at <= now < planned.closes_at and (round_.id, planned.kind, planned.number) not in existing:
                    session.add(Survey(round_id=round_.id, kind=planned.kind, number=planned.number,
                                       opens_at=planned.opens_at, closes_at=planned.closes_at, created_at=now))
                if round_ids is not None and planned.opens_at > now:
                    merge(next_opening, round_.id, planned.opens_at)
        session.flush()
    return list(session.scalars(
        select(Survey).where(Survey.opens_at <= now, Survey.closes_at > now).order_by(Survey.id)
    ).all()), next_opening


# --- who is asked ---------------------------------------------------------------------------------------


def _pair_member_ids(*, live_only: bool) -> Select[tuple[int]]:
    """Everyone in a published pair (a participant row belongs to one round, so its pairs are
    that round's); `live_only`: in one that is active now (not paused, not ended)."""
    condition: list[ColumnElement[bool]] = [Pair.published_at.is_not(None)]
    if live_only:
        condition.append(Pair.status == PairStatus.ACTIVE)
    members = select(Pair.mentor_id.label("pid")).where(*condition).union(
        select(Pair.mentee_id.label("pid")).where(*condition)).subquery()
    return select(members.c.pid)


def _eligible(session: Session, surveys: Sequence[Survey], *, today: date) -> list[tuple[int, Participant]]:
    """Who the open surveys ask, as (survey id, person), in one statement per kind of survey:
    consenting mentors and mentees who are (pulse: currently, and not paused) or were
    (midway, final) in a published pair; company contacts who did not say no."""
    found: list[tuple[int, Participant]] = []
    for kind in SurveyKind:
        ids = [survey.id for survey in surveys if survey.kind is kind]
        if not ids:
            continue
        query = (
            select(Survey.id, Participant)
            .join(Participant, Participant.round_id == Survey.round_id)
            .where(Survey.id.in_(ids), Participant.opted_out_at.is_(None))
            .options(selectinload(Participant.round).selectinload(Round.programme))
        )
        if kind is SurveyKind.COMPANY:
            declined = select(Consent.participant_id).where(
                Consent.purpose == ConsentPurpose.EVALUATION, Consent.granted.is_(False)
            )
            query = query.where(Participant.role == Role.COMPANY_CONTACT, Participant.id.not_in(declined))
        else:
            query = query.where(
                Participant.role.in_(PARTICIPANT_ROLES),
                Participant.slack_user_id.is_not(None),
                Participant.id.in_(consenting_ids(ConsentPurpose.EVALUATION)),
                Participant.id.in_(_pair_member_ids(live_only=kind is SurveyKind.PULSE)),
            )
            if kind is SurveyKind.PULSE:
                query = query.where(or_(Participant.paused_until.is_(None), Participant.paused_until < today))
        found.extend((survey_id, participant) for survey_id, participant in session.execute(
            query.order_by(Survey.id, Participant.id)))
    return found


def _person_zone(participant: Participant) -> str:
    return zone(participant.timezone or participant.round.programme.timezone).key


# --- the facts a DM and a form show ----------------------------------------------------------------------


def _questions(criteria: Iterable[CriterionSpec], *, kind: SurveyKind, role: Role,
               values: Mapping[str, int]) -> tuple[Question, ...]:
    questions: list[Question] = []
    seen: set[str] = set()
    for spec in criteria:
        if not spec.asked_in(kind, role) or spec.question in seen:
            continue
        seen.add(spec.question)
        questions.append(Question(key=spec.question, statement_en=spec.statement_en, statement_da=spec.statement_da,
                                  value=values.get(spec.question)))
    return tuple(questions)


def survey_facts(session: Session, invitation: SurveyInvitation, *, now: datetime) -> SurveyFacts:
    """The invitation as the DM and the form show it, with the answers on record."""
    survey = session.get_one(Survey, invitation.survey_id)
    participant = session.get_one(Participant, invitation.participant_id)
    answers = session.execute(
        select(SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.text).where(
            SurveyAnswer.survey_id == survey.id, SurveyAnswer.participant_id == participant.id)
    ).all()
    consent_needed = participant.role is Role.COMPANY_CONTACT and not has_granted(
        session, participant_id=participant.id, purpose=ConsentPurpose.EVALUATION)
    return _facts(survey=survey, participant=participant, invitation=invitation,
                  answers=[(row.question, row.value, row.text) for row in answers],
                  criteria=criteria_of(session, participant.round.programme_id), consent_needed=consent_needed, now=now)


def _facts(*, survey: Survey, participant: Participant, invitation: SurveyInvitation,
           answers: Sequence[tuple[str, int | None, str | None]], criteria: Sequence[CriterionSpec],
           consent_needed: bool, now: datetime) -> SurveyFacts:
    round_ = participant.round
    values = {question: value for question, value, _text in answers if value is not None}
    comment = next((text for question, _value, text in answers if question == COMMENT_QUESTION), None)
    if survey.kind is SurveyKind.PULSE:
        questions = tuple(Question(key=key, value=values.get(key)) for key in PULSE_QUESTIONS)
    else:
        questions = _questions(criteria, kind=survey.kind, role=participant.role, values=values)
    return SurveyFacts(
        invitation_id=invitation.id, kind=survey.kind, number=survey.number, role=participant.role,
        programme=round_.programme.name, round_name=round_.name, closes_at=survey.closes_at,
        timezone=_person_zone(participant), questions=questions, comment=comment,
        company=participant.company if participant.role is Role.COMPANY_CONTACT else None,
        consent_needed=consent_needed, answered=invitation.answered_at is not None, closed=now >= survey.closes_at,
    )


# --- the tick --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DueSurveys:
    notices: list[Notice] = field(default_factory=list)
    invited: int = 0
    reminded: int = 0
    # Asked for some rounds: when each next has a survey opening, for the tick's marks.
    next_opening: dict[int, datetime | None] = field(default_factory=dict)


def due_surveys(session: Session, *, now: datetime, round_ids: Collection[int] | None = None) -> DueSurveys:
    """Open what has opened, invite whoever's slot is open now, remind who is due a reminder.

    A fixed number of statements however many rounds: the open surveys, their invitations,
    who they ask (one per kind), the answers of those being reminded, the criteria of each
    programme involved, and the inserts. With `round_ids`, surveys are opened only in those
    rounds (those the tick's marks say may have one opening); open surveys are served all
    the same."""
    opened, next_opening = _open_surveys(session, now=now, round_ids=round_ids)
    surveys = {survey.id: survey for survey in opened}
    if not surveys:
        return DueSurveys(next_opening=next_opening)
    invitations = {
        (row.survey_id, row.participant_id): row
        for row in session.scalars(select(SurveyInvitation).where(SurveyInvitation.survey_id.in_(list(surveys))))
    }
    asking: list[tuple[SurveyInvitation, Participant, datetime]] = []
    reminding: list[tuple[SurveyInvitation, Participant, datetime]] = []
    by_hand: dict[int, list[Participant]] = {}
    for survey_id, participant in _eligible(session, list(surveys.values()), today=now.date()):
        survey = surveys[survey_id]
        invitation = invitations.get((survey_id, participant.id))
        if participant.slack_user_id is None:
            if invitation is None:  # a company contact not in Slack: the coordinators ask
                session.add(SurveyInvitation(survey_id=survey_id, participant_id=participant.id, asked_at=None,
                                             created_at=now))
                by_hand.setdefault(survey_id, []).append(participant)
            continue
        slot = due_slot(now, [_person_zone(participant)])
        if slot is None:
            continue
        if invitation is None or invitation.asked_at is None:
            if invitation is None:
                invitation = SurveyInvitation(survey_id=survey_id, participant_id=participant.id, created_at=now)
                session.add(invitation)
            invitation.asked_at = now
            asking.append((invitation, participant, slot))
        elif _reminder_due(invitation, survey, participant, now=now):
            invitation.reminders_sent += 1
            reminding.append((invitation, participant, slot))
    session.flush()

    answers: dict[tuple[int, int], list[tuple[str, int | None, str | None]]] = {}
    if reminding:  # a pulse half answered is reminded with its answer shown
        reminded_ids = {(invitation.survey_id, participant.id) for invitation, participant, _slot in reminding}
        rows = session.execute(
            select(SurveyAnswer.survey_id, SurveyAnswer.participant_id, SurveyAnswer.question, SurveyAnswer.value,
                   SurveyAnswer.text)
            .where(SurveyAnswer.survey_id.in_({survey_id for survey_id, _ in reminded_ids}),
                   SurveyAnswer.participant_id.in_({person_id for _, person_id in reminded_ids}))
        ).all()
        for row in rows:
            answers.setdefault((row.survey_id, row.participant_id), []).append((row.question, row.value, row.text))
    criteria: dict[int, tuple[CriterionSpec, ...]] = {}
    contact_ids = [participant.id for _, participant, _slot in asking + reminding
                   if participant.role is Role.COMPANY_CONTACT]
    consented = set(session.scalars(
        consenting_ids(ConsentPurpose.EVALUATION).where(Consent.participant_id.in_(contact_ids)))) if contact_ids else set()

    notices: list[Notice] = []
    for batch, is_reminder in ((asking, False), (reminding, True)):
        for invitation, participant, slot in batch:
            programme_id = participant.round.programme_id
            if programme_id not in criteria:
                criteria[programme_id] = criteria_of(session, programme_id)
            facts = _facts(survey=surveys[invitation.survey_id], participant=participant, invitation=invitation,
                           answers=answers.get((invitation.survey_id, participant.id), []),
                           criteria=criteria[programme_id],
                           consent_needed=participant.role is Role.COMPANY_CONTACT and participant.id not in consented,
                           now=now)
            reminder = invitation.reminders_sent if is_reminder else 0
            notices.append(Notice(
                dedup_key=invitation_key(invitation.survey_id, participant.id, reminder),
                to=Person(participant.slack_user_id or "", team_id=participant.round.programme.team_id),
                facts=SurveyInvitationFacts(survey=facts, reminder=reminder),
                not_before=slot,
                language=normalise_language(participant.language),
            ))
    for survey_id, contacts in by_hand.items():
        notices.append(_by_hand_notice(session, surveys[survey_id], contacts, now=now))
    return DueSurveys(notices=notices, invited=len(asking), reminded=len(reminding), next_opening=next_opening)


def _reminder_due(invitation: SurveyInvitation, survey: Survey, participant: Participant, *, now: datetime) -> bool:
    if invitation.answered_at is not None or invitation.asked_at is None:
        return False
    number = invitation.reminders_sent + 1
    if number > MAX_REMINDERS[survey.kind]:
        return False
    asked_on = local_day(invitation.asked_at, [_person_zone(participant)])
    today = local_day(now, [_person_zone(participant)])
    return today >= add_working_days(asked_on, REMINDER_AFTER_WORKING_DAYS[number - 1])


def _by_hand_notice(session: Session, survey: Survey, contacts: Sequence[Participant], *, now: datetime) -> Notice:
    round_ = session.get_one(Round, survey.round_id)
    partner_companies = [
        (company or "").strip().casefold()
        for company in session.scalars(
            select(Participant.partner_company).where(Participant.round_id == round_.id, Participant.role == Role.MENTEE)
        )
    ]
    return Notice(
        dedup_key=by_hand_key(survey.id),
        to=Coordinators(round_.id),
        facts=CompanyContactsToAskFacts(
            programme=round_.programme.name, round_name=round_.name, closes_at=survey.closes_at,
            timezone=round_.programme.timezone,
            contacts=tuple(
                ContactToAsk(name=contact.name, email=contact.email, company=contact.company or "",
                             mentees=partner_companies.count((contact.company or "").strip().casefold()))
                for contact in contacts
            ),
        ),
        not_before=now,
        in_working_hours=True,
    )


# --- answering -------------------------------------------------------------------------------------------


class AnswerStatus(str, enum.Enum):
    RECORDED = "recorded"
    UNKNOWN = "unknown"  # no such invitation (a stale or forged button)
    NOT_YOURS = "not_yours"  # someone else's invitation: nothing changes
    CLOSED = "closed"
    NO_CONSENT = "no_consent"  # they withdrew consent to the evaluation since being asked
    NOT_OPEN = "not_open"  # by hand: the survey has not opened yet
    INVALID = "invalid"  # see `errors`


@dataclass(frozen=True, kw_only=True)
class AnswerResult:
    status: AnswerStatus
    facts: SurveyFacts | None = None
    language: str = "en"
    #: Question key (or "comment", "consent") -> error code, for inline form errors.
    errors: Mapping[str, str] = field(default_factory=dict)
    closes_at: datetime | None = None


def _load(session: Session, invitation_id: int, *, lock: bool) -> tuple[SurveyInvitation, Survey, Participant] | None:
    query = select(SurveyInvitation).where(SurveyInvitation.id == invitation_id)
    if lock:
        query = query.with_for_update()
    invitation = session.scalar(query)
    if invitation is None:
        return None
    if lock:
        # The person's row too (FOR NO KEY UPDATE, read afresh), for the erasure's sake: it
        # updates this row first, so an answer checked here as theirs is written before the
        # erasure reads the answers, or it waits and finds the invitation no longer theirs.
        # Unlocked, a comment checked before an erasure and written after it outlived it.
        participant = session.get_one(Participant, invitation.participant_id, with_for_update={"key_share": True},
                                      populate_existing=True)
    else:
        participant = session.get_one(Participant, invitation.participant_id)
    return invitation, session.get_one(Survey, invitation.survey_id), participant


def _check(session: Session, *, invitation_id: int, slack_user_id: str, workspace: Workspace, now: datetime,
           lock: bool) -> tuple[AnswerResult | None, tuple[SurveyInvitation, Survey, Participant] | None]:
    loaded = _load(session, invitation_id, lock=lock)
    if loaded is None:
        return AnswerResult(status=AnswerStatus.UNKNOWN), None
    _invitation, survey, participant = loaded
    language = normalise_language(participant.language)
    # Theirs, and in this workspace: the same user id elsewhere is someone else.
    if participant.slack_user_id != slack_user_id or not workspace.owns_round(session, participant.round_id):
        return AnswerResult(status=AnswerStatus.NOT_YOURS), None
    if now >= survey.closes_at:
        return AnswerResult(status=AnswerStatus.CLOSED, language=language, closes_at=survey.closes_at), None
    if participant.role is not Role.COMPANY_CONTACT and not has_granted(
            session, participant_id=participant.id, purpose=ConsentPurpose.EVALUATION):
        return AnswerResult(status=AnswerStatus.NO_CONSENT, language=language), None
    return None, loaded


def _upsert_answer(session: Session, *, survey_id: int, participant_id: int, question: str, value: int | None,
                   text: str | None, now: datetime) -> None:
    """One row per person and question: a second answer replaces the first, and two at once
    (a double click, two devices) leave one row, the later write winning."""
    values = {"survey_id": survey_id, "participant_id": participant_id, "question": question, "value": value,
              "text": text, "answered_at": now}
    table = table_of(SurveyAnswer)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["survey_id", "participant_id", "question"],
        set_={"value": value, "text": text, "answered_at": now},
    )
    session.execute(statement)


def _mark_answered(session: Session, invitation: SurveyInvitation, *, now: datetime) -> None:
    session.execute(update(SurveyInvitation).where(SurveyInvitation.id == invitation.id,
                                                   SurveyInvitation.answered_at.is_(None)).values(answered_at=now))
    session.refresh(invitation)


def answer_pulse(session: Session, *, invitation_id: int, slack_user_id: str, workspace: Workspace, question: str, value: int,
                 now: datetime) -> AnswerResult:
    """A button in a pulse DM: records that one answer, returns the DM redrawn.

    The invitation is locked first: the click that answers the second question must see the
    first one's answer (committed before it reads) to count the pulse as answered."""
    refusal, loaded = _check(session, invitation_id=invitation_id, slack_user_id=slack_user_id, workspace=workspace,
                             now=now, lock=True)
    if refusal is not None or loaded is None:
        return refusal or AnswerResult(status=AnswerStatus.UNKNOWN)
    invitation, survey, participant = loaded
    language = normalise_language(participant.language)
    if survey.kind is not SurveyKind.PULSE or question not in PULSE_QUESTIONS or value not in SCALE:
        return AnswerResult(status=AnswerStatus.INVALID, language=language, errors={question: "invalid"})
    _upsert_answer(session, survey_id=survey.id, participant_id=participant.id, question=question, value=value,
                   text=None, now=now)
    answered = set(session.scalars(select(SurveyAnswer.question).where(
        SurveyAnswer.survey_id == survey.id, SurveyAnswer.participant_id == participant.id,
        SurveyAnswer.value.is_not(None))))
    if answered >= set(PULSE_QUESTIONS):
        _mark_answered(session, invitation, now=now)
    return AnswerResult(status=AnswerStatus.RECORDED, facts=survey_facts(session, invitation, now=now),
                        language=language)


def survey_form(session: Session, *, invitation_id: int, slack_user_id: str, workspace: Workspace, now: datetime) -> AnswerResult:
    """What the form shows when its button is clicked: the questions and the answers so far."""
    refusal, loaded = _check(session, invitation_id=invitation_id, slack_user_id=slack_user_id, workspace=workspace,
                             now=now, lock=False)
    if refusal is not None or loaded is None:
        return refusal or AnswerResult(status=AnswerStatus.UNKNOWN)
    invitation, _survey, participant = loaded
    return AnswerResult(status=AnswerStatus.RECORDED, facts=survey_facts(session, invitation, now=now),
                        language=normalise_language(participant.language))


def submit_survey(session: Session, *, invitation_id: int, slack_user_id: str, workspace: Workspace, values: Mapping[str,
                                                                                                                     int | None],
                  comment: str | None, consent: bool | None, now: datetime) -> AnswerResult:
    """The form submitted by the person it was opened for: every answer in one go (a pulse's
    comment too). Nothing is saved when anything is wrong; `errors` says where."""
    refusal, loaded = _check(session, invitation_id=invitation_id, slack_user_id=slack_user_id, workspace=workspace,
                             now=now, lock=True)
    if refusal is not None or loaded is None:
        return refusal or AnswerResult(status=AnswerStatus.UNKNOWN)
    invitation, survey, participant = loaded
    return _record(session, invitation=invitation, survey=survey, participant=participant, values=values,
                   comment=comment, consent=consent, now=now)


def _record(session: Session, *, invitation: SurveyInvitation, survey: Survey, participant: Participant,
            values: Mapping[str, int | None], comment: str | None, consent: bool | None,
            now: datetime) -> AnswerResult:
    language = normalise_language(participant.language)
    facts = survey_facts(session, invitation, now=now)
    errors: dict[str, str] = {}
    expected = [question.key for question in facts.questions]
    if survey.kind is SurveyKind.PULSE:
        expected = []  # the buttons answer a pulse; its form carries only the comment
    for key in expected:
        value = values.get(key)
        if value is None:
            errors[key] = "required"
        elif value not in SCALE:
            errors[key] = "invalid"
    cleaned_comment = (comment or "").strip() or None
    if cleaned_comment is not None and len(cleaned_comment) > COMMENT_MAX_LENGTH:
        errors[COMMENT_QUESTION] = "too_long"
    if participant.role is Role.COMPANY_CONTACT and facts.consent_needed and consent is not True:
        errors["consent"] = "required"
    if errors:
        return AnswerResult(status=AnswerStatus.INVALID, facts=facts, language=language, errors=errors)
    if participant.role is Role.COMPANY_CONTACT and consent:
        record_consent_given(session, participant=participant, purpose=ConsentPurpose.EVALUATION, granted=True, now=now)
    for key in expected:
        _upsert_answer(session, survey_id=survey.id, participant_id=participant.id, question=key, value=values[key],
                       text=None, now=now)
    if cleaned_comment is None:
        session.execute(delete(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id,
                                                   SurveyAnswer.participant_id == participant.id,
                                                   SurveyAnswer.question == COMMENT_QUESTION))
    else:
        _upsert_answer(session, survey_id=survey.id, participant_id=participant.id, question=COMMENT_QUESTION,
                       value=None, text=cleaned_comment, now=now)
    if survey.kind is not SurveyKind.PULSE:
        _mark_answered(session, invitation, now=now)
    return AnswerResult(status=AnswerStatus.RECORDED, facts=survey_facts(session, invitation, now=now),
                        language=language)


def decline_survey(session: Session, *, invitation_id: int, slack_user_id: str, workspace: Workspace,
                   now: datetime) -> AnswerResult:
    """A company contact's "No thanks": a no to the evaluation purpose, so no reminders."""
    refusal, loaded = _check(session, invitation_id=invitation_id, slack_user_id=slack_user_id, workspace=workspace,
                             now=now, lock=True)
    if refusal is not None or loaded is None:
        return refusal or AnswerResult(status=AnswerStatus.UNKNOWN)
    invitation, _survey, participant = loaded
    record_consent_given(session, participant=participant, purpose=ConsentPurpose.EVALUATION, granted=False, now=now)
    return AnswerResult(status=AnswerStatus.RECORDED, facts=survey_facts(session, invitation, now=now),
                        language=normalise_language(participant.language))


# --- a coordinator records an answer given by phone or email --------------------------------------------


def company_survey_of(session: Session, *, participant: Participant) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.round_id == participant.round_id,
                                               Survey.kind == SurveyKind.COMPANY))


def hand_entry_form(session: Session, *, participant_id: int, now: datetime) -> AnswerResult:
    """The company survey's form for a coordinator to fill in for a contact (found by the caller
    within the coordinator's rounds). Refused before the survey opens and after it closes."""
    participant = session.get(Participant, participant_id)
    if participant is None or participant.role is not Role.COMPANY_CONTACT:
        return AnswerResult(status=AnswerStatus.UNKNOWN)
    invitation = _hand_invitation(session, participant=participant, now=now)
    if isinstance(invitation, AnswerResult):
        return invitation
    return AnswerResult(status=AnswerStatus.RECORDED, facts=survey_facts(session, invitation, now=now),
                        language=normalise_language(participant.language))


def record_by_hand(session: Session, *, participant_id: int, values: Mapping[str, int | None], comment: str | None,
                   consent: bool | None, now: datetime) -> AnswerResult:
    """The company survey answered for a contact by their coordinator, who confirms (the
    `consent` checkbox) that the contact agreed to the evaluation purpose."""
    participant = session.get(Participant, participant_id)
    if participant is None or participant.role is not Role.COMPANY_CONTACT:
        return AnswerResult(status=AnswerStatus.UNKNOWN)
    invitation = _hand_invitation(session, participant=participant, now=now)
    if isinstance(invitation, AnswerResult):
        return invitation
    survey = session.get_one(Survey, invitation.survey_id)
    if consent is not True:
        facts = survey_facts(session, invitation, now=now)
        return AnswerResult(status=AnswerStatus.INVALID, facts=facts, errors={"consent": "required"})
    record_consent_given(session, participant=participant, purpose=ConsentPurpose.EVALUATION, granted=True, now=now)
    return _record(session, invitation=invitation, survey=survey, participant=participant, values=values,
                   comment=comment, consent=True, now=now)


def _hand_invitation(session: Session, *, participant: Participant, now: datetime) -> SurveyInvitation | AnswerResult:
    survey = company_survey_of(session, participant=participant)
    if survey is None:
        # The tick opens surveys; a coordinator may come first (or after a worker that was
        # down): the survey is what the round's plan says it is, opened here the same way.
        round_ = participant.round
        planned = next(plan for plan in planned_surveys(round_, programme_zone=round_.programme.timezone,
                                                        meetings=round_.meetings) if plan.kind is SurveyKind.COMPANY)
        if now < planned.opens_at:
            return AnswerResult(status=AnswerStatus.NOT_OPEN, closes_at=planned.opens_at)
        if now >= planned.closes_at:
            return AnswerResult(status=AnswerStatus.CLOSED, closes_at=planned.closes_at)
        survey = Survey(round_id=round_.id, kind=SurveyKind.COMPANY, number=1, opens_at=planned.opens_at,
                        closes_at=planned.closes_at, created_at=now)
        session.add(survey)
        session.flush()
    if now < survey.opens_at:
        return AnswerResult(status=AnswerStatus.NOT_OPEN, closes_at=survey.opens_at)
    if now >= survey.closes_at:
        return AnswerResult(status=AnswerStatus.CLOSED, closes_at=survey.closes_at)
    invitation = session.scalar(select(SurveyInvitation).where(
        SurveyInvitation.survey_id == survey.id, SurveyInvitation.participant_id == participant.id).with_for_update())
    if invitation is None:
        invitation = SurveyInvitation(survey_id=survey.id, participant_id=participant.id, asked_at=None, created_at=now)
        session.add(invitation)
        session.flush()
    return invitation


def invitation_for(session: Session, *, survey_id: int, participant_id: int) -> SurveyInvitation | None:
    return session.scalar(select(SurveyInvitation).where(and_(SurveyInvitation.survey_id == survey_id,
                                                              SurveyInvitation.participant_id == participant_id)))


__all__ = [
    "COMMENT_MAX_LENGTH",
    "MAX_REMINDERS",
    "OPEN_FOR",
    "PULSE_CONFIDENCE",
    "PULSE_QUESTIONS",
    "PULSE_USEFUL",
    "AnswerResult",
    "AnswerStatus",
    "DueSurveys",
    "PlannedSurvey",
    "answer_pulse",
    "by_hand_key",
    "company_survey_of",
    "decline_survey",
    "due_surveys",
    "hand_entry_form",
    "invitation_for",
    "invitation_key",
    "planned_surveys",
    "record_by_hand",
    "submit_survey",
    "survey_facts",
    "survey_form",
    "survey_rounds",
]
