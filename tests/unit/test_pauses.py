"""Pauses: reading the date in English and Danish, storing person and pair, no nudges while
paused, the pause ending by itself with a welcome back, and resuming early."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.pairs.end import end_pair
from bot.pairs.pauses import (
    PauseOutcome,
    PauseProblem,
    due_pause_endings,
    parse_pause,
    pause_participant,
    resume_participant,
)
from scheduling.ticks import run_tick
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState, Pair, PairStatus, Participant
from tests.nudge_world import World, standard_world
from tests.support.concurrency import at_first_write
from tests.support.notices import slack_payload
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc
TODAY = date(2027, 2, 3)  # a Wednesday
WEDNESDAY = datetime(2027, 2, 3, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "until", "reason"),
    [
        ("until 15 march", date(2027, 3, 15), None),
        ("until 15 March moving house", date(2027, 3, 15), "moving house"),
        ("until march 15 new job", date(2027, 3, 15), "new job"),
        ("15th of march", date(2027, 3, 15), None),
        ("until 2027-03-15", date(2027, 3, 15), None),
        ("until 15/3 barsel", date(2027, 3, 15), "barsel"),
        ("til 15. marts", date(2027, 3, 15), None),
        ("indtil 15. marts flytning", date(2027, 3, 15), "flytning"),
        ("til 3. okt.", None, None),  # more than six months ahead: too far (checked below)
        ("until 1 february", None, None),  # a date without a year that has passed: next year, too far
        ("until 10 feb 3 weeks in Spain", date(2027, 2, 10), "3 weeks in Spain"),
        ("until 15.3.2027", date(2027, 3, 15), None),
        ("til 1. august 2027", date(2027, 8, 1), None),
    ],
)
def test_dates_in_english_and_danish(text: str, until: date | None, reason: str | None) -> None:
    parsed = parse_pause(text, today=TODAY)
    if until is None:
        assert parsed.problem is PauseProblem.TOO_FAR
        return
    assert parsed.problem is None, parsed
    assert (parsed.until, parsed.reason) == (until, reason)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", PauseProblem.USAGE),
        ("until", PauseProblem.USAGE),
        ("until someday", PauseProblem.BAD_DATE),
        ("until 31 february", PauseProblem.BAD_DATE),
        ("until 2027-02-03", PauseProblem.PAST),
        ("until 2027-01-20", PauseProblem.PAST),
        ("until 2028-01-01", PauseProblem.TOO_FAR),
        ("until 15 march " + "x" * 501, PauseProblem.REASON_TOO_LONG),
    ],
)
def test_bad_input_is_explained(text: str, problem: PauseProblem) -> None:
    assert parse_pause(text, today=TODAY).problem is problem


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return standard_world(session)


def pause(
    session_factory: sessionmaker[Session], text: str, *, user: str = "UANA", now: datetime = WEDNESDAY
) -> PauseOutcome:
    with unit_of_work(session_factory) as session:
        return pause_participant(session, workspace=ONE_WORKSPACE, slack_user_id=user, text=text, now=now)


def outbox(session_factory: sessionmaker[Session], prefix: str) -> list[OutboxMessage]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith(prefix))
                                    .order_by(OutboxMessage.id)))


def test_a_pause_is_stored_on_the_person_and_pauses_the_pair(
    session_factory: sessionmaker[Session], world: World
) -> None:
    outcome = pause(session_factory, "until 1 march moving flat")
    assert outcome.paused and outcome.until == date(2027, 3, 1)
    with session_factory() as session:
        ana = session.get(Participant, world.people["ana"])
        pair = session.get(Pair, world.pairs["la"])
        assert ana is not None and pair is not None
        assert (ana.paused_until, ana.pause_reason) == (date(2027, 3, 1), "moving flat")
        assert (pair.status, pair.paused_until) == (PairStatus.PAUSED, date(2027, 3, 1))
    [notice] = outbox(session_factory, "pause:")
    assert notice.target == "CLA" and "Ana is taking a break" in slack_payload(notice)["text"]
    assert "moving flat" not in json.dumps(notice.payload), "the reason is private"
    assert "moving flat" not in json.dumps(slack_payload(notice)), "the reason is private"
    [coordinators] = outbox(session_factory, "pause-notice:")
    assert "moving flat" in slack_payload(coordinators)["text"] and coordinators.target == "mentoring-coordinators"


def test_bad_input_stores_nothing(session_factory: sessionmaker[Session], world: World) -> None:
    outcome = pause(session_factory, "until yesterday-ish")
    assert outcome.problem is PauseProblem.BAD_DATE and not outcome.paused
    with session_factory() as session:
        assert session.get(Participant, world.people["ana"]).paused_until is None
        assert session.get(Pair, world.pairs["la"]).status is PairStatus.ACTIVE
    assert outbox(session_factory, "") == []


def test_coordinators_cannot_pause(session_factory: sessionmaker[Session], world: World) -> None:
    assert pause(session_factory, "until 1 march", user="UMETTE").problem is PauseProblem.NOT_PARTICIPANT


def test_no_checkins_during_a_pause_and_a_welcome_back_when_it_ends(
    session_factory: sessionmaker[Session], world: World
) -> None:
    pause(session_factory, "until 1 march")
    instants = [datetime(2027, 2, day, 9, 0, tzinfo=UTC) for day in range(15, 29)]
    for instant in instants:
        result = run_tick(session_factory=session_factory, now=instant)
        assert result.enqueued["pair-checkins"] == 0 and result.enqueued["pause-endings"] == 0
    # Monday 1 March: the pause ends by itself; the pair is active, welcomed at 10:00.
    early = run_tick(session_factory=session_factory, now=datetime(2027, 3, 1, 6, 0, tzinfo=UTC))
    assert early.housekeeping["pause-endings"] == 1 and early.enqueued["pause-endings"] == 0
    with session_factory() as session:
        assert session.get(Pair, world.pairs["la"]).status is PairStatus.ACTIVE
    ten = run_tick(session_factory=session_factory, now=datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    assert ten.enqueued["pause-endings"] == 1
    assert ten.enqueued["pair-checkins"] == 0, "the windows restart from the day the pause ended"
    [welcome] = outbox(session_factory, "welcome-back:")
    assert welcome.dedup_key == f"welcome-back:pair={world.pairs['la']}:on=2027-03-01"
    assert "Welcome back" in slack_payload(welcome)["text"] and welcome.not_before == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    again = run_tick(session_factory=session_factory, now=datetime(2027, 3, 2, 9, 0, tzinfo=UTC))
    assert again.enqueued["pause-endings"] == 0
    # Two weeks after the pause: the first check-in of the restarted cadence.
    assert run_tick(session_factory=session_factory,
                    now=datetime(2027, 3, 15, 9, 0, tzinfo=UTC)).enqueued["pair-checkins"] == 1


def test_resume_ends_the_pause_today_and_welcomes_back_once(
    session_factory: sessionmaker[Session], world: World
) -> None:
    pause(session_factory, "until 1 march")
    later = WEDNESDAY + timedelta(days=7)
    with unit_of_work(session_factory) as session:
        outcome = resume_participant(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=later)
    assert outcome.resumed
    with session_factory() as session:
        pair = session.get(Pair, world.pairs["la"])
        assert pair is not None and pair.status is PairStatus.ACTIVE and pair.paused_until == date(2027, 2, 10)
    [welcome] = outbox(session_factory, "welcome-back:")
    assert welcome.not_before == later
    run_tick(session_factory=session_factory, now=datetime(2027, 2, 11, 9, 0, tzinfo=UTC))
    assert len(outbox(session_factory, "welcome-back:")) == 1
    with unit_of_work(session_factory) as session:
        resumed = resume_participant(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=later).resumed
        assert not resumed, "not paused any more"


def test_the_pair_stays_paused_while_the_partner_is_away(
    session_factory: sessionmaker[Session], world: World
) -> None:
    pause(session_factory, "until 1 march", user="UANA")
    pause(session_factory, "until 20 february", user="ULARS")
    with session_factory() as session:
        assert session.get(Pair, world.pairs["la"]).paused_until == date(2027, 3, 1)
    with unit_of_work(session_factory) as session:
        assert resume_participant(session, workspace=ONE_WORKSPACE, slack_user_id="UANA",
                                  now=WEDNESDAY + timedelta(days=1)).resumed
    with session_factory() as session:
        pair = session.get(Pair, world.pairs["la"])
        assert pair is not None and pair.status is PairStatus.PAUSED and pair.paused_until == date(2027, 2, 20)
    assert outbox(session_factory, "welcome-back:") == []


def test_a_pause_cancels_a_queued_checkin(session_factory: sessionmaker[Session], world: World) -> None:
    monday = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)
    run_tick(session_factory=session_factory, now=monday)
    pause(session_factory, "until 1 march", now=monday + timedelta(seconds=30))
    [checkin] = outbox(session_factory, "checkin:")
    assert checkin.state is OutboxState.CANCELLED and checkin.cancel_reason and checkin.last_error is None


def test_a_pause_ending_never_brings_back_a_pair_ended_while_the_tick_ran(
    session_factory: sessionmaker[Session], world: World
) -> None:
    """The tick reads the pairs whose pause is over and then sets them active; a coordinator
    ending one of them in between must win (on PostgreSQL nothing serialised the two)."""
    pause(session_factory, "until 1 march")
    first_of_march = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)

    def coordinator_ends_it() -> bool:
        with unit_of_work(session_factory) as other:
            result = end_pair(other, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", pair_id=world.pairs["la"],
                              reason="moved_away",
                              note=None, now=first_of_march)
        return result.ok

    with unit_of_work(session_factory) as session:
        finish = at_first_write(session, coordinator_ends_it, bulk_update=True)
        due_pause_endings(session, now=first_of_march)
    assert finish(), "the coordinator's end-pair was refused"
    with session_factory() as session:
        pair = session.get(Pair, world.pairs["la"])
        assert pair is not None and pair.status is PairStatus.ENDED, "the ended pair came back to life"
