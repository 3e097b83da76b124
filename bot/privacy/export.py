"""Everything stored about one person, for the right of access (GDPR art. 15).

`/mentoring my-data` (found by Slack user id) and `mentorbot export EMAIL` (found by email)
both call `collect_personal_data` and get the same two files from `export_files`: a JSON
file for machines and a workbook for people.

Why it is built this way:

- What counts as personal data is defined once, in `bot.privacy.inventory`. Every field the
  inventory lists for a table this person has rows in appears as a column of a section here,
  and a test fails when the inventory gains a field no section carries.
- A person is every participant row with their Slack id or email, in every round and
  programme, and the rows sharing an email or Slack id with those (a returning mentor who
  changed email is still one person).
- It is *their* data: the pair they were in names the other person (that relationship is
  theirs), but never the other's email, profile or survey answers. Messages are the ones the
  bot sent them in a direct message and still stores (its facts, and the words as the
  adapter draws them while the row is not yet trimmed).
- The JSON has a format name and version, ISO dates and the same stable keys in every file
  (an empty section is an empty list), so it can be read back by a program. The workbook
  has the same sections and columns with headers in the person's language, written with the
  funder's report's streamed sheet (`bot.reports.workbook.TableSheet`).

Nothing here writes: the caller's unit of work may be read-only.
"""

from __future__ import annotations

import enum
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.core.workspace import Workspace
from bot.i18n import catalog, normalise_language, t
from bot.privacy.inventory import (
    FIELDS,
    PersonRef,
    disclosure_mentions,
    find_person,
    proposal_mentions,
)
from bot.reports.workbook import DAY, INTEGER, MOMENT, Column, TableSheet, local_time
from bot.surveys.criteria import COMMENT_QUESTION, criteria_of
from bot.surveys.service import PULSE_CONFIDENCE, PULSE_USEFUL
from bot.text import truncate
from storage.models import (
    Checkin,
    Consent,
    DigestHandled,
    Disclosure,
    FollowUp,
    MatchConstraint,
    MatchProposal,
    MeetingRsvp,
    MentoringSession,
    OutboxMessage,
    Outcome,
    Pair,
    Participant,
    Round,
    SharedMeeting,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
)

#: The JSON's format name and version: a reader checks both before trusting the keys.
EXPORT_FORMAT = "mentorbot-personal-data"
EXPORT_VERSION = 1

#: Renders a stored notice row's payload as the words the person was sent (the Slack
#: adapter's drawing, given by the caller so the domain stays platform-neutral); None when
#: it cannot be drawn any more.
NoticeText = Callable[[Mapping[str, Any]], str | None]

MEMBERSHIP = 26  # width of round/programme columns


def _text(key: str, width: int = 20) -> Column:
    return Column(key, width)


def _moment(key: str) -> Column:
    return Column(key, 18, MOMENT)


def _day(key: str) -> Column:
    return Column(key, 12, DAY)


def _number(key: str) -> Column:
    return Column(key, 10, INTEGER)


@dataclass(frozen=True)
class Section:
    """One part of the export: a JSON list under `key` and one sheet with these columns."""

    key: str
    columns: tuple[Column, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)


