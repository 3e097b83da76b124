"""One scheduler at a time: a database lock that a second worker waits for and takes over.

APScheduler keeps its jobs in memory, so two `mentorbot worker` processes (or a worker and
`mentorbot run`) would each tick and deliver. Before it ticks, a worker takes the lease:

* **PostgreSQL**: a session-level advisory lock (`pg_try_advisory_lock`) held on a
  connection of its own for the worker's whole life. The server releases it the moment
  that connection ends, so a killed worker's lock is gone as soon as the kernel closes its
  socket, and the next worker takes over at its next try (a few seconds). The
  `worker_lease` row only says who holds it, for the waiting worker's log and for people.
* **SQLite** has no such lock, so the `worker_lease` row *is* the lease: it expires
  `lease_seconds` (30 s) after it was last renewed, the holder renews it every 10 s, and
  taking it is one guarded UPDATE ("expired, or mine") or, for the very first worker, one
  INSERT that a concurrent INSERT loses. A killed worker is replaced within about
  `lease_seconds` plus one retry.

A holder that cannot renew has lost the lease and must stop ticking and delivering at once:
`held()` turns false a safety margin *before* the lease could expire, so the jobs it gates
stop before another worker may start.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy import Connection, Engine, Insert, case, insert, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from storage.db import rows_affected, unit_of_work
from storage.models import WorkerLease

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_SECONDS = 30.0
RENEW_EVERY_SECONDS = 10.0
RETRY_EVERY_SECONDS = 3.0
# Stop trusting the lease this long before it could expire (SQLite): a job is never started
# on a lease that may lapse while it runs its first statements.
SAFETY_MARGIN_SECONDS = 5.0
# The advisory lock's two keys: mentorbot's own number and the lease's.
ADVISORY_CLASS = 0x6D62  # "mb"
ADVISORY_OBJECT = 1

Now = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def default_holder() -> str:
    """Host, process id and a random tail: two workers on one host are told apart, and a
    restarted process with a recycled pid is not mistaken for its predecessor."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, kw_only=True)
class LeaseHolder:
    holder: str
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime


class Lease(Protocol):
    holder: str

    def try_acquire(self) -> bool:
        """Take the lease if it is free (or already ours); never waits."""

    def renew(self) -> bool:
        """Keep the lease; False means it is lost and nothing may run any more."""

    def held(self) -> bool:
        """Whether a job may start now (cheap: no database round trip)."""

    def release(self) -> None:
        """Give the lease up so the next worker need not wait for it to expire."""

    def abandon(self) -> None:
        """Forget the lease without a word to the database, as a killed process would."""

    def current(self) -> LeaseHolder | None:
        """Who the row says holds it."""


class _LeaseRow:
    """The `worker_lease` row, read and written in short transactions of its own."""

    def __init__(self, *, session_factory: sessionmaker[Session], name: str, holder: str) -> None:
        self._session_factory = session_factory
        self.name = name
        self.holder = holder

    def current(self) -> LeaseHolder | None:
        with unit_of_work(self._session_factory) as session:
            row = session.get(WorkerLease, self.name)
            if row is None:
                return None
            return LeaseHolder(holder=row.holder, acquired_at=row.acquired_at, renewed_at=row.renewed_at,
                               expires_at=row.expires_at)

    def take(self, *, now: datetime, expires_at: datetime, only_if_expired_or_mine: bool) -> bool:
        """One atomic step: renew our row, or take one that expired (or any row, when the
        caller already owns the lock that decides), or create the first one."""
        with unit_of_work(self._session_factory) as session:
            guard = [WorkerLease.name == self.name]
            if only_if_expired_or_mine:
                guard.append((WorkerLease.holder == self.holder) | (WorkerLease.expires_at < now))
            values = {"renewed_at": now, "expires_at": expires_at}
            # Renewing keeps acquired_at; a new holder starts its own.
            acquired = case((WorkerLease.holder == self.holder, WorkerLease.acquired_at), else_=now)
            taken = session.execute(
                update(WorkerLease).where(*guard).values(holder=self.holder, acquired_at=acquired, **values)
            )
            if rows_affected(taken):
                return True
            first = {"name": self.name, "holder": self.holder, "acquired_at": now, **values}
            dialect = session.get_bind().dialect.name
            statement: postgresql.Insert | sqlite.Insert | Insert
            if dialect == "postgresql":
                statement = postgresql.insert(WorkerLease).values(**first).on_conflict_do_nothing(index_elements=["name"])
            elif dialect == "sqlite":
                statement = sqlite.insert(WorkerLease).values(**first).on_conflict_do_nothing(index_elements=["name"])
            else:  # pragma: no cover - only the two supported databases
                statement = insert(WorkerLease).values(**first)
            # RETURNING: psycopg reports no row count for an INSERT ... ON CONFLICT DO NOTHING.
            return session.scalar(statement.returning(WorkerLease.name)) is not None

    def give_up(self, *, now: datetime) -> None:
        """Mark our row expired, so a waiting worker takes over at its next try."""
        with unit_of_work(self._session_factory) as session:
            session.execute(update(WorkerLease).where(WorkerLease.name == self.name, WorkerLease.holder == self.holder)
                            .values(expires_at=now, renewed_at=now))


