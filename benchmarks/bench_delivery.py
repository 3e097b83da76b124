"""Delivery against the bound Slack's limits allow (issue 13).

The production deliverer (Slack sender, real pacer) runs as `mentorbot worker` runs it: a
delivery run every 5 s (`DELIVER_EVERY_SECONDS`), each keeping going while anything is due
within seconds for up to `DELIVER_RUN_SECONDS`, against the sandbox enforcing Slack's limits
(chat.postMessage: a burst of 3 per channel, then one a second). Two workloads:

- spread: 5,000 messages to 500 channels, the channels taking turns (10 each);
- in a row: 10 messages in a row to each of 200 channels (2,000).

The bound: Slack lets a channel take 3 at once and then one a second, so `n` messages to one
channel need at least `n - 3` seconds; every channel can go at the same time, so the bound is
`max over channels (n - 3)` s. The pacer keeps a tenth of headroom (1.1 s a post per channel,
scheduling/pacing.py), so the deliverer's own floor ("paced") is `(n - 3) x 1.1` s: 1.1x of
Slack's bound before it has spent any time of its own. Calls waiting `latency` each, at most
`in flight` at once, cannot beat `messages x latency / in flight` either ("connections").
The ratio is measured / Slack's bound (the issue's target is 1.1x). "measured" runs from the
first run's start to the last post Slack accepted (the sandbox's record). The sandbox runs in a
child process (bot/sandbox/process.py) as Slack runs outside the bot in production, and every
count (last accepted post, lost, duplicates, 429s) is read back from it; "CPU" is this
process's CPU time over the same span (the deliverer and its HTTP client alone), "Slack CPU"
the child's. `--sandbox-in-process` serves the sandbox from this interpreter instead (as before),
where the two share one GIL and "CPU" includes Slack's side.

    python -m benchmarks.bench_delivery                    # both workloads, 0 ms and 150 ms
    python -m benchmarks.bench_delivery --latency 0        # Slack answering at once only
    python -m benchmarks.bench_delivery --latency 0 --floor   # plus the single sender's floor
    python -m benchmarks.bench_delivery --latency 0 --before  # the runs as before issue 13
    python -m benchmarks.bench_delivery --in-flight 1         # one call at a time
    python -m benchmarks.bench_delivery --database-url postgresql+psycopg://...
    python -m benchmarks.bench_delivery --sandbox-in-process   # Slack's side in this interpreter
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from benchmarks.scratch import scratch_database
from bot.clock import SystemClock
from bot.sandbox import SlackSandbox
from bot.sandbox.process import SandboxProcess
from scheduling.deliverer import SEND_CONCURRENCY
from scheduling.pacing import PER_CHANNEL_INTERVAL
from scheduling.scheduler import DELIVER_EVERY_SECONDS, DELIVER_RUN_SECONDS
from storage.db import make_session_factory
from tests.support.delivery import UNFINISHED, make_deliverer, outbox_states, seed_world, tally

BURST = 3  # Slack's chat.postMessage burst per channel (bot/sandbox/_ratelimit.py)
PER_SECOND = 1.0


@dataclass(frozen=True, kw_only=True)
class Workload:
    name: str
    messages: int
    channels: int
    in_a_row: int


WORKLOADS = (
    Workload(name="spread: 5,000 to 500 channels", messages=5000, channels=500, in_a_row=1),
    Workload(name="in a row: 10 to each of 200", messages=2000, channels=200, in_a_row=10),
)


def limits_bound(workload: Workload) -> float:
    per_channel = -(-workload.messages // workload.channels)
    return max(0.0, (per_channel - BURST) / PER_SECOND)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sandbox(*, latency: float, in_process: bool) -> AbstractContextManager[SlackSandbox]:
    """Slack's side: a child process by default (the bot alone in this interpreter), or this one.
    The child's proxy forwards every public method and attribute, so it is used as the sandbox."""
    if in_process:
        return SlackSandbox(enforce_rate_limits=True, latency_seconds=latency)
    return cast(AbstractContextManager[SlackSandbox],
                SandboxProcess(enforce_rate_limits=True, latency_seconds=latency))


