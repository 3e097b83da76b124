"""The outbox: one message per dedup key, and a deliverer that survives 429s, 5xx and crashes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.core.chat import OutboxSender, SendOutcome
from bot.core.outbox import OutgoingCall, cancel_pending, due_messages, enqueue
from scheduling.deliverer import OutboxDeliverer, release_in_flight_claims
from scheduling.pacing import Pacer
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState


class ScriptedSender:
    """A fake Slack: answers from a script per call, records what it was asked to send."""

    def __init__(self, script: list[SendOutcome] | None = None) -> None:
        self.script = list(script or [])
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.attempts = 0

    def send(self, *, method: str, payload: dict[str, Any]) -> SendOutcome:
        self.attempts += 1
        outcome = self.script.pop(0) if self.script else SendOutcome(ok=True, response={"ts": f"{self.attempts}.0"})
        if outcome.ok:
            self.sent.append((method, payload))
        return outcome


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _call(key: str, *, clock: FixedClock, channel: str = "C1", method: str = "chat.postMessage") -> OutgoingCall:
    return OutgoingCall(dedup_key=key, method=method, team_id="", payload={"channel": channel, "text": key},
                        not_before=clock.now())


def _deliverer(session_factory: sessionmaker[Session], sender: OutboxSender, clock: FixedClock,
               **kwargs: Any) -> OutboxDeliverer:
    fake_time = FakeTime()
    kwargs.setdefault("max_in_flight", 1)  # one call at a time: each answer is handled before the next row
    return OutboxDeliverer(
        session_factory=session_factory,
        sender=sender,
        clock=clock,
        pacer=Pacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep),
        **kwargs,
    )


def _deliverer_and_time(session_factory: sessionmaker[Session], sender: OutboxSender, clock: FixedClock,
                        **kwargs: Any) -> tuple[OutboxDeliverer, FakeTime]:
    """A deliverer whose pacer runs on a fake monotonic clock the test moves with `clock`."""
    fake_time = FakeTime()
    kwargs.setdefault("max_in_flight", 1)
    deliverer = OutboxDeliverer(session_factory=session_factory, sender=sender, clock=clock,
                                pacer=Pacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep), **kwargs)
    return deliverer, fake_time


def _rows(session_factory) -> list[OutboxMessage]:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_dedup_key_inserted_twice_is_one_message(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        assert enqueue(session, _call("welcome:1", clock=clock), now=clock.now()) is True
        assert enqueue(session, _call("welcome:1", clock=clock), now=clock.now()) is False
    with unit_of_work(session_factory) as session:
        assert enqueue(session, _call("welcome:1", clock=clock), now=clock.now()) is False
    assert [row.dedup_key for row in _rows(session_factory)] == ["welcome:1"]


def test_messages_are_not_due_before_their_time(session_factory, clock) -> None:  # noqa: ANN001
    later = OutgoingCall(
        dedup_key="later", method="chat.postMessage", team_id="", payload={"channel": "C1", "text": "x"},
        not_before=clock.now() + timedelta(hours=1),
    )
    with unit_of_work(session_factory) as session:
        enqueue(session, later, now=clock.now())
        assert due_messages(session, now=clock.now()) == []
        assert [row.dedup_key for row in due_messages(session, now=clock.now() + timedelta(hours=1))] == ["later"]


def test_each_row_is_sent_once_and_marked_sent(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        for index in range(3):
            enqueue(session, _call(f"k{index}", clock=clock, channel=f"C{index}"), now=clock.now())
    sender = ScriptedSender()
    deliverer = _deliverer(session_factory, sender, clock)
    report = deliverer.deliver_due()
    assert report.sent == 3
    assert deliverer.deliver_due().sent == 0
    assert [payload["text"] for _, payload in sender.sent] == ["k0", "k1", "k2"]
    rows = _rows(session_factory)
    assert {row.state for row in rows} == {OutboxState.SENT}
    assert rows[0].response == {"ts": "1.0"}


def test_a_429_holds_its_own_channel_for_retry_after_and_the_others_go_on(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("a", clock=clock), now=clock.now())
        enqueue(session, _call("a2", clock=clock), now=clock.now())
        enqueue(session, _call("b", clock=clock, channel="C2"), now=clock.now())
    sender = ScriptedSender([SendOutcome(ok=False, error="ratelimited", retry_after_seconds=20, retryable=True)])
    deliverer, fake_time = _deliverer_and_time(session_factory, sender, clock)
    first = deliverer.deliver_due()
    # chat.postMessage is limited per channel: C1 waits, C2 is sent at once.
    assert (first.sent, first.rate_limited, first.deferred) == (1, 1, 1)
    assert [payload["text"] for _, payload in sender.sent] == ["b"]
    rows = {row.dedup_key: row for row in _rows(session_factory)}
    assert rows["a"].not_before == clock.now() + timedelta(seconds=20)
    assert rows["a2"].state is OutboxState.PENDING and rows["a2"].not_before > clock.now()
    assert all(row.attempts == 0 for key, row in rows.items() if key != "b"), "a rate limit is not a failed attempt"
    assert fake_time.slept == [], "the deliverer never sleeps for one channel while others wait"
    assert deliverer.deliver_due().handled == 0, "nothing is due before Retry-After has passed"
    clock.set(clock.now() + timedelta(seconds=20))
    fake_time.now += 20
    assert deliverer.deliver_due().sent == 2
    assert sorted(payload["text"] for _, payload in sender.sent) == ["a", "a2", "b"]


def test_a_429_on_a_tiered_method_holds_that_method_only(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("archive-1", clock=clock, method="conversations.archive"), now=clock.now())
        enqueue(session, _call("archive-2", clock=clock, channel="C2", method="conversations.archive"), now=clock.now())
        enqueue(session, _call("post", clock=clock, channel="C3"), now=clock.now())
    sender = ScriptedSender([SendOutcome(ok=False, error="ratelimited", retry_after_seconds=30, retryable=True)])
    deliverer, _ = _deliverer_and_time(session_factory, sender, clock)
    report = deliverer.deliver_due()
    assert (report.sent, report.rate_limited, report.deferred) == (1, 1, 1)
    assert [method for method, _ in sender.sent] == ["chat.postMessage"]
    held = {row.dedup_key: row.not_before - clock.now() for row in _rows(session_factory) if row.state is OutboxState.PENDING}
    assert held == {"archive-1": timedelta(seconds=30), "archive-2": timedelta(seconds=30)}


def test_a_busy_channel_is_set_aside_not_waited_for(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        for index in range(5):
            enqueue(session, _call(f"busy-{index}", clock=clock), now=clock.now())
        enqueue(session, _call("quiet", clock=clock, channel="C2"), now=clock.now())
    sender = ScriptedSender()
    deliverer, fake_time = _deliverer_and_time(session_factory, sender, clock)
    report = deliverer.deliver_due()
    # A burst of three in C1, the other two set aside for their turn; C2 never waited.
    assert (report.sent, report.deferred) == (4, 2)
    assert [payload["text"] for _, payload in sender.sent] == ["busy-0", "busy-1", "busy-2", "quiet"]
    assert fake_time.slept == []
    for _ in range(2):
        clock.set(clock.now() + timedelta(seconds=1.1))
        fake_time.now += 1.1
        assert deliverer.deliver_due().sent == 1


def test_5xx_is_retried_with_backoff_then_sent_once(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("a", clock=clock), now=clock.now())
    sender = ScriptedSender([SendOutcome(ok=False, error="http_503", retryable=True)] * 2)
    deliverer = _deliverer(session_factory, sender, clock, backoff_base=timedelta(seconds=30))
    assert deliverer.deliver_due().retried == 1
    assert _rows(session_factory)[0].not_before == clock.now() + timedelta(seconds=30)
    clock.set(clock.now() + timedelta(seconds=30))
    assert deliverer.deliver_due().retried == 1
    assert _rows(session_factory)[0].not_before == clock.now() + timedelta(seconds=60), "backoff doubles"
    clock.set(clock.now() + timedelta(seconds=60))
    assert deliverer.deliver_due().sent == 1
    row = _rows(session_factory)[0]
    assert (row.state, row.attempts, len(sender.sent)) == (OutboxState.SENT, 3, 1)


def test_gives_up_after_max_attempts_and_records_why(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("a", clock=clock), now=clock.now())
    sender = ScriptedSender([SendOutcome(ok=False, error="http_500", retryable=True)] * 5)
    deliverer = _deliverer(session_factory, sender, clock, max_attempts=3, backoff_base=timedelta(seconds=1))
    for _ in range(3):
        deliverer.deliver_due()
        clock.set(clock.now() + timedelta(minutes=10))
    row = _rows(session_factory)[0]
    assert row.state is OutboxState.FAILED
    assert "gave up after 3 attempts" in (row.last_error or "")
    assert sender.sent == []


def test_a_slack_error_fails_at_once_with_its_reason(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("a", clock=clock), now=clock.now())
    sender = ScriptedSender([SendOutcome(ok=False, error="channel_not_found")])
    report = _deliverer(session_factory, sender, clock).deliver_due()
    assert report.failed == 1 and "channel_not_found" in report.errors[0]
    row = _rows(session_factory)[0]
    assert (row.state, row.last_error, row.attempts) == (OutboxState.FAILED, "channel_not_found", 1)


def test_rows_left_sending_by_a_dead_process_are_reclaimed(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("a", clock=clock), now=clock.now())
    crashed = _deliverer(session_factory, ScriptedSender(), clock)
    crashed._claim_batch()  # claimed, then the process "died" before sending
    survivor = _deliverer(session_factory, ScriptedSender(), clock, stale_claim_after=timedelta(minutes=10))
    assert survivor.deliver_due().handled == 0, "a fresh claim belongs to its worker"
    clock.set(clock.now() + timedelta(minutes=11))
    assert survivor.deliver_due().sent == 1
    assert _rows(session_factory)[0].state is OutboxState.SENT


def test_a_cancelled_message_is_its_own_state_never_sent_and_its_key_stays_taken(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as session:
        for key in ("reminder:1:a", "reminder:1:b", "reminder:2:a", "welcome:1"):
            enqueue(session, _call(key, clock=clock), now=clock.now())
        withdrawn = cancel_pending(session, dedup_keys=["welcome:1"], key_prefixes=["reminder:1:"], reason="opted out")
    assert withdrawn == 3
    report = _deliverer(session_factory, ScriptedSender(), clock).deliver_due()
    assert (report.sent, report.failed) == (1, 0)
    states = {row.dedup_key: (row.state, row.cancel_reason, row.last_error) for row in _rows(session_factory)}
    assert states == {
        "reminder:1:a": (OutboxState.CANCELLED, "opted out", None),
        "reminder:1:b": (OutboxState.CANCELLED, "opted out", None),
        "reminder:2:a": (OutboxState.SENT, None, None),
        "welcome:1": (OutboxState.CANCELLED, "opted out", None),
    }
    with unit_of_work(session_factory) as session:
        assert enqueue(session, _call("welcome:1", clock=clock), now=clock.now()) is False


def test_cancelling_leaves_a_message_already_in_flight_or_sent_alone(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("intro:1:a", clock=clock), now=clock.now())
    _deliverer(session_factory, ScriptedSender(), clock)._claim_batch()  # in flight: `sending`
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("intro:1:b", clock=clock), now=clock.now())
    _deliverer(session_factory, ScriptedSender(), clock).deliver_due()
    with unit_of_work(session_factory) as session:
        assert cancel_pending(session, key_prefixes=["intro:1:"], reason="pair ended") == 0
    assert [(row.state, row.cancel_reason) for row in _rows(session_factory)] == [
        (OutboxState.SENDING, None), (OutboxState.SENT, None)]


def test_pacer_keeps_one_post_a_second_per_channel_after_a_burst() -> None:
    fake_time = FakeTime()
    pacer = Pacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep, per_channel_burst=3)
    for _ in range(5):
        pacer.wait_turn(method="chat.postMessage", channel="C1")
    assert fake_time.slept == pytest.approx([1.1, 1.1]), "about one a second, with a tenth of headroom"
    pacer.wait_turn(method="chat.postMessage", channel="C2")
    assert len(fake_time.slept) == 2, "another channel has its own budget"


def test_pacer_spaces_tier_2_calls_and_honours_a_hold() -> None:
    fake_time = FakeTime()
    pacer = Pacer(monotonic=fake_time.monotonic, sleep=fake_time.sleep)
    pacer.wait_turn(method="conversations.create", channel=None)
    pacer.wait_turn(method="conversations.create", channel=None)
    assert fake_time.slept == pytest.approx([3.0])
    pacer.hold_method("users.info", 30)
    pacer.wait_turn(method="users.info", channel=None)
    assert fake_time.slept[-1] == pytest.approx(30.0)


def test_a_takeover_releases_a_dead_workers_claims_at_once_with_their_outcome_unknown(
    session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(session_factory) as session:
        enqueue(session, _call("a", clock=clock), now=clock.now())
        enqueue(session, _call("b", clock=clock, channel="C2"), now=clock.now())
    dead = _deliverer(session_factory, ScriptedSender(), clock, batch_size=1)
    dead._claim_batch()  # "a" is in flight when the worker is killed; "b" was never claimed
    later = clock.now() + timedelta(seconds=5)
    with unit_of_work(session_factory) as session:
        assert release_in_flight_claims(session, now=later) == 1
    rows = {row.dedup_key: row for row in _rows(session_factory)}
    assert (rows["a"].state, rows["a"].outcome_unknown, rows["a"].claimed_at) == (OutboxState.PENDING, True, None)
    assert rows["a"].not_before == later and rows["a"].attempts == 0, "a dead worker's claim is not an attempt"
    assert (rows["b"].state, rows["b"].outcome_unknown) == (OutboxState.PENDING, False)
    with unit_of_work(session_factory) as session:
        assert release_in_flight_claims(session, now=later) == 0, "nothing left in flight"


def _run_clock(clock: FixedClock, fake_time: FakeTime):  # noqa: ANN202
    """The worker run's sleep moving the pacer's clock and the domain's together."""

    def sleep(seconds: float) -> None:
        fake_time.sleep(seconds)
        clock.set(clock.now() + timedelta(seconds=seconds))

    return sleep


