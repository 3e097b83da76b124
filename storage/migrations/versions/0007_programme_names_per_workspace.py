"""Programme names are a workspace's own (issue 13).

`programme.name` was unique across the deployment, so a workspace naming its programme
like another workspace's was refused, and learned that the name was taken elsewhere. Now
(team_id, name) is unique: two cities may both run "Mentoring".

On SQLite the table is rebuilt (batch mode), which drops its triggers (migration 0006's
nudge_change triggers); they are read before and made again after, as they were.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


@contextmanager
def _programme_triggers_kept() -> Iterator[None]:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    triggers = [row[0] for row in bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'programme' ORDER BY name"))]
    yield
    present = {row[0] for row in bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'programme'"))}
    for statement in triggers:
        if statement not in present:
            op.execute(statement)


def upgrade() -> None:
    with _programme_triggers_kept(), op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_constraint('uq_programme_name', type_='unique')
        batch_op.create_unique_constraint('uq_programme_team_id_name', ['team_id', 'name'])


def downgrade() -> None:
    with _programme_triggers_kept(), op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_constraint('uq_programme_team_id_name', type_='unique')
        batch_op.create_unique_constraint('uq_programme_name', ['name'])
