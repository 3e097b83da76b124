"""A round whose surveys open on known mornings, for the survey handler and scenario tests.

The nudge world's round (1 February to 21 May 2027): Lars mentors Ana, both consented to
the evaluation; Lars in Copenhagen, Ana in London. Pulse 1 opens on Monday 22 February, the
midway survey after the midway meeting of 24 March, the company survey the day after the
round ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.surveys.service import due_surveys
from storage.models import (
    ConsentPurpose,
    MeetingKind,
    Participant,
    Role,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import World, consent, meeting, person

UTC = timezone.utc
PULSE_MORNING = datetime(2027, 2, 22, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Copenhagen: Lars's slot
LONDON_MORNING = datetime(2027, 2, 22, 10, 0, tzinfo=UTC)  # 10:00 in London: Ana's slot
PULSE_CLOSES = datetime(2027, 3, 14, 23, 0, tzinfo=UTC)  # when pulse 2 opens
MIDWAY_ENDS = datetime(2027, 3, 24, 17, 0, tzinfo=UTC)
MIDWAY_MORNING = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)  # Thursday, 10:00 in Copenhagen
COMPANY_MORNING = datetime(2027, 5, 24, 8, 0, tzinfo=UTC)  # Monday, 10:00 in Copenhagen (summer time)


def with_surveys(session: Session, world: World) -> World:
    """Consent to the evaluation for Lars and Ana, and the midway meeting."""
    for key in ("lars", "ana"):
        consent(session, world, key, ConsentPurpose.EVALUATION)
    meeting(session, world, "midway", kind=MeetingKind.MIDWAY, starts_at=MIDWAY_ENDS - timedelta(hours=2))
    return world


def company_contact(session: Session, world: World, *, key: str = "sofie", company: str = "Novo Nordisk",
                    slack: bool = True, language: str = "en") -> Participant:
    """A company contact of the round (not onboarded: no consent yet); a mentee's partner works there."""
    contact = person(session, world, key, role=Role.COMPANY_CONTACT, slack=slack, consented=False, language=language)
    contact.company = company
    partner = session.get_one(Participant, world.people["ana"])
    partner.partner_company = company
    session.flush()
    return contact


def ask(session: Session, now: datetime) -> None:
    """What the tick's `surveys` job does at `now` (the notices are the tick's to queue)."""
    due_surveys(session, now=now)


def invitation_of(session: Session, user_id: str, kind: SurveyKind) -> int:
    """The id of this person's invitation to the (first) survey of that kind."""
    found = session.scalar(
        select(SurveyInvitation.id)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .join(Participant, Participant.id == SurveyInvitation.participant_id)
        .where(Participant.slack_user_id == user_id, Survey.kind == kind)
        .order_by(Survey.number)
        .limit(1)
    )
    assert found is not None, f"{user_id} has no {kind.value} invitation"
    return found


def answers_of(session: Session, user_id: str) -> dict[str, int | str | None]:
    """Every answer on record for this person: question -> value (or the comment's text)."""
    rows = session.execute(
        select(SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.text)
        .join(Participant, Participant.id == SurveyAnswer.participant_id)
        .where(Participant.slack_user_id == user_id)
    ).all()
    return {row.question: row.value if row.value is not None else row.text for row in rows}


__all__ = [
    "COMPANY_MORNING",
    "LONDON_MORNING",
    "MIDWAY_ENDS",
    "MIDWAY_MORNING",
    "PULSE_CLOSES",
    "PULSE_MORNING",
    "answers_of",
    "ask",
    "company_contact",
    "invitation_of",
    "with_surveys",
]
