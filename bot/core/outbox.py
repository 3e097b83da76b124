"""Putting messages in the outbox.

Producers (nudges, reminders, welcomes) only ever *enqueue*. The dedup key makes a job
that runs twice, or a process that restarts half-way, send each message once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    String,
    Text,
    any_,
    bindparam,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from storage.db import rows_affected
from storage.models import OutboxMessage, OutboxState, table_of


@dataclass(frozen=True, kw_only=True)
class OutgoingCall:
    """One outbox row as it is stored: a notice's facts (or a chore such as archiving a
    channel), built by `bot.core.notices`; the platform adapter turns it into a Web API call
    only when the deliverer sends it, with the token of the workspace `team_id` (the
    programme's: '' is token mode's one workspace before it learned its id)."""

    dedup_key: str
    method: str
    team_id: str
    payload: dict[str, Any]
    not_before: datetime

    @property
    def target(self) -> str:
        return str(self.payload.get("channel") or "-")


def enqueue(session: Session, call: OutgoingCall, *, now: datetime) -> bool:
    """Insert the call unless its dedup key is already there; True when it was new."""
    if len(call.dedup_key) > 255:
        raise ValueError(f"dedup key longer than 255 characters: {call.dedup_key[:60]}...")
    values = {
        "dedup_key": call.dedup_key,
        "team_id": call.team_id,
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
    """Enqueue several calls; returns how many were new.

    One statement for the lot, however many there are: a tick over ten thousand pairs
    queues thousands of check-ins, and a round trip per message would make the tick's
    cost grow with the programme (benchmarks/bench_tick.py counts the statements)."""
    dialect = session.get_bind().dialect.name
    if len(calls) <= 1 or dialect not in ("sqlite", "postgresql"):
        return sum(enqueue(session, call, now=now) for call in calls)
    for call in calls:
        if len(call.dedup_key) > 255:
            raise ValueError(f"dedup key longer than 255 characters: {call.dedup_key[:60]}...")
    if dialect == "postgresql":
        rows = [
            {"k": call.dedup_key, "w": call.team_id, "m": call.method, "t": call.target[:64], "p": call.payload,
             "nb": call.not_before.isoformat()}
            for call in calls
        ]
        inserted = session.execute(
            _PG_BULK_INSERT,
            {"rows": json.dumps(rows), "state": OutboxState.PENDING.value, "created_at": now},
        )
        return len(inserted.all())
    # SQLite: one executemany; its rowcount is the sum, conflicts counting 0.
    table = table_of(OutboxMessage)
    result = session.execute(
        sqlite.insert(table).on_conflict_do_nothing(index_elements=["dedup_key"]),
        [
            {
                "dedup_key": call.dedup_key,
                "team_id": call.team_id,
                "method": call.method,
                "target": call.target[:64],
                "payload": call.payload,
                "not_before": call.not_before,
                "state": OutboxState.PENDING,
                "attempts": 0,
                "created_at": now,
            }
            for call in calls
        ],
    )
    return rows_affected(result)


# One JSON array in (one json.dumps for the lot), one row per element out, in the callers'
# order; RETURNING counts the new ones. A text array of per-row json.dumps strings cost
# psycopg most of a busy tick escaping each payload into the array literal.
_PG_BULK_INSERT = text(
    "INSERT INTO outbox_message (dedup_key, team_id, method, target, payload, not_before, state, attempts, created_at) "
    "SELECT u.value->>'k', u.value->>'w', u.value->>'m', u.value->>'t', u.value->'p', CAST(u.value->>'nb' AS TIMESTAMPTZ), "
    ":state, 0, :created_at "
    "FROM json_array_elements(CAST(:rows AS JSON)) WITH ORDINALITY AS u(value, n) "
    "ORDER BY u.n "
    "ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
).bindparams(
    bindparam("rows", type_=Text),
    bindparam("state", type_=String),
    bindparam("created_at", type_=DateTime(timezone=True)),
)


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

    The row becomes `cancelled` with the reason: the deliverer never claims it, nothing
    counts it as a failure, and the dedup key stays taken, so no producer queues the same
    message again. One UPDATE guarded by `state = 'pending'`: a row the deliverer claimed
    meanwhile is in flight and stays its own (PostgreSQL re-checks the guard after waiting
    for the claim's lock), so a sent message is never recorded as cancelled."""
    conditions: list[ColumnElement[bool]] = [OutboxMessage.dedup_key.in_(list(dedup_keys))] if dedup_keys else []
    conditions += [OutboxMessage.dedup_key.startswith(prefix, autoescape=True) for prefix in key_prefixes]
    if not conditions:
        return 0
    cancelled = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.PENDING, or_(*conditions))
        .values(state=OutboxState.CANCELLED, cancel_reason=reason)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session="fetch")
    )
    return len(cancelled.all())


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of these dedup keys are taken already, in one statement however many there are.

    Jobs ask before building notices: during a slot a tick runs every minute, and building
    thousands of them only for the dedup key to refuse them is wasted work.
    The keys travel as one parameter (a PostgreSQL array, a JSON list for SQLite), so the
    unique index on dedup_key answers."""
    if not keys:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = select(OutboxMessage.dedup_key).where(
            OutboxMessage.dedup_key == any_(bindparam("keys", type_=ARRAY(String)))
        )
        return set(session.scalars(statement, {"keys": list(keys)}))
    if dialect == "sqlite":
        statement = text("SELECT dedup_key FROM outbox_message WHERE dedup_key IN (SELECT value FROM json_each(:keys))")
        return set(session.scalars(statement, {"keys": json.dumps(list(keys))}))
    found: set[str] = set()  # pragma: no cover - only the two supported backends reach here
    for start in range(0, len(keys), 500):  # pragma: no cover
        found.update(session.scalars(select(OutboxMessage.dedup_key).where(
            OutboxMessage.dedup_key.in_(list(keys[start:start + 500])))))
    return found  # pragma: no cover
