"""Matching, pair channels, 1:1 sessions and the timeline: constraints, proposals, publishing state, pauses, check-ins, RSVPs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:50:27.229819
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('match_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_match_proposal_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_proposal'))
    )
    with op.batch_alter_table('match_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_proposal_round_id'), ['round_id'], unique=False)

    op.create_table('match_constraint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lock', 'forbid', name='constraintkind', native_enum=False, length=32), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentee_id'], ['participant.id'], name=op.f('fk_match_constraint_mentee_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['participant.id'], name=op.f('fk_match_constraint_mentor_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_match_constraint_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_constraint')),
    sa.UniqueConstraint('round_id', 'mentor_id', 'mentee_id', name=op.f('uq_match_constraint_round_id_mentor_id_mentee_id'))
    )
    with op.batch_alter_table('match_constraint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_constraint_round_id'), ['round_id'], unique=False)

    op.create_table('meeting_rsvp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.Enum('yes', 'no', name='rsvpanswer', native_enum=False, length=32), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('attendance_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['shared_meeting.id'], name=op.f('fk_meeting_rsvp_meeting_id_shared_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_meeting_rsvp_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_rsvp')),
    sa.UniqueConstraint('meeting_id', 'participant_id', name=op.f('uq_meeting_rsvp_meeting_id_participant_id'))
    )
    with op.batch_alter_table('meeting_rsvp', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_rsvp_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_rsvp_participant_id'), ['participant_id'], unique=False)

    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Enum('met', 'planned', 'not_yet', 'help', name='checkinanswer', native_enum=False, length=32), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('planned_for', sa.Date(), nullable=True),
    sa.Column('ask_again_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['participant.id'], name=op.f('fk_checkin_answered_by_id_participant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_checkin_pair_id_pair'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin')),
    sa.UniqueConstraint('pair_id', 'window_start', name=op.f('uq_checkin_pair_id_window_start'))
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_pair_id'), ['pair_id'], unique=False)

    with op.batch_alter_table('mentoring_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_message_ts', sa.String(length=32), nullable=True))

    with op.batch_alter_table('pair', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('channel_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('channel_opened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('channel_archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('match_score', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('match_reasons', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('paused_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('pause_reason', sa.String(length=500), nullable=True))

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('pause_reason', sa.String(length=500), nullable=True))

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_weights', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('coordinators_join_pair_channels', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('coordinators_join_pair_channels')
        batch_op.drop_column('match_weights')

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('pause_reason')
        batch_op.drop_column('paused_until')

    with op.batch_alter_table('pair', schema=None) as batch_op:
        batch_op.drop_column('pause_reason')
        batch_op.drop_column('paused_until')
        batch_op.drop_column('match_reasons')
        batch_op.drop_column('match_score')
        batch_op.drop_column('channel_archived_at')
        batch_op.drop_column('channel_opened_at')
        batch_op.drop_column('channel_name')
        batch_op.drop_column('published_at')

    with op.batch_alter_table('mentoring_session', schema=None) as batch_op:
        batch_op.drop_column('channel_message_ts')

    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_pair_id'))

    op.drop_table('checkin')
    with op.batch_alter_table('meeting_rsvp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_rsvp_participant_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_rsvp_meeting_id'))

    op.drop_table('meeting_rsvp')
    with op.batch_alter_table('match_constraint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_constraint_round_id'))

    op.drop_table('match_constraint')
    with op.batch_alter_table('match_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_proposal_round_id'))

    op.drop_table('match_proposal')
