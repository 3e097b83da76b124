"""A participant who left the workspace (deactivated, or gone) and one who came back.

Slack says so with `user_change` (`user.deleted` true, later false again), and a message to
a deactivated person is refused (`user_disabled`, or `is_archived` for their DM). Either
way, the same thing happens once per departure:

* each of their live pairs is paused **until further notice** (`Pair.paused_until` empty,
  `pause_reason` saying they left the workspace): no check-ins, prompts or welcome back go
  to a pair whose other half cannot read them, and nothing ends by itself on a date;
* the round's coordinators are told (`bot.core.coordinators` via `Coordinators(round_id)`),
  with the partner's name, so they can end or rematch the pair.

A departure's notices carry its number (`n=`): Slack sends `user_change` for every profile
change, and one departure is told once however many events or refused messages report it,
while a second departure after a return is told again.

**Coming back** (`deleted` false after a departure): the coordinators are told, and the
pairs paused *for this departure* resume by themselves: the pause had no other reason, the
person can read the channel again, and there is no coordinator command to lift a pause, so
leaving it would strand the pair. A pair the coordinators ended meanwhile stays ended; one
whose partner is away (gone too, or on a dated break) stays paused for that. No welcome back
is posted: the pair channel never heard of this break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.notices import Coordinators, Notice, notice_facts, outgoing_calls, queue_notices
from bot.core.outbox import cancel_pending, enqueue_all
from bot.core.timing import local_day, next_shared_time
from bot.core.workspace import Workspace
from bot.pairs.pauses import _lock_pauses, _own_rows, _pairs_of, _welcome_back, pair_nudge_prefixes
from bot.pairs.state import person_paused
from bot.timeline.service import reminder_prefix
from storage.models import OutboxMessage, Pair, PairStatus, Participant, Role, Round

LEFT_WORKSPACE_REASON = "left the workspace"  # Pair.pause_reason of a pair paused by a departure
# A message to the person refused with one of these means they left (`is_archived`: their
# DM, archived by Slack when the account was deactivated).
PERSON_GONE_ERRORS = frozenset({"user_disabled", "is_archived"})


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PersonLeftWorkspace:
    """To the coordinators: a participant left the workspace; their pairs are paused."""

    name: str
    role: Role
    round_name: str
    partner_names: tuple[str, ...] = ()  # the pairs paused


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PersonBackInWorkspace:
    """To the coordinators: a participant who had left is back; which pairs resumed."""

    name: str
    role: Role
    round_name: str
    resumed_with: tuple[str, ...] = ()  # partners of the pairs active again
    still_paused_with: tuple[str, ...] = ()  # partners of pairs still paused (the partner is away)


def left_prefix(participant_id: int) -> str:
    return f"workspace-left:participant={participant_id}:"


def back_prefix(participant_id: int) -> str:
    return f"workspace-back:participant={participant_id}:"


_EPISODE = re.compile(r":n=(\d+)(?::|$)")


def _episodes(session: Session, prefix: str) -> int:
    """How many departures (or returns) were told: the number after `n=` in the keys, one
    per notice, whatever the number of coordinator targets each went to."""
    keys = session.scalars(
        select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.startswith(prefix, autoescape=True))
    )
    numbers = {int(found.group(1)) for key in keys if (found := _EPISODE.search(key[len(prefix) - 1:]))}
    return max(numbers) + 1 if numbers else 0


def _gone(person: Participant, session: Session) -> bool:
    """Left the workspace and not back yet (more departures told than returns)."""
    return _episodes(session, left_prefix(person.id)) > _episodes(session, back_prefix(person.id))


def _away(person: Participant, session: Session, today: date) -> bool:
    """The partner cannot take part now: gone from the workspace too, or on a dated break."""
    return person_paused(person, today) or _gone(person, session)


@dataclass(frozen=True, kw_only=True)
class DepartureOutcome:
    told: int = 0  # coordinator notices queued (0 for an event already acted on)
    paused_pairs: int = 0
    resumed_pairs: int = 0


def participant_left_workspace(
    session: Session, *, slack_user_id: str, workspace: Workspace | None = None, now: datetime
) -> DepartureOutcome:
    """Pause the person's live pairs until further notice and tell each round's coordinators
    once per departure. Someone who is no participant of a running round changes nothing."""
    people = [person for person in _own_rows(session, slack_user_id=slack_user_id, workspace=workspace, now=now)
              if person.erased_at is None]
    if not people:
        return DepartureOutcome()
    _lock_pauses(session, people)
    paused = 0
    notices: list[Notice] = []
    states = _pairs_of(session, people)
    for person in people:
        partners: list[str] = []
        for state in states:
            if person.id not in {member.id for member in state.people}:
                continue
            pair = session.get(Pair, state.pair_id)
            assert pair is not None
            partner = state.mentee if state.mentor.id == person.id else state.mentor
            partners.append(partner.name)
            if pair.status is PairStatus.PAUSED and pair.paused_until is None:
                continue  # paused until further notice already (this departure, or the coordinators)
            pair.status = PairStatus.PAUSED
            pair.paused_until = None
            pair.pause_reason = LEFT_WORKSPACE_REASON
            cancel_pending(session, key_prefixes=pair_nudge_prefixes(state.pair_id), reason=LEFT_WORKSPACE_REASON)
            paused += 1
        # Their own meeting reminders would only be refused.
        cancel_pending(session, key_prefixes=[reminder_prefix(person.id)], reason=LEFT_WORKSPACE_REASON)
        left = _episodes(session, left_prefix(person.id))
        if left > _episodes(session, back_prefix(person.id)):
            continue  # this departure was told already
        round_ = session.get(Round, person.round_id)
        assert round_ is not None
        person.updated_at = now
        notices.append(Notice(
            dedup_key=f"{left_prefix(person.id)}n={left}",
            to=Coordinators(person.round_id),
            facts=PersonLeftWorkspace(name=person.name, role=person.role, round_name=round_.name,
                                      partner_names=tuple(partners)),
            not_before=now, in_working_hours=True,
        ))
    told = queue_notices(session, notices, now=now)
    return DepartureOutcome(told=told, paused_pairs=paused)


def participant_back_in_workspace(
    session: Session, *, slack_user_id: str, workspace: Workspace | None = None, now: datetime
) -> DepartureOutcome:
    """A person who had left is active again: their departure's pairs resume (unless the
    partner is away) and the coordinators hear it once. Nobody who had not left is touched."""
    people = [person for person in _own_rows(session, slack_user_id=slack_user_id, workspace=workspace, now=now)
              if person.erased_at is None]
    def away_now(people: list[Participant]) -> list[Participant]:
        return [person for person in people
                if _episodes(session, left_prefix(person.id)) > _episodes(session, back_prefix(person.id))]

    if not away_now(people):  # most profile changes: nobody had left, nothing to lock
        return DepartureOutcome()
    _lock_pauses(session, people)
    # Again under the lock: two events of one return, side by side, tell it once.
    returning = away_now(people)
    if not returning:
        return DepartureOutcome()
    resumed = 0
    notices: list[Notice] = []
    states = _pairs_of(session, returning)
    for person in returning:
        back_with: list[str] = []
        still_with: list[str] = []
        for state in states:
            if person.id not in {member.id for member in state.people}:
                continue
            pair = session.get(Pair, state.pair_id)
            assert pair is not None
            if not (pair.status is PairStatus.PAUSED and pair.paused_until is None
                    and pair.pause_reason == LEFT_WORKSPACE_REASON):
                continue  # not paused by the departure: whoever paused it decides
            partner_id = state.mentee.id if state.mentor.id == person.id else state.mentor.id
            partner = session.get(Participant, partner_id)
            assert partner is not None
            pair_today = local_day(now, state.zones)
            if _away(partner, session, pair_today):
                still_with.append(partner.name)
                if person_paused(partner, pair_today) and not _gone(partner, session):
                    # Back to the partner's own dated break, which the departure had replaced:
                    # left "until further notice", the pair stayed paused after that break
                    # ended, since only a dated pause ends by itself.
                    pair.paused_until = partner.paused_until
                    pair.pause_reason = partner.pause_reason
                continue
            pair.status = PairStatus.ACTIVE
            pair.paused_until = pair_today  # check-in windows count from today, not from before the break
            pair.pause_reason = None
            resumed += 1
            back_with.append(partner.name)
            if state.reachable and state.channel_id:
                # The channel never heard of this break: the welcome back's key is taken and
                # withdrawn at once, so the pause-endings job does not send one either.
                welcome = _welcome_back(state, on=pair_today, not_before=next_shared_time(now, state.zones))
                enqueue_all(session, outgoing_calls(session, [welcome]), now=now)
                cancel_pending(session, dedup_keys=[welcome.dedup_key], reason="the break was never announced")
        round_ = session.get(Round, person.round_id)
        assert round_ is not None
        person.updated_at = now
        notices.append(Notice(
            dedup_key=f"{back_prefix(person.id)}n={_episodes(session, back_prefix(person.id))}",
            to=Coordinators(person.round_id),
            facts=PersonBackInWorkspace(name=person.name, role=person.role, round_name=round_.name,
                                        resumed_with=tuple(back_with), still_paused_with=tuple(still_with)),
            not_before=now, in_working_hours=True,
        ))
    told = queue_notices(session, notices, now=now)
    return DepartureOutcome(told=told, resumed_pairs=resumed)


__all__ = [
    "LEFT_WORKSPACE_REASON",
    "PERSON_GONE_ERRORS",
    "DepartureOutcome",
    "PersonBackInWorkspace",
    "PersonLeftWorkspace",
    "back_prefix",
    "left_prefix",
    "participant_back_in_workspace",
    "participant_left_workspace",
]
