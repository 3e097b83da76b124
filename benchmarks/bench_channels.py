"""Opening pair channels against Slack's tier 2 (issue 13): 20 conversations.create a minute.

`--pairs` published pairs without a channel (bench_tick's bulk seed, channels cleared); the
`open-pair-channels` job (bot/pairs/channels.py, `PAIRS_PER_TICK` pairs a tick) runs once a
minute through the production adapter (SlackChannels behind `PacedChannels`) against the
sandbox enforcing Slack's limits, answering in `--latency` seconds. Waiting between ticks is
skipped on a warped clock that the sandbox's rate limiter and the pacer share, so an hour of
ticks takes a minute; every call and every database write is still real.

The bound: Slack lets 20 creates through in any minute, bursts allowed, so `n` channels need
at least `(ceil(n / 20) - 1) x 60` s (the last minute's burst at its start). Measured: from the
first tick's start to the end of the tick that opened the last channel.

    python -m benchmarks.bench_channels                      # 1,000 pairs, 0 ms and 150 ms
    python -m benchmarks.bench_channels --per-tick 8         # as before issue 13
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from benchmarks.bench_tick import _seed
from benchmarks.scratch import scratch_database
from bot.pairs.channels import PAIRS_PER_TICK, open_pair_channels
from bot.sandbox import SlackSandbox
from bot.slack.channels import SlackChannels, paced_channels
from bot.slack.sender import make_web_client
from storage.db import make_session_factory, short_transactions, unit_of_work
from storage.models import Pair

CREATES_PER_MINUTE = 20
TICK_SECONDS = 60.0


class WarpedClock:
    """Real time, plus whatever waiting was skipped."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def now(self) -> float:
        return time.monotonic() + self.skipped

    def skip(self, seconds: float) -> None:
        self.skipped += max(0.0, seconds)


def run(*, pairs: int, per_tick: int, latency: float, url: str | None) -> str:
    clock = WarpedClock()
    with scratch_database(url, schema="bench_channels") as engine, SlackSandbox(
        enforce_rate_limits=True, latency_seconds=latency, clock=clock.now
    ) as sandbox:
        _seed(engine, pairs=pairs, rounds=max(1, pairs // 20))
        with engine.begin() as connection:
            connection.execute(text("UPDATE pair SET slack_channel_id = NULL, channel_opened_at = NULL"))
            # Distinct first names, so each pair's channel name is its own (as in a real round).
            connection.execute(text("UPDATE participant SET name = 'Alex' || id || ' Smith'"))
            user_ids = [row[0] for row in connection.execute(text("SELECT slack_user_id FROM participant"))]
        for user_id in user_ids:
            sandbox.add_user(user_id=user_id, name=user_id.lower())
        session_factory = make_session_factory(engine)
        client = make_web_client(token=sandbox.bot_token, base_url=sandbox.base_url)
        channels = paced_channels(SlackChannels(client), monotonic=clock.now, sleep=clock.skip)
        now = datetime(2027, 2, 1, 9, tzinfo=UTC)
        started = clock.now()
        ticks, longest = 0, 0.0
        while True:
            tick_started = clock.now()
            report = open_pair_channels(short_transactions(session_factory), channels=channels, now=now,
                                        limit=per_tick)
            if ticks < 2 and not report.opened:
                print("first tick opened nothing:", report)
            ticks += 1
            longest = max(longest, clock.now() - tick_started)
            with unit_of_work(session_factory) as session:
                left = session.scalar(select(func.count()).select_from(Pair).where(Pair.channel_opened_at.is_(None)))
            if not left:
                break
            if ticks > 10 * pairs:
                raise RuntimeError("channels are not opening")
            clock.skip(tick_started + TICK_SECONDS - clock.now())  # the scheduler's next tick
        measured = clock.now() - started
        limit_429s = sum(1 for call in sandbox.calls if call.http_status == 429)
        creates = len(sandbox.calls_to("conversations.create"))
    bound = (-(-pairs // CREATES_PER_MINUTE) - 1) * TICK_SECONDS
    return (f"{pairs} pair channels, {per_tick} a tick, latency {latency * 1000:3.0f} ms: measured {measured:7.1f} s "
            f"({measured / 60:5.1f} min, {ticks} ticks, longest tick {longest:4.1f} s), Slack's bound {bound:7.1f} s, "
            f"ratio {measured / bound:4.2f}x  (creates {creates}, 429s {limit_429s})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--per-tick", type=int, default=PAIRS_PER_TICK)
    parser.add_argument("--latency", type=float, action="append", help="default 0 and 0.15")
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    args = parser.parse_args(argv)
    for latency in args.latency or [0.0, 0.15]:
        print(run(pairs=args.pairs, per_tick=args.per_tick, latency=latency, url=args.database_url), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
