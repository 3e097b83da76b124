"""Walking-skeleton figures: how fast a signed slash command is acknowledged, and how fast
the outbox drains into the (fake) Web API. Prints figures; asserts nothing.

    python -m benchmarks.bench_skeleton [--requests 200] [--rows 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime, timezone

from sqlalchemy import event

from bot.clock import FixedClock
from bot.core.notices import Conversation, Notice, queue_notices
from bot.core.workspace import UNASSIGNED
from bot.nudges.notices import CheckinFacts
from bot.sandbox.harness import SandboxedApp
from storage.db import make_engine, unit_of_work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{scratch.name}/bench.db"
    engine = make_engine(url)
    clock = FixedClock(datetime(2027, 2, 2, 9, 0, tzinfo=timezone.utc))
    with SandboxedApp(engine=engine, clock=clock) as app:
        from storage.migrate import upgrade_to_head

        upgrade_to_head(engine)
        app.sandbox.add_user(user_id="UANA", name="ana", email="ana@example.org")
        latencies = []
        for _ in range(args.requests):
            response = app.driver.slash_command(user_id="UANA", command="/mentoring", text="help")
            latencies.append(response.elapsed * 1000)
        app.settle()
        latencies.sort()
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"database: {engine.dialect.name}")
        print(f"/mentoring help acknowledged over HTTP: n={len(latencies)} median={statistics.median(latencies):.1f} ms "
              f"p95={p95:.1f} ms max={latencies[-1]:.1f} ms (Slack allows 3000 ms)")

        channel = app.sandbox.add_channel(name="bench", members=("U0BOT",))["id"]
        started = time.perf_counter()
        with unit_of_work(app.runtime.session_factory) as session:
            # Real notices (a check-in, as a pair channel gets it): the deliverer draws each
            # one in Block Kit just before sending, so that cost is in the delivery figure.
            for index in range(args.rows):
                facts = CheckinFacts(pair_id=index + 1, window_start=date(2027, 2, 15), every_days=14,
                                     mentor_name="Lars Østergaard", mentee_name="Ana Souza",
                                     mentor_user_id="ULARS", mentee_user_id="UANA")
                # Token mode: the sandbox's one workspace sends it.
                queue_notices(session, [Notice(dedup_key=f"bench:{index}", to=Conversation(channel, team_id=UNASSIGNED),
                                               facts=facts, not_before=clock.now(), language="da" if index % 2 else "en")],
                              now=clock.now())
        enqueue_seconds = time.perf_counter() - started
        statements = 0

        def count(*_args: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        report = app.deliver()
        while report.handled:
            report = app.deliver()
        deliver_seconds = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        sent = len(app.sandbox.messages_in(channel))
        print(f"outbox enqueue (check-in notices): {args.rows} rows in {enqueue_seconds:.2f} s "
              f"({args.rows / enqueue_seconds:.0f} rows/s)")
        print(f"outbox delivery without pacing, each drawn as Block Kit: {sent} sent in {deliver_seconds:.2f} s "
              f"({sent / deliver_seconds:.0f} calls/s), {statements / max(sent, 1):.1f} SQL statements per message")
        print(f"with Slack's pacing the same {sent} posts to one channel take about {max(0, sent - 3)} s "
              "(1 per second after a burst of 3); spread over channels they go as fast as Slack answers")
    engine.dispose()
    scratch.cleanup()


if __name__ == "__main__":
    main()
