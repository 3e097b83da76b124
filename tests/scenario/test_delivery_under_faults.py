"""The outbox delivers every message exactly once through lost answers, 429s, 5xx and SIGKILL.

Counted in the sandbox by the outbox key each message carries in its metadata: lost = no copy
in its conversation, duplicate = more than one. The full sizes are one command away:
`python -m benchmarks.bench_crash` and `python -m benchmarks.bench_faults`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import SystemClock
from bot.core.chat import SendOutcome
from bot.core.outbox import OutgoingCall, enqueue
from bot.sandbox import SlackSandbox
from scheduling.deliverer import OutboxDeliverer, release_in_flight_claims
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState
from tests.support.delivery import (
    deliver_until_done,
    make_deliverer,
    outbox_states,
    run_crash_trial,
    seed_world,
    tally,
)

FAST_BASE, FAST_CAP = timedelta(milliseconds=50), timedelta(seconds=1)  # retries in test time


@pytest.fixture()
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sb:
        yield sb


def _fast_deliverer(sandbox: SlackSandbox, session_factory: sessionmaker[Session]) -> OutboxDeliverer:
    """The production deliverer against the sandbox, retrying in test time."""
    return make_deliverer(session_factory, base_url=sandbox.base_url, token=sandbox.bot_token,
                          backoff_base=FAST_BASE, backoff_cap=FAST_CAP)


class SenderThatCannotLook:
    """The Slack sender without its lookup: what delivery was before (at least once)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def send(self, *, method: str, payload: dict[str, Any]) -> SendOutcome:
        return self._inner.send(method=method, payload=payload)


def test_ten_lost_answers_send_nothing_twice(
    sandbox: SlackSandbox, session_factory: sessionmaker[Session]
) -> None:
    world = seed_world(sandbox, session_factory, messages=10, channels=5, dms=5, now=SystemClock().now())
    sandbox.lose_next_answer("chat.postMessage", times=10)
    deliverer = _fast_deliverer(sandbox, session_factory)
    first = deliverer.deliver_due()
    assert (first.sent, first.retried) == (0, 10), "every answer was lost: all ten outcomes unknown"
    with unit_of_work(session_factory) as session:
        assert all(row.outcome_unknown for row in session.scalars(select(OutboxMessage)))
    deliver_until_done(deliverer, session_factory)
    assert tally(sandbox, world) == type(tally(sandbox, world))(messages=10, lost=0, duplicates=0, extra_copies=0)
    assert sum(1 for call in sandbox.calls_to("chat.postMessage") if call.ok) == 10, "none posted again"
    with unit_of_work(session_factory) as session:
        rows = list(session.scalars(select(OutboxMessage)))
    assert {(row.state, row.outcome_unknown) for row in rows} == {(OutboxState.SENT, False)}
    for row in rows:  # recorded with the ts of the message Slack did post
        assert row.response is not None
        found = sandbox.find_message(row.response["ts"], channel=row.response["channel"])
        assert found is not None and found[1]["metadata"]["event_payload"]["key"] == row.dedup_key


def test_without_the_lookup_the_same_lost_answers_are_sent_twice(
    sandbox: SlackSandbox, session_factory: sessionmaker[Session]
) -> None:
    """The control: the lookup is what prevents the duplicates above."""
    world = seed_world(sandbox, session_factory, messages=10, channels=5, dms=5, now=SystemClock().now())
    sandbox.lose_next_answer("chat.postMessage", times=10)
    looking = _fast_deliverer(sandbox, session_factory)
    blind = OutboxDeliverer(
        session_factory=session_factory, sender=SenderThatCannotLook(looking._sender), clock=SystemClock(),
        backoff_base=FAST_BASE, backoff_cap=FAST_CAP,
    )
    deliver_until_done(blind, session_factory)
    assert tally(sandbox, world).duplicates == 10


def test_twenty_percent_faults_lose_nothing_send_nothing_twice_and_keep_the_limits(
    session_factory: sessionmaker[Session],
) -> None:
    with SlackSandbox(enforce_rate_limits=True) as sandbox:
        # Eight posts per conversation: beyond Slack's burst of three, so pacing is needed.
        world = seed_world(sandbox, session_factory, messages=200, channels=20, dms=5, now=SystemClock().now())
        sandbox.inject_faults(0.2, seed=12, retry_after=1)
        deliverer = _fast_deliverer(sandbox, session_factory)
        deliver_until_done(deliverer, session_factory)
        result = tally(sandbox, world)
        faults = sandbox.fault_counts()
        limiter_429s = [c for c in sandbox.calls if c.http_status == 429 and c.injected is None]
    assert (result.lost, result.duplicates) == (0, 0)
    assert outbox_states(session_factory) == {OutboxState.SENT: 200}
    assert sum(faults.values()) >= 20 and {"429", "lost"} <= set(faults), faults
    # The pacer keeps inside Slack's limits (without it most posts here would be refused);
    # a call that arrives late under load can still meet one 429, which only delays it.
    assert len(limiter_429s) <= 2, f"the sandbox's own limits refused {len(limiter_429s)} calls"


