"""Slack's redeliveries at volume: every event sent once and redelivered three times.

Slack retries an event it thinks we missed (no 200 within 3 seconds, or a 5xx) up to three
times, with the same `event_id` and body and an `X-Slack-Retry-Num` header; under load the
first delivery may still be running when a retry arrives. Here every event goes out four
times (the delivery and retries 1, 2 and 3) through the signed endpoint, all of them
shuffled together over eight client threads, and the test counts what was stored and
sent: one record and one message per event, never more.

The events are the ones that write or send: `team_join` (links an imported person and
queues their welcome DM), `app_home_opened` (publishes the Home tab) and `user_change`
(follows a new time zone). CI runs 150 events; the issue's full size is one variable away:

    MENTORBOT_REDELIVERY_EVENTS=1000 .venv/bin/pytest tests/scenario/test_redelivered_events.py -s
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import OutboxMessage, Participant, ProcessedEvent, Role
from tests.factories import make_participant, make_round
from tests.support.concurrency import failed_listeners

EVENTS = int(os.environ.get("MENTORBOT_REDELIVERY_EVENTS", "150"))
RETRIES = 3
KINDS = ("team_join", "app_home_opened", "user_change")


def _people(slack: SandboxedApp, count: int) -> list[str]:
    """`count` people imported in a running round; the first third not yet linked to Slack
    (their `team_join` links them), the rest already in Slack."""
    user_ids = [f"UREDELIVER{number:04d}" for number in range(count)]
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round(session)
        for number, user_id in enumerate(user_ids):
            email = f"person{number}@example.org"
            slack.sandbox.add_user(user_id=user_id, name=f"person{number}", real_name=f"Person {number}",
                                   email=email, tz="Europe/Copenhagen")
            joins = KINDS[number % len(KINDS)] == "team_join"
            make_participant(session, round_=round_, role=Role.MENTEE, email=email, name=f"Person {number}",
                             slack_user_id=None if joins else user_id)
    return user_ids


def _event(kind: str, user_id: str) -> dict[str, object]:
    if kind == "team_join":
        return {"type": "team_join", "user": {"id": user_id, "name": user_id.lower()}}
    if kind == "app_home_opened":
        return {"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home"}
    return {"type": "user_change", "user": {"id": user_id, "tz": "America/New_York"}}


def test_every_event_redelivered_three_times_is_acted_on_once(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    user_ids = _people(slack, EVENTS)
    kinds = {user_id: KINDS[number % len(KINDS)] for number, user_id in enumerate(user_ids)}
    deliveries = [(user_id, retry) for user_id in user_ids for retry in (None, *range(1, RETRIES + 1))]
    random.Random(12).shuffle(deliveries)
    slack.sandbox.reset_calls()

    def deliver(user_id: str, retry: int | None) -> int:
        response = slack.driver.event(_event(kinds[user_id], user_id), event_id=f"Ev{user_id}", retry_num=retry)
        return response.status

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda item: deliver(*item), deliveries))
    slack.settle()
    elapsed = time.perf_counter() - started
    assert Counter(statuses) == {200: len(deliveries)}
    assert failed_listeners(caplog) == []
    report = slack.deliver()

    joined = [user_id for user_id in user_ids if kinds[user_id] == "team_join"]
    homes = [user_id for user_id in user_ids if kinds[user_id] == "app_home_opened"]
    moved = [user_id for user_id in user_ids if kinds[user_id] == "user_change"]
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == EVENTS
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == len(joined), "one welcome each"
        linked = session.scalar(select(func.count()).select_from(Participant)
                                .where(Participant.slack_user_id.in_(joined)))
        assert linked == len(joined)
        new_zone = session.scalar(select(func.count()).select_from(Participant)
                                  .where(Participant.timezone == "America/New_York"))
        assert new_zone == len(moved)
    welcomes = Counter(call.args["channel"] for call in slack.sandbox.calls_to("chat.postMessage"))
    assert report.sent == len(joined)
    assert all(welcomes[user_id] == 1 for user_id in joined), "one welcome DM per person who joined"
    assert sum(welcomes.values()) == len(joined), "no other message"
    published = Counter(call.args["user_id"] for call in slack.sandbox.calls_to("views.publish"))
    assert published == dict.fromkeys(homes, 1), "one Home tab per opening"
    print(f"\n{EVENTS} events x {RETRIES} redeliveries ({len(deliveries)} signed requests) in {elapsed:.1f} s: "
          f"{EVENTS} events recorded, {len(joined)} welcomes queued and sent once, {len(homes)} Home tabs "
          f"published once, {len(moved)} time zones followed; 0 duplicates")
