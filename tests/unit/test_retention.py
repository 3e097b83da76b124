"""Retention (GDPR art. 5(1)(e)): the consent text states the programme's months."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.onboarding.notices import OnboardingFacts
from bot.onboarding.service import onboarding_facts
from bot.privacy import retention
from bot.privacy.retention import due_retention, due_trims, erase_on
from bot.slack.render.onboarding import welcome_message
from bot.surveys.scoreboard import compute_scoreboard
from scheduling.ticks import DEFAULT_JOBS, TickResult, run_tick
from storage.db import unit_of_work
from storage.models import (
    Disclosure,
    MatchProposal,
    MentoringSession,
    OutboxMessage,
    OutboxState,
    Pair,
    Participant,
    Role,
    Round,
)
from tests.factories import make_participant, make_round
from tests.support.personal_data import EMAIL, NAME, SLACK_ID, TEXTS, ErasureWorld, seed_erasure_world, where_markers_are
from tests.support.report_round import REPORT_NOW


def _counts(session: Session, round_id: int) -> tuple[object, ...]:
    board = compute_scoreboard(session, round_id=round_id, now=REPORT_NOW)
    return board.criteria, board.outcomes, board.introductions, board.responses, board.pulses


@contextmanager
def counting(session_factory: sessionmaker[Session]) -> Iterator[list[str]]:
    """The SQL statements run meanwhile (transaction control left out)."""
    statements: list[str] = []
    engine = session_factory.kw["bind"]

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.split(None, 1)[0].upper() in ("SELECT", "UPDATE", "INSERT", "DELETE", "WITH"):
            statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _facts(months: int) -> OnboardingFacts:
    return OnboardingFacts(participant_id=1, name="Ana", role=Role.MENTEE, timezone="Europe/Copenhagen",
                           programme="Career Mentoring", round="Spring 2027", starts_on=date(2027, 2, 1),
                           ends_on=date(2027, 5, 31), session_every_days=14, retention_months=months)


def _text(message: Any) -> str:
    return str(message)


@pytest.mark.parametrize(("months", "language", "expected"), [
    (12, "en", "erase your personal data from this round 12 months after its six-month follow-up"),
    (1, "en", "from this round 1 month after its six-month follow-up"),
    (24, "da", "sletter dine personoplysninger fra dette forløb 24 måneder efter opfølgningen"),
    (1, "da", "fra dette forløb 1 måned efter opfølgningen"),
])
def test_the_consent_question_states_the_programmes_retention(months: int, language: str, expected: str) -> None:
    text = _text(welcome_message(_facts(months), language=language))
    assert expected in text
    assert text.count("six-month follow-up" if language == "en" else "opfølgningen seks måneder") == 1


def test_the_welcome_reads_the_months_from_the_programme(session: Session) -> None:
    round_ = make_round(session)
    round_.programme.retention_months = 30
    ana = make_participant(session, round_=round_)
    assert onboarding_facts(ana).retention_months == 30
    assert "30 months after" in str(welcome_message(onboarding_facts(ana), language="en"))


# --- the retention job ---------------------------------------------------------------------------------

ERASE_DAY = date(2028, 11, 21)  # the report round ends 2027-05-21: follow-up 2027-11-21, plus 12 months


def _tick(session_factory: sessionmaker[Session]) -> TickResult:
    jobs = tuple(job for job in DEFAULT_JOBS if job.name in ("retention", "trim-outbox"))
    assert len(jobs) == 2
    return run_tick(session_factory=session_factory, now=datetime.now(timezone.utc), jobs=jobs)


@pytest.fixture
def seeded(session_factory: sessionmaker[Session]) -> ErasureWorld:
    with unit_of_work(session_factory) as session:
        world = seed_erasure_world(session)
        later = session.get_one(Round, world.later.round_id)  # her later round is still kept then
        later.starts_on, later.ends_on = date(2028, 9, 1), date(2028, 12, 15)
        return world


def test_a_rounds_data_goes_its_retention_after_the_follow_up_and_a_later_round_keeps_hers(
    seeded: ErasureWorld, session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        board_before = _counts(session, seeded.world.round_id)
    # The day is the programme's: 22:30 UTC on the 20th is 23:30 in Copenhagen, still the day before.
    with freeze_time(datetime(2028, 11, 20, 22, 30, tzinfo=timezone.utc)):
        assert _tick(session_factory).housekeeping["retention"] == 0
    with unit_of_work(session_factory) as session:
        assert session.get_one(Round, seeded.world.round_id).personal_data_erased_at is None
        assert where_markers_are(session, (NAME,))
    with freeze_time(datetime(2028, 11, 20, 23, 30, tzinfo=timezone.utc)):  # 00:30 on the day in Copenhagen
        result = _tick(session_factory)
    assert result.failed == [] and result.housekeeping["retention"] > 0
    with unit_of_work(session_factory) as session:
        round_ = session.get_one(Round, seeded.world.round_id)
        assert round_.personal_data_erased_at is not None
        people = session.scalars(select(Participant).where(Participant.round_id == round_.id)).all()
        assert people and [p.name for p in people if p.erased_at is None or p.name != f"erased-{p.id}"] == []
        assert session.scalars(select(MentoringSession.notes).where(MentoringSession.notes.is_not(None))).all() == []
        comments = [v for row in session.scalars(select(Disclosure)) if ":q=comment:" in row.cell
                    for v in row.contributions.values()]
        assert comments and set(comments) == {""}
        proposal = session.scalars(select(MatchProposal)).one()
        assert set(proposal.payload["names"].values()) == {f"erased-{key}" for key in proposal.payload["names"]}
        assert proposal.created_by is None and proposal.payload["published_by"] is None
        # She mentors in the later round, still kept: that row is whole.
        later = session.get_one(Participant, seeded.her_ids[1])
        assert (later.name, later.email, later.slack_user_id, later.expertise) == (
            NAME, EMAIL, SLACK_ID, TEXTS["expertise"])
        assert session.get_one(Pair, seeded.pair_ids[1]).channel_name == f"mentoring-{TEXTS['channel']}-olga"
        assert session.get_one(Round, seeded.later.round_id).personal_data_erased_at is None
        assert _counts(session, seeded.world.round_id) == board_before
    # Nothing more to do the next minute: one statement per job.
    with freeze_time(datetime(2028, 11, 20, 23, 31, tzinfo=timezone.utc)), counting(session_factory) as statements:
        again = _tick(session_factory)
    assert again.housekeeping == {"retention": 0, "trim-outbox": 0}
    by_job = [s for s in statements  # run_tick lists due rows; the trim's own look-up is the untrimmed predicate
              if not s.startswith("SELECT outbox_message.id") or "trimmed_at IS NULL AND state IN" in s]
    assert len(by_job) == 2, by_job
    assert sum("trimmed_at IS NULL AND state IN" in s for s in by_job) == 1, by_job


def test_retention_months_come_from_the_programme(seeded: ErasureWorld,
                                                  session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        session.get_one(Round, seeded.world.round_id).programme.retention_months = 1
    with freeze_time(datetime(2027, 12, 20, 12, 0, tzinfo=timezone.utc)):
        assert _tick(session_factory).housekeeping["retention"] == 0
    with freeze_time(datetime(2027, 12, 21, 12, 0, tzinfo=timezone.utc)):  # 2027-11-21 plus one month
        assert _tick(session_factory).housekeeping["retention"] > 0


# --- trimming the outbox -------------------------------------------------------------------------------

TRIM_NOW = datetime(2027, 9, 1, 12, 0, tzinfo=timezone.utc)


def _row(session: Session, key: str, *, state: OutboxState, age: timedelta) -> int:
    row = OutboxMessage(dedup_key=key, method="notice", target="UANA",
                        payload={"channel": "UANA", "kind": "WelcomeFacts", "facts": {"name": "Ana"}},
                        not_before=TRIM_NOW - age, state=state, created_at=TRIM_NOW - age,
                        cancel_reason="withdrawn" if state is OutboxState.CANCELLED else None,
                        response={"ts": "1.5", "channel": "DANA"} if state is OutboxState.SENT else None)
    session.add(row)
    session.flush()
    return row.id


def test_finished_rows_are_trimmed_to_their_keys_after_a_week(session: Session) -> None:
    ids = {
        "sent-8d": _row(session, "a", state=OutboxState.SENT, age=timedelta(days=8)),
        "sent-6d": _row(session, "b", state=OutboxState.SENT, age=timedelta(days=6)),
        "failed-8d": _row(session, "c", state=OutboxState.FAILED, age=timedelta(days=8)),
        "cancelled-8d": _row(session, "d", state=OutboxState.CANCELLED, age=timedelta(days=8)),
        "pending-8d": _row(session, "e", state=OutboxState.PENDING, age=timedelta(days=8)),
        "sending-8d": _row(session, "f", state=OutboxState.SENDING, age=timedelta(days=8)),
        "sent-30d": _row(session, "g", state=OutboxState.SENT, age=timedelta(days=30)),
    }
    assert due_trims(session, now=TRIM_NOW) == 4
    rows = {name: session.get_one(OutboxMessage, row_id) for name, row_id in ids.items()}
    session.expire_all()
    trimmed = {name for name, row in rows.items() if row.trimmed_at is not None}
    # A month-old row a stopped worker left behind is taken with the rest, at any hour.
    assert trimmed == {"sent-8d", "failed-8d", "cancelled-8d", "sent-30d"}
    sent = rows["sent-8d"]
    assert (sent.payload, sent.dedup_key, sent.state, sent.response) == ({}, "a", OutboxState.SENT,
                                                                         {"ts": "1.5", "channel": "DANA"})
    assert rows["pending-8d"].payload["facts"] == {"name": "Ana"}
    assert rows["sent-30d"].payload == {}
    assert due_trims(session, now=TRIM_NOW) == 0  # once
    # The 6-day-old row is due once it is a week old.
    assert due_trims(session, now=TRIM_NOW + timedelta(days=1, seconds=1)) == 1


@pytest.mark.parametrize(("ends_on", "months", "due"), [
    (date(2027, 7, 31), 1, date(2028, 2, 29)),  # 31 Jan + 1 month in a leap year: the month's last day
    (date(2027, 8, 31), 1, date(2028, 3, 29)),  # follow-up 29 Feb 2028, then one month
    (date(2027, 5, 21), 12, date(2028, 11, 21)),
])
def test_a_round_is_erased_on_its_day_even_at_a_months_end(session: Session, ends_on: date, months: int,
                                                           due: date) -> None:
    round_ = make_round(session)
    round_.starts_on, round_.ends_on = ends_on - timedelta(days=100), ends_on
    round_.programme.retention_months = months
    make_participant(session, round_=round_)
    assert erase_on(round_, round_.programme) == due
    day_before = datetime.combine(due - timedelta(days=1), datetime.min.time(), timezone.utc) + timedelta(hours=12)
    assert due_retention(session, now=day_before).rounds == ()
    on_the_day = datetime.combine(due, datetime.min.time(), timezone.utc) + timedelta(hours=12)
    assert due_retention(session, now=on_the_day).rounds == (round_.id,)
    assert due_retention(session, now=on_the_day).rounds == ()  # once


def test_a_tick_trims_a_batch_at_most_and_the_next_ticks_the_rest(
    session: Session, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retention, "TRIM_BATCH", 2)
    for number in range(5):
        _row(session, f"old{number}", state=OutboxState.SENT, age=timedelta(days=30 + number))
    assert [due_trims(session, now=TRIM_NOW + timedelta(minutes=n)) for n in range(4)] == [2, 2, 1, 0]


def _plan(session: Session, statement: str, parameters: Any) -> str:
    """The database's own plan of a statement as the driver ran it, as one text."""
    connection = session.connection()
    prefix = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
    rows = connection.exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join(" ".join(str(part) for part in row) for row in rows)


