"""Whether the bot may send to its workspace at all.

After `app_uninstalled`, `tokens_revoked` (for the bot's token) or a Web API answer saying
the bot's own token is dead (`invalid_auth`, `token_revoked`, `account_inactive`), every
call would fail, and Slack asks apps to stop calling: the workspace's `workspace_status`
row records when and why sending stopped. While it is stopped the outbox deliverer claims
nothing (messages stay pending, not failed, and go out once the app is back) and tick jobs
that call Slack directly skip.

It is cleared when the app is installed again: in this single-workspace token mode the
worker asks `auth.test` every few minutes while stopped, and any signed request from the
team (a command or an event only arrives while installed) clears it too.

Single-workspace mode: the bot holds one token, so "stopped" is read across every row; the
team is recorded as `UNKNOWN_TEAM` when the answer that stopped it did not name one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.db import rows_affected
from storage.models import WorkspaceStatus

UNINSTALLED = "app_uninstalled"
TOKENS_REVOKED = "tokens_revoked"
# Answers that mean the bot's own token no longer works (not that one call was refused).
TOKEN_DEAD_ERRORS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "token_expired"})
UNKNOWN_TEAM = "unknown"


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
    "UNINSTALLED",
    "UNKNOWN_TEAM",
    "Stopped",
    "resume_sending",
    "sending_stopped",
    "stop_sending",
]
