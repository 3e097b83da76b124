"""Check-in answers, RSVPs, pause/resume and attendance: callbacks called directly, as Bolt
would, with fakes for ack, respond and the Web API client."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.container import Deps
from handlers.actions.checkin_answer import handle_checkin_answer
from handlers.actions.meeting_rsvp import handle_meeting_rsvp
from handlers.commands.mentoring import handle_mentoring
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.views.attendance_submit import handle_attendance_submit
from scheduling.ticks import run_tick
from storage.db import unit_of_work
from storage.models import Checkin, CheckinAnswer, MeetingKind, MeetingRsvp, Participant, Role, RsvpAnswer
from tests.nudge_world import World, meeting, new_world, person, standard_world
from tests.support.handlers import FakeClient, Recorder, call_listener, said

LOG = logging.getLogger("test")
UTC = timezone.utc
MONDAY = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)
KICK_OFF = datetime(2027, 2, 24, 16, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        world = standard_world(session)
        meeting(session, world, "kick", kind=MeetingKind.KICK_OFF, starts_at=KICK_OFF, title="Kick-off")
    run_tick(session_factory=session_factory, now=MONDAY)  # the first check-in
    return world


def click(deps: Deps, handler: Any, *, user: str, action: dict[str, Any]) -> tuple[list[str], Recorder, FakeClient]:
    order: list[str] = []
    ack, respond, client = Recorder(order, "ack"), Recorder(order, "respond"), FakeClient(order)
    body = {"type": "block_actions", "user": {"id": user}, "channel": {"id": "CLA"}, "message": {"ts": "1.2"},
            "actions": [action]}
    call_listener(handler, deps=deps, user_id=user, ack=ack, body=body, action=action, client=client, respond=respond,
                  logger=LOG)
    return order, respond, client


def checkin_action(action_id: str, world: World, **extra: Any) -> dict[str, Any]:
    ref = f"{world.pairs['la']}|2027-02-01"
    action = {"action_id": action_id, "block_id": f"checkin|{ref}", **extra}
    if action_id != "checkin.planned":
        action["value"] = ref
    return action


text_of = said


def test_a_planned_date_acks_first_records_and_redraws(deps: Deps, world: World,
                                                        session_factory: sessionmaker[Session]) -> None:
    order, respond, client = click(deps, handle_checkin_answer, user="UANA",
                                   action=checkin_action("checkin.planned", world, selected_date="2027-02-19",
                                                         type="datepicker"))
    assert order == ["ack", "chat.update"] and respond.calls == []
    [update] = client.made("chat.update")
    assert (update["channel"], update["ts"]) == ("CLA", "1.2")
    assert "planned for 19 February 2027" in text_of(update)
    with session_factory() as session:
        checkin = session.scalars(select(Checkin)).one()
        assert checkin.answer is CheckinAnswer.PLANNED and checkin.planned_for == date(2027, 2, 19)


def test_someone_outside_the_pair_is_told_ephemerally(deps: Deps, world: World,
                                                      session_factory: sessionmaker[Session]) -> None:
    order, respond, client = click(deps, handle_checkin_answer, user="UMETTE",
                                   action=checkin_action("checkin.not_yet", world))
    assert order == ["ack", "respond"] and client.calls == []
    [answer] = respond.calls
    assert answer["response_type"] == "ephemeral" and "kun de kan svare" in answer["text"], "in Mette's Danish"
    with session_factory() as session:
        assert session.scalars(select(Checkin)).one().answer is None


def test_a_past_date_or_a_forged_button_changes_nothing(deps: Deps, world: World) -> None:
    _, respond, client = click(deps, handle_checkin_answer, user="UANA",
                               action=checkin_action("checkin.planned", world, selected_date="2027-02-01"))
    assert client.calls == [] and "That date has passed" in respond.calls[0]["text"]
    _, respond, client = click(deps, handle_checkin_answer, user="UANA",
                               action={"action_id": "checkin.help", "block_id": "x", "value": "nonsense"})
    assert client.calls == [] and "no longer open" in respond.calls[0]["text"]


def test_help_redraws_and_queues_the_coordinators_note(deps: Deps, world: World,
                                                       session_factory: sessionmaker[Session]) -> None:
    _, _, client = click(deps, handle_checkin_answer, user="ULARS", action=checkin_action("checkin.help", world))
    assert "coordinator has been told" in text_of(client.made("chat.update")[0])
    run = run_tick(session_factory=session_factory, now=MONDAY)
    assert any(row.dedup_key.startswith("checkin-help:") for row in run.due)


def test_an_rsvp_is_stored_and_the_reminder_redrawn(deps: Deps, world: World,
                                                    session_factory: sessionmaker[Session]) -> None:
    action = {"action_id": "meeting.rsvp.no", "block_id": f"meeting.rsvp|{world.meetings['kick']}",
              "value": str(world.meetings["kick"])}
    order, _, client = click(deps, handle_meeting_rsvp, user="UANA", action=action)
    assert order == ["ack", "chat.update"] and "you can't make it" in text_of(client.made("chat.update")[0])
    action = {**action, "action_id": "meeting.rsvp.yes"}
    click(deps, handle_meeting_rsvp, user="UANA", action=action)
    with session_factory() as session:
        assert session.scalars(select(MeetingRsvp)).one().answer is RsvpAnswer.YES
    _, respond, client = click(deps, handle_meeting_rsvp, user="UMETTE", action=action)
    assert client.calls == [] and respond.calls[0]["response_type"] == "ephemeral"


def command(deps: Deps, handler: Any, *, user: str, text: str) -> tuple[list[str], Recorder, FakeClient]:
    order: list[str] = []
    ack, respond, client = Recorder(order, "ack"), Recorder(order, "respond"), FakeClient(order)
    payload = {"command": "/x", "text": text, "user_id": user, "channel_id": "C1", "trigger_id": "T1"}
    call_listener(handler, deps=deps, user_id=user, ack=ack, command=payload, respond=respond, client=client, logger=LOG)
    return order, respond, client


def test_pause_and_resume_answer_ephemerally(deps: Deps, world: World, session_factory: sessionmaker[Session]) -> None:
    order, respond, _ = command(deps, handle_mentoring, user="UANA", text="pause until 1 march moving")
    assert order == ["ack", "respond"] and "You are on a pause until *1 March 2027*" in text_of(respond.calls[0])
    _, respond, _ = command(deps, handle_mentoring, user="UANA", text="resume")
    assert "Welcome back!" in respond.calls[0]["text"]
    with session_factory() as session:
        ana = session.scalars(select(Participant).where(Participant.slack_user_id == "UANA")).one()
        assert ana.paused_until == date(2027, 2, 15)


def test_pause_with_a_bad_date_explains_in_the_persons_language(deps: Deps, world: World,
                                                                 session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        session.scalars(select(Participant).where(Participant.slack_user_id == "ULARS")).one().language = "da"
    _, respond, _ = command(deps, handle_mentoring, user="ULARS", text="pause til engang")
    text = text_of(respond.calls[0])
    assert "Jeg kunne ikke læse “engang” som en dato" in text and "pause til 15. marts" in text
    _, respond, _ = command(deps, handle_mentoring, user="ULARS", text="pause til 1. december")
    assert "højst vare 183 dage" in respond.calls[0]["text"]


def test_help_lists_pause_for_participants_and_attendance_for_coordinators(deps: Deps, world: World) -> None:
    _, respond, _ = command(deps, handle_mentoring, user="UANA", text="help")
    assert "/mentoring pause until DATE [reason]" in text_of(respond.calls[0])
    _, respond, _ = command(deps, handle_mentoring_admin, user="UMETTE", text="help")
    assert "/mentoring-admin attendance MØDE" in text_of(respond.calls[0])


def test_attendance_opens_a_prefilled_modal_and_the_submission_is_stored(
    deps: Deps, world: World, clock: FixedClock, session_factory: sessionmaker[Session]
) -> None:
    click(deps, handle_meeting_rsvp, user="UANA", action={"action_id": "meeting.rsvp.yes",
                                                           "value": str(world.meetings["kick"])})
    clock.set(KICK_OFF + timedelta(hours=3))
    order, respond, client = command(deps, handle_mentoring_admin, user="UMETTE", text="attendance kick-off")
    assert order == ["ack", "views.open"] and respond.calls == []
    [opened] = client.made("views.open")
    view = opened["view"]
    assert opened["trigger_id"] == "T1" and view["callback_id"] == "meeting.attendance.submit"
    [group] = [block for block in view["blocks"] if block["type"] == "input"]
    assert [option["value"] for option in group["element"]["initial_options"]] == [str(world.people["ana"])]

    order = []
    ack, client = Recorder(order, "ack"), FakeClient(order)
    state = {"values": {group["block_id"]: {group["element"]["action_id"]: {
        "type": "checkboxes", "selected_options": group["element"]["options"]}}}}
    call_listener(handle_attendance_submit, deps=deps, user_id="UMETTE", ack=ack, body={"user": {"id": "UMETTE"}},
                  view={**view, "state": state}, client=client, logger=LOG)
    assert order == ["ack", "chat.postMessage"]
    assert "2 af 2 kom" in client.made("chat.postMessage")[0]["text"]
    with session_factory() as session:
        assert all(rsvp.attended for rsvp in session.scalars(select(MeetingRsvp)))


def test_an_unclear_meeting_gets_a_list_and_participants_are_refused(deps: Deps, world: World) -> None:
    _, respond, client = command(deps, handle_mentoring_admin, user="UMETTE", text="attendance picnic")
    assert client.calls == [] and "Intet møde passer til “picnic”" in text_of(respond.calls[0])
    assert f"`{world.meetings['kick']}`" in text_of(respond.calls[0])
    _, respond, client = command(deps, handle_mentoring_admin, user="UANA", text="attendance kick-off")
    assert client.calls == [] and "Only the programme's coordinators" in respond.calls[0]["text"]


def test_a_forged_attendance_submission_saves_nothing(deps: Deps, world: World,
                                                      session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:  # Olga coordinates another programme's round
        person(session, new_world(session, name="Autumn 2027"), "olga", role=Role.COORDINATOR)
    view = {"title": {"type": "plain_text", "text": "Attendance"},
            "private_metadata": json.dumps({"meeting": world.meetings["kick"], "people": [world.people["ana"]]}),
            "state": {"values": {}}}
    # A participant never reaches the listener: the modal is replaced by the refusal.
    order: list[str] = []
    ack, client = Recorder(order, "ack"), FakeClient(order)
    body = {"type": "view_submission", "user": {"id": "UANA"}, "view": view}
    assert not call_listener(handle_attendance_submit, deps=deps, user_id="UANA", ack=ack, body=body, view=view,
                             client=client, logger=LOG)
    assert order == ["ack"] and ack.calls[0]["response_action"] == "update"
    assert "Only the programme's coordinators" in json.dumps(ack.calls[0]["view"])
    # A coordinator of another round gets as far as the service, which refuses the meeting.
    order = []
    ack, client = Recorder(order, "ack"), FakeClient(order)
    call_listener(handle_attendance_submit, deps=deps, user_id="UOLGA", ack=ack, body={**body, "user": {"id": "UOLGA"}},
                  view=view, client=client, logger=LOG)
    assert order[0] == "ack" and "Only the round's coordinators" in client.made("chat.postMessage")[0]["text"]
    with session_factory() as session:
        assert session.scalars(select(MeetingRsvp)).all() == []
