"""The tick as a whole: one bad job does not stop the others, and no transaction is open
while Slack is asked something."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.core.chat import ChannelAnswer, ChatUser
from bot.core.events import record_event_once
from bot.core.outbox import OutgoingCall, enqueue
from bot.onboarding.service import welcome_key
from scheduling.ticks import (
    DEFAULT_JOBS,
    DueJob,
    DueWork,
    JobContext,
    SlackContext,
    SlackJob,
    TickResult,
    describe_due,
    run_tick,
)
from storage.db import unit_of_work
from storage.models import OutboxMessage, Pair, Participant, ProcessedEvent, Role
from tests.factories import EPOCH, make_participant, make_round
from tests.fake_channels import FakeChannels
from tests.unit.test_onboarding import FakeDirectory, member

UTC = timezone.utc
NOW = datetime(2027, 2, 2, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Copenhagen
WAIT = 10  # seconds: only ever waited in full when something is wrong


def _keys(session_factory: sessionmaker[Session]) -> list[str]:
    with session_factory() as session:
        return sorted(session.scalars(select(OutboxMessage.dedup_key)))


def _seed_found_person(session_factory: sessionmaker[Session]) -> int:
    """Ana, already found in Slack and not yet welcomed: the welcome job has work to do."""
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        return make_participant(session, round_=round_, email="ana@x.org", slack_user_id="UANA").id


def _stray(key: str) -> OutgoingCall:
    return OutgoingCall(dedup_key=key, method="chat.postMessage", team_id="", payload={"channel": "UANA", "text": key},
                        not_before=NOW)


# --- one bad job ---------------------------------------------------------------------------------


def _half_done_then_broken(job: JobContext) -> DueWork:
    enqueue(job.session, _stray("written-by-the-broken-job"), now=job.now)
    raise RuntimeError("a bug in one job")


def _step_done_then_broken(job: SlackContext) -> DueWork:
    """A Slack job whose first step finished (it stays: the next tick resumes after it) and
    whose second broke half-way (it is undone)."""
    with job.transactions() as session:
        enqueue(session, _stray("first-step-of-the-broken-slack-job"), now=job.now)
    with job.transactions() as session:
        enqueue(session, _stray("second-step-of-the-broken-slack-job"), now=job.now)
        raise RuntimeError("a bug half-way through a Slack job")


@pytest.mark.parametrize("dry_run", [False, True], ids=["tick", "dry-run"])
def test_a_failing_job_is_logged_by_name_and_rolled_back_and_the_others_commit(
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture, dry_run: bool
) -> None:
    participant_id = _seed_found_person(session_factory)
    jobs = (
        DueJob(name="broken-job", find=_half_done_then_broken),
        SlackJob(name="broken-slack-job", drive=_step_done_then_broken),
        *DEFAULT_JOBS,
    )
    with caplog.at_level(logging.ERROR, logger="scheduling.ticks"):
        result = run_tick(session_factory=session_factory, now=NOW, jobs=jobs, dry_run=dry_run)

    assert result.failed == ["broken-job", "broken-slack-job"]
    logged = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(logged) == 2 and "broken-job" in logged[0].getMessage() and "broken-slack-job" in logged[1].getMessage()
    assert logged[0].exc_info is not None, "the traceback is in the log"
    assert result.enqueued["welcome-participants"] == 1 and result.enqueued["broken-job"] == 0
    due = {row.dedup_key for row in result.due}
    assert welcome_key(participant_id) in due, "the welcome is listed as due despite the broken jobs"
    assert "written-by-the-broken-job" not in due and "second-step-of-the-broken-slack-job" not in due
    if dry_run:
        assert _keys(session_factory) == [], "a dry run stores nothing, broken jobs or not"
    else:
        assert _keys(session_factory) == sorted([welcome_key(participant_id), "first-step-of-the-broken-slack-job"])
        # The next tick runs the broken jobs again and adds nothing the first one stored.
        again = run_tick(session_factory=session_factory, now=NOW, jobs=jobs)
        assert again.failed == ["broken-job", "broken-slack-job"] and sum(again.enqueued.values()) == 0


def test_a_tick_without_failures_reports_none(session_factory: sessionmaker[Session]) -> None:
    _seed_found_person(session_factory)
    result = run_tick(session_factory=session_factory, now=NOW)
    assert result.failed == [] and result.enqueued["welcome-participants"] == 1


def test_the_dry_run_listing_survives_a_row_its_renderer_cannot_draw(session_factory: sessionmaker[Session]) -> None:
    """Like the deliverer, which marks such a row failed whatever the renderer raised, the
    listing shows the row as undrawable and goes on to the next."""
    with unit_of_work(session_factory) as session:
        enqueue(session, _stray("a-bad-row"), now=NOW)
        enqueue(session, _stray("a-good-row"), now=NOW)

    def draw(method: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if payload["text"] == "a-bad-row":
            raise OverflowError("date value out of range")
        return method, payload

    result = run_tick(session_factory=session_factory, now=NOW, jobs=(), dry_run=True)
    bad, good = describe_due(result, translate=draw)
    assert "a-bad-row" in bad and "(cannot be drawn: date value out of range)" in bad
    assert good.endswith("a-good-row  a-good-row")


# --- no Slack call inside a transaction ----------------------------------------------------------


class Gate:
    """Holds a Slack call until the test lets it go, so the test can look around meanwhile."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()

    def hold(self) -> None:
        self.entered.set()
        if not self.released.wait(WAIT):
            raise TimeoutError("the test never released the Slack call")


