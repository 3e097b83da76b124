"""Nudges and the round's timeline as Slack drives them: a check-in posted in a pair channel
in the sandbox and answered by signed block actions (a planned date, not yet, help that
reaches the coordinators), a pause and a resume by signed slash commands, a meeting
reminder answered with its RSVP buttons, and the attendance modal submitted."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from bot.slack.render.onboarding import ConsentChoice, consent_value
from storage.db import unit_of_work
from storage.models import (
    Checkin,
    CheckinAnswer,
    ConsentPurpose,
    MeetingKind,
    MeetingRsvp,
    MentoringSession,
    Pair,
    PairStatus,
    Role,
    RsvpAnswer,
)
from tests.nudge_world import World, meeting, new_world, pair, person
from tests.support.answers import answers_on, ephemeral_text, find_element, message_text
from tests.support.digest_round import not_digests

UTC = timezone.utc
MONDAY_TEN = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen, 09:00 in London
KICK_OFF = datetime(2027, 2, 24, 16, 0, tzinfo=UTC)


@pytest.fixture
def world(slack: SandboxedApp) -> dict[str, Any]:
    sandbox = slack.sandbox
    sandbox.add_user(user_id="ULARS", name="lars", email="lars@example.org", tz="Europe/Copenhagen")
    sandbox.add_user(user_id="UANA", name="ana", email="ana@example.org", tz="Europe/London")
    sandbox.add_user(user_id="UMETTE", name="mette", email="mette@example.org", locale="da-DK")
    channel = sandbox.add_channel(name="mentoring-lars-ana", is_private=True,
                                  members=(sandbox.bot_user_id, "ULARS", "UANA"))["id"]
    sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(sandbox.bot_user_id, "UMETTE"))
    with unit_of_work(slack.runtime.session_factory) as session:
        built: World = new_world(session)
        person(session, built, "lars", role=Role.MENTOR)
        person(session, built, "ana", role=Role.MENTEE, tz="Europe/London")
        person(session, built, "mette", role=Role.COORDINATOR, language="da")
        pair(session, built, "la", mentor="lars", mentee="ana", channel=channel)
        meeting(session, built, "kick", kind=MeetingKind.KICK_OFF, starts_at=KICK_OFF, title="Kick-off")
    return {"world": built, "channel": channel}


def at(slack: SandboxedApp, instant: datetime) -> None:
    slack.clock.set(instant)
    slack.tick_and_deliver(now=instant)


def test_a_checkin_is_posted_and_answered_by_the_pair(slack: SandboxedApp, world: dict[str, Any]) -> None:
    channel = world["channel"]
    at(slack, MONDAY_TEN - timedelta(hours=1))
    assert slack.sandbox.messages_in(channel) == []
    at(slack, MONDAY_TEN)
    [checkin] = slack.sandbox.messages_in(channel)
    assert "Did you meet?" in message_text(checkin) and "<@ULARS>" in message_text(checkin)
    block_id, picker = find_element(checkin, "checkin.planned")
    assert picker["type"] == "datepicker"
    _, yes = find_element(checkin, "session.log.open")
    assert yes["value"] == str(world["world"].pairs["la"])

    # "Yes" is the session-logging feature's button: it opens the log modal for this pair.
    yes_block = next(block["block_id"] for block in checkin["blocks"] if block["type"] == "actions")
    slack.click("UANA", "session.log.open", value=yes["value"], block_id=yes_block, message=checkin,
                channel_id=channel)
    assert [view["callback_id"] for view in slack.sandbox.opened_views] == ["session.log.submit"]

    # Ana: it's planned for Friday.
    response = slack.click("UANA", "checkin.planned", block_id=block_id, message=checkin, channel_id=channel,
                           selected_date="2027-02-19")
    assert response.status == 200
    [updated] = slack.sandbox.messages_in(channel)
    assert "planned for 19 February 2027" in message_text(updated)

    # Lars changes it: not yet.
    not_yet_block, not_yet = find_element(updated, "checkin.not_yet")
    slack.click("ULARS", "checkin.not_yet", value=not_yet["value"], block_id=not_yet_block, message=updated,
                channel_id=channel)
    [updated] = slack.sandbox.messages_in(channel)
    assert "not yet. We will ask again on 18 February 2027" in message_text(updated)

    # Mette is not in the pair: an ephemeral note, nothing changes.
    response = slack.click("UMETTE", "checkin.help", value=not_yet["value"], block_id=not_yet_block, message=updated,
                           channel_id=channel)
    [note] = answers_on(slack, response.response_url)
    assert note["response_type"] == "ephemeral" and "kun de kan svare" in note["text"]

    # Lars asks for help: the coordinators hear it through the outbox.
    slack.click("ULARS", "checkin.help", value=not_yet["value"], block_id=not_yet_block, message=updated,
                channel_id=channel)
    slack.deliver()
    [told] = not_digests(slack.sandbox.messages_in("mentoring-coordinators"))
    assert "Lars asked for help" in message_text(told) and f"<#{channel}>" in message_text(told)
    with unit_of_work(slack.runtime.session_factory) as session:
        checkin_row = session.scalars(select(Checkin)).one()
        assert checkin_row.answer is CheckinAnswer.HELP

    # Running the same instant again sends nothing twice.
    at(slack, MONDAY_TEN)
    assert len(slack.sandbox.messages_in(channel)) == 1


def test_pause_and_resume_by_slash_command(slack: SandboxedApp, world: dict[str, Any]) -> None:
    channel = world["channel"]
    slack.clock.set(datetime(2027, 2, 3, 13, 0, tzinfo=UTC))
    response = slack.slash("UANA", "/mentoring", "pause until 10 march moving flat")
    assert response.status == 200
    [answer] = answers_on(slack, response.response_url)
    assert answer["response_type"] == "ephemeral" and "10 March 2027" in answer["text"]
    slack.deliver()
    [notice] = slack.sandbox.messages_in(channel)
    assert "Ana is taking a break" in notice["text"] and "moving flat" not in message_text(notice)
    [coordinators] = not_digests(slack.sandbox.messages_in("mentoring-coordinators"))
    assert "moving flat" in coordinators["text"]

    at(slack, MONDAY_TEN)  # the first window passes during the pause: no check-in
    assert len(slack.sandbox.messages_in(channel)) == 1

    bad = slack.slash("UANA", "/mentoring", "pause until whenever")
    assert "could not read" in answers_on(slack, bad.response_url)[0]["text"]

    back = slack.slash("UANA", "/mentoring", "resume")
    assert "Welcome back!" in answers_on(slack, back.response_url)[0]["text"]
    slack.deliver()
    assert "Welcome back" in slack.sandbox.messages_in(channel)[-1]["text"]
    with unit_of_work(slack.runtime.session_factory) as session:
        row = session.scalars(select(Pair)).one()
        assert row.status is PairStatus.ACTIVE and row.paused_until == date(2027, 2, 15)


def test_a_meeting_reminder_is_answered_and_attendance_recorded(slack: SandboxedApp, world: dict[str, Any]) -> None:
    at(slack, datetime(2027, 2, 17, 10, 0, tzinfo=UTC))  # a week before: 10:00 for Ana in London
    [reminder] = slack.sandbox.dm_messages("UANA")
    assert "Kick-off" in message_text(reminder) and "24 Feb 2027, 16:00" in message_text(reminder)
    block_id, no = find_element(reminder, "meeting.rsvp.no")
    slack.click("UANA", "meeting.rsvp.no", value=no["value"], block_id=block_id, message=reminder,
                channel_id=slack.sandbox.im_channel_for("UANA"))
    [updated] = slack.sandbox.dm_messages("UANA")
    assert "you can't make it" in message_text(updated)
    _, yes = find_element(updated, "meeting.rsvp.yes")
    slack.click("UANA", "meeting.rsvp.yes", value=yes["value"], block_id=block_id, message=updated,
                channel_id=slack.sandbox.im_channel_for("UANA"))
    assert "you will be there" in message_text(slack.sandbox.dm_messages("UANA")[0])
    # Lars got his at 10:00 in Copenhagen, an hour earlier (the same tick: his slot was still open).
    assert len(slack.sandbox.dm_messages("ULARS")) == 1
    assert slack.sandbox.dm_messages("UMETTE") == [], "coordinators are not reminded"

    # After the meeting the coordinator ticks who came.
    slack.clock.set(KICK_OFF + timedelta(hours=3))
    response = slack.slash("UMETTE", "/mentoring-admin", "attendance kick-off")
    assert response.status == 200 and answers_on(slack, response.response_url) == []
    view = slack.sandbox.opened_views[-1]
    assert view["callback_id"] == "meeting.attendance.submit" and view["title"]["text"] == "Fremmøde"
    [group] = [block for block in view["blocks"] if block["type"] == "input"]
    ana_id = str(world["world"].people["ana"])
    assert [option["value"] for option in group["element"]["initial_options"]] == [ana_id]
    lars = next(option for option in group["element"]["options"] if option["value"] != ana_id)
    submitted = slack.submit("UMETTE", "meeting.attendance.submit", view_id=view["id"], values={
        group["block_id"]: {group["element"]["action_id"]: {"type": "checkboxes", "selected_options": [lars]}}})
    assert submitted.status == 200 and submitted.view_errors == ()
    assert "1 af 2 kom" in slack.sandbox.dm_messages("UMETTE")[-1]["text"]
    with unit_of_work(slack.runtime.session_factory) as session:
        attended = {row.participant_id: row.attended for row in session.scalars(select(MeetingRsvp))}
        answers = {row.participant_id: row.answer for row in session.scalars(select(MeetingRsvp))}
    assert attended == {world["world"].people["ana"]: False, world["world"].people["lars"]: True}
    assert answers[world["world"].people["ana"]] is RsvpAnswer.YES


def test_an_ambiguous_meeting_is_answered_with_choices(slack: SandboxedApp, world: dict[str, Any]) -> None:
    response = slack.slash("UMETTE", "/mentoring-admin", "attendance")
    [answer] = answers_on(slack, response.response_url)
    assert "Hvilket møde?" in answer["text"] and slack.sandbox.opened_views == []


# --- issue 8: pauses say what is true, and take back what is not ---------------------------------------

SATURDAY_EVENING = datetime(2027, 2, 6, 18, 0, tzinfo=UTC)  # notices wait for Monday's slot
MONDAY_SLOT = datetime(2027, 2, 8, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen, 09:00 in London


def test_the_partner_of_someone_on_a_break_hears_who_paused_and_until_when(slack: SandboxedApp,
                                                                             world: dict[str, Any]) -> None:
    """Defect 7: the partner was told to `/mentoring resume`, which then said they were not paused."""
    slack.clock.set(datetime(2027, 2, 3, 13, 0, tzinfo=UTC))
    slack.slash("UANA", "/mentoring", "pause until 10 march")

    said = ephemeral_text(slack, slack.slash("ULARS", "/log-session", "yesterday 45m CV").response_url)
    assert "no session was logged" in said and "Ana is taking a break until 10 March 2027" in said
    assert "log sessions again from 10 March 2027" in said and "ask Ana to come back sooner" in said
    assert "Resume with" not in said

    said = ephemeral_text(slack, slack.slash("ULARS", "/mentoring", "resume").response_url)
    assert "not on a pause yourself, but your pair is" in said and "Ana is taking a break until 10 March 2027" in said

    # Ana, who paused, is the one told that `/mentoring resume` ends it.
    said = ephemeral_text(slack, slack.slash("UANA", "/log-session", "yesterday 45m CV").response_url)
    assert "You are on a break until 10 March 2027" in said and "`/mentoring resume`" in said

    # Both on a break: ending her own does not promise check-ins while Lars is still away.
    slack.slash("ULARS", "/mentoring", "pause until 20 march")
    said = ephemeral_text(slack, slack.slash("UANA", "/mentoring", "resume").response_url)
    assert "Your pause has ended" in said and "Lars is taking a break until 20 March 2027" in said
    assert "check-ins start again" not in said
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalars(select(MentoringSession)).all() == []
        assert session.scalars(select(Pair)).one().status is PairStatus.PAUSED


def test_a_pause_taken_back_before_its_notices_went_out_is_never_announced(slack: SandboxedApp,
                                                                            world: dict[str, Any]) -> None:
    """Defect 8: "taking a break until 15 March" and "Welcome back" went out together at 10:00,
    and the coordinators heard of a pause that was already over."""
    channel = world["channel"]
    slack.clock.set(SATURDAY_EVENING)
    slack.slash("UANA", "/mentoring", "pause until 15 march moving flat")
    slack.deliver()
    assert slack.sandbox.messages_in(channel) == [] and not_digests(slack.sandbox.messages_in("mentoring-coordinators")) == []
    slack.clock.set(SATURDAY_EVENING + timedelta(hours=20))
    assert "Welcome back!" in ephemeral_text(slack, slack.slash("UANA", "/mentoring", "resume").response_url)

    at(slack, MONDAY_SLOT)
    at(slack, MONDAY_SLOT + timedelta(hours=2))
    assert slack.sandbox.messages_in(channel) == []
    assert not_digests(slack.sandbox.messages_in("mentoring-coordinators")) == []

    # A pause taken again is a new pause: announced once, with its date.
    slack.slash("UANA", "/mentoring", "pause until 15 march")
    slack.deliver()
    [notice] = slack.sandbox.messages_in(channel)
    assert "Ana is taking a break" in notice["text"] and "15 March 2027" in notice["text"]
    [told] = not_digests(slack.sandbox.messages_in("mentoring-coordinators"))
    assert "Ana" in told["text"] and "15 March 2027" in told["text"]


def test_a_pause_moved_before_its_notices_went_out_is_announced_once_with_its_new_date(
        slack: SandboxedApp, world: dict[str, Any]) -> None:
    channel = world["channel"]
    slack.clock.set(SATURDAY_EVENING)
    slack.slash("UANA", "/mentoring", "pause until 15 march")
    slack.slash("UANA", "/mentoring", "pause until 20 march")
    slack.slash("UANA", "/mentoring", "pause until 20 march packing")  # the same pause: nothing new to say
    at(slack, MONDAY_SLOT)
    [notice] = slack.sandbox.messages_in(channel)
    assert "20 March 2027" in notice["text"] and "15 March" not in notice["text"]
    [told] = not_digests(slack.sandbox.messages_in("mentoring-coordinators"))
    assert "20 March 2027" in told["text"] and "15 March" not in told["text"]


def test_an_ended_pair_hears_nothing_queued_for_a_pair_that_goes_on(slack: SandboxedApp,
                                                                     world: dict[str, Any]) -> None:
    """After the goodbye, no pause notice (nor check-in, prompt or welcome back) may follow."""
    channel = world["channel"]
    slack.clock.set(SATURDAY_EVENING)
    slack.slash("UANA", "/mentoring", "pause until 15 march")
    slack.slash("UMETTE", "/mentoring-admin", "end-pair ana")
    modal = slack.sandbox.opened_views[-1]
    values = {
        "pair": {"pair": {"type": "static_select", "selected_option": {"value": str(world["world"].pairs["la"])}}},
        "reason": {"reason": {"type": "static_select", "selected_option": {"value": "moved_away"}}},
        "note": {"note": ""},
    }
    assert slack.submit("UMETTE", "pairs.end.submit", values, view_id=modal["id"]).view_errors == ()
    at(slack, MONDAY_SLOT)
    at(slack, MONDAY_SLOT + timedelta(hours=2))
    posted = [message_text(message) for message in slack.sandbox.messages_in(channel)]
    assert posted and not any("taking a break" in message for message in posted), posted


def test_someone_who_declines_gets_no_meeting_reminder_queued_before(slack: SandboxedApp,
                                                                      world: dict[str, Any]) -> None:
    """A reminder queued for someone who then declines coordination is withdrawn with the rest."""
    reminder_slot = datetime(2027, 2, 17, 10, 0, tzinfo=UTC)  # a week before the kick-off, 10:00 in London
    slack.clock.set(reminder_slot)
    slack.tick(now=reminder_slot)
    before = len(slack.sandbox.dm_messages("UANA"))
    choice = ConsentChoice(participant_id=world["world"].people["ana"], purpose=ConsentPurpose.COORDINATION,
                           granted=False)
    response = slack.click("UANA", "consent.coordination.no", value=consent_value(choice),
                           block_id="consent.coordination", channel_id=slack.sandbox.im_channel_for("UANA"))
    assert response.status == 200
    slack.deliver()
    assert not any("Kick-off" in message_text(message) for message in slack.sandbox.dm_messages("UANA")[before:])
    assert any("Kick-off" in message_text(message) for message in slack.sandbox.dm_messages("ULARS"))