def test_the_trim_finds_due_rows_through_the_partial_index(session: Session) -> None:
    """The due rows are found through ix_outbox_message_untrimmed on both databases (its
    WHERE must imply the index's predicate, or the planner falls back to the (state,
    not_before) index over every finished row, trimmed ones included), and updated by
    primary key (not a hash join over the whole table)."""
    # The shape of a running bot: a long trimmed history, a few finished rows untrimmed.
    rows = [{"dedup_key": f"old{n}", "method": "notice", "target": "UANA", "payload": {}, "state": OutboxState.SENT,
             "not_before": TRIM_NOW - timedelta(days=8, minutes=n), "created_at": TRIM_NOW, "attempts": 1,
             "outcome_unknown": False, "trimmed_at": TRIM_NOW} for n in range(2000)]
    session.execute(insert(OutboxMessage), rows)
    for number in range(10):
        _row(session, f"plan{number}", state=OutboxState.SENT, age=timedelta(days=6 + number))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE outbox_message"))  # autovacuum's work; SQLite runs without statistics
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        captured.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        due_trims(session, now=TRIM_NOW)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(captured) == 2  # the due rows' ids, then the UPDATE of those ids
    plan = _plan(session, *captured[0])
    assert "ix_outbox_message_untrimmed" in plan, plan
    update_plan = _plan(session, *captured[1])
    assert "pk_outbox_message" in update_plan or "PRIMARY KEY" in update_plan, update_plan
