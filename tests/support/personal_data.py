"""People stored in every place the personal-data inventory (bot/privacy/inventory.py)
lists, beside people who are not them: the one seeding module of the export, erasure and
retention tests of issue 12. Every value of theirs is a distinct marker, so a test can say
where a value must be found (their export), where it must be gone (after their erasure),
and which other people's values must never reach them; `stored_text` and
`where_markers_are` search the whole database for markers.

Two people, each shaped for one question and each checked by both the export and the
erasure tests (so either seed's blind spot is the other's check):

- **Ada** (`seed_person_everywhere`): a mentee in Spring 2027 (mentored by Lars) and a
  coordinator of another programme's Autumn 2027 round, where her Slack id is stored on
  what she did. `markers` names a value for *every* inventory label, kept ones included
  (her export holds each); Lars, Zoe (another mentee, with her mentor Max) and Pia have
  private values (`others_private`) her export must never hold. Her name is hostile mrkdwn,
  as a name typed by anyone could be.
- **Birgitte** (`seed_erasure_world`): mentee e1 in the report round of issue 11 (so the
  scoreboard and the report's counts can be compared before and after her erasure) and a
  mentor in a second programme (pair q1 with Olga), with a coordinator ("UCOORD") who acted
  everywhere a coordinator's Slack id is kept. `MARKERS` are her texts that erasure must
  leave nowhere; `COORDINATOR_MARKERS` the coordinator's. Everyone else in the report
  round keeps their comments and answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from bot.core.notices import Notice, Person, queue_notices
from bot.pairs.notices import PairPaused
from bot.surveys.criteria import COMMENT_QUESTION
from storage.models import (
    Base,
    Checkin,
    CheckinAnswer,
    ConsentPurpose,
    ConstraintKind,
    DigestHandled,
    Disclosure,
    FollowUp,
    MatchConstraint,
    MatchProposal,
    MeetingKind,
    MeetingRsvp,
    MentoringSession,
    OutboxMessage,
    OutboxState,
    Outcome,
    OutcomeSource,
    OutcomeStatus,
    Pair,
    Participant,
    Role,
    RsvpAnswer,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import EPOCH, World, consent, meeting, new_world, pair, person
from tests.support.report_round import FINAL_OPENS, REPORT_NOW, seed_report_round

UTC = timezone.utc


# --- Ada: every inventory label, for her export -------------------------------------------------------------

SEEDED_AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ADA_NAME = "Ada <!channel> *Lovelace* <@ULARS>"
ADA_EMAIL = "ada@example.org"
ADA_SLACK = "UADA"


@dataclass
class SeededPerson:
    """Ada's ids and markers, and the values of other people that her export must not hold."""

    world: World  # Spring 2027, where she is a mentee
    coordinated: World  # Autumn 2027, where she coordinates
    participant_ids: tuple[int, ...]
    slack_user_id: str = ADA_SLACK
    email: str = ADA_EMAIL
    name: str = ADA_NAME
    #: inventory label -> a value stored in that field for Ada (found in her export).
    markers: dict[str, object] = field(default_factory=dict)
    #: values stored for other people only: never in Ada's export.
    others_private: tuple[str, ...] = ()


def _profile(row: Participant, tag: str) -> None:
    row.field, row.company, row.partner_company = f"{tag}-field", f"{tag}-company", f"{tag}-partner-company"
    row.home_country, row.languages, row.interests = f"{tag}-country", [f"{tag}-lang"], [f"{tag}-interest"]
    row.goals, row.expertise, row.availability = f"{tag}-goals", f"{tag}-expertise", f"{tag}-availability"


