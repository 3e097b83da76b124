"""The schema's own guarantees: the baseline migration, and the invariants the database refuses to break.

Every test here runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL: the two spell a
partial index and a CHECK differently, and both must refuse the same rows.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, Engine, Enum, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import make_engine, unit_of_work
from storage.migrate import alembic_config, current_revision, upgrade_to_head
from storage.models import Base, OutboxState, Pair, PairStatus, Participant, Role
from tests.factories import make_participant, make_round
from tests.match_factories import make_pair

SCRATCH_SCHEMA = "migration_roundtrip"


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it: a new SQLite file, or a schema of its own on PostgreSQL
    (the shared test schema stays migrated for the other tests)."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not url:
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCRATCH_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCRATCH_SCHEMA}"))
    engine = make_engine(url, connect_args={"options": f"-c search_path={SCRATCH_SCHEMA}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCRATCH_SCHEMA} CASCADE"))
        admin.dispose()


# --- the baseline -------------------------------------------------------------------------------


def test_the_migrations_go_up_down_and_up_again(empty_engine: Engine) -> None:
    config = alembic_config(empty_engine)
    upgrade_to_head(empty_engine)
    assert current_revision(empty_engine) == "0007"
    assert set(inspect(empty_engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}

    command.downgrade(config, "base")
    assert current_revision(empty_engine) is None
    inspector = inspect(empty_engine)
    assert inspector.get_table_names() == ["alembic_version"], "downgrade leaves nothing of the schema"
    if empty_engine.dialect.name == "postgresql":
        assert inspector.get_sequence_names() == []

    upgrade_to_head(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}


def test_the_migrated_schema_has_every_check_and_partial_index_the_models_declare(engine: Engine) -> None:
    """compare_metadata checks columns, keys and indexes but neither CHECKs nor an index's WHERE."""
    inspector = inspect(engine)
    where_option = f"{engine.dialect.name}_where"
    for table in Base.metadata.sorted_tables:
        declared = {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
        migrated = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert migrated == declared, table.name
        declared_partial = {str(index.name) for index in table.indexes
                            if index.dialect_options[engine.dialect.name].get("where") is not None}
        migrated_partial = {index["name"] for index in inspector.get_indexes(table.name)
                            if index.get("dialect_options", {}).get(where_option) is not None}
        assert migrated_partial == declared_partial, table.name
    assert "ck_pair_pairstatus" in {c["name"] for c in inspector.get_check_constraints("pair")}
    assert {"uq_pair_one_live_pair_per_mentee"} == {
        index["name"] for index in inspector.get_indexes("pair") if index["unique"]
        and index.get("dialect_options", {}).get(where_option) is not None
    }


def test_every_enum_check_in_the_database_lists_exactly_the_models_values(engine: Engine) -> None:
    """A member added to an enum in the models needs the migration's CHECK to know it too."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        checks = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
        for column in table.columns:
            if not isinstance(column.type, Enum):
                continue
            name = f"ck_{table.name}_{column.type.name}"
            assert set(re.findall(r"'([^']*)'", checks[name])) == set(column.type.enums), name


# --- what the database refuses ------------------------------------------------------------------


def _seed(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """A round with two mentors, two mentees and a coordinator, committed."""
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        people = {
            key: make_participant(session, round_=round_, role=role, email=f"{key}@x.org", name=key.title()).id
            for key, role in (("lars", Role.MENTOR), ("kim", Role.MENTOR), ("ana", Role.MENTEE),
                              ("bo", Role.MENTEE), ("mette", Role.COORDINATOR))
        }
        return {"round": round_.id, **people}


def _pair(session: Session, ids: dict[str, int], mentor: str, mentee: str, *, published: bool = True,
          status: PairStatus = PairStatus.ACTIVE, channel: str | None = None) -> Pair:
    pair = make_pair(session, mentor=session.get_one(Participant, ids[mentor]),
                     mentee=session.get_one(Participant, ids[mentee]), published=published, status=status)
    if channel is not None:
        pair.slack_channel_id = channel
        session.flush()
    return pair


def _refused(session_factory: sessionmaker[Session], write: Callable[[Session], object]) -> None:
    with session_factory() as session:
        with pytest.raises(IntegrityError):
            write(session)
            session.flush()
        session.rollback()


def _accepted(session_factory: sessionmaker[Session], write: Callable[[Session], object]) -> None:
    with unit_of_work(session_factory) as session:
        write(session)


def test_a_mentee_has_at_most_one_live_pair_in_a_round(session_factory: sessionmaker[Session]) -> None:
    ids = _seed(session_factory)
    _accepted(session_factory, lambda s: _pair(s, ids, "lars", "ana"))
    _refused(session_factory, lambda s: _pair(s, ids, "kim", "ana"))
    _refused(session_factory, lambda s: _pair(s, ids, "kim", "ana", status=PairStatus.PAUSED))
    # A mentor may have several mentees; a draft is not live (the workbook's Pairs sheet
    # and publishing replace drafts); an ended pair frees the mentee for a new one.
    _accepted(session_factory, lambda s: _pair(s, ids, "lars", "bo"))
    _accepted(session_factory, lambda s: _pair(s, ids, "kim", "ana", published=False))
    with unit_of_work(session_factory) as session:
        session.execute(text("UPDATE pair SET status = 'ended' WHERE mentor_id = :m AND mentee_id = :e"),
                        {"m": ids["lars"], "e": ids["ana"]})
    with unit_of_work(session_factory) as session:  # the draft is published once the old pair ended
        session.execute(text("UPDATE pair SET published_at = created_at WHERE mentor_id = :m AND mentee_id = :e"),
                        {"m": ids["kim"], "e": ids["ana"]})
    with session_factory() as session, pytest.raises(IntegrityError):  # ...and the old one cannot come back beside it
        session.execute(text("UPDATE pair SET status = 'paused' WHERE mentor_id = :m AND mentee_id = :e"),
                        {"m": ids["lars"], "e": ids["ana"]})


def test_a_slack_channel_belongs_to_one_pair(session_factory: sessionmaker[Session]) -> None:
    ids = _seed(session_factory)
    _accepted(session_factory, lambda s: _pair(s, ids, "lars", "ana", channel="CPAIR1"))
    _accepted(session_factory, lambda s: _pair(s, ids, "kim", "ana", published=False))  # no channel yet: no clash
    _accepted(session_factory, lambda s: _pair(s, ids, "kim", "bo"))
    _refused(session_factory, lambda s: _pair(s, ids, "lars", "bo", published=False, channel="CPAIR1"))


def test_checks_refuse_unknown_states_and_impossible_numbers(session_factory: sessionmaker[Session]) -> None:
    ids = _seed(session_factory)
    _accepted(session_factory, lambda s: _pair(s, ids, "lars", "ana"))
    refusals = {
        "an unknown pair status": "UPDATE pair SET status = 'draft'",
        "an unknown role": "UPDATE participant SET role = 'admin'",
        "a pair of one person": "UPDATE pair SET mentee_id = mentor_id",
        "a round ending before it starts": "UPDATE round SET ends_on = '2027-01-01'",
        "no cadence": "UPDATE round SET session_every_days = 0",
        "negative capacity": "UPDATE participant SET max_mentees = -1",
        "an outbox state no code knows": "UPDATE outbox_message SET state = 'lost'",
    }
    with unit_of_work(session_factory) as session:
        session.execute(text(
            "INSERT INTO outbox_message (dedup_key, method, target, payload, not_before, state, attempts, created_at) "
            "VALUES ('k', 'chat.postMessage', 'C1', '{}', :at, 'pending', 0, :at)"), {"at": "2027-02-01 09:00:00"})
    for what, statement in refusals.items():
        with session_factory() as session:
            with pytest.raises(IntegrityError):
                session.execute(text(statement))
                pytest.fail(f"the database accepted {what}")
            session.rollback()


def test_a_cancelled_outbox_row_has_a_reason_and_only_a_cancelled_one_does(
    session_factory: sessionmaker[Session],
) -> None:
    insert = text(
        "INSERT INTO outbox_message (dedup_key, method, target, payload, not_before, state, attempts, created_at, "
        "cancel_reason) VALUES (:key, 'chat.postMessage', 'C1', '{}', :at, :state, 0, :at, :reason)")
    at = "2027-02-01 09:00:00"
    with unit_of_work(session_factory) as session:
        session.execute(insert, {"key": "a", "at": at, "state": OutboxState.CANCELLED.value, "reason": "opted out"})
    for state, reason in ((OutboxState.CANCELLED, None), (OutboxState.FAILED, "opted out")):
        with session_factory() as session:
            with pytest.raises(IntegrityError):
                session.execute(insert, {"key": "b", "at": at, "state": state.value, "reason": reason})
            session.rollback()


def test_upgrading_a_database_with_data_keeps_every_row_and_the_triggers(empty_engine: Engine) -> None:
    """SQLite rebuilds a table to change its constraints (0004 and 0007 rebuild `programme`),
    and with foreign keys enforced the DROP of the old table deleted every round through
    ON DELETE CASCADE; the environment turns enforcement off around migrations, as SQLite's
    own procedure says, and checks the keys at the end."""
    config = alembic_config(empty_engine)
    command.upgrade(config, "0003")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO programme (id, name, default_language, timezone, coordinators_join_pair_channels, "
            "min_answers_shown, created_at) VALUES (1, 'P', 'en', 'Europe/Copenhagen', false, 5, '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO round (id, programme_id, name, starts_on, ends_on, session_every_days, pulse_every_days, "
            "digest_weekday, digest_hour, created_at) "
            "VALUES (1, 1, 'R', '2026-01-01', '2026-05-01', 14, 21, 0, 9, '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO participant (id, round_id, role, email, name, language, languages, interests, max_mentees, "
            "timezone_confirmed, slack_lookup_attempts, onboarding_reminders_sent, created_at, updated_at) "
            "VALUES (1, 1, 'mentor', 'a@b.dk', 'A', 'en', '[]', '[]', 1, false, 0, 0, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    upgrade_to_head(empty_engine)
    with empty_engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM round")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM participant")).scalar() == 1
        if empty_engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1, "enforcement is back on"
            triggers = set(connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'programme'")).scalars())
        else:
            triggers = set(connection.execute(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'programme'::regclass AND NOT tgisinternal")).scalars())
        assert triggers == {"nudge_change_programme_upd", "nudge_change_programme_del"}
        # Names are per workspace now: the same name in two workspaces, never twice in one.
        connection.execute(text(
            "INSERT INTO programme (id, name, team_id, default_language, timezone, coordinators_join_pair_channels, "
            "min_answers_shown, retention_months, created_at) "
            "VALUES (2, 'P', 'T0OTHER', 'en', 'Europe/Copenhagen', false, 5, 12, '2026-01-01 00:00:00')"))
    with pytest.raises(IntegrityError), empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO programme (id, name, team_id, default_language, timezone, coordinators_join_pair_channels, "
            "min_answers_shown, retention_months, created_at) "
            "VALUES (3, 'P', 'T0OTHER', 'en', 'Europe/Copenhagen', false, 5, 12, '2026-01-01 00:00:00')"))
