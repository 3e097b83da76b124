"""Surveys, outcomes and success criteria (issue 10).

- `criterion`: a programme's success criteria (what is rated, by whom, in which survey,
  the target as a share in [0, 1]);
- `survey`, `survey_invitation`, `survey_answer`: one answer per person and question (a
  second answer replaces the first), at most two reminders per invitation;
- `disclosure`: the aggregates already shown to coordinators, which the anonymity rule
  compares every new view with;
- `outcome` (one per mentee, the latest report winning) and `follow_up` (the 6-month DM,
  one reminder);
- `participant.partner_company`, `programme.min_answers_shown` (never below 3),
  `round.pulse_every_days`; the participant role gains `company_contact`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('criterion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('measure', sa.Enum('agree', 'recommend', 'employed', name='criterionmeasure', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('surveys', sa.JSON(), nullable=False),
    sa.Column('target', sa.Double(), nullable=False),
    sa.Column('statement_en', sa.Text(), nullable=False),
    sa.Column('statement_da', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('target >= 0 AND target <= 1', name=op.f('ck_criterion_target_is_a_share')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_criterion_programme_id_programme'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criterion')),
    sa.UniqueConstraint('programme_id', 'key', name=op.f('uq_criterion_programme_id_key'))
    )
    with op.batch_alter_table('criterion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criterion_programme_id'), ['programme_id'], unique=False)

    op.create_table('disclosure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('cell', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('contributions', sa.JSON(), nullable=False),
    sa.Column('shown_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_disclosure_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosure')),
    sa.UniqueConstraint('cell', 'fingerprint', name=op.f('uq_disclosure_cell_fingerprint'))
    )
    with op.batch_alter_table('disclosure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disclosure_cell'), ['cell'], unique=False)
        batch_op.create_index(batch_op.f('ix_disclosure_round_id'), ['round_id'], unique=False)

    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('pulse', 'midway', 'final', 'company', name='surveykind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_survey_closes_after_opening')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_survey_number_positive')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_survey_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey')),
    sa.UniqueConstraint('round_id', 'kind', 'number', name=op.f('uq_survey_round_id_kind_number'))
    )
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_round_id'), ['round_id'], unique=False)

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('reminders_sent >= 0 AND reminders_sent <= 1', name=op.f('ck_follow_up_at_most_one_reminder')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_follow_up_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_follow_up_participant_id'))
    )
    op.create_table('outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('employed', 'internship', 'own_company', 'education', 'looking', 'other', name='outcomestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('network_helped', sa.Boolean(), nullable=True),
    sa.Column('source', sa.Enum('follow_up', 'self', 'coordinator', name='outcomesource', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_outcome_participant_id_participant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_outcome_participant_id'))
    )
    op.create_table('survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('value IS NOT NULL OR text IS NOT NULL', name=op.f('ck_survey_answer_value_or_text')),
    sa.CheckConstraint('value IS NULL OR (value >= 1 AND value <= 5)', name=op.f('ck_survey_answer_value_on_the_scale')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_survey_answer_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_answer_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer')),
    sa.UniqueConstraint('survey_id', 'participant_id', 'question', name=op.f('uq_survey_answer_survey_id_participant_id_question'))
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answer_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('reminders_sent >= 0 AND reminders_sent <= 2', name=op.f('ck_survey_invitation_at_most_two_reminders')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_survey_invitation_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_invitation_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invitation')),
    sa.UniqueConstraint('survey_id', 'participant_id', name=op.f('uq_survey_invitation_survey_id_participant_id'))
    )
    with op.batch_alter_table('survey_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_invitation_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_invitation_survey_id'), ['survey_id'], unique=False)

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_company', sa.String(length=200), nullable=True))
        batch_op.drop_constraint(op.f('ck_participant_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_participant_role'), "role IN ('mentor', 'mentee', 'coordinator', 'company_contact')")

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_answers_shown', sa.Integer(), nullable=False, server_default='5'))
        batch_op.create_check_constraint(op.f('ck_programme_anonymity_threshold_at_least_3'), 'min_answers_shown >= 3')

    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pulse_every_days', sa.Integer(), nullable=False, server_default='21'))
        batch_op.create_check_constraint(op.f('ck_round_pulse_positive'), 'pulse_every_days > 0')



def downgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_round_pulse_positive'), type_='check')
        batch_op.drop_column('pulse_every_days')

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_programme_anonymity_threshold_at_least_3'), type_='check')
        batch_op.drop_column('min_answers_shown')

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_participant_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_participant_role'), "role IN ('mentor', 'mentee', 'coordinator')")
        batch_op.drop_column('partner_company')

    with op.batch_alter_table('survey_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_invitation_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_invitation_participant_id'))

    op.drop_table('survey_invitation')
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answer_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_answer_participant_id'))

    op.drop_table('survey_answer')
    op.drop_table('outcome')
    op.drop_table('follow_up')
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_round_id'))

    op.drop_table('survey')
    with op.batch_alter_table('disclosure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosure_round_id'))
        batch_op.drop_index(batch_op.f('ix_disclosure_cell'))

    op.drop_table('disclosure')
    with op.batch_alter_table('criterion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criterion_programme_id'))

    op.drop_table('criterion')
