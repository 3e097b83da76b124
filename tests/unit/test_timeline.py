"""The round's timeline: meeting reminders 7 and 1 days before, prompts before the workshops,
RSVPs that can change, and the coordinators' attendance record."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.notices import decode_facts
from bot.core.outbox import enqueue_all
from bot.slack.render.timeline import (
    attendance_modal,
    meeting_reminder_message,
    parse_attendance_metadata,
    read_attendance_form,
)
from bot.timeline.notices import MeetingReminderFacts
from bot.timeline.service import (
    AttendancePerson,
    AttendanceSheet,
    LookupProblem,
    MeetingChoice,
    RsvpStatus,
    attendance_sheet,
    due_meeting_prompts,
    due_meeting_reminders,
    find_meeting,
    prepare_attendance,
    record_attendance,
    record_rsvp,
    reminder_day,
    reminder_due,
)
from scheduling.ticks import run_tick
from storage.db import unit_of_work
from storage.models import MeetingKind, MeetingRsvp, OutboxMessage, Pair, PairStatus, Participant, Role, RsvpAnswer
from tests.nudge_world import World, meeting, new_world, person, standard_world
from tests.support.notices import slack_method, slack_payload
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc
KICK_OFF = datetime(2027, 2, 24, 16, 0, tzinfo=UTC)  # Wednesday 17:00 in Copenhagen
CV_WORKSHOP = datetime(2027, 3, 8, 16, 0, tzinfo=UTC)  # a Monday
INTERVIEW = datetime(2027, 4, 14, 15, 0, tzinfo=UTC)  # Wednesday 17:00 in Copenhagen (summer time)
MENTOR_COURSE = datetime(2027, 2, 10, 16, 0, tzinfo=UTC)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        world = standard_world(session)
        person(session, world, "wei", role=Role.MENTEE, tz="Asia/Tokyo")
        person(session, world, "noor", role=Role.MENTEE, consented=False)
        meeting(session, world, "kick", kind=MeetingKind.KICK_OFF, starts_at=KICK_OFF, title="Kick-off")
        meeting(session, world, "cv", kind=MeetingKind.CV_WORKSHOP, starts_at=CV_WORKSHOP, title="CV workshop")
        meeting(session, world, "interview", kind=MeetingKind.INTERVIEW_WORKSHOP, starts_at=INTERVIEW,
                title="Interview workshop")
        meeting(session, world, "course", kind=MeetingKind.MENTOR_COURSE, starts_at=MENTOR_COURSE,
                title="Mentor course")
        return world


def reminders_at(session_factory: sessionmaker[Session], now: datetime) -> list[tuple[str, str]]:
    with session_factory() as session:
        return sorted((call.target, call.dedup_key) for call in due_meeting_reminders(session, now=now))


def test_reminder_days_keep_before_true_over_weekends() -> None:
    monday = date(2027, 3, 8)
    assert reminder_day(monday, 7) == date(2027, 3, 1)
    assert reminder_day(monday, 1) == date(2027, 3, 5), "Sunday moves to Friday"
    assert reminder_due(meeting_day=monday, today=date(2027, 3, 4), days=7)  # a missed day still goes
    assert not reminder_due(meeting_day=monday, today=date(2027, 3, 5), days=7), "the day-before one takes over"
    assert reminder_due(meeting_day=monday, today=date(2027, 3, 5), days=1)
    assert not reminder_due(meeting_day=monday, today=monday, days=1)


def test_seven_days_before_everyone_concerned_at_ten_in_their_own_zone(
    session_factory: sessionmaker[Session], world: World
) -> None:
    kick = world.meetings["kick"]
    # Wednesday 17 February, a week before: 10:00 in Copenhagen is 09:00 UTC, in London 10:00.
    assert reminders_at(session_factory, datetime(2027, 2, 17, 9, 0, tzinfo=UTC)) == [
        ("ULARS", f"meeting-reminder:participant={world.people['lars']}:meeting={kick}:days=7")
    ]
    # At 10:00 UTC Ana's slot opens; Lars's is still open (a tick may come late), dedup keeps him to one.
    assert [target for target, _ in reminders_at(session_factory, datetime(2027, 2, 17, 10, 0, tzinfo=UTC))] == [
        "UANA", "ULARS"]
    assert reminders_at(session_factory, datetime(2027, 2, 17, 8, 59, tzinfo=UTC)) == [], "nobody's 10:00"
    # In Tokyo the kick-off is on Thursday 25 February (01:00): a week before is the 18th there.
    assert reminders_at(session_factory, datetime(2027, 2, 17, 1, 0, tzinfo=UTC)) == []
    assert [target for target, _ in reminders_at(session_factory, datetime(2027, 2, 18, 1, 0, tzinfo=UTC))] == [
        "UWEI"]
    # Noor has not consented; Mette coordinates: neither is ever reminded.
    everyone = {target for hour in range(24) for day in (17, 18)
                for target, _ in reminders_at(session_factory, datetime(2027, 2, day, hour, tzinfo=UTC))}
    assert everyone == {"ULARS", "UANA", "UWEI"}


def test_the_reminder_carries_the_meeting_in_the_readers_time_and_rsvp_buttons(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory() as session:
        [call] = [call for call in due_meeting_reminders(session, now=datetime(2027, 2, 17, 10, 0, tzinfo=UTC))
                  if call.target == "UANA"]
    payload = slack_payload(call)
    text = json.dumps(payload, ensure_ascii=False)
    assert "24 Feb 2027, 16:00" in text, "17:00 in Copenhagen is 16:00 for Ana in London"
    assert "meeting.rsvp.yes" in text and "meeting.rsvp.no" in text and "DTU Lyngby" in text
    assert slack_method(call) == "chat.postMessage"
    assert payload["channel"] == "UANA" and call.not_before == datetime(2027, 2, 17, 10, 0, tzinfo=UTC)


def test_a_queued_reminder_keeps_its_facts_and_is_drawn_in_the_readers_language_when_sent(
    session_factory: sessionmaker[Session], world: World
) -> None:
    """The outbox holds what the reminder is about, not its words; the adapter draws it, so
    what goes out is exactly what the renderer makes of those facts in the reader's language."""
    kick, now = world.meetings["kick"], datetime(2027, 2, 17, 10, 0, tzinfo=UTC)
    with unit_of_work(session_factory) as session:
        session.get(Participant, world.people["ana"]).language = "da"
        record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UANA", answer=RsvpAnswer.YES,
                    now=now - timedelta(days=1))
    with unit_of_work(session_factory) as session:
        enqueue_all(session, due_meeting_reminders(session, now=now), now=now)
    with session_factory() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.target == "UANA"))
        assert row is not None
        assert row.payload["kind"] == "MeetingReminderFacts" and row.payload["language"] == "da"
        assert "text" not in row.payload and "blocks" not in row.payload
        facts = decode_facts(row.payload)
        assert facts == MeetingReminderFacts(
            meeting_id=kick, kind=MeetingKind.KICK_OFF, title="Kick-off", starts_at=KICK_OFF, location="DTU Lyngby",
            timezone="Europe/London", name="Ana", answer=RsvpAnswer.YES,
        )
        assert slack_payload(row) == {"channel": "UANA", **meeting_reminder_message(facts, "da").as_kwargs()}
        assert "24. feb. 2027, 16.00" in slack_payload(row)["text"], "Danish words, London time"


