"""Issue 4 end to end: a proposal published through signed interactions becomes exactly one
private channel per pair, both people invited and one introduction each, even when the
worker is interrupted half-way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Pair
from tests.scenario.test_match_review import _click, _seed


def _pair_channels(slack: SandboxedApp) -> list[dict[str, Any]]:
    created = [call.response["channel"]["id"] for call in slack.sandbox.calls_to("conversations.create") if call.ok]
    channels = [slack.sandbox.get_channel(channel_id) for channel_id in created]
    return [channel for channel in channels if channel is not None]


def test_published_pairs_get_one_channel_and_one_introduction_each_despite_a_crash(slack: SandboxedApp) -> None:
    _seed(slack)
    assert slack.slash("UMETTE", "/mentoring-admin", "match").status == 200
    _click(slack, "match.publish")
    with unit_of_work(slack.runtime.session_factory) as session:
        published = [(p.mentor.slack_user_id, p.mentee.slack_user_id) for p in session.scalars(select(Pair))
                     if p.published_at is not None]
    assert sorted(published) == [("ULARS", "UANA"), ("USOFIE", "UBO")]

    # The first tick is interrupted: Slack answers 500 to an invite, half-way through.
    slack.sandbox.fail_next("conversations.invite", status=500, times=1)
    slack.tick_and_deliver()
    # Later ticks finish the job; a third one must change nothing.
    slack.tick_and_deliver()
    slack.tick_and_deliver()

    channels = _pair_channels(slack)
    assert len(channels) == 2, "one channel per pair, never a second after the interruption"
    # An introduction in each person's language: Lars and Ana both read English (one);
    # Sofie reads Danish and Bo English (one each). Never twice in the same language.
    expected_languages = {"ULARS": ["en"], "USOFIE": ["da", "en"]}
    for (mentor, mentee), channel in zip(sorted(published), sorted(channels, key=lambda c: c["name"]), strict=True):
        assert channel["is_private"]
        assert {mentor, mentee} <= set(channel["members"]), f"both invited to #{channel['name']}"
        texts = [m.get("text", "") + str(m.get("blocks")) for m in slack.sandbox.messages_in(channel["id"])]
        english = [text for text in texts if "meet each other" in text]
        danish = [text for text in texts if "Velkommen til jeres mentorpar" in text or "mød hinanden" in text]
        found = (["da"] if danish else []) + (["en"] if english else [])
        assert found == expected_languages[mentor], f"#{channel['name']}: {texts}"
        assert len(english) <= 1 and len(danish) <= 1, f"#{channel['name']} has a repeated introduction"
    with unit_of_work(slack.runtime.session_factory) as session:
        assert all(p.channel_opened_at is not None for p in session.scalars(select(Pair)) if p.published_at)
