"""The tick's marks (bot.nudges.marks): an idle tick reads no pair, and yet every check-in,
reminder and prompt still goes out at its moment when any of its inputs changes.

The inputs are changed here the way any writer would change them, through the ORM or a
bulk statement: the database's triggers (migration 0006) notice the change, so no
service has to remember the marks. Time is frozen at each tick (freezegun) and the tick
runs as of that instant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from sqlalchemy import delete, event, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.nudges import marks
from bot.nudges.checkins import checkin_key, due_checkins
from bot.timeline.service import due_meeting_prompts, due_meeting_reminders, prompt_key
from scheduling.ticks import DEFAULT_JOBS, run_tick
from storage.db import unit_of_work
from storage.models import (
    Checkin,
    CheckinAnswer,
    MeetingKind,
    MeetingRsvp,
    MentoringSession,
    NudgeChange,
    NudgeMark,
    OutboxMessage,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
    RsvpAnswer,
    SharedMeeting,
    Survey,
    SurveyKind,
)
from tests.nudge_world import World, held, meeting, new_world, pair, person

UTC = timezone.utc
NUDGE_JOBS = tuple(job for job in DEFAULT_JOBS if job.name in (marks.CHECKINS, marks.REMINDERS, marks.PROMPTS))
# The first window (from Monday 1 February) ends on Monday 15 February; 10:00 in
# Copenhagen is 09:00 UTC.
FEB15_SLOT = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    """Lars (Copenhagen) mentors Ana (Copenhagen); Mette coordinates; a CV workshop on 8 March."""
    with unit_of_work(session_factory) as session:
        world = new_world(session)
        person(session, world, "lars", role=Role.MENTOR)
        person(session, world, "ana", role=Role.MENTEE)
        person(session, world, "mette", role=Role.COORDINATOR)
        pair(session, world, "la", mentor="lars", mentee="ana")
        meeting(session, world, "cv", kind=MeetingKind.CV_WORKSHOP, starts_at=datetime(2027, 3, 8, 15, tzinfo=UTC))
        return world


def tick_at(session_factory: sessionmaker[Session], instant: datetime) -> dict[str, int]:
    """One tick of the nudge jobs as of `instant`, with the clock frozen there."""
    with freeze_time(instant):
        return run_tick(session_factory=session_factory, now=datetime.now(UTC), jobs=NUDGE_JOBS, list_due=False).enqueued


def hourly(first: datetime, last: datetime) -> Iterator[datetime]:
    instant = first
    while instant <= last:
        yield instant
        instant += timedelta(hours=1)


def keys(session_factory: sessionmaker[Session], prefix: str) -> set[str]:
    with session_factory() as session:
        return set(session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.startswith(prefix))))


def first_sent(session_factory: sessionmaker[Session], key: str, *, first: datetime, last: datetime) -> datetime | None:
    """Tick every hour from `first` to `last`; the instant whose tick queued `key`, if any."""
    for instant in hourly(first, last):
        tick_at(session_factory, instant)
        if key in keys(session_factory, key):
            return instant
    return None


def change(session_factory: sessionmaker[Session], at: datetime, write: Callable[[Session], object]) -> None:
    """A writer's transaction at `at` (the marks were written by the ticks before it)."""
    with freeze_time(at), unit_of_work(session_factory) as session:
        write(session)


def window_key(world: World, window: date) -> str:
    return checkin_key(world.pairs["la"], window)


# --- an idle tick reads no pair -------------------------------------------------------------------


def test_after_a_busy_tick_the_same_slot_reads_only_marks(
    session_factory: sessionmaker[Session], engine: object, world: World
) -> None:
    assert tick_at(session_factory, FEB15_SLOT)[marks.CHECKINS] == 1
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        enqueued = tick_at(session_factory, FEB15_SLOT + timedelta(minutes=1))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert sum(enqueued.values()) == 0
    assert not [statement for statement in statements if "FROM pair" in statement or "FROM participant" in statement]
    with session_factory() as session:
        mark = session.scalar(select(NudgeMark.due_at).where(NudgeMark.job == marks.CHECKINS))
    # Next: the check-in becomes "let pass" three days later, in that day's slot.
    assert mark == FEB15_SLOT + timedelta(days=3)


# --- each input changed after the mark was written ---------------------------------------------------