def test_who_said_no_gets_no_day_before_reminder_and_paused_people_none(
    session_factory: sessionmaker[Session], world: World
) -> None:
    day_before = datetime(2027, 2, 23, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen
    with unit_of_work(session_factory) as session:
        assert record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=world.meetings["kick"], slack_user_id="ULARS",
                           answer=RsvpAnswer.NO,
                           now=day_before - timedelta(days=3)).status is RsvpStatus.RECORDED
    assert reminders_at(session_factory, day_before) == []
    with unit_of_work(session_factory) as session:
        record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=world.meetings["kick"], slack_user_id="ULARS",
                    answer=RsvpAnswer.YES,
                    now=day_before - timedelta(days=2))
        lars = session.get(Participant, world.people["lars"])
        assert lars is not None
        lars.paused_until = date(2027, 2, 24)
    assert reminders_at(session_factory, day_before) == [], "on a pause"
    with unit_of_work(session_factory) as session:
        session.get(Participant, world.people["lars"]).paused_until = None
    assert [key for _, key in reminders_at(session_factory, day_before)] == [
        f"meeting-reminder:participant={world.people['lars']}:meeting={world.meetings['kick']}:days=1"
    ]


def test_only_the_people_a_meeting_concerns(session_factory: sessionmaker[Session], world: World) -> None:
    # The CV workshop on Monday 8 March: mentees only; the day-before reminder on Friday 5 March.
    friday_ten_tokyo = datetime(2027, 3, 5, 1, 0, tzinfo=UTC)
    assert [target for target, _ in reminders_at(session_factory, friday_ten_tokyo)] == ["UWEI"]
    assert reminders_at(session_factory, datetime(2027, 3, 5, 9, 0, tzinfo=UTC)) == [], "Lars is a mentor"
    assert reminders_at(session_factory, datetime(2027, 3, 7, 1, 0, tzinfo=UTC)) == [], "never on Sunday"
    # The mentor course: mentors only.
    assert [target for target, _ in reminders_at(session_factory, datetime(2027, 2, 9, 9, 0, tzinfo=UTC))] == [
        "ULARS"]