def test_sigkilled_workers_lose_nothing_and_send_nothing_twice(
    session_factory: sessionmaker[Session], database_url: str
) -> None:
    rng = random.Random(20)
    with SlackSandbox(latency_seconds=0.02) as sandbox:
        kills = 0
        for trial in range(3):
            world = seed_world(
                sandbox, session_factory, messages=100, channels=15, dms=15, now=SystemClock().now(), prefix=f"t{trial}"
            )
            outcome = run_crash_trial(sandbox, database_url=database_url, messages=100, kills=3, rng=rng)
            kills += outcome.kills
            result = tally(sandbox, world)
            assert (result.lost, result.duplicates) == (0, 0), f"trial {trial}: {result}"
    assert kills >= 6, "the worker was really killed mid-delivery"
    assert outbox_states(session_factory) == {OutboxState.SENT: 300}


def test_claims_a_dead_worker_never_reached_are_sent_without_a_lookup(
    sandbox: SlackSandbox, session_factory: sessionmaker[Session]
) -> None:
    world = seed_world(sandbox, session_factory, messages=6, channels=3, dms=3, now=SystemClock().now())
    dead = _fast_deliverer(sandbox, session_factory)
    dead._claim_batch()  # claimed all six, then killed before its first call
    with unit_of_work(session_factory) as session:
        assert release_in_flight_claims(session, now=SystemClock().now()) == 6
    deliver_until_done(make_deliverer(session_factory, base_url=sandbox.base_url, token=sandbox.bot_token),
                       session_factory)
    assert (tally(sandbox, world).lost, tally(sandbox, world).duplicates) == (0, 0)
    assert sandbox.calls_to("conversations.history") == [], "no call had left: nothing to look for"


def test_a_5xx_post_is_looked_up_once_before_it_is_sent_again_and_a_429_is_not(
    sandbox: SlackSandbox, session_factory: sessionmaker[Session]
) -> None:
    world = seed_world(sandbox, session_factory, messages=2, channels=2, now=SystemClock().now())
    deliverer = _fast_deliverer(sandbox, session_factory)
    sandbox.fail_next("chat.postMessage", status=503)
    sandbox.fail_next("chat.postMessage", status=429, retry_after=1)
    report = deliverer.deliver_due()
    assert (report.retried, report.rate_limited) == (1, 1)
    with unit_of_work(session_factory) as session:
        rows = list(session.scalars(select(OutboxMessage)))
    assert sorted(row.outcome_unknown for row in rows) == [False, True], "a 5xx may have posted; a 429 refused"
    # The two posts leave together (two channels), so either may be the one answered 503.
    answered_5xx = next(row.payload["channel"] for row in rows if row.outcome_unknown)
    deliver_until_done(deliverer, session_factory)
    assert [call.args["channel"] for call in sandbox.calls_to("conversations.history")] == [
        answered_5xx], "the 5xx row's conversation was read once, the 429's never"
    assert answered_5xx in world.channel_ids
    assert (tally(sandbox, world).lost, tally(sandbox, world).duplicates) == (0, 0)


def test_transient_failures_are_retried_far_longer_than_a_refusal(
    sandbox: SlackSandbox, session_factory: sessionmaker[Session]
) -> None:
    world = seed_world(sandbox, session_factory, messages=1, channels=1, now=SystemClock().now())
    sandbox.fail_next("chat.postMessage", status=500, times=12)
    sandbox.fail_next("conversations.history", status=502, times=3)
    deliverer = make_deliverer(session_factory, base_url=sandbox.base_url, token=sandbox.bot_token,
                               backoff_base=timedelta(milliseconds=5), backoff_cap=timedelta(milliseconds=20))
    deliver_until_done(deliverer, session_factory)
    assert outbox_states(session_factory) == {OutboxState.SENT: 1}
    assert tally(sandbox, world).duplicates == 0
    seed_world(sandbox, session_factory, messages=1, channels=1, now=SystemClock().now(), prefix="refused")
    sandbox.error_next("chat.postMessage", "channel_not_found")
    deliver_until_done(deliverer, session_factory)
    with unit_of_work(session_factory) as session:
        refused = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == "refused:0")).one()
    assert (refused.state, refused.attempts, refused.last_error) == (OutboxState.FAILED, 1, "channel_not_found")


def test_an_archive_whose_answer_was_lost_is_done_when_slack_says_already_archived(
    sandbox: SlackSandbox, session_factory: sessionmaker[Session]
) -> None:
    channel = sandbox.add_channel(name="pair-done", is_private=True, members=(sandbox.bot_user_id,))["id"]
    now = SystemClock().now()
    with unit_of_work(session_factory) as session:
        enqueue(session, OutgoingCall(dedup_key="archive:1", method="conversations.archive", team_id="",
                                      payload={"channel": channel}, not_before=now), now=now)
    sandbox.lose_next_answer("conversations.archive")
    deliver_until_done(make_deliverer(session_factory, base_url=sandbox.base_url, token=sandbox.bot_token,
                                      backoff_base=FAST_BASE, backoff_cap=FAST_CAP), session_factory)
    assert [call.error for call in sandbox.calls_to("conversations.archive")] == [None, "already_archived"]
    assert outbox_states(session_factory) == {OutboxState.SENT: 1}
    assert sandbox.get_channel(channel)["is_archived"] is True
