"""Check-ins: windows, when they are due, the answers, the coordinators' flags, and dedup."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.nudges.checkins import (
    CheckinOutcome,
    CheckinRow,
    CheckinStatus,
    answer_checkin,
    checkin_key,
    due_checkins,
    flagged_pairs,
    pair_progress,
    record_met,
)
from bot.pairs.state import PairState, PersonState
from scheduling.ticks import run_tick
from storage.db import unit_of_work
from storage.models import Checkin, CheckinAnswer, OutboxMessage, Pair, PairStatus, Role
from tests.nudge_world import World, held, new_world, pair, person, standard_world
from tests.support.notices import slack_payload
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc
# 10:00 in Copenhagen (UTC+1 in February and March) on the days windows end.
FEB15 = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)
MAR01 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MAR15 = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return standard_world(session)


def tick(session_factory: sessionmaker[Session], now: datetime) -> dict[str, int]:
    return run_tick(session_factory=session_factory, now=now).enqueued


def rows(session_factory: sessionmaker[Session], prefix: str = "") -> list[OutboxMessage]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith(prefix))
                                    .order_by(OutboxMessage.id)))


def answer(session_factory: sessionmaker[Session], world: World, *, user: str, what: CheckinAnswer,
           window: date = date(2027, 2, 1), planned_for: date | None = None, now: datetime = FEB15) -> CheckinOutcome:
    with unit_of_work(session_factory) as session:
        return answer_checkin(session, workspace=ONE_WORKSPACE, pair_id=world.pairs["la"], window_start=window,
                              slack_user_id=user,
                              answer=what, planned_for=planned_for, now=now)


# --- when a check-in is due ----------------------------------------------------------------------------------


def test_a_window_without_a_session_gets_one_checkin_at_ten_in_the_pair_channel(
    session_factory: sessionmaker[Session], world: World
) -> None:
    assert tick(session_factory, FEB15 - timedelta(minutes=1))["pair-checkins"] == 0, "not before 10:00"
    assert tick(session_factory, FEB15)["pair-checkins"] == 1
    assert tick(session_factory, FEB15)["pair-checkins"] == 0, "the same instant twice sends nothing twice"
    assert tick(session_factory, FEB15 + timedelta(minutes=90))["pair-checkins"] == 0
    [row] = rows(session_factory, "checkin:")
    assert row.dedup_key == f"checkin:pair={world.pairs['la']}:window=2027-02-01"
    assert row.dedup_key == checkin_key(world.pairs["la"], date(2027, 2, 1))
    assert row.target == "CLA" and row.not_before == FEB15
    blocks = json.dumps(slack_payload(row)["blocks"])
    assert '"action_id": "session.log.open"' in blocks and f'"value": "{world.pairs["la"]}"' in blocks
    for action_id in ("checkin.planned", "checkin.not_yet", "checkin.help"):
        assert action_id in blocks
    assert "<@ULARS>" in blocks and "<@UANA>" in blocks
    assert "Lars and Ana" in slack_payload(row)["text"] and "1 February 2027" in slack_payload(row)["text"]
    with session_factory() as session:
        [checkin] = session.scalars(select(Checkin)).all()
        assert checkin.window_start == date(2027, 2, 1) and checkin.answer is None and checkin.asked_at == FEB15


def test_a_session_in_the_window_or_since_means_no_checkin(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        held(session, world, "la", date(2027, 2, 9))
    assert tick(session_factory, FEB15)["pair-checkins"] == 0
    # The next window (15 Feb - 1 Mar) had none: asked on 1 March.
    assert tick(session_factory, MAR01)["pair-checkins"] == 1
    assert rows(session_factory, "checkin:")[0].dedup_key.endswith("window=2027-02-15")


def test_a_window_ending_at_the_weekend_is_asked_on_monday(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        world = new_world(session, every_days=12)  # the first window ends on Saturday 13 February
        person(session, world, "lars", role=Role.MENTOR)
        person(session, world, "ana", role=Role.MENTEE)
        pair(session, world, "la", mentor="lars", mentee="ana")
    for day in (13, 14):
        for hour in range(24):
            assert tick(session_factory, datetime(2027, 2, day, hour, tzinfo=UTC))["pair-checkins"] == 0
    assert tick(session_factory, FEB15)["pair-checkins"] == 1


def test_no_checkin_without_a_channel_after_the_round_or_for_someone_who_declined(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        world = new_world(session)
        person(session, world, "lars", role=Role.MENTOR)
        person(session, world, "ana", role=Role.MENTEE)
        person(session, world, "wei", role=Role.MENTEE)
        row = pair(session, world, "la", mentor="lars", mentee="ana")
        row.slack_channel_id = None
        pair(session, world, "lw", mentor="lars", mentee="wei")
        session.get(type(row.mentee), world.people["wei"]).opted_out_at = FEB15
    assert tick(session_factory, FEB15)["pair-checkins"] == 0
    assert tick(session_factory, datetime(2027, 6, 7, 8, 0, tzinfo=UTC))["pair-checkins"] == 0


def test_windows_start_when_the_channel_opened() -> None:
    state = _state(opened=datetime(2027, 2, 10, 12, 0, tzinfo=UTC))
    progress = pair_progress(state, today=date(2027, 2, 23), now=FEB15, held=[], checkins=[])
    assert progress.anchor == date(2027, 2, 10) and progress.windows_ended == 0 and not progress.checkin_due
    progress = pair_progress(state, today=date(2027, 2, 24), now=FEB15, held=[], checkins=[])
    assert progress.checkin_due and progress.latest_window == date(2027, 2, 10)


# --- answers ----------------------------------------------------------------------------------------------------


def test_planned_holds_every_nudge_until_the_date_then_asks_again(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick(session_factory, FEB15)
    outcome = answer(session_factory, world, user="UANA", what=CheckinAnswer.PLANNED, planned_for=date(2027, 3, 3))
    assert outcome.status is CheckinStatus.RECORDED and outcome.facts is not None
    assert outcome.facts.planned_for == date(2027, 3, 3) and outcome.facts.answered_by == "Ana"
    assert tick(session_factory, MAR01)["pair-checkins"] == 0, "held: planned for 3 March"
    assert tick(session_factory, MAR01 + timedelta(days=2))["pair-checkins"] == 0, "on the day itself too"
    # The planned day passed and nothing was logged: did it happen?
    assert tick(session_factory, MAR01 + timedelta(days=3))["pair-checkins"] == 1
    assert rows(session_factory, "checkin:")[-1].dedup_key.endswith("window=2027-02-15")


def test_not_yet_asks_again_after_three_working_days_once(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick(session_factory, FEB15)
    outcome = answer(session_factory, world, user="ULARS", what=CheckinAnswer.NOT_YET)
    assert outcome.facts is not None and outcome.facts.ask_again_on == date(2027, 2, 18)  # Monday + 3 working days
    assert tick(session_factory, FEB15 + timedelta(days=1))["pair-checkins"] == 0
    assert tick(session_factory, FEB15 + timedelta(days=2))["pair-checkins"] == 0
    assert tick(session_factory, FEB15 + timedelta(days=3))["pair-checkins"] == 1
    assert tick(session_factory, FEB15 + timedelta(days=4))["pair-checkins"] == 0
    again = rows(session_factory, "checkin:")[-1]
    assert again.dedup_key.endswith("window=2027-02-01:again=2027-02-18")
    assert "Did you meet yet?" in json.dumps(slack_payload(again)["blocks"])


def test_not_yet_then_a_session_means_no_second_question(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick(session_factory, FEB15)
    answer(session_factory, world, user="ULARS", what=CheckinAnswer.NOT_YET)
    with unit_of_work(session_factory) as session:
        held(session, world, "la", date(2027, 2, 17))
    assert tick(session_factory, FEB15 + timedelta(days=3))["pair-checkins"] == 0


def test_help_tells_the_coordinators_at_once_and_only_once(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick(session_factory, FEB15)
    later = FEB15 + timedelta(hours=4)
    for _ in range(2):
        outcome = answer(session_factory, world, user="UANA", what=CheckinAnswer.HELP, now=later)
        assert outcome.status is CheckinStatus.RECORDED
    [note] = rows(session_factory, "checkin-help:")
    assert note.dedup_key == f"checkin-help:pair={world.pairs['la']}:window=2027-02-01:to=mentoring-coordinators"
    assert note.target == "mentoring-coordinators" and note.not_before == later
    text = json.dumps(slack_payload(note)["blocks"])
    assert "Ana asked for help" in text and "<#CLA>" in text and "none logged yet" in text


def test_help_at_night_waits_for_the_coordinators_morning(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick(session_factory, FEB15)
    night = datetime(2027, 2, 15, 22, 0, tzinfo=UTC)
    answer(session_factory, world, user="UANA", what=CheckinAnswer.HELP, now=night)
    [note] = rows(session_factory, "checkin-help:")
    assert note.not_before == datetime(2027, 2, 16, 9, 0, tzinfo=UTC)


def test_only_the_pair_may_answer_and_dates_are_checked(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick(session_factory, FEB15)
    refused = answer(session_factory, world, user="UMETTE", what=CheckinAnswer.NOT_YET)
    assert refused.status is CheckinStatus.NOT_YOURS and refused.mentor_name == "Lars"
    assert answer(session_factory, world, user="UANA", what=CheckinAnswer.PLANNED,
                  planned_for=date(2027, 2, 14)).status is CheckinStatus.PAST
    assert answer(session_factory, world, user="UANA", what=CheckinAnswer.PLANNED,
                  planned_for=date(2027, 6, 1)).status is CheckinStatus.TOO_FAR
    assert answer(session_factory, world, user="UANA", what=CheckinAnswer.PLANNED).status is CheckinStatus.NO_DATE
    assert answer(session_factory, world, user="UANA", what=CheckinAnswer.HELP,
                  window=date(2027, 1, 1)).status is CheckinStatus.STALE
    with session_factory() as session:
        [checkin] = session.scalars(select(Checkin)).all()
        assert checkin.answer is None, "nothing stored"


def test_an_answer_can_change(session_factory: sessionmaker[Session], world: World) -> None:
    tick(session_factory, FEB15)
    answer(session_factory, world, user="UANA", what=CheckinAnswer.PLANNED, planned_for=date(2027, 2, 20))
    outcome = answer(session_factory, world, user="ULARS", what=CheckinAnswer.NOT_YET)
    assert outcome.facts is not None and outcome.facts.answer is CheckinAnswer.NOT_YET
    with session_factory() as session:
        [checkin] = session.scalars(select(Checkin)).all()
        assert checkin.answer is CheckinAnswer.NOT_YET and checkin.planned_for is None
        assert checkin.answered_by_id == world.people["lars"]


def test_a_logged_session_can_answer_open_checkins(session_factory: sessionmaker[Session], world: World) -> None:
    tick(session_factory, FEB15)
    with unit_of_work(session_factory) as session:
        assert record_met(session, pair_id=world.pairs["la"], held_on=date(2027, 2, 16),
                          participant_id=world.people["ana"], now=FEB15) == 1
    with session_factory() as session:
        assert session.scalars(select(Checkin)).one().answer is CheckinAnswer.MET


# --- flags and going quiet --------------------------------------------------------------------------------------


def test_two_missed_windows_flag_the_pair_three_tell_the_coordinators_once(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick(session_factory, FEB15)
    with session_factory() as session:
        assert flagged_pairs(session, round_id=world.round_id, now=FEB15) == []
    tick(session_factory, MAR01)
    with session_factory() as session:
        [flag] = flagged_pairs(session, round_id=world.round_id, now=MAR01)
    assert flag.missed_windows == 2 and flag.since == date(2027, 2, 1) and not flag.going_quiet
    assert rows(session_factory, "quiet:") == []
    assert tick(session_factory, MAR15)["pair-checkins"] == 2, "the check-in and the note"
    [note] = rows(session_factory, "quiet:")
    assert note.dedup_key == f"quiet:pair={world.pairs['la']}:since=2027-02-01:to=mentoring-coordinators"
    assert "Lars and Ana are going quiet" in json.dumps(slack_payload(note)["blocks"])
    assert tick(session_factory, MAR15 + timedelta(days=14))["pair-checkins"] == 1, "a check-in; no second note"
    assert len(rows(session_factory, "quiet:")) == 1


def test_a_new_episode_after_a_session_gets_its_own_note(
    session_factory: sessionmaker[Session], world: World
) -> None:
    for instant in (FEB15, MAR01, MAR15):
        tick(session_factory, instant)
    with unit_of_work(session_factory) as session:
        held(session, world, "la", date(2027, 3, 16))
    for days in (14, 28, 42, 56):  # windows from 15 March: 29 Mar, 12 Apr, 26 Apr, 10 May
        tick(session_factory, MAR15 + timedelta(days=days))
    keys = [row.dedup_key for row in rows(session_factory, "quiet:")]
    assert len(keys) == 2 and keys[1].endswith("since=2027-03-29:to=mentoring-coordinators")


def test_someone_letting_three_checkins_pass_is_named(session_factory: sessionmaker[Session], world: World) -> None:
    # Ana answers "not yet" each time; Lars never answers; they meet late in between, so the
    # pair never misses three windows in a row.
    tick(session_factory, FEB15)
    answer(session_factory, world, user="UANA", what=CheckinAnswer.NOT_YET)
    with unit_of_work(session_factory) as session:
        held(session, world, "la", date(2027, 2, 25))
    tick(session_factory, MAR15)
    answer(session_factory, world, user="UANA", what=CheckinAnswer.NOT_YET, window=date(2027, 3, 1), now=MAR15)
    with unit_of_work(session_factory) as session:
        held(session, world, "la", date(2027, 3, 25))
    apr12 = MAR15 + timedelta(days=28)
    tick(session_factory, apr12)
    answer(session_factory, world, user="UANA", what=CheckinAnswer.NOT_YET, window=date(2027, 3, 29), now=apr12)
    assert rows(session_factory, "quiet:") == [], "the third is not three days old yet"
    tick(session_factory, apr12 + timedelta(days=3))
    [note] = rows(session_factory, "quiet:")
    assert f":silent={world.people['lars']}:" in note.dedup_key
    assert "No answer from Lars" in json.dumps(slack_payload(note)["blocks"])
    with session_factory() as session:
        assert flagged_pairs(session, round_id=world.round_id, now=apr12 + timedelta(days=3)) == []


def test_paused_pairs_are_not_asked_or_flagged(session_factory: sessionmaker[Session], world: World) -> None:
    with unit_of_work(session_factory) as session:
        row = session.get(Pair, world.pairs["la"])
        assert row is not None
        row.status, row.paused_until = PairStatus.PAUSED, None  # a coordinator's open-ended pause
    for instant in (FEB15, MAR01, MAR15):
        assert tick(session_factory, instant)["pair-checkins"] == 0
    with session_factory() as session:
        assert flagged_pairs(session, round_id=world.round_id, now=MAR15) == []


def test_the_job_reads_in_bulk(session_factory: sessionmaker[Session]) -> None:
    """The statement count is the same for 2 pairs as for 40."""
    from sqlalchemy import event

    counts: list[int] = []
    statements: list[int] = []
    for size in (2, 40):
        with unit_of_work(session_factory) as session:
            world = new_world(session, name=f"Round {size}")
            for index in range(size):
                person(session, world, f"m{size}x{index}", role=Role.MENTOR)
                person(session, world, f"e{size}x{index}", role=Role.MENTEE, tz="Europe/London")
                pair(session, world, f"p{size}x{index}", mentor=f"m{size}x{index}", mentee=f"e{size}x{index}")
        engine = session_factory.kw["bind"]
        statements.clear()
        listener = lambda *args, **kwargs: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with unit_of_work(session_factory) as session:
                found = due_checkins(session, now=FEB15 + timedelta(days=14 * (len(counts) + 1)))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert found.asked >= size
        counts.append(len(statements))
    assert counts[0] == counts[1]


# --- pure rules -------------------------------------------------------------------------------------------------


def _state(*, opened: datetime | None = None, every: int = 14) -> PairState:
    def someone(person_id: int, role: Role) -> PersonState:
        return PersonState(id=person_id, role=role, name=f"P{person_id}", slack_user_id=f"U{person_id}",
                           timezone="Europe/Copenhagen", language="en", opted_out=False, paused_until=None)

    return PairState(
        pair_id=1, round_id=1, round_name="R", programme_zone="Europe/Copenhagen", team_id="T1",
        starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 31),
        every_days=every, status=PairStatus.ACTIVE, channel_id="C1", channel_opened_at=opened, paused_until=None,
        mentor=someone(1, Role.MENTOR), mentee=someone(2, Role.MENTEE),
    )


def test_the_streak_counts_windows_after_the_last_session_and_a_met_answer_counts() -> None:
    state = _state()
    today = date(2027, 3, 29)  # four windows ended
    assert pair_progress(state, today=today, now=FEB15, held=[], checkins=[]).missed_streak == 4
    progress = pair_progress(state, today=today, now=FEB15, held=[date(2027, 2, 20)], checkins=[])
    assert progress.missed_streak == 2 and progress.streak_since == date(2027, 3, 1)
    met = CheckinRow(pair_id=1, window_start=date(2027, 3, 1), asked_at=MAR15, answer=CheckinAnswer.MET)
    assert pair_progress(state, today=today, now=FEB15, held=[], checkins=[met]).missed_streak == 1


def test_a_pause_restarts_the_windows() -> None:
    from dataclasses import replace

    state = replace(_state(), paused_until=date(2027, 3, 10))
    progress = pair_progress(state, today=date(2027, 3, 23), now=FEB15, held=[], checkins=[])
    assert progress.anchor == date(2027, 3, 10) and progress.windows_ended == 0 and progress.missed_streak == 0
    assert state.is_paused(date(2027, 3, 9)) and not state.is_paused(date(2027, 3, 10))


def test_a_dry_run_shows_what_would_go_out_and_stores_nothing(
    session_factory: sessionmaker[Session], world: World
) -> None:
    from scheduling.ticks import describe_due

    copenhagen_now = FEB15.astimezone(timezone(timedelta(hours=1))) + timedelta(minutes=5)
    result = run_tick(session_factory=session_factory, now=copenhagen_now, dry_run=True)
    # (A Monday: the coordinators' weekly digest is due too; this test is about the check-in.)
    [line] = [line for line in describe_due(result) if "checkin:pair=" in line]
    assert line.startswith("2027-02-15T10:00+01:00")
    assert "Check-in for Lars and Ana: did you meet since 1 February 2027?" in line
    assert rows(session_factory) == []
    with session_factory() as session:
        assert session.scalars(select(Checkin)).all() == []
    assert run_tick(session_factory=session_factory, now=copenhagen_now).enqueued["pair-checkins"] == 1


def test_a_not_yet_from_before_a_pause_is_not_asked_again_after_it() -> None:
    """Welcome back, not "did you meet yet?" about the weeks before the break."""
    from dataclasses import replace

    state = _state()
    not_yet = CheckinRow(pair_id=1, window_start=date(2027, 2, 1), asked_at=FEB15, answer=CheckinAnswer.NOT_YET,
                         ask_again_on=date(2027, 2, 18))
    running = pair_progress(state, today=date(2027, 2, 18), now=FEB15, held=[], checkins=[not_yet])
    assert running.reask == not_yet, "without a pause, not yet means ask again"
    paused = replace(state, mentor=replace(state.mentor, paused_until=date(2027, 3, 1)))
    after = pair_progress(paused, today=date(2027, 3, 1), now=FEB15, held=[], checkins=[not_yet])
    assert after.anchor == date(2027, 3, 1) and after.reask is None and not after.checkin_due
