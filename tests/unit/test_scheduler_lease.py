"""One scheduler at a time (issue 12): a second worker waits while the first lives, takes
over when it dies, and the two never run a job at the same moment.

Thread workers here (SQLite: the lease row and its expiry, with a short lease; PostgreSQL:
the advisory lock); real `mentorbot worker` processes killed with SIGKILL in
`test_worker_processes_take_over`. No wall-clock figure is asserted: the takeover time is
measured by `python -m benchmarks.bench_takeover`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from scheduling.lease import AdvisoryLease, Lease, LeasedWorker, RowLease, gated
from storage.db import unit_of_work
from storage.models import WorkerLease

LEASE_SECONDS = 1.5  # SQLite: short, so expiry happens within the test


@dataclass
class JobLog:
    """Every job run: who ran it, from when to when."""

    runs: list[tuple[str, float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, holder: str) -> None:
        started = time.monotonic()
        time.sleep(0.01)
        with self.lock:
            self.runs.append((holder, started, time.monotonic()))

    def holders(self) -> set[str]:
        with self.lock:
            return {holder for holder, _, _ in self.runs}

    def overlaps(self) -> list[tuple[str, float, float]]:
        """Runs that started while another holder's run had not ended."""
        with self.lock:
            runs = sorted(self.runs, key=lambda run: run[1])
        latest_end: dict[str, float] = {}
        found = []
        for holder, start, end in runs:
            if any(other != holder and other_end > start for other, other_end in latest_end.items()):
                found.append((holder, start, end))
            latest_end[holder] = max(end, latest_end.get(holder, end))
        return found


class LoopScheduler:
    """A scheduler stand-in: runs its (gated) job every few milliseconds on a thread."""

    def __init__(self, job: Callable[[], None]) -> None:
        self._stop = threading.Event()
        self._job = job
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.005):
            self._job()

    def shutdown(self, wait: bool = True) -> None:
        self._stop.set()
        if wait:
            self.thread.join()


class ThreadWorker:
    """A LeasedWorker on a thread, which can be killed without any cleanup."""

    def __init__(self, lease: Lease, log: JobLog, *, renew_every: float) -> None:
        self.lease = lease
        self.schedulers: list[LoopScheduler] = []
        self.acquired_count = 0

        def start() -> LoopScheduler:
            scheduler = LoopScheduler(gated(lambda: log.record(lease.holder), lease, "job"))
            self.schedulers.append(scheduler)
            return scheduler

        def on_acquired() -> None:
            self.acquired_count += 1

        self.worker = LeasedWorker(lease=lease, start=start, on_acquired=on_acquired, retry_every_seconds=0.05,
                                   renew_every_seconds=renew_every)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()

    def kill(self) -> None:
        """The process dies: its threads stop at once and nothing is released politely."""
        self.lease.release = self.lease.abandon  # type: ignore[method-assign]
        for scheduler in self.schedulers:
            scheduler.shutdown(wait=True)
        self.worker.stop()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(timeout=10)


