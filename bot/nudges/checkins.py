"""Check-ins: "Did you meet?" in each pair's channel when a cadence window passes without a
1:1 session, and a word to the coordinator when a pair goes quiet.

The rules, all derived from rows on record (nothing scheduled ahead, so a restart or a tick
run twice changes nothing):

* **Windows.** A round has a cadence (`session_every_days`, default 14). A pair's windows
  start on the latest of: the round's start, the day its channel opened, the day its last
  pause ended (a pause restarts the cadence rather than counting the break as missed).
* **Check-in.** When the latest window has passed and no session was held since it began,
  the channel gets one check-in for that window (a `Checkin` row, unique per pair and
  window). Only the latest window is asked about: nobody gets a backlog.
* **Answers.** "It's planned for DATE" holds every nudge until that date; "Not yet" asks
  again 3 working days later; "We'd like help" tells the coordinator now; "Yes" opens the
  session log (the session-logging feature), and the session itself answers.
* **Flags.** Two missed windows in a row flag the pair for the coordinators' digest
  (`flagged_pairs`); three, or one person letting three check-ins pass without a word,
  sends the coordinators a note naming the pair, once per episode (the dedup key names
  the episode's first window).
* **Timing.** A check-in goes out in the pair's shared slot (bot.core.timing): 10:00 on
  a weekday in the lead zone, later when that is night for the other person. Jobs write a
  nudge only while its slot is open, so what they write is due at once. Coordinator news
  goes in working hours where the programme is.

What is said is queued as notices (`bot.nudges.notices`): facts, worded by the platform
adapter when they are sent.

A person's pause pauses their pair: no check-ins, re-asks or prompts while either is
paused (see bot.pairs.pauses).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Executable, Select, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.notices import Conversation, Coordinators, Notice, queue_notices
from bot.core.people import identify
from bot.core.timing import OpenSlots, add_working_days, local_day
from bot.core.workspace import Workspace
from bot.nudges.marks import earliest as marks_earliest
from bot.nudges.marks import merge, next_slot, open_at_or_after, slot_from
from bot.nudges.notices import CheckinFacts, CheckinHelpRequested, CheckinsIgnored, PairGoingQuiet, PairNewsFacts
from bot.pairs.state import (
    PairState,
    in_selection,
    load_pair_states,
    pair_selection,
    session_dates,
    zones_near_slot,
)
from storage.models import Checkin, CheckinAnswer, table_of

NOT_YET_WORKING_DAYS = 3
FLAG_AFTER_MISSED = 2  # windows in a row: flagged for the digest
QUIET_AFTER_MISSED = 3  # windows in a row: the coordinators are told
QUIET_AFTER_IGNORED = 3  # check-ins in a row one person let pass
IGNORE_GRACE = timedelta(days=3)  # a check-in counts as ignored once it is this old
PLANNED_MAX_DAYS = 90


# --- dedup keys ---------------------------------------------------------------------------------------


def checkin_key(pair_id: int, window_start: date) -> str:
    return f"checkin:pair={pair_id}:window={window_start.isoformat()}"


def checkin_again_key(pair_id: int, window_start: date, again_on: date) -> str:
    return f"{checkin_key(pair_id, window_start)}:again={again_on.isoformat()}"


def checkin_prefix(pair_id: int) -> str:
    """Every check-in of a pair (the trailing colon keeps pair=4 from matching pair=42)."""
    return f"checkin:pair={pair_id}:"


def help_key(pair_id: int, window_start: date) -> str:
    """Once per check-in, however often clicked (each coordinator target gets `:to=<target>`)."""
    return f"checkin-help:pair={pair_id}:window={window_start.isoformat()}"


def quiet_key(pair_id: int, since: date, *, person_ids: Sequence[int] = ()) -> str:
    """One note per episode: a streak of missed windows (since its first window), or a run of
    check-ins let pass by these people (since the run's first). Each coordinator target's
    row gets `:to=<target>` added when the notice is queued."""
    who = f":silent={'+'.join(str(person_id) for person_id in person_ids)}" if person_ids else ""
    return f"quiet:pair={pair_id}{who}:since={since.isoformat()}"


# --- where a pair stands ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CheckinRow:
    """The columns of a `Checkin` the rules read (loaded in bulk, not as ORM objects)."""

    pair_id: int
    window_start: date
    asked_at: datetime
    answer: CheckinAnswer | None = None
    answered_by_id: int | None = None
    planned_for: date | None = None
    ask_again_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Ignored:
    """Check-ins in a row one person let pass, newest backwards; `since` is the oldest's window."""

    person_id: int
    count: int
    since: date


@dataclass(frozen=True, kw_only=True)
class PairProgress:
    """Where a pair stands on `today`, derived from its sessions and check-ins."""

    today: date
    anchor: date
    every_days: int
    windows_ended: int
    last_evidence: date | None  # the last day they are known to have met
    missed_streak: int  # ended windows in a row, up to today, without a session
    streak_since: date | None  # the first of those windows
    latest_window: date | None  # start of the latest ended window
    hold_until: date | None  # "planned for": no nudges up to and including this day
    checkin_due: bool
    reask: CheckinRow | None
    ignored: tuple[Ignored, ...] = ()

    @property
    def flagged(self) -> bool:
        return self.missed_streak >= FLAG_AFTER_MISSED

    @property
    def quiet(self) -> bool:
        return self.missed_streak >= QUIET_AFTER_MISSED


def window_anchor(state: PairState, today: date) -> date:
    """Where the pair's windows start counting (see the module's docstring)."""
    candidates = [state.starts_on, state.opened_on()]
    resumed = state.resumed_on(today)
    if resumed is not None:
        candidates.append(resumed)
    return max(candidates)


def pair_progress(
    state: PairState, *, today: date, now: datetime, held: Sequence[date], checkins: Sequence[CheckinRow]
) -> PairProgress:
    """The rules of the module's docstring, for one pair: pure, so tests need no database."""
    every = state.every_days
    anchor = window_anchor(state, today)
    ended = (today - anchor).days // every if today >= anchor else 0
    met_windows = [row.window_start for row in checkins if row.answer is CheckinAnswer.MET]
    evidence_days = [day for day in (*held, *met_windows) if day <= today]
    evidence = max(evidence_days) if evidence_days else None
    first_missed = 0 if evidence is None or evidence < anchor else (evidence - anchor).days // every + 1
    streak = max(0, ended - first_missed)
    streak_since = anchor + timedelta(days=first_missed * every) if streak else None
    latest = anchor + timedelta(days=(ended - 1) * every) if ended >= 1 else None
    holds = [row.planned_for for row in checkins
             if row.answer is CheckinAnswer.PLANNED and row.planned_for is not None and row.planned_for >= today]
    hold_until = max(holds) if holds else None
    asked = {row.window_start for row in checkins}
    met_since_latest = latest is not None and evidence is not None and evidence >= latest
    checkin_due = latest is not None and not met_since_latest and latest not in asked and hold_until is None
    reask = None
    if not checkin_due and hold_until is None and checkins:
        newest = max(checkins, key=lambda row: row.window_start)
        if (
            newest.answer is CheckinAnswer.NOT_YET
            and newest.ask_again_on is not None
            and newest.ask_again_on <= today
            # A "not yet" from before a pause belongs to the old cadence: the pause restarted
            # it, so the pair is welcomed back, not asked about the weeks before the break.
            and newest.ask_again_on >= anchor
            and (evidence is None or evidence < newest.window_start)
            and (latest is None or newest.window_start >= latest)
        ):
            reask = newest
    return PairProgress(
        today=today, anchor=anchor, every_days=every, windows_ended=ended, last_evidence=evidence,
        missed_streak=streak, streak_since=streak_since, latest_window=latest, hold_until=hold_until,
        checkin_due=checkin_due, reask=reask,
        ignored=_ignored_runs(state, now=now, held=held, checkins=checkins),
    )


def _ignored_runs(
    state: PairState, *, now: datetime, held: Sequence[date], checkins: Sequence[CheckinRow]
) -> tuple[Ignored, ...]:
    """Per person: the check-ins in a row, newest first, that they let pass.

    A check-in counts as let pass by someone once it is `IGNORE_GRACE` old and they did not
    answer it (the row keeps the last answerer), unless the pair answered it anyway: the
    partner said "we met" or "it's planned", or a session was logged for a day between the
    window's start and the grace's end. So a mentee answering "not yet" three times while
    the mentor stays silent names the mentor, even if they met in between. Answering ends
    the run. Only the last answer is stored: an answer the partner later overwrote counts
    as the partner's, so the rule errs towards silence."""
    ordered = sorted(checkins, key=lambda row: row.window_start, reverse=True)
    results = []
    for person in state.people:
        count, since = 0, None
        for row in ordered:
            if now - row.asked_at < IGNORE_GRACE:
                continue
            answered_by_logging = any(row.window_start <= day <= (row.asked_at + IGNORE_GRACE).date() for day in held)
            if (
                row.answered_by_id == person.id
                or row.answer in (CheckinAnswer.MET, CheckinAnswer.PLANNED)
                or answered_by_logging
            ):
                break
            count, since = count + 1, row.window_start
        if count and since is not None:
            results.append(Ignored(person_id=person.id, count=count, since=since))
    return tuple(results)


# --- bulk reads ------------------------------------------------------------------------------------------


def _checkin_rows(session: Session, selection: Select[int]) -> dict[int, list[CheckinRow]]:
    found: dict[int, list[CheckinRow]] = defaultdict(list)
    rows = session.execute(
        select(Checkin.pair_id, Checkin.window_start, Checkin.asked_at, Checkin.answer, Checkin.answered_by_id,
               Checkin.planned_for, Checkin.ask_again_on)
        .where(Checkin.pair_id.in_(in_selection(selection)))
        .order_by(Checkin.pair_id, Checkin.window_start)
    )
    for pair_id, window_start, asked_at, answer, answered_by_id, planned_for, ask_again_on in rows:
        found[pair_id].append(
            CheckinRow(pair_id=pair_id, window_start=window_start, asked_at=asked_at, answer=answer,
                       answered_by_id=answered_by_id, planned_for=planned_for, ask_again_on=ask_again_on)
        )
    return found


# --- the tick's job -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DueCheckins:
    notices: list[Notice] = field(default_factory=list)  # for the tick to queue
    asked: int = 0  # new Checkin rows
    asked_again: int = 0
    # Asked for some rounds: for each, when these rules next have anything to ask there
    # (None: nothing until its rows change), for the tick's marks (bot.nudges.marks).
    next_due: dict[int, datetime | None] = field(default_factory=dict)


def checkin_facts(state: PairState, *, window_start: date, again: bool = False) -> CheckinFacts:
    return CheckinFacts(
        pair_id=state.pair_id, window_start=window_start, every_days=state.every_days,
        mentor_name=state.mentor.name, mentee_name=state.mentee.name,
        mentor_user_id=state.mentor.slack_user_id, mentee_user_id=state.mentee.slack_user_id, again=again,
    )


def _checkin_notice(state: PairState, *, dedup_key: str, facts: CheckinFacts, not_before: datetime) -> Notice:
    assert state.channel_id is not None
    return Notice(dedup_key=dedup_key, to=Conversation(state.channel_id, team_id=state.team_id), facts=facts,
                  not_before=not_before, language=state.language)


def news_facts(state: PairState, *, last_session: date | None) -> PairNewsFacts:
    return PairNewsFacts(
        mentor_name=state.mentor.name, mentee_name=state.mentee.name, channel_id=state.channel_id,
        round_name=state.round_name, last_session=last_session,
    )


def due_checkins(session: Session, *, now: datetime, round_ids: Collection[int] | None = None) -> DueCheckins:
    """Check-ins, re-asks and "going quiet" notes due now, for every pair whose slot is open.

    A fixed number of statements whatever the number of pairs: one to find the zones whose
    slot could be open, one each for the pairs, their sessions and their check-ins, and one
    each to write new and re-asked check-ins. Who the coordinators are is looked up when
    the tick queues the notes (`bot.core.notices`), once per round.

    With `round_ids` (the tick's rounds whose mark has come), only those rounds are read,
    all their pairs whatever their zones, and the result says when each round next needs
    a look (`next_due_checkin`)."""
    if round_ids is not None and not round_ids:
        return DueCheckins()
    zone_names = zones_near_slot(session, now=now)
    if not zone_names:
        return DueCheckins()
    if round_ids is None:
        selection = pair_selection(today=now.date(), zone_names=zone_names)
    else:
        selection = pair_selection(today=now.date(), round_ids=round_ids)
    states = [state for state in load_pair_states(session, selection) if state.reachable]
    next_due: dict[int, datetime | None] = {} if round_ids is None else dict.fromkeys(round_ids)
    if not states:
        return DueCheckins(next_due=next_due)
    held_by_pair = session_dates(session, selection)
    checkins_by_pair = _checkin_rows(session, selection)
    notices: list[Notice] = []
    new_rows: list[dict[str, object]] = []
    reasked: list[tuple[int, date]] = []
    open_slots = OpenSlots(now)
    for state in states:
        held = held_by_pair.get(state.pair_id, [])
        checkins = checkins_by_pair.get(state.pair_id, [])
        when = open_slots.open_slot(state.zones)
        if when is None or not (state.starts_on <= when[1] <= state.ends_on) or state.is_paused(when[1]):
            if round_ids is not None:
                merge(next_due, state.round_id,
                      next_due_checkin(state, now=now, held=held, checkins=checkins, acted=False))
            continue
        slot, today = when
        progress = pair_progress(state, today=today, now=now, held=held, checkins=checkins)
        if progress.checkin_due and progress.latest_window is not None:
            window = progress.latest_window
            new_rows.append({"pair_id": state.pair_id, "window_start": window, "asked_at": now})
            notices.append(_checkin_notice(state, dedup_key=checkin_key(state.pair_id, window),
                                           facts=checkin_facts(state, window_start=window), not_before=slot))
            checkins = [*checkins, CheckinRow(pair_id=state.pair_id, window_start=window, asked_at=now)]
        elif (row := progress.reask) is not None and row.ask_again_on is not None:
            reasked.append((state.pair_id, row.window_start))
            notices.append(
                _checkin_notice(
                    state, dedup_key=checkin_again_key(state.pair_id, row.window_start, row.ask_again_on),
                    facts=checkin_facts(state, window_start=row.window_start, again=True), not_before=slot,
                )
            )
            checkins = [replace(item, ask_again_on=None, asked_at=now) if item is row else item for item in checkins]
        if progress.hold_until is None:
            notices.extend(_quiet_notes(state, progress, held=held, now=now))
        if round_ids is not None:
            merge(next_due, state.round_id, next_due_checkin(state, now=now, held=held, checkins=checkins, acted=True))
    _write_checkins(session, new_rows=new_rows, reasked=reasked, now=now)
    return DueCheckins(notices=notices, asked=len(new_rows), asked_again=len(reasked), next_due=next_due)


def next_due_checkin(
    state: PairState, *, now: datetime, held: Sequence[date], checkins: Sequence[CheckinRow], acted: bool
) -> datetime | None:
    """The first instant after `now` at which these rules could ask this pair something they
    have not asked yet, as long as its rows stay as they are (None: never, unless they change).

    `acted`: the pair was just looked at in its open slot, and what was due is queued (and
    `checkins` includes what was just asked). Otherwise (its slot is not open, it is paused,
    its round has not started) anything due today waits for its next slot.

    Errs early: every day on which the outcome of `pair_progress` could change is a
    candidate (the round's start, the next window's end, each pause's end, the day after a
    planned date, a re-ask's day, a session's or an answer's future day), as is the moment
    a check-in becomes "let pass" (`IGNORE_GRACE` after it was asked)."""
    zones = state.zones
    today = local_day(now, zones)
    if today > state.ends_on:
        return None
    days: list[date] = [day for day in (state.paused_until, *(person.paused_until for person in state.people))
                        if day is not None and day > today]
    paused = state.is_paused(today)
    if paused:
        # Only a pause's end (or a change of rows, such as a coordinator's resume) ends it.
        return marks_earliest([slot_from(min(days), zones, after=now)] if days else [], now=now)
    if today < state.starts_on:
        days.append(state.starts_on)
    anchor = window_anchor(state, today)
    every = state.every_days
    ended = (today - anchor).days // every if today >= anchor else 0
    days.append(anchor + timedelta(days=(ended + 1) * every))
    days.extend(row.planned_for + timedelta(days=1) for row in checkins
                if row.planned_for is not None and row.planned_for >= today)
    days.extend(row.ask_again_on for row in checkins if row.ask_again_on is not None and row.ask_again_on > today)
    days.extend(day for day in held if day > today)
    days.extend(row.window_start for row in checkins if row.window_start > today)
    instants: list[datetime | None] = [slot_from(min(days), zones, after=now)]
    instants.extend(open_at_or_after(row.asked_at + IGNORE_GRACE, zones) for row in checkins
                    if row.asked_at + IGNORE_GRACE > now)
    if not acted and state.starts_on <= today:
        progress = pair_progress(state, today=today, now=now, held=held, checkins=checkins)
        waiting = (progress.checkin_due or progress.reask is not None
                   or (progress.hold_until is None and (progress.quiet or any(
                       item.count >= QUIET_AFTER_IGNORED for item in progress.ignored))))
        if waiting:
            instants.append(next_slot(now, zones))
    return marks_earliest(instants, now=now)


def _quiet_notes(state: PairState, progress: PairProgress, *, held: Sequence[date], now: datetime) -> list[Notice]:
    """The coordinators' note for a pair going quiet (three windows in a row), or else for
    whoever of the two let three check-ins in a row pass; once per episode."""
    news = news_facts(state, last_session=max(held) if held else None)
    to = Coordinators(state.round_id)
    if progress.quiet and progress.streak_since is not None:
        facts = PairGoingQuiet(pair=news, missed=progress.missed_streak, every_days=progress.every_days,
                               since=progress.streak_since)
        return [Notice(dedup_key=quiet_key(state.pair_id, progress.streak_since), to=to, facts=facts,
                       not_before=now, in_working_hours=True)]
    silent = [item for item in progress.ignored if item.count >= QUIET_AFTER_IGNORED]
    if not silent:
        return []
    names = {person.id: person.name for person in state.people}
    who = sorted(item.person_id for item in silent)
    since = min(item.since for item in silent)
    ignored = CheckinsIgnored(pair=news, people=tuple(names[person_id] for person_id in who),
                              count=min(item.count for item in silent))
    return [Notice(dedup_key=quiet_key(state.pair_id, since, person_ids=who), to=to, facts=ignored,
                   not_before=now, in_working_hours=True)]


def _write_checkins(
    session: Session, *, new_rows: list[dict[str, object]], reasked: list[tuple[int, date]], now: datetime
) -> None:
    """New rows in one INSERT (a row already there is kept), re-asks in one UPDATE."""
    if new_rows:
        dialect = session.get_bind().dialect.name
        table = table_of(Checkin)
        statement: Executable
        if dialect == "postgresql":
            statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=["pair_id", "window_start"])
        elif dialect == "sqlite":
            statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["pair_id", "window_start"])
        else:  # pragma: no cover - only the two supported backends reach here
            statement = table.insert()
        session.execute(statement, new_rows)
    if reasked:
        table = table_of(Checkin)
        session.execute(
            update(table)
            .where(table.c.pair_id == bindparam("b_pair"), table.c.window_start == bindparam("b_window"))
            .values(ask_again_on=None, asked_at=now),
            [{"b_pair": pair_id, "b_window": window} for pair_id, window in reasked],
        )


