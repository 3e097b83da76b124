"""When each nudge job next has work in a round, so a tick reads only those rounds.

A tick runs every minute, and most minutes nothing is due: the check-ins, meeting reminders
and meeting prompts already queued everything for the open slots. Reading every pair to
find that out cost a second at 10,000 pairs. Instead each of those jobs, having looked at a
round, writes a *mark*: the first instant after now at which its rules could ask something
new there, given the round's rows as they are (the next window's end, a "not yet" to ask
again, a pause's end, a reminder's day, a slot that opens later today...). The next ticks
look only at rounds without a mark or whose mark has come.

A mark is only valid while the rows it was worked out from stay as they were. Database
triggers (migration 0006) add the round to `nudge_change` whenever such a row is
inserted, changed or deleted, however it was written (a service, a bulk statement, an
import, a migration); each job first *absorbs* that list, deleting the marks of the rounds
in it, so the round is looked at again. No writer in the code has to know about marks.

Early is always safe (the job looks, finds nothing new, and writes a later mark); late is
not, so every rule that works a mark out errs early.

A job that starts reading another column for what is due must add it to the triggers (a
migration, `_WATCHED` in 0006's style), or a change to it waits for the round's next mark;
tests/unit/test_nudge_marks.py compares the marked tick with a full read over weeks of
changes. A tick "as of" an instant before the marks were written (`mentorbot tick --now`
in the past) sees only rounds whose marks are due by then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from bot.core.timing import DELIVERY_GRACE, local_day, shared_slot
from storage.models import NudgeChange, NudgeMark, Round, table_of

CHECKINS = "pair-checkins"
REMINDERS = "meeting-reminders"
SURVEYS = "surveys"
PROMPTS = "meeting-prompts"

_CHUNK = 5000
# A slot comes within a few days whatever the zones (a weekend, or a weekend somewhere).
_SLOT_SEARCH_DAYS = 9
# Never a mark at or before the instant just looked at: a rule that found nothing new now
# must not have the next tick look again at once (a lead zone changing between two dates
# could otherwise do that).
_MIN_STEP = timedelta(minutes=1)


def absorb_changes(session: Session) -> set[int]:
    """Forget the marks of every round whose inputs changed; returns those rounds.

    The list is emptied with DELETE ... RETURNING: exactly the rows deleted are the ones
    acted on, so a change committed meanwhile by another transaction stays for the next
    tick rather than being lost between a read and a delete."""
    table = table_of(NudgeChange)
    changed = set(session.scalars(delete(table).returning(table.c.round_id)))
    marks = table_of(NudgeMark)
    ordered = sorted(changed)
    for start in range(0, len(ordered), _CHUNK):
        session.execute(delete(marks).where(marks.c.round_id.in_(ordered[start:start + _CHUNK])))
    return changed


def rounds_due(
    session: Session, *, job: str, now: datetime, running_only: bool, among: Sequence[ColumnElement[bool]] = ()
) -> list[int]:
    """The rounds `job` must look at now: changed ones (absorbed first), those it never
    looked at, and those whose mark has come. `running_only` keeps to the rounds the pair
    jobs read (running today, a day either side for the zones); meeting reminders also go
    before a round starts. `among`: the job's own window of rounds, the same conditions it
    reads rounds with (a round outside it is never marked, so it is looked at once in it)."""
    absorb_changes(session)
    mark = table_of(NudgeMark)
    query = (
        select(Round.id)
        .outerjoin(mark, and_(mark.c.round_id == Round.id, mark.c.job == job))
        .where(or_(mark.c.round_id.is_(None), mark.c.due_at <= now))
        .where(*among)
        .order_by(Round.id)
    )
    if running_only:
        today = now.date()
        query = query.where(Round.starts_on <= today + timedelta(days=1), Round.ends_on >= today - timedelta(days=1))
    return list(session.scalars(query))


def write_marks(session: Session, *, job: str, marks: Mapping[int, datetime | None], now: datetime) -> None:
    """Replace `job`'s marks for these rounds (None: nothing until something changes), none
    sooner than a minute after `now`."""
    if not marks:
        return
    table = table_of(NudgeMark)
    ordered = sorted(marks)
    floor = now + _MIN_STEP
    for start in range(0, len(ordered), _CHUNK):
        session.execute(delete(table).where(table.c.job == job, table.c.round_id.in_(ordered[start:start + _CHUNK])))
    rows = [{"job": job, "round_id": round_id, "due_at": None if (due := marks[round_id]) is None else max(due, floor)}
            for round_id in ordered]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(table), rows[start:start + _CHUNK])


def earliest(instants: Iterable[datetime | None], *, now: datetime) -> datetime | None:
    """The soonest of these instants, never sooner than a minute after `now`."""
    found = [instant for instant in instants if instant is not None]
    return max(min(found), now + _MIN_STEP) if found else None


def merge(marks: dict[int, datetime | None], round_id: int, instant: datetime | None) -> None:
    """Keep the sooner of a round's mark and `instant` (a round's mark is its soonest pair's)."""
    current = marks.get(round_id)
    if instant is not None and (current is None or instant < current):
        marks[round_id] = instant
    else:
        marks.setdefault(round_id, current)


def slot_from(day: date, zones: Sequence[str | None], *, after: datetime) -> datetime | None:
    """The first slot of these people on `day` or a later day that starts after `after`."""
    for offset in range(_SLOT_SEARCH_DAYS + 1):
        slot = shared_slot(day + timedelta(days=offset), zones)
        if slot is not None and slot > after:
            return slot
    return None


def open_at_or_after(instant: datetime, zones: Sequence[str | None]) -> datetime | None:
    """The first moment at or after `instant` inside one of these people's slots (a slot is
    open from its start for the delivery grace)."""
    first = local_day(instant, zones) - timedelta(days=1)
    for offset in range(_SLOT_SEARCH_DAYS + 2):
        slot = shared_slot(first + timedelta(days=offset), zones)
        if slot is not None and instant < slot + DELIVERY_GRACE:
            return max(slot, instant)
    return None


def next_slot(now: datetime, zones: Sequence[str | None]) -> datetime | None:
    """The next slot of these people that starts after `now`."""
    return slot_from(local_day(now, zones) - timedelta(days=1), zones, after=now)


__all__ = [
    "CHECKINS",
    "PROMPTS",
    "REMINDERS",
    "SURVEYS",
    "absorb_changes",
    "earliest",
    "merge",
    "next_slot",
    "open_at_or_after",
    "rounds_due",
    "slot_from",
    "write_marks",
]