def test_the_worker_run_keeps_a_busy_channel_at_its_pace_and_never_holds_up_another(
    session_factory, clock  # noqa: ANN001
) -> None:
    with unit_of_work(session_factory) as session:
        for index in range(10):
            enqueue(session, _call(f"busy-{index}", clock=clock), now=clock.now())
        enqueue(session, _call("quiet", clock=clock, channel="C2"), now=clock.now())
    sender = ScriptedSender()
    deliverer, fake_time = _deliverer_and_time(session_factory, sender, clock)
    started = fake_time.now
    report = deliverer.deliver_while_due(budget_seconds=60, sleep=_run_clock(clock, fake_time),
                                         monotonic=fake_time.monotonic)
    # One run sends all eleven: no row cap, no idling until the next run.
    assert report.sent == 11 and report.deferred == 0
    texts = [payload["text"] for _, payload in sender.sent]
    assert texts[:4] == ["busy-0", "busy-1", "busy-2", "quiet"], "C2 never waits behind C1's pacing"
    assert texts[4:] == [f"busy-{index}" for index in range(3, 10)]
    # A burst of three, then one every 1.1 s: the pace of C1 and not slower.
    assert 7 * 1.1 - 0.01 <= fake_time.now - started <= 7 * 1.1 + 0.5
    assert {row.state for row in _rows(session_factory)} == {OutboxState.SENT}
    assert all(row.attempts == 1 for row in _rows(session_factory)), "held for its turn, never set aside and reclaimed"


