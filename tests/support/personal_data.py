"""A person with something stored in every field of the personal-data inventory, beside
people who are not them (for the export and erasure tests of issue 12).

Ada is a mentee in Spring 2027 (mentored by Lars) and a coordinator of another
programme's Autumn 2027 round, where her Slack id is stored on what she did. Lars and
Zoe (another mentee, with her own mentor Max) have their own private data, every value
of it a distinct marker, so a test can say which values must never reach Ada's export.
Ada's values are distinct markers too, so a test can find each inventory field's value.
Ada's name is hostile mrkdwn, as a name typed by anyone could be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.core.notices import Notice, Person, queue_notices
from bot.pairs.notices import PairPaused
from storage.models import (
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
    Participant,
    Role,
    RsvpAnswer,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import EPOCH, World, consent, meeting, new_world, pair, person

UTC = timezone.utc
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
        Notice(dedup_key=f"test:paused:{ADA_SLACK}", to=Person(ADA_SLACK), facts=PairPaused(
            name="ada-message-name", until=date(2027, 3, 20)), not_before=SEEDED_AT),
        Notice(dedup_key="test:paused:UZOE", to=Person("UZOE"), facts=PairPaused(
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
        "outbox_message.response": "1700000000.000100",
    }
    others = ("lars@example.org", "lars-goals", "lars-field", "lars-company", "lars-expertise", "zoe@example.org",
              "zoe-goals", "zoe-survey-comment", "zoe-disclosed-comment", "zoe-max-session-notes", "zoe-pair-pause",
              "zoe-proposal-field", "zoe-message-name", "UZOE", "pia-pair-pause", "Pia", "Zoe")
    return SeededPerson(world=world, coordinated=coordinated, participant_ids=(ada.id, ada_coordinator.id),
                        markers=markers, others_private=others)


__all__ = ["ADA_EMAIL", "ADA_NAME", "ADA_SLACK", "SEEDED_AT", "SeededPerson", "seed_person_everywhere"]
