"""Alembic environment: reuses the engine the caller built (WAL, pragmas, pooling)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("alembic needs a connection: pass attributes['engine'] or set sqlalchemy.url")
        engine = create_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, enforced=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                # SQLite's DDL is not transactional for Alembic: each migration committed its
                # own; what is open now is only reads (the version table, the check).
                if connection.in_transaction():
                    connection.rollback()
                _foreign_keys(connection, enforced=True)


def _foreign_keys(connection: Connection, *, enforced: bool) -> None:
    """SQLite changes a table by copying it and dropping the old one (Alembic's batch mode),
    and with foreign keys enforced that DROP deletes the rows first, cascading: upgrading a
    database with data through a migration that rebuilt `programme` deleted every round.
    SQLite's own procedure for schema changes turns enforcement off around them; the pragma
    is a no-op inside a transaction, so it goes to the driver before SQLAlchemy begins one."""
    dbapi = connection.connection.dbapi_connection
    if dbapi is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("no DBAPI connection to set foreign_keys on")
    dbapi.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


def _check_foreign_keys(connection: Connection) -> None:
    """What enforcement would have refused, checked once at the end (before the commit)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