def test_the_worker_run_stops_between_rows_when_told_and_hands_back_what_it_held(
    session_factory, clock  # noqa: ANN001
) -> None:
    with unit_of_work(session_factory) as session:
        for index in range(10):
            enqueue(session, _call(f"busy-{index}", clock=clock), now=clock.now())
    sender = ScriptedSender()
    deliverer, fake_time = _deliverer_and_time(session_factory, sender, clock)
    report = deliverer.deliver_while_due(budget_seconds=60, sleep=_run_clock(clock, fake_time),
                                         monotonic=fake_time.monotonic, should_stop=lambda: sender.attempts >= 5)
    assert report.sent == 5 and report.deferred == 5
    rows = _rows(session_factory)
    assert [row.state for row in rows] == [OutboxState.SENT] * 5 + [OutboxState.PENDING] * 5
    pending = [row for row in rows if row.state is OutboxState.PENDING]
    assert all(row.attempts == 0 and row.claimed_at is None and not row.outcome_unknown for row in pending)
    # Handed back for whoever runs next (this worker's next run, or the next lease holder).
    assert deliverer.deliver_while_due(budget_seconds=60, sleep=_run_clock(clock, fake_time),
                                       monotonic=fake_time.monotonic).sent == 5
    assert {row.state for row in _rows(session_factory)} == {OutboxState.SENT}


def test_a_run_that_ends_its_budget_keeps_its_held_rows_for_the_next(session_factory, clock) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        for index in range(6):
            enqueue(session, _call(f"busy-{index}", clock=clock), now=clock.now())
    sender = ScriptedSender()
    deliverer, fake_time = _deliverer_and_time(session_factory, sender, clock)
    sleep = _run_clock(clock, fake_time)
    first = deliverer.deliver_while_due(budget_seconds=1.5, sleep=sleep, monotonic=fake_time.monotonic)
    assert first.sent == 4 and first.deferred == 0
    assert [row.state for row in _rows(session_factory)][4:] == [OutboxState.SENDING] * 2, "still this worker's"
    second = deliverer.deliver_while_due(budget_seconds=10, sleep=sleep, monotonic=fake_time.monotonic)
    assert second.sent == 2
    assert [payload["text"] for _, payload in sender.sent] == [f"busy-{index}" for index in range(6)]
    assert {row.state for row in _rows(session_factory)} == {OutboxState.SENT}