class SlowDirectory(FakeDirectory):
    def __init__(self, users: list[ChatUser], gate: Gate) -> None:
        super().__init__(users)
        self.gate = gate

    def lookup_by_email(self, email: str) -> ChatUser | None:
        self.gate.hold()
        return super().lookup_by_email(email)


class SlowChannels(FakeChannels):
    def __init__(self, *, users: set[str], gate: Gate, method: str) -> None:
        super().__init__(users=users)
        self.gate, self.slow_method = gate, method

    def create_private_channel(self, *, name: str) -> ChannelAnswer:
        if self.slow_method == "create":
            self.gate.hold()
        return super().create_private_channel(name=name)

    def invite(self, *, channel_id: str, user_id: str) -> ChannelAnswer:
        if self.slow_method == "invite":
            self.gate.hold()
        return super().invite(channel_id=channel_id, user_id=user_id)


def _in_background(run: Callable[[], TickResult]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = run()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def _write_meanwhile(session_factory: sessionmaker[Session]) -> dict[str, Any]:
    """What a slash command does while the tick waits for Slack: take the write lock and
    store something. On SQLite every transaction begins with `BEGIN IMMEDIATE`, so this
    waits for any open transaction; on PostgreSQL the exclusive table locks wait for any
    open transaction that has touched those tables. Returns {"done": True} or the error;
    {} means it was still waiting."""
    outcome: dict[str, Any] = {}

    def write() -> None:
        try:
            with unit_of_work(session_factory) as session:
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(text("SET LOCAL lock_timeout = '3s'"))
                    session.execute(text("LOCK TABLE participant, pair, outbox_message, processed_event "
                                         "IN ACCESS EXCLUSIVE MODE"))
                record_event_once(session, event_id="Ev-written-meanwhile", now=NOW)
            outcome["done"] = True
        except Exception as exc:  # noqa: BLE001 - reported by the test
            outcome["error"] = exc

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(timeout=5)
    return outcome


def _assert_written_while_slack_answers(
    session_factory: sessionmaker[Session], gate: Gate, tick: Callable[[], TickResult]
) -> TickResult:
    ticking, ticked = _in_background(tick)
    try:
        assert gate.entered.wait(WAIT), "the tick never asked Slack"
        meanwhile = _write_meanwhile(session_factory)
    finally:
        gate.released.set()
        ticking.join(WAIT)
    assert meanwhile == {"done": True}, f"a write had to wait for the tick's transaction: {meanwhile or 'still waiting'}"
    assert "error" not in ticked, ticked.get("error")
    with session_factory() as session:
        assert session.get(ProcessedEvent, "Ev-written-meanwhile") is not None
    return ticked["result"]


def test_a_write_goes_ahead_while_the_tick_looks_someone_up_in_slack(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        make_participant(session, round_=round_, email="ana@x.org")
    gate = Gate()
    directory = SlowDirectory([member("UANA", "ana@x.org")], gate)
    result = _assert_written_while_slack_answers(
        session_factory, gate, lambda: run_tick(session_factory=session_factory, now=NOW, directory=directory)
    )
    assert result.housekeeping["resolve-participants"] == 1 and result.enqueued["welcome-participants"] == 1
    with session_factory() as session:
        assert session.scalar(select(Participant.slack_user_id).where(Participant.email == "ana@x.org")) == "UANA"


@pytest.mark.parametrize("method", ["create", "invite"])
def test_a_write_goes_ahead_while_the_tick_opens_a_pair_channel(
    session_factory: sessionmaker[Session], method: str
) -> None:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        mentor = make_participant(session, round_=round_, role=Role.MENTOR, email="lars@x.dk", name="Lars",
                                  slack_user_id="ULARS")
        mentee = make_participant(session, round_=round_, email="ana@x.org", slack_user_id="UANA")
        session.add(Pair(round=round_, mentor=mentor, mentee=mentee, created_at=EPOCH, published_at=EPOCH))
    gate = Gate()
    channels = SlowChannels(users={"ULARS", "UANA"}, gate=gate, method=method)
    _assert_written_while_slack_answers(
        session_factory, gate, lambda: run_tick(session_factory=session_factory, now=NOW, channels=channels)
    )
    with session_factory() as session:
        pair = session.scalars(select(Pair)).one()
        assert pair.channel_opened_at == NOW and pair.slack_channel_id is not None
    assert channels.count("create") == 1


# --- the worker's tick lists nothing ----------------------------------------------------------------


def test_the_workers_tick_enqueues_the_same_but_lists_no_due_rows(session_factory: sessionmaker[Session]) -> None:
    """`list_due=False` (the worker's tick) skips only the list: after a busy slot it would be
    tens of thousands of rows read for nothing; what is enqueued is the same."""
    participant_id = _seed_found_person(session_factory)
    result = run_tick(session_factory=session_factory, now=NOW, list_due=False)
    assert result.enqueued["welcome-participants"] == 1 and result.due == []
    assert welcome_key(participant_id) in _keys(session_factory)
    listed = run_tick(session_factory=session_factory, now=NOW)
    assert welcome_key(participant_id) in {row.dedup_key for row in listed.due}, "the CLI's tick still lists it"
