"""Shared fixtures: a migrated database per test, on SQLite or (TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Base

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'PostgreSQL at ' + TEST_DATABASE_URL if TEST_DATABASE_URL else 'SQLite files'}"


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrating once and copying the file keeps per-test databases cheap."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_engine() -> Iterator[Engine | None]:
    if not TEST_DATABASE_URL:
        yield None
        return
    engine = make_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(tmp_path: Path, _migrated_sqlite_template: Path, _postgres_engine: Engine | None) -> Iterator[Engine]:
    if _postgres_engine is not None:
        yield _postgres_engine
        tables = ", ".join(f'"{table.name}"' for table in reversed(Base.metadata.sorted_tables))
        with _postgres_engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        return
    path = tmp_path / "test.db"
    shutil.copyfile(_migrated_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2027, 2, 1, 9, 0, tzinfo=timezone.utc))