class RowLease:
    """SQLite: the row is the lease (see the module's docstring)."""

    def __init__(
        self, *, session_factory: sessionmaker[Session], holder: str | None = None, name: str = LEASE_NAME,
        lease_seconds: float = LEASE_SECONDS, safety_margin_seconds: float = SAFETY_MARGIN_SECONDS,
        now: Now = _utc_now,
    ) -> None:
        self.holder = holder or default_holder()
        self._row = _LeaseRow(session_factory=session_factory, name=name, holder=self.holder)
        self._lease = timedelta(seconds=lease_seconds)
        self._margin = timedelta(seconds=min(safety_margin_seconds, lease_seconds / 3))
        self._now = now
        self._trusted_until: datetime | None = None

    def try_acquire(self) -> bool:
        return self._take()

    def renew(self) -> bool:
        if self._trusted_until is None:
            return False
        return self._take()

    def _take(self) -> bool:
        now = self._now()
        try:
            ok = self._row.take(now=now, expires_at=now + self._lease, only_if_expired_or_mine=True)
        except Exception:
            log.exception("could not write the scheduler lease")
            ok = False
        self._trusted_until = now + self._lease - self._margin if ok else None
        return ok

    def held(self) -> bool:
        return self._trusted_until is not None and self._now() < self._trusted_until

    def release(self) -> None:
        if self._trusted_until is None:
            return
        self._trusted_until = None
        self._row.give_up(now=self._now())

    def abandon(self) -> None:
        self._trusted_until = None

    def current(self) -> LeaseHolder | None:
        return self._row.current()


class AdvisoryLease:
    """PostgreSQL: a session-level advisory lock on a connection of its own, plus the row."""

    def __init__(
        self, *, engine: Engine, session_factory: sessionmaker[Session], holder: str | None = None,
        name: str = LEASE_NAME, lease_seconds: float = LEASE_SECONDS, now: Now = _utc_now,
        keys: tuple[int, int] = (ADVISORY_CLASS, ADVISORY_OBJECT),
    ) -> None:
        self.holder = holder or default_holder()
        self._engine = engine
        self._row = _LeaseRow(session_factory=session_factory, name=name, holder=self.holder)
        self._lease = timedelta(seconds=lease_seconds)
        self._now = now
        self._keys = keys
        self._connection: Connection | None = None
        self._lock = threading.Lock()  # the connection is used by the renewing thread and by held() callers

    def try_acquire(self) -> bool:
        with self._lock:
            if self._connection is None:
                try:
                    self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                except Exception:
                    log.exception("could not open the scheduler lease's connection")
                    return False
            try:
                got = bool(self._connection.scalar(text("SELECT pg_try_advisory_lock(:a, :b)"),
                                                   {"a": self._keys[0], "b": self._keys[1]}))
            except Exception:
                log.exception("could not ask for the scheduler lock")
                self._drop_connection()
                return False
            if not got:
                return False
        self._write_row()
        return True

    def _write_row(self) -> None:
        now = self._now()
        try:
            # The lock decides; the row just says so, whatever an earlier holder left in it.
            self._row.take(now=now, expires_at=now + self._lease, only_if_expired_or_mine=False)
        except Exception:
            log.exception("could not record the scheduler lease holder")

    def renew(self) -> bool:
        with self._lock:
            if self._connection is None:
                return False
            try:
                # Ours only if this very session still holds it: a connection that broke and was
                # silently replaced would answer SELECT 1 but hold no lock.
                still = bool(self._connection.scalar(
                    text("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                         "AND pid = pg_backend_pid() AND classid = :a AND objid = :b AND objsubid = 2)"),
                    {"a": self._keys[0], "b": self._keys[1]},
                ))
            except Exception:
                log.exception("the scheduler lease's connection failed")
                still = False
            if not still:
                self._drop_connection()
                return False
        self._write_row()
        return True

    def held(self) -> bool:
        return self._connection is not None

    def release(self) -> None:
        with self._lock:
            if self._connection is None:
                return
            try:
                self._connection.scalar(text("SELECT pg_advisory_unlock(:a, :b)"),
                                        {"a": self._keys[0], "b": self._keys[1]})
            except Exception:  # noqa: BLE001 - closing the connection releases it anyway
                log.warning("could not unlock the scheduler lease; closing its connection releases it")
            self._drop_connection()
        try:
            self._row.give_up(now=self._now())
        except Exception:  # noqa: BLE001
            log.warning("could not mark the scheduler lease row as given up")

    def abandon(self) -> None:
        """Drop the connection without unlocking: the server frees the lock as for a killed process."""
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.invalidate()
                finally:
                    self._drop_connection()

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                log.debug("closing the lease connection failed", exc_info=True)

    def current(self) -> LeaseHolder | None:
        return self._row.current()


