"""Resident memory of the processes a deployment runs: `mentorbot serve` idle and after it
has answered signed requests, a bare Bolt app under the same HTTP server in the same run,
and `mentorbot worker` idle. With --pairs, also the peak of one tick over that many seeded
pairs (`mentorbot tick --dry-run`, the worker's tick code, in its own process). Prints
figures; asserts nothing.

    python -m benchmarks.bench_memory [--requests 50] [--pairs 10000 --rounds 500]

Every process is a fresh interpreter started from this one; RSS is VmRSS (and the peak
VmHWM) from /proc/PID/status, read after the process answers /healthz (serve) or has had
a few seconds to start (worker). The first `serve` migrates an empty database, the second
finds it migrated (every start but the first after a release). The fake Slack Web API (bot.sandbox) runs in this
process, so its memory is not counted in any figure. SQLite in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.sandbox.driver import SlackDriver
from bot.sandbox.server import SlackSandbox

SIGNING_SECRET = "bench-memory-signing-secret"
OAUTH = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "bench-client-secret",
         "SLACK_STATE_SECRET": "bench-memory-state-secret"}
ROOT = Path(__file__).resolve().parent.parent

# The same HTTP server (bot.slack.server.HttpServer, waitress) with nothing but Bolt behind
# it: the floor a Slack app in Python costs.
BARE_BOLT = textwrap.dedent(
    """
    import os
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient
    from bot.slack.server import HttpServer

    app = App(
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_BASE_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    )
    app.command("/mentoring")(lambda ack: ack("help"))
    app.action("profile.open")(lambda ack: ack())
    app.event("app_home_opened")(lambda: None)
    handler = SlackRequestHandler(app)

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return handler(environ, start_response)

    HttpServer(wsgi, host="127.0.0.1", port=int(os.environ["PORT"])).serve_forever()
    """
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _wait_healthy(url: str, process: subprocess.Popen[bytes], *, timeout: float = 60.0) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process ended with {process.returncode}: {process.stderr.read().decode()[-2000:]}"
                               if process.stderr else f"process ended with {process.returncode}")
        try:
            with opener.open(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered /healthz")


def _requests(driver: SlackDriver, count: int) -> None:
    """Slash commands, a button that opens a modal and Home tab openings, round-robin."""
    for index in range(count):
        kind = index % 3
        if kind == 0:
            response = driver.slash_command(user_id="UANA", command="/mentoring", text="help")
        elif kind == 1:
            response = driver.block_action(user_id="UANA", action_id="profile.open", value="open")
        else:
            response = driver.app_home_opened(user_id="UANA")
        if response.status != 200:
            raise RuntimeError(f"request {index} answered {response.status}: {response.body[:200]}")


def _http_process(*, argv: list[str], env: Mapping[str, str], sandbox: SlackSandbox, requests: int,
                  label: str, oauth: bool = False) -> None:
    port = _free_port()
    process = subprocess.Popen(argv, env={**env, "PORT": str(port), "HOST": "127.0.0.1"}, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process)
        if oauth:
            # Installed through the process's own /slack/install and /slack/oauth_redirect, so
            # the SQLAlchemy stores are loaded and each request is authorized from them.
            from tests.support.oauth import install_at

            sandbox.set_oauth_app(client_id=OAUTH["SLACK_CLIENT_ID"], client_secret=OAUTH["SLACK_CLIENT_SECRET"],
                                  redirect_url=f"{url}/slack/oauth_redirect")
            if install_at(url, sandbox, team_id=sandbox.team_id, user_id="UANA").callback.status != 200:
                raise RuntimeError("the install through /slack/install failed")
        time.sleep(1.0)
        idle = _status_kib(process.pid, "VmRSS")
        driver = SlackDriver(app_url=f"{url}/slack/events", signing_secret=SIGNING_SECRET, sandbox=sandbox)
        _requests(driver, requests)
        time.sleep(2.0)  # listeners still running after the ack
        served = _status_kib(process.pid, "VmRSS")
        peak = _status_kib(process.pid, "VmHWM")
        print(f"{label}: idle {_mib(idle)}, after {requests} signed requests {_mib(served)} (peak {_mib(peak)})")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _worker(*, env: Mapping[str, str], settle: float) -> None:
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=dict(env), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(settle)
        if process.poll() is not None:
            raise RuntimeError(f"worker ended with {process.returncode}")
        idle = _status_kib(process.pid, "VmRSS")
        peak = _status_kib(process.pid, "VmHWM")
        mode = " (OAuth mode)" if "SLACK_CLIENT_ID" in env else ""
        print(f"mentorbot worker{mode}: idle {settle:.0f} s after start {_mib(idle)} (peak so far {_mib(peak)})")
    finally:
        process.terminate()
        process.wait(timeout=60)


def _tick_peak(*, env: Mapping[str, str], pairs: int, rounds: int, scratch: str) -> None:
    from benchmarks.bench_tick import _seed
    from storage.db import make_engine
    from storage.migrate import upgrade_to_head

    url = f"sqlite:///{scratch}/tick.db"
    engine = make_engine(url)
    upgrade_to_head(engine)
    _seed(engine, pairs=pairs, rounds=rounds)
    engine.dispose()
    # The busy instant bench_tick measures: check-ins, reminders and prompts due for every pair.
    argv = [sys.executable, "-m", "bot.cli", "tick", "--now", "2027-02-15T10:05+01:00", "--dry-run"]
    # One line per due message: to files, which (unlike pipes nobody reads) never fill up.
    out_path, err_path = Path(scratch) / "tick.out", Path(scratch) / "tick.err"
    started = time.perf_counter()
    with out_path.open("wb") as out_file, err_path.open("wb") as err_file:
        process = subprocess.Popen(argv, env={**env, "DATABASE_URL": url}, cwd=ROOT, stdout=out_file, stderr=err_file)
        _pid, status, usage = os.wait4(process.pid, 0)  # ru_maxrss: the child's peak, in KiB
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"tick ended with {status}: {err_path.read_text()[-2000:]}")
    lines = out_path.read_text().splitlines()
    first = lines[0] if lines else ""
    print(f"tick over {pairs} pairs in {rounds} rounds (`mentorbot tick --dry-run`): peak {_mib(usage.ru_maxrss)} "
          f"in {seconds:.1f} s ({first.strip()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60, help="signed requests sent to each HTTP process")
    parser.add_argument("--worker-settle", type=float, default=5.0, help="seconds the worker runs before reading")
    parser.add_argument("--pairs", type=int, default=0, help="also measure a tick over this many pairs (0: skip)")
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="bench-memory-")
    sandbox = SlackSandbox().start()
    try:
        sandbox.add_user(user_id="UANA", name="ana", email="ana@example.org")
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "DATABASE_URL"))},
            "SLACK_BOT_TOKEN": sandbox.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": sandbox.base_url,
            "DATABASE_URL": f"sqlite:///{scratch.name}/mentorbot.db",
            "PYTHONPATH": str(ROOT),
        }
        oauth_env = {**{k: v for k, v in env.items() if k != "SLACK_BOT_TOKEN"}, **OAUTH}
        print(f"python {sys.version.split()[0]}, SQLite, fake Slack in the benchmark's own process")
        runs: list[tuple[str, Callable[[], None]]] = [
            ("bare Bolt", lambda: _http_process(argv=[sys.executable, "-c", BARE_BOLT], env=env, sandbox=sandbox,
                                                requests=args.requests, label="bare Bolt app + HttpServer")),
            # The first start after a release migrates, and then carries Alembic for its life;
            # every later start finds the schema current without importing it.
            ("serve, migrating", lambda: _http_process(
                argv=[sys.executable, "-m", "bot.cli", "serve"], env=env, sandbox=sandbox, requests=args.requests,
                label="mentorbot serve, migrating an empty database at start")),
            ("serve", lambda: _http_process(argv=[sys.executable, "-m", "bot.cli", "serve"], env=env,
                                            sandbox=sandbox, requests=args.requests,
                                            label="mentorbot serve, database already migrated")),
            ("worker", lambda: _worker(env=env, settle=args.worker_settle)),
            # Many workspaces: slack_sdk's SQLAlchemy stores (and sqlalchemy.ext.asyncio) loaded,
            # the workspace installed through HTTP first, every request authorized from the database.
            ("serve, OAuth", lambda: _http_process(
                argv=[sys.executable, "-m", "bot.cli", "serve"], env=oauth_env, sandbox=sandbox,
                requests=args.requests, label="mentorbot serve, OAuth mode (one workspace installed)", oauth=True)),
            ("worker, OAuth", lambda: _worker(env=oauth_env, settle=args.worker_settle)),
        ]
        for _name, run in runs:
            run()
        if args.pairs:
            _tick_peak(env=env, pairs=args.pairs, rounds=args.rounds, scratch=scratch.name)
    finally:
        sandbox.stop()
        scratch.cleanup()


if __name__ == "__main__":
    main()
