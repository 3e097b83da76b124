"""The coordinators' weekly digest (issue 11).

- `round.digest_weekday` (0 = Monday .. 6 = Sunday, default Monday) and `round.digest_hour`
  (0..23, default 9), in the programme's time zone;
- `digest_handled`: a digest action marked handled, with the fingerprint of the state it
  was handled in (the action returns when that state changes).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('digest_handled',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('handled_by', sa.String(length=32), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_digest_handled_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_handled')),
    sa.UniqueConstraint('round_id', 'key', 'fingerprint', name=op.f('uq_digest_handled_round_id_key_fingerprint'))
    )
    with op.batch_alter_table('digest_handled', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_handled_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_weekday', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('digest_hour', sa.Integer(), nullable=False, server_default='9'))
        batch_op.create_check_constraint(op.f('ck_round_digest_weekday_in_week'), 'digest_weekday >= 0 AND digest_weekday <= 6')
        batch_op.create_check_constraint(op.f('ck_round_digest_hour_in_day'), 'digest_hour >= 0 AND digest_hour <= 23')


def downgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_round_digest_hour_in_day'), type_='check')
        batch_op.drop_constraint(op.f('ck_round_digest_weekday_in_week'), type_='check')
        batch_op.drop_column('digest_hour')
        batch_op.drop_column('digest_weekday')

    with op.batch_alter_table('digest_handled', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_handled_round_id'))

    op.drop_table('digest_handled')