def _wait(condition: Callable[[], bool], *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def _row_holder(session_factory: sessionmaker[Session]) -> str | None:
    with unit_of_work(session_factory) as session:
        return session.scalar(select(WorkerLease.holder))


def _leases(engine: Engine, session_factory: sessionmaker[Session]) -> tuple[Lease, Lease, float]:
    """Two leases for two workers, and how often each renews."""
    if engine.dialect.name == "postgresql":
        return (AdvisoryLease(engine=engine, session_factory=session_factory, holder="worker-a"),
                AdvisoryLease(engine=engine, session_factory=session_factory, holder="worker-b"), 0.2)
    return (RowLease(session_factory=session_factory, holder="worker-a", lease_seconds=LEASE_SECONDS),
            RowLease(session_factory=session_factory, holder="worker-b", lease_seconds=LEASE_SECONDS), 0.3)


def test_second_worker_waits_then_takes_over_and_they_never_overlap(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    lease_a, lease_b, renew_every = _leases(engine, session_factory)
    log = JobLog()
    first = ThreadWorker(lease_a, log, renew_every=renew_every)
    _wait(first.worker.acquired.is_set)
    second = ThreadWorker(lease_b, log, renew_every=renew_every)
    try:
        # Several renewals (and on SQLite longer than a whole lease) later, the first still
        # runs every job and the second has not started one.
        time.sleep(max(LEASE_SECONDS * 1.5, renew_every * 5))
        assert not second.worker.acquired.is_set()
        assert log.holders() == {"worker-a"}
        assert _row_holder(session_factory) == "worker-a"

        first.kill()
        killed_at = time.monotonic()
        _wait(second.worker.acquired.is_set)
        _wait(lambda: "worker-b" in log.holders())
        assert _row_holder(session_factory) == "worker-b"
        assert second.acquired_count == 1
        if engine.dialect.name == "sqlite":
            # The row lease is taken over only once the dead holder's lease has run out.
            first_b = min(start for holder, start, _ in log.runs if holder == "worker-b")
            last_renewal_bound = killed_at - renew_every
            assert first_b >= last_renewal_bound + LEASE_SECONDS - 0.2
        assert log.overlaps() == []
    finally:
        second.stop()
        first.stop()


def test_a_clean_stop_hands_the_lease_over_without_waiting_for_expiry(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    lease_a, lease_b, renew_every = _leases(engine, session_factory)
    if isinstance(lease_a, RowLease):  # a long lease: only the release can explain a quick takeover
        lease_a = RowLease(session_factory=session_factory, holder="worker-a", lease_seconds=600)
        lease_b = RowLease(session_factory=session_factory, holder="worker-b", lease_seconds=600)
    log = JobLog()
    first = ThreadWorker(lease_a, log, renew_every=renew_every)
    _wait(first.worker.acquired.is_set)
    second = ThreadWorker(lease_b, log, renew_every=renew_every)
    try:
        time.sleep(0.3)
        assert not second.worker.acquired.is_set()
        first.stop()
        _wait(second.worker.acquired.is_set, timeout=10)
        assert log.overlaps() == []
    finally:
        second.stop()


def test_a_holder_that_cannot_renew_stops_its_jobs_at_once(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    """Another worker took the (expired) row, or the lock's connection broke: `held()` is false
    from that moment and the gated job runs no more, before anyone else may start."""
    lease_a, lease_b, _ = _leases(engine, session_factory)
    assert lease_a.try_acquire()
    assert lease_a.held()
    if isinstance(lease_a, RowLease):
        with unit_of_work(session_factory) as session:  # as if the lease ran out and b took it
            row = session.get(WorkerLease, "scheduler")
            assert row is not None
            row.holder = "worker-b"
    else:
        lease_a.abandon()  # the lock's session ended; the server released the lock
        assert lease_b.try_acquire()
    assert lease_a.renew() is False
    assert lease_a.held() is False
    ran: list[str] = []
    gated(lambda: ran.append("job"), lease_a, "job")()
    assert ran == []
    lease_b.release()


def test_renewing_keeps_the_time_it_was_first_taken(session_factory: sessionmaker[Session], engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the row is the lease on SQLite only")
    lease = RowLease(session_factory=session_factory, holder="worker-a", lease_seconds=30)
    assert lease.try_acquire()
    first = lease.current()
    time.sleep(0.01)
    assert lease.renew()
    again = lease.current()
    assert first is not None and again is not None
    assert again.acquired_at == first.acquired_at
    assert again.renewed_at > first.renewed_at
    other = RowLease(session_factory=session_factory, holder="worker-b", lease_seconds=30)
    assert other.try_acquire() is False  # not expired, not theirs


def test_worker_processes_take_over(engine: Engine, database_url: str) -> None:
    """Two real `mentorbot worker` processes: the second logs who holds the lease and waits;
    on PostgreSQL it takes over after the first is SIGKILLed (the server drops the dead
    session's lock), on SQLite after the first is stopped with SIGTERM (it gives the row up;
    a killed SQLite worker's row expiry is the thread test's and the benchmark's)."""
    from bot.sandbox.server import SlackSandbox
    from tests.support.workers import TOOK, WAITING, WorkerProcess

    with SlackSandbox() as sandbox:
        first = WorkerProcess(database_url=database_url, slack_api_base_url=sandbox.base_url)
        second: WorkerProcess | None = None
        try:
            _, took = first.wait_for(TOOK, timeout=60)
            second = WorkerProcess(database_url=database_url, slack_api_base_url=sandbox.base_url)
            _, waiting = second.wait_for(WAITING, timeout=60)
            assert waiting.group(1) == took.group(1)  # it names the worker that holds the lease
            time.sleep(3)  # a few retries: still waiting, and it said so once
            assert second.matching(TOOK) == []
            assert len(second.matching(WAITING)) == 1
            if engine.dialect.name == "postgresql":
                first.kill()
            else:
                first.stop()
            _, taken = second.wait_for(TOOK, timeout=60)
            assert taken.group(1) != took.group(1)
        finally:
            first.stop()
            if second is not None:
                second.stop()