def make_lease(
    *, engine: Engine, session_factory: sessionmaker[Session], holder: str | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> Lease:
    """The advisory lock on PostgreSQL, the lease row on SQLite."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine=engine, session_factory=session_factory, holder=holder, lease_seconds=lease_seconds)
    return RowLease(session_factory=session_factory, holder=holder, lease_seconds=lease_seconds)


class Running(Protocol):
    def shutdown(self, wait: bool = ...) -> None: ...


class LeasedWorker:
    """Wait for the lease, then run the scheduler while it is held; stop it the moment the
    lease is lost, and go back to waiting.

    `start` builds and starts the scheduler (its jobs should be gated by `lease.held`);
    `on_acquired` runs once each time the lease is taken, before the first job (the outbox's
    claims left by a worker that died are released there)."""

    def __init__(
        self, *, lease: Lease, start: Callable[[], Running], on_acquired: Callable[[], None] | None = None,
        retry_every_seconds: float = RETRY_EVERY_SECONDS, renew_every_seconds: float = RENEW_EVERY_SECONDS,
    ) -> None:
        self.lease = lease
        self._start = start
        self._on_acquired = on_acquired
        self._retry_every = retry_every_seconds
        self._renew_every = renew_every_seconds
        self.stopped = threading.Event()
        self.acquired = threading.Event()  # set while this worker holds the lease (tests and benchmarks wait on it)

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        """Until `stop()`: wait for the lease, run while it is held. Releases it at the end."""
        try:
            while not self.stopped.is_set():
                if not self._wait_for_lease():
                    return
                self._run_while_held()
        finally:
            self.acquired.clear()
            self.lease.release()

    def _wait_for_lease(self) -> bool:
        said: str | None = None
        while not self.stopped.is_set():
            if self.lease.try_acquire():
                log.info("took the scheduler lease as %s", self.lease.holder)
                return True
            holder = self._holder_line()
            if holder != said:
                # Once per holder, not once per retry: the log says who runs the jobs.
                log.info("another worker runs the scheduler (%s); waiting, trying again every %.0f s",
                         holder, self._retry_every)
                said = holder
            self.stopped.wait(self._retry_every)
        return False

    def _holder_line(self) -> str:
        try:
            current = self.lease.current()
        except Exception:  # noqa: BLE001
            return "holder unknown"
        if current is None:
            return "holder unknown"
        return (f"{current.holder}, since {current.acquired_at.isoformat(timespec='seconds')}, "
                f"renewed {current.renewed_at.isoformat(timespec='seconds')}")

    def _run_while_held(self) -> None:
        if self._on_acquired is not None:
            try:
                self._on_acquired()
            except Exception:
                log.exception("could not release the previous worker's in-flight claims")
        running = self._start()
        self.acquired.set()
        try:
            while not self.stopped.wait(self._renew_every):
                if not self.lease.renew():
                    log.error("lost the scheduler lease (%s); stopped ticking and delivering", self.lease.holder)
                    return
        finally:
            self.acquired.clear()
            running.shutdown(wait=False)


def gated(job: Callable[[], object], lease: Lease, name: str) -> Callable[[], None]:
    """The job runs only while the lease is held: a worker that lost it starts nothing more."""

    def run() -> None:
        if not lease.held():
            log.warning("not running %s: this worker does not hold the scheduler lease", name)
            return
        job()

    return run


__all__ = [
    "LEASE_SECONDS",
    "AdvisoryLease",
    "Lease",
    "LeaseHolder",
    "LeasedWorker",
    "RowLease",
    "default_holder",
    "gated",
    "make_lease",
]