def test_unchanged_the_checkin_goes_at_the_windows_end(session_factory: sessionmaker[Session], world: World) -> None:
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))
    assert first_sent(session_factory, window_key(world, date(2027, 2, 1)),
                      first=datetime(2027, 2, 14, 0, tzinfo=UTC), last=datetime(2027, 2, 16, 0, tzinfo=UTC)) == FEB15_SLOT


def test_a_shorter_cadence_brings_the_checkin_forward(session_factory: sessionmaker[Session], world: World) -> None:
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))  # mark: 15 February
    change(session_factory, datetime(2027, 2, 3, 12, tzinfo=UTC),
           lambda session: session.execute(update(Round).where(Round.id == world.round_id).values(session_every_days=7)))
    assert first_sent(session_factory, window_key(world, date(2027, 2, 1)), first=datetime(2027, 2, 3, 13, tzinfo=UTC),
                      last=datetime(2027, 2, 9, 0, tzinfo=UTC)) == datetime(2027, 2, 8, 9, tzinfo=UTC)


def test_a_later_round_start_moves_the_window(session_factory: sessionmaker[Session], world: World) -> None:
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))

    def later(session: Session) -> None:
        round_ = session.get(Round, world.round_id)
        assert round_ is not None
        round_.starts_on = date(2027, 2, 8)

    change(session_factory, datetime(2027, 2, 3, 12, tzinfo=UTC), later)
    assert first_sent(session_factory, window_key(world, date(2027, 2, 8)), first=datetime(2027, 2, 14, 0, tzinfo=UTC),
                      last=datetime(2027, 2, 23, 0, tzinfo=UTC)) == datetime(2027, 2, 22, 9, tzinfo=UTC)
    assert window_key(world, date(2027, 2, 1)) not in keys(session_factory, "checkin:")


def test_a_logged_session_answers_and_deleting_it_asks_again(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))
    with freeze_time(datetime(2027, 2, 10, 12, tzinfo=UTC)), unit_of_work(session_factory) as session:
        logged = held(session, world, "la", date(2027, 2, 10)).id
    for instant in hourly(datetime(2027, 2, 15, 0, tzinfo=UTC), datetime(2027, 2, 16, 0, tzinfo=UTC)):
        tick_at(session_factory, instant)
    assert keys(session_factory, "checkin:") == set(), "they met in the first window"
    change(session_factory, datetime(2027, 2, 16, 12, tzinfo=UTC),
           lambda session: session.execute(delete(MentoringSession).where(MentoringSession.id == logged)))
    # Deleted on Tuesday afternoon: asked in Wednesday's slot.
    assert first_sent(session_factory, window_key(world, date(2027, 2, 1)), first=datetime(2027, 2, 16, 13, tzinfo=UTC),
                      last=datetime(2027, 2, 18, 0, tzinfo=UTC)) == datetime(2027, 2, 17, 9, tzinfo=UTC)


def test_a_session_moved_out_of_the_window_leaves_it_missed(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        logged = held(session, world, "la", date(2027, 2, 10)).id
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))  # mark: 1 March (they met)
    change(session_factory, datetime(2027, 2, 11, 12, tzinfo=UTC),
           lambda session: session.execute(update(MentoringSession).where(MentoringSession.id == logged)
                                           .values(held_on=date(2027, 1, 29))))
    assert first_sent(session_factory, window_key(world, date(2027, 2, 1)), first=datetime(2027, 2, 11, 13, tzinfo=UTC),
                      last=datetime(2027, 2, 16, 0, tzinfo=UTC)) == FEB15_SLOT


def test_a_pause_holds_the_checkin_and_its_end_restarts_the_cadence(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))
    change(session_factory, datetime(2027, 2, 10, 12, tzinfo=UTC),
           lambda session: session.execute(update(Participant).where(Participant.id == world.people["ana"])
                                           .values(paused_until=date(2027, 2, 22))))
    for instant in hourly(datetime(2027, 2, 15, 0, tzinfo=UTC), datetime(2027, 2, 23, 0, tzinfo=UTC)):
        tick_at(session_factory, instant)
    assert keys(session_factory, "checkin:") == set(), "paused, then a new cadence from the 22nd"
    assert first_sent(session_factory, window_key(world, date(2027, 2, 22)), first=datetime(2027, 3, 7, 0, tzinfo=UTC),
                      last=datetime(2027, 3, 9, 0, tzinfo=UTC)) == datetime(2027, 3, 8, 9, tzinfo=UTC)