#: Every section, in the order of the JSON and the workbook's sheets.
SECTIONS: tuple[Section, ...] = (
    Section("participation", (
        _text("programme", MEMBERSHIP), _text("round", MEMBERSHIP), _text("role", 16), _text("name", 26),
        _text("email", 30), _text("slack_user_id", 14), _text("language", 10), _text("timezone", 20),
        _text("timezone_confirmed", 10), _text("field", 24), _text("languages", 20), _text("interests", 30),
        _text("company", 22), _text("partner_company", 22), _text("home_country", 16),
        _number("years_experience"), _number("max_mentees"), _text("goals", 40), _text("expertise", 40),
        _text("availability", 30), _moment("welcome_sent_at"), _moment("consented_at"), _moment("opted_out_at"),
        _moment("profile_completed_at"), _number("onboarding_reminders_sent"), _moment("slack_missing_since"),
        _number("slack_lookup_attempts"), _moment("erased_at"), _moment("created_at"), _moment("updated_at"),
    )),
    Section("consents", (
        _text("round", MEMBERSHIP), _text("purpose", 24), _text("granted", 10), _moment("decided_at"),
    )),
    Section("pairs", (
        _text("round", MEMBERSHIP), _text("your_role", 12), _text("partner", 26), _text("partner_role", 12),
        _text("status", 12), _moment("published_at"), _text("channel_name", 24), _text("slack_channel_id", 14),
        _moment("channel_opened_at"), _moment("channel_archived_at"), Column("match_score", 10, "0.00"),
        _text("match_reasons", 60), _moment("ended_at"), _text("end_reason", 16), _moment("created_at"),
    )),
    Section("pauses", (
        _text("round", MEMBERSHIP), _text("paused", 14), _text("partner", 26), _day("paused_until"),
        _text("reason", 40),
    )),
    Section("sessions", (
        _text("round", MEMBERSHIP), _text("partner", 26), _day("held_on"), _number("duration_minutes"),
        _text("topics", 30), _number("introductions_made"), _text("notes", 60), _text("logged_by", 20),
        _text("confirmed_by", 20), _text("channel_message_ts", 18), _moment("created_at"), _moment("updated_at"),
    )),
    Section("checkins", (
        _text("round", MEMBERSHIP), _text("partner", 26), _day("window_start"), _moment("asked_at"),
        _text("answer", 16), _text("answered_by", 20), _moment("answered_at"), _day("planned_for"),
        _day("ask_again_on"),
    )),
    Section("meetings", (
        _text("round", MEMBERSHIP), _text("meeting", 30), _text("kind", 20), _moment("starts_at"),
        _text("answer", 10), _moment("answered_at"), _text("attended", 10), _moment("attendance_recorded_at"),
    )),
    Section("surveys", (
        _text("round", MEMBERSHIP), _text("survey", 12), _number("number"), _moment("asked_at"),
        _number("reminders_sent"), _moment("answered_at"), _moment("created_at"),
    )),
    Section("survey_answers", (
        _text("round", MEMBERSHIP), _text("survey", 12), _number("number"), _text("question", 20),
        _text("question_text", 60), _number("value"), _text("text", 60), _moment("answered_at"),
    )),
    Section("outcomes", (
        _text("round", MEMBERSHIP), _text("status", 18), _day("started_on"), _text("network_helped", 10),
        _text("source", 16), _moment("recorded_at"),
    )),
    Section("follow_ups", (
        _text("round", MEMBERSHIP), _moment("asked_at"), _number("reminders_sent"), _moment("answered_at"),
    )),
    Section("match_constraints", (
        _text("round", MEMBERSHIP), _text("kind", 10), _text("partner", 26), _moment("created_at"),
    )),
    Section("match_proposals", (
        _text("round", MEMBERSHIP), _moment("created_at"), _moment("published_at"), _text("your_name", 26),
        _text("partner", 26), Column("score", 10, "0.00"), _text("reasons", 60), _text("unmatched_reason", 24),
        _text("unmatched_details", 40), _text("problems", 60),
    )),
    Section("disclosures", (
        _text("round", MEMBERSHIP), _text("cell", 30), _moment("shown_at"), _text("value", 30),
    )),
    Section("coordination", (
        _text("round", MEMBERSHIP), _text("action", 24), _text("slack_user_id", 14), _moment("at"),
    )),
    Section("messages", (
        _text("to", 14), _text("channel", 14), _text("dedup_key", 40), _text("kind", 24), _text("state", 10),
        _moment("created_at"), _moment("not_before"), _moment("sent_at"), _moment("trimmed_at"),
        _text("facts", 60), _text("response", 30), _text("text", 80),
    )),
)
SECTION_KEYS = tuple(section.key for section in SECTIONS)

#: Where each field of the personal-data inventory (`bot.privacy.inventory.FIELDS`, by its
#: label) appears in the export: (section, column). `unexported_fields` names any field the
#: inventory gains that no section carries yet, and a test keeps it empty.
EXPORTED_AS: dict[str, tuple[str, str]] = {
    "participant.name": ("participation", "name"),
    "participant.email": ("participation", "email"),
    "participant.slack_user_id": ("participation", "slack_user_id"),
    "participant.timezone": ("participation", "timezone"),
    "participant.field": ("participation", "field"),
    "participant.languages": ("participation", "languages"),
    "participant.interests": ("participation", "interests"),
    "participant.company": ("participation", "company"),
    "participant.partner_company": ("participation", "partner_company"),
    "participant.home_country": ("participation", "home_country"),
    "participant.goals": ("participation", "goals"),
    "participant.expertise": ("participation", "expertise"),
    "participant.availability": ("participation", "availability"),
    "participant.pause_reason": ("pauses", "reason"),
    "participant.role": ("participation", "role"),
    "participant.language": ("participation", "language"),
    "consent.purpose": ("consents", "purpose"),
    "checkin.answer": ("checkins", "answer"),
    "meeting_rsvp.answer": ("meetings", "answer"),
    "survey_answer.question": ("survey_answers", "question"),
    "survey_answer.text": ("survey_answers", "text"),
    "outcome.status": ("outcomes", "status"),
    "outcome.source": ("outcomes", "source"),
    "outcome.recorded_by": ("coordination", "slack_user_id"),
    "pair.channel_name": ("pairs", "channel_name"),
    "pair.match_reasons $[*].params": ("pairs", "match_reasons"),
    "pair.pause_reason": ("pauses", "reason"),
    "pair.slack_channel_id": ("pairs", "slack_channel_id"),
    "pair.status": ("pairs", "status"),
    "pair.end_reason": ("pairs", "end_reason"),
    "mentoring_session.notes": ("sessions", "notes"),
    "mentoring_session.topics": ("sessions", "topics"),
    "match_constraint.created_by": ("coordination", "slack_user_id"),
    "match_proposal.created_by": ("coordination", "slack_user_id"),
    "digest_handled.handled_by": ("coordination", "slack_user_id"),
    "match_proposal.payload $.names[<participant id>]": ("match_proposals", "your_name"),
    "match_proposal.payload $.pairs[*].components[*].params": ("match_proposals", "reasons"),
    "match_proposal.payload $.unmatched[*].params": ("match_proposals", "unmatched_details"),
    "match_proposal.payload $.problems[*].params": ("match_proposals", "problems"),
    "match_proposal.payload $.published_by": ("coordination", "slack_user_id"),
    "disclosure.contributions $[<participant id>] (comment cells)": ("disclosures", "value"),
    "disclosure.contributions $[<participant id>] (scale and outcome cells)": ("disclosures", "value"),
    "outbox_message.payload $.facts": ("messages", "facts"),
    "outbox_message.payload $.channel": ("messages", "channel"),
    "outbox_message.target": ("messages", "to"),
    "outbox_message.dedup_key": ("messages", "dedup_key"),
    "outbox_message.response": ("messages", "response"),
}