def test_prompts_before_the_workshops_in_the_pair_channel(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory() as session:
        assert due_meeting_prompts(session, now=datetime(2027, 2, 26, 9, 0, tzinfo=UTC)) == []
        [cv] = due_meeting_prompts(session, now=datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
        [interview] = due_meeting_prompts(session, now=datetime(2027, 4, 7, 8, 0, tzinfo=UTC))
    assert cv.dedup_key == f"meeting-prompt:pair={world.pairs['la']}:meeting={world.meetings['cv']}"
    assert slack_payload(cv)["channel"] == "CLA" and "Ana's CV" in json.dumps(slack_payload(cv))
    assert "practise a job interview" in json.dumps(slack_payload(interview))
    with unit_of_work(session_factory) as session:
        row = session.get(Pair, world.pairs["la"])
        assert row is not None
        row.status, row.paused_until = PairStatus.PAUSED, date(2027, 3, 10)
    with session_factory() as session:
        assert due_meeting_prompts(session, now=datetime(2027, 3, 1, 9, 0, tzinfo=UTC)) == []


def test_running_the_tick_twice_sends_nothing_twice(session_factory: sessionmaker[Session], world: World) -> None:
    now = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    first = run_tick(session_factory=session_factory, now=now)
    assert first.enqueued["meeting-prompts"] == 1 and first.enqueued["pair-checkins"] == 1
    second = run_tick(session_factory=session_factory, now=now)
    assert sum(second.enqueued.values()) == 0


def test_an_answer_is_stored_and_can_change_until_the_meeting(
    session_factory: sessionmaker[Session], world: World
) -> None:
    kick = world.meetings["kick"]
    before = KICK_OFF - timedelta(days=2)
    with unit_of_work(session_factory) as session:
        first = record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UANA", answer=RsvpAnswer.YES,
                            now=before)
        second = record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UANA", answer=RsvpAnswer.NO,
                             now=before)
        assert first.facts is not None and second.facts is not None and second.facts.answer is RsvpAnswer.NO
        assert record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=world.meetings["cv"], slack_user_id="ULARS",
                           answer=RsvpAnswer.YES,
                           now=before).status is RsvpStatus.NOT_INVITED
        assert record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UANA", answer=RsvpAnswer.YES,
                           now=KICK_OFF).status is RsvpStatus.STALE
    with session_factory() as session:
        [rsvp] = session.scalars(select(MeetingRsvp)).all()
        assert rsvp.answer is RsvpAnswer.NO


