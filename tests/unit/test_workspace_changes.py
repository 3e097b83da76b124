"""The rules behind workspace changes, in one transaction each (the scenario test drives them
through Slack): the send stop and its resumption, and departures and returns."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.notices import decode_facts
from bot.core.workspace import UNKNOWN_TEAM, resume_sending, sending_stopped, stop_sending
from bot.pairs.departures import (
    PersonBackInWorkspace,
    PersonLeftWorkspace,
    participant_back_in_workspace,
    participant_left_workspace,
)
from storage.models import OutboxMessage, PairStatus, Role
from tests.nudge_world import new_world, pair, person

NOW = datetime(2027, 2, 3, 13, 0, tzinfo=timezone.utc)


def test_a_stop_is_recorded_once_and_keeps_its_first_reason(session: Session) -> None:
    assert stop_sending(session, team_id="T1", because="app_uninstalled", now=NOW)
    assert not stop_sending(session, team_id="T1", because="tokens_revoked", now=NOW + timedelta(seconds=5))
    stopped = sending_stopped(session)
    assert stopped is not None and (stopped.team_id, stopped.because, stopped.since) == ("T1", "app_uninstalled", NOW)
    assert stop_sending(session, team_id=None, because="invalid_auth", now=NOW)  # a dead token names no team
    assert sending_stopped(session, team_id="T2") is not None  # single-workspace: the unknown team's stop counts
    assert resume_sending(session, team_id="T1", now=NOW) == 2  # the team's own row and the unknown one
    assert sending_stopped(session) is None
    assert stop_sending(session, team_id="T1", because="tokens_revoked", now=NOW)  # stopped again later
    assert resume_sending(session, now=NOW) == 1
    assert UNKNOWN_TEAM == "unknown"


def _coordinator_facts(session: Session) -> list[object]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith("workspace-"))
                           .order_by(OutboxMessage.id))
    return [decode_facts(row.payload) for row in rows]


def test_a_person_without_a_pair_is_reported_and_nothing_is_paused(session: Session) -> None:
    world = new_world(session)
    person(session, world, "ana", role=Role.MENTEE)
    person(session, world, "mette", role=Role.COORDINATOR)
    outcome = participant_left_workspace(session, slack_user_id="UANA", now=NOW)
    assert (outcome.told, outcome.paused_pairs) == (1, 0)
    [facts] = _coordinator_facts(session)
    assert facts == PersonLeftWorkspace(name="Ana", role=Role.MENTEE, round_name="Spring 2027", partner_names=())
    assert participant_left_workspace(session, slack_user_id="UANA", now=NOW + timedelta(hours=1)).told == 0


def test_someone_who_never_left_is_not_back(session: Session) -> None:
    world = new_world(session)
    person(session, world, "ana", role=Role.MENTEE)
    assert participant_back_in_workspace(session, slack_user_id="UANA", now=NOW).told == 0
    assert _coordinator_facts(session) == []
    assert participant_left_workspace(session, slack_user_id="UNOBODY", now=NOW).told == 0


def test_a_coordinators_open_pause_is_neither_taken_over_nor_lifted(session: Session) -> None:
    world = new_world(session)
    person(session, world, "lars", role=Role.MENTOR)
    person(session, world, "ana", role=Role.MENTEE)
    row = pair(session, world, "la", mentor="lars", mentee="ana")
    row.status, row.paused_until, row.pause_reason = PairStatus.PAUSED, None, "coordinators: on hold"
    session.flush()
    assert participant_left_workspace(session, slack_user_id="UANA", now=NOW).paused_pairs == 0
    back = participant_back_in_workspace(session, slack_user_id="UANA", now=NOW + timedelta(days=1))
    assert back.resumed_pairs == 0
    session.refresh(row)
    assert (row.status, row.pause_reason) == (PairStatus.PAUSED, "coordinators: on hold")
    *_, told = _coordinator_facts(session)
    assert told == PersonBackInWorkspace(name="Ana", role=Role.MENTEE, round_name="Spring 2027")


def test_back_while_the_partner_is_away_keeps_the_pair_paused(session: Session) -> None:
    world = new_world(session)
    lars = person(session, world, "lars", role=Role.MENTOR)
    person(session, world, "ana", role=Role.MENTEE)
    row = pair(session, world, "la", mentor="lars", mentee="ana")
    participant_left_workspace(session, slack_user_id="UANA", now=NOW)
    lars.paused_until = date(2027, 3, 1)  # Lars took a break meanwhile
    session.flush()
    back = participant_back_in_workspace(session, slack_user_id="UANA", now=NOW + timedelta(days=2))
    assert back.resumed_pairs == 0
    session.refresh(row)
    # Paused for Lars's dated break now, which ends by itself (until further notice, it
    # stayed paused after the break was over).
    assert (row.status, row.paused_until, row.pause_reason) == (PairStatus.PAUSED, date(2027, 3, 1), None)
    *_, told = _coordinator_facts(session)
    assert isinstance(told, PersonBackInWorkspace) and told.still_paused_with == ("Lars",)
    # Lars's break ends, but now he has left the workspace: still paused while he is away.
    lars.paused_until = None
    session.flush()
    participant_left_workspace(session, slack_user_id="UANA", now=NOW + timedelta(days=3))
    participant_left_workspace(session, slack_user_id="ULARS", now=NOW + timedelta(days=3))
    assert participant_back_in_workspace(session, slack_user_id="UANA", now=NOW + timedelta(days=4)).resumed_pairs == 0
    assert participant_back_in_workspace(session, slack_user_id="ULARS", now=NOW + timedelta(days=4)).resumed_pairs == 1
    session.refresh(row)
    assert (row.status, row.pause_reason) == (PairStatus.ACTIVE, None)
