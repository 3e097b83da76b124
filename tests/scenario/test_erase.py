"""`/mentoring-admin erase NAME` through the signed endpoint against the fake Slack: the
coordinator sees what will be erased and a button; the click erases her in their programmes and
replaces the confirmation (only in the coordinator's programmes); a second click, another programme's coordinator, a participant,
a forged value, an unknown or ambiguous name each get a clear ephemeral and change nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.people import identify
from bot.pairs.end import ERASED_REASON
from bot.sandbox.harness import SandboxedApp
from bot.slack.render.privacy import ERASE_ACTION_ID
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState, Pair, PairStatus, Participant, Role, Round
from tests.nudge_world import new_world, person
from tests.support.answers import find_element, message_text
from tests.support.mrkdwn import live_sequences
from tests.support.personal_data import EMAIL, NAME, SLACK_ID, ErasureWorld, seed_erasure_world, where_markers_are
from tests.support.report_round import REPORT_NOW
from tests.support.workspaces import ONE_WORKSPACE


@pytest.fixture
def seeded(slack: SandboxedApp) -> ErasureWorld:
    slack.clock.set(REPORT_NOW)
    for user_id in ("UCOORD", "UM1", "UOTHER", SLACK_ID):
        slack.sandbox.add_user(user_id=user_id, name=user_id.lower(), tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        world = seed_erasure_world(session)
        other = new_world(session, name="Autumn 2027")
        person(session, other, "other", role=Role.COORDINATOR)
    return world


def _markers(slack: SandboxedApp) -> set[tuple[str, str]]:
    with unit_of_work(slack.runtime.session_factory) as session:
        return where_markers_are(session)


def _last_answer(slack: SandboxedApp, user_id: str) -> dict[str, Any]:
    ephemerals = slack.sandbox.ephemerals_for(user_id)
    assert ephemerals, f"no ephemeral answer for {user_id}"
    return ephemerals[-1]


def _her_first_id(slack: SandboxedApp) -> int:
    with unit_of_work(slack.runtime.session_factory) as session:
        return min(session.scalars(select(Participant.id).where(Participant.email == EMAIL)))


def _coordinator_of_autumn_2028(slack: SandboxedApp) -> None:
    """UCOORD2 coordinates her second programme (Autumn 2028, pair q1 with Olga)."""
    with unit_of_work(slack.runtime.session_factory) as session:
        later = session.scalars(select(Round).where(Round.name == "Autumn 2028")).one()
        session.add(Participant(round_id=later.id, role=Role.COORDINATOR, email="c2@example.org", name="C2",
                                slack_user_id="UCOORD2", language="en", created_at=REPORT_NOW, updated_at=REPORT_NOW))
    slack.sandbox.add_user(user_id="UCOORD2", name="ucoord2", tz="Europe/Copenhagen")


def test_a_coordinator_sees_what_goes_confirms_and_she_is_erased(slack: SandboxedApp, seeded: ErasureWorld) -> None:
    before = _markers(slack)
    response = slack.slash("UCOORD", "/mentoring-admin", "erase birgitte")
    assert response.status == 200
    confirm = _last_answer(slack, "UCOORD")
    text = message_text(confirm)
    assert f"Erase *{NAME}* ({EMAIL})?" in text
    # Only UCOORD's programme: her Autumn 2028 round is another programme's (issue 13).
    assert "Career Mentoring Spring 2027: Spring 2027" in text and "Autumn 2028" not in text
    assert "1 participation (name, email, Slack id, profile)" in text and "2 stored messages" in text
    assert "Messages already posted in Slack" in text
    assert _markers(slack) == before  # nothing changes before the click

    value = find_element(confirm, ERASE_ACTION_ID)[1]["value"]
    clicked = slack.click("UCOORD", ERASE_ACTION_ID, value=value, message=confirm["ts"])
    assert clicked.status == 200
    done = _last_answer(slack, "UCOORD")
    assert done["text"].startswith("Erased: ") and "rows changed" in done["text"]
    assert ERASE_ACTION_ID not in message_text(done)  # the button is gone
    # What the other programme holds of her stays: her row and pair there, and the DMs
    # whose keys do not say they are UCOORD's programme's.
    assert _markers(slack) == {("participant", column) for column in ("name", "email", "slack_user_id", "expertise")} | {
        ("pair", "channel_name"), ("outbox_message", "target"), ("outbox_message", "payload"),
        ("outbox_message", "dedup_key")}
    with unit_of_work(slack.runtime.session_factory) as session:
        assert identify(session, workspace=ONE_WORKSPACE, slack_user_id=SLACK_ID).in_programme
    _coordinator_of_autumn_2028(slack)
    # Her last programme's coordinator erases the rest: now all of her goes, DMs too.
    slack.slash("UCOORD2", "/mentoring-admin", "erase birgitte")
    confirm = _last_answer(slack, "UCOORD2")
    assert "Autumn 2028" in message_text(confirm) and "Spring 2027: Spring 2027" not in message_text(confirm)
    slack.click("UCOORD2", ERASE_ACTION_ID, value=find_element(confirm, ERASE_ACTION_ID)[1]["value"],
                message=confirm["ts"])
    assert _last_answer(slack, "UCOORD2")["text"].startswith("Erased: ")
    assert _markers(slack) == set()
    with unit_of_work(slack.runtime.session_factory) as session:
        assert not identify(session, workspace=ONE_WORKSPACE, slack_user_id=SLACK_ID).in_programme
        reminder = session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedup_key == "reminder:participant=1")).one()
        assert reminder.state is OutboxState.CANCELLED

    # Clicking again (or Slack retrying the click) finds nothing left to do.
    slack.click("UCOORD", ERASE_ACTION_ID, value=value, channel_id=slack.sandbox.im_channel_for("UCOORD"))
    assert "erased already" in _last_answer(slack, "UCOORD")["text"]
    slack.tick_and_deliver()
    assert slack.sandbox.dm_messages(SLACK_ID) == []
    # To the bot she is a stranger now.
    slack.slash(SLACK_ID, "/mentoring", "help")
    assert "You are not part of a mentoring programme in this workspace yet." in message_text(
        _last_answer(slack, SLACK_ID))


def test_a_name_fitting_several_lists_them_and_an_email_picks_one(slack: SandboxedApp, seeded: ErasureWorld) -> None:
    slack.slash("UCOORD", "/mentoring-admin", "erase m")
    answer = message_text(_last_answer(slack, "UCOORD"))
    assert "“m” fits 6 people. Give the full name or the email:" in answer
    assert "• M1 (m1@example.org), Career Mentoring Spring 2027: Spring 2027" in answer
    assert ERASE_ACTION_ID not in answer
    slack.slash("UCOORD", "/mentoring-admin", "erase M3@example.org")
    assert "Erase *M3* (m3@example.org)?" in message_text(_last_answer(slack, "UCOORD"))


@pytest.mark.parametrize(("text", "expected"), [
    ("erase", "Say whom to erase: `/mentoring-admin erase NAME`"),
    ("erase Zorro", "Nobody called “Zorro” takes part in a programme you coordinate"),
])
def test_no_name_or_an_unknown_one_is_said_plainly(slack: SandboxedApp, seeded: ErasureWorld, text: str,
                                                   expected: str) -> None:
    slack.slash("UCOORD", "/mentoring-admin", text)
    assert expected in _last_answer(slack, "UCOORD")["text"]


def test_another_programmes_coordinator_cannot_find_or_erase_her(slack: SandboxedApp, seeded: ErasureWorld) -> None:
    before = _markers(slack)
    slack.slash("UOTHER", "/mentoring-admin", "erase Birgitte")
    assert "Nobody called “Birgitte”" in _last_answer(slack, "UOTHER")["text"]
    # A forged click carrying her participant id is refused.
    slack.click("UOTHER", ERASE_ACTION_ID, value=str(_her_first_id(slack)),
                channel_id=slack.sandbox.im_channel_for("UOTHER"))
    assert "Only the coordinators of that person's programme" in _last_answer(slack, "UOTHER")["text"]
    assert _markers(slack) == before


def test_a_participant_gets_neither_the_command_nor_the_button(slack: SandboxedApp, seeded: ErasureWorld) -> None:
    before = _markers(slack)
    slack.slash("UM1", "/mentoring-admin", "erase Birgitte")
    assert "Only the programme's coordinators" in _last_answer(slack, "UM1")["text"]
    slack.click("UM1", ERASE_ACTION_ID, value=str(_her_first_id(slack)), channel_id=slack.sandbox.im_channel_for("UM1"))
    assert _markers(slack) == before


@pytest.mark.parametrize("value", ["not-a-number", "", "99999999999999"])
def test_a_forged_value_changes_nothing(slack: SandboxedApp, seeded: ErasureWorld, value: str) -> None:
    before = _markers(slack)
    response = slack.click("UCOORD", ERASE_ACTION_ID, value=value, channel_id=slack.sandbox.im_channel_for("UCOORD"))
    assert response.status == 200
    assert "erased already" in _last_answer(slack, "UCOORD")["text"]
    assert _markers(slack) == before


def test_hostile_text_never_pings(slack: SandboxedApp, seeded: ErasureWorld) -> None:
    slack.slash("UCOORD", "/mentoring-admin", "erase <!channel> <@UM1>")
    answer = _last_answer(slack, "UCOORD")
    assert live_sequences(message_text(answer)) == []


def test_help_lists_erase_for_coordinators_only(slack: SandboxedApp, seeded: ErasureWorld) -> None:
    slack.slash("UCOORD", "/mentoring-admin", "help")
    assert "/mentoring-admin erase NAME" in message_text(_last_answer(slack, "UCOORD"))
    slack.slash("UM1", "/mentoring", "help")
    assert "erase" not in message_text(_last_answer(slack, "UM1"))



def test_her_pair_in_a_running_round_ends_and_the_confirmation_says_so(slack: SandboxedApp,
                                                                         seeded: ErasureWorld) -> None:
    with unit_of_work(slack.runtime.session_factory) as session:
        session.get_one(Round, seeded.later.round_id).ends_on = date(2027, 9, 30)  # q1 (her and Olga) still runs
    _coordinator_of_autumn_2028(slack)  # q1's programme: UCOORD's erasure does not reach it
    slack.slash("UCOORD2", "/mentoring-admin", "erase birgitte")
    confirm = _last_answer(slack, "UCOORD2")
    assert "A pair of theirs in a round still running ends (reason: erased)" in message_text(confirm)
    value = find_element(confirm, ERASE_ACTION_ID)[1]["value"]
    slack.click("UCOORD2", ERASE_ACTION_ID, value=value, message=confirm["ts"])
    assert "1 pair of theirs ended (reason: erased). The bot told their partner nothing" in _last_answer(
        slack, "UCOORD2")["text"]
    with unit_of_work(slack.runtime.session_factory) as session:
        q1 = session.get_one(Pair, seeded.pair_ids[1])
        assert (q1.status, q1.end_reason) == (PairStatus.ENDED, ERASED_REASON)
        olga = session.scalars(select(Participant).where(Participant.round_id == seeded.later.round_id,
                                                         Participant.role == Role.MENTEE)).one()
        assert (olga.name, olga.slack_user_id, olga.erased_at) == ("Olga", "UOLGA", None)
    slack.tick_and_deliver()
    # No goodbye, check-in or prompt in their channel naming a blank person, nothing to Olga about her.
    assert slack.sandbox.messages_in("CQ1") == []
    assert all("erased-" not in str(message) for message in slack.sandbox.dm_messages("UOLGA"))


def test_a_coordinator_erases_her_only_in_their_own_programme(slack: SandboxedApp, seeded: ErasureWorld) -> None:
    """She is also a mentee of another programme (UOTHER's): UCOORD's confirmation names
    only UCOORD's programme, and the click leaves the other programme's row of her, her
    Slack id there and a DM it queued for her as they were (issue 13: only a programme's
    coordinators change that programme)."""
    with unit_of_work(slack.runtime.session_factory) as session:
        other_round = session.scalars(select(Round).where(Round.name == "Autumn 2027")).one()
        theirs = Participant(round_id=other_round.id, role=Role.MENTEE, email=EMAIL, name=NAME,
                             slack_user_id=SLACK_ID, language="en", created_at=REPORT_NOW, updated_at=REPORT_NOW)
        session.add(theirs)
        session.flush()
        theirs_id = theirs.id
        session.add(OutboxMessage(dedup_key=f"welcome:participant={theirs_id}", method="notice", target=SLACK_ID,
                                  payload={"channel": SLACK_ID, "language": "en", "name": NAME},
                                  not_before=REPORT_NOW, state=OutboxState.PENDING, created_at=REPORT_NOW))
    slack.slash("UCOORD", "/mentoring-admin", "erase birgitte")
    confirm = _last_answer(slack, "UCOORD")
    text = message_text(confirm)
    assert "Career Mentoring Spring 2027: Spring 2027" in text and "Autumn 2027" not in text
    assert "1 participation (name, email, Slack id, profile)" in text
    slack.click("UCOORD", ERASE_ACTION_ID, value=find_element(confirm, ERASE_ACTION_ID)[1]["value"],
                message=confirm["ts"])
    assert _last_answer(slack, "UCOORD")["text"].startswith("Erased: ")
    with unit_of_work(slack.runtime.session_factory) as session:
        rows = session.scalars(select(Participant).where(Participant.id != theirs_id,
                                                         Participant.erased_at.is_not(None))).all()
        assert len(rows) == 1 and all(row.slack_user_id is None for row in rows)
        kept = session.get_one(Participant, theirs_id)
        assert (kept.name, kept.email, kept.slack_user_id, kept.erased_at) == (NAME, EMAIL, SLACK_ID, None)
        assert identify(session, workspace=ONE_WORKSPACE, slack_user_id=SLACK_ID).in_programme
        welcome = session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedup_key == f"welcome:participant={theirs_id}")).one()
        assert (welcome.state, welcome.target, welcome.payload["name"]) == (OutboxState.PENDING, SLACK_ID, NAME)
    # The other programme's coordinator still finds her, and sees only their own round.
    slack.slash("UOTHER", "/mentoring-admin", "erase birgitte")
    other = message_text(_last_answer(slack, "UOTHER"))
    assert "Autumn 2027" in other and "Spring 2027: Spring 2027" not in other
    assert "1 participation" in other
