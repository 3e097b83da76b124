"""Engine, sessions and the unit of work.

One service call runs inside one unit of work: one transaction that either lands whole
or not at all, so nothing a user typed is ever half-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from typing import Any, TypeAlias

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///mentorbot.db"
#: Execution option a `read_only_unit_of_work` puts on its connection.
READ_ONLY = "mentorbot_read_only"


class DatabaseConfigError(Exception):
    """The database URL cannot be used; the message is one line a person can act on."""


def normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms hosts hand out and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    Statement parameters are names, emails and 1:1 notes: SQLAlchemy would print them in
    every database error it raises (and so in any log line that records the error), so
    they are left out (`hide_parameters`)."""
    kwargs.setdefault("hide_parameters", True)
    url = normalise_database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(f"DATABASE_URL {url!r} is not a database URL ({exc})") from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise DatabaseConfigError(
            f"DATABASE_URL uses {parsed.get_backend_name()!r}; mentorbot supports sqlite and postgresql"
        )
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
            _configure_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        else:
            engine = create_engine(url, pool_pre_ping=True, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseConfigError(f"DATABASE_URL {url!r} needs a driver that is not installed ({exc})") from None
    return engine


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy own BEGIN so that `BEGIN IMMEDIATE` below takes the write lock
        # up front instead of failing half-way through a transaction on a busy file.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only unit of work takes no write lock: in WAL mode its snapshot never waits
        # for a writer (BEGIN IMMEDIATE would, sleeping in SQLite's busy handler), and no
        # writer waits for it.
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def check_connection(engine: Engine) -> None:
    """Raise DatabaseConfigError with one readable line when the database does not answer."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any driver error means "cannot reach it"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseConfigError(f"cannot reach the database at {engine.url!r}: {reason}") from None


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block finishes, roll back on any exception."""
    session = session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def read_only_unit_of_work(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads (who is asking, on every request): on SQLite a deferred
    BEGIN instead of BEGIN IMMEDIATE, so it neither waits for nor holds up the transactions
    that write. It must not write: SQLite would refuse a write that finds another writer
    (`database is locked`) instead of waiting. PostgreSQL: an ordinary transaction."""
    with unit_of_work(session_factory) as session:
        session.connection(execution_options={READ_ONLY: True})
        yield session


#: Opens one transaction per call; leaving the `with` block ends it (commit, or roll back
#: on an exception). A job that calls Slack between steps is given one of these instead of
#: a session, so the caller decides where each step's work is committed.
Transactions: TypeAlias = Callable[[], AbstractContextManager[Session]]


def short_transactions(session_factory: sessionmaker[Session]) -> Transactions:
    """Each step in a unit of work of its own: what is done is on record before the next
    network call, and no lock is held while Slack answers (or doesn't)."""
    return partial(unit_of_work, session_factory)


def inside(session: Session) -> Transactions:
    """Every step in the caller's one open transaction, which the caller ends (tests that
    look at objects between steps; nothing here commits)."""
    return lambda: nullcontext(session)


@contextmanager
def _savepoint(session: Session) -> Iterator[Session]:
    with session.begin_nested():
        yield session


def rows_affected(result: Result[Any]) -> int:
    """How many rows an INSERT/UPDATE/DELETE touched. Session.execute is typed to return a
    plain Result, but a DML statement always yields a CursorResult, which counts them; a
    driver that cannot tell (-1) counts as none."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} is not the result of an INSERT, UPDATE or DELETE")
    return max(result.rowcount, 0)


def savepoints(session: Session) -> Transactions:
    """Each step a savepoint inside the caller's transaction: a failing step undoes only its
    own work, and the caller may still roll everything back (a dry run)."""
    return partial(_savepoint, session)
