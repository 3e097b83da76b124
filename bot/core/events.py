"""Remembering which Events API deliveries we have handled.

Slack redelivers an event it thinks we missed (after 0 s, 1 min, 5 min). The id is
recorded *before* the work runs, so a slow first delivery and its retry never both act;
the cost is that an event whose handler crashed is not retried, which the handlers
make safe by being re-runnable from the next event or tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.db import rows_affected
from storage.models import ProcessedEvent

EVENT_ID_RETENTION = timedelta(days=7)


def record_event_once(session: Session, *, event_id: str, now: datetime) -> bool:
    """True the first time an event id is seen, False for a redelivery."""
    dialect = session.get_bind().dialect.name
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert_fn(ProcessedEvent)
        .values(event_id=event_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProcessedEvent.event_id)
    )
    return session.execute(statement).first() is not None


def purge_old_event_ids(session: Session, *, now: datetime) -> int:
    """Slack stops retrying after minutes; a week of ids is plenty and keeps the table small."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now - EVENT_ID_RETENTION))
    return rows_affected(result)
