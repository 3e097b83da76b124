"""Onboarding as Slack drives it: import a round, tick, welcome DMs in the sandbox, consent by
signed block actions, a decline that reaches the coordinators and silences reminders, and
someone missing from Slack who is reported and then picked up by `team_join`."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.rounds.roster import import_round
from bot.rounds.workbook import MeetingRow, ParticipantRow, ProgrammeSettings, RoundWorkbook
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Consent, Participant
from tests.support.answers import answers_on, button, message_text
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc
# Friday 5 February 2027, 10:00 in London and 11:00 in Copenhagen: three working days after
# the Tuesday welcome, so the first reminders fall due.
REMINDER_DAY = datetime(2027, 2, 5, 10, 0, tzinfo=UTC)


def _workbook() -> RoundWorkbook:
    return RoundWorkbook(
        programme=ProgrammeSettings(
            programme="Career Mentoring", round="Spring 2027", starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 31),
            language="en", coordinator_channel="#mentoring-coordinators", session_every_days=14,
            timezone="Europe/Copenhagen",
        ),
        meetings=(
            MeetingRow(row=2, kind="kick_off", title="Kick-off", starts_at=datetime(2027, 2, 10, 17, 0),
                       duration_minutes=120, location="DTU Lyngby"),
        ),
        participants=(
            ParticipantRow(row=2, email="lars@firm.dk", name="Lars Ø", role="mentor", field="Engineering"),
            ParticipantRow(row=3, email="ana@example.org", name="Ana Souza", role="mentee", field="Engineering"),
            ParticipantRow(row=4, email="mette@kommune.dk", name="Mette", role="coordinator", language="da"),
            ParticipantRow(row=5, email="wei@example.org", name="Wei Zhang", role="mentee", field="Finance"),
        ),
        pairs=(),
    )


def _start(slack: SandboxedApp) -> None:
    sandbox = slack.sandbox
    sandbox.add_user(user_id="UANA", name="ana", real_name="Ana S.", email="ana@example.org", tz="Europe/London")
    sandbox.add_user(user_id="ULARS", name="lars", real_name="Lars", email="lars@firm.dk", tz="Europe/Copenhagen")
    sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk",
                     tz="Europe/Copenhagen", locale="da-DK")
    sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(sandbox.bot_user_id, "UMETTE"))
    with unit_of_work(slack.runtime.session_factory) as session:
        assert import_round(session, _workbook(), workspace=ONE_WORKSPACE, now=slack.clock.now()).ok
    slack.tick_and_deliver()


def _click(slack: SandboxedApp, user_id: str, *, owner: str, action_id: str) -> Any:
    """Click a button in `owner`'s first DM (the welcome), as `user_id`."""
    channel = slack.sandbox.im_channel_for(owner)
    welcome = slack.sandbox.dm_messages(owner)[0]
    block_id, value = button(welcome, action_id)
    return slack.click(user_id, action_id, value=value, block_id=block_id, message=welcome, channel_id=channel)


def _coordinator_posts(slack: SandboxedApp) -> list[str]:
    return [message_text(message) for message in slack.sandbox.messages_in("mentoring-coordinators")]


