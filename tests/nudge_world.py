"""A small round for the nudge, pause and timeline tests: people in several zones, pairs with
channels, meetings, all consented. Tests say only what differs from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from storage.models import (
    Consent,
    ConsentPurpose,
    MeetingKind,
    MentoringSession,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
    SharedMeeting,
)

UTC = timezone.utc
EPOCH = datetime(2027, 1, 1, tzinfo=UTC)
# Monday 1 February 2027: the round starts; pair channels open that morning.
ROUND_START = date(2027, 2, 1)
ROUND_END = date(2027, 5, 21)
CHANNELS_OPEN = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)


@dataclass
class World:
    round_id: int
    programme_id: int
    people: dict[str, int] = field(default_factory=dict)  # key -> participant id
    pairs: dict[str, int] = field(default_factory=dict)  # key -> pair id
    meetings: dict[str, int] = field(default_factory=dict)


def person(
    session: Session,
    world: World,
    key: str,
    *,
    role: Role,
    tz: str | None = "Europe/Copenhagen",
    language: str = "en",
    consented: bool = True,
    slack: bool = True,
) -> Participant:
    participant = Participant(
        round_id=world.round_id, role=role, email=f"{key}@example.org", name=key.capitalize(),
        slack_user_id=f"U{key.upper()}" if slack else None, timezone=tz, language=language,
        welcome_sent_at=EPOCH if slack else None, consented_at=EPOCH if consented else None,
        profile_completed_at=EPOCH if consented else None, created_at=EPOCH, updated_at=EPOCH,
    )
    session.add(participant)
    session.flush()
    world.people[key] = participant.id
    return participant


def pair(
    session: Session, world: World, key: str, *, mentor: str, mentee: str, channel: str | None = None,
    opened: datetime | None = CHANNELS_OPEN,
) -> Pair:
    row = Pair(
        round_id=world.round_id, mentor_id=world.people[mentor], mentee_id=world.people[mentee],
        status=PairStatus.ACTIVE, slack_channel_id=channel or f"C{key.upper()}", channel_opened_at=opened,
        published_at=EPOCH, created_at=EPOCH,
    )
    session.add(row)
    session.flush()
    world.pairs[key] = row.id
    return row


def meeting(
    session: Session, world: World, key: str, *, kind: MeetingKind, starts_at: datetime, title: str = ""
) -> SharedMeeting:
    row = SharedMeeting(round_id=world.round_id, kind=kind, title=title or kind.value.replace("_", " ").title(),
                        starts_at=starts_at, location="DTU Lyngby")
    session.add(row)
    session.flush()
    world.meetings[key] = row.id
    return row


def held(session: Session, world: World, pair_key: str, on: date, *, by: str | None = None) -> MentoringSession:
    """A 1:1 session as the session-logging feature would store it."""
    pair_row = session.get(Pair, world.pairs[pair_key])
    assert pair_row is not None
    row = MentoringSession(pair_id=pair_row.id, held_on=on, duration_minutes=60, topics=["cv"],
                           logged_by_id=world.people[by] if by else pair_row.mentor_id, created_at=EPOCH,
                           updated_at=EPOCH)
    session.add(row)
    session.flush()
    return row


def new_world(
    session: Session, *, coordinator_channel: str | None = "mentoring-coordinators", every_days: int = 14,
    name: str = "Spring 2027",
) -> World:
    programme = Programme(name=f"Career Mentoring {name}", default_language="en", timezone="Europe/Copenhagen",
                          coordinator_channel=coordinator_channel, created_at=EPOCH)
    round_ = Round(programme=programme, name=name, starts_on=ROUND_START, ends_on=ROUND_END,
                   session_every_days=every_days, created_at=EPOCH)
    session.add_all([programme, round_])
    session.flush()
    return World(round_id=round_.id, programme_id=programme.id)


def standard_world(session: Session, *, coordinator_channel: str | None = "mentoring-coordinators") -> World:
    """Lars (Copenhagen) mentors Ana (London); Mette (Copenhagen) coordinates."""
    world = new_world(session, coordinator_channel=coordinator_channel)
    person(session, world, "lars", role=Role.MENTOR)
    person(session, world, "ana", role=Role.MENTEE, tz="Europe/London")
    person(session, world, "mette", role=Role.COORDINATOR, language="da")
    pair(session, world, "la", mentor="lars", mentee="ana")
    return world


def consent(session: Session, world: World, key: str, purpose: ConsentPurpose, *, granted: bool = True,
            at: datetime = EPOCH) -> None:
    """Record one consent answer as onboarding would (the row is unique per person and purpose)."""
    participant_id = world.people[key]
    row = session.query(Consent).filter_by(participant_id=participant_id, purpose=purpose).one_or_none()
    if row is None:
        session.add(Consent(participant_id=participant_id, purpose=purpose, granted=granted, decided_at=at))
    else:
        row.granted = granted
        row.decided_at = at
    session.flush()
