"""The fuzz of every input (tests/scenario/test_fuzz_every_input.py) as a benchmark: the same
seeded world and the same generated requests, sent through the server's WSGI application
with Bolt's own 10 ms ack polling (the test shortens it), printing each surface's answer
time p50/p99/max and how many requests failed.

    python -m benchmarks.bench_fuzz [--cases 2000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from hypothesis import HealthCheck, given, settings

from benchmarks.scratch import scratch_database
from bot.clock import FixedClock
from bot.sandbox.harness import SandboxedApp
from tests.support.fuzz import FUZZ_NOW, Fuzzer, Request, Strategies, seed_world, watching_failures

SHARES = {"command": 0.25, "action": 0.30, "view": 0.25, "event": 0.20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (a scratch schema); SQLite by default")
    args = parser.parse_args(argv)
    random.seed(0)
    failed: list[str] = []
    with (scratch_database(args.database_url, schema="bench_fuzz") as engine, watching_failures() as failures,
          SandboxedApp(engine=engine, clock=FixedClock(FUZZ_NOW)) as slack):
        started = time.perf_counter()
        corpus = seed_world(slack)
        print(f"seeded and harvested in {time.perf_counter() - started:.1f} s: "
              f"{len(corpus.elements)} elements, {len(corpus.forms)} modals")
        failures.take()
        strategies = Strategies(slack, corpus)
        fuzzer = Fuzzer(slack, failures)
        started = time.perf_counter()
        for surface, share in SHARES.items():
            strategy = getattr(strategies, f"{surface}s")()

            @settings(max_examples=max(1, round(args.cases * share)), derandomize=True, deadline=None,
                      database=None, phases=[*settings.default.phases][:3],  # no shrinking: a benchmark
                      suppress_health_check=list(HealthCheck))
            @given(request=strategy)
            def run(request: Request) -> None:
                problems = fuzzer.check(request)
                if problems:
                    failed.append(f"{request.described[:200]}: {problems[:1]}")

            run()
        elapsed = time.perf_counter() - started
    print(f"{fuzzer.cases} cases in {elapsed:.1f} s ({fuzzer.cases / elapsed:.0f}/s), "
          f"{fuzzer.reached} reached a listener that called Slack or answered")
    print("answer times (Bolt's own 10 ms ack polling):")
    print(fuzzer.latencies.summary())
    print(f"{len(failed)} failed")
    for line in failed[:20]:
        print("  " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
