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
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

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


def at_first_write(
    session: Session, action: Callable[[], T], *, grace: float = 1.0, bulk_update: bool = False,
    bulk_insert: bool = False,
) -> Callable[[], T]:
    """Run `action` in another thread when this session first writes (its first flush, after
    all it has read; with `bulk_update`, its first `UPDATE` statement, for services that
    write with `session.execute(update(...))` and never flush; with `bulk_insert`, its first
    `INSERT` statement, for upserts written with `session.execute(insert(...))`), and hold the write back until
    the action is done or `grace` seconds have passed. Returns a function that waits for the
    action and hands back its result.

    Requests that race interleave this way only when the timing is just so, which a fast
    service call beside a slow HTTP request hardly ever meets; here it is met every time.
    Should the session have locked what it read, the action waits for its commit (the grace
    runs out and the write goes ahead); should it not, the action commits in between."""
    done = threading.Event()
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(action())
        except BaseException as error:  # noqa: BLE001 - handed back to the test below
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=run, daemon=True)

    def start(*_: object) -> None:
        thread.start()
        done.wait(timeout=grace)

    if bulk_update or bulk_insert:
        def on_execute(state: ORMExecuteState) -> None:
            wanted = (bulk_update and state.is_update) or (bulk_insert and state.is_insert)
            if wanted and not thread.is_alive() and not done.is_set():
                start()

        event.listen(session, "do_orm_execute", on_execute)
    else:
        event.listen(session, "before_flush", start, once=True)

    def finish(timeout: float = 30.0) -> T:
        if not thread.is_alive() and not done.is_set():
            raise AssertionError("the session never wrote, so the action never ran")
        thread.join(timeout=timeout)
        if thread.is_alive():
            raise TimeoutError(f"the action was still running after {timeout}s")
        if errors:
            raise errors[0]
        return results[0]

    return finish


def failed_listeners(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Bolt's reports of listeners that raised (it logs them and carries on; the request was
    already acknowledged, so the HTTP status cannot show a crash)."""
    return [
        f"{record.getMessage()}: {record.exc_info[1]!r}" if record.exc_info else record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.getMessage().startswith(BOLT_LISTENER_FAILURE)
    ]