def seed_person_everywhere(session: Session) -> SeededPerson:
    world = new_world(session)
    ada = person(session, world, "ada", role=Role.MENTEE, tz="Europe/London")
    ada.name, ada.email, ada.slack_user_id = ADA_NAME, ADA_EMAIL, ADA_SLACK
    _profile(ada, "ada")
    ada.paused_until, ada.pause_reason = date(2027, 3, 20), "ada-pause-reason"
    lars = person(session, world, "lars", role=Role.MENTOR)
    _profile(lars, "lars")
    zoe = person(session, world, "zoe", role=Role.MENTEE)
    _profile(zoe, "zoe")
    person(session, world, "max", role=Role.MENTOR)
    for key in ("ada", "lars", "zoe"):
        consent(session, world, key, ConsentPurpose.COORDINATION)
        consent(session, world, key, ConsentPurpose.EVALUATION)
    consent(session, world, "ada", ConsentPurpose.FOLLOW_UP, granted=False)

    la = pair(session, world, "la", mentor="lars", mentee="ada", channel="CPAIRLA")
    la.channel_name, la.pause_reason = "ada-lars-channel", "ada-lars-pair-pause"
    la.paused_until, la.match_score = date(2027, 3, 15), 7.5
    la.match_reasons = [{"code": "matching.reason.same_field", "points": 4, "params": {"field": "ada-match-field"}}]
    zm = pair(session, world, "zm", mentor="max", mentee="zoe", channel="CPAIRZM")
    zm.pause_reason = "zoe-pair-pause"

    session.add_all([
        MentoringSession(pair_id=la.id, held_on=date(2027, 2, 10), duration_minutes=45, topics=["cv"],
                         introductions_made=1, notes="ada-lars-session-notes", logged_by_id=ada.id,
                         confirmed_by_id=lars.id, created_at=SEEDED_AT, updated_at=SEEDED_AT),
        MentoringSession(pair_id=zm.id, held_on=date(2027, 2, 11), duration_minutes=30, topics=["network"],
                         notes="zoe-max-session-notes", logged_by_id=zoe.id, created_at=SEEDED_AT,
                         updated_at=SEEDED_AT),
        Checkin(pair_id=la.id, window_start=date(2027, 2, 15), asked_at=SEEDED_AT, answer=CheckinAnswer.PLANNED,
                answered_by_id=ada.id, answered_at=SEEDED_AT, planned_for=date(2027, 3, 2)),
    ])
    kick_off = meeting(session, world, "kick", kind=MeetingKind.KICK_OFF, starts_at=SEEDED_AT)
    session.add_all([
        MeetingRsvp(meeting_id=kick_off.id, participant_id=ada.id, answer=RsvpAnswer.YES, answered_at=SEEDED_AT,
                    attended=True, attendance_recorded_at=SEEDED_AT),
        MeetingRsvp(meeting_id=kick_off.id, participant_id=zoe.id, answer=RsvpAnswer.NO, answered_at=SEEDED_AT),
    ])
    survey = Survey(round_id=world.round_id, kind=SurveyKind.PULSE, number=1, opens_at=SEEDED_AT,
                    closes_at=SEEDED_AT + timedelta(days=7), created_at=SEEDED_AT)
    session.add(survey)
    session.flush()
    session.add_all([
        SurveyInvitation(survey_id=survey.id, participant_id=ada.id, asked_at=SEEDED_AT, answered_at=SEEDED_AT,
                         created_at=SEEDED_AT),
        SurveyAnswer(survey_id=survey.id, participant_id=ada.id, question="pulse.useful", value=4,
                     answered_at=SEEDED_AT),
        SurveyAnswer(survey_id=survey.id, participant_id=ada.id, question="comment", text="ada-survey-comment",
                     answered_at=SEEDED_AT),
        SurveyAnswer(survey_id=survey.id, participant_id=zoe.id, question="comment", text="zoe-survey-comment",
                     answered_at=SEEDED_AT),
        Disclosure(round_id=world.round_id, cell=f"survey={survey.id}:comment", fingerprint="f1",
                   contributions={str(ada.id): "ada-disclosed-comment", str(zoe.id): "zoe-disclosed-comment"},
                   shown_at=SEEDED_AT),
        Disclosure(round_id=world.round_id, cell=f"survey={survey.id}:pulse.useful", fingerprint="f2",
                   contributions={str(ada.id): 4, str(zoe.id): 2}, shown_at=SEEDED_AT),
        Outcome(participant_id=ada.id, status=OutcomeStatus.EMPLOYED, started_on=date(2027, 6, 1),
                network_helped=True, source=OutcomeSource.SELF, recorded_at=SEEDED_AT),
        Outcome(participant_id=zoe.id, status=OutcomeStatus.LOOKING, source=OutcomeSource.SELF,
                recorded_at=SEEDED_AT),
        FollowUp(participant_id=ada.id, asked_at=SEEDED_AT, answered_at=SEEDED_AT),
        MatchProposal(round_id=world.round_id, created_by="UCOORD", created_at=EPOCH, published_at=EPOCH, payload={
            "version": 1, "round_id": world.round_id, "round_name": "Spring 2027", "programme_name": "x",
            "total_score": 9.0,
            "pairs": [{"mentor_id": lars.id, "mentee_id": ada.id, "score": 7.5, "locked": False,
                       "components": [{"code": "matching.reason.same_field", "points": 4,
                                       "params": {"field": "ada-proposal-field"}}]},
                      {"mentor_id": zm.mentor_id, "mentee_id": zoe.id, "score": 1.5, "locked": False,
                       "components": [{"code": "matching.reason.same_field", "points": 1,
                                       "params": {"field": "zoe-proposal-field"}}]}],
            "unmatched": [], "forbidden": [], "ended": [],
            "problems": [{"code": "matching.problem.far_apart", "params": {"zone": "ada-problem-zone"},
                          "mentor_id": lars.id, "mentee_id": ada.id}],
            "names": {str(ada.id): ADA_NAME, str(lars.id): "Lars", str(zoe.id): "Zoe"},
        }),
    ])

    # Ada coordinates another programme's round: her Slack id on what she did there.
    coordinated = new_world(session, name="Autumn 2027", coordinator_channel=None)
    ada_coordinator = person(session, coordinated, "ada", role=Role.COORDINATOR)
    ada_coordinator.name, ada_coordinator.email, ada_coordinator.slack_user_id = ADA_NAME, ADA_EMAIL, ADA_SLACK
    mentor = person(session, coordinated, "otto", role=Role.MENTOR)
    mentee = person(session, coordinated, "pia", role=Role.MENTEE)
    pia_pair = pair(session, coordinated, "op", mentor="otto", mentee="pia", channel="CPAIROP")
    pia_pair.pause_reason = "pia-pair-pause"
    session.add_all([
        Outcome(participant_id=mentee.id, status=OutcomeStatus.INTERNSHIP, source=OutcomeSource.COORDINATOR,
                recorded_by=ADA_SLACK, recorded_at=SEEDED_AT),
        MatchConstraint(round_id=coordinated.round_id, mentor_id=mentor.id, mentee_id=mentee.id,
                        kind=ConstraintKind.LOCK, created_by=ADA_SLACK, created_at=SEEDED_AT),
        MatchProposal(round_id=coordinated.round_id, created_by=ADA_SLACK, created_at=SEEDED_AT,
                      published_at=SEEDED_AT, payload={"round_id": coordinated.round_id, "pairs": [], "unmatched": [],
                                                        "problems": [], "names": {str(mentee.id): "Pia"},
                                                        "published_by": ADA_SLACK}),
        DigestHandled(round_id=coordinated.round_id, key=f"pair={pia_pair.id}", fingerprint="h1",
                      handled_by=ADA_SLACK, handled_at=SEEDED_AT),
    ])
    session.flush()

    # A message to Ada in her DM (sent), one to Zoe's, and one to the pair channel.
    queue_notices(session, [
        Notice(dedup_key=f"test:paused:{ADA_SLACK}", to=Person(ADA_SLACK, team_id=""), facts=PairPaused(
            name="ada-message-name", until=date(2027, 3, 20)), not_before=SEEDED_AT),
        Notice(dedup_key="test:paused:UZOE", to=Person("UZOE", team_id=""), facts=PairPaused(
            name="zoe-message-name", until=date(2027, 3, 20)), not_before=SEEDED_AT),
    ], now=SEEDED_AT)
    sent = session.query(OutboxMessage).filter_by(target=ADA_SLACK).one()
    sent.state, sent.sent_at = OutboxState.SENT, SEEDED_AT + timedelta(minutes=1)
    sent.response = {"ts": "1700000000.000100", "channel": "DADA"}
    session.flush()

    markers: dict[str, object] = {
        "participant.name": ADA_NAME, "participant.email": ADA_EMAIL, "participant.slack_user_id": ADA_SLACK,
        "participant.timezone": "Europe/London", "participant.field": "ada-field",
        "participant.languages": "ada-lang", "participant.interests": "ada-interest",
        "participant.company": "ada-company", "participant.partner_company": "ada-partner-company",
        "participant.home_country": "ada-country", "participant.goals": "ada-goals",
        "participant.expertise": "ada-expertise", "participant.availability": "ada-availability",
        "participant.pause_reason": "ada-pause-reason", "participant.role": "mentee", "participant.language": "en",
        "consent.purpose": "follow_up", "checkin.answer": "planned", "meeting_rsvp.answer": "yes",
        "survey_answer.question": "pulse.useful", "survey_answer.text": "ada-survey-comment",
        "outcome.status": "employed", "outcome.source": "self", "outcome.recorded_by": ADA_SLACK,
        "pair.channel_name": "ada-lars-channel", "pair.match_reasons $[*].params": "ada-match-field",
        "pair.pause_reason": "ada-lars-pair-pause", "pair.slack_channel_id": "CPAIRLA", "pair.status": "active",
        "pair.end_reason": None, "mentoring_session.notes": "ada-lars-session-notes",
        "mentoring_session.topics": "cv", "match_constraint.created_by": ADA_SLACK,
        "match_proposal.created_by": ADA_SLACK, "digest_handled.handled_by": ADA_SLACK,
        "match_proposal.payload $.names[<participant id>]": ADA_NAME,
        "match_proposal.payload $.pairs[*].components[*].params": "ada-proposal-field",
        "match_proposal.payload $.unmatched[*].params": None,
        "match_proposal.payload $.problems[*].params": "ada-problem-zone",
        "match_proposal.payload $.published_by": ADA_SLACK,
        "disclosure.contributions $[<participant id>] (comment cells)": "ada-disclosed-comment",
        "disclosure.contributions $[<participant id>] (scale and outcome cells)": 4,
        "outbox_message.payload $.facts": "ada-message-name", "outbox_message.payload $.channel": ADA_SLACK,
        "outbox_message.target": ADA_SLACK, "outbox_message.dedup_key": f"test:paused:{ADA_SLACK}",
        "outbox_message.response": "DADA",  # her DM channel: erasure drops it, the ts stays
    }
    others = ("lars@example.org", "lars-goals", "lars-field", "lars-company", "lars-expertise", "zoe@example.org",
              "zoe-goals", "zoe-survey-comment", "zoe-disclosed-comment", "zoe-max-session-notes", "zoe-pair-pause",
              "zoe-proposal-field", "zoe-message-name", "UZOE", "pia-pair-pause", "Pia", "Zoe")
    return SeededPerson(world=world, coordinated=coordinated, participant_ids=(ada.id, ada_coordinator.id),
                        markers=markers, others_private=others)


