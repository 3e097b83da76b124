"""A 16-week round in compressed time (freezegun): pairs in Copenhagen, London, Tokyo, Los
Angeles, Kolkata, Auckland and Honolulu (across the date line), sessions logged, check-ins
answered, a pause, and every shared meeting. The tick runs every 30 simulated minutes.

What it shows: every check-in, prompt, welcome back and meeting reminder went out in its
recipients' slot (10:00 on a weekday in the lead zone, or the first later hour that is
daytime for both), on the right day, written within the tick after its slot opened;
nothing went twice; nothing reached a paused pair or person during the pause.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import SystemClock
from bot.core.timing import DELIVERY_GRACE, due_slot, is_weekday, local_day, shared_slot
from bot.nudges.checkins import answer_checkin
from bot.pairs.pauses import pause_participant
from bot.timeline.service import record_rsvp, reminder_day, reminder_due
from scheduling.ticks import run_tick
from storage.db import unit_of_work
from storage.models import (
    Checkin,
    CheckinAnswer,
    MeetingKind,
    OutboxMessage,
    OutboxState,
    Participant,
    Role,
    Round,
    RsvpAnswer,
    SharedMeeting,
)
from tests.nudge_world import World, held, meeting, new_world, pair, person
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc
START = datetime(2027, 2, 1, 0, 0, tzinfo=UTC)  # Monday 1 February 2027
WEEKS = 16
STEP = timedelta(minutes=30)

ZONES = {
    "lars": "Europe/Copenhagen", "ana": "Europe/London",  # meet regularly: never asked
    "kenji": "Asia/Tokyo", "sofia": "Europe/Copenhagen",  # "not yet", then they meet
    "mele": "Pacific/Auckland", "keoni": "Pacific/Honolulu",  # across the date line; go quiet
    "carlos": "America/Los_Angeles", "ingrid": "Europe/Copenhagen",  # far west; "planned"
    "ole": "Europe/Copenhagen", "priya": "Asia/Kolkata",  # Priya pauses
}
PAIRS = {"la": ("lars", "ana"), "ks": ("kenji", "sofia"), "mk": ("mele", "keoni"), "ci": ("carlos", "ingrid"),
         "op": ("ole", "priya")}
PAUSE_FROM = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)
PAUSE_UNTIL = date(2027, 4, 5)  # a Monday


@dataclass
class Event:
    at: datetime
    run: Callable[[Session, datetime], object]  # what it returns is not used
    name: str


def _build(session: Session) -> World:
    world = new_world(session, name="Spring 2027")
    round_ = session.get(Round, world.round_id)
    assert round_ is not None
    round_.ends_on = (START + timedelta(weeks=WEEKS)).date()
    for key, tz_name in ZONES.items():
        role = Role.MENTOR if key in {mentor for mentor, _ in PAIRS.values()} else Role.MENTEE
        person(session, world, key, role=role, tz=tz_name)
    person(session, world, "mette", role=Role.COORDINATOR, language="da")
    for key, (mentor, mentee) in PAIRS.items():
        pair(session, world, key, mentor=mentor, mentee=mentee)
    copenhagen = ZoneInfo("Europe/Copenhagen")
    for key, kind, day, hour in (
        ("course", MeetingKind.MENTOR_COURSE, date(2027, 2, 8), 17),
        ("cv", MeetingKind.CV_WORKSHOP, date(2027, 2, 22), 17),  # a Monday: the day-before reminder on Friday
        ("kick", MeetingKind.KICK_OFF, date(2027, 3, 4), 17),
        ("midway", MeetingKind.MIDWAY, date(2027, 4, 7), 17),
        ("interview", MeetingKind.INTERVIEW_WORKSHOP, date(2027, 4, 21), 17),
        ("closing", MeetingKind.CLOSING, date(2027, 5, 19), 16),
    ):
        meeting(session, world, key, kind=kind, starts_at=datetime(day.year, day.month, day.day, hour, tzinfo=copenhagen)
                .astimezone(UTC))
    return world


def _events(world: World) -> list[Event]:
    events: list[Event] = []

    def log(pair_key: str, on: date, hour_utc: int = 15) -> None:
        events.append(Event(at=datetime(on.year, on.month, on.day, hour_utc, tzinfo=UTC),
                            run=lambda session, _now: held(session, world, pair_key, on),
                            name=f"session {pair_key} {on}"))

    def answer(pair_key: str, user: str, what: CheckinAnswer, at: datetime, planned_for: date | None = None) -> None:
        def run(session: Session, now: datetime) -> None:
            window = session.scalars(select(Checkin.window_start).where(Checkin.pair_id == world.pairs[pair_key])
                                     .order_by(Checkin.window_start.desc())).first()
            assert window is not None, f"{pair_key} has no check-in to answer at {now}"
            outcome = answer_checkin(session, workspace=ONE_WORKSPACE, pair_id=world.pairs[pair_key], window_start=window,
                                     slack_user_id=user, answer=what, planned_for=planned_for, now=now)
            assert outcome.recorded, outcome

        events.append(Event(at=at, run=run, name=f"{pair_key} answers {what.value}"))

    # Lars and Ana meet every 12 days: never asked.
    day = date(2027, 2, 5)
    while day < date(2027, 5, 23):
        log("la", day)
        day += timedelta(days=12)
    # Kenji and Sofia miss the first window, say "not yet", meet two days later, then keep going.
    answer("ks", "USOFIA", CheckinAnswer.NOT_YET, datetime(2027, 2, 15, 13, 0, tzinfo=UTC))
    for on in (date(2027, 2, 17), date(2027, 3, 3), date(2027, 3, 16), date(2027, 3, 30), date(2027, 4, 13),
               date(2027, 4, 27), date(2027, 5, 11)):
        log("ks", on)
    # Mele and Keoni never meet and never answer: quiet after three windows.
    # Carlos and Ingrid plan their first meeting, hold it, then drift.
    answer("ci", "UINGRID", CheckinAnswer.PLANNED, datetime(2027, 2, 15, 17, 0, tzinfo=UTC),
           planned_for=date(2027, 2, 25))
    log("ci", date(2027, 2, 25))
    # Ole and Priya meet once; Priya pauses until 5 April.
    log("op", date(2027, 2, 10))

    def pause(session: Session, now: datetime) -> None:
        outcome = pause_participant(session, workspace=ONE_WORKSPACE, slack_user_id="UPRIYA", text="until 5 april family",
                                    now=now)
        assert outcome.paused, outcome

    events.append(Event(at=PAUSE_FROM, run=pause, name="Priya pauses"))

    def rsvp(session: Session, now: datetime) -> None:
        for user, answer_ in (("UANA", RsvpAnswer.NO), ("ULARS", RsvpAnswer.YES)):
            record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=world.meetings["kick"], slack_user_id=user,
                        answer=answer_, now=now)

    events.append(Event(at=datetime(2027, 2, 25, 12, 0, tzinfo=UTC), run=rsvp, name="RSVPs"))
    return sorted(events, key=lambda event: event.at)


def _simulate(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        world = _build(session)
    events = _events(world)
    clock = SystemClock()  # reads datetime.now, which freezegun moves
    end = START + timedelta(weeks=WEEKS)
    ticks = 0
    with freeze_time(START) as frozen:
        now = START
        while now < end:
            frozen.move_to(now)
            while events and events[0].at <= now:
                event = events.pop(0)
                with unit_of_work(session_factory) as session:
                    event.run(session, clock.now())
            if _slot_opens(now):
                run_tick(session_factory=session_factory, now=clock.now())
                _deliver_everything(session_factory, clock.now())
                ticks += 1
            now += STEP
    assert ticks > 500
    assert not events
    return world


def _slot_opens(now: datetime) -> bool:
    """Tick only when it matters: in the first step after some person's or pair's slot opened.

    Nothing can be written at any other time (a job writes a nudge only while its slot is
    open), and stepping every 30 minutes through 16 weeks of every tick would take minutes;
    the production worker ticks every minute."""
    groups = [[zone_name] for zone_name in sorted(set(ZONES.values()))] + [_zones(key) for key in PAIRS]
    for group in groups:
        slot = due_slot(now, group)
        if slot is not None and now < slot + STEP:
            return True
    return False


def _deliver_everything(session_factory: sessionmaker[Session], now: datetime) -> None:
    """Stand-in for the deliverer: due rows count as sent (the sandbox is not needed here)."""
    with unit_of_work(session_factory) as session:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING,
                                                               OutboxMessage.not_before <= now)):
            row.state = OutboxState.SENT
            row.sent_at = now


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sessionmaker[Session], World]]:
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade_to_head

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('simulation')}/round.db")
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    world = _simulate(factory)
    yield factory, world
    engine.dispose()


def _rows(factory: sessionmaker[Session], prefix: str) -> list[OutboxMessage]:
    with factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith(prefix))
                                    .order_by(OutboxMessage.not_before, OutboxMessage.id)))


def _pair_of(key: str, world: World) -> str:
    pair_id = int(key.split("pair=")[1].split(":")[0])
    return next(name for name, value in world.pairs.items() if value == pair_id)


def _zones(pair_key: str) -> list[str]:
    return [ZONES[name] for name in PAIRS[pair_key]]


def _local(instant: datetime, zone_name: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone_name))


def test_every_pair_message_went_out_in_the_pairs_slot(simulated: tuple[sessionmaker[Session], World]) -> None:
    factory, world = simulated
    rows = _rows(factory, "checkin:") + _rows(factory, "meeting-prompt:") + _rows(factory, "welcome-back:")
    assert rows
    for row in rows:
        zones = _zones(_pair_of(row.dedup_key, world))
        day = local_day(row.not_before, zones)
        assert shared_slot(day, zones) == row.not_before, (row.dedup_key, row.not_before)
        assert row.not_before <= row.created_at < row.not_before + DELIVERY_GRACE
        assert row.created_at - row.not_before < STEP, "written by the first tick after the slot opened"
        for zone_name in zones:
            local = _local(row.not_before, zone_name)
            assert is_weekday(local.date()) and 8 <= local.hour < 20, (row.dedup_key, zone_name, local)
        if set(zones) <= {"Europe/Copenhagen", "Europe/London"}:
            assert _local(row.not_before, "Europe/Copenhagen").hour == 10
    # The date-line pair: 10:00 Tuesday-Friday in Auckland (Monday-Thursday in Honolulu).
    date_line = [row for row in rows if _pair_of(row.dedup_key, world) == "mk"]
    assert date_line and {_local(row.not_before, "Pacific/Auckland").strftime("%H:%M") for row in date_line} == {"10:00"}
    assert "Mon" not in {_local(row.not_before, "Pacific/Auckland").strftime("%a") for row in date_line}
    # The far-west pair: late afternoon in Copenhagen, morning in Los Angeles.
    far_west = [row for row in rows if _pair_of(row.dedup_key, world) == "ci"]
    assert far_west and all(_local(row.not_before, "America/Los_Angeles").hour == 8 for row in far_west)


def test_each_pair_got_the_checkins_its_story_calls_for(simulated: tuple[sessionmaker[Session], World]) -> None:
    factory, world = simulated
    by_pair: dict[str, list[str]] = defaultdict(list)
    for row in _rows(factory, "checkin:"):
        by_pair[_pair_of(row.dedup_key, world)].append(row.dedup_key.split(":", 2)[2])
    assert by_pair["la"] == [], "they met in every window"
    days = Counter((_pair_of(row.dedup_key, world), local_day(row.not_before, _zones(_pair_of(row.dedup_key, world))))
                   for row in _rows(factory, "checkin:"))
    assert max(days.values()) == 1, "never two check-ins for a pair on one day"
    assert by_pair["ks"][0] == "window=2027-02-01" and not any(":again=" in key for key in by_pair["ks"])
    # Mele and Keoni: every window from the first, none twice.
    quiet_windows = by_pair["mk"]
    assert len(quiet_windows) == len(set(quiet_windows)) >= 7
    assert by_pair["ci"][0] == "window=2027-02-01", "asked once, then planned and met"
    assert "window=2027-02-15" not in by_pair["ci"], "they met on 25 February, in that window"
    # Priya's pair: asked before the pause, then nothing until two weeks after 5 April.
    op = by_pair["op"]
    assert op[0] == "window=2027-02-15", "the window after the session on 10 February, asked on 1 March"
    assert all(not key.startswith("window=2027-03") for key in op), "nothing during the pause"
    assert op[1] == "window=2027-04-05", "the cadence restarts on the day the pause ended"


def test_not_yet_asked_again_only_when_no_session_followed(simulated: tuple[sessionmaker[Session], World]) -> None:
    factory, _ = simulated
    again = [row.dedup_key for row in _rows(factory, "checkin:") if ":again=" in row.dedup_key]
    assert again == [], "Kenji and Sofia met on 17 February, after saying not yet"


def test_nothing_reached_the_paused_pair_or_person_during_the_pause(
    simulated: tuple[sessionmaker[Session], World],
) -> None:
    factory, world = simulated
    pause_end = datetime(2027, 4, 5, 0, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    with factory() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    for row in rows:
        during = PAUSE_FROM <= row.not_before < pause_end
        if not during:
            continue
        assert f"pair={world.pairs['op']}:" not in row.dedup_key or row.dedup_key.startswith("pause:"), row.dedup_key
        assert row.target != "UPRIYA", row.dedup_key
    [welcome] = _rows(factory, f"welcome-back:pair={world.pairs['op']}:")
    assert welcome.dedup_key.endswith("on=2027-04-05")
    # Ole is not paused himself: he still got the midway meeting reminders.
    ole = {row.dedup_key for row in _rows(factory, f"meeting-reminder:participant={world.people['ole']}:")}
    assert f"meeting-reminder:participant={world.people['ole']}:meeting={world.meetings['midway']}:days=7" in ole


def test_meeting_reminders_on_the_right_local_day_at_ten(simulated: tuple[sessionmaker[Session], World]) -> None:
    factory, world = simulated
    with factory() as session:
        meetings = {row.id: row for row in session.scalars(select(SharedMeeting))}
        people = {row.id: row for row in session.scalars(select(Participant))}
    rows = _rows(factory, "meeting-reminder:")
    seen: Counter[tuple[int, int]] = Counter()
    for row in rows:
        parts = dict(part.split("=") for part in row.dedup_key.split(":")[1:])
        person_row, meeting_row = people[int(parts["participant"])], meetings[int(parts["meeting"])]
        zone_name = person_row.timezone or "Europe/Copenhagen"
        local = _local(row.not_before, zone_name)
        meeting_day = _local(meeting_row.starts_at, zone_name).date()
        assert local.strftime("%H:%M") == "10:00" and is_weekday(local.date()), (row.dedup_key, local)
        days = int(parts["days"])
        if person_row.id == world.people["priya"] and meeting_row.id == world.meetings["midway"] and days == 7:
            # Its day fell in her pause (31 March): it came on the day she was back, still before the next one.
            assert local.date() == PAUSE_UNTIL and reminder_due(meeting_day=meeting_day, today=local.date(), days=days)
        else:
            assert local.date() == reminder_day(meeting_day, days), (row.dedup_key, local, meeting_day)
        assert row.not_before <= row.created_at < row.not_before + STEP
        assert row.target == person_row.slack_user_id
        seen[(person_row.id, meeting_row.id)] += 1
    assert max(seen.values()) == 2, "at most the week-before and the day-before reminder"
    mentors = {world.people[name] for name in ("lars", "kenji", "mele", "carlos", "ole")}
    course = world.meetings["course"]
    assert {person_id for person_id, meeting_id in seen if meeting_id == course} == mentors, "the course: mentors only"
    cv = world.meetings["cv"]
    assert not any(person_id in mentors for person_id, meeting_id in seen if meeting_id == cv), "CV: mentees only"
    assert world.people["mette"] not in {person_id for person_id, _ in seen}, "coordinators are not reminded"
    # Ana said she can't make the kick-off: no day-before reminder for her.
    assert seen[(world.people["ana"], world.meetings["kick"])] == 1
    assert seen[(world.people["lars"], world.meetings["kick"])] == 2


def test_prompts_before_the_workshops_and_one_quiet_note(simulated: tuple[sessionmaker[Session], World]) -> None:
    factory, world = simulated
    prompts = Counter(_pair_of(row.dedup_key, world) for row in _rows(factory, "meeting-prompt:"))
    assert prompts == {"la": 2, "ks": 2, "mk": 2, "ci": 2, "op": 2}, "each pair: the CV and the interview prompt"
    notes = _rows(factory, "quiet:")
    assert {_pair_of(row.dedup_key, world) for row in notes} >= {"mk"}
    assert len([row for row in notes if _pair_of(row.dedup_key, world) == "mk"]) == 1, "once per episode"
    assert all(row.target == "mentoring-coordinators" for row in notes)
    with factory() as session:
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING)).all() == []