# --- answering ---------------------------------------------------------------------------------------------------


class CheckinStatus(str, enum.Enum):
    RECORDED = "recorded"
    NOT_YOURS = "not_yours"  # only the pair's two people answer
    STALE = "stale"  # no such check-in, or the pair has ended
    PAST = "past"  # a planned date before today
    TOO_FAR = "too_far"  # a planned date more than PLANNED_MAX_DAYS ahead
    NO_DATE = "no_date"


@dataclass(frozen=True, kw_only=True)
class CheckinOutcome:
    status: CheckinStatus
    language: str  # the answerer's, for what they alone are told
    facts: CheckinFacts | None = None  # the check-in as it now stands, to redraw the message
    facts_language: str = ""  # the pair channel's, which the check-in is drawn in
    mentor_name: str = ""
    mentee_name: str = ""

    @property
    def recorded(self) -> bool:
        return self.status is CheckinStatus.RECORDED


def answer_checkin(
    session: Session,
    *,
    pair_id: int,
    window_start: date,
    slack_user_id: str, workspace: Workspace,
    answer: CheckinAnswer,
    planned_for: date | None = None,
    now: datetime,
) -> CheckinOutcome:
    """Record one of the pair's answers; an answer may change. "We'd like help" queues a note
    to the coordinators in the same transaction (once per check-in, however often clicked).

    Both of the pair may answer at the same moment. The check-in's row is locked before it
    is read (FOR UPDATE; SQLite's BEGIN IMMEDIATE already serialises), so one answer
    replaces the other whole: on PostgreSQL each would otherwise write only the columns it
    changed, leaving, say, a "not yet" with the other's planned date, put down to the other."""
    states = load_pair_states(session, pair_selection(today=now.date(), pair_ids=[pair_id]))
    checkin = session.scalar(
        select(Checkin).where(Checkin.pair_id == pair_id, Checkin.window_start == window_start).with_for_update()
    )
    viewer_language = _language_of(session, slack_user_id, workspace)
    if not states or checkin is None or not workspace.owns_round(session, states[0].round_id):
        # A pair of another workspace is no pair here, whoever's id the click carries.
        return CheckinOutcome(status=CheckinStatus.STALE, language=viewer_language)
    state = states[0]
    answerer = next((person for person in state.people if person.slack_user_id == slack_user_id), None)
    if answerer is None:
        # Whose it is helps a coordinator who sits in the pair channel; anyone else (the
        # button may be forged, or from another programme) learns no names from a refusal.
        named = identify(session, slack_user_id=slack_user_id, workspace=workspace).coordinates(state.round_id)
        return CheckinOutcome(status=CheckinStatus.NOT_YOURS, language=viewer_language,
                              mentor_name=state.mentor.name if named else "",
                              mentee_name=state.mentee.name if named else "")
    today = local_day(now, state.zones)
    if answer is CheckinAnswer.PLANNED:
        if planned_for is None:
            return CheckinOutcome(status=CheckinStatus.NO_DATE, language=answerer.language)
        if planned_for < today:
            return CheckinOutcome(status=CheckinStatus.PAST, language=answerer.language)
        if planned_for > today + timedelta(days=PLANNED_MAX_DAYS):
            return CheckinOutcome(status=CheckinStatus.TOO_FAR, language=answerer.language)
    checkin.answer = answer
    checkin.answered_by_id = answerer.id
    checkin.answered_at = now
    checkin.planned_for = planned_for if answer is CheckinAnswer.PLANNED else None
    checkin.ask_again_on = add_working_days(today, NOT_YET_WORKING_DAYS) if answer is CheckinAnswer.NOT_YET else None
    if answer is CheckinAnswer.HELP:
        held = session_dates(session, pair_selection(today=now.date(), pair_ids=[pair_id])).get(pair_id, [])
        help_notice = Notice(
            dedup_key=help_key(pair_id, window_start), to=Coordinators(state.round_id),
            facts=CheckinHelpRequested(pair=news_facts(state, last_session=max(held) if held else None),
                                       asked_by=answerer.name),
            not_before=now, in_working_hours=True,
        )
        queue_notices(session, [help_notice], now=now)  # it warns when the round has nobody to tell
    facts = replace(checkin_facts(state, window_start=window_start), answer=checkin.answer,
                    answered_by=answerer.name, planned_for=checkin.planned_for, ask_again_on=checkin.ask_again_on)
    return CheckinOutcome(status=CheckinStatus.RECORDED, language=answerer.language, facts=facts,
                          facts_language=state.language, mentor_name=state.mentor.name, mentee_name=state.mentee.name)


