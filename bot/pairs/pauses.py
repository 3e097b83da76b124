"""Pauses: `/mentoring pause until DATE [reason]`, `/mentoring resume`, and the pause that
ends by itself on its date with a welcome back in the pair channel.

How a pause is stored (a decision, since both people and pairs have `paused_until`):

* the **person** who pauses gets `Participant.paused_until` and `pause_reason`: who paused,
  until when and why (the reason goes to the coordinators only, never to the partner);
* each of their **pairs** is paused too (`Pair.status = PAUSED`, `Pair.paused_until`):
  a person's pause pauses their pair, so the pair gets no check-ins or prompts, and the
  rest of the bot (App Home, session logging) sees one pair state. When both have paused,
  the pair stays paused until the later date;
* a pause **ends by itself** on its date: from that day the pair is active again (a tick
  flips the status) and, in the pair's first slot that day, the channel hears "welcome
  back". `paused_until` stays on the rows as the day the break ended: check-in windows
  count from it, so a break is never counted as missed sessions;
* the person's own meeting reminders stop during their pause; the partner's do not;
* a queued message whose premise a pause changes is withdrawn before it goes out: a pause
  withdraws the pair's check-ins, prompts and welcome back; moving a pause to another date
  withdraws the notices of the old date; a pause taken back (`/mentoring resume`) before its
  notices went out withdraws them, and then there is no welcome back either, since nobody
  heard of the break. Each pause gets its own notice keys (they name when it was taken),
  so a pause taken again after one was withdrawn is announced;
* only live (published) pairs are paused: a draft pair's people are not matched yet.

Dates are read by `bot.core.dates` in English or Danish ("15 march", "til den 15. marts",
"2027-03-15", "15/3", "next monday", "i morgen"), looking ahead: a date without a year, or a
weekday, is the next one to come. What is the pause's own is the wording around the date
("until DATE" / "til DATO"), the reason after it, and the limits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select, union, update
from sqlalchemy.orm import Session, aliased

from bot.core.dates import Yearless, leading_date
from bot.core.notices import Conversation, Coordinators, Notice, outgoing_calls, queue_notices
from bot.core.outbox import cancel_pending, enqueue_all
from bot.core.people import identify
from bot.core.timing import due_slot, local_day, next_shared_time, zone
from bot.core.workspace import Workspace
from bot.i18n import normalise_language
from bot.nudges.checkins import checkin_prefix
from bot.pairs.notices import PairPaused, PersonPaused, WelcomeBack
from bot.pairs.state import (
    PairState,
    PauseHold,
    in_selection,
    live_pair,
    load_pair_states,
    pair_selection,
    pause_hold,
    person_paused,
)
from bot.timeline.service import prompt_prefix, reminder_prefix
from storage.models import OutboxMessage, Pair, PairStatus, Participant, Programme, Role, Round

PAUSE_MAX_DAYS = 183  # about six months: longer than that is leaving, a coordinator's call
REASON_LIMIT = 500  # Participant.pause_reason's column size
WELCOME_BACK_WITHIN_DAYS = 7  # a worker down for days still welcomes, but not weeks late

_LEAD_WORDS = frozenset({"until", "till", "til", "to", "indtil"})


class PauseProblem(str, enum.Enum):
    USAGE = "usage"  # no date at all
    BAD_DATE = "bad_date"
    PAST = "past"  # today or earlier: a pause must end in the future
    TOO_FAR = "too_far"
    REASON_TOO_LONG = "reason_too_long"
    NOT_PARTICIPANT = "not_participant"


@dataclass(frozen=True, kw_only=True)
class ParsedPause:
    until: date | None = None
    reason: str | None = None
    problem: PauseProblem | None = None
    typed: str = ""  # what we could not read, to quote back


def parse_pause(text: str, *, today: date, language: str | None = None) -> ParsedPause:
    """"until 15 march moving house" -> (2027-03-15, "moving house"), with every rule checked.

    The date is the longest date the text starts with after "until" / "til" (so a reason
    that begins with a number is not swallowed), read looking ahead from today."""
    tokens = text.split()
    if tokens and tokens[0].lower() in _LEAD_WORDS:
        tokens = tokens[1:]
    if not tokens:
        return ParsedPause(problem=PauseProblem.USAGE)
    written = " ".join(tokens)
    read = leading_date(written, today=today, language=language, yearless=Yearless.FUTURE)
    if read is None:
        return ParsedPause(problem=PauseProblem.BAD_DATE, typed=" ".join(tokens[:3]))
    if read.day is None:  # "31 february", "this week": no one day
        return ParsedPause(problem=PauseProblem.BAD_DATE, typed=read.text)
    reason = written[read.end:].lstrip(" .,;:") or None
    return _checked(read.day, reason=reason, today=today, typed=read.text)


def _checked(until: date, *, reason: str | None, today: date, typed: str) -> ParsedPause:
    if until <= today:
        return ParsedPause(until=until, problem=PauseProblem.PAST, typed=typed)
    if until > today + timedelta(days=PAUSE_MAX_DAYS):
        return ParsedPause(until=until, problem=PauseProblem.TOO_FAR, typed=typed)
    if reason is not None and len(reason) > REASON_LIMIT:
        return ParsedPause(until=until, problem=PauseProblem.REASON_TOO_LONG, typed=typed)
    return ParsedPause(until=until, reason=reason)


def latest_pause_end(today: date) -> date:
    return today + timedelta(days=PAUSE_MAX_DAYS)


# --- dedup keys ---------------------------------------------------------------------------------------


def welcome_back_key(pair_id: int, on: date) -> str:
    return f"{welcome_back_prefix(pair_id)}on={on.isoformat()}"


def welcome_back_prefix(pair_id: int) -> str:
    return f"welcome-back:pair={pair_id}:"


def pause_notice_prefix(pair_id: int, participant_id: int | None = None) -> str:
    """The pair channel's notices of a pause: all of them, or those of one person's pauses."""
    who = f"participant={participant_id}:" if participant_id is not None else ""
    return f"pause:pair={pair_id}:{who}"


def pause_notice_key(pair_id: int, participant_id: int, until: date, *, since: datetime, take: int) -> str:
    """One pause's notice: `since` (when it was taken) and `take` (how many of this person's
    pause notices were queued before, see `_queued_before`) tell a pause taken again, after
    one was withdrawn, from the withdrawn one, whose key stays taken, even within a second."""
    prefix = pause_notice_prefix(pair_id, participant_id)
    return f"{prefix}until={until.isoformat()}:since={_instant(since)}:take={take}"


def coordinator_pause_prefix(participant_id: int) -> str:
    """Every coordinator notice of one person's pauses, to whichever target it went."""
    return f"pause-notice:participant={participant_id}:"


