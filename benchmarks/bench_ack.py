"""Acknowledgement times under load: `mentorbot serve` (waitress, signed requests) against a
bare Bolt app in the same run, with the fake Slack answering every call in 150 ms.

Each rate sends an open-loop mix (every request leaves at its planned time, whether or not
the earlier ones were answered) of slash commands (`/mentoring help`: a response_url
post), Home-tab clicks (`profile.open` for someone without a profile: a DM) and modal
submissions (`profile.submit` of a modal the bot did not open: refused in the ack with
`response_action: update`, nothing after). The bare Bolt app acknowledges the same
requests and does nothing else: the floor (waitress, Bolt, the signature check).

It prints p50/p99/max ack time, timeouts (no answer within Slack's 3 s) and whether every
follow-up reached the fake Slack (its recorded calls and response_url posts, counted
after the run settles); the follow-up time (from sending a request to its follow-up
reaching the fake Slack, which then answers 150 ms later: the command's response_url
post by its url, the click's DM by user in order); and each server's CPU per request
(the process's user+system time over the load and its follow-ups, from /proc). Prints
figures; asserts nothing.

The fake Slack runs in a child process of its own (bot/sandbox/process.py), as Slack runs
outside everything here in production, so its CPU competes neither with the load generator
nor with the servers' measuring; its CPU over each rate is printed too, with the 1-minute load
average. `--sandbox-in-process` serves it from the benchmark's interpreter instead (as before:
the load generator's threads and Slack's side then share one GIL).

    python -m benchmarks.bench_ack [--rates 10,50,200] [--seconds 5] [--latency 0.15] [--database-url URL]
                                   [--bot-root OTHER_CHECKOUT] [--sandbox-in-process]
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bot.sandbox.driver import DriverResponse, SlackDriver
from bot.sandbox.process import SandboxProcess
from bot.sandbox.server import SlackSandbox
from storage.db import make_engine
from storage.migrate import upgrade_to_head

SIGNING_SECRET = "bench-ack-signing-secret"
SLACK_TIMEOUT = 3.0
ROOT = Path(__file__).resolve().parent.parent
USERS = [f"UBENCH{index:02d}" for index in range(20)]
HOME_VIEW = {"id": "VHOMEBENCH", "type": "home", "blocks": [], "private_metadata": "", "callback_id": ""}


def serve_bare(port: int) -> None:
    """A bare Bolt app: every command, click and submission acknowledged, nothing else."""
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.slack.server import HttpServer

    # Bolt asks auth.test once, at the first request: the fake Slack answers it.
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_BASE_URL"])
    app = App(client=client, signing_secret=SIGNING_SECRET, token_verification_enabled=False)

    def just_ack(ack: Ack) -> None:
        ack()

    app.command("/mentoring")(just_ack)
    app.action("profile.open")(just_ack)
    app.view("profile.submit")(just_ack)
    handler = SlackRequestHandler(app)
    HttpServer(handler, host="127.0.0.1", port=port).serve_forever()


class TimedSandbox(SlackSandbox):
    """The fake Slack, noting when each response_url post arrives (before its latency): Web API
    calls carry their arrival time already (`RecordedCall.at`), response posts do not."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.response_arrivals: dict[str, float] = {}

    def _handle_http(self, *, verb: str, path: str, headers: Any, body: bytes) -> Any:
        arrived = time.time()
        reply = super()._handle_http(verb=verb, path=path, headers=headers, body=body)
        if path.startswith("/response/") and getattr(reply, "status", 0) == 200:
            self.response_arrivals.setdefault(path[len("/response/"):], arrived)
        return reply

    def work_done(self) -> int:
        """Web API calls and response_url posts so far: one number, cheap to ask a child for
        (the benchmark polls it while the follow-ups settle)."""
        with self._lock:
            return len(self._calls) + len(self._response_posts)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError as error:
            if getattr(error, "code", None) is not None:  # any HTTP answer: it listens
                return
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@dataclass
class Sent:
    """One request of the load: what it was and when it left (wall clock, to compare with the
    fake Slack's arrival times)."""

    kind: str
    user: str
    at: float
    response_url: str | None = None


def _percentiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (f"p50={statistics.median(ordered) * 1000:7.1f} ms p99={p99 * 1000:7.1f} ms "
            f"max={ordered[-1] * 1000:7.1f} ms")


