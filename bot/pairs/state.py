"""Pairs as the rest of the bot sees them: which pairs count, why one is paused, and, for the
nudging jobs, both people with their zones and pauses in one query.

**Which pairs count.** A pair is *live* once the coordinators published it and until it
ends. A pair imported from the workbook's Pairs sheet, or proposed in the matching review,
is a draft until published: it has no channel and no introduction, and nobody has been
told of it, so its two people are treated as not yet matched everywhere (logging sessions,
pauses, check-ins, the Home tab, the end-pair form). `live_pair()` is that rule as SQL and
`is_live_pair()` the same rule on a loaded row; every query for "the person's pair" uses one
of them (or `published_pair()`, when ended pairs count too, as in a list of sessions).

Check-ins, pause endings, meeting prompts and the coordinators' flags all ask the same
questions of a pair ("whose clock leads?", "is it paused today?", "can we post there?").
They load it here in bulk, one statement for any number of pairs, so a tick over ten
thousand pairs costs the same number of round trips as a tick over ten.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, or_, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from bot.core.timing import WAKING_END, local_day, zone
from bot.i18n import normalise_language
from storage.models import (
    MentoringSession,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
)

# Statuses of a pair that has not ended (a published one of these is live).
LIVE_STATUSES = (PairStatus.ACTIVE, PairStatus.PAUSED)

# A pair is looked at only while one of its zones could hold a slot: 10:00 to 19:00 plus
# the delivery grace. Outside it the tick skips the pair without loading it.
_SLOT_HOURS = (time(10, 0), time(WAKING_END.hour + 1, 0))

# Built once: a fresh alias per call costs SQLAlchemy more than the query itself. The
# selection (a subquery) and the loader each have their own, so nothing is correlated.
_SEL_MENTOR = aliased(Participant, name="sel_mentor")
_SEL_MENTEE = aliased(Participant, name="sel_mentee")
_ROW_MENTOR = aliased(Participant, name="row_mentor")
_ROW_MENTEE = aliased(Participant, name="row_mentee")


@dataclass(frozen=True, kw_only=True)
class PersonState:
    id: int
    role: Role
    name: str
    slack_user_id: str | None
    timezone: str | None
    language: str
    opted_out: bool
    paused_until: date | None


@dataclass(frozen=True, kw_only=True)
class PairState:
    """One pair with everything a nudge needs, read once per tick."""

    pair_id: int
    round_id: int
    round_name: str
    programme_zone: str
    #: The programme's workspace: every notice to the pair's channel is sent with its token.
    team_id: str
    starts_on: date
    ends_on: date
    every_days: int
    status: PairStatus
    channel_id: str | None
    channel_opened_at: datetime | None
    paused_until: date | None
    mentor: PersonState
    mentee: PersonState

    @property
    def people(self) -> tuple[PersonState, PersonState]:
        return (self.mentor, self.mentee)

    @property
    def zones(self) -> list[str]:
        """Each person's zone, the programme's standing in for one not known yet."""
        return [zone(person.timezone or self.programme_zone).key for person in self.people]

    @property
    def language(self) -> str:
        """One message per pair: in their language when they share it, otherwise English,
        the programme's common language (the buttons must not come twice)."""
        mentor, mentee = (normalise_language(person.language) for person in self.people)
        return mentor if mentor == mentee else "en"

    @property
    def reachable(self) -> bool:
        """A channel to post in and two people who have not declined messages."""
        return (
            self.channel_id is not None
            and self.status is not PairStatus.ENDED
            and all(person.slack_user_id and not person.opted_out for person in self.people)
        )

    def today(self, now: datetime) -> date:
        return local_day(now, self.zones)

    def is_paused(self, today: date) -> bool:
        """Paused as a pair (a coordinator's open-ended pause, or until a date), or one of the
        two has paused: a person's pause pauses their pair's nudges."""
        if self.status is PairStatus.PAUSED and self.paused_until is None:
            return True
        if self.paused_until is not None and self.paused_until > today:
            return True
        return any(person_paused(person, today) for person in self.people)

    def resumed_on(self, today: date) -> date | None:
        """The day the last pause ended (pauses end by themselves; the date stays as a mark)."""
        ends = [day for day in (self.paused_until, *(p.paused_until for p in self.people)) if day and day <= today]
        return max(ends) if ends else None

    def opened_on(self) -> date:
        """The day the pair channel opened, in the pair's dates; the round's start if unknown."""
        if self.channel_opened_at is None:
            return self.starts_on
        return local_day(self.channel_opened_at, self.zones)


def person_paused(person: PersonState | Participant, today: date) -> bool:
    """Paused until a date after today: the pause ends by itself on the date."""
    return person.paused_until is not None and person.paused_until > today