# --- Birgitte: every place erasure reaches, in the report round --------------------------------------------

NAME = "Birgitte Søndergaard"
EMAIL = "birgitte@example.dk"
SLACK_ID = "UBIRGITTE"
COORDINATOR_SLACK_ID = "UCOORD"  # the report round's coordinator ("coord")
#: Texts only she (or her pair) wrote: none may survive her erasure.
TEXTS = {
    "goals": "GOALS-find a data job", "expertise": "EXPERTISE-pipelines", "availability": "AVAIL-tuesdays",
    "pause_reason": "PAUSE-my operation", "pair_pause": "PAIRPAUSE-her surgery", "notes": "NOTES-her CV draft",
    "comment": "COMMENT-the mentor was late", "comment_with_value": "COMMENT2-great programme",
    "field": "FIELD-bioinformatics", "company": "COMPANY-Novo", "partner_company": "PARTNERCO-Maersk",
    "country": "COUNTRY-Chile", "interest": "INTEREST-orienteering", "language": "LANG-quechua",
    "reason": "REASON-bioinformatics", "channel": "birgitte-sondergaard", "problem": "PROBLEM-her field",
    "timezone": "America/Punta_Arenas",  # a real zone nobody else in the world has
}
MARKERS = (NAME, EMAIL, SLACK_ID, *TEXTS.values())
#: Where the coordinator acted: erasing them must leave none of these.
COORDINATOR_MARKERS = (COORDINATOR_SLACK_ID,)


