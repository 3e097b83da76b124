"""The tick asks only rounds with something due (issue 13).

- `nudge_mark`: per nudge job and round, the instant the job next has anything to do there
  (NULL: nothing until something changes; no row: look now). Written only by the tick.
- `nudge_change`: an append-only list of rounds whose nudge inputs changed. Database
  triggers write it whenever a row the nudge jobs read is inserted, changed or deleted
  (sessions, check-in answers, pairs, participants, round dates and cadences, the
  programme's zone, meetings, RSVPs, the pulse cadence), so no writer in the code has to
  remember to; the
  tick turns it into "look at this round now" by deleting that round's marks.

- Indexes on `pair.paused_until` and `participant.paused_until`: the pause-endings job
  asks every minute for pauses that just ended.

Writers only ever INSERT into `nudge_change`: they take no lock on a row the tick writes,
so they cannot deadlock with it, and a change that commits while the tick is working stays
in the list for the next tick (the tick deletes exactly the rows it read, with RETURNING).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Per table: the rounds a row belongs to, as a SELECT over the trigger's row (ROW is NEW or
# OLD), the columns whose change matters to a nudge job, and a condition for inserts.
# Written out here, not imported: a migration keeps the schema of its day.
_WATCHED: dict[str, tuple[str, str, str | None]] = {
    "mentoring_session": ("SELECT round_id FROM pair WHERE id = ROW.pair_id", "pair_id, held_on", None),
    # The tick's own check-ins are inserted unanswered and re-asked by asked_at and
    # ask_again_on alone, so it does not wake itself; answers do.
    "checkin": ("SELECT round_id FROM pair WHERE id = ROW.pair_id",
                "pair_id, window_start, answer, answered_by_id, answered_at, planned_for", "NEW.answer IS NOT NULL"),
    "pair": ("SELECT ROW.round_id",
             "round_id, mentor_id, mentee_id, status, published_at, slack_channel_id, channel_opened_at, "
             "channel_archived_at, paused_until", None),
    "participant": ("SELECT ROW.round_id",
                    "round_id, role, slack_user_id, timezone, consented_at, opted_out_at, paused_until", None),
    "round": ("SELECT ROW.id", "programme_id, starts_on, ends_on, session_every_days, pulse_every_days", None),
    "programme": ("SELECT id FROM \"round\" WHERE programme_id = ROW.id", "timezone", None),
    "shared_meeting": ("SELECT ROW.round_id", "round_id, kind, starts_at, duration_minutes", None),
    "meeting_rsvp": ("SELECT round_id FROM shared_meeting WHERE id = ROW.meeting_id", "meeting_id, participant_id, answer",
                     None),
}
# Rounds and programmes are new with no marks, so only their changes and deletions count.
_NO_INSERT = {"round", "programme"}


def _quoted(table: str) -> str:
    return f'"{table}"'


def _sqlite_triggers(table: str) -> list[str]:
    rounds, columns, insert_when = _WATCHED[table]
    insert = "INSERT INTO nudge_change (round_id) "
    new, old = rounds.replace("ROW.", "NEW."), rounds.replace("ROW.", "OLD.")
    statements = []
    if table not in _NO_INSERT:
        when = f" WHEN {insert_when}" if insert_when else ""
        statements.append(f"CREATE TRIGGER nudge_change_{table}_ins AFTER INSERT ON {_quoted(table)}{when} "
                          f"BEGIN {insert}{new}; END")
    statements.append(f"CREATE TRIGGER nudge_change_{table}_upd AFTER UPDATE OF {columns} ON {_quoted(table)} "
                      f"BEGIN {insert}{old}; {insert}{new}; END")
    statements.append(f"CREATE TRIGGER nudge_change_{table}_del AFTER DELETE ON {_quoted(table)} "
                      f"BEGIN {insert}{old}; END")
    return statements


def _postgresql_triggers(table: str) -> list[str]:
    rounds, columns, insert_when = _WATCHED[table]
    insert = "INSERT INTO nudge_change (round_id) "
    new, old = rounds.replace("ROW.", "NEW."), rounds.replace("ROW.", "OLD.")
    statements = [
        f"CREATE FUNCTION nudge_change_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n"
        f"  IF TG_OP <> 'INSERT' THEN {insert}{old}; END IF;\n"
        f"  IF TG_OP <> 'DELETE' THEN {insert}{new}; END IF;\n"
        f"  RETURN NULL;\n"
        f"END $$",
    ]
    if table not in _NO_INSERT:
        when = f" WHEN ({insert_when})" if insert_when else ""
        statements.append(f"CREATE TRIGGER nudge_change_{table}_ins AFTER INSERT ON {_quoted(table)} FOR EACH ROW{when} "
                          f"EXECUTE FUNCTION nudge_change_{table}()")
    statements.append(f"CREATE TRIGGER nudge_change_{table}_upd AFTER UPDATE OF {columns} ON {_quoted(table)} "
                      f"FOR EACH ROW EXECUTE FUNCTION nudge_change_{table}()")
    statements.append(f"CREATE TRIGGER nudge_change_{table}_del AFTER DELETE ON {_quoted(table)} "
                      f"FOR EACH ROW EXECUTE FUNCTION nudge_change_{table}()")
    return statements


def upgrade() -> None:
    op.create_table('nudge_change',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nudge_change'))
    )
    op.create_table('nudge_mark',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_nudge_mark_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job', 'round_id', name=op.f('pk_nudge_mark'))
    )
    op.create_index('ix_nudge_mark_round_id', 'nudge_mark', ['round_id'], unique=False)
    # The pause-endings job looks every minute for pauses that just ended.
    op.create_index('ix_pair_paused_until', 'pair', ['paused_until'], unique=False)
    op.create_index('ix_participant_paused_until', 'participant', ['paused_until'], unique=False)
    build = _postgresql_triggers if op.get_bind().dialect.name == "postgresql" else _sqlite_triggers
    for table in _WATCHED:
        for statement in build(table):
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in _WATCHED:
        for event in ("ins", "upd", "del"):
            if event == "ins" and table in _NO_INSERT:
                continue
            on = f" ON {_quoted(table)}" if postgresql else ""
            op.execute(f"DROP TRIGGER IF EXISTS nudge_change_{table}_{event}{on}")
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS nudge_change_{table}()")
    op.drop_index('ix_participant_paused_until', table_name='participant')
    op.drop_index('ix_pair_paused_until', table_name='pair')
    op.drop_index('ix_nudge_mark_round_id', table_name='nudge_mark')
    op.drop_table('nudge_mark')
    op.drop_table('nudge_change')
