"""Small builders for domain rows, so tests say only what matters to them."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from storage.models import Participant, Programme, Role, Round

EPOCH = datetime(2027, 1, 1, tzinfo=timezone.utc)


def make_round(session: Session, *, name: str = "Spring 2027", programme_name: str = "Career Mentoring") -> Round:
    programme = Programme(name=programme_name, default_language="en", timezone="Europe/Copenhagen", created_at=EPOCH)
    round_ = Round(
        programme=programme, name=name, starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 31),
        session_every_days=14, created_at=EPOCH,
    )
    session.add_all([programme, round_])
    session.flush()
    return round_


def make_participant(
    session: Session,
    *,
    round_: Round,
    role: Role = Role.MENTEE,
    email: str = "ana@example.org",
    name: str = "Ana",
    slack_user_id: str | None = None,
    language: str = "en",
    timezone_name: str | None = "Europe/Copenhagen",
) -> Participant:
    participant = Participant(
        round=round_, role=role, email=email, name=name, slack_user_id=slack_user_id, language=language,
        timezone=timezone_name, created_at=EPOCH, updated_at=EPOCH,
    )
    session.add(participant)
    session.flush()
    return participant