# --- which pairs count ------------------------------------------------------------------------------


def published_pair() -> ColumnElement[bool]:
    """SQL: the coordinators published this pair (live, or live once and ended since)."""
    return Pair.published_at.is_not(None)


def live_pair() -> ColumnElement[bool]:
    """SQL: a published pair that has not ended, the only kind whose people are "matched"."""
    return and_(published_pair(), Pair.status.in_(LIVE_STATUSES))


def is_live_pair(pair: Pair) -> bool:
    """`live_pair()` on a loaded row."""
    return pair.published_at is not None and pair.status in LIVE_STATUSES


# --- why a pair is paused ---------------------------------------------------------------------------


class HoldKind(str, enum.Enum):
    """Who holds a paused pair's pause, as one of its two people should hear it."""

    PARTNER = "partner"  # the other person is on a break (maybe the asker too)
    OWN = "own"  # only the asker is on a break
    COORDINATORS = "coordinators"  # the pair itself, until a date
    COORDINATORS_OPEN = "coordinators_open"  # the pair itself, until a coordinator lifts it
    ENDING = "ending"  # every date has passed: the tick is about to switch the pair back on


@dataclass(frozen=True, kw_only=True)
class PauseHold:
    """Why a pair is paused today, for one of its people: who paused it and until when, so
    the advice they get works (the partner of someone on a break cannot `/mentoring resume`)."""

    kind: HoldKind
    until: date | None = None  # the day the pause ends by itself (None when open-ended or ending)
    partner_name: str = ""
    own_until: date | None = None  # PARTNER: the asker's own break as well, if they are on one


def pause_hold(pair: Pair, *, viewer_id: int, today: date) -> PauseHold | None:
    """Why this paused pair is paused on `today`, as the person `viewer_id` (one of its two)
    should hear it; None for a pair that is not paused.

    The partner's break comes first: it is the one the asker cannot end."""
    if pair.status is not PairStatus.PAUSED:
        return None
    me, partner = (pair.mentor, pair.mentee) if pair.mentor_id == viewer_id else (pair.mentee, pair.mentor)
    own = me.paused_until if person_paused(me, today) else None
    if person_paused(partner, today):
        return PauseHold(kind=HoldKind.PARTNER, until=partner.paused_until, partner_name=partner.name, own_until=own)
    if own is not None:
        return PauseHold(kind=HoldKind.OWN, until=own)
    if pair.paused_until is None:
        return PauseHold(kind=HoldKind.COORDINATORS_OPEN)
    if pair.paused_until > today:
        return PauseHold(kind=HoldKind.COORDINATORS, until=pair.paused_until)
    return PauseHold(kind=HoldKind.ENDING)


# --- loading -----------------------------------------------------------------------------------


def zones_near_slot(session: Session, *, now: datetime) -> set[str]:
    """Zone names in use (participants' and programmes') whose clock now shows an hour a slot
    could be open in. Several rows may name one zone; invalid names count as the default.

    Asked by several jobs of one tick, so the answer is kept on the session for its instant."""
    cache_key = ("zones_near_slot", now)
    cached = session.info.get(cache_key)
    if cached is not None:
        return set(cached)
    names = session.scalars(
        union(select(Participant.timezone).distinct(), select(Programme.timezone).distinct())
    ).all()
    open_now: set[str] = set()
    for name in names:
        if name is None:
            continue
        local = now.astimezone(zone(name)).time()
        if _SLOT_HOURS[0] <= local < _SLOT_HOURS[1]:
            open_now.add(name)
    session.info[cache_key] = frozenset(open_now)
    return open_now


def pair_selection(
    *,
    today: date,
    round_ids: Collection[int] | None = None,
    pair_ids: Collection[int] | None = None,
    zone_names: Collection[str] | None = None,
    include_paused: bool = True,
    pause_ended_between: tuple[date, date] | None = None,
) -> Select[int]:
    """`select(Pair.id)` for live pairs in a running round with a channel, narrowed as asked.

    Used as a subquery by every bulk read of a tick, so each reads exactly these pairs
    without passing thousands of ids around."""
    mentor, mentee = _SEL_MENTOR, _SEL_MENTEE
    statuses = [PairStatus.ACTIVE, PairStatus.PAUSED] if include_paused else [PairStatus.ACTIVE]
    query = (
        _selection_base()
        .where(
            published_pair(),
            Pair.status.in_(statuses),
            Pair.slack_channel_id.is_not(None),
            Pair.channel_archived_at.is_(None),
            # A day either side: zones run up to 14 hours from UTC.
            Round.starts_on <= today + timedelta(days=1),
            Round.ends_on >= today - timedelta(days=1),
        )
    )
    if round_ids is not None:
        query = query.where(Pair.round_id.in_(list(round_ids)))
    if pair_ids is not None:
        query = query.where(Pair.id.in_(list(pair_ids)))
    if pause_ended_between is not None:
        first, last = pause_ended_between
        query = query.where(
            or_(*(column.between(first, last) for column in (Pair.paused_until, mentor.paused_until, mentee.paused_until)))
        )
    if zone_names is not None:
        names = list(zone_names)
        query = query.where(
            or_(
                mentor.timezone.in_(names),
                mentee.timezone.in_(names),
                and_(or_(mentor.timezone.is_(None), mentee.timezone.is_(None)), Programme.timezone.in_(names)),
            )
        )
    return query


