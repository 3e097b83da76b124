"""Builders for matching tests: participants who finished onboarding, pairs, earlier rounds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from storage.models import Pair, PairStatus, Participant, Programme, Role, Round
from tests.factories import EPOCH

READY_AT = datetime(2027, 1, 20, 10, 0, tzinfo=timezone.utc)


def make_round_in(session: Session, *, programme: Programme | None = None, programme_name: str = "Career Mentoring",
                  name: str = "Spring 2027", starts_on: date = date(2027, 2, 1),
                  ends_on: date = date(2027, 5, 31)) -> Round:
    """A round, in an existing programme or a new one."""
    if programme is None:
        programme = Programme(name=programme_name, default_language="en", timezone="Europe/Copenhagen",
                              created_at=EPOCH)
        session.add(programme)
    round_ = Round(programme=programme, name=name, starts_on=starts_on, ends_on=ends_on, session_every_days=14,
                   created_at=EPOCH)
    session.add(round_)
    session.flush()
    return round_


def make_ready(
    session: Session,
    *,
    round_: Round,
    role: Role,
    email: str,
    name: str | None = None,
    languages: Sequence[str] = ("English",),
    field: str | None = None,
    interests: Sequence[str] = (),
    goals: str | None = None,
    expertise: str | None = None,
    max_mentees: int = 1,
    timezone_name: str = "Europe/Copenhagen",
    language: str = "en",
    slack_user_id: str | None = None,
    ready: bool = True,
) -> Participant:
    """A mentor or mentee in Slack, welcomed, consented and profiled (unless ``ready`` is False)."""
    person = Participant(
        round=round_, role=role, email=email, name=name or email.split("@")[0].title(),
        slack_user_id=slack_user_id or "U" + email.split("@")[0].upper().replace(".", ""),
        language=language, timezone=timezone_name, field=field, languages=list(languages),
        interests=list(interests), goals=goals, expertise=expertise, max_mentees=max_mentees,
        welcome_sent_at=EPOCH, consented_at=READY_AT if ready else None,
        profile_completed_at=READY_AT if ready else None, created_at=EPOCH, updated_at=EPOCH,
    )
    session.add(person)
    session.flush()
    return person


def make_pair(session: Session, *, mentor: Participant, mentee: Participant, published: bool = True,
              status: PairStatus = PairStatus.ACTIVE) -> Pair:
    pair = Pair(round_id=mentor.round_id, mentor_id=mentor.id, mentee_id=mentee.id, status=status,
                published_at=READY_AT if published else None, created_at=EPOCH)
    session.add(pair)
    session.flush()
    return pair
