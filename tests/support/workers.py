"""Real `mentorbot worker` processes for lease tests and the takeover benchmark.

Each process's log lines are read as they come and stamped with the reader's monotonic
clock, so a test can wait for "took the scheduler lease" and a benchmark can time the gap
between SIGKILL of one worker and the line of the next."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOOK = re.compile(r"took the scheduler lease as (\S+)")
WAITING = re.compile(r"another worker runs the scheduler \((\S+?),")


class WorkerProcess:
    """One `python -m bot worker` with its output collected line by line."""

    def __init__(self, *, database_url: str, slack_api_base_url: str, bot_token: str = "xoxb-sandbox") -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": bot_token,
            "SLACK_SIGNING_SECRET": "lease-test-secret",
            "SLACK_API_BASE_URL": slack_api_base_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"], cwd=REPO, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1,
        )
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], *, timeout: float) -> tuple[float, re.Match[str]]:
        """The first line matching `pattern` (its time and match); AssertionError with the output if none comes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for at, line in self.lines:
                    found = pattern.search(line)
                    if found:
                        return at, found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and not self._reader.is_alive()):
                    output = "\n".join(line for _, line in self.lines)
                    raise AssertionError(f"no line matching {pattern.pattern!r} within {timeout}s; output:\n{output}")
                self._changed.wait(min(remaining, 0.5))

    def matching(self, pattern: re.Pattern[str]) -> list[str]:
        with self._changed:
            return [line for _, line in self.lines if pattern.search(line)]

    def kill(self) -> float:
        """SIGKILL, as a crash or an OOM kill would: no cleanup runs. Returns when it was sent."""
        at = time.monotonic()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        return at

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)
