"""A round six months on, for outcome and follow-up tests in every layer.

Spring 2027 ends on 31 May 2027, so its mentees are followed up on Tuesday 30 November
2027: at 10:00 in Copenhagen (09:00 UTC), at 10:00 in Los Angeles (18:00 UTC).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from storage.models import (
    Consent,
    ConsentPurpose,
    Pair,
    PairStatus,
    Participant,
    Role,
    Round,
    Survey,
    SurveyKind,
)
from tests.factories import EPOCH, make_participant, make_round

UTC = timezone.utc
ROUND_ENDS = date(2027, 5, 31)
FOLLOW_UP_DAY = date(2027, 11, 30)  # a Tuesday
COPENHAGEN_SLOT = datetime(2027, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen
LOS_ANGELES_SLOT = datetime(2027, 11, 30, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles


def _person(session: Session, round_: Round, *, key: str, role: Role, name: str, language: str = "en",
            timezone_name: str = "Europe/Copenhagen", in_slack: bool = True) -> Participant:
    person = make_participant(session, round_=round_, role=role, email=f"{key}@example.org", name=name,
                              slack_user_id=f"U{key.upper()}" if in_slack else None, language=language,
                              timezone_name=timezone_name)
    person.welcome_sent_at = person.consented_at = person.profile_completed_at = EPOCH
    return person


def follow_up_consent(session: Session, participant: Participant, *, granted: bool) -> None:
    session.add(Consent(participant_id=participant.id, purpose=ConsentPurpose.FOLLOW_UP, granted=granted,
                        decided_at=EPOCH))
    session.flush()


def seed_outcome_world(session: Session) -> dict[str, int]:
    """Participant ids by key:

    - ana: mentee in Copenhagen, English, agreed to the follow-up, had a pair;
    - birgit: mentee in Copenhagen, Danish, agreed, had a pair that ended early;
    - carla: mentee in Los Angeles, agreed, had a pair;
    - dina: mentee who said no to the follow-up, had a pair;
    - emil: mentee who agreed but was never matched (a draft pair only);
    - soeren: their mentor (Danish); mette: their coordinator (Danish);
    - olga: coordinator of another round, with its mentee oscar;
    - firma: a company contact of Spring 2027, not in Slack.
    """
    round_ = make_round(session)
    round_.ends_on = ROUND_ENDS
    other = make_round(session, name="Autumn 2027", programme_name="Other programme")
    other.starts_on, other.ends_on = date(2027, 8, 1), date(2027, 12, 15)
    people = {
        "ana": _person(session, round_, key="ana", role=Role.MENTEE, name="Ana Souza"),
        "birgit": _person(session, round_, key="birgit", role=Role.MENTEE, name="Birgit Åsa Holm", language="da"),
        "carla": _person(session, round_, key="carla", role=Role.MENTEE, name="Carla Ruiz",
                         timezone_name="America/Los_Angeles"),
        "dina": _person(session, round_, key="dina", role=Role.MENTEE, name="Dina Haddad"),
        "emil": _person(session, round_, key="emil", role=Role.MENTEE, name="Emil Berg"),
        "soeren": _person(session, round_, key="soeren", role=Role.MENTOR, name="Søren Holm", language="da"),
        "mette": _person(session, round_, key="mette", role=Role.COORDINATOR, name="Mette", language="da"),
        "firma": _person(session, round_, key="firma", role=Role.COMPANY_CONTACT, name="Frida Firma", in_slack=False),
        "olga": _person(session, other, key="olga", role=Role.COORDINATOR, name="Olga"),
        "oscar": _person(session, other, key="oscar", role=Role.MENTEE, name="Oscar Ana Lima"),
    }
    people["firma"].company = "Nordisk Byg A/S"
    mentor = people["soeren"]
    for key in ("ana", "birgit", "carla", "dina"):
        # Half a year on, the pair channels were archived long ago.
        pair = Pair(round=round_, mentor=mentor, mentee=people[key], created_at=EPOCH, published_at=EPOCH,
                    slack_channel_id=f"C{key.upper()}", channel_opened_at=EPOCH, channel_archived_at=EPOCH)
        if key == "birgit":
            pair.status, pair.ended_at, pair.end_reason = PairStatus.ENDED, EPOCH, "found_job"
        session.add(pair)
    session.add(Pair(round=round_, mentor=mentor, mentee=people["emil"], created_at=EPOCH))  # never published
    session.flush()
    for key in ("ana", "birgit", "carla", "emil", "oscar"):
        follow_up_consent(session, people[key], granted=True)
    follow_up_consent(session, people["dina"], granted=False)
    return {key: person.id for key, person in people.items()}


COMPANY_SURVEY_OPENS = datetime(2027, 5, 31, 22, 0, tzinfo=UTC)  # 1 June, midnight in Copenhagen
COMPANY_SURVEY_DAY = datetime(2027, 6, 8, 9, 0, tzinfo=UTC)  # a week into it


def open_company_survey(session: Session, participant_id: int) -> int:
    """The company survey of this participant's round, open for June 2027 (as the surveys'
    tick would open it the day after the round); its id."""
    participant = session.get_one(Participant, participant_id)
    survey = Survey(round_id=participant.round_id, kind=SurveyKind.COMPANY, number=1, opens_at=COMPANY_SURVEY_OPENS,
                    closes_at=COMPANY_SURVEY_OPENS + timedelta(days=30), created_at=COMPANY_SURVEY_OPENS)
    session.add(survey)
    session.flush()
    return survey.id
