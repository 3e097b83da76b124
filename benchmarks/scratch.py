"""A fresh, migrated database for one benchmark run, shared by every benchmark."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from storage.db import make_engine, normalise_database_url
from storage.migrate import upgrade_to_head


@contextmanager
def scratch_database(url: str | None, *, schema: str) -> Iterator[Engine]:
    """A temporary SQLite file, or on PostgreSQL a schema of its own (`schema`), dropped
    afterwards, so a benchmark never touches the tables of the database it is pointed at."""
    if url is None or normalise_database_url(url).startswith("sqlite"):
        with tempfile.TemporaryDirectory() as scratch:
            engine = make_engine(url or f"sqlite:///{scratch}/bench.db")
            upgrade_to_head(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url, connect_args={"options": f"-c search_path={schema}"})
    try:
        upgrade_to_head(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