def test_resuming_early_restarts_the_cadence_from_the_resume(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        session.execute(update(Pair).where(Pair.id == world.pairs["la"])
                        .values(status=PairStatus.PAUSED, paused_until=None))
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))  # paused without a date: no mark
    with session_factory() as session:
        assert session.scalar(select(NudgeMark.due_at).where(NudgeMark.job == marks.CHECKINS)) is None
    # A coordinator resumes on Tuesday 16 February (the date stays as the mark of the end).
    change(session_factory, datetime(2027, 2, 16, 8, tzinfo=UTC),
           lambda session: session.execute(update(Pair).where(Pair.id == world.pairs["la"])
                                           .values(status=PairStatus.ACTIVE, paused_until=date(2027, 2, 16))))
    assert first_sent(session_factory, window_key(world, date(2027, 2, 16)), first=datetime(2027, 2, 16, 9, tzinfo=UTC),
                      last=datetime(2027, 3, 3, 0, tzinfo=UTC)) == datetime(2027, 3, 2, 9, tzinfo=UTC)


def test_a_move_to_another_zone_brings_the_slot_with_it(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))  # mark: 09:00 UTC on the 15th
    change(session_factory, datetime(2027, 2, 3, 12, tzinfo=UTC),
           lambda session: session.execute(update(Participant).where(Participant.id.in_([world.people["lars"],
                                                                                          world.people["ana"]]))
                                           .values(timezone="Asia/Tokyo")))
    # 10:00 in Tokyo on Monday the 15th is 01:00 UTC.
    assert first_sent(session_factory, window_key(world, date(2027, 2, 1)), first=datetime(2027, 2, 14, 0, tzinfo=UTC),
                      last=datetime(2027, 2, 16, 0, tzinfo=UTC)) == datetime(2027, 2, 15, 1, tzinfo=UTC)


def test_the_programmes_zone_counts_for_people_without_one(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        session.execute(update(Participant).where(Participant.round_id == world.round_id).values(timezone=None))
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))
    change(session_factory, datetime(2027, 2, 3, 12, tzinfo=UTC),
           lambda session: session.execute(update(Programme).where(Programme.id == world.programme_id)
                                           .values(timezone="America/New_York")))
    # 10:00 in New York on Monday the 15th is 15:00 UTC.
    assert first_sent(session_factory, window_key(world, date(2027, 2, 1)), first=datetime(2027, 2, 15, 0, tzinfo=UTC),
                      last=datetime(2027, 2, 16, 0, tzinfo=UTC)) == datetime(2027, 2, 15, 15, tzinfo=UTC)


def test_a_not_yet_is_asked_again_three_working_days_later(
    session_factory: sessionmaker[Session], world: World
) -> None:
    assert tick_at(session_factory, FEB15_SLOT)[marks.CHECKINS] == 1
    change(session_factory, FEB15_SLOT + timedelta(hours=2),
           lambda session: session.execute(update(Checkin).where(Checkin.pair_id == world.pairs["la"])
                                           .values(answer=CheckinAnswer.NOT_YET, answered_at=FEB15_SLOT,
                                                   answered_by_id=world.people["ana"], ask_again_on=date(2027, 2, 18))))
    again = f"{window_key(world, date(2027, 2, 1))}:again=2027-02-18"
    assert first_sent(session_factory, again, first=FEB15_SLOT + timedelta(hours=3),
                      last=datetime(2027, 2, 19, 0, tzinfo=UTC)) == datetime(2027, 2, 18, 9, tzinfo=UTC)


def test_a_meeting_moved_by_an_import_moves_its_prompt_and_reminders(
    session_factory: sessionmaker[Session], world: World
) -> None:
    tick_at(session_factory, datetime(2027, 2, 2, 9, tzinfo=UTC))  # marks: a week before 8 March
    change(session_factory, datetime(2027, 2, 3, 12, tzinfo=UTC),
           lambda session: session.execute(update(SharedMeeting).where(SharedMeeting.id == world.meetings["cv"])
                                           .values(starts_at=datetime(2027, 2, 19, 15, tzinfo=UTC))))
    key = prompt_key(world.pairs["la"], world.meetings["cv"])
    assert first_sent(session_factory, key, first=datetime(2027, 2, 3, 13, tzinfo=UTC),
                      last=datetime(2027, 2, 13, 0, tzinfo=UTC)) == datetime(2027, 2, 12, 9, tzinfo=UTC)
    assert f"meeting-reminder:participant={world.people['ana']}:meeting={world.meetings['cv']}:days=7" in keys(
        session_factory, "meeting-reminder:")