def run(workload: Workload, *, latency: float, url: str | None, before: bool = False,
        in_flight: int = SEND_CONCURRENCY, sandbox_in_process: bool = False) -> str:
    with scratch_database(url, schema="bench_delivery") as engine, _sandbox(
        latency=latency, in_process=sandbox_in_process
    ) as sandbox:
        slack_pid = os.getpid() if sandbox_in_process else cast(SandboxProcess, sandbox).pid
        session_factory = make_session_factory(engine)
        world = seed_world(sandbox, session_factory, messages=workload.messages, channels=workload.channels,
                           now=SystemClock().now(), in_a_row=workload.in_a_row)
        deliverer = make_deliverer(session_factory, base_url=sandbox.base_url, token=sandbox.bot_token,
                                   max_in_flight=in_flight)
        started_wall, started, started_cpu = time.time(), time.monotonic(), time.process_time()
        started_slack_cpu = _cpu_seconds(slack_pid)
        runs = 0
        while True:
            run_started = time.monotonic()
            if before:  # the run as it was: 20 batches of 50 at most, then idle until the next
                deliverer.deliver_due()
            else:
                deliverer.deliver_while_due(budget_seconds=DELIVER_RUN_SECONDS)
            runs += 1
            states = outbox_states(session_factory)
            if not any(states.get(state) for state in UNFINISHED):
                break
            if time.monotonic() - started > 3600:
                raise TimeoutError("still unfinished after an hour")
            # The scheduler starts the next run DELIVER_EVERY_SECONDS after this one started.
            time.sleep(max(0.0, run_started + DELIVER_EVERY_SECONDS - time.monotonic()))
        cpu = time.process_time() - started_cpu  # this process: the deliverer, its HTTP client (and Slack in-process)
        slack_cpu = _cpu_seconds(slack_pid) - started_slack_cpu
        load = os.getloadavg()[0]
        accepted = [c for c in sandbox.calls_to("chat.postMessage") if c.ok]
        landed = [c.at - started_wall for c in accepted]
        by_channel: dict[str, list[float]] = {}
        for call in accepted:
            by_channel.setdefault(str(call.args.get("channel")), []).append(call.at - started_wall)
        result = tally(sandbox, world)
        limit_429s = sum(1 for call in sandbox.calls if call.http_status == 429)
    measured = max(landed)
    # Where the time over the pacer's floor goes: reaching the last channel's first post, and
    # the longest first-to-last span of one channel (the pacer's (n - 3) x 1.1 s at best).
    last_first = max(min(times) for times in by_channel.values())
    longest_span = max(max(times) - min(times) for times in by_channel.values())
    bound = limits_bound(workload)
    paced = bound * PER_CHANNEL_INTERVAL
    connections = workload.messages * latency / in_flight
    ratio_text = f"{measured / bound:5.2f}x" if bound >= 0.5 else "  n/a"
    where = "same process (Slack included)" if sandbox_in_process else "Slack CPU (child)"
    return (f"{workload.name:32s} latency {latency * 1000:3.0f} ms, {in_flight:3d} in flight: "
            f"measured {measured:7.1f} s, Slack's bound {bound:4.1f} s (paced {paced:4.1f} s, "
            f"connections {connections:6.1f} s), ratio {ratio_text}  "
            f"(last channel's first post at {last_first:.1f} s, longest channel span {longest_span:.1f} s; "
            f"{runs} runs, CPU {cpu:.1f} s, {where} {slack_cpu:.1f} s, lost {result.lost}, "
            f"duplicates {result.duplicates}, 429s {limit_429s}, load {load:.2f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, action="append", help="seconds each sandbox answer takes "
                        "(repeatable; default 0 and 0.15)")
    parser.add_argument("--only", choices=("spread", "row"), default=None)
    parser.add_argument("--before", action="store_true", help="runs as before issue 13: deliver_due, then idle")
    parser.add_argument("--floor", action="store_true",
                        help="also measure the single sender's floor: as many messages, one per channel")
    parser.add_argument("--in-flight", type=int, action="append",
                        help=f"calls in the air at once (repeatable; default {SEND_CONCURRENCY}, the worker's)")
    parser.add_argument("--database-url", default=None, help="default: a scratch SQLite file")
    parser.add_argument("--sandbox-in-process", action="store_true",
                        help="serve the sandbox from this interpreter (as before) instead of a child process")
    args = parser.parse_args(argv)
    latencies = args.latency or [0.0, 0.15]
    for latency in latencies:
        for in_flight in args.in_flight or [SEND_CONCURRENCY]:
            for workload in WORKLOADS:
                if args.only and not workload.name.startswith({"spread": "spread", "row": "in a row"}[args.only]):
                    continue
                print(run(workload, latency=latency, url=args.database_url, before=args.before,
                          in_flight=in_flight, sandbox_in_process=args.sandbox_in_process), flush=True)
                if args.floor:
                    floor = Workload(name="  floor: one per channel", messages=workload.messages,
                                     channels=workload.messages, in_a_row=1)
                    print(run(floor, latency=latency, url=args.database_url, before=args.before,
                              in_flight=in_flight, sandbox_in_process=args.sandbox_in_process), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
