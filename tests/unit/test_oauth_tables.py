"""The OAuth tables Alembic owns are the ones slack_sdk's SQLAlchemy stores read and write.

storage/models.py declares them (so migrations and the schema checks cover them) instead of
letting the stores create their own; a slack_sdk upgrade that changes a column would make
installs fail at run time, so this compares the two column by column."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from storage.models import Base


def _columns(table: sa.Table) -> dict[str, tuple[str, bool]]:
    return {column.name: (repr(column.type), bool(column.nullable)) for column in table.columns}


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("slack_installations", lambda md: SQLAlchemyInstallationStore.build_installations_table(md, "slack_installations")),
        ("slack_bots", lambda md: SQLAlchemyInstallationStore.build_bots_table(md, "slack_bots")),
        ("slack_oauth_states", lambda md: SQLAlchemyOAuthStateStore.build_oauth_states_table(md, "slack_oauth_states")),
    ],
)
def test_our_oauth_tables_match_slack_sdks(name: str, build: object) -> None:
    theirs = build(sa.MetaData())  # type: ignore[operator]
    ours = Base.metadata.tables[name]
    assert _columns(ours) == _columns(theirs)
    assert {index.name: [c.name for c in index.columns] for index in ours.indexes} == {
        index.name: [c.name for c in index.columns] for index in theirs.indexes
    }
