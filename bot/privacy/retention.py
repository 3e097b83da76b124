"""Retention (GDPR art. 5(1)(e)): personal data is kept no longer than it is needed.

Two rules, each a tick job (scheduling/ticks.py):

- A round's personal data is erased `programme.retention_months` after its six-month
  follow-up (`bot.outcomes.service.follow_up_date`: the round's last day plus six months),
  by `bot.privacy.erase.erase_round`; `round.personal_data_erased_at` records it. A person
  who is also in a later round keeps that round's row as it is.
- A finished outbox row (sent, cancelled or failed) is trimmed to its keys after
  `TRIM_AFTER`: the payload, which holds names and texts, is emptied and `trimmed_at` set;
  the dedup key (which keeps a message from going twice), the state and Slack's ts and
  channel (to find, update or delete the posted message) stay.

Both are cheap when there is nothing to do: one indexed statement each (see `due_trims`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from bot.core.dates import months_after
from bot.core.timing import zone
from bot.outcomes.service import FOLLOW_UP_MONTHS, follow_up_date
from bot.privacy.erase import erase_round
from storage.models import UNTRIMMED_OUTBOX_SQL, OutboxMessage, Programme, Round

#: A sent message's text is needed for a week at most: a retry after a lost answer (the
#: deliverer looks for the message's key before sending again) happens within minutes, a
#: coordinator asking "what did the bot send Ana?" does so within days, and the digest's
#: "Handled" redraw works on the posted message, not on the row. Seven days keeps those
#: and no longer keeps names and bios in the database.
TRIM_AFTER: Final = timedelta(days=7)
#: Rows trimmed per tick at most: a first run over months of messages (a new install of this
#: version, or a worker stopped for weeks) would otherwise be one UPDATE of 100,000s of rows
#: holding SQLite's write lock for seconds (slash commands wait behind it); 5,000 take tens
#: of milliseconds, and a tick a minute catches up 300,000 rows an hour.
TRIM_BATCH: Final = 5000
#: The soonest any round's data can be due: the follow-up plus the smallest retention.
_SOONEST: Final = FOLLOW_UP_MONTHS + 1
#: Calendar months do not invert exactly (31 July + 7 months is 28 February, and 28
#: February - 7 months is 28 July) and the programme's day may be a day ahead of UTC: the
#: prefilter lets through rounds up to this much too new, and the exact rule decides.
_SLACK: Final = timedelta(days=5)


def erase_on(round_: Round, programme: Programme) -> date:
    """The day a round's personal data is erased: its follow-up day plus the retention."""
    return months_after(follow_up_date(round_.ends_on), programme.retention_months)


@dataclass(frozen=True, kw_only=True)
class RetentionResult:
    rounds: tuple[int, ...] = ()
    rows: int = 0  # rows changed by the erasures


def due_retention(session: Session, *, now: datetime) -> RetentionResult:
    """Erase every round whose day has come (in its programme's zone) and mark it. One
    statement when none is due: the rounds not yet erased that ended long enough ago for
    the shortest retention; the exact day is computed with the calendar rule in Python."""
    utc_today = now.date()
    candidates = session.execute(
        select(Round, Programme).join(Programme, Programme.id == Round.programme_id)
        .where(Round.personal_data_erased_at.is_(None),
               Round.ends_on <= months_after(utc_today, -_SOONEST) + _SLACK)
        .order_by(Round.ends_on, Round.id)
    ).all()
    erased: list[int] = []
    rows = 0
    for round_, programme in candidates:
        if now.astimezone(zone(programme.timezone)).date() < erase_on(round_, programme):
            continue
        rows += erase_round(session, round_id=round_.id, now=now).total
        session.execute(update(Round).where(Round.id == round_.id).values(personal_data_erased_at=now))
        erased.append(round_.id)
    return RetentionResult(rounds=tuple(erased), rows=rows)


def due_trims(session: Session, *, now: datetime) -> int:
    """Trim finished outbox rows older than TRIM_AFTER to their keys; returns how many.

    At most TRIM_BATCH rows a call, found through the partial index
    `ix_outbox_message_untrimmed` ((state, not_before) of finished rows whose `trimmed_at`
    is NULL): a trimmed row leaves the index (on PostgreSQL once vacuumed), so a tick reads the rows it trims plus an index
    entry or three, however long the trimmed history grows, and rows a stopped worker left
    behind are caught by the next ticks without a sweep. A row being sent is not in the
    index and is never touched. A finished row's `not_before` is when it was last due, which
    the deliverer moves forward on every retry, so it is at most its sending time.

    The WHERE is the index's predicate itself, as literal SQL: a planner uses a partial index
    only when it can prove the query implies the predicate, which SQLite does term by term
    and neither database does with the states as bound parameters (a prepared statement's
    generic plan on PostgreSQL). The order is the index's: with a LIMIT and no order,
    PostgreSQL (which cannot know that the untrimmed rows are the newest) expected the
    first 5,000 matches early in a sequential scan and read the whole table to find none.

    The ids are read first and updated by primary key: an UPDATE ... WHERE id IN (SELECT
    ... LIMIT) was joined on PostgreSQL by hashing the ids and scanning the whole table,
    so a tick trimming two rows read 200,000. When nothing is due this is one statement."""
    due = list(session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.not_before < now - TRIM_AFTER, text(UNTRIMMED_OUTBOX_SQL))
        .order_by(OutboxMessage.state, OutboxMessage.not_before)
        .limit(TRIM_BATCH)
    ))
    if not due:
        return 0
    trimmed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due), OutboxMessage.trimmed_at.is_(None))  # an erasure may have trimmed one since
        .values(payload={}, trimmed_at=now)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return len(trimmed.all())


__all__ = ["TRIM_AFTER", "TRIM_BATCH", "RetentionResult", "due_retention", "due_trims", "erase_on"]