def test_company_contacts_are_never_reminded_invited_or_on_the_attendance_sheet(
    session_factory: sessionmaker[Session], world: World
) -> None:
    """Even a company contact who looks like a participant (in Slack, consented) is in none of
    the round's meetings: no reminder, an RSVP click is refused, the sheet leaves them out."""
    with unit_of_work(session_factory) as session:
        hanne = person(session, world, "hanne", role=Role.COMPANY_CONTACT)
    kick = world.meetings["kick"]
    everyone = {target for hour in range(24) for day in (17, 18, 23, 24)
                for target, _ in reminders_at(session_factory, datetime(2027, 2, day, hour, tzinfo=UTC))}
    assert "UHANNE" not in everyone and "UANA" in everyone
    with unit_of_work(session_factory) as session:
        refused = record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UHANNE", answer=RsvpAnswer.YES,
                              now=KICK_OFF - timedelta(days=1))
        assert refused.status is RsvpStatus.NOT_INVITED
        sheet = attendance_sheet(session, meeting_id=kick)
        assert sheet is not None and hanne.id not in {p.participant_id for p in sheet.people}
        # A forged sheet that lists her records nothing for her.
        result = record_attendance(session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UMETTE",
                                   listed_ids=[hanne.id, world.people["ana"]], ticked_ids={hanne.id},
                                   now=KICK_OFF + timedelta(hours=3))
        assert result.saved and result.listed == 1
    with session_factory() as session:
        assert [rsvp.participant_id for rsvp in session.scalars(select(MeetingRsvp))] == [world.people["ana"]]


# --- attendance ------------------------------------------------------------------------------------------------


def test_meetings_are_found_by_kind_title_or_number_in_either_language(
    session_factory: sessionmaker[Session], world: World
) -> None:
    now = datetime(2027, 3, 1, tzinfo=UTC)
    with session_factory() as session:
        def find(typed: str):  # noqa: ANN202
            return find_meeting(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", typed=typed, now=now)

        assert find("kick-off").meeting.meeting_id == world.meetings["kick"]
        assert find("Kickoff").meeting.meeting_id == world.meetings["kick"]
        assert find("cv_workshop").meeting.meeting_id == world.meetings["cv"]
        assert find("jobsamtaler").meeting.meeting_id == world.meetings["interview"]
        assert find(str(world.meetings["course"])).meeting.meeting_id == world.meetings["course"]
        assert find("workshop").problem is LookupProblem.AMBIGUOUS
        assert {c.meeting_id for c in find("workshop").choices} == {world.meetings["cv"], world.meetings["interview"]}
        assert find("picnic").problem is LookupProblem.NOT_FOUND and len(find("picnic").choices) == 4
        listed = find("")
        assert listed.problem is LookupProblem.CHOOSE
        assert [c.meeting_id for c in listed.choices[:2]] == [world.meetings["kick"], world.meetings["course"]]
        assert find_meeting(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", typed="kick-off", now=now).problem is (
            LookupProblem.NO_MEETINGS), "not a coordinator of any round"


def test_the_sheet_is_prefilled_from_answers_then_from_the_record(
    session_factory: sessionmaker[Session], world: World
) -> None:
    kick = world.meetings["kick"]
    with unit_of_work(session_factory) as session:
        record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UANA", answer=RsvpAnswer.YES,
                    now=KICK_OFF - timedelta(days=1))
        record_rsvp(session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UWEI", answer=RsvpAnswer.NO,
                    now=KICK_OFF - timedelta(days=1))
    with session_factory() as session:
        sheet = attendance_sheet(session, meeting_id=kick)
    assert sheet is not None and not sheet.recorded_before
    assert {p.name for p in sheet.people} == {"Lars", "Ana", "Wei", "Noor"}, "everyone concerned, not Mette"
    assert sheet.ticked == {world.people["ana"]} and (sheet.said_yes, sheet.said_no) == (1, 1)
    with unit_of_work(session_factory) as session:
        result = record_attendance(
            session, workspace=ONE_WORKSPACE, meeting_id=kick, slack_user_id="UMETTE",
            listed_ids=[p.participant_id for p in sheet.people], ticked_ids={world.people["ana"], world.people["wei"]},
            now=KICK_OFF + timedelta(hours=3),
        )
    assert result.saved and (result.came, result.listed) == (2, 4)
    with session_factory() as session:
        again = attendance_sheet(session, meeting_id=kick)
        attended = {rsvp.participant_id: rsvp.attended for rsvp in session.scalars(select(MeetingRsvp))}
    assert again is not None and again.recorded_before and again.ticked == {world.people["ana"], world.people["wei"]}
    assert attended[world.people["lars"]] is False and attended[world.people["wei"]] is True