def test_import_tick_welcome_and_consent_by_button(slack: SandboxedApp) -> None:
    _start(slack)
    ana_dms = slack.sandbox.dm_messages("UANA")
    assert len(ana_dms) == 1
    welcome = message_text(ana_dms[0])
    assert "Welcome to Career Mentoring" in welcome and "Spring 2027" in welcome and "Ana Souza" in welcome
    assert "1 February 2027" in welcome and "10 Feb 2027, 16:00" in welcome, "the kick-off in London time"
    danish = message_text(slack.sandbox.dm_messages("UMETTE")[0])
    assert "Velkommen til Career Mentoring" in danish and "samtykke" in danish

    response = _click(slack, "UANA", owner="UANA", action_id="consent.coordination.yes")
    assert response.status == 200
    assert len(slack.sandbox.calls_to("chat.update")) == 1
    updated = message_text(slack.sandbox.dm_messages("UANA")[0])
    assert "Your answer: *Yes*" in updated and "profile.open" in updated
    _click(slack, "UANA", owner="UANA", action_id="consent.evaluation.no")
    _click(slack, "UANA", owner="UANA", action_id="consent.follow_up.yes")
    final = slack.sandbox.dm_messages("UANA")[0]
    block_id, value = button(final, "profile.open")
    assert block_id == "onboarding.profile"
    assert slack.sandbox.published_home("UANA") is not None, "the Home tab follows the consent"

    with unit_of_work(slack.runtime.session_factory) as session:
        ana = session.scalar(select(Participant).where(Participant.email == "ana@example.org"))
        assert ana is not None and ana.consented_at is not None and value == str(ana.id)
        answers = {c.purpose.value: c.granted for c in session.scalars(select(Consent).where(Consent.participant_id == ana.id))}
        assert answers == {"coordination": True, "evaluation": False, "follow_up": True}


def test_someone_elses_button_is_refused_with_an_ephemeral_note(slack: SandboxedApp) -> None:
    _start(slack)
    response = _click(slack, "ULARS", owner="UANA", action_id="consent.coordination.no")
    assert response.status == 200
    posts = answers_on(slack, response.response_url)
    assert len(posts) == 1 and posts[0]["response_type"] == "ephemeral"
    assert "someone else" in posts[0]["text"]
    assert slack.sandbox.calls_to("chat.update") == []
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalars(select(Consent)).all() == []


def test_a_decline_reaches_the_coordinators_and_stops_reminders(slack: SandboxedApp) -> None:
    _start(slack)
    _click(slack, "ULARS", owner="ULARS", action_id="consent.coordination.no")
    declined = message_text(slack.sandbox.dm_messages("ULARS")[0])
    assert "will not send you anything more" in declined

    slack.tick_and_deliver()
    assert any("Lars Ø" in post and "said no" in post for post in _coordinator_posts(slack))

    slack.tick_and_deliver(now=REMINDER_DAY)
    assert len(slack.sandbox.dm_messages("ULARS")) == 1, "only the welcome: no reminder after a no"
    ana = slack.sandbox.dm_messages("UANA")
    assert len(ana) == 2 and "friendly reminder" in message_text(ana[1]), "Ana, who did not answer, is reminded"
    assert "consent.coordination.yes" in message_text(ana[1])

    # Lars changes his mind from the same message: he is back, and the coordinators hear so.
    _click(slack, "ULARS", owner="ULARS", action_id="consent.coordination.yes")
    slack.tick_and_deliver()
    assert any("changed their mind" in post for post in _coordinator_posts(slack))
    with unit_of_work(slack.runtime.session_factory) as session:
        lars = session.scalar(select(Participant).where(Participant.email == "lars@firm.dk"))
        assert lars is not None and lars.opted_out_at is None


def test_a_person_missing_from_slack_is_reported_and_welcomed_when_they_join(slack: SandboxedApp) -> None:
    _start(slack)
    reports = [post for post in _coordinator_posts(slack) if "wei@example.org" in post]
    assert len(reports) == 1
    assert "Wei Zhang" in reports[0] and "invitation" in reports[0]

    slack.tick_and_deliver()  # a tick a minute later: no lookup due yet, no second report
    assert len([post for post in _coordinator_posts(slack) if "wei@example.org" in post]) == 1

    slack.sandbox.add_user(user_id="UWEI", name="wei", real_name="Wei Zhang", email="wei@example.org",
                           tz="Europe/Copenhagen")
    response = slack.driver.team_join(user_id="UWEI")
    slack.settle()
    assert response.status == 200
    slack.deliver()
    welcome = slack.sandbox.dm_messages("UWEI")
    assert len(welcome) == 1 and "Welcome to Career Mentoring" in message_text(welcome[0])
    with unit_of_work(slack.runtime.session_factory) as session:
        wei = session.scalar(select(Participant).where(Participant.email == "wei@example.org"))
        assert wei is not None and wei.slack_user_id == "UWEI" and wei.welcome_sent_at is not None
