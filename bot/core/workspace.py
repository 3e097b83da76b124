"""Which Slack workspace a row, a request or a job belongs to, and whether the bot may send
there at all.

`Workspace` is the one scope rule: a programme's `team_id` roots a workspace's rows, and a
request or job reads only its workspace's (token mode's one workspace also owns rows made
before it learned its team id, until `adopt_unassigned` gives them that id at start-up).

After `app_uninstalled`, `tokens_revoked` (for the bot's token) or a Web API answer saying
the bot's own token is dead (`invalid_auth`, `token_revoked`, `account_inactive`), every
call would fail, and Slack asks apps to stop calling: the workspace's `workspace_status`
row records when and why sending stopped. While it is stopped the outbox deliverer claims
none of its rows (they stay pending, not failed, and go out once the app is back) and tick
jobs that call Slack there skip.

It is cleared when the app is installed again: the worker asks `auth.test` every few
minutes while stopped (in OAuth mode per stopped workspace, with its installation's token;
a workspace without one waits for its reinstall, whose callback clears it), and any signed
request from the team (a command or an event only arrives while installed) clears it too.

Token mode: the bot holds one token, so "stopped" is read across every row; the team is
recorded as `UNKNOWN_TEAM` when the answer that stopped it did not name one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.db import rows_affected
from storage.models import OutboxMessage, Programme, Round, WorkspaceStatus

UNINSTALLED = "app_uninstalled"
TOKENS_REVOKED = "tokens_revoked"
# Answers that mean the bot's own token no longer works (not that one call was refused).
TOKEN_DEAD_ERRORS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "token_expired"})
UNKNOWN_TEAM = "unknown"


# A programme (or outbox row) whose workspace is not known yet: made by the CLI in token mode
# before the bot learned its team from auth.test. Token mode adopts them at start-up.
UNASSIGNED = ""


@dataclass(frozen=True, kw_only=True)
class Workspace:
    """The Slack workspace a request or a job is about: the one rule for what it may see.

    Every row hanging off a programme belongs to the programme's workspace; a request from
    a workspace reads and changes only those rows (`programmes()` / `rounds()`). In
    single-workspace token mode the one workspace also owns rows whose team is not known
    yet (`owns_unassigned`); with OAuth every workspace sees only its own."""

    team_id: str
    owns_unassigned: bool = False

    @classmethod
    def single(cls, team_id: str | None = None) -> Workspace:
        """Token mode: the bot's one workspace (its id, when known, from auth.test)."""
        return cls(team_id=(team_id or UNASSIGNED)[:32], owns_unassigned=True)

    def team_ids(self) -> list[str]:
        return [self.team_id, UNASSIGNED] if self.owns_unassigned and self.team_id != UNASSIGNED else [self.team_id]

    def programmes(self) -> ColumnElement[bool]:
        """WHERE clause: the programme is this workspace's."""
        return Programme.team_id.in_(self.team_ids())

    def rounds(self) -> Select[int]:
        """The ids of this workspace's rounds, as a subquery for `Round.id.in_(...)` or
        `Participant.round_id.in_(...)`."""
        return select(Round.id).join(Programme, Programme.id == Round.programme_id).where(self.programmes())

    def outbox(self) -> ColumnElement[bool]:
        """WHERE clause: the outbox row is sent with this workspace's token (to its people and
        channels). A Slack id names someone else in another workspace, so rows are never
        picked by their target alone."""
        return OutboxMessage.team_id.in_(self.team_ids())

    def owns_row(self, team_id: str) -> bool:
        return team_id in self.team_ids()

    def owns_round(self, session: Session, round_id: int | None) -> bool:
        """The round is this workspace's: an id from a button or a form may name any row,
        so a listener acting on one it did not find through this workspace checks it."""
        if round_id is None:
            return False
        team = session.scalar(
            select(Programme.team_id).join(Round, Round.programme_id == Programme.id).where(Round.id == round_id))
        return team is not None and self.owns_row(team)


def adopt_unassigned(session: Session, *, team_id: str) -> int:
    """Token mode learned its workspace (auth.test): rows made before that are its own.
    Idempotent; returns how many programmes were adopted."""
    if not team_id:
        return 0
    adopted = session.execute(
        update(Programme).where(Programme.team_id == UNASSIGNED).values(team_id=team_id[:32])
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OutboxMessage).where(OutboxMessage.team_id == UNASSIGNED).values(team_id=team_id[:32])
        .execution_options(synchronize_session=False)
    )
    return rows_affected(adopted)


@dataclass(frozen=True, kw_only=True)
class Stopped:
    team_id: str
    since: datetime
    because: str


def stop_sending(session: Session, *, team_id: str | None, because: str, now: datetime) -> bool:
    """Record that nothing may be sent to this workspace; True when it was not stopped before.

    A second reason (tokens_revoked after app_uninstalled) keeps the first time and reason:
    the stop is one event for whoever reads it."""
    team = (team_id or UNKNOWN_TEAM)[:32]
    values = {"sending_stopped_at": now, "stopped_because": because[:32], "updated_at": now}
    dialect = session.get_bind().dialect.name
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Two answers at once (the event and a refused call) both land: one inserts, one finds it.
    # RETURNING: psycopg reports no row count for an INSERT ... ON CONFLICT DO NOTHING.
    inserted = session.scalar(
        insert_(WorkspaceStatus).values(team_id=team, **values).on_conflict_do_nothing(index_elements=["team_id"])
        .returning(WorkspaceStatus.team_id)
    )
    if inserted is not None:
        return True
    stopped = session.execute(
        update(WorkspaceStatus)
        .where(WorkspaceStatus.team_id == team, WorkspaceStatus.sending_stopped_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rows_affected(stopped) > 0


def resume_sending(session: Session, *, now: datetime, team_id: str | None = None) -> int:
    """The app is installed again (its token works, or the team sent a signed request):
    sending resumes. Without `team_id`, every stopped row is cleared (the one token works, so
    the stop recorded under `UNKNOWN_TEAM` is over too). Returns how many rows were cleared."""
    statement = update(WorkspaceStatus).where(WorkspaceStatus.sending_stopped_at.is_not(None))
    if team_id is not None:
        statement = statement.where(WorkspaceStatus.team_id.in_([team_id[:32], UNKNOWN_TEAM]))
    result = session.execute(
        statement.values(sending_stopped_at=None, stopped_because=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_affected(result)


def sending_stopped(session: Session, *, team_id: str | None = None) -> Stopped | None:
    """The stop in force, if any (for `team_id`, or for any workspace in single-workspace mode)."""
    query = select(WorkspaceStatus).where(WorkspaceStatus.sending_stopped_at.is_not(None))
    if team_id is not None:
        query = query.where(WorkspaceStatus.team_id.in_([team_id[:32], UNKNOWN_TEAM]))
    row = session.scalars(query.order_by(WorkspaceStatus.sending_stopped_at).limit(1)).first()
    if row is None or row.sending_stopped_at is None:
        return None
    return Stopped(team_id=row.team_id, since=row.sending_stopped_at, because=row.stopped_because or "")


__all__ = [
    "TOKENS_REVOKED",
    "TOKEN_DEAD_ERRORS",
    "UNASSIGNED",
    "UNINSTALLED",
    "UNKNOWN_TEAM",
    "Stopped",
    "Workspace",
    "adopt_unassigned",
    "resume_sending",
    "sending_stopped",
    "stop_sending",
]
