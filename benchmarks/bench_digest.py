"""The coordinators' weekly digest for many rounds: how long the tick's job takes and how many
SQL statements it runs. Prints figures; asserts nothing.

    python -m benchmarks.bench_digest [--pairs 10000 --rounds 500] [--database-url URL]

The rounds and people are bench_tick's (every round starts Monday 1 February 2027, half the
pairs held a session in the first window, two shared meetings a week ahead); at 10:05 in
Copenhagen on Monday 15 February every round's digest is due (default Monday from 09:00).
The job is measured as the tick runs it (`due_digests`, then the notices expanded to each
round's coordinators and written to the outbox, in one transaction), then again at the same
instant (every digest already queued: nothing to build). Each is run at two sizes, the pairs
asked for and a tenth of them in the same rounds, to show that the number of statements
grows with the rounds, not with the pairs.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from sqlalchemy import Engine, event

from benchmarks.bench_tick import BUSY, _seed
from benchmarks.scratch import scratch_database
from bot.core.notices import queue_notices
from bot.digest.service import due_digests
from storage.db import make_session_factory, unit_of_work


@dataclass(frozen=True)
class Figures:
    seconds: float
    statements: int
    queued: int


def _measure(engine: Engine) -> Figures:
    """One run of the digest job at BUSY: build what is due and queue it, counting statements."""
    factory = make_session_factory(engine)
    statements = [0]

    def count(*_args: object, **_kwargs: object) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    try:
        with unit_of_work(factory) as session:
            notices = due_digests(session, now=BUSY)
            queued = queue_notices(session, notices, now=BUSY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return Figures(seconds=time.perf_counter() - started, statements=statements[0], queued=queued)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    rows = []
    for pairs in (max(1, args.pairs // 10), args.pairs):
        with scratch_database(args.database_url, schema="bench_digest") as engine:
            seeded = _seed(engine, pairs=pairs, rounds=args.rounds, digest_weekday=0)  # due on this Monday
            first = _measure(engine)
            again = _measure(engine)
            dialect = engine.dialect.name
        print(f"{dialect}: {pairs:,} pairs in {args.rounds:,} rounds (seeded in {seeded:.1f} s)")
        for name, figures in (("digests due", first), ("same instant again", again)):
            per_round = figures.statements / args.rounds
            print(f"  {name:<19} {figures.seconds:7.2f} s  {figures.statements:6,} SQL statements "
                  f"({per_round:.1f} per round)  {figures.queued:5,} messages queued")
        rows.append((pairs, first))
    (small_pairs, small), (big_pairs, big) = rows
    print(f"digest statements for {args.rounds:,} rounds: {small.statements:,} at {small_pairs:,} pairs, "
          f"{big.statements:,} at {big_pairs:,} pairs")


if __name__ == "__main__":
    main()