def unexported_fields() -> list[str]:
    """Inventory fields with no place in the export, or mapped to a column no section has."""
    columns = {(section.key, column.key) for section in SECTIONS for column in section.columns}
    return sorted(entry.label for entry in FIELDS
                  if entry.label not in EXPORTED_AS or EXPORTED_AS[entry.label] not in columns)

#: Columns whose values are enum values, shown in the workbook through `export.enum.<column>.<value>`.
ENUM_COLUMNS = frozenset({
    "role", "your_role", "partner_role", "purpose", "status", "kind", "answer", "survey", "source", "state",
    "paused", "logged_by", "confirmed_by", "answered_by", "action",
})
#: Columns holding yes/no.
BOOLEAN_COLUMNS = frozenset({"granted", "timezone_confirmed", "attended", "network_helped"})
#: Who did something in a pair, said as the reader's relation to them (never another person's id).
YOU, PARTNER = "you", "partner"


@dataclass(frozen=True, kw_only=True)
class Subject:
    """Whom the export is about: every email, Slack id and name their rows carry."""

    emails: tuple[str, ...]
    slack_user_ids: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PersonalData:
    """What was found, section by section (rows as plain dicts with the section's keys)."""

    subject: Subject
    language: str
    timezone: str
    generated_at: datetime
    sections: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {key: len(self.sections.get(key, ())) for key in SECTION_KEYS}


@dataclass(frozen=True, kw_only=True)
class ExportFiles:
    """The two files, named without any user text (a name is never part of a file name)."""

    json_name: str
    json_bytes: bytes
    workbook_name: str
    workbook_bytes: bytes


# --- finding the person -----------------------------------------------------------------------------------


def participant_rows(session: Session, *, slack_user_id: str | None = None, email: str | None = None,
                     workspace: Workspace | None = None) -> tuple[PersonRef | None, list[Participant]]:
    """The person (the inventory's one rule, `find_person`: every round and programme, of
    `workspace` when given, rows sharing an email or Slack id included) and their
    participant rows, oldest round first."""
    person = find_person(session, email=email.strip() if email else None, slack_user_id=slack_user_id,
                         workspace=workspace)
    if person is None:
        return None, []
    rows = session.scalars(select(Participant).where(Participant.id.in_(person.participant_ids))).all()
    return person, sorted(rows, key=lambda row: (row.round.starts_on, row.id))


# --- collecting -------------------------------------------------------------------------------------------


@dataclass
class _Collector:
    session: Session
    person: PersonRef
    people: list[Participant]
    language: str
    render: NoticeText | None
    workspace: Workspace | None = None  # a request from Slack: that workspace's rows only
    mine: set[int] = field(init=False)
    rounds: dict[int, str] = field(default_factory=dict)
    programmes: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mine = {row.id for row in self.people}
        for row in self.people:
            self.rounds[row.round_id] = row.round.name
            self.programmes[row.round_id] = row.round.programme.name

    def round_name(self, round_id: int) -> str:
        if round_id not in self.rounds:
            round_ = self.session.get_one(Round, round_id)
            self.rounds[round_id] = round_.name
        return self.rounds[round_id]

    def relation(self, participant_id: int | None) -> str | None:
        """"you" or "partner": who in the pair did it, never the other's id."""
        if participant_id is None:
            return None
        return YOU if participant_id in self.mine else PARTNER


