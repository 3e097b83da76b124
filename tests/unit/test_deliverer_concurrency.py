"""The deliverer with several calls in the air: other channels overlap, one channel never does,
every first try is on record before its call leaves, and outcomes are written in batches."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.core.chat import SendOutcome
from bot.core.outbox import OutgoingCall, enqueue_all
from scheduling.deliverer import FIRST_TRY_KEY, OutboxDeliverer
from scheduling.pacing import Pacer
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState

# A safeguard, not a measurement: how long a call waits for another channel's call to start
# before it gives up (and the test fails on `overlapped`, never on time).
OVERLAP_WAIT_SECONDS = 10.0


class RecordingSender:
    """A thread-safe fake Slack: notes every call's start and end per channel, and lets one
    call wait until a call to another channel has started (proof that they overlap)."""

    def __init__(self, *, hold_until_other: str | None = None,
                 answers: dict[str, SendOutcome] | None = None,
                 on_call: Any = None) -> None:
        self._lock = threading.Lock()
        self._hold_until_other = hold_until_other
        self._other_started = threading.Event()
        self._answers = answers or {}
        self._on_call = on_call
        self.in_air: dict[str, int] = defaultdict(int)
        self.most_in_air = 0
        self.same_channel_overlaps: list[str] = []
        self.order: dict[str, list[str]] = defaultdict(list)
        self.overlapped: bool | None = None

    def send(self, *, method: str, payload: dict[str, Any]) -> SendOutcome:
        channel, text = str(payload["channel"]), str(payload["text"])
        with self._lock:
            self.in_air[channel] += 1
            if self.in_air[channel] > 1:
                self.same_channel_overlaps.append(text)
            self.most_in_air = max(self.most_in_air, sum(self.in_air.values()))
            self.order[channel].append(text)
            holding_channel = None if self._hold_until_other is None else self._hold_until_other.split(":")[0]
            if holding_channel is not None and channel != holding_channel:
                self._other_started.set()
        try:
            if self._on_call is not None:
                self._on_call(text)
            if text == self._hold_until_other:
                self.overlapped = self._other_started.wait(OVERLAP_WAIT_SECONDS)
            return self._answers.get(text, SendOutcome(ok=True, response={"ts": f"{text}.ts"}))
        finally:
            with self._lock:
                self.in_air[channel] -= 1


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _enqueue(session_factory: sessionmaker[Session], clock: FixedClock, rows: list[tuple[str, str]]) -> None:
    calls = [
        OutgoingCall(dedup_key=text, method="chat.postMessage", team_id="", payload={"channel": channel, "text": text},
                     not_before=clock.now())
        for channel, text in rows
    ]
    with unit_of_work(session_factory) as session:
        enqueue_all(session, calls, now=clock.now())


def _deliverer(session_factory: sessionmaker[Session], sender: RecordingSender, clock: FixedClock,
               *, max_in_flight: int) -> OutboxDeliverer:
    fake_time = FakeTime()
    return OutboxDeliverer(session_factory=session_factory, sender=sender, clock=clock,
                           pacer=Pacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep),
                           max_in_flight=max_in_flight)


def _states(session_factory: sessionmaker[Session]) -> dict[str, OutboxState]:
    with unit_of_work(session_factory) as session:
        rows = session.execute(select(OutboxMessage.dedup_key, OutboxMessage.state)).all()
    return {str(key): state for key, state in rows}


def test_other_channels_calls_overlap_and_one_channels_go_one_at_a_time_in_order(session_factory, clock) -> None:  # noqa: ANN001
    # Three in a row to each of two channels: within Slack's burst, so only the one-at-a-time
    # rule orders them.
    _enqueue(session_factory, clock, [("C1", f"a{index}") for index in range(3)] + [("C2", f"b{index}") for index in range(3)])
    sender = RecordingSender(hold_until_other="a0")
    report = _deliverer(session_factory, sender, clock, max_in_flight=4).deliver_due()
    assert report.sent == 6
    assert sender.overlapped is True, "C2's first call left while C1's first was still in the air"
    assert sender.same_channel_overlaps == []
    assert sender.order == {"C1": ["a0", "a1", "a2"], "C2": ["b0", "b1", "b2"]}
    assert set(_states(session_factory).values()) == {OutboxState.SENT}


def test_every_first_try_is_on_record_before_its_call_leaves(session_factory, clock) -> None:  # noqa: ANN001
    _enqueue(session_factory, clock, [(f"C{index}", f"m{index}") for index in range(12)])
    seen: dict[str, tuple[OutboxState, bool]] = {}

    def look(text: str) -> None:  # on the pool's thread, as the call leaves: what another worker would see
        with unit_of_work(session_factory) as session:
            row = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == text)).one()
            seen[text] = (row.state, FIRST_TRY_KEY in (row.response or {}))

    sender = RecordingSender(on_call=look)
    assert _deliverer(session_factory, sender, clock, max_in_flight=4).deliver_due().sent == 12
    assert seen == {f"m{index}": (OutboxState.SENDING, True) for index in range(12)}


def test_outcomes_are_written_in_batches_not_a_transaction_per_row(engine: Engine, session_factory, clock) -> None:  # noqa: ANN001
    _enqueue(session_factory, clock, [(f"C{index}", f"m{index}") for index in range(40)])
    updates: list[str] = []
    commits: list[int] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE OUTBOX_MESSAGE"):
            updates.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "commit", lambda conn: commits.append(1))
    try:
        assert _deliverer(session_factory, RecordingSender(), clock, max_in_flight=8).deliver_due().sent == 40
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # One at a time it was two transactions and two UPDATEs per message (first try, outcome).
    assert len(updates) < 40 and len(commits) < 40
    with unit_of_work(session_factory) as session:
        rows = list(session.scalars(select(OutboxMessage)))
    assert all(row.state is OutboxState.SENT and row.response == {"ts": f"{row.dedup_key}.ts"} for row in rows)
    assert all(row.attempts == 1 for row in rows)


def test_a_429_holds_its_channel_while_the_other_channels_calls_go_on(session_factory, clock) -> None:  # noqa: ANN001
    _enqueue(session_factory, clock, [("C1", "a0"), ("C1", "a1"), ("C2", "b0"), ("C2", "b1"), ("C3", "c0")])
    limited = SendOutcome(ok=False, error="ratelimited", retry_after_seconds=20, retryable=True)
    sender = RecordingSender(answers={"a0": limited})
    report = _deliverer(session_factory, sender, clock, max_in_flight=4).deliver_due()
    assert (report.sent, report.rate_limited, report.deferred) == (3, 1, 1)
    assert sender.order["C1"] == ["a0"], "nothing more to C1 after its 429"
    with unit_of_work(session_factory) as session:
        rows = {row.dedup_key: row for row in session.scalars(select(OutboxMessage))}
    assert {key for key, row in rows.items() if row.state is OutboxState.SENT} == {"b0", "b1", "c0"}
    for key in ("a0", "a1"):
        assert rows[key].state is OutboxState.PENDING and rows[key].attempts == 0
        assert (rows[key].not_before - clock.now()).total_seconds() == 20


def test_a_worker_run_returns_with_no_call_in_the_air_and_every_outcome_on_record(session_factory, clock) -> None:  # noqa: ANN001
    # Ten in a row to one channel and one each to five others: the busy channel's rows past
    # the run's horizon are set aside in the database, the rest go in this run.
    _enqueue(session_factory, clock, [("C0", f"busy{index}") for index in range(10)]
             + [(f"C{index}", f"quiet{index}") for index in range(1, 6)])
    fake_time = FakeTime()
    sender = RecordingSender()
    deliverer = OutboxDeliverer(session_factory=session_factory, sender=sender, clock=clock,
                                pacer=Pacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep), max_in_flight=4)
    report = deliverer.deliver_while_due(budget_seconds=0.5, sleep=fake_time.sleep, monotonic=fake_time.monotonic)
    states = _states(session_factory)
    assert all(states[f"quiet{index}"] is OutboxState.SENT for index in range(1, 6))
    assert [states[f"busy{index}"] for index in range(3)] == [OutboxState.SENT] * 3, "the burst"
    assert report.sent == 8 and sender.same_channel_overlaps == []
    # Nothing is left `sending` but what the run holds for its turn within the horizon.
    still_claimed = [key for key, state in states.items() if state is OutboxState.SENDING]
    assert len(still_claimed) <= 2 and all(key.startswith("busy") for key in still_claimed)
    assert sender.order["C0"] == [f"busy{index}" for index in range(3)]


def test_a_claim_gone_stale_is_taken_over_with_its_outcome_unknown(session_factory, clock) -> None:  # noqa: ANN001
    from datetime import timedelta

    _enqueue(session_factory, clock, [("C1", "a0"), ("C2", "b0")])
    crashed = _deliverer(session_factory, RecordingSender(), clock, max_in_flight=4)
    assert [claim.attempts for claim in crashed._claim_batch()] == [1, 1]  # then the process "died"
    clock.set(clock.now() + timedelta(minutes=11))
    survivor = _deliverer(session_factory, RecordingSender(), clock, max_in_flight=4)
    claims = survivor._claim_batch()
    assert [(claim.key, claim.outcome_unknown, claim.attempts) for claim in claims] == [("a0", True, 2), ("b0", True, 2)]
    with unit_of_work(session_factory) as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(row.state, row.outcome_unknown, row.attempts, row.claimed_at) for row in rows] == [
        (OutboxState.SENDING, True, 2, clock.now())] * 2
