"""SIGKILL the delivering worker at random points and count what Slack received.

Each trial queues `--messages` chat.postMessage rows to channels and DMs, starts the
deliverer in a child process (`python -m tests.support.crash_worker`) against the sandbox in
this process, kills it with SIGKILL `--kills` times (after a random number of its posts,
then a random pause of up to one and a half calls' latency, so kills land before, during
and after calls) and lets the next worker take the claims over (`release_in_flight_claims`)
until every row is sent. Copies are counted per outbox key in the sandbox:

    lost        keys with no copy in their conversation
    duplicates  keys with more than one copy

    python -m benchmarks.bench_crash                                  # 1,000 messages x 20 trials
    python -m benchmarks.bench_crash --messages 100 --trials 3        # the CI size
    python -m benchmarks.bench_crash --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h1
"""

from __future__ import annotations

import argparse
import random
import time
from urllib.parse import quote

from sqlalchemy import func, select

from benchmarks.scratch import scratch_database
from bot.clock import SystemClock
from bot.sandbox import SlackSandbox
from storage.db import make_session_factory, normalise_database_url, unit_of_work
from storage.models import OutboxMessage, OutboxState
from tests.support.delivery import run_crash_trial, seed_world, tally

SCHEMA = "bench_crash"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs per trial")
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--dms", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds each sandbox answer takes")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    totals = {"lost": 0, "duplicates": 0, "kills": 0, "lookups": 0, "found": 0}
    started = time.perf_counter()
    with scratch_database(args.database_url, schema=SCHEMA) as engine, SlackSandbox(
        latency_seconds=args.latency
    ) as sandbox:
        url = engine.url.render_as_string(hide_password=False)
        if not normalise_database_url(url).startswith("sqlite"):
            # The child process must see the scratch schema too.
            url += ("&" if "?" in url else "?") + "options=" + quote(f"-csearch_path={SCHEMA}")
        session_factory = make_session_factory(engine)
        print(f"{args.trials} trials x {args.messages} messages to {args.channels} channels and {args.dms} DMs, "
              f"{args.kills} SIGKILLs each, sandbox latency {args.latency * 1000:.0f} ms, "
              f"{engine.dialect.name}")
        for trial in range(args.trials):
            posts_before = len(sandbox.calls_to("chat.postMessage"))
            lookups_before = len(sandbox.calls_to("conversations.history"))
            world = seed_world(sandbox, session_factory, messages=args.messages, channels=args.channels,
                               dms=args.dms, now=SystemClock().now(), prefix=f"t{trial}")
            outcome = run_crash_trial(sandbox, database_url=url, messages=args.messages, kills=args.kills, rng=rng)
            result = tally(sandbox, world)
            posts = len(sandbox.calls_to("chat.postMessage")) - posts_before
            lookups = len(sandbox.calls_to("conversations.history")) - lookups_before
            totals["lost"] += result.lost
            totals["duplicates"] += result.duplicates
            totals["kills"] += outcome.kills
            totals["lookups"] += lookups
            totals["found"] += outcome.found
            print(f"trial {trial + 1:2d}: kills {outcome.kills}  lost {result.lost}  duplicates {result.duplicates}"
                  f"  posts {posts}  found already posted {outcome.found}  history reads {lookups}")
        with unit_of_work(session_factory) as session:
            unsent = session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != OutboxState.SENT)
            )
    print(f"total: {args.trials * args.messages} messages, {totals['kills']} SIGKILLs: "
          f"lost {totals['lost']}, sent twice {totals['duplicates']}, rows not sent {unsent}; "
          f"{totals['found']} posted by a killed worker were found by their key and not sent again; "
          f"history reads {totals['lookups']} "
          f"({time.perf_counter() - started:.0f} s)")
    return 1 if totals["lost"] or totals["duplicates"] or unsent else 0


if __name__ == "__main__":
    raise SystemExit(main())
