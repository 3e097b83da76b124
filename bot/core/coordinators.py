"""Who coordinates what, and where news for a round's coordinators goes: the programme's
coordinator channel when it has one, otherwise a DM to each coordinator of the round who is
in Slack."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.people import identify
from bot.core.workspace import Workspace
from bot.i18n import normalise_language
from storage.models import Participant, Programme, Role, Round


def coordinated_round_ids(
    session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = ()
) -> set[int]:
    """The rounds of this workspace this person coordinates (an admin named in
    MENTORBOT_ADMINS: every round of the workspace).

    The one rule behind every coordinator's reach: a coordinator of one programme's round
    may see and change that round, never another programme's, and nothing of another
    workspace. `identify` reads it, so a handler's Viewer and a service's check can never
    disagree."""
    return set(identify(session, slack_user_id=slack_user_id, workspace=workspace,
                        admin_user_ids=admin_user_ids).coordinated_round_ids)


@dataclass(frozen=True, kw_only=True)
class CoordinatorReach:
    """One place a round's coordinators are told things: where, in which workspace (the
    programme's team, whose token sends there), in which language, and in which time zone
    their working hours are."""

    target: str
    team_id: str
    language: str
    timezone: str | None


def coordinator_reach(session: Session, *, round_id: int) -> list[CoordinatorReach]:
    """The coordinator channel (programme's language and zone), or else each coordinator in
    Slack in a DM (their own language and zone, the programme's where they have none)."""
    round_ = session.get(Round, round_id)
    programme = session.get(Programme, round_.programme_id) if round_ else None
    if round_ is None or programme is None:
        return []
    if programme.coordinator_channel:
        return [CoordinatorReach(target=programme.coordinator_channel.lstrip("#"), team_id=programme.team_id,
                                 language=normalise_language(programme.default_language), timezone=programme.timezone)]
    rows = session.execute(
        select(Participant.slack_user_id, Participant.language, Participant.timezone).where(
            Participant.round_id == round_id,
            Participant.role == Role.COORDINATOR,
            Participant.slack_user_id.is_not(None),
            Participant.opted_out_at.is_(None),
        ).order_by(Participant.id)
    ).all()
    return [
        CoordinatorReach(
            target=user_id,
            team_id=programme.team_id,
            language=normalise_language(language) if language else normalise_language(programme.default_language),
            timezone=zone_name or programme.timezone,
        )
        for user_id, language, zone_name in rows
        if user_id
    ]

