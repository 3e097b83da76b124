"""The data-protection tick jobs on a big outbox: what the idle `trim-outbox` and
`retention` jobs cost once everything old is trimmed. Prints figures; asserts nothing.

    python -m benchmarks.bench_retention [--rows 200000] [--database-url URL]

The outbox holds `--rows` sent notices, one every 26 seconds back from the instant (about
two months at 200,000). The daily sweep (from 03:00 UTC, one tick a minute, at most
TRIM_BATCH rows a tick) trims every row older than a week; then the job runs at 12:01
(trimming what crossed the week since 03:00) and again at 12:02, idle: that run is the
figure, with its statements, time and (on PostgreSQL) the plan of the UPDATE, which
should read `ix_outbox_message_due` for one day of rows only.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, event, insert, text

from benchmarks.scratch import scratch_database
from bot.privacy.retention import TRIM_AFTER, TRIM_WINDOW, due_retention, due_trims
from storage.db import make_session_factory, unit_of_work
from storage.models import OutboxMessage, OutboxState

NOW = datetime(2027, 9, 1, 12, 1, tzinfo=timezone.utc)
SPACING = timedelta(seconds=26)


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


def _counted(engine: Engine, job: Any) -> tuple[int, int, float]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    factory = make_session_factory(engine)
    event.listen(engine, "before_cursor_execute", record)
    try:
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            done = job(session)
        seconds = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", record)
    work = [s for s in statements if s.split(None, 1)[0].upper() in ("SELECT", "UPDATE", "INSERT", "DELETE")]
    return done, len(work), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with scratch_database(args.database_url, schema="bench_retention") as engine:
        _seed(engine, args.rows)
        sweep, ticks, slowest = 0, 0, 0.0
        while True:
            at = NOW.replace(hour=3, minute=ticks)
            done, _, seconds_taken = _counted(engine, lambda s, at=at: due_trims(s, now=at))
            sweep, ticks, slowest = sweep + done, ticks + 1, max(slowest, seconds_taken)
            if not done or ticks == 60:
                break
        first, _, _ = _counted(engine, lambda s: due_trims(s, now=NOW))
        idle, statements, seconds = _counted(engine, lambda s: due_trims(s, now=NOW + timedelta(minutes=1)))
        rounds, retention_statements, retention_seconds = _counted(
            engine, lambda s: len(due_retention(s, now=NOW).rounds))
        print(f"{engine.dialect.name}: {args.rows:,} sent rows; the sweep trimmed {sweep:,} in {ticks} ticks "
              f"(the slowest {slowest:.2f} s); 12:01 trimmed {first:,}")
        print(f"idle trim-outbox: {statements} statement(s), {idle} rows, {seconds * 1000:.1f} ms")
        print(f"idle retention: {retention_statements} statement(s), {rounds} rounds, {retention_seconds * 1000:.1f} ms")
        if engine.dialect.name == "postgresql":
            cutoff = NOW + timedelta(minutes=1) - TRIM_AFTER
            with engine.begin() as connection:
                plan = connection.execute(text(
                    "EXPLAIN (ANALYZE, BUFFERS) UPDATE outbox_message SET trimmed_at = :now "
                    "WHERE state IN ('sent', 'cancelled', 'failed') AND not_before < :cutoff "
                    "AND not_before >= :low AND trimmed_at IS NULL"),
                    {"now": NOW, "cutoff": cutoff, "low": cutoff - TRIM_WINDOW}).all()
            for row in plan:
                print("  " + row[0])


if __name__ == "__main__":
    main()