def coordinator_pause_key(participant_id: int, until: date, *, since: datetime, take: int) -> str:
    """The coordinators' notice of one pause; each target's row adds `:to=<target>` to it
    when queued, so `coordinator_pause_prefix` withdraws them all. `take` as for
    `pause_notice_key`."""
    prefix = coordinator_pause_prefix(participant_id)
    return f"{prefix}until={until.isoformat()}:since={_instant(since)}:take={take}"


def _queued_before(session: Session, prefix: str) -> int:
    """How many rows were ever queued under this prefix (sent, pending or withdrawn).

    A pause moved to 20 March and back to 15 March, or taken back and taken again, within
    one second would otherwise get the key of the withdrawn notice and never be announced.
    The count only grows, and the person's row lock (`_lock_pauses`) serialises the takers."""
    return session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedup_key.startswith(prefix, autoescape=True))
    ) or 0


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def pair_nudge_prefixes(pair_id: int) -> list[str]:
    """Queued messages in a pair channel that presume the pair goes on meeting: check-ins,
    meeting prompts, a welcome back. A pause or the pair's end makes them untrue."""
    return [checkin_prefix(pair_id), prompt_prefix(pair_id), welcome_back_prefix(pair_id)]


# --- pausing and resuming -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PauseOutcome:
    language: str
    until: date | None = None
    problem: PauseProblem | None = None
    typed: str = ""
    today: date | None = None

    @property
    def paused(self) -> bool:
        return self.problem is None and self.until is not None


def _own_rows(session: Session, *, slack_user_id: str, workspace: Workspace | None, now: datetime) -> list[Participant]:
    """The person as mentor or mentee in every round still running of this workspace (the
    same user id in another workspace is someone else). None: wherever the id is, for a
    caller that only has the id Slack refused (the deliverer, until it knows the team)."""
    query = (
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(
            Participant.slack_user_id == slack_user_id,
            Participant.role.in_([Role.MENTOR, Role.MENTEE]),
            Round.ends_on >= now.date() - timedelta(days=1),
        )
        .order_by(Round.starts_on.desc(), Participant.id.desc())
    )
    if workspace is not None:
        query = query.where(Participant.round_id.in_(workspace.rounds()))
    return list(session.scalars(query))