def _language_of(session: Session, slack_user_id: str, workspace: Workspace) -> str:
    return identify(session, slack_user_id=slack_user_id, workspace=workspace).language


def record_met(session: Session, *, pair_id: int, held_on: date, participant_id: int, now: datetime) -> int:
    """A session logged answers the pair's open check-ins for windows up to its day with "we
    met" (for the session-logging feature to call; the tick also infers it from sessions).
    Returns how many check-ins it answered.

    The rows are locked as they are read (FOR UPDATE, in window order; SQLite's BEGIN
    IMMEDIATE already serialises), as `answer_checkin` locks its one: an answer given
    meanwhile is then waited for, and PostgreSQL re-checks the condition, so a check-in
    just answered "planned" is left alone. Unlocked, "we met" would be written over it and
    keep its planned date."""
    rows = session.scalars(
        select(Checkin).where(Checkin.pair_id == pair_id, Checkin.window_start <= held_on,
                              Checkin.answer.is_(None) | (Checkin.answer == CheckinAnswer.NOT_YET))
        .order_by(Checkin.window_start).with_for_update().execution_options(populate_existing=True)
    ).all()
    for row in rows:
        row.answer = CheckinAnswer.MET
        row.answered_by_id = participant_id
        row.answered_at = now
        row.ask_again_on = None
    return len(rows)