def _participation(c: _Collector) -> Iterator[dict[str, Any]]:
    for row in c.people:
        yield {
            "programme": c.programmes[row.round_id], "round": c.rounds[row.round_id], "role": row.role,
            "name": row.name, "email": row.email, "slack_user_id": row.slack_user_id, "language": row.language,
            "timezone": row.timezone, "timezone_confirmed": row.timezone_confirmed, "field": row.field,
            "languages": list(row.languages or []), "interests": list(row.interests or []), "company": row.company,
            "partner_company": row.partner_company, "home_country": row.home_country,
            "years_experience": row.years_experience, "max_mentees": row.max_mentees, "goals": row.goals,
            "expertise": row.expertise, "availability": row.availability, "welcome_sent_at": row.welcome_sent_at,
            "consented_at": row.consented_at, "opted_out_at": row.opted_out_at,
            "profile_completed_at": row.profile_completed_at,
            "onboarding_reminders_sent": row.onboarding_reminders_sent,
            "slack_missing_since": row.slack_missing_since, "slack_lookup_attempts": row.slack_lookup_attempts,
            "erased_at": row.erased_at, "created_at": row.created_at, "updated_at": row.updated_at,
        }


def _consents(c: _Collector) -> Iterator[dict[str, Any]]:
    rows = c.session.scalars(select(Consent).where(Consent.participant_id.in_(c.mine))
                             .order_by(Consent.decided_at, Consent.id))
    round_of = {row.id: row.round_id for row in c.people}
    for row in rows:
        yield {"round": c.rounds[round_of[row.participant_id]], "purpose": row.purpose, "granted": row.granted,
               "decided_at": row.decided_at}


def _pairs(c: _Collector) -> list[Pair]:
    return list(c.session.scalars(
        select(Pair).where(or_(Pair.mentor_id.in_(c.mine), Pair.mentee_id.in_(c.mine)))
        .order_by(Pair.created_at, Pair.id)
    ))


def _partner(c: _Collector, pair: Pair) -> Participant:
    """The other person of a pair (only their name and role are ever written)."""
    return pair.mentee if pair.mentor_id in c.mine else pair.mentor


def _pair_rows(c: _Collector, pairs: Sequence[Pair]) -> Iterator[dict[str, Any]]:
    for pair in pairs:
        partner = _partner(c, pair)
        mine = pair.mentor if pair.mentor_id in c.mine else pair.mentee
        yield {
            "round": c.round_name(pair.round_id), "your_role": mine.role, "partner": partner.name,
            "partner_role": partner.role, "status": pair.status, "published_at": pair.published_at,
            "channel_name": pair.channel_name, "slack_channel_id": pair.slack_channel_id,
            "channel_opened_at": pair.channel_opened_at, "channel_archived_at": pair.channel_archived_at,
            "match_score": pair.match_score, "match_reasons": pair.match_reasons, "ended_at": pair.ended_at,
            "end_reason": pair.end_reason, "created_at": pair.created_at,
        }


def _pauses(c: _Collector, pairs: Sequence[Pair]) -> Iterator[dict[str, Any]]:
    for row in c.people:
        if row.paused_until is not None or row.pause_reason:
            yield {"round": c.rounds[row.round_id], "paused": YOU, "partner": None,
                   "paused_until": row.paused_until, "reason": row.pause_reason}
    for pair in pairs:
        if pair.paused_until is not None or pair.pause_reason:
            yield {"round": c.round_name(pair.round_id), "paused": "pair", "partner": _partner(c, pair).name,
                   "paused_until": pair.paused_until, "reason": pair.pause_reason}


def _sessions(c: _Collector, pairs: Sequence[Pair]) -> Iterator[dict[str, Any]]:
    by_id = {pair.id: pair for pair in pairs}
    if not by_id:
        return
    rows = c.session.scalars(select(MentoringSession).where(MentoringSession.pair_id.in_(list(by_id)))
                             .order_by(MentoringSession.held_on, MentoringSession.id))
    for row in rows:
        pair = by_id[row.pair_id]
        yield {
            "round": c.round_name(pair.round_id), "partner": _partner(c, pair).name, "held_on": row.held_on,
            "duration_minutes": row.duration_minutes, "topics": list(row.topics or []),
            "introductions_made": row.introductions_made, "notes": row.notes,
            "logged_by": c.relation(row.logged_by_id), "confirmed_by": c.relation(row.confirmed_by_id),
            "channel_message_ts": row.channel_message_ts, "created_at": row.created_at,
            "updated_at": row.updated_at,
        }


