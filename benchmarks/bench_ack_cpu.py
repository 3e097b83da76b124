"""Where an acknowledgement's CPU goes: the request thread (everything before the ack reaches
the wire) and the work after it (the listener executor), for `mentorbot serve`'s app and a
bare Bolt app, per kind of request, one request at a time.

bench_ack measures ack times under load; under one GIL those are set by how much CPU each
request costs the process, so this counts it, with `time.thread_time()` around the WSGI
call (the request thread: signature check, Bolt's middleware and matching, our middleware,
the ack) and around each job the executor runs (the follow-up). Both apps run in this
process behind the same WSGI entry, against the fake Slack (no latency: CPU only), the same
requests as bench_ack (`/mentoring help`, a Home-tab `profile.open` click, a `profile.submit`
of a modal the bot did not open). waitress's own HTTP work is the same for both and left out.

`--profile` adds cProfile's top functions for the bot's request thread and for its executor
(sorted by own time, grouped by package), to say which part is Bolt's own.
Prints figures; asserts nothing.

    python -m benchmarks.bench_ack_cpu [--requests 300] [--database-url URL] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bot.sandbox.driver import SlackDriver
from bot.sandbox.harness import SIGNING_SECRET
from bot.sandbox.server import SlackSandbox
from bot.settings import Settings
from bot.slack.app import Runtime
from bot.slack.server import HttpServer
from bot.slack.web import EVENTS_PATH, SlackHttpApp

USERS = [f"UCPU{index:02d}" for index in range(20)]
HOME_VIEW = {"id": "VHOMECPU", "type": "home", "blocks": [], "private_metadata": "", "callback_id": ""}
KINDS = ("command", "click", "modal")


class Meter:
    """CPU seconds per kind, in the request thread and in the executor; optional profiles."""

    def __init__(self, *, profile: bool) -> None:
        self.kind = "warm-up"
        self.request: dict[str, float] = {}
        self.after: dict[str, float] = {}
        self._lock = threading.Lock()
        self.request_profile = cProfile.Profile() if profile else None
        self.after_profile = cProfile.Profile() if profile else None

    def add(self, table: dict[str, float], seconds: float) -> None:
        with self._lock:
            table[self.kind] = table.get(self.kind, 0.0) + seconds


class MeteredExecutor(ThreadPoolExecutor):
    """The listener executor, counting the CPU of each job (one at a time: the loop waits)."""

    def __init__(self, meter: Meter) -> None:
        super().__init__(max_workers=1)
        self._meter = meter
        self._pending: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def measured() -> Any:
            profile = self._meter.after_profile if self._meter.kind != "warm-up" else None
            started = time.thread_time()
            if profile is not None:
                profile.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                if profile is not None:
                    profile.disable()
                self._meter.add(self._meter.after, time.thread_time() - started)

        future = super().submit(measured)
        self._pending.append(future)
        return future

    def wait_idle(self) -> None:
        while self._pending:
            self._pending.pop().result(timeout=30)


def metered_wsgi(app: Callable[..., Iterable[bytes]], meter: Meter) -> Callable[..., list[bytes]]:
    def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        profile = meter.request_profile if meter.kind != "warm-up" else None
        started = time.thread_time()
        if profile is not None:
            profile.enable()
        try:
            return list(app(environ, start_response))
        finally:
            if profile is not None:
                profile.disable()
            meter.add(meter.request, time.thread_time() - started)

    return call


def bare_bolt(sandbox: SlackSandbox, executor: ThreadPoolExecutor) -> Any:
    """bench_ack's bare app: every request acknowledged, nothing else."""
    from slack_bolt import Ack, App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    app = App(client=WebClient(token=sandbox.bot_token, base_url=sandbox.base_url), signing_secret=SIGNING_SECRET,
              token_verification_enabled=False, listener_executor=executor)

    def just_ack(ack: Ack) -> None:
        ack()

    app.command("/mentoring")(just_ack)
    app.action("profile.open")(just_ack)
    app.view("profile.submit")(just_ack)
    return SlackRequestHandler(app)


def _send(driver: SlackDriver, kind: str, user: str) -> None:
    if kind == "command":
        response = driver.slash_command(user_id=user, command="/mentoring", text="help")
    elif kind == "click":
        response = driver.block_action(user_id=user, action_id="profile.open", view=dict(HOME_VIEW))
    else:
        response = driver.view_submission(user_id=user, callback_id="profile.submit", values={"goals": {"goals": "grow"}})
    if response.status != 200:
        raise RuntimeError(f"{kind}: HTTP {response.status} {response.body[:200]}")


