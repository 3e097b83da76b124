"""Who is asking: their language and what they may do.

A Slack user can be a participant in several rounds (a mentor who returns); the newest
round decides their language, and being a coordinator in any round, or being named in
MENTORBOT_ADMINS, makes them a coordinator. Which rounds they coordinate is read in the
same query: the handlers resolve a Viewer once per request and every check reads it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import normalise_language
from storage.models import Participant, Role, Round


@dataclass(frozen=True, kw_only=True)
class Viewer:
    slack_user_id: str
    language: str
    roles: frozenset[Role]
    participant_ids: tuple[int, ...]
    #: The rounds they coordinate; None means every round (named in MENTORBOT_ADMINS).
    coordinated_round_ids: frozenset[int] | None = frozenset()

    @property
    def is_coordinator(self) -> bool:
        return Role.COORDINATOR in self.roles

    def coordinates(self, round_id: int) -> bool:
        """May see and change this round as its coordinator (an admin: any round)."""
        return self.coordinated_round_ids is None or round_id in self.coordinated_round_ids

    @property
    def is_participant(self) -> bool:
        return bool(self.roles & {Role.MENTOR, Role.MENTEE})

    @property
    def in_programme(self) -> bool:
        """In some round in any role (or an admin): False for someone the bot does not know yet."""
        return bool(self.roles)


def identify(session: Session, *, slack_user_id: str, admin_user_ids: Collection[str] = ()) -> Viewer:
    """Who this is, in one query: the one rule for language, roles and coordinated rounds."""
    rows = session.execute(
        select(Participant.id, Participant.role, Participant.language, Participant.round_id)
        .join(Round, Round.id == Participant.round_id)
        .where(Participant.slack_user_id == slack_user_id)
        .order_by(Round.starts_on.desc(), Participant.id.desc())
    ).all()
    roles = {row.role for row in rows}
    is_admin = slack_user_id in admin_user_ids
    if is_admin:
        roles.add(Role.COORDINATOR)
    language = normalise_language(rows[0].language if rows else None)
    return Viewer(
        slack_user_id=slack_user_id,
        language=language,
        roles=frozenset(roles),
        participant_ids=tuple(row.id for row in rows),
        coordinated_round_ids=None if is_admin else frozenset(
            row.round_id for row in rows if row.role == Role.COORDINATOR
        ),
    )


def coordinated_programme_ids(session: Session, viewer: Viewer) -> frozenset[int] | None:
    """The programmes this viewer coordinates a round of; None means every programme (an
    admin). A person's data belongs to their programme, so acts on a person rather than on
    one round (erasing them) are allowed to that programme's coordinators."""
    if viewer.coordinated_round_ids is None:
        return None
    if not viewer.coordinated_round_ids:
        return frozenset()
    return frozenset(session.scalars(
        select(Round.programme_id).where(Round.id.in_(viewer.coordinated_round_ids)).distinct()))


CONTACTS_LIMIT = 3  # a few names to ask, not the whole staff list


def contacts_for_outsiders(session: Session, *, today: date, admin_user_ids: Collection[str] = ()) -> list[str]:
    """Whom someone the bot does not know should ask to be added: Slack ids of the
    coordinators of rounds that have not ended (newest round first), else the bot's admins.

    Only people in Slack who still coordinate are named; an empty list means the answer has
    to point at whoever invited them."""
    rows = session.execute(
        select(Participant.slack_user_id)
        .join(Round, Round.id == Participant.round_id)
        .where(
            Participant.role == Role.COORDINATOR,
            Participant.slack_user_id.is_not(None),
            Participant.opted_out_at.is_(None),
            Round.ends_on >= today,
        )
        .order_by(Round.starts_on.desc(), Participant.id)
    ).scalars()
    coordinators = list(dict.fromkeys(user_id for user_id in rows if user_id))
    return (coordinators or sorted(admin_user_ids))[:CONTACTS_LIMIT]


def follow_time_zone_change(session: Session, *, slack_user_id: str, timezone: str | None, now: datetime) -> int:
    """Slack told us a person moved time zone (`user_change`); nudges follow them.

    Returns how many participant rows changed, so the caller can log a no-op."""
    if not timezone or not is_known_time_zone(timezone):
        return 0
    participants = session.scalars(select(Participant).where(Participant.slack_user_id == slack_user_id)).all()
    changed = 0
    for participant in participants:
        if participant.timezone != timezone:
            participant.timezone = timezone
            participant.updated_at = now
            changed += 1
    return changed


def is_known_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