@dataclass
class Figures:
    latencies: list[float]
    timeouts: int
    failures: int
    sent: list[Sent] = field(default_factory=list)

    def line(self, name: str) -> str:
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return (f"{name:<16} n={len(ordered):>5} p50={statistics.median(ordered) * 1000:7.1f} ms "
                f"p99={p99 * 1000:7.1f} ms max={ordered[-1] * 1000:7.1f} ms "
                f"timeouts(>3 s)={self.timeouts} non-2xx={self.failures}")

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _requests(driver: SlackDriver) -> list[tuple[str, Callable[[str], DriverResponse]]]:
    """The mix, one kind after another: (kind, send for a user)."""
    return [
        ("command", lambda user: driver.slash_command(user_id=user, command="/mentoring", text="help")),
        ("click", lambda user: driver.block_action(user_id=user, action_id="profile.open", view=dict(HOME_VIEW))),
        ("modal", lambda user: driver.view_submission(user_id=user, callback_id="profile.submit",
                                                      values={"goals": {"goals": "grow"}})),
    ]


def _load(driver: SlackDriver, *, rate: float, seconds: float) -> tuple[Figures, dict[str, int]]:
    """Send rate*seconds requests open-loop; the ack time of each, and how many of each kind."""
    kinds = _requests(driver)
    total = int(rate * seconds)
    sent: dict[str, int] = {kind: 0 for kind, _ in kinds}
    results: list[DriverResponse | None] = []
    record: list[Sent] = []

    def one(send: Callable[[str], DriverResponse], user: str, note: Sent) -> DriverResponse | None:
        note.at = time.time()
        try:
            response = send(user)
        except OSError:  # no answer at all within the driver's 10 s
            return None
        note.response_url = response.response_url
        return response

    with ThreadPoolExecutor(max_workers=min(600, total)) as pool:
        futures = []
        started = time.perf_counter()
        for index, ((kind, send), user) in enumerate(zip(itertools.cycle(kinds), itertools.cycle(USERS))):
            if index >= total:
                break
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent[kind] += 1
            note = Sent(kind=kind, user=user, at=0.0)
            record.append(note)
            futures.append(pool.submit(one, send, user, note))
        results = [future.result() for future in futures]
    latencies = [result.elapsed if result is not None else 10.0 for result in results]
    figures = Figures(
        latencies=latencies,
        timeouts=sum(1 for latency in latencies if latency > SLACK_TIMEOUT),
        failures=sum(1 for result in results if result is None or not 200 <= result.status < 300),
        sent=record,
    )
    return figures, sent


def _follow_up_times(sandbox: TimedSandbox, sent: list[Sent], *, since: float) -> list[float]:
    """From each request leaving to its follow-up reaching the fake Slack: a command's
    response_url post by its url; a click's DM (chat.postMessage to the user's id) by user, in
    the order they were sent and arrived (the n-th click of a user with the n-th DM to them)."""
    times: list[float] = []
    for note in sent:
        if note.kind == "command" and note.response_url:
            arrived = sandbox.response_arrivals.get(note.response_url.rsplit("/response/", 1)[-1])
            if arrived is not None:
                times.append(arrived - note.at)
    dms: dict[str, list[float]] = {}
    for call in sandbox.calls:
        if call.method == "chat.postMessage" and call.at >= since:
            dms.setdefault(str(call.args.get("channel")), []).append(call.at)
    clicks: dict[str, list[float]] = {}
    for note in sent:
        if note.kind == "click":
            clicks.setdefault(note.user, []).append(note.at)
    for user, sent_at in clicks.items():
        for left, arrived in zip(sorted(sent_at), sorted(dms.get(user, [])), strict=False):
            times.append(arrived - left)
    return times


def _slack_work(sandbox: TimedSandbox) -> int:
    return sandbox.work_done()


def _settle(sandbox: TimedSandbox, *, expected: int, seconds: float = 120.0) -> int:
    """Wait for the follow-ups to reach the fake Slack; how many did."""
    deadline = time.monotonic() + seconds
    done = _slack_work(sandbox)
    while done < expected and time.monotonic() < deadline:
        time.sleep(0.25)
        done = _slack_work(sandbox)
    time.sleep(1.0)  # and nothing more than expected arrives late
    return _slack_work(sandbox)


