"""Independent probes of the issue-8 fixes, through the signed HTTP endpoint."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

import bot.demo as demo
import bot.demo.sample as sample
from bot.rounds.workbook import RoundWorkbook, workbook_bytes
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Pair, Participant
from tests.factories import EPOCH
from tests.scenario import test_match_review as review_tests
from tests.scenario import test_nudges_and_timeline as nudges
from tests.scenario.test_import_from_slack import upload
from tests.scenario.test_nudges_and_timeline import MONDAY_SLOT, SATURDAY_EVENING, at
from tests.support.answers import find_element
from tests.support.concurrency import failed_listeners, simultaneously
from tests.support.digest_round import not_digests
from tests.support.mrkdwn import HOSTILE, live_sequences, rendered_texts
from tests.unit.test_roster_import import sample_workbook

world = nudges.world  # Lars and Ana's live pair with its channel, as the nudge scenarios have it


def _leaks(slack: SandboxedApp) -> list[str]:
    leaks = []
    for call in slack.sandbox.calls:
        if call.method not in ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish",
                               "views.open", "views.update", "conversations.setTopic", "conversations.setPurpose"):
            continue
        args: dict[str, Any] = call.args
        blocks = args.get("blocks") or (args.get("view") or {}).get("blocks")
        for where, text in rendered_texts(text=args.get("text"), blocks=blocks):
            if found := live_sequences(str(text)):
                leaks.append(f"{call.method} {where}: {found} in {str(text)[:160]!r}")
    for _, body in slack.sandbox.response_posts:
        for where, text in rendered_texts(text=body.get("text"), blocks=body.get("blocks")):
            if found := live_sequences(str(text)):
                leaks.append(f"response {where}: {found} in {str(text)[:160]!r}")
    return leaks


def test_a_whole_scripted_round_with_hostile_names_never_pings(
    slack: SandboxedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = tuple(replace(person, name=f"{person.name} {HOSTILE}") for person in sample.PEOPLE)
    monkeypatch.setattr(sample, "PEOPLE", people)
    base = sample.sample_workbook

    def hostile_workbook() -> RoundWorkbook:
        workbook = base()
        programme = replace(workbook.programme, programme=f"Career {HOSTILE}", round=f"Spring {HOSTILE}")
        meetings = tuple(replace(m, title=f"{m.title} {HOSTILE}", location=f"{m.location} {HOSTILE}")
                         for m in workbook.meetings)
        return replace(workbook, programme=programme, meetings=meetings)

    monkeypatch.setattr(demo, "sample_workbook", hostile_workbook)
    slack.clock.set(sample.DEMO_START.replace(tzinfo=timezone.utc))
    for person in people:
        if person.user_id:
            slack.sandbox.add_user(user_id=person.user_id, name=person.user_id.lower(), real_name=person.name,
                                   email=person.email, tz=person.timezone)
    transcript = demo.Transcript(slack.sandbox, names={})
    for scene in demo.SCENES:
        scene(slack, transcript)
    # What the scripted round does not type: hostile free text in a pause, a session note, an end.
    slack.slash("UANA", "/log-session", f"yesterday 30m {HOSTILE}")
    slack.slash("ULARS", "/mentoring", f"pause until 20 march {HOSTILE}")
    slack.slash("UMETTE", "/mentoring-admin", "status")
    for day in (19, 22, 23):
        slack.tick_and_deliver(now=datetime(2027, 3, day, 9, 0,
                                                                   tzinfo=timezone.utc))
    assert len(slack.sandbox.calls_to("chat.postMessage")) > 20
    escaped = [c for c in slack.sandbox.calls if "&lt;!channel&gt;" in str(c.args.get("text"))]
    assert len(escaped) > 20, "the hostile names did reach the messages' text"
    assert _leaks(slack) == []


def _draft_round(slack: SandboxedApp) -> None:
    """The workbook's Pairs sheet makes Lars and Ana a draft pair; both onboarded and welcomed."""
    slack.clock.set(datetime(2027, 2, 2, 15, 0, tzinfo=timezone.utc))
    sandbox = slack.sandbox
    for user_id, email in (("UADMIN", "admin@example.org"), ("ULARS", "lars@firm.dk"), ("UANA", "ana@example.org"),
                           ("UMETTE", "mette@kommune.dk")):
        sandbox.add_user(user_id=user_id, name=user_id.lower(), real_name=user_id[1:].title(), email=email)
    sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(sandbox.bot_user_id, "UMETTE"))
    upload(slack, user_id="UADMIN", content=workbook_bytes(sample_workbook()))
    slack.tick_and_deliver()
    with unit_of_work(slack.runtime.session_factory) as session:
        for person in session.scalars(select(Participant)):
            person.consented_at = person.profile_completed_at = EPOCH