def test_a_shorter_pulse_cadence_opens_the_first_pulse_sooner(
    session_factory: sessionmaker[Session], world: World
) -> None:
    surveys_job = tuple(job for job in DEFAULT_JOBS if job.name == marks.SURVEYS)

    def first_pulse_opened(first: datetime, last: datetime) -> datetime | None:
        for instant in hourly(first, last):
            with freeze_time(instant):
                run_tick(session_factory=session_factory, now=datetime.now(UTC), jobs=surveys_job, list_due=False)
            with session_factory() as session:
                if session.scalar(select(Survey.id).where(Survey.kind == SurveyKind.PULSE, Survey.number == 1)):
                    return instant
        return None

    assert first_pulse_opened(datetime(2027, 2, 2, 9, tzinfo=UTC), datetime(2027, 2, 2, 9, tzinfo=UTC)) is None
    with session_factory() as session:  # the mark: 22 February, 21 days in, midnight in Copenhagen
        assert session.scalar(select(NudgeMark.due_at).where(NudgeMark.job == marks.SURVEYS)) == datetime(
            2027, 2, 21, 23, tzinfo=UTC)
    change(session_factory, datetime(2027, 2, 3, 12, tzinfo=UTC),
           lambda session: session.execute(update(Round).where(Round.id == world.round_id).values(pulse_every_days=7)))
    assert first_pulse_opened(datetime(2027, 2, 3, 13, tzinfo=UTC),
                              datetime(2027, 2, 8, 0, tzinfo=UTC)) == datetime(2027, 2, 7, 23, tzinfo=UTC)


# --- whatever changes, the marks never miss what reading everything finds -------------------------------


def _new_keys_by_reading_everything(session_factory: sessionmaker[Session], now: datetime) -> set[str]:
    """What the jobs would queue now reading every pair (marks ignored), written nowhere."""
    with session_factory() as session:
        try:
            notices = due_checkins(session, now=now).notices
            calls = [*due_meeting_reminders(session, now=now), *due_meeting_prompts(session, now=now)]
            found = {notice.dedup_key for notice in notices} | {call.dedup_key.split(":to=")[0] for call in calls}
            # Coordinators' notes get a key per target when queued: compare by the notice's own.
            taken = {key.split(":to=")[0] for key in session.scalars(select(OutboxMessage.dedup_key))}
            return found - taken
        finally:
            session.rollback()


