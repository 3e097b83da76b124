"""A round for the weekly digest, with what a coordinator would count by hand on Monday
15 March 2027 (cadence 14 days from Monday 1 February: three windows have ended).

Pairs (mentor + mentee, sessions held):
- "ok":    sessions 3 Feb, 20 Feb, 9 Mar  -> on cadence (9 Mar: the one session this week)
- "late":  a session on 3 Feb only          -> windows 15 Feb and 1 Mar missed: 2, late
- "quiet": no session at all                -> 3 windows missed: going quiet
- "one":   a session on 20 Feb              -> only the 1 Mar window missed: not flagged
- "help":  a session on 20 Feb; the 1 Mar check-in answered "We'd like help" by the mentee
- "away":  no session, but the mentee is paused until 18 March -> not late; pause ends this week
Onboarding: "nina" (a mentee) is not in Slack; "olga" (a mentor) has not consented yet.
Midway survey (opened 1 March): "ana" is past both reminders and has not answered; "ben" had
one reminder; "carl" answered; "dora" is past both reminders but withdrew her evaluation
consent. Midway meeting Thursday 18 March: "ana" said yes, "ben" no, nobody else answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from storage.models import (
    Checkin,
    CheckinAnswer,
    ConsentPurpose,
    MeetingKind,
    MeetingRsvp,
    Participant,
    Role,
    RsvpAnswer,
    Survey,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import EPOCH, World, consent, held, meeting, new_world, pair, person

UTC = timezone.utc
# Monday 15 March 2027, 09:30 in Copenhagen (UTC+1).
DIGEST_NOW = datetime(2027, 3, 15, 8, 30, tzinfo=UTC)
WEEK = "2027-W11"

# The hand count: which pairs the digest must list as behind, and how.
LATE_PAIRS = {"late": 2}  # pair key -> windows missed
QUIET_PAIRS = {"quiet": 3}
HELP_PAIRS = {"help"}
PAUSE_ENDING = {"away": date(2027, 3, 18)}
STUCK_PEOPLE = {"Nina", "Olga"}
SURVEY_UNANSWERED = ("Ana",)  # names the coordinator may ask kindly
RSVP_OPEN = 11  # 13 mentors and mentees in Slack (olga too), ana and ben answered
MEETING_TITLE = "Midway <!channel> meeting"
SESSIONS_THIS_WEEK = 1  # 9 March, within the 7 days up to 15 March
SESSIONS_TOTAL = 6
ON_CADENCE = 1  # "ok" only
MEASURED_PAIRS = 5  # six pairs, "away" is paused


def not_digests(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A channel's messages without the weekly digest, for tests about other coordinator news
    that tick on a Monday morning (the digest's default time)."""
    return [message for message in messages
            if not str(message.get("text", "")).startswith(("Weekly digest for ", "Ugens oversigt for "))]


@dataclass(frozen=True)
class DigestRound:
    world: World
    coordinator_user: str = "UMETTE"


def build_digest_round(session: Session, *, coordinator_channel: str | None = "CCOORD") -> DigestRound:
    world = new_world(session, coordinator_channel=coordinator_channel)
    person(session, world, "mette", role=Role.COORDINATOR, language="da")
    pairs = ("ok", "late", "quiet", "one", "help", "away")
    for key in pairs:
        person(session, world, f"{key}mentor", role=Role.MENTOR)
        person(session, world, f"{key}mentee", role=Role.MENTEE, tz="Europe/London")
        pair(session, world, key, mentor=f"{key}mentor", mentee=f"{key}mentee")
    for day in (date(2027, 2, 3), date(2027, 2, 20), date(2027, 3, 9)):
        held(session, world, "ok", day)
    held(session, world, "late", date(2027, 2, 3))
    held(session, world, "one", date(2027, 2, 20))
    held(session, world, "help", date(2027, 2, 20))
    session.add(Checkin(pair_id=world.pairs["help"], window_start=date(2027, 3, 1), asked_at=datetime(2027, 3, 1, 9, tzinfo=UTC),
                        answer=CheckinAnswer.HELP, answered_by_id=world.people["helpmentee"],
                        answered_at=datetime(2027, 3, 2, 9, tzinfo=UTC)))
    away = session.get(Participant, world.people["awaymentee"])
    assert away is not None
    away.paused_until = date(2027, 3, 18)
    person(session, world, "nina", role=Role.MENTEE, slack=False)
    person(session, world, "olga", role=Role.MENTOR, consented=False)
    survey = Survey(round_id=world.round_id, kind=SurveyKind.MIDWAY, number=1,
                    opens_at=datetime(2027, 3, 1, 9, tzinfo=UTC), closes_at=datetime(2027, 3, 15, 9, tzinfo=UTC),
                    created_at=EPOCH)
    session.add(survey)
    session.flush()
    for key, name, reminders, answered, granted in (
        ("ana", "okmentee", 2, False, True), ("ben", "latementee", 1, False, True),
        ("carl", "onementee", 2, True, True), ("dora", "quietmentee", 2, False, False),
    ):
        participant = session.get(Participant, world.people[name])
        assert participant is not None
        participant.name = key.capitalize()
        consent(session, world, name, ConsentPurpose.EVALUATION, granted=granted)
        session.add(SurveyInvitation(survey_id=survey.id, participant_id=participant.id, asked_at=survey.opens_at,
                                     reminders_sent=reminders,
                                     answered_at=datetime(2027, 3, 5, tzinfo=UTC) if answered else None,
                                     created_at=EPOCH))
    midway = meeting(session, world, "midway", kind=MeetingKind.MIDWAY,
                     starts_at=datetime(2027, 3, 18, 16, tzinfo=UTC), title=MEETING_TITLE)
    session.add_all([
        MeetingRsvp(meeting_id=midway.id, participant_id=world.people["okmentee"], answer=RsvpAnswer.YES,
                    answered_at=EPOCH),
        MeetingRsvp(meeting_id=midway.id, participant_id=world.people["latementee"], answer=RsvpAnswer.NO,
                    answered_at=EPOCH),
    ])
    session.flush()
    return DigestRound(world=world)
