"""The data-protection tick jobs on a big outbox: what the `trim-outbox` job costs while it
catches up with months of untrimmed messages, and what the idle `trim-outbox` and `retention`
jobs cost once everything old is trimmed. Prints figures; asserts nothing.

    python -m benchmarks.bench_retention [--rows 200000] [--database-url URL]

The outbox holds `--rows` sent notices, one every 26 seconds back from the instant (about
two months at 200,000), none trimmed yet (a first install of the trim, or a worker stopped
for weeks). Ticks a minute apart from 11:00 UTC trim at most TRIM_BATCH rows each until
one trims fewer (caught up); on PostgreSQL a VACUUM ANALYZE then does what autovacuum
would. The job runs at 12:01 (trimming what crossed the week meanwhile), at 12:02 (the two
rows of that minute) and again at 12:02, idle: that run is the figure, with its
statements, time and the database's plan of its SELECT, which should read `ix_outbox_message_untrimmed` (the
partial index of finished rows not yet trimmed) for the due rows only; the 12:01 run's
UPDATE should find its rows by primary key.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, event, insert, text

from benchmarks.scratch import scratch_database
from bot.privacy.retention import TRIM_BATCH, due_retention, due_trims
from storage.db import make_session_factory, unit_of_work
from storage.models import OutboxMessage, OutboxState

NOW = datetime(2027, 9, 1, 12, 1, tzinfo=timezone.utc)
SPACING = timedelta(seconds=26)
MINUTE = timedelta(minutes=1)


def _seed(engine: Engine, rows: int) -> None:
    payload = {"channel": "U1", "language": "en", "kind": "WelcomeFacts", "facts": {"name": "Ana Berg"}}
    with engine.begin() as connection:
        for start in range(0, rows, 10_000):
            connection.execute(insert(OutboxMessage), [
                {"dedup_key": f"k{n}", "method": "notice", "target": "U1", "payload": payload,
                 "not_before": NOW - n * SPACING, "state": OutboxState.SENT, "attempts": 1, "created_at": NOW,
                 "outcome_unknown": False}
                for n in range(start, min(rows, start + 10_000))
            ])
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE outbox_message"))


def _counted(engine: Engine, job: Any) -> tuple[int, list[tuple[str, Any]], float]:
    """What `job` returned, the statements it ran (with their parameters) and its time."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.split(None, 1)[0].upper() in ("SELECT", "UPDATE", "INSERT", "DELETE"):
            statements.append((statement, parameters))

    factory = make_session_factory(engine)
    event.listen(engine, "before_cursor_execute", record)
    try:
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            done = job(session)
        seconds = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return done, statements, seconds


def _plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """The plan of the statement as the driver ran it (PostgreSQL: executed, then rolled back)."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
        connection.rollback()
    return [row[-1] if engine.dialect.name == "sqlite" else row[0] for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with scratch_database(args.database_url, schema="bench_retention") as engine:
        _seed(engine, args.rows)
        caught_up, ticks, slowest = 0, 0, 0.0
        while True:
            at = NOW.replace(hour=11, minute=ticks)
            done, _, seconds_taken = _counted(engine, lambda s, at=at: due_trims(s, now=at))
            caught_up, ticks, slowest = caught_up + done, ticks + 1, max(slowest, seconds_taken)
            if done < TRIM_BATCH or ticks == 60:
                break
        if engine.dialect.name == "postgresql":
            # What autovacuum does after so many rows changed (by default after 10-20 % of the
            # table): statistics (with the seed's the planner believes every row untrimmed)
            # and the trimmed rows' dead entries out of the partial index.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE outbox_message"))
        first, first_statements, first_seconds = _counted(engine, lambda s: due_trims(s, now=NOW))
        second, second_statements, second_seconds = _counted(engine, lambda s: due_trims(s, now=NOW + MINUTE))
        idle, statements, seconds = _counted(engine, lambda s: due_trims(s, now=NOW + MINUTE))
        rounds, retention_statements, retention_seconds = _counted(
            engine, lambda s: len(due_retention(s, now=NOW).rounds))
        print(f"{engine.dialect.name}: {args.rows:,} sent rows; catching up trimmed {caught_up:,} in {ticks} ticks "
              f"(the slowest {slowest:.2f} s)")
        print(f"12:01 trim-outbox: {len(first_statements)} statement(s), {first} rows, {first_seconds * 1000:.1f} ms")
        print(f"12:02 trim-outbox: {len(second_statements)} statement(s), {second} rows, "
              f"{second_seconds * 1000:.1f} ms")
        print(f"idle trim-outbox: {len(statements)} statement(s), {idle} rows, {seconds * 1000:.1f} ms")
        print(f"idle retention: {len(retention_statements)} statement(s), {rounds} rounds, "
              f"{retention_seconds * 1000:.1f} ms")
        print("plan of the idle tick's SELECT:")
        for line in _plan(engine, *statements[0]):
            print("  " + line)
        print("plan of the 12:01 tick's UPDATE (by primary key):")
        for line in _plan(engine, *first_statements[-1]):
            print("  " + line)


if __name__ == "__main__":
    main()