@dataclass(frozen=True, kw_only=True)
class ErasureWorld:
    world: World  # the report round: she is mentee e1 in pair p1 (channel CP1)
    later: World  # a second programme's round: she mentors there (pair q1)
    her_ids: tuple[int, ...]
    pair_ids: tuple[int, ...]
    other_outbox_id: int  # a message about someone else entirely


def seed_erasure_world(session: Session) -> ErasureWorld:
    world = seed_report_round(session)
    her = session.get_one(Participant, world.people["e1"])
    her.name, her.email, her.slack_user_id = NAME, EMAIL, SLACK_ID
    her.goals, her.expertise, her.availability = TEXTS["goals"], TEXTS["expertise"], TEXTS["availability"]
    her.pause_reason, her.field, her.company = TEXTS["pause_reason"], TEXTS["field"], TEXTS["company"]
    her.partner_company, her.home_country = TEXTS["partner_company"], TEXTS["country"]
    her.interests, her.languages = [TEXTS["interest"]], [TEXTS["language"]]
    her.timezone = TEXTS["timezone"]
    coordinator = session.get_one(Participant, world.people["coord"])
    coordinator.slack_user_id = COORDINATOR_SLACK_ID
    first = session.get_one(Pair, world.pairs["p1"])
    first.channel_name = f"mentoring-m1-{TEXTS['channel']}"
    first.pause_reason = TEXTS["pair_pause"]
    first.match_reasons = [{"code": "matching.reason.same_field", "points": 4, "params": {"field": TEXTS["reason"]}}]
    for held in session.scalars(select(MentoringSession).where(MentoringSession.pair_id == first.id)):
        held.notes = TEXTS["notes"]
    final = session.scalars(select(Survey).where(Survey.round_id == world.round_id,
                                                 Survey.kind == SurveyKind.FINAL)).one()
    session.add(SurveyAnswer(survey_id=final.id, participant_id=her.id, question=COMMENT_QUESTION,
                             text=TEXTS["comment"], answered_at=FINAL_OPENS))
    recommend = session.scalars(select(SurveyAnswer).where(SurveyAnswer.participant_id == her.id,
                                                           SurveyAnswer.survey_id == final.id,
                                                           SurveyAnswer.question == "recommend")).one()
    recommend.text = TEXTS["comment_with_value"]
    for key in ("e2", "e3", "e4", "e5", "m1", "m2"):  # others' comments, kept
        session.add(SurveyAnswer(survey_id=final.id, participant_id=world.people[key], question=COMMENT_QUESTION,
                                 text=f"Comment by {key}", answered_at=FINAL_OPENS))
    session.add(Disclosure(
        round_id=world.round_id, cell=f"survey={final.id}:q={COMMENT_QUESTION}:role=mentee", fingerprint="f" * 64,
        contributions={str(her.id): TEXTS["comment"], str(world.people["e2"]): "Comment by e2"},
        shown_at=REPORT_NOW))
    session.add(Disclosure(round_id=world.round_id, cell=f"survey={final.id}:q=recommend:role=mentee",
                           fingerprint="e" * 64, contributions={str(her.id): 5, str(world.people["e2"]): 3},
                           shown_at=REPORT_NOW))
    outcome = session.scalars(select(Outcome).where(Outcome.participant_id == her.id)).one()
    outcome.source, outcome.recorded_by = OutcomeSource.COORDINATOR, COORDINATOR_SLACK_ID
    session.add(MatchConstraint(round_id=world.round_id, mentor_id=world.people["m2"], mentee_id=her.id,
                                kind=ConstraintKind.FORBID, created_by=COORDINATOR_SLACK_ID, created_at=REPORT_NOW))
    session.add(MatchProposal(round_id=world.round_id, created_by=COORDINATOR_SLACK_ID, created_at=REPORT_NOW,
                              published_at=REPORT_NOW, payload=_proposal(world, her.id)))
    session.add(DigestHandled(round_id=world.round_id, key=f"person={her.id}:onboarding", fingerprint="a" * 16,
                              handled_by=COORDINATOR_SLACK_ID, handled_at=REPORT_NOW))

    later = new_world(session, name="Autumn 2028")
    again = person(session, later, "birgitte", role=Role.MENTOR)
    again.name, again.email, again.slack_user_id, again.expertise = NAME, EMAIL, SLACK_ID, TEXTS["expertise"]
    person(session, later, "olga", role=Role.MENTEE)
    second = pair(session, later, "q1", mentor="birgitte", mentee="olga", channel="CQ1")
    second.channel_name = f"mentoring-{TEXTS['channel']}-olga"

    _message(session, "welcome:participant=1", SLACK_ID, OutboxState.SENT,
             {"kind": "WelcomeFacts", "facts": {"participant": {"name": NAME, "goals": TEXTS["goals"]}}})
    _message(session, "reminder:participant=1", SLACK_ID, OutboxState.PENDING,
             {"kind": "ConsentReminderFacts", "facts": {"participant": {"name": NAME}, "number": 1}})
    _message(session, "pair-intro:1", "CP1", OutboxState.SENT,
             {"kind": "PairIntroFacts", "facts": {"mentee": {"name": "Someone"}}})
    _message(session, f"digest:1:to={COORDINATOR_SLACK_ID}", "mentoring-coordinators", OutboxState.FAILED,
             {"kind": "DigestFacts", "facts": {"stuck": [{"name": NAME, "email": EMAIL}]}})
    _message(session, f"channel-missing:1:CX:{SLACK_ID}", SLACK_ID, OutboxState.CANCELLED,
             {"kind": "ChannelMissingFacts", "facts": {"user": SLACK_ID}}, cancel_reason="test")
    other = _message(session, "welcome:participant=999", "UOTHER", OutboxState.PENDING,
                     {"kind": "WelcomeFacts", "facts": {"participant": {"name": "Birgitte Sønder"}}})
    session.flush()
    her_ids = (her.id, again.id)
    return ErasureWorld(world=world, later=later, her_ids=her_ids, pair_ids=(first.id, second.id),
                        other_outbox_id=other.id)