def _lock_pauses(session: Session, people: list[Participant]) -> None:
    """Lock these people's live pairs, then the people (FOR UPDATE, each by id; SQLite's
    BEGIN IMMEDIATE already serialises), and read them afresh, before anything is decided.

    A pause or a resume decides from the person's own pause, the partner's and the pair's.
    On PostgreSQL (READ COMMITTED) two at once would each decide from what was there before
    the other: the pair left paused until the earlier of two dates, or active while the
    partner had just paused, with a welcome back queued after that pause withdrew the
    queue; the same pause delivered twice would withdraw its own copy's notices as "moved".
    Locked, the second waits and decides from what the first stored. The pair comes first,
    as for every other lock on it (logging a session, ending the pair); a pair the
    coordinators ended meanwhile is not locked, nor then paused again."""
    ids = sorted(person.id for person in people)
    session.scalars(
        select(Pair).where(or_(Pair.mentor_id.in_(ids), Pair.mentee_id.in_(ids)), live_pair())
        .order_by(Pair.id).with_for_update().execution_options(populate_existing=True)
    ).all()
    session.scalars(
        select(Participant).where(Participant.id.in_(ids))
        .order_by(Participant.id).with_for_update().execution_options(populate_existing=True)
    ).all()


def _personal_today(session: Session, participant: Participant, now: datetime) -> date:
    programme_zone = session.scalar(
        select(Programme.timezone).join(Round, Round.programme_id == Programme.id).where(Round.id == participant.round_id)
    )
    return now.astimezone(zone(participant.timezone or programme_zone)).date()


def _pairs_of(session: Session, people: list[Participant]) -> list[PairState]:
    """Every live pair of these people, with or without a channel yet (a draft is no pair)."""
    ids = [person.id for person in people]
    selection = select(Pair.id).where(or_(Pair.mentor_id.in_(ids), Pair.mentee_id.in_(ids)), live_pair())
    return load_pair_states(session, selection)


def pause_participant(session: Session, *, slack_user_id: str, workspace: Workspace, text: str, now: datetime) -> PauseOutcome:
    """Pause this person (and so their pairs) until the date in `text`; nothing is stored
    when the text does not hold a date in the next six months."""
    people = _own_rows(session, slack_user_id=slack_user_id, workspace=workspace, now=now)
    if not people:
        language = identify(session, slack_user_id=slack_user_id, workspace=workspace).language
        return PauseOutcome(language=language, problem=PauseProblem.NOT_PARTICIPANT)
    _lock_pauses(session, people)
    language = normalise_language(people[0].language)
    today = _personal_today(session, people[0], now)
    parsed = parse_pause(text, today=today, language=language)
    if parsed.problem is not None or parsed.until is None:
        return PauseOutcome(language=language, until=parsed.until, problem=parsed.problem, typed=parsed.typed,
                            today=today)
    until, reason = parsed.until, parsed.reason
    # The same pause again changes only its reason: its notices are queued or out already.
    # A pause moved to another date has news; what was queued for the old date is not true.
    moved = {person.id for person in people if not (person_paused(person, today) and person.paused_until == until)}
    for person in people:
        person.paused_until = until
        person.pause_reason = reason
        person.updated_at = now
    cancel_pending(session, key_prefixes=[coordinator_pause_prefix(person_id) for person_id in sorted(moved)],
                   reason="the pause was moved to another date")
    states = _pairs_of(session, people)
    by_id = {person.id: person for person in people}
    notices: list[Notice] = []
    for state in states:
        pair = session.get(Pair, state.pair_id)
        assert pair is not None
        pair_today = local_day(now, state.zones)
        if not (pair.status is PairStatus.PAUSED and pair.paused_until is None):  # a coordinator's open pause stays
            pair.status = PairStatus.PAUSED
            still_paused = pair.paused_until is not None and pair.paused_until > pair_today
            pair.paused_until = max(until, pair.paused_until) if still_paused and pair.paused_until else until
            pair.pause_reason = reason
        # Nothing already queued for the pair or the person may still go out.
        cancel_pending(session, key_prefixes=pair_nudge_prefixes(state.pair_id), reason="paused")
        pauser = next(person for person in state.people if person.id in by_id)
        if pauser.id not in moved:
            continue
        cancel_pending(session, key_prefixes=[pause_notice_prefix(state.pair_id, pauser.id)],
                       reason="the pause was moved to another date")
        if state.reachable and state.channel_id:
            notices.append(
                Notice(
                    dedup_key=pause_notice_key(
                        state.pair_id, pauser.id, until, since=now,
                        take=_queued_before(session, pause_notice_prefix(state.pair_id, pauser.id)),
                    ),
                    to=Conversation(state.channel_id, team_id=state.team_id),
                    facts=PairPaused(name=pauser.name, until=until),
                    not_before=next_shared_time(now, state.zones), language=state.language,
                )
            )
    cancel_pending(session, key_prefixes=[reminder_prefix(person.id) for person in people], reason="paused")
    notices.extend(_coordinator_notices(session, [person for person in people if person.id in moved], until=until,
                                        reason=reason, now=now))
    queue_notices(session, notices, now=now)
    return PauseOutcome(language=language, until=until, today=today)


