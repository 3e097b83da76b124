"""Baseline: the whole schema in one step (no release had shipped, so 0001-0003 were folded).

Besides the tables, the database holds the invariants the services rely on:

- One live pair per mentee per round: a partial unique index on (round_id, mentee_id)
  over pairs that are published and not ended. Drafts (unpublished pairs from the
  workbook's Pairs sheet) are left out on purpose: a re-import or a published proposal
  replaces a mentee's draft by deleting one row and adding another in one flush, and the
  workbook already refuses a mentee twice. A paused pair is still live: it resumes.
- A Slack channel belongs to one pair (NULLs, pairs without a channel yet, never collide).
- Every enum column carries a CHECK of its values; counts, capacities and durations a
  CHECK of their range; a pair and a match constraint name two different people.
- An outbox row withdrawn before it was sent is `cancelled` with a `cancel_reason`, which
  it has exactly when cancelled; `failed` means Slack refused it.

The same predicate and constraints are declared in storage/models.py; tests compare the
migrated schema with the models on SQLite and PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# As storage.models.LIVE_PAIR_SQL at the time of writing (a migration never imports models).
LIVE_PAIR = "status IN ('active', 'paused') AND published_at IS NOT NULL"


def upgrade() -> None:
    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('pending', 'sending', 'sent', 'failed', 'cancelled', name='outboxstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(state = 'cancelled') = (cancel_reason IS NOT NULL)", name=op.f('ck_outbox_message_cancel_reason_iff_cancelled')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_message_attempts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_outbox_message_dedup_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_due', ['state', 'not_before'], unique=False)

    op.create_table('processed_event',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_event'))
    )
    with op.batch_alter_table('processed_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_event_received_at'), ['received_at'], unique=False)

    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('default_language', sa.String(length=8), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('coordinator_channel', sa.String(length=100), nullable=True),
    sa.Column('match_weights', sa.JSON(), nullable=True),
    sa.Column('coordinators_join_pair_channels', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme')),
    sa.UniqueConstraint('name', name=op.f('uq_programme_name'))
    )
    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('session_every_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_round_ends_after_start')),
    sa.CheckConstraint('session_every_days > 0', name=op.f('ck_round_cadence_positive')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_round_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round')),
    sa.UniqueConstraint('programme_id', 'name', name=op.f('uq_round_programme_id_name'))
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_programme_id'), ['programme_id'], unique=False)

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

    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('mentor', 'mentee', 'coordinator', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('field', sa.String(length=200), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('interests', sa.JSON(), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('home_country', sa.String(length=100), nullable=True),
    sa.Column('max_mentees', sa.Integer(), nullable=False),
    sa.Column('years_experience', sa.Integer(), nullable=True),
    sa.Column('goals', sa.Text(), nullable=True),
    sa.Column('expertise', sa.Text(), nullable=True),
    sa.Column('availability', sa.Text(), nullable=True),
    sa.Column('timezone_confirmed', sa.Boolean(), nullable=False),
    sa.Column('slack_missing_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('slack_lookup_attempts', sa.Integer(), nullable=False),
    sa.Column('welcome_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('profile_completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('onboarding_reminders_sent', sa.Integer(), nullable=False),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('pause_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_mentees >= 0', name=op.f('ck_participant_capacity_not_negative')),
    sa.CheckConstraint('slack_lookup_attempts >= 0 AND onboarding_reminders_sent >= 0', name=op.f('ck_participant_counts_not_negative')),
    sa.CheckConstraint('years_experience >= 0', name=op.f('ck_participant_years_not_negative')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_participant_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant')),
    sa.UniqueConstraint('round_id', 'email', name=op.f('uq_participant_round_id_email'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_round_id'), ['round_id'], unique=False)
        batch_op.create_index('ix_participant_slack_user_id', ['slack_user_id'], unique=False)

    op.create_table('shared_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('mentor_course', 'cv_workshop', 'kick_off', 'midway', 'interview_workshop', 'closing', 'other', name='meetingkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=500), nullable=True),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_shared_meeting_duration_positive')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_shared_meeting_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_meeting')),
    sa.UniqueConstraint('round_id', 'kind', 'title', name=op.f('uq_shared_meeting_round_id_kind_title'))
    )
    with op.batch_alter_table('shared_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_meeting_round_id'), ['round_id'], unique=False)

    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('coordination', 'evaluation', 'follow_up', name='consentpurpose', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('granted', sa.Boolean(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_consent_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent')),
    sa.UniqueConstraint('participant_id', 'purpose', name=op.f('uq_consent_participant_id_purpose'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_participant_id'), ['participant_id'], unique=False)

    op.create_table('match_constraint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lock', 'forbid', 'allow', name='constraintkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('mentor_id <> mentee_id', name=op.f('ck_match_constraint_two_people')),
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
    sa.Column('answer', sa.Enum('yes', 'no', name='rsvpanswer', native_enum=False, create_constraint=True, length=32), nullable=True),
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

    op.create_table('pair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'ended', name='pairstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('slack_channel_id', sa.String(length=32), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel_name', sa.String(length=80), nullable=True),
    sa.Column('channel_opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel_archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('match_score', sa.Double(), nullable=True),
    sa.Column('match_reasons', sa.JSON(), nullable=True),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('pause_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=32), nullable=True),
    sa.CheckConstraint('mentor_id <> mentee_id', name=op.f('ck_pair_two_people')),
    sa.ForeignKeyConstraint(['mentee_id'], ['participant.id'], name=op.f('fk_pair_mentee_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentor_id'], ['participant.id'], name=op.f('fk_pair_mentor_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_pair_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pair')),
    sa.UniqueConstraint('round_id', 'mentor_id', 'mentee_id', name=op.f('uq_pair_round_id_mentor_id_mentee_id')),
    sa.UniqueConstraint('slack_channel_id', name=op.f('uq_pair_slack_channel_id'))
    )
    with op.batch_alter_table('pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pair_mentee_id'), ['mentee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pair_mentor_id'), ['mentor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pair_round_id'), ['round_id'], unique=False)
        batch_op.create_index('uq_pair_one_live_pair_per_mentee', ['round_id', 'mentee_id'], unique=True,
                              sqlite_where=sa.text(LIVE_PAIR), postgresql_where=sa.text(LIVE_PAIR))

    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Enum('met', 'planned', 'not_yet', 'help', name='checkinanswer', native_enum=False, create_constraint=True, length=32), nullable=True),
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

    op.create_table('mentoring_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pair_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('introductions_made', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('logged_by_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('channel_message_ts', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_mentoring_session_duration_positive')),
    sa.CheckConstraint('introductions_made >= 0', name=op.f('ck_mentoring_session_introductions_not_negative')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['participant.id'], name=op.f('fk_mentoring_session_confirmed_by_id_participant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['logged_by_id'], ['participant.id'], name=op.f('fk_mentoring_session_logged_by_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pair_id'], ['pair.id'], name=op.f('fk_mentoring_session_pair_id_pair'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_session'))
    )
    with op.batch_alter_table('mentoring_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_session_pair_id'), ['pair_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mentoring_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentoring_session_pair_id'))

    op.drop_table('mentoring_session')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_pair_id'))

    op.drop_table('checkin')
    with op.batch_alter_table('pair', schema=None) as batch_op:
        batch_op.drop_index('uq_pair_one_live_pair_per_mentee')
        batch_op.drop_index(batch_op.f('ix_pair_round_id'))
        batch_op.drop_index(batch_op.f('ix_pair_mentor_id'))
        batch_op.drop_index(batch_op.f('ix_pair_mentee_id'))

    op.drop_table('pair')
    with op.batch_alter_table('meeting_rsvp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_rsvp_participant_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_rsvp_meeting_id'))

    op.drop_table('meeting_rsvp')
    with op.batch_alter_table('match_constraint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_constraint_round_id'))

    op.drop_table('match_constraint')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_participant_id'))

    op.drop_table('consent')
    with op.batch_alter_table('shared_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_meeting_round_id'))

    op.drop_table('shared_meeting')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_slack_user_id')
        batch_op.drop_index(batch_op.f('ix_participant_round_id'))

    op.drop_table('participant')
    with op.batch_alter_table('match_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_proposal_round_id'))

    op.drop_table('match_proposal')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_programme_id'))

    op.drop_table('round')
    op.drop_table('programme')
    with op.batch_alter_table('processed_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_event_received_at'))

    op.drop_table('processed_event')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_due')

    op.drop_table('outbox_message')
