"""A whole scripted round whose every name, place and typed note is hostile in both ways
(`<!channel>`-style sequences and plain `@here`, `#general`, bare URLs and emails): nothing
the bot sends makes any of it a mention or a link, as the fake Slack's parser reads each
call with the arguments it was sent with (`verbatim`, `parse`).

Covered surfaces: notices from the outbox (welcomes, intros, check-ins, reminders, digests,
surveys), chat.update redraws, ephemeral answers on response_url, modals, the Home tab of
every participant, and the report file's comment in the coordinator's DM.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

import bot.demo as demo
import bot.demo.sample as sample
from bot.rounds.workbook import RoundWorkbook
from bot.sandbox.harness import SandboxedApp
from tests.support.mrkdwn import HOSTILE_ALL, traffic_leaks


@pytest.fixture
def hostile_round(slack: SandboxedApp, monkeypatch: pytest.MonkeyPatch) -> SandboxedApp:
    people = tuple(replace(person, name=f"{person.name} {HOSTILE_ALL}",
                           company=person.company and f"{person.company} {HOSTILE_ALL}")
                   for person in sample.PEOPLE)
    monkeypatch.setattr(sample, "PEOPLE", people)
    base = sample.sample_workbook

    def hostile_workbook() -> RoundWorkbook:
        workbook = base()
        programme = replace(workbook.programme, programme=f"Career {HOSTILE_ALL}", round=f"Spring {HOSTILE_ALL}")
        meetings = tuple(replace(m, title=f"{m.title[:15]} {HOSTILE_ALL}", location=f"{m.location} {HOSTILE_ALL}")
                         for m in workbook.meetings)
        return replace(workbook, programme=programme, meetings=meetings)

    monkeypatch.setattr(demo, "sample_workbook", hostile_workbook)
    slack.clock.set(sample.DEMO_START.replace(tzinfo=UTC))
    for person in people:
        if person.user_id:
            slack.sandbox.add_user(user_id=person.user_id, name=person.user_id.lower(), real_name=person.name,
                                   email=person.email, tz=person.timezone)
    transcript = demo.Transcript(slack.sandbox, names={})
    for scene in demo.SCENES:
        scene(slack, transcript)
    return slack


def test_nothing_typed_becomes_a_mention_or_a_link_anywhere(hostile_round: SandboxedApp) -> None:
    slack = hostile_round
    slack.slash("UANA", "/log-session", f"yesterday 30m {HOSTILE_ALL}")
    slack.slash("ULARS", "/mentoring", f"pause until 20 march {HOSTILE_ALL}")
    slack.slash("UANA", "/mentoring", HOSTILE_ALL)
    slack.slash("UMETTE", "/mentoring-admin", "status")
    slack.slash("UMETTE", "/mentoring-admin", "digest")
    slack.slash("UMETTE", "/mentoring-admin", f"report {HOSTILE_ALL}")
    slack.slash("UMETTE", "/mentoring-admin", "report")
    for person in sample.PEOPLE:
        if person.user_id:
            slack.event({"type": "app_home_opened", "user": person.user_id, "tab": "home",
                         "channel": f"D{person.user_id[1:]}"})
    for day in (19, 22, 23):
        slack.tick_and_deliver(now=datetime(2027, 3, day, 9, 0, tzinfo=UTC))

    sandbox = slack.sandbox
    methods = {call.method for call in sandbox.calls if call.ok}
    assert {"chat.postMessage", "chat.update", "views.publish", "files.completeUploadExternal"} <= methods, methods
    assert sandbox.response_posts, "ephemeral answers were given"
    sent_with_plain_hostile = [c for c in sandbox.calls if "@here @channel" in str(c.args)]
    assert len(sent_with_plain_hostile) > 20, "the plain hostile forms did reach what was sent"
    assert all(call.args.get("parse") == "none" for call in sandbox.calls
               if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral") and call.ok)
    assert traffic_leaks(sandbox) == []
