"""The anonymity rule: what a coordinator may be shown of people's answers.

A *cell* is one aggregate: one question of one survey for one role, a survey's comments,
a round's outcomes. Its *contributions* are who is in it and the value each gave. The rule
has two parts, the usual ones of statistical disclosure control:

1. **Threshold.** A cell is shown only when at least `k` people are in it (the programme's
   `min_answers_shown`, default 5, never below 3).
2. **No differencing.** Two views of the same cell must never differ by fewer than `k`
   people, in either direction: if a view with Ana's answer and one without it were both
   shown, subtracting them would give Ana's answer. So every view ever shown is recorded
   (`Disclosure`), and a new view is shown only when, against each recorded one, the people
   added, the people gone, and each of those with the people whose answer changed, number
   0 or at least `k`.

When the current answers may not be shown, the newest earlier view whose people are all
still in (none withdrew) is shown again, marked as not current: nothing new is revealed.
When there is none (say someone withdrew consent right after the only view), the cell
says "too few answers yet" until enough has changed.

The caller serialises views of one round (`lock_round`), so two coordinators looking at
once cannot each record a view the other's check did not see.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Disclosure, Round

#: The lowest threshold a programme may set: below it, small groups identify people.
MIN_THRESHOLD: Final = 3
DEFAULT_THRESHOLD: Final = 5

Value = str | int | bool


@dataclass(frozen=True, kw_only=True)
class Shown:
    """What may be shown of a cell: these contributions; `current` is False when they are an
    earlier view shown again because the present one would reveal someone."""

    contributions: Mapping[int, Value]
    current: bool


def effective_threshold(configured: int | None) -> int:
    """The programme's threshold, never below the floor (a bad value in the database or a
    test cannot switch anonymity off)."""
    return max(configured or DEFAULT_THRESHOLD, MIN_THRESHOLD)


def lock_round(session: Session, round_id: int) -> None:
    """Serialise views of one round's aggregates (a row lock on PostgreSQL; SQLite's writer
    lock already does it), so each view is checked against every view shown before it."""
    session.execute(select(Round.id).where(Round.id == round_id).with_for_update())


def fingerprint(contributions: Mapping[int, Hashable]) -> str:
    canonical = json.dumps(sorted((str(key), repr(value)) for key, value in contributions.items()))
    return hashlib.sha256(canonical.encode()).hexdigest()


def may_follow(earlier: Mapping[int, Value], later: Mapping[int, Value], *, threshold: int) -> bool:
    """Whether `later` may be shown when `earlier` was (and the other way round: the rule is
    symmetric, so the order views were shown in does not matter). Subtracting one from the
    other must never come down to fewer than `threshold` people: the people added, the
    people gone, and each of those together with the people whose answer changed, are each
    nobody or at least `threshold` people."""
    added = {person for person in later if person not in earlier}
    gone = {person for person in earlier if person not in later}
    changed = {person for person in later if person in earlier and earlier[person] != later[person]}
    groups = (added, gone, added | changed, gone | changed)
    return all(len(group) == 0 or len(group) >= threshold for group in groups)


def _decode(stored: Mapping[str, object]) -> dict[int, Value]:
    decoded: dict[int, Value] = {}
    for key, value in stored.items():
        if isinstance(value, (str, int, bool)):
            decoded[int(key)] = value
    return decoded


def disclose(session: Session, *, round_id: int, cell: str, current: Mapping[int, Value], threshold: int,
             now: datetime) -> Shown | None:
    """What of `cell` may be shown now; records a new view when one is shown. None: nothing."""
    threshold = effective_threshold(threshold)
    earlier = [
        (row.fingerprint, _decode(row.contributions))
        for row in session.scalars(select(Disclosure).where(Disclosure.cell == cell).order_by(Disclosure.id.desc()))
    ]
    mark = fingerprint(current)
    if len(current) >= threshold:
        if any(known == mark for known, _ in earlier):
            return Shown(contributions=dict(current), current=True)
        if all(may_follow(view, current, threshold=threshold) for _, view in earlier):
            session.add(Disclosure(round_id=round_id, cell=cell, fingerprint=mark,
                                   contributions={str(key): value for key, value in current.items()}, shown_at=now))
            session.flush()
            return Shown(contributions=dict(current), current=True)
    for _, view in earlier:  # newest first
        if len(view) >= threshold and all(person in current for person in view):
            return Shown(contributions=view, current=False)
    return None


__all__ = ["DEFAULT_THRESHOLD", "MIN_THRESHOLD", "Shown", "disclose", "effective_threshold", "fingerprint",
           "lock_round", "may_follow"]