def _checkins(c: _Collector, pairs: Sequence[Pair]) -> Iterator[dict[str, Any]]:
    by_id = {pair.id: pair for pair in pairs}
    if not by_id:
        return
    rows = c.session.scalars(select(Checkin).where(Checkin.pair_id.in_(list(by_id)))
                             .order_by(Checkin.window_start, Checkin.id))
    for row in rows:
        pair = by_id[row.pair_id]
        yield {
            "round": c.round_name(pair.round_id), "partner": _partner(c, pair).name,
            "window_start": row.window_start, "asked_at": row.asked_at, "answer": row.answer,
            "answered_by": c.relation(row.answered_by_id), "answered_at": row.answered_at,
            "planned_for": row.planned_for, "ask_again_on": row.ask_again_on,
        }


def _meetings(c: _Collector) -> Iterator[dict[str, Any]]:
    rows = c.session.execute(
        select(MeetingRsvp, SharedMeeting).join(SharedMeeting, SharedMeeting.id == MeetingRsvp.meeting_id)
        .where(MeetingRsvp.participant_id.in_(c.mine)).order_by(SharedMeeting.starts_at, MeetingRsvp.id)
    )
    for rsvp, meeting in rows:
        yield {
            "round": c.round_name(meeting.round_id), "meeting": meeting.title, "kind": meeting.kind,
            "starts_at": meeting.starts_at, "answer": rsvp.answer, "answered_at": rsvp.answered_at,
            "attended": rsvp.attended, "attendance_recorded_at": rsvp.attendance_recorded_at,
        }


def _surveys(c: _Collector) -> Iterator[dict[str, Any]]:
    rows = c.session.execute(
        select(SurveyInvitation, Survey).join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(SurveyInvitation.participant_id.in_(c.mine)).order_by(Survey.opens_at, SurveyInvitation.id)
    )
    for invitation, survey in rows:
        yield {
            "round": c.round_name(survey.round_id), "survey": survey.kind, "number": survey.number,
            "asked_at": invitation.asked_at, "reminders_sent": invitation.reminders_sent,
            "answered_at": invitation.answered_at, "created_at": invitation.created_at,
        }


def _question_text(c: _Collector, *, question: str, programme_id: int, role: str,
                   statements: dict[int, dict[str, str]]) -> str:
    """The question as the person was asked it, in their language."""
    if question == PULSE_USEFUL:
        return t("surveys.pulse.useful", c.language)
    if question == PULSE_CONFIDENCE:
        return t(f"surveys.pulse.confidence.{'mentor' if role == 'mentor' else 'mentee'}", c.language)
    if question == COMMENT_QUESTION:
        return t("export.question.comment", c.language)
    if programme_id not in statements:
        statements[programme_id] = {spec.question: spec.statement(c.language)
                                    for spec in criteria_of(c.session, programme_id)}
    return statements[programme_id].get(question, question)


def _survey_answers(c: _Collector) -> Iterator[dict[str, Any]]:
    rows = c.session.execute(
        select(SurveyAnswer, Survey, Round.programme_id, Participant.role)
        .join(Survey, Survey.id == SurveyAnswer.survey_id).join(Round, Round.id == Survey.round_id)
        .join(Participant, Participant.id == SurveyAnswer.participant_id)
        .where(SurveyAnswer.participant_id.in_(c.mine))
        .order_by(Survey.opens_at, SurveyAnswer.question, SurveyAnswer.id)
    )
    statements: dict[int, dict[str, str]] = {}
    for answer, survey, programme_id, role in rows:
        yield {
            "round": c.round_name(survey.round_id), "survey": survey.kind, "number": survey.number,
            "question": answer.question,
            "question_text": _question_text(c, question=answer.question, programme_id=programme_id,
                                            role=role.value, statements=statements),
            "value": answer.value, "text": answer.text, "answered_at": answer.answered_at,
        }


def _outcomes(c: _Collector) -> Iterator[dict[str, Any]]:
    round_of = {row.id: row.round_id for row in c.people}
    rows = c.session.scalars(select(Outcome).where(Outcome.participant_id.in_(c.mine))
                             .order_by(Outcome.recorded_at, Outcome.id))
    for row in rows:
        yield {"round": c.rounds[round_of[row.participant_id]], "status": row.status, "started_on": row.started_on,
               "network_helped": row.network_helped, "source": row.source, "recorded_at": row.recorded_at}


def _follow_ups(c: _Collector) -> Iterator[dict[str, Any]]:
    round_of = {row.id: row.round_id for row in c.people}
    rows = c.session.scalars(select(FollowUp).where(FollowUp.participant_id.in_(c.mine))
                             .order_by(FollowUp.asked_at, FollowUp.id))
    for row in rows:
        yield {"round": c.rounds[round_of[row.participant_id]], "asked_at": row.asked_at,
               "reminders_sent": row.reminders_sent, "answered_at": row.answered_at}