def load_pair_states(session: Session, selection: Select[int]) -> list[PairState]:
    """The selected pairs with both people and their round, in one statement."""
    rows = session.execute(_loader_base().where(Pair.id.in_(in_selection(selection))).order_by(Pair.id)).all()
    states = []
    for row in rows:
        (pair_id, round_id, status, channel_id, opened_at, paused_until,
         round_name, starts_on, ends_on, every_days, programme_zone, team_id) = row[:12]
        states.append(
            PairState(
                pair_id=pair_id, round_id=round_id, round_name=round_name,
                programme_zone=zone(programme_zone).key, team_id=team_id, starts_on=starts_on, ends_on=ends_on,
                every_days=max(1, every_days or 14), status=status, channel_id=channel_id,
                channel_opened_at=opened_at, paused_until=paused_until,
                mentor=_person(row[12:20]), mentee=_person(row[20:28]),
            )
        )
    return states


@cache
def _selection_base() -> Select[int]:
    """Pairs with their round, programme and both people joined (built once: statements are
    immutable, and building this one costs more than running it)."""
    return (
        select(Pair.id)
        .join(Round, Round.id == Pair.round_id)
        .join(Programme, Programme.id == Round.programme_id)
        .join(_SEL_MENTOR, _SEL_MENTOR.id == Pair.mentor_id)
        .join(_SEL_MENTEE, _SEL_MENTEE.id == Pair.mentee_id)
    )


@cache
def _loader_base() -> Select[*tuple[Any, ...]]:
    mentor, mentee = _ROW_MENTOR, _ROW_MENTEE
    return (
        select(
            Pair.id, Pair.round_id, Pair.status, Pair.slack_channel_id, Pair.channel_opened_at, Pair.paused_until,
            Round.name, Round.starts_on, Round.ends_on, Round.session_every_days, Programme.timezone,
            Programme.team_id, *_person_columns(mentor), *_person_columns(mentee),
        )
        .join(Round, Round.id == Pair.round_id)
        .join(Programme, Programme.id == Round.programme_id)
        .join(mentor, mentor.id == Pair.mentor_id)
        .join(mentee, mentee.id == Pair.mentee_id)
    )


def in_selection(selection: Select[int]) -> ScalarSelect[int]:
    """The selection as an uncorrelated subquery for `column.in_(...)`."""
    return selection.scalar_subquery().correlate(None)


def _person_columns(alias: type[Participant]) -> tuple[InstrumentedAttribute[Any], ...]:
    return (
        alias.id, alias.role, alias.name, alias.slack_user_id, alias.timezone, alias.language, alias.opted_out_at,
        alias.paused_until,
    )


def _person(values: Sequence[Any]) -> PersonState:
    """One person from the loader's row: the columns of `_person_columns`, in order."""
    person_id, role, name, slack_user_id, tz_name, language, opted_out_at, paused_until = values
    return PersonState(
        id=int(person_id), role=role, name=str(name), slack_user_id=slack_user_id,
        timezone=tz_name, language=normalise_language(language), opted_out=opted_out_at is not None,
        paused_until=paused_until,
    )


def session_dates(session: Session, selection: Select[int]) -> dict[int, list[date]]:
    """The days each selected pair held a 1:1 session, oldest first (one statement)."""
    found: dict[int, list[date]] = defaultdict(list)
    rows = session.execute(
        select(MentoringSession.pair_id, MentoringSession.held_on)
        .where(MentoringSession.pair_id.in_(in_selection(selection)))
        .order_by(MentoringSession.pair_id, MentoringSession.held_on)
    )
    for pair_id, held_on in rows:
        found[pair_id].append(held_on)
    return found


__all__ = [
    "LIVE_STATUSES",
    "HoldKind",
    "PairState",
    "PauseHold",
    "PersonState",
    "is_live_pair",
    "live_pair",
    "load_pair_states",
    "pair_selection",
    "pause_hold",
    "person_paused",
    "published_pair",
    "session_dates",
    "zones_near_slot",
]
