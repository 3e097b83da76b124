"""How long the scheduler is without a worker when the one holding the lease is killed.

Starts two real `mentorbot worker` processes on a scratch database, waits until the first
holds the lease and the second is waiting, SIGKILLs the first and times how long until the
second logs that it took the lease. Repeats `--trials` times. Prints figures; asserts nothing.

    python -m benchmarks.bench_takeover [--trials 5] [--seed 12] [--database-url URL]

PostgreSQL: the advisory lock is released when the killed process's connection closes, so
the takeover is bounded by the waiting worker's retry (3 s). SQLite: the lease row must
expire first (30 s after its last renewal, renewed every 10 s), so 20-33 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from benchmarks.scratch import scratch_database
from bot.sandbox.server import SlackSandbox
from tests.support.workers import TOOK, WAITING, WorkerProcess


def _url(engine_url: str, *, schema: str | None) -> str:
    if schema is None:
        return engine_url
    separator = "&" if "?" in engine_url else "?"
    return f"{engine_url}{separator}options=-csearch_path%3D{schema}"


def one_trial(database_url: str, sandbox_url: str, rng: random.Random) -> float:
    first = WorkerProcess(database_url=database_url, slack_api_base_url=sandbox_url)
    second: WorkerProcess | None = None
    try:
        first.wait_for(TOOK, timeout=60)
        second = WorkerProcess(database_url=database_url, slack_api_base_url=sandbox_url)
        second.wait_for(WAITING, timeout=60)
        # Killed at a random moment of the waiting worker's retry cycle (and of the holder's
        # renewal cycle), so the figures spread over what a real crash meets.
        time.sleep(rng.uniform(1.0, 4.0))
        killed_at = first.kill()
        took_at, _ = second.wait_for(TOOK, timeout=120)
        return took_at - killed_at
    finally:
        first.stop()
        if second is not None:
            second.stop()  # SIGTERM: gives the lease up for the next trial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    schema = "bench_takeover"
    with scratch_database(args.database_url, schema=schema) as engine, SlackSandbox() as sandbox:
        backend = engine.dialect.name
        url = _url(engine.url.render_as_string(hide_password=False), schema=schema if backend == "postgresql" else None)
        engine.dispose()
        gaps = []
        rng = random.Random(args.seed)
        for trial in range(1, args.trials + 1):
            gap = one_trial(url, sandbox.base_url, rng)
            gaps.append(gap)
            print(f"{backend} trial {trial}: SIGKILL -> second worker holds the lease in {gap:.2f} s", flush=True)
    print(f"{backend}: takeover after SIGKILL over {len(gaps)} trials: median {statistics.median(gaps):.2f} s, "
          f"min {min(gaps):.2f} s, max {max(gaps):.2f} s")


if __name__ == "__main__":
    main()