def test_only_the_rounds_coordinators_record_attendance(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        refused = record_attendance(session, workspace=ONE_WORKSPACE, meeting_id=world.meetings["kick"], slack_user_id="UANA",
                                    listed_ids=[world.people["ana"]], ticked_ids={world.people["ana"]},
                                    now=KICK_OFF)
        admin = prepare_attendance(session, workspace=ONE_WORKSPACE, slack_user_id="UADMIN", admin_user_ids=("UADMIN",),
                                   typed="kick-off",
                                   now=KICK_OFF)
    assert not refused.saved and admin.sheet is not None


def test_two_rounds_with_a_kick_off_each_are_offered_as_choices(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        for name in ("Spring", "Autumn"):
            world = new_world(session, name=name)
            session.add(Participant(round_id=world.round_id, role=Role.COORDINATOR, email=f"m-{name}@x.org",
                                    name="Mette", slack_user_id="UMETTE", created_at=KICK_OFF, updated_at=KICK_OFF))
            meeting(session, world, "kick", kind=MeetingKind.KICK_OFF, starts_at=KICK_OFF, title="Kick-off")
    with session_factory() as session:
        lookup = find_meeting(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", typed="kick-off", now=KICK_OFF)
    assert lookup.problem is LookupProblem.AMBIGUOUS and {c.round_name for c in lookup.choices} == {"Spring", "Autumn"}


def test_the_modal_splits_checkboxes_into_groups_of_ten_and_stops_at_a_hundred() -> None:
    people = tuple(AttendancePerson(participant_id=index, name=f"Person {index}", role=Role.MENTEE)
                   for index in range(1, 26))
    sheet = AttendanceSheet(
        meeting=MeetingChoice(meeting_id=9, kind=MeetingKind.KICK_OFF, title="Kick-off", round_name="Spring",
                              starts_at=KICK_OFF, timezone="Europe/Copenhagen"),
        people=people, ticked=frozenset({1, 12, 25}), said_yes=3, said_no=0, recorded_before=False, left_out=7,
    )
    view = attendance_modal(sheet, language="da")
    groups = [block for block in view["blocks"] if block["type"] == "input"]
    assert [len(block["element"]["options"]) for block in groups] == [10, 10, 5]
    assert all(block["optional"] for block in groups) and len(view["title"]["text"]) <= 24
    assert [[o["value"] for o in block["element"].get("initial_options", [])] for block in groups] == [
        ["1"], ["12"], ["25"]]
    assert view["title"]["text"] == "Fremmøde" and "7" in json.dumps(view["blocks"])
    assert parse_attendance_metadata(view["private_metadata"]) == (9, list(range(1, 26)))
    values = {block["block_id"]: {block["element"]["action_id"]: {
        "type": "checkboxes", "selected_options": block["element"].get("initial_options", [])}} for block in groups}
    assert read_attendance_form(values) == {1, 12, 25}
    from bot.sandbox._blocks import validate_view

    assert validate_view(view, allowed_types=frozenset({"modal"})) == []
