"""Reliability and data protection (issue 12).

- `worker_lease`: one scheduler at a time (a lease row on SQLite; on PostgreSQL an advisory
  lock, the row saying who holds it);
- `workspace_status`: a workspace that uninstalled the app or revoked its tokens gets no
  more calls until it is installed again;
- `outbox_message.outcome_unknown` (look the message up before sending it again) and
  `outbox_message.trimmed_at` (a sent row's texts dropped, its key kept), with the partial
  index `ix_outbox_message_untrimmed` by which the retention trim finds finished rows not
  yet trimmed;
- `participant.erased_at`, `round.personal_data_erased_at` and
  `programme.retention_months` (default 12, 1..120): erasure on request and by retention.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Written out, not imported from storage.models: a migration keeps the schema of its day.
UNTRIMMED = "trimmed_at IS NULL AND state IN ('sent', 'failed', 'cancelled')"


def upgrade() -> None:
    op.create_table('worker_lease',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('renewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_lease'))
    )
    op.create_table('workspace_status',
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('sending_stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stopped_because', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_workspace_status'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_unknown', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('trimmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_message_untrimmed', ['state', 'not_before'], unique=False,
                              sqlite_where=sa.text(UNTRIMMED), postgresql_where=sa.text(UNTRIMMED))
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal_data_erased_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=False, server_default='12'))
        batch_op.create_check_constraint(
            op.f('ck_programme_retention_in_range'), 'retention_months >= 1 AND retention_months <= 120'
        )


def downgrade() -> None:
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_programme_retention_in_range'), type_='check')
        batch_op.drop_column('retention_months')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('personal_data_erased_at')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_untrimmed')
        batch_op.drop_column('trimmed_at')
        batch_op.drop_column('outcome_unknown')
    op.drop_table('workspace_status')
    op.drop_table('worker_lease')