def _coordinator_notices(
    session: Session, people: list[Participant], *, until: date, reason: str | None, now: datetime
) -> list[Notice]:
    """The coordinators learn who paused, until when, and why (the partner learns only when),
    each in their own working hours (the coordinator channel in the programme's)."""
    notices = []
    for person in people:
        round_ = session.get(Round, person.round_id)
        assert round_ is not None
        facts = PersonPaused(name=person.name, role=person.role, until=until, reason=reason, round_name=round_.name)
        notices.append(
            Notice(dedup_key=coordinator_pause_key(person.id, until, since=now,
                                                  take=_queued_before(session, coordinator_pause_prefix(person.id))),
                   to=Coordinators(person.round_id),
                   facts=facts, not_before=now, in_working_hours=True)
        )
    return notices


@dataclass(frozen=True, kw_only=True)
class ResumeOutcome:
    language: str
    resumed: bool
    participant: bool = True
    holds: tuple[PauseHold, ...] = ()  # pairs of theirs still paused, and by whom (the partner, the coordinators)


def resume_participant(session: Session, *, slack_user_id: str, workspace: Workspace, now: datetime) -> ResumeOutcome:
    """End this person's pause today. Their pairs are active again unless the partner is
    still on a break; an active pair's channel gets its welcome back, if it heard of the
    break. Notices of the pause not yet sent are withdrawn: the pause they announce is over.

    Someone not on a pause whose pair is paused hears who paused it and until when."""
    people = _own_rows(session, slack_user_id=slack_user_id, workspace=workspace, now=now)
    if not people:
        language = identify(session, slack_user_id=slack_user_id, workspace=workspace).language
        return ResumeOutcome(language=language, resumed=False, participant=False)
    _lock_pauses(session, people)
    language = normalise_language(people[0].language)
    today = _personal_today(session, people[0], now)
    paused = [person for person in people if person.paused_until is not None and person.paused_until > today]
    if not paused:
        return ResumeOutcome(language=language, resumed=False, holds=_holds(session, people, today=today))
    for person in paused:
        person.paused_until = today
        person.updated_at = now
    cancel_pending(session, key_prefixes=[coordinator_pause_prefix(person.id) for person in paused],
                   reason="the pause ended before it was announced")
    notices = []
    by_id = {person.id for person in paused}
    for state in _pairs_of(session, paused):
        pair = session.get(Pair, state.pair_id)
        assert pair is not None
        pair_today = local_day(now, state.zones)
        unheard = cancel_pending(
            session, key_prefixes=[pause_notice_prefix(state.pair_id, person.id) for person in state.people
                                   if person.id in by_id],
            reason="the pause ended before it was announced",
        )
        if pair.status is PairStatus.PAUSED and pair.paused_until is None:
            continue  # paused by a coordinator until further notice: theirs to lift
        partner = next((person for person in state.people if person.id not in by_id), None)
        if partner is not None and partner.paused_until is not None and partner.paused_until > pair_today:
            pair.paused_until = partner.paused_until  # still on the partner's break
            continue
        pair.status = PairStatus.ACTIVE
        pair.paused_until = pair_today
        if state.reachable and state.channel_id:
            welcome = _welcome_back(state, on=pair_today, not_before=next_shared_time(now, state.zones))
            if not unheard:
                notices.append(welcome)
                continue
            # Nobody heard of this break, so nobody is welcomed back from it: the welcome's
            # key is taken and withdrawn at once, so the pause-endings job sends none either.
            enqueue_all(session, outgoing_calls(session, [welcome]), now=now)
            cancel_pending(session, dedup_keys=[welcome.dedup_key], reason="the pause was never announced")
    queue_notices(session, notices, now=now)
    return ResumeOutcome(language=language, resumed=True, holds=_holds(session, people, today=today))


