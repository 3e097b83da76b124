"""Onboarding: profile fields, consent per purpose, onboarding milestones, meetings keyed by kind and title.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:14:46.342512
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('coordination', 'evaluation', 'follow_up', name='consentpurpose', native_enum=False, length=32), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_consent_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent')),
    sa.UniqueConstraint('participant_id', 'purpose', name=op.f('uq_consent_participant_id_purpose'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_participant_id'), ['participant_id'], unique=False)

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('languages', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('interests', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('company', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('home_country', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('max_mentees', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('years_experience', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('goals', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('expertise', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('availability', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('timezone_confirmed', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('slack_missing_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('slack_lookup_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('welcome_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('profile_completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('onboarding_reminders_sent', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('consent_declined_at')
        batch_op.drop_column('consent_given_at')

    with op.batch_alter_table('shared_meeting', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_shared_meeting_round_id_kind_title'), ['round_id', 'kind', 'title'])


def downgrade() -> None:
    with op.batch_alter_table('shared_meeting', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shared_meeting_round_id_kind_title'), type_='unique')

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_given_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consent_declined_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('onboarding_reminders_sent')
        batch_op.drop_column('profile_completed_at')
        batch_op.drop_column('opted_out_at')
        batch_op.drop_column('consented_at')
        batch_op.drop_column('welcome_sent_at')
        batch_op.drop_column('slack_lookup_attempts')
        batch_op.drop_column('slack_missing_since')
        batch_op.drop_column('timezone_confirmed')
        batch_op.drop_column('availability')
        batch_op.drop_column('expertise')
        batch_op.drop_column('goals')
        batch_op.drop_column('years_experience')
        batch_op.drop_column('max_mentees')
        batch_op.drop_column('home_country')
        batch_op.drop_column('company')
        batch_op.drop_column('interests')
        batch_op.drop_column('languages')
        batch_op.drop_column('field')

    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_participant_id'))

    op.drop_table('consent')