def _match_constraints(c: _Collector) -> Iterator[dict[str, Any]]:
    rows = c.session.scalars(
        select(MatchConstraint)
        .where(or_(MatchConstraint.mentor_id.in_(c.mine), MatchConstraint.mentee_id.in_(c.mine)))
        .order_by(MatchConstraint.created_at, MatchConstraint.id)
    )
    for row in rows:
        other = row.mentee_id if row.mentor_id in c.mine else row.mentor_id
        yield {"round": c.round_name(row.round_id), "kind": row.kind,
               "partner": c.session.get_one(Participant, other).name, "created_at": row.created_at}


def _match_proposals(c: _Collector) -> Iterator[dict[str, Any]]:
    """Each stored proposal of their rounds that names them (`proposal_mentions`): their name
    as stored, whom they were proposed with (score and reasons), why they were left
    unmatched, and the problems naming them. The rest of a proposal is about other people."""
    round_ids = sorted({row.round_id for row in c.people})
    rows = c.session.scalars(select(MatchProposal).where(MatchProposal.round_id.in_(round_ids))
                             .order_by(MatchProposal.created_at, MatchProposal.id))
    for row in rows:
        payload = row.payload or {}
        if not proposal_mentions(payload, c.person):
            continue
        names = payload.get("names") or {}
        mine = sorted(pid for pid in c.mine if str(pid) in names)
        problems = [problem for problem in payload.get("problems") or []
                    if problem.get("mentor_id") in c.mine or problem.get("mentee_id") in c.mine]
        base = {"round": c.round_name(row.round_id), "created_at": row.created_at, "published_at": row.published_at,
                "your_name": names.get(str(mine[0])) if mine else None}
        found = False
        for proposed in payload.get("pairs") or []:
            mentor, mentee = proposed.get("mentor_id"), proposed.get("mentee_id")
            if mentor in c.mine or mentee in c.mine:
                other = mentee if mentor in c.mine else mentor
                found = True
                yield {**base, "partner": names.get(str(other)), "score": proposed.get("score"),
                       "reasons": proposed.get("components"), "unmatched_reason": None, "unmatched_details": None,
                       "problems": problems or None}
        for unmatched in payload.get("unmatched") or []:
            if unmatched.get("participant_id") in c.mine:
                found = True
                yield {**base, "partner": None, "score": None, "reasons": None,
                       "unmatched_reason": unmatched.get("reason_code"),
                       "unmatched_details": unmatched.get("params") or None, "problems": problems or None}
        if not found and (mine or problems):
            yield {**base, "partner": None, "score": None, "reasons": None, "unmatched_reason": None,
                   "unmatched_details": None, "problems": problems or None}


def _disclosures(c: _Collector) -> Iterator[dict[str, Any]]:
    """What the anonymity rule remembers of their answers: their part of each aggregate
    once shown to coordinators (`disclosure_mentions`), never the others' parts."""
    round_ids = sorted({row.round_id for row in c.people})
    rows = c.session.scalars(select(Disclosure).where(Disclosure.round_id.in_(round_ids))
                             .order_by(Disclosure.shown_at, Disclosure.id))
    for row in rows:
        if not disclosure_mentions(row.contributions, c.person):
            continue
        for pid in sorted(c.mine):
            if str(pid) in row.contributions:
                yield {"round": c.round_name(row.round_id), "cell": row.cell, "shown_at": row.shown_at,
                       "value": row.contributions[str(pid)]}


def _coordination(c: _Collector) -> Iterator[dict[str, Any]]:
    """What they did as a coordinator, where their Slack id is stored: when and in which
    round, not what it was about (that is other people's data)."""
    slack_ids = list(c.person.slack_user_ids)
    if not slack_ids:
        return
    actions: list[tuple[datetime, int, str, str | None]] = []
    for round_id, at, by in c.session.execute(
            select(Participant.round_id, Outcome.recorded_at, Outcome.recorded_by)
            .join(Participant, Participant.id == Outcome.participant_id).where(Outcome.recorded_by.in_(slack_ids))):
        actions.append((at, round_id, "outcome_recorded", by))
    for round_id, at, by in c.session.execute(
            select(MatchConstraint.round_id, MatchConstraint.created_at, MatchConstraint.created_by)
            .where(MatchConstraint.created_by.in_(slack_ids))):
        actions.append((at, round_id, "constraint_made", by))
    for proposal in c.session.scalars(select(MatchProposal).where(or_(
            MatchProposal.created_by.in_(slack_ids), MatchProposal.round_id.in_(sorted(c.rounds))))):
        if proposal.created_by in slack_ids:
            actions.append((proposal.created_at, proposal.round_id, "proposal_computed", proposal.created_by))
        published_by = (proposal.payload or {}).get("published_by")
        if published_by in slack_ids:
            actions.append((proposal.published_at or proposal.created_at, proposal.round_id, "proposal_published",
                            str(published_by)))
    for round_id, at, by in c.session.execute(
            select(DigestHandled.round_id, DigestHandled.handled_at, DigestHandled.handled_by)
            .where(DigestHandled.handled_by.in_(slack_ids))):
        actions.append((at, round_id, "digest_item_handled", by))
    for at, round_id, action, by in sorted(actions, key=lambda item: (item[0], item[1], item[2])):
        yield {"round": c.round_name(round_id), "action": action, "slack_user_id": by, "at": at}