def test_a_draft_pair_member_is_unmatched_in_every_command(slack: SandboxedApp) -> None:
    _draft_round(slack)
    typed = [
        ("UANA", "/mentoring", ""), ("UANA", "/mentoring", "help"), ("UANA", "/mentoring", "profile"),
        ("UANA", "/mentoring", "sessions"), ("UANA", "/mentoring", "log"), ("UANA", "/log-session", "yesterday 1h"),
        ("UANA", "/mentoring", "pause until 10 march"), ("UANA", "/mentoring", "resume"),
        ("ULARS", "/mentoring", ""), ("ULARS", "/mentoring", "sessions"), ("ULARS", "/log-session", "today 1h"),
        ("ULARS", "/mentoring", "resume"),
    ]
    said: dict[str, str] = {"UANA": "", "ULARS": ""}
    for user, command, text in typed:
        before = len(slack.sandbox.response_posts), len(slack.sandbox.opened_views)
        assert slack.slash(user, command, text).status == 200
        answers = [body for _, body in slack.sandbox.response_posts[before[0]:]]
        views = slack.sandbox.opened_views[before[1]:]
        assert len(answers) + len(views) == 1, (command, text)
        said[user] += json.dumps([*answers, *views], ensure_ascii=False)
    slack.event({"type": "app_home_opened", "user": "ULARS", "tab": "home", "channel": "DLARS"})
    said["ULARS"] += json.dumps(slack.sandbox.published_home("ULARS"), ensure_ascii=False)
    assert "Lars" not in said["UANA"] and "Ana" not in said["ULARS"], "the draft match is not revealed"
    posts = len(slack.sandbox.calls_to("chat.postMessage"))
    for day in (9, 16, 23):  # check-ins, going-quiet notes and prompts know nothing of a draft
        slack.tick_and_deliver(now=datetime(2027, 2, day, 9, 0, tzinfo=timezone.utc))
    assert len(slack.sandbox.calls_to("chat.postMessage")) == posts
    assert slack.sandbox.calls_to("conversations.create") == []


def test_a_pause_moved_and_moved_back_within_a_second_is_announced_with_its_date(
        slack: SandboxedApp, world: dict[str, Any]) -> None:
    channel = world["channel"]
    slack.clock.set(SATURDAY_EVENING)
    slack.slash("UANA", "/mentoring", "pause until 15 march")
    slack.slash("UANA", "/mentoring", "pause until 20 march")
    slack.slash("UANA", "/mentoring", "pause until 15 march")
    at(slack, MONDAY_SLOT)
    [notice] = slack.sandbox.messages_in(channel)
    assert "15 March 2027" in notice["text"] and "20 March" not in notice["text"]
    [told] = not_digests(slack.sandbox.messages_in("mentoring-coordinators"))
    assert "15 March 2027" in told["text"] and "20 March" not in told["text"]


def test_a_pause_taken_back_and_taken_again_within_a_second_is_announced(
        slack: SandboxedApp, world: dict[str, Any]) -> None:
    channel = world["channel"]
    slack.clock.set(SATURDAY_EVENING)
    slack.slash("UANA", "/mentoring", "pause until 15 march")
    slack.slash("UANA", "/mentoring", "resume")
    slack.slash("UANA", "/mentoring", "pause until 15 march")
    at(slack, MONDAY_SLOT)
    [notice] = slack.sandbox.messages_in(channel)
    assert "taking a break" in notice["text"] and "15 March 2027" in notice["text"]
    assert len(not_digests(slack.sandbox.messages_in("mentoring-coordinators"))) == 1


def test_publish_pressed_twice_at_once_and_a_stale_proposal_publish_nothing_more(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    review_tests._seed(slack)
    slack.slash("UMETTE", "/mentoring-admin", "match")
    first = review_tests._review(slack)
    stale = find_element(first, "match.publish")[1]["value"]
    review = review_tests._click(slack, "match.rerun")
    value = find_element(review, "match.publish")[1]["value"]
    dm = slack.sandbox.im_channel_for("UMETTE")
    responses = simultaneously([
        lambda: slack.driver.block_action(user_id="UMETTE", action_id="match.publish", value=value, channel_id=dm)
        for _ in range(2)])
    slack.settle()
    assert [r.status for r in responses] == [200, 200]
    old = slack.click("UMETTE", "match.publish", value=stale, channel_id=dm)
    assert old.status == 200
    slack.tick_and_deliver()
    assert failed_listeners(caplog) == []
    texts = [body.get("text", "") for _, body in slack.sandbox.response_posts]
    assert sum("Published 2 pairs" in text for text in texts) == 1, texts
    with unit_of_work(slack.runtime.session_factory) as session:
        assert len(session.scalars(select(Pair)).all()) == 2
    assert len(slack.sandbox.calls_to("conversations.create")) == 2
    assert len([m for m in slack.sandbox.dm_messages("UKAI") if "What happens next" in m["text"]]) == 1