def test_over_a_round_of_changes_the_marked_tick_queues_what_reading_everything_would(
    session_factory: sessionmaker[Session], world: World
) -> None:
    """Ticks every two hours for six weeks while people log, move and delete sessions, pause,
    resume, move zones, answer, decline a meeting, and coordinators change the cadence and
    the meetings: at each tick the marks find exactly what a full read finds."""
    with unit_of_work(session_factory) as session:
        person(session, world, "oda", role=Role.MENTOR, tz="Europe/London")
        person(session, world, "bo", role=Role.MENTEE, tz="America/New_York")
        pair(session, world, "ob", mentor="oda", mentee="bo")
        person(session, world, "kim", role=Role.MENTOR)
        person(session, world, "liv", role=Role.MENTEE)
        pair(session, world, "kl", mentor="kim", mentee="liv")
        meeting(session, world, "kick", kind=MeetingKind.KICK_OFF, starts_at=datetime(2027, 2, 26, 16, tzinfo=UTC))

    def by_day(day: date) -> Callable[[Session], object] | None:
        changes: dict[date, Callable[[Session], object]] = {
            date(2027, 2, 9): lambda s: held(s, world, "kl", date(2027, 2, 9)),
            date(2027, 2, 12): lambda s: s.execute(update(Participant).where(Participant.id == world.people["bo"])
                                                   .values(paused_until=date(2027, 2, 24))),
            date(2027, 2, 17): lambda s: s.execute(update(Round).where(Round.id == world.round_id)
                                                   .values(session_every_days=10)),
            date(2027, 2, 19): lambda s: s.add(MeetingRsvp(meeting_id=world.meetings["kick"],
                                                           participant_id=world.people["liv"], answer=RsvpAnswer.NO,
                                                           answered_at=datetime(2027, 2, 19, tzinfo=UTC))),
            date(2027, 2, 22): lambda s: s.execute(update(Participant).where(Participant.id == world.people["kim"])
                                                   .values(timezone="Asia/Tokyo")),
            date(2027, 2, 24): lambda s: s.execute(update(MentoringSession).values(held_on=date(2027, 1, 20))),
            date(2027, 3, 1): lambda s: s.execute(update(SharedMeeting).where(SharedMeeting.id == world.meetings["cv"])
                                                  .values(starts_at=datetime(2027, 3, 12, 15, tzinfo=UTC))),
            date(2027, 3, 3): lambda s: s.execute(update(Checkin).values(answer=CheckinAnswer.PLANNED,
                                                                         answered_at=datetime(2027, 3, 3, tzinfo=UTC),
                                                                         planned_for=date(2027, 3, 9))),
            date(2027, 3, 5): lambda s: s.execute(update(Pair).where(Pair.id == world.pairs["ob"])
                                                  .values(status=PairStatus.PAUSED)),
            date(2027, 3, 10): lambda s: s.execute(update(Pair).where(Pair.id == world.pairs["ob"])
                                                   .values(status=PairStatus.ACTIVE, paused_until=date(2027, 3, 10))),
        }
        return changes.get(day)

    queued = 0
    for instant in (datetime(2027, 2, 1, tzinfo=UTC) + timedelta(hours=2 * step) for step in range(12 * 45)):
        if instant.hour == 12 and (write := by_day(instant.date())) is not None:
            change(session_factory, instant, write)
        expected = _new_keys_by_reading_everything(session_factory, instant)
        before = {key.split(":to=")[0] for key in keys(session_factory, "")}
        tick_at(session_factory, instant)
        added = {key.split(":to=")[0] for key in keys(session_factory, "")} - before
        assert added == expected, instant
        queued += len(added)
    assert queued > 20, "the scenario asks, reminds and prompts"


def test_the_triggers_are_in_place(session_factory: sessionmaker[Session], engine: object, world: World) -> None:
    """A migration that rebuilds a table (SQLite's batch mode) drops its triggers: this says so."""
    with unit_of_work(session_factory) as session:
        session.execute(delete(NudgeChange))
    writes: list[Callable[[Session], object]] = [
        lambda s: held(s, world, "la", date(2027, 2, 3)),
        lambda s: s.execute(update(MentoringSession).values(held_on=date(2027, 2, 4))),
        lambda s: s.execute(delete(MentoringSession)),
        lambda s: s.add(Checkin(pair_id=world.pairs["la"], window_start=date(2027, 2, 1), asked_at=FEB15_SLOT,
                                answer=CheckinAnswer.MET)),
        lambda s: s.execute(update(Checkin).values(answer=CheckinAnswer.NOT_YET)),
        lambda s: s.execute(delete(Checkin)),
        lambda s: s.execute(update(Pair).values(paused_until=date(2027, 3, 1))),
        lambda s: s.execute(update(Participant).where(Participant.id == world.people["ana"]).values(timezone="UTC")),
        lambda s: s.execute(update(Round).values(ends_on=date(2027, 6, 1))),
        lambda s: s.execute(update(Programme).values(timezone="UTC")),
        lambda s: s.execute(update(SharedMeeting).values(starts_at=datetime(2027, 3, 9, tzinfo=UTC))),
        lambda s: s.add(MeetingRsvp(meeting_id=world.meetings["cv"], participant_id=world.people["ana"],
                                    answer=RsvpAnswer.YES)),
        lambda s: s.execute(delete(MeetingRsvp)),
        lambda s: person(s, world, "new", role=Role.MENTEE),
    ]
    for write in writes:
        with unit_of_work(session_factory) as session:
            write(session)
        with unit_of_work(session_factory) as session:
            assert marks.absorb_changes(session) == {world.round_id}
    with unit_of_work(session_factory) as session:  # what the tick writes itself wakes nobody
        session.add(Checkin(pair_id=world.pairs["la"], window_start=date(2027, 3, 1), asked_at=FEB15_SLOT))
        session.flush()
        session.execute(update(Checkin).values(asked_at=FEB15_SLOT, ask_again_on=None))
        session.execute(text("UPDATE participant SET updated_at = created_at"))
    with unit_of_work(session_factory) as session:
        assert marks.absorb_changes(session) == set()
