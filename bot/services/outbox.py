"""Putting messages in the outbox.

Producers (nudges, reminders, welcomes) only ever *enqueue*. The dedup key makes a job
that runs twice, or a process that restarts half-way, send each message once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import OutboxMessage, OutboxState


@dataclass(frozen=True, kw_only=True)
class OutgoingCall:
    """One Web API call the bot wants made: what a service returns instead of calling Slack."""

    dedup_key: str
    method: str
    payload: dict[str, Any]
    not_before: datetime

    @property
    def target(self) -> str:
        return str(self.payload.get("channel") or self.payload.get("user_id") or self.payload.get("users") or "-")


def enqueue(session: Session, call: OutgoingCall, *, now: datetime) -> bool:
    """Insert the call unless its dedup key is already there; True when it was new."""
    if len(call.dedup_key) > 255:
        raise ValueError(f"dedup key longer than 255 characters: {call.dedup_key[:60]}...")
    values = {
        "dedup_key": call.dedup_key,
        "method": call.method,
        "target": call.target[:64],
        "payload": call.payload,
        "not_before": call.not_before,
        "state": OutboxState.PENDING,
        "attempts": 0,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    elif dialect == "sqlite":
        statement = sqlite.insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    else:  # pragma: no cover - only the two supported backends reach here
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == call.dedup_key)) is not None:
            return False
        statement = insert(OutboxMessage).values(**values)
    # RETURNING tells "inserted" from "skipped" on every driver; rowcount does not on psycopg.
    return session.execute(statement.returning(OutboxMessage.id)).first() is not None


def enqueue_all(session: Session, calls: list[OutgoingCall], *, now: datetime) -> int:
    """Enqueue several calls; returns how many were new."""
    return sum(enqueue(session, call, now=now) for call in calls)


def due_messages(session: Session, *, now: datetime, limit: int | None = None) -> list[OutboxMessage]:
    """Pending rows whose time has come, oldest first (what `tick --dry-run` shows)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def cancel_pending(
    session: Session, *, dedup_keys: Sequence[str] = (), key_prefixes: Sequence[str] = (), reason: str
) -> int:
    """Withdraw messages not yet sent (someone opted out after they were queued).

    There is no "cancelled" state, so the row is marked failed with a reason that starts
    with "cancelled:"; the deliverer never claims it, and the dedup key stays taken, so
    no producer queues the same message again."""
    conditions = [OutboxMessage.dedup_key.in_(list(dedup_keys))] if dedup_keys else []
    conditions += [OutboxMessage.dedup_key.startswith(prefix, autoescape=True) for prefix in key_prefixes]
    if not conditions:
        return 0
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING, or_(*conditions))
    ).all()
    for row in rows:
        row.state = OutboxState.FAILED
        row.last_error = f"cancelled: {reason}"
    return len(rows)
