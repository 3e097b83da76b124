"""Delivery throughput with and without 20 % of Web API calls answered 429, 5xx or lost.

The production deliverer (Slack sender, real pacer) sends `--messages` chat.postMessage rows
to `--channels` channels and `--dms` DMs through the sandbox, which enforces Slack's limits
(chat.postMessage about 1 a second per channel after a burst of 3; tiers per minute), first
with no faults, then with `--rate` of calls answered by a seeded random fault: 429 with
Retry-After, 500, 502 or 503 (`--kinds`; `lost` adds lost answers: applied, then the
connection closed). A post answered 5xx may have been applied, so before it is sent again its
conversation is read (conversations.history, tier 3: the pacer allows 45 a minute). Copies
are counted per outbox key in the sandbox; "limit 429s" are the sandbox's own rate-limit
answers (the pacer kept inside the limits when it is 0), apart from the injected ones.

    python -m benchmarks.bench_faults                                   # 1,000 messages
    python -m benchmarks.bench_faults --latency 0.15                    # Slack ~150 ms away
    python -m benchmarks.bench_faults --kinds 429                       # rate limits only
    python -m benchmarks.bench_faults --messages 200                    # the CI size
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from benchmarks.scratch import scratch_database
from bot.clock import SystemClock
from bot.sandbox import SlackSandbox
from storage.db import make_session_factory
from tests.support.delivery import deliver_until_done, make_deliverer, outbox_states, seed_world, tally


def run(
    *, messages: int, channels: int, dms: int, rate: float, kinds: tuple[str, ...], seed: int, latency: float,
    url: str | None,
) -> str:
    with scratch_database(url, schema="bench_faults") as engine, SlackSandbox(
        enforce_rate_limits=True, latency_seconds=latency
    ) as sandbox:
        session_factory = make_session_factory(engine)
        world = seed_world(sandbox, session_factory, messages=messages, channels=channels, dms=dms,
                           now=SystemClock().now())
        if rate:
            sandbox.inject_faults(rate, seed=seed, kinds=kinds, retry_after=1)
        deliverer = make_deliverer(session_factory, base_url=sandbox.base_url, token=sandbox.bot_token,
                                   backoff_base=timedelta(seconds=1), backoff_cap=timedelta(seconds=30))
        started_wall, started = time.time(), time.perf_counter()
        deliver_until_done(deliverer, session_factory, give_up_after=3600)
        seconds = time.perf_counter() - started
        # When each message reached Slack (its first applied post), from the sandbox's record.
        landed = sorted(c.at - started_wall for c in sandbox.calls_to("chat.postMessage") if c.ok)
        result = tally(sandbox, world)
        faults = sandbox.fault_counts()
        limit_429s = sum(1 for call in sandbox.calls if call.http_status == 429 and call.injected is None)
        calls = len(sandbox.calls)
        reads = len(sandbox.calls_to("conversations.history"))
        states = {state.value: count for state, count in outbox_states(session_factory).items()}
    fault_text = ", ".join(f"{kind} {count}" for kind, count in sorted(faults.items())) or "none"
    p50, p95 = landed[len(landed) // 2], landed[max(0, int(len(landed) * 0.95) - 1)]
    return (f"faults {rate:4.0%}: {messages / seconds:6.1f} msgs/s ({seconds:6.1f} s; half in {p50:.1f} s, "
            f"95 % in {p95:.1f} s)  lost {result.lost}  "
            f"duplicates {result.duplicates}  rows {states}  calls {calls}  history reads {reads}  "
            f"limit 429s {limit_429s}  injected: {fault_text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=80)
    parser.add_argument("--dms", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each sandbox answer takes")
    parser.add_argument("--kinds", default="429,500,502,503",
                        help="comma-separated fault kinds among 429, 500, 502, 503, lost (default: 429 and 5xx)")
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    args = parser.parse_args(argv)
    print(f"{args.messages} messages to {args.channels} channels and {args.dms} DMs, "
          f"sandbox latency {args.latency * 1000:.0f} ms, faults among: {args.kinds}")
    for rate in (0.0, args.rate):
        kinds = tuple(kind.strip() for kind in args.kinds.split(",") if kind.strip())
        print(run(messages=args.messages, channels=args.channels, dms=args.dms, rate=rate, kinds=kinds,
                  seed=args.seed, latency=args.latency, url=args.database_url), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
