"""The weekly digest through the signed endpoint against the fake Slack: the bot is not in
the coordinator channel, so the digest is kept and the coordinator told once how to invite
it; once invited, the digest is posted (English, the programme's language); "Handled" by
the coordinator marks the item, a participant's or another programme's coordinator's click
changes nothing; `/mentoring-admin digest` shows the week's digest to the asker alone (in
her Danish) without the handled item."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import DigestHandled, OutboxMessage, OutboxState, Role
from tests.nudge_world import new_world, person
from tests.support.answers import answers_on, button, ephemeral_text, message_text
from tests.support.concurrency import failed_listeners, simultaneously
from tests.support.digest_round import DIGEST_NOW, DigestRound, build_digest_round

CHANNEL = "CCOORD"


@pytest.fixture
def built(slack: SandboxedApp) -> DigestRound:
    slack.clock.set(DIGEST_NOW)
    for user_id in ("UMETTE", "ULATEMENTOR", "UOTHER"):
        slack.sandbox.add_user(user_id=user_id, name=user_id.lower(), tz="Europe/Copenhagen")
    # The coordinators' channel exists, but nobody invited the bot yet.
    slack.sandbox.add_channel(name="mentoring-coordinators", channel_id=CHANNEL, members=["UMETTE"])
    with unit_of_work(slack.runtime.session_factory) as session:
        built = build_digest_round(session, coordinator_channel=CHANNEL)
        other = new_world(session, name="Autumn 2027", coordinator_channel=None)
        person(session, other, "other", role=Role.COORDINATOR)
    return built


def _digest_rows(slack: SandboxedApp, built: DigestRound) -> list[OutboxMessage]:
    prefix = f"digest:round={built.world.round_id}:"
    with slack.runtime.session_factory() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith(prefix))))


def _invite_dms(slack: SandboxedApp) -> list[str]:
    return [message_text(m) for m in slack.sandbox.dm_messages("UMETTE") if "/invite @mentorbot" in message_text(m)]


def test_not_in_channel_then_invited_then_posted_and_handled(slack: SandboxedApp, built: DigestRound) -> None:
    slack.tick_and_deliver()
    (row,) = _digest_rows(slack, built)
    assert row.state is OutboxState.PENDING and row.last_error == "not_in_channel"  # kept, not failed
    slack.deliver()  # the coordinator's DM goes out
    assert len(_invite_dms(slack)) == 1
    assert "/invite @mentorbot" in _invite_dms(slack)[0] and "<#CCOORD>" in _invite_dms(slack)[0]
    # An hour later, still not invited: tried again, kept again, and no second DM.
    slack.clock.set(DIGEST_NOW + timedelta(hours=1, minutes=1))
    slack.tick_and_deliver()
    slack.deliver()
    assert [r.state for r in _digest_rows(slack, built)] == [OutboxState.PENDING] and len(_invite_dms(slack)) == 1
    # Invited: the next try posts it.
    slack.sandbox.add_member(channel=CHANNEL, user_id=slack.sandbox.bot_user_id)
    slack.clock.set(DIGEST_NOW + timedelta(hours=2, minutes=2))
    slack.tick_and_deliver()
    assert [r.state for r in _digest_rows(slack, built)] == [OutboxState.SENT]
    (posted,) = [m for m in slack.sandbox.messages_in(CHANNEL) if "Weekly digest" in message_text(m)]
    text = message_text(posted)
    assert "Latementor" in text and "<#CLATE>" in text and "How the round is doing" in text
    assert "<!channel>" not in text  # the meeting's title was typed with one: escaped

    late_key = f"pair={built.world.pairs['late']}:cadence"
    (late_block,) = [b for b in posted["blocks"] if b.get("block_id") == f"digest|{late_key}"]
    action_id = late_block["accessory"]["action_id"]
    block_id, value = button({"blocks": [late_block]}, action_id)
    # A participant's click: the middleware says it is for coordinators; nothing recorded.
    slack.click("ULATEMENTOR", action_id, value=value, block_id=block_id, message=posted["ts"],
                channel_id=CHANNEL)
    # Another programme's coordinator: not theirs; nothing recorded.
    refused = slack.click("UOTHER", action_id, value=value, block_id=block_id, message=posted["ts"],
                          channel_id=CHANNEL)
    assert "Only the coordinators of this round" in json.dumps(answers_on(slack, refused.response_url))
    with slack.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(DigestHandled)) == 0
    slack.click("UMETTE", action_id, value=value, block_id=block_id, message=posted["ts"], channel_id=CHANNEL)
    with slack.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(DigestHandled)) == 1
    (redrawn,) = [m for m in slack.sandbox.messages_in(CHANNEL) if m["ts"] == posted["ts"]]
    marked = next(b for b in redrawn["blocks"] if b.get("block_id") == f"digest|{late_key}")
    assert "accessory" not in marked and "<@UMETTE>" in marked["text"]["text"]
    assert len([b for b in redrawn["blocks"] if "accessory" in b]) == len(
        [b for b in posted["blocks"] if "accessory" in b]) - 1  # the other buttons stay

    # This week's digest now, to Mette alone, in her Danish: the handled pair is left out.
    response = slack.slash("UMETTE", "/mentoring-admin", "digest")
    shown = ephemeral_text(slack, response.response_url)
    assert "Ugens oversigt" in shown and f"digest|{late_key}" not in shown and "Quietmentor" in shown
    assert "markeret som klaret" in shown


def test_the_command_is_for_coordinators(slack: SandboxedApp, built: DigestRound) -> None:
    response = slack.slash("ULATEMENTOR", "/mentoring-admin", "digest")
    assert "Weekly digest" not in json.dumps(answers_on(slack, response.response_url))
    response = slack.slash("UOTHER", "/mentoring-admin", "digest Spring 2027")
    assert "There is no round called “Spring 2027” among yours" in ephemeral_text(slack, response.response_url)


def test_two_coordinators_clicking_handled_at_once_record_it_once(
    slack: SandboxedApp, built: DigestRound, caplog: pytest.LogCaptureFixture
) -> None:
    slack.sandbox.add_user(user_id="UADMIN", name="admin", tz="Europe/Copenhagen")  # an admin: every round
    slack.sandbox.add_member(channel=CHANNEL, user_id=slack.sandbox.bot_user_id)
    slack.tick_and_deliver()
    (posted,) = [m for m in slack.sandbox.messages_in(CHANNEL) if "Weekly digest" in message_text(m)]
    block = next(b for b in posted["blocks"] if "accessory" in b)
    action_id, value = block["accessory"]["action_id"], block["accessory"]["value"]
    responses = simultaneously([
        lambda user=user: slack.driver.block_action(user_id=user, action_id=action_id, value=value,  # type: ignore[misc]
                                                    block_id=block["block_id"], message=posted["ts"],
                                                    channel_id=CHANNEL)
        for user in ("UMETTE", "UADMIN")
    ])
    slack.settle()
    assert [response.status for response in responses] == [200, 200]
    assert failed_listeners(caplog) == []
    with slack.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(DigestHandled)) == 1
