"""Firing requests at the same instant, as Slack does when someone clicks quickly.

A person pressing three buttons in a row sends three requests that Slack delivers within
milliseconds, and Bolt runs their listeners side by side in its thread pool. Tests that
check a flow is safe under that use these helpers instead of clicking one after another,
which would never show a race.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest

T = TypeVar("T")

BOLT_LISTENER_FAILURE = "Failed to run listener function"


def simultaneously(actions: Sequence[Callable[[], T]], *, timeout: float = 30.0) -> list[T]:
    """Run each action in its own thread, all released by one barrier; their results in order.

    An exception in any action is raised here (the first one), so a test never passes on a
    request that was not even sent."""
    barrier = threading.Barrier(len(actions))
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int, action: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = action()
        except BaseException as error:  # noqa: BLE001 - handed back to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, action), daemon=True) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
        if thread.is_alive():
            raise TimeoutError(f"a simultaneous request was still running after {timeout}s")
    if errors:
        raise errors[0]
    return [results[index] for index in range(len(actions))]


def failed_listeners(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Bolt's reports of listeners that raised (it logs them and carries on; the request was
    already acknowledged, so the HTTP status cannot show a crash)."""
    return [
        f"{record.getMessage()}: {record.exc_info[1]!r}" if record.exc_info else record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.getMessage().startswith(BOLT_LISTENER_FAILURE)
    ]