def _proposal(world: World, her_id: int) -> dict[str, Any]:
    people = world.people
    return {
        "version": 1, "round_id": world.round_id, "round_name": "Spring 2027", "programme_name": "x",
        "total_score": 10.0,
        "pairs": [{"mentor_id": people["m1"], "mentee_id": her_id, "score": 7.5, "locked": False,
                   "components": [{"code": "matching.reason.same_field", "points": 4,
                                   "params": {"field": TEXTS["reason"]}}]},
                  {"mentor_id": people["m2"], "mentee_id": people["e2"], "score": 3.0, "locked": False,
                   "components": [{"code": "matching.reason.same_field", "points": 3,
                                   "params": {"field": "finance"}}]}],
        "unmatched": [{"participant_id": her_id, "role": "mentee", "reason_code": "x",
                       "params": {"field": TEXTS["field"]}}],
        "problems": [{"code": "p", "params": {"detail": TEXTS["problem"]}, "mentor_id": people["m1"],
                      "mentee_id": her_id}],
        "forbidden": [[people["m2"], her_id]], "ended": [],
        "names": {str(her_id): NAME, str(people["m1"]): "M1", str(people["e2"]): "E2"},
        "published_by": COORDINATOR_SLACK_ID,
    }


def _message(session: Session, key: str, target: str, state: OutboxState, facts: dict[str, Any], *,
             cancel_reason: str | None = None) -> OutboxMessage:
    sent = state is OutboxState.SENT
    row = OutboxMessage(dedup_key=key, method="notice", target=target,
                        payload={"channel": target, "language": "en", **facts},
                        not_before=REPORT_NOW, state=state, attempts=1 if sent else 0, cancel_reason=cancel_reason,
                        sent_at=REPORT_NOW if sent else None,
                        response={"ts": "1.0", "channel": "D" + target[1:]} if sent else None, created_at=REPORT_NOW)
    session.add(row)
    session.flush()
    return row


# --- finding markers anywhere -----------------------------------------------------------------------------


def stored_text(session: Session) -> dict[tuple[str, str], list[str]]:
    """Every text and JSON value in the database, per (table, column): what a marker is looked for in."""
    found: dict[tuple[str, str], list[str]] = {}
    for table in Base.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, (String, Text, JSON))]
        if not columns:
            continue
        for row in session.execute(select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                if value is not None:
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    found.setdefault((table.name, column.name), []).append(text)
    return found


def where_markers_are(session: Session, markers: tuple[str, ...] = MARKERS) -> set[tuple[str, str]]:
    """(table, column) still holding one of the markers anywhere."""
    return {place for place, texts in stored_text(session).items()
            if any(marker in text for marker in markers for text in texts)}


__all__ = [
    "ADA_EMAIL", "ADA_NAME", "ADA_SLACK", "COORDINATOR_MARKERS", "COORDINATOR_SLACK_ID", "EMAIL", "MARKERS", "NAME",
    "SEEDED_AT", "SLACK_ID", "TEXTS", "ErasureWorld", "SeededPerson", "seed_erasure_world", "seed_person_everywhere",
    "stored_text", "where_markers_are",
]
