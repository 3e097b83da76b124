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

Both are cheap when there is nothing to do: one statement each (see `due_trims`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Final

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from bot.core.dates import months_after
from bot.core.timing import zone
from bot.outcomes.service import FOLLOW_UP_MONTHS, follow_up_date
from bot.privacy.erase import erase_round
from storage.models import OutboxMessage, OutboxState, Programme, Round

#: A sent message's text is needed for a week at most: a retry after a lost answer (the
#: deliverer looks for the message's key before sending again) happens within minutes, a
#: coordinator asking "what did the bot send Ana?" does so within days, and the digest's
#: "Handled" redraw works on the posted message, not on the row. Seven days keeps those
#: and no longer keeps names and bios in the database.
TRIM_AFTER: Final = timedelta(days=7)
#: Each tick trims rows that crossed TRIM_AFTER in this window, so the statement reads only
#: the newest finished rows of the (state, not_before) index, however big the outbox grows;
#: during one hour a day (TRIM_SWEEP_HOUR UTC) a sweep without the window catches rows a
#: stopped worker missed (and, the first day, every old row).
TRIM_WINDOW: Final = timedelta(days=1)
TRIM_SWEEP_HOUR: Final = 3
#: Rows trimmed per tick at most: a first sweep over months of messages would otherwise be
#: one UPDATE of 100,000s of rows holding SQLite's write lock for seconds (slash commands
#: wait behind it); 5,000 take tens of milliseconds, and 60 sweeping ticks trim 300,000.
TRIM_BATCH: Final = 5000
#: The soonest any round's data can be due: the follow-up plus the smallest retention.
_SOONEST: Final = FOLLOW_UP_MONTHS + 1
#: Calendar months do not invert exactly (31 July + 7 months is 28 February, and 28
#: February - 7 months is 28 July) and the programme's day may be a day ahead of UTC: the
#: prefilter lets through rounds up to this much too new, and the exact rule decides.
_SLACK: Final = timedelta(days=5)
_FINISHED: Final = (OutboxState.SENT, OutboxState.CANCELLED, OutboxState.FAILED)


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

    One UPDATE of at most TRIM_BATCH rows, chosen by state and `not_before` (the
    `ix_outbox_message_due` index) and `trimmed_at IS NULL`, so a row is trimmed once and a
    row being sent is never touched.
    A finished row's `not_before` is when it was last due, which the deliverer moves
    forward on every retry, so it is at most its sending time."""
    cutoff = now - TRIM_AFTER
    window = and_(OutboxMessage.not_before < cutoff)
    if now.astimezone(timezone.utc).hour != TRIM_SWEEP_HOUR:
        window = and_(window, OutboxMessage.not_before >= cutoff - TRIM_WINDOW)
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.state.in_(_FINISHED), window, OutboxMessage.trimmed_at.is_(None))
           .limit(TRIM_BATCH))
    trimmed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due))
        .values(payload={}, trimmed_at=now)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return len(trimmed.all())


__all__ = ["TRIM_AFTER", "TRIM_BATCH", "TRIM_SWEEP_HOUR", "TRIM_WINDOW", "RetentionResult", "due_retention", "due_trims",
           "erase_on"]