def measure(name: str, wsgi: Callable[..., Any], meter: Meter, executor: MeteredExecutor, sandbox: SlackSandbox,
            *, requests: int) -> None:
    server = HttpServer(metered_wsgi(wsgi, meter), host="127.0.0.1", port=0).start_in_background()
    try:
        driver = SlackDriver(app_url=f"{server.url}{EVENTS_PATH}", signing_secret=SIGNING_SECRET, sandbox=sandbox)
        for kind in KINDS:  # warm-up: imports, auth.test, first statements compiled
            for user in USERS[:3]:
                _send(driver, kind, user)
                executor.wait_idle()
        for kind in KINDS:
            meter.kind = kind
            for index in range(requests):
                _send(driver, kind, USERS[index % len(USERS)])
                executor.wait_idle()
        meter.kind = "warm-up"
    finally:
        time.sleep(0.2)  # waitress finishes the last request's bookkeeping after the answer left
        server.close()
    print(f"{name}: CPU per request, ms (request thread = until the ack is on its way; after = executor)")
    for kind in KINDS:
        before_ack = meter.request.get(kind, 0.0) / requests * 1000
        after_ack = meter.after.get(kind, 0.0) / requests * 1000
        print(f"  {kind:<8} request thread {before_ack:5.2f}   after the ack {after_ack:5.2f}   "
              f"total {before_ack + after_ack:5.2f}")
    total_request = sum(meter.request.get(kind, 0.0) for kind in KINDS) / (requests * len(KINDS)) * 1000
    total_after = sum(meter.after.get(kind, 0.0) for kind in KINDS) / (requests * len(KINDS)) * 1000
    print(f"  {'mix':<8} request thread {total_request:5.2f}   after the ack {total_after:5.2f}   "
          f"total {total_request + total_after:5.2f}")


def _by_package(profile: cProfile.Profile, *, title: str, top: int) -> None:
    stats = pstats.Stats(profile, stream=io.StringIO())
    total = stats.total_tt  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        path = filename.replace("\\", "/")
        if "site-packages/" in path:
            group = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/bot/" in path or "/handlers/" in path or "/storage/" in path:
            group = "mentorbot"
        elif path.startswith(("~", "<")) or "/lib/python3" in path:
            group = "python stdlib"
        else:
            group = "other"
        groups[group] = groups.get(group, 0.0) + own
    print(f"{title}: own time by package (cProfile, {total * 1000:.0f} ms in all)")
    for group, own in sorted(groups.items(), key=lambda item: -item[1]):
        print(f"  {own / total * 100:5.1f}%  {group}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="of each kind")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="bench-ack-cpu-")
    sandbox = SlackSandbox().start()
    for user in USERS:
        sandbox.add_user(user_id=user, name=user.lower(), email=f"{user.lower()}@example.org")
    try:
        bare_meter = Meter(profile=False)
        bare_executor = MeteredExecutor(bare_meter)
        measure("bare Bolt", bare_bolt(sandbox, bare_executor), bare_meter, bare_executor, sandbox,
                requests=args.requests)
        settings = Settings.from_env({
            "SLACK_BOT_TOKEN": sandbox.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": sandbox.base_url,
            "DATABASE_URL": args.database_url or f"sqlite:///{scratch.name}/bench.db", "MENTORBOT_ADMINS": "",
        })
        meter = Meter(profile=args.profile)
        executor = MeteredExecutor(meter)
        runtime = Runtime(settings=settings, listener_executor=executor)
        runtime.upgrade_database()
        wsgi = SlackHttpApp(bolt_app=runtime.bolt_app, engine=runtime.engine)
        print(f"database: {runtime.engine.dialect.name}; {args.requests} requests of each kind, one at a time")
        measure("mentorbot serve", wsgi, meter, executor, sandbox, requests=args.requests)
        if meter.request_profile is not None and meter.after_profile is not None:
            _by_package(meter.request_profile, title="mentorbot request thread", top=args.top)
            _by_package(meter.after_profile, title="mentorbot after the ack", top=args.top)
        runtime.engine.dispose()
    finally:
        sandbox.stop()
        scratch.cleanup()


if __name__ == "__main__":
    main()
