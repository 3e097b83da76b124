"""A delivering worker in a process of its own, for the crash trials (tests.support.delivery).

It does what `mentorbot worker` does for the outbox when it takes the lease over: releases
the claims a killed predecessor left `sending` (`release_in_flight_claims`), then delivers
until nothing is pending, and exits 0. The parent kills it with SIGKILL at random points.

    python -m tests.support.crash_worker --database-url URL --base-url SANDBOX/api/ --token xoxb-…
"""

from __future__ import annotations

import argparse
import logging
from datetime import timedelta

from bot.clock import SystemClock
from scheduling.deliverer import release_in_flight_claims
from storage.db import make_engine, make_session_factory, unit_of_work
from tests.support.delivery import deliver_until_done, make_deliverer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--backoff-base", type=float, default=0.2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="crash-worker %(levelname)s %(name)s: %(message)s")
    logging.getLogger("scheduling.deliverer").setLevel(logging.INFO)  # "already posted" is counted
    engine = make_engine(args.database_url)
    session_factory = make_session_factory(engine)
    with unit_of_work(session_factory) as session:
        release_in_flight_claims(session, now=SystemClock().now())
    deliverer = make_deliverer(
        session_factory, base_url=args.base_url, token=args.token,
        backoff_base=timedelta(seconds=args.backoff_base), backoff_cap=timedelta(seconds=5),
    )
    deliver_until_done(deliverer, session_factory)
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
