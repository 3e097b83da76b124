"""Alembic, driven from code so `mentorbot db upgrade` works from an installed wheel."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSIONS_DIR = MIGRATIONS_DIR / "versions"

# `revision = '0004'` / `down_revision = '0003'` (or None) at the top of each migration file.
_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)\s*$", re.MULTILINE)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


@cache
def head_revisions() -> frozenset[str]:
    """The newest migration(s), read from the version files' `revision`/`down_revision` lines.

    Alembic answers the same question but costs ~9 MiB resident once imported (its script
    directory pulls in mako and pygments), which a web process would then carry for its
    whole life only to learn that there is nothing to do. A file this cannot read makes
    the set differ from the database's, so the full Alembic upgrade runs: never a skip."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(VERSIONS_DIR.glob("*.py")):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found:
            return frozenset()
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    return frozenset(revisions - parents)


def at_head(engine: Engine) -> bool:
    """True when the database already carries exactly the newest migration(s)."""
    heads = head_revisions()
    if not heads:
        return False
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        stamped = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    return stamped == heads


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is already there, decided
    without importing Alembic (see `head_revisions`)."""
    if at_head(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