def run(*, database_url: str | None, rates: list[float], seconds: float, latency: float,
        bot_root: str | None = None, sandbox_in_process: bool = False) -> None:
    scratch = tempfile.TemporaryDirectory(prefix="bench-ack-")
    url = database_url or f"sqlite:///{scratch.name}/bench.db"
    engine = make_engine(url)
    upgrade_to_head(engine)
    dialect = engine.dialect.name
    engine.dispose()
    sandbox: TimedSandbox
    if sandbox_in_process:
        sandbox = TimedSandbox(latency_seconds=latency)
        sandbox.start()
        slack_pid = os.getpid()
    else:  # the proxy forwards every public method and attribute to the child's TimedSandbox
        child = SandboxProcess(sandbox_class=TimedSandbox, latency_seconds=latency).start()
        sandbox, slack_pid = cast(TimedSandbox, child), child.pid
    for user in USERS:
        sandbox.add_user(user_id=user, name=user.lower(), email=f"{user.lower()}@example.org")
    bot_port, bare_port = _free_port(), _free_port()
    # --bot-root: serve another checkout's bot (the code before a change) against the same load.
    env = {**os.environ, "PYTHONPATH": bot_root or str(ROOT), "SLACK_BOT_TOKEN": sandbox.bot_token,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_BASE_URL": sandbox.base_url, "DATABASE_URL": url,
           "PORT": str(bot_port), "HOST": "127.0.0.1", "MENTORBOT_ADMINS": ""}
    bot = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, cwd=bot_root or ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bare = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_ack", "--serve-bare", str(bare_port)],
                            env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(f"http://127.0.0.1:{bot_port}/healthz", bot)
        _wait_until_up(f"http://127.0.0.1:{bare_port}/", bare)
        bot_driver = SlackDriver(app_url=f"http://127.0.0.1:{bot_port}/slack/events", signing_secret=SIGNING_SECRET,
                                 sandbox=sandbox)
        bare_driver = SlackDriver(app_url=f"http://127.0.0.1:{bare_port}/slack/events",
                                  signing_secret=SIGNING_SECRET, sandbox=sandbox)
        # What each kind of request leaves behind in the fake Slack, one at a time, settled.
        per_kind: dict[str, int] = {}
        for kind, send in _requests(bot_driver):
            before = _slack_work(sandbox)
            send(USERS[0])
            per_kind[kind] = _settle(sandbox, expected=before + 1, seconds=3.0) - before
        # Warm the bare app up too: Bolt asks auth.test at its first request (one call's latency),
        # which otherwise lands in the first rate's tail (all of it with --rates 200 alone).
        for _kind, send in _requests(bare_driver):
            send(USERS[0])
        print(f"database: {dialect}; fake Slack latency {latency * 1000:.0f} ms; "
              f"Slack work per request: {per_kind}")
        for rate in rates:
            bare_cpu = _cpu_seconds(bare.pid)
            bare_figures, _ = _load(bare_driver, rate=rate, seconds=seconds)
            bare_cpu = _cpu_seconds(bare.pid) - bare_cpu
            before = _slack_work(sandbox)
            bot_cpu, load_started = _cpu_seconds(bot.pid), time.time()
            slack_cpu = _cpu_seconds(slack_pid)
            bot_figures, sent = _load(bot_driver, rate=rate, seconds=seconds)
            load_average = os.getloadavg()[0]
            expected = before + sum(per_kind[kind] * count for kind, count in sent.items())
            done = _settle(sandbox, expected=expected)
            bot_cpu = _cpu_seconds(bot.pid) - bot_cpu  # the acks and every follow-up (a second's idle after)
            slack_cpu = _cpu_seconds(slack_pid) - slack_cpu
            follow_ups = _follow_up_times(sandbox, bot_figures.sent, since=load_started)
            requests = len(bot_figures.latencies)
            print(f"-- {rate:g} requests/s for {seconds:g} s ({sent})")
            print("  " + bare_figures.line("bare Bolt"))
            print("  " + bot_figures.line("mentorbot serve"))
            print(f"  p99 ratio mentorbot/bare: {bot_figures.p99 / bare_figures.p99:.2f}x; follow-ups done: "
                  f"{done - before} of {expected - before}{'' if done == expected else '  <-- MISSING OR EXTRA'}")
            print(f"  follow-up reached the fake Slack (n={len(follow_ups)}): {_percentiles(follow_ups)}")
            print(f"  CPU per request: bare Bolt {bare_cpu / requests * 1000:.2f} ms, mentorbot serve "
                  f"{bot_cpu / requests * 1000:.2f} ms (acks and follow-ups; {bot_cpu / (seconds + 1):.2f} "
                  f"of a core over the run)")
            where = "in the benchmark's process" if sandbox_in_process else "child process"
            print(f"  fake Slack ({where}) CPU over the bot's run: {slack_cpu:.2f} s; "
                  f"load average (1 min) at the end of the load: {load_average:.2f}")
    finally:
        for process in (bot, bare):
            process.terminate()
            process.wait(timeout=10)
        sandbox.stop()
        scratch.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="10,50,200")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--latency", type=float, default=0.15, help="seconds the fake Slack takes per call")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--bot-root", default=None, help="serve the bot from this checkout (default: this one)")
    parser.add_argument("--sandbox-in-process", action="store_true",
                        help="serve the fake Slack from this interpreter (as before) instead of a child process")
    parser.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare is not None:
        serve_bare(args.serve_bare)
        return
    run(database_url=args.database_url, rates=[float(rate) for rate in args.rates.split(",")],
        seconds=args.seconds, latency=args.latency, bot_root=args.bot_root,
        sandbox_in_process=args.sandbox_in_process)


if __name__ == "__main__":
    main()