def _holds(session: Session, people: list[Participant], *, today: date) -> tuple[PauseHold, ...]:
    """Why each of these people's live pairs that is paused is paused, as they should hear it."""
    holds = []
    by_id = {person.id for person in people}
    for state in _pairs_of(session, people):
        pair = session.get(Pair, state.pair_id)
        assert pair is not None
        viewer = next(person for person in state.people if person.id in by_id)
        hold = pause_hold(pair, viewer_id=viewer.id, today=today)
        if hold is not None:
            holds.append(hold)
    return tuple(holds)


def _welcome_back(state: PairState, *, on: date, not_before: datetime) -> Notice:
    assert state.channel_id is not None
    facts = WelcomeBack(mentor_name=state.mentor.name, mentee_name=state.mentee.name,
                        mentor_user_id=state.mentor.slack_user_id, mentee_user_id=state.mentee.slack_user_id)
    return Notice(dedup_key=welcome_back_key(state.pair_id, on),
                  to=Conversation(state.channel_id, team_id=state.team_id), facts=facts,
                  not_before=not_before, language=state.language)


# --- pauses that end by themselves -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DuePauseEndings:
    notices: list[Notice] = field(default_factory=list)  # for the tick to queue
    reactivated: int = 0  # pairs whose pause ended and are active again


def due_pause_endings(session: Session, *, now: datetime) -> DuePauseEndings:
    """Pairs whose pause has reached its date become active again, and get their welcome back
    in their slot on the day (or within a week, should the worker have been down).

    Only pauses that ended in the last week are read: two statements, whatever the size,
    after one that finds them on the pause dates' indexes (an idle tick stops there)."""
    today = now.date()
    between = (today - timedelta(days=WELCOME_BACK_WITHIN_DAYS + 1), today + timedelta(days=1))
    mentor, mentee = aliased(Participant), aliased(Participant)
    ended = list(session.scalars(union(
        select(Pair.id).where(Pair.paused_until.between(*between)),
        select(Pair.id).join(mentor, mentor.id == Pair.mentor_id).where(mentor.paused_until.between(*between)),
        select(Pair.id).join(mentee, mentee.id == Pair.mentee_id).where(mentee.paused_until.between(*between)),
    )))
    if not ended:
        return DuePauseEndings(notices=[], reactivated=0)
    selection = pair_selection(today=today, pair_ids=ended, pause_ended_between=between)
    # Lock the candidates before reading them (in id order, as pause, resume and end-pair
    # lock pairs): a coordinator ending a pair, or someone pausing again, while this runs
    # either goes first and is seen below, or waits for this to commit. Without it, a pair
    # ended in between was set active again.
    candidates = select(Pair.id).where(Pair.id.in_(in_selection(selection))).order_by(Pair.id)
    session.scalars(candidates.with_for_update()).all()
    notices: list[Notice] = []
    reactivate: list[int] = []
    for state in load_pair_states(session, selection):
        pair_today = local_day(now, state.zones)
        if state.status is PairStatus.PAUSED:
            if state.paused_until is None or state.paused_until > pair_today or state.is_paused(pair_today):
                continue
            reactivate.append(state.pair_id)
        elif state.is_paused(pair_today):
            continue
        resumed = state.resumed_on(pair_today)
        if resumed is None or pair_today > resumed + timedelta(days=WELCOME_BACK_WITHIN_DAYS):
            continue
        slot = due_slot(now, state.zones)
        if slot is not None and state.reachable:
            notices.append(_welcome_back(state, on=resumed, not_before=slot))
    if reactivate:
        session.execute(update(Pair).where(Pair.id.in_(reactivate), Pair.status == PairStatus.PAUSED)
                        .values(status=PairStatus.ACTIVE))
    return DuePauseEndings(notices=notices, reactivated=len(reactivate))


__all__ = [
    "PAUSE_MAX_DAYS",
    "DuePauseEndings",
    "ParsedPause",
    "PauseOutcome",
    "PauseProblem",
    "ResumeOutcome",
    "due_pause_endings",
    "pair_nudge_prefixes",
    "parse_pause",
    "pause_participant",
    "resume_participant",
    "welcome_back_key",
]