def _messages(c: _Collector) -> Iterator[dict[str, Any]]:
    """The messages the bot queued or sent to them in a direct message (the row's target is
    their Slack id), as stored: the facts until the row is trimmed, and the words drawn from
    them when the caller can draw. Messages to a pair channel or to coordinators are
    addressed to several people and are not copied here."""
    user_ids = list(c.person.slack_user_ids)
    if not user_ids:
        return
    query = select(OutboxMessage).where(OutboxMessage.target.in_(user_ids))
    if c.workspace is not None:  # the same Slack id in another workspace is someone else there
        query = query.where(c.workspace.outbox())
    rows = c.session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id))
    for row in rows:
        payload = row.payload or {}
        facts = payload.get("facts")
        text = None
        if c.render is not None and row.trimmed_at is None and facts is not None:
            text = c.render(payload)
        yield {"to": row.target, "channel": payload.get("channel"), "dedup_key": row.dedup_key,
               "kind": payload.get("kind") or row.method, "state": row.state, "created_at": row.created_at,
               "not_before": row.not_before, "sent_at": row.sent_at, "trimmed_at": row.trimmed_at, "facts": facts,
               "response": row.response, "text": text}


def collect_personal_data(session: Session, *, now: datetime, slack_user_id: str | None = None,
                          email: str | None = None, render: NoticeText | None = None,
                          workspace: Workspace | None = None) -> PersonalData | None:
    """Everything stored about the person with this Slack id or email (in `workspace` when
    given: a request from Slack); None when nothing is.

    `render` draws a stored notice as text (the adapter's); without it messages carry their
    stored facts only."""
    person, people = participant_rows(session, slack_user_id=slack_user_id, email=email, workspace=workspace)
    if person is None or not people:
        return None
    newest = people[-1]
    language = normalise_language(newest.language)
    collector = _Collector(session=session, person=person, people=people, language=language, render=render,
                           workspace=workspace)
    pairs = _pairs(collector)
    sections: dict[str, list[dict[str, Any]]] = {
        "participation": list(_participation(collector)),
        "consents": list(_consents(collector)),
        "pairs": list(_pair_rows(collector, pairs)),
        "pauses": list(_pauses(collector, pairs)),
        "sessions": list(_sessions(collector, pairs)),
        "checkins": list(_checkins(collector, pairs)),
        "meetings": list(_meetings(collector)),
        "surveys": list(_surveys(collector)),
        "survey_answers": list(_survey_answers(collector)),
        "outcomes": list(_outcomes(collector)),
        "follow_ups": list(_follow_ups(collector)),
        "match_constraints": list(_match_constraints(collector)),
        "match_proposals": list(_match_proposals(collector)),
        "disclosures": list(_disclosures(collector)),
        "coordination": list(_coordination(collector)),
        "messages": list(_messages(collector)),
    }
    subject = Subject(
        emails=tuple(dict.fromkeys(row.email for row in people if row.email)),
        slack_user_ids=tuple(dict.fromkeys(row.slack_user_id for row in people if row.slack_user_id)),
        names=tuple(dict.fromkeys(row.name for row in people if row.name)),
    )
    zone_name = newest.timezone or newest.round.programme.timezone
    return PersonalData(subject=subject, language=language, timezone=zone_name, generated_at=now, sections=sections)


# --- the JSON file ----------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A stored value as JSON: enums by value, moments as ISO 8601 in UTC, days as ISO dates."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def as_json(data: PersonalData) -> dict[str, Any]:
    """The export as JSON-ready values: format, version, when, about whom, and every section."""
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "generated_at": _plain(data.generated_at),
        "language": data.language,
        "subject": {"emails": list(data.subject.emails), "slack_user_ids": list(data.subject.slack_user_ids),
                    "names": list(data.subject.names)},
        "counts": data.counts(),
        "sections": {key: [_plain(dict(row)) for row in data.sections.get(key, ())] for key in SECTION_KEYS},
    }