# --- the coordinators' digest ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FlaggedPair:
    """A pair two or more windows behind, for the coordinators' digest."""

    pair_id: int
    mentor_name: str
    mentee_name: str
    channel_id: str | None
    missed_windows: int
    since: date
    last_session: date | None
    going_quiet: bool  # three or more: the coordinators were told
    ignored_by: tuple[str, ...] = ()  # people who let three or more check-ins pass


@dataclass(frozen=True, kw_only=True)
class PairStanding:
    """One live pair of a round with its sessions, check-ins and where it stands (None while
    paused: a pause is a pause, not a stall), read in bulk for the digest and the flags."""

    state: PairState
    today: date
    held: tuple[date, ...]
    checkins: tuple[CheckinRow, ...]
    progress: PairProgress | None


def round_standings(session: Session, *, round_id: int, now: datetime) -> list[PairStanding]:
    """Every live pair of a running round and its progress under this module's rules, in a
    fixed number of statements (pairs, sessions, check-ins) whatever the number of pairs."""
    selection = pair_selection(today=now.date(), round_ids=[round_id])
    states = load_pair_states(session, selection)
    if not states:
        return []
    held_by_pair = session_dates(session, selection)
    checkins_by_pair = _checkin_rows(session, selection)
    standings = []
    for state in states:
        today = local_day(now, state.zones)
        held = tuple(held_by_pair.get(state.pair_id, []))
        checkins = tuple(checkins_by_pair.get(state.pair_id, []))
        progress = None if state.is_paused(today) else pair_progress(state, today=today, now=now, held=held,
                                                                       checkins=checkins)
        standings.append(PairStanding(state=state, today=today, held=held, checkins=checkins, progress=progress))
    return standings


