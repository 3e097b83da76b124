"""Before/after of one change to the tick: the busy tick and the idle tick at 10,000 pairs,
wall and CPU seconds.

Wall time on a shared machine wanders with the load; the CPU seconds of this process are
the figures to compare between two checkouts run back to back. It runs unchanged against
older code (it passes `list_due=False` only where `run_tick` takes it), so copy it into an
export of the older commit:

    git archive COMMIT | tar -x -C /tmp/old && cp benchmarks/bench_tick_compare.py /tmp/old/benchmarks/
    cd /tmp/old && PYTHONPATH=. python -m benchmarks.bench_tick_compare [DATABASE_URL]

On a loaded machine an idle tick's wall time is mostly waiting for a core (0.05 s of CPU took
0.27 s at load 8 on 2 cores): `nice -n -15` before both runs gives the benchmark a fair share.
"""

from __future__ import annotations

import inspect
import sys
import time
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from benchmarks.bench_tick import BUSY, SCHEMA, _deliverer_sent_everything, _seed
from benchmarks.scratch import scratch_database
from scheduling.ticks import run_tick
from storage.db import make_session_factory


def _timed(session_factory: sessionmaker[Session], now: datetime, extra: dict[str, Any]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_tick(session_factory=session_factory, now=now, **extra)
    return time.perf_counter() - wall, time.process_time() - cpu, sum(result.enqueued.values())


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else None
    extra: dict[str, Any] = {"list_due": False} if "list_due" in inspect.signature(run_tick).parameters else {}
    with scratch_database(url, schema=SCHEMA) as engine:
        _seed(engine, pairs=10000, rounds=500)
        session_factory = make_session_factory(engine)
        wall, cpu, enqueued = _timed(session_factory, BUSY, extra)
        print(f"busy: wall {wall:.2f} s cpu {cpu:.2f} s, {enqueued} enqueued, {enqueued / wall:,.0f} msg/s")
        _deliverer_sent_everything(engine)
        idle = [_timed(session_factory, BUSY, extra) for _ in range(3)]
        print("idle: " + ", ".join(f"wall {w:.2f} s cpu {c:.2f} s" for w, c, _ in idle))


if __name__ == "__main__":
    main()