def json_bytes(data: PersonalData) -> bytes:
    return json.dumps(as_json(data), ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


# --- the workbook -----------------------------------------------------------------------------------------

_TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {section.key: (section.key, section.columns)
                                                      for section in SECTIONS}
_ABOUT: dict[str, tuple[str, tuple[Column, ...]]] = {"about": ("about", (Column("item", 30), Column("value", 60)))}


#: Excel shows at most this many characters in a cell (and calls a longer one a problem
#: with the file); the JSON file keeps the whole value.
CELL_LIMIT = 32_767


def _cell(column: Column, value: Any, *, language: str, zone_name: str) -> Any:
    """A value as the reader sees it (see `_readable`), text cut to what Excel shows."""
    readable = _readable(column, value, language=language, zone_name=zone_name)
    return truncate(readable, CELL_LIMIT) if isinstance(readable, str) else readable


def _readable(column: Column, value: Any, *, language: str, zone_name: str) -> Any:
    """Their wall-clock time, words for enums and yes/no, lists joined, structured values
    (match reasons, message facts) as compact JSON."""
    if value is None:
        return None
    if column.key in BOOLEAN_COLUMNS and isinstance(value, bool):
        return t(f"export.value.{'yes' if value else 'no'}", language)
    if column.key in ENUM_COLUMNS:
        raw = value.value if isinstance(value, enum.Enum) else str(value)
        key = f"export.enum.{column.key}.{raw}"
        return t(key, language) if _has_key(key, language) else raw
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return local_time(value, zone_name)
    if isinstance(value, bool):
        return t(f"export.value.{'yes' if value else 'no'}", language)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "; ".join(value)
    coded = _coded_sentences(value, language)
    if coded is not None:
        return coded
    if isinstance(value, list | dict):
        return json.dumps(_plain(value), ensure_ascii=False)
    return value


def _coded_sentences(value: Any, language: str) -> str | None:
    """Match reasons and problems are stored as catalog codes with parameters: in the
    workbook they read as the sentences the coordinator saw ("Same field: nursing"). None
    when any entry is not such a code (it is then written as JSON)."""
    if not isinstance(value, list) or not value:
        return None
    sentences = []
    for entry in value:
        if not isinstance(entry, Mapping) or not _has_key(str(entry.get("code")), language):
            return None
        params = entry.get("params") or {}
        try:
            sentences.append(t(str(entry["code"]), language, **{str(key): item for key, item in params.items()}))
        except (KeyError, ValueError, TypeError, IndexError):
            return None
    return "; ".join(sentences)


def _has_key(key: str, language: str) -> bool:
    return key in catalog(language)


def _rows(section: Section, rows: Iterable[Mapping[str, Any]], *, language: str,
          zone_name: str) -> Iterator[list[Any]]:
    for row in rows:
        yield [_cell(column, row.get(column.key), language=language, zone_name=zone_name)
               for column in section.columns]


def write_export_workbook(data: PersonalData, out: io.BytesIO) -> None:
    """One sheet about the export (when, whom, how many rows per section), then one sheet per
    section with headers in the person's language and times on their clock."""
    from openpyxl import Workbook
    language = data.language
    workbook = Workbook(write_only=True)
    about = TableSheet(workbook, key="about", language=language, tables=("about",), table_columns=_ABOUT,
                       catalog_prefix="export")
    generated = local_time(data.generated_at, data.timezone)
    facts: list[tuple[str, Any]] = [
        (t("export.about.generated_at", language), generated.strftime("%Y-%m-%d %H:%M") if generated else None),
        (t("export.about.timezone", language), data.timezone),
        (t("export.about.emails", language), "; ".join(data.subject.emails)),
        (t("export.about.slack_user_ids", language), "; ".join(data.subject.slack_user_ids)),
        (t("export.about.names", language), "; ".join(data.subject.names)),
        *((t(f"export.sheet.{key}", language), count) for key, count in data.counts().items()),
    ]
    about.table("about", facts)
    for section in SECTIONS:
        sheet = TableSheet(workbook, key=section.key, language=language, tables=(section.key,),
                           table_columns=_TABLES, catalog_prefix="export")
        sheet.table(section.key, _rows(section, data.sections.get(section.key, ()), language=language,
                                       zone_name=data.timezone))
    workbook.save(out)


def export_files(data: PersonalData) -> ExportFiles:
    """Both files in memory (a person's data is small), named by the day only."""
    day = data.generated_at.date().isoformat()
    buffer = io.BytesIO()
    write_export_workbook(data, buffer)
    return ExportFiles(json_name=f"my-data-{day}.json", json_bytes=json_bytes(data),
                       workbook_name=f"my-data-{day}.xlsx", workbook_bytes=buffer.getvalue())


__all__ = [
    "EXPORTED_AS",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "SECTIONS",
    "SECTION_KEYS",
    "ExportFiles",
    "NoticeText",
    "PersonalData",
    "Section",
    "Subject",
    "as_json",
    "collect_personal_data",
    "export_files",
    "json_bytes",
    "participant_rows",
    "unexported_fields",
    "write_export_workbook",
]