def flagged_pair(standing: PairStanding) -> FlaggedPair | None:
    """The pair as the digest flags it: two or more missed windows in a row, else None."""
    progress, state = standing.progress, standing.state
    if progress is None or not progress.flagged or progress.streak_since is None:
        return None
    names = {person.id: person.name for person in state.people}
    return FlaggedPair(
        pair_id=state.pair_id, mentor_name=state.mentor.name, mentee_name=state.mentee.name,
        channel_id=state.channel_id, missed_windows=progress.missed_streak, since=progress.streak_since,
        last_session=max(standing.held) if standing.held else None, going_quiet=progress.quiet,
        ignored_by=tuple(names[item.person_id] for item in progress.ignored if item.count >= QUIET_AFTER_IGNORED),
    )


def flagged_pairs(session: Session, *, round_id: int, now: datetime) -> list[FlaggedPair]:
    """Pairs of a round with two or more missed windows in a row, most behind first.

    Paused pairs are not flagged: a pause is a pause, not a stall."""
    flagged = [pair for standing in round_standings(session, round_id=round_id, now=now)
               if (pair := flagged_pair(standing)) is not None]
    return sorted(flagged, key=lambda pair: (-pair.missed_windows, pair.pair_id))


__all__ = [
    "CheckinOutcome",
    "CheckinRow",
    "CheckinStatus",
    "DueCheckins",
    "FlaggedPair",
    "PairProgress",
    "PairStanding",
    "answer_checkin",
    "checkin_key",
    "checkin_prefix",
    "due_checkins",
    "flagged_pair",
    "flagged_pairs",
    "help_key",
    "next_due_checkin",
    "pair_progress",
    "quiet_key",
    "record_met",
    "round_standings",
]
