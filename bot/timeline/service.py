"""The round's timeline: reminders before each shared meeting, prompts for the pairs before
the CV and interview workshops, the answers ("I'll be there" / "Can't make it"), and
afterwards the coordinator's record of who came.

* **Reminders** go 7 days and 1 day before a meeting to every consented participant it
  concerns (bot.rounds.meetings: the mentor course for mentors, the CV workshop for
  mentees, the rest for all), at 10:00 on a weekday in their own zone. A reminder day on
  a weekend moves to the Friday before, so "before" stays true. A reminder whose day was
  missed (the meeting was added late, the worker was down) still goes until the next one
  is due; someone who already said they cannot come gets no day-before reminder; someone
  on a pause gets none.
* **Prompts**: a week before the CV workshop each pair channel is asked to work on the
  mentee's CV in the next 1:1; a week before the interview workshop, to practise an
  interview. Paused pairs are skipped.
* **Answers** are stored per person and meeting (`MeetingRsvp`) and can change until the
  meeting starts.
* **Attendance**: `/mentoring-admin attendance MEETING` finds the meeting by kind, title
  or number, lists the people it concerns prefilled from their answers (or from an
  earlier record), and stores who came.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from bot.core.coordinators import coordinated_round_ids
from bot.core.notices import Conversation, Notice, Person, outgoing_calls
from bot.core.numbers import whole_number
from bot.core.outbox import OutgoingCall, existing_keys
from bot.core.people import identify
from bot.core.timing import OpenSlots, due_slot, local_day, shared_slot, weekday_on_or_before, zone
from bot.core.workspace import Workspace
from bot.i18n import LANGUAGES, normalise_language, t
from bot.nudges.marks import merge, slot_from
from bot.pairs.state import PairState, load_pair_states, pair_selection, zones_near_slot
from bot.rounds.meetings import meeting_concerns
from bot.timeline.notices import MeetingPromptFacts, MeetingReminderFacts, meeting_display_name
from storage.models import (
    MeetingKind,
    MeetingRsvp,
    Pair,
    Participant,
    Programme,
    Role,
    Round,
    RsvpAnswer,
    SharedMeeting,
)

REMINDER_DAYS = (7, 1)  # days before the meeting, furthest first
PROMPT_DAYS = 7
PROMPT_KINDS = frozenset({MeetingKind.CV_WORKSHOP, MeetingKind.INTERVIEW_WORKSHOP})
ATTENDANCE_MAX_PEOPLE = 100  # ten checkbox groups of ten
LOOKAHEAD = timedelta(days=max(REMINDER_DAYS) + 3)  # a weekend shift and the zones' spread


# --- dedup keys ---------------------------------------------------------------------------------------


def reminder_key(participant_id: int, meeting_id: int, days: int) -> str:
    return f"{reminder_prefix(participant_id)}meeting={meeting_id}:days={days}"


def reminder_prefix(participant_id: int) -> str:
    """Every meeting reminder of one person (withdrawn when they pause or decline)."""
    return f"meeting-reminder:participant={participant_id}:"


def prompt_key(pair_id: int, meeting_id: int) -> str:
    return f"{prompt_prefix(pair_id)}meeting={meeting_id}"


def prompt_prefix(pair_id: int) -> str:
    """Every meeting prompt of one pair (withdrawn when the pair pauses or ends)."""
    return f"meeting-prompt:pair={pair_id}:"


# --- when ------------------------------------------------------------------------------------------------


def reminder_day(meeting_day: date, days: int) -> date:
    """`days` before the meeting, on the weekday at or before it."""
    return weekday_on_or_before(meeting_day - timedelta(days=days))


def reminder_due(*, meeting_day: date, today: date, days: int, offsets: tuple[int, ...] = REMINDER_DAYS) -> bool:
    """Due from its day until the next reminder's day (or the meeting's), whichever comes first."""
    later = [reminder_day(meeting_day, other) for other in offsets if other < days]
    cutoff = min([meeting_day, *later])
    return reminder_day(meeting_day, days) <= today < cutoff


# --- reminders ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Meeting:
    id: int
    round_id: int
    kind: MeetingKind
    title: str
    starts_at: datetime
    location: str | None
    programme_zone: str
    team_id: str  # the programme's workspace: a reminder about the meeting goes with its token


@dataclass(frozen=True, kw_only=True)
class _Invitee:
    """Someone a round's meetings may concern, as the reminders need them."""

    id: int
    role: Role
    name: str
    user_id: str
    zone: str  # their own, else the programme's
    language: str
    paused_until: date | None


def _upcoming_meetings(
    session: Session, *, now: datetime, kinds: Collection[MeetingKind] | None = None,
    round_ids: Collection[int] | None = None,
) -> list[_Meeting]:
    """Meetings within the look-ahead; for some rounds (the tick's marks), every future one
    of theirs, since the next mark may lie beyond it."""
    query = (
        select(SharedMeeting.id, SharedMeeting.round_id, SharedMeeting.kind, SharedMeeting.title,
               SharedMeeting.starts_at, SharedMeeting.location, Programme.timezone, Programme.team_id)
        .join(Round, Round.id == SharedMeeting.round_id)
        .join(Programme, Programme.id == Round.programme_id)
        .where(SharedMeeting.starts_at > now)
        .order_by(SharedMeeting.starts_at, SharedMeeting.id)
    )
    if round_ids is None:
        query = query.where(SharedMeeting.starts_at <= now + LOOKAHEAD)
    else:
        query = query.where(SharedMeeting.round_id.in_(sorted(round_ids)))
    if kinds is not None:
        query = query.where(SharedMeeting.kind.in_(list(kinds)))
    return [
        _Meeting(id=row[0], round_id=row[1], kind=row[2], title=row[3], starts_at=row[4], location=row[5],
                 programme_zone=zone(row[6]).key, team_id=row[7])
        for row in session.execute(query)
    ]


@dataclass(frozen=True, kw_only=True)
class DueTimeline:
    """What a timeline job found in some rounds: calls to enqueue, and for each round when
    the job next has anything to do there (None: nothing until its rows change)."""

    calls: list[OutgoingCall] = field(default_factory=list)
    next_due: dict[int, datetime | None] = field(default_factory=dict)


def due_meeting_reminders(session: Session, *, now: datetime) -> list[OutgoingCall]:
    """Reminders due now, with their RSVP buttons: a fixed handful of statements for any number
    of meetings and people (meetings, people, answers)."""
    return _reminders(session, now=now, round_ids=None).calls


def marked_meeting_reminders(session: Session, *, now: datetime, round_ids: Collection[int]) -> DueTimeline:
    """`due_meeting_reminders` in these rounds only, with when each next has one due."""
    return _reminders(session, now=now, round_ids=round_ids)


def _reminders(session: Session, *, now: datetime, round_ids: Collection[int] | None) -> DueTimeline:
    next_due: dict[int, datetime | None] = {} if round_ids is None else dict.fromkeys(round_ids)
    if round_ids is not None and not round_ids:
        return DueTimeline()
    future = _upcoming_meetings(session, now=now, round_ids=round_ids)
    meetings = [meeting for meeting in future if meeting.starts_at <= now + LOOKAHEAD]
    if not future:
        return DueTimeline(next_due=next_due)
    zone_names = zones_near_slot(session, now=now)
    if not zone_names:
        return DueTimeline()
    meeting_rounds = sorted({meeting.round_id for meeting in future})
    # For some rounds every person is read, whatever their zone, for the next mark; the
    # zone filter is only a shortcut (a person outside it has no open slot below).
    zone_filter = (
        or_(Participant.timezone.in_(sorted(zone_names)),
            Participant.timezone.is_(None) & Programme.timezone.in_(sorted(zone_names)))
        if round_ids is None else true()
    )
    people = session.execute(
        select(Participant.id, Participant.round_id, Participant.role, Participant.name, Participant.slack_user_id,
               Participant.timezone, Participant.language, Participant.paused_until, Programme.timezone)
        .join(Round, Round.id == Participant.round_id)
        .join(Programme, Programme.id == Round.programme_id)
        .where(
            Participant.round_id.in_(meeting_rounds),
            Participant.role.in_([Role.MENTOR, Role.MENTEE]),
            Participant.consented_at.is_not(None),
            Participant.opted_out_at.is_(None),
            Participant.slack_user_id.is_not(None),
            zone_filter,
        )
        .order_by(Participant.id)
    ).all()
    people_by_round: dict[int, list[_Invitee]] = defaultdict(list)
    for person_id, round_id, role, name, user_id, tz_name, language, paused_until, programme_zone in people:
        assert user_id is not None  # the query asks only for people in Slack
        people_by_round[round_id].append(
            _Invitee(id=person_id, role=role, name=name, user_id=user_id, zone=zone(tz_name or programme_zone).key,
                     language=normalise_language(language), paused_until=paused_until)
        )
    answers = {
        (meeting_id, participant_id): answer
        for meeting_id, participant_id, answer in session.execute(
            select(MeetingRsvp.meeting_id, MeetingRsvp.participant_id, MeetingRsvp.answer)
            .where(MeetingRsvp.meeting_id.in_([meeting.id for meeting in meetings]))
        )
    }
    # Whether a reminder is due depends only on the meeting and the person's zone, so it is
    # worked out once per (meeting, zone), not once per person: ten thousand pairs share a
    # handful of zones, and per person this was most of an idle tick.
    when_by_zone: dict[str, tuple[datetime, date] | None] = {}
    days_due: dict[tuple[int, str], tuple[int, ...]] = {}
    due: list[tuple[str, _Meeting, _Invitee, RsvpAnswer | None, datetime]] = []
    for meeting in meetings:
        for invitee in people_by_round.get(meeting.round_id, []):
            if not meeting_concerns(meeting.kind, invitee.role):
                continue
            if invitee.zone not in when_by_zone:
                zone_slot = due_slot(now, [invitee.zone])
                when_by_zone[invitee.zone] = (
                    None if zone_slot is None else (zone_slot, now.astimezone(zone(invitee.zone)).date())
                )
            when = when_by_zone[invitee.zone]
            if when is None:
                continue
            slot, today = when
            if invitee.paused_until is not None and invitee.paused_until > today:
                continue
            if (meeting.id, invitee.zone) not in days_due:
                meeting_day = meeting.starts_at.astimezone(zone(invitee.zone)).date()
                days_due[meeting.id, invitee.zone] = tuple(
                    days for days in REMINDER_DAYS if reminder_due(meeting_day=meeting_day, today=today, days=days)
                )
            due_days = days_due[meeting.id, invitee.zone]
            if not due_days:
                continue
            answer = answers.get((meeting.id, invitee.id))
            for days in due_days:
                if days < max(REMINDER_DAYS) and answer is RsvpAnswer.NO:
                    continue  # they said they cannot come: no day-before reminder
                due.append((reminder_key(invitee.id, meeting.id, days), meeting, invitee, answer, slot))
    # The keys are checked before any notice is built: for the rest of a slot every key is
    # taken, and building tens of thousands of notices only to drop them was most of the job.
    sent = existing_keys(session, [key for key, *_ in due])
    notices = []
    for key, meeting, invitee, answer, slot in due:
        if key in sent:
            continue
        facts = MeetingReminderFacts(
            meeting_id=meeting.id, kind=meeting.kind, title=meeting.title, starts_at=meeting.starts_at,
            location=meeting.location, timezone=invitee.zone, name=invitee.name, answer=answer,
        )
        # The invitee is in the meeting's round, so the meeting's workspace is theirs.
        notices.append(Notice(dedup_key=key, to=Person(invitee.user_id, team_id=meeting.team_id), facts=facts,
                              not_before=slot, language=invitee.language))
    if round_ids is not None:
        _next_reminders(next_due, future=future, people_by_round=people_by_round, now=now)
    return DueTimeline(calls=outgoing_calls(session, notices), next_due=next_due)


def _first_due_slot(
    *, start: date, until: date, today: date, now: datetime, zones: Sequence[str], open_now: bool
) -> datetime | None:
    """The first slot after `now` on a day in [start, until) on which something not yet
    queued could be due: from `start` while it is ahead; from today when the zones' slot is
    not open now (what is due may not have gone: the round changed, the worker was down);
    nothing more once it is open now, since what is due went just now."""
    if open_now:
        if start <= today:
            return None
        first = start
    else:
        first = max(start, today)
    day = first
    while day < until and day <= first + timedelta(days=10):
        slot = shared_slot(day, zones)
        if slot is not None and slot > now:
            return slot
        day += timedelta(days=1)
    return None


def _next_reminders(
    next_due: dict[int, datetime | None], *, future: Collection[_Meeting],
    people_by_round: Mapping[int, Collection[_Invitee]], now: datetime,
) -> None:
    """For each round, the first slot in which one of its people has a reminder not yet due
    now (a reminder day still ahead, a zone whose slot opens later, a pause that ends)."""
    for meeting in future:
        invitees = [invitee for invitee in people_by_round.get(meeting.round_id, [])
                    if meeting_concerns(meeting.kind, invitee.role)]
        for zone_name in sorted({invitee.zone for invitee in invitees}):
            zones = [zone_name]
            meeting_day = meeting.starts_at.astimezone(zone(zone_name)).date()
            today = now.astimezone(zone(zone_name)).date()
            open_now = due_slot(now, zones) is not None
            for days in REMINDER_DAYS:
                until = min([meeting_day, *(reminder_day(meeting_day, other) for other in REMINDER_DAYS if other < days)])
                merge(next_due, meeting.round_id,
                      _first_due_slot(start=reminder_day(meeting_day, days), until=until, today=today, now=now,
                                      zones=zones, open_now=open_now))
        for invitee in invitees:
            if invitee.paused_until is not None and invitee.paused_until > now.astimezone(zone(invitee.zone)).date():
                merge(next_due, meeting.round_id, slot_from(invitee.paused_until, [invitee.zone], after=now))


# --- prompts for the pairs -------------------------------------------------------------------------------------


def due_meeting_prompts(session: Session, *, now: datetime) -> list[OutgoingCall]:
    """A week before the CV and interview workshops, a prompt in each active pair's channel."""
    return _prompts(session, now=now, round_ids=None).calls


def marked_meeting_prompts(session: Session, *, now: datetime, round_ids: Collection[int]) -> DueTimeline:
    """`due_meeting_prompts` in these rounds only, with when each next has one due."""
    return _prompts(session, now=now, round_ids=round_ids)


def _prompts(session: Session, *, now: datetime, round_ids: Collection[int] | None) -> DueTimeline:
    next_due: dict[int, datetime | None] = {} if round_ids is None else dict.fromkeys(round_ids)
    if round_ids is not None and not round_ids:
        return DueTimeline()
    future = _upcoming_meetings(session, now=now, kinds=PROMPT_KINDS, round_ids=round_ids)
    if not future:
        return DueTimeline(next_due=next_due)
    zone_names = zones_near_slot(session, now=now)
    if not zone_names:
        return DueTimeline()
    by_round: dict[int, list[_Meeting]] = defaultdict(list)
    future_by_round: dict[int, list[_Meeting]] = defaultdict(list)
    for meeting in future:
        future_by_round[meeting.round_id].append(meeting)
        if meeting.starts_at <= now + LOOKAHEAD:
            by_round[meeting.round_id].append(meeting)
    # For some rounds every pair is read, whatever its zones, for the next mark.
    selection = pair_selection(today=now.date(), round_ids=sorted(future_by_round),
                               zone_names=zone_names if round_ids is None else None, include_paused=False)
    # The outbox is asked first which prompts are still to go (the keys need only the pair's
    # and the meeting's ids): once a slot's prompts are queued, the ticks for the rest of the
    # slot read ids and keys, not every pair's state.
    candidates = session.execute(selection.add_columns(Pair.round_id)).all()
    sent = existing_keys(session, [prompt_key(pair_id, meeting.id)
                                   for pair_id, round_id in candidates for meeting in by_round[round_id]])
    open_pairs = {pair_id for pair_id, round_id in candidates
                  if any(prompt_key(pair_id, meeting.id) not in sent for meeting in by_round[round_id])}
    if not open_pairs and round_ids is None:
        return DueTimeline()
    # The slot, today and the meeting's day depend only on the pair's zones (and the
    # meeting), so they are worked out once per zones, not once per pair.
    open_slots = OpenSlots(now)
    day_by_zones: dict[tuple[int, tuple[str, ...]], date] = {}
    next_by_zones: dict[tuple[int, tuple[str, ...]], datetime | None] = {}
    due = []
    for state in load_pair_states(session, selection) if candidates else []:
        if not state.reachable:
            continue
        zones = tuple(state.zones)
        when = open_slots.open_slot(zones)
        if round_ids is not None:
            merge(next_due, state.round_id,
                  _next_prompt(state, future_by_round[state.round_id], now=now, open_now=when is not None,
                               next_by_zones=next_by_zones))
        if state.pair_id not in open_pairs or when is None:
            continue
        slot, today = when
        if state.is_paused(today):
            continue
        for meeting in by_round[state.round_id]:
            if (meeting.id, zones) not in day_by_zones:
                day_by_zones[meeting.id, zones] = local_day(meeting.starts_at, zones)
            meeting_day = day_by_zones[meeting.id, zones]
            if reminder_day(meeting_day, PROMPT_DAYS) <= today < meeting_day:
                due.append((prompt_key(state.pair_id, meeting.id), state, meeting, meeting_day, slot))
    notices = []
    for key, state, meeting, meeting_day, slot in due:
        if key in sent:
            continue
        facts = MeetingPromptFacts(
            kind=meeting.kind, title=meeting.title, day=meeting_day, mentor_name=state.mentor.name,
            mentee_name=state.mentee.name, mentor_user_id=state.mentor.slack_user_id,
            mentee_user_id=state.mentee.slack_user_id,
        )
        assert state.channel_id is not None
        notices.append(Notice(dedup_key=key, to=Conversation(state.channel_id, team_id=state.team_id), facts=facts,
                              not_before=slot, language=state.language))
    return DueTimeline(calls=outgoing_calls(session, notices), next_due=next_due)


def _next_prompt(
    state: PairState, meetings: Collection[_Meeting], *, now: datetime, open_now: bool,
    next_by_zones: dict[tuple[int, tuple[str, ...]], datetime | None],
) -> datetime | None:
    """The first slot after `now` in which this pair could have a prompt not yet due now: a
    prompt's first day still ahead, its slot opening later, or its pause ending."""
    zones = tuple(state.zones)
    today = local_day(now, zones)
    if state.is_paused(today):
        ends = [day for day in (state.paused_until, *(person.paused_until for person in state.people))
                if day is not None and day > today]
        return slot_from(min(ends), zones, after=now) if ends else None
    found: list[datetime] = []
    for meeting in meetings:
        key = (meeting.id, zones)
        if key not in next_by_zones:
            meeting_day = local_day(meeting.starts_at, zones)
            next_by_zones[key] = _first_due_slot(start=reminder_day(meeting_day, PROMPT_DAYS), until=meeting_day,
                                                 today=today, now=now, zones=zones, open_now=open_now)
        if (instant := next_by_zones[key]) is not None:
            found.append(instant)
    return min(found) if found else None


# --- answers ------------------------------------------------------------------------------------------------------


class RsvpStatus(str, enum.Enum):
    RECORDED = "recorded"
    NOT_INVITED = "not_invited"  # not someone this meeting concerns
    STALE = "stale"  # no such meeting, or it has started


@dataclass(frozen=True, kw_only=True)
class RsvpOutcome:
    status: RsvpStatus
    language: str  # the clicker's: the redrawn reminder and any refusal are in it
    facts: MeetingReminderFacts | None = None  # the reminder as it now stands, to redraw it


def record_rsvp(
    session: Session, *, meeting_id: int, slack_user_id: str, workspace: Workspace, answer: RsvpAnswer, now: datetime
) -> RsvpOutcome:
    """"I'll be there" / "Can't make it": stored, and changeable until the meeting starts.

    The meeting's row is locked first (FOR UPDATE; SQLite's BEGIN IMMEDIATE already
    serialises), as the attendance sheet does: a double click, or Yes and No pressed
    together, would otherwise both find no answer and both insert one, and the second
    would fail on the one-answer-per-person constraint on PostgreSQL."""
    meeting = session.get(SharedMeeting, meeting_id, with_for_update=True, populate_existing=True)
    language = identify(session, slack_user_id=slack_user_id, workspace=workspace).language
    if meeting is None or meeting.starts_at <= now or not workspace.owns_round(session, meeting.round_id):
        return RsvpOutcome(status=RsvpStatus.STALE, language=language)
    person = session.scalar(
        select(Participant).where(Participant.round_id == meeting.round_id, Participant.slack_user_id == slack_user_id)
    )
    if person is None or person.role is Role.COORDINATOR or not meeting_concerns(meeting.kind, person.role):
        return RsvpOutcome(status=RsvpStatus.NOT_INVITED, language=language)
    rsvp = session.scalar(
        select(MeetingRsvp).where(MeetingRsvp.meeting_id == meeting.id, MeetingRsvp.participant_id == person.id)
    )
    if rsvp is None:
        rsvp = MeetingRsvp(meeting_id=meeting.id, participant_id=person.id)
        session.add(rsvp)
    rsvp.answer = answer
    rsvp.answered_at = now
    round_ = session.get(Round, meeting.round_id)
    programme_zone = round_.programme.timezone if round_ else None
    facts = MeetingReminderFacts(
        meeting_id=meeting.id, kind=meeting.kind, title=meeting.title, starts_at=meeting.starts_at,
        location=meeting.location, timezone=zone(person.timezone or programme_zone).key, name=person.name,
        answer=answer,
    )
    return RsvpOutcome(status=RsvpStatus.RECORDED, language=normalise_language(person.language), facts=facts)


# --- attendance ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MeetingChoice:
    """A meeting as a coordinator picks it: by its number, kind or title, in its round."""

    meeting_id: int
    kind: MeetingKind
    title: str
    round_name: str
    starts_at: datetime
    timezone: str  # the programme's


@dataclass(frozen=True, kw_only=True)
class AttendancePerson:
    participant_id: int
    name: str
    role: Role


@dataclass(frozen=True, kw_only=True)
class AttendanceSheet:
    """A meeting and the people it concerns, prefilled: what the attendance form shows."""

    meeting: MeetingChoice
    people: tuple[AttendancePerson, ...]
    ticked: frozenset[int]  # the attendance on record, or else who said they would come
    said_yes: int
    said_no: int
    recorded_before: bool
    left_out: int = 0  # people beyond the form's room


class LookupProblem(str, enum.Enum):
    NO_MEETINGS = "no_meetings"
    CHOOSE = "choose"  # nothing typed
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, kw_only=True)
class MeetingLookup:
    meeting: MeetingChoice | None = None
    choices: tuple[MeetingChoice, ...] = ()  # what to offer when the meeting is not clear
    problem: LookupProblem | None = None
    typed: str = ""


def _meeting_choices(session: Session, round_ids: Collection[int] | None) -> list[MeetingChoice]:
    query = (
        select(SharedMeeting.id, SharedMeeting.kind, SharedMeeting.title, Round.name, SharedMeeting.starts_at,
               Programme.timezone)
        .join(Round, Round.id == SharedMeeting.round_id)
        .join(Programme, Programme.id == Round.programme_id)
        .order_by(SharedMeeting.starts_at.desc(), SharedMeeting.id.desc())
    )
    if round_ids is not None:
        query = query.where(SharedMeeting.round_id.in_(round_ids))
    return [
        MeetingChoice(meeting_id=row[0], kind=row[1], title=row[2], round_name=row[3], starts_at=row[4],
                      timezone=zone(row[5]).key)
        for row in session.execute(query)
    ]


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-–.:]+", "", text.casefold())


def _kind_names(kind: MeetingKind) -> set[str]:
    names = {_norm(kind.value)}
    names.update(_norm(t(f"onboarding.meeting.{kind.value}", language)) for language in LANGUAGES)
    return names


def find_meeting(
    session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = (), typed: str, now: datetime
) -> MeetingLookup:
    """The meeting a coordinator means by `typed`: its number, its kind (in English or Danish,
    "kick-off", "midtvejsmøde") or its title; exact matches first, then partial ones.
    Several matches (two rounds' kick-offs) come back as choices, newest first."""
    choices = _meeting_choices(session, coordinated_round_ids(session, slack_user_id=slack_user_id, workspace=workspace,
                                                             admin_user_ids=admin_user_ids))
    if not choices:
        return MeetingLookup(problem=LookupProblem.NO_MEETINGS, typed=typed)
    wanted = _norm(typed.strip().lstrip("#"))
    if not wanted:
        return MeetingLookup(problem=LookupProblem.CHOOSE, choices=tuple(_started_first(choices, now)))
    if wanted.isdigit():
        exact = [choice for choice in choices if choice.meeting_id == whole_number(wanted)]
    else:
        exact = [choice for choice in choices if wanted in _kind_names(choice.kind) or wanted == _norm(choice.title)]
    if not exact and not wanted.isdigit():
        exact = [
            choice for choice in choices
            if wanted in _norm(choice.title) or any(wanted in name for name in _kind_names(choice.kind))
        ]
    if len(exact) == 1:
        return MeetingLookup(meeting=exact[0], typed=typed)
    if not exact:
        return MeetingLookup(problem=LookupProblem.NOT_FOUND, choices=tuple(_started_first(choices, now)), typed=typed)
    return MeetingLookup(problem=LookupProblem.AMBIGUOUS, choices=tuple(_started_first(exact, now)), typed=typed)


def _started_first(choices: list[MeetingChoice], now: datetime) -> list[MeetingChoice]:
    """Meetings that have begun (the ones to record) first, newest first; then the upcoming."""
    started = [choice for choice in choices if choice.starts_at <= now]
    upcoming = sorted((choice for choice in choices if choice.starts_at > now), key=lambda choice: choice.starts_at)
    return started + upcoming


def attendance_sheet(session: Session, *, meeting_id: int) -> AttendanceSheet | None:
    """Who the meeting concerns (mentors and mentees not opted out), prefilled."""
    meeting = session.get(SharedMeeting, meeting_id)
    if meeting is None:
        return None
    round_ = session.get(Round, meeting.round_id)
    assert round_ is not None
    candidates = session.scalars(
        select(Participant)
        .where(Participant.round_id == meeting.round_id, Participant.role.in_([Role.MENTOR, Role.MENTEE]),
               Participant.opted_out_at.is_(None))
        .order_by(Participant.role, Participant.name, Participant.id)
    ).all()
    concerned = [person for person in candidates if meeting_concerns(meeting.kind, person.role)]
    rsvps = {
        rsvp.participant_id: rsvp
        for rsvp in session.scalars(select(MeetingRsvp).where(MeetingRsvp.meeting_id == meeting.id))
    }
    recorded = any(rsvp.attended is not None for rsvp in rsvps.values())
    if recorded:
        ticked = {pid for pid, rsvp in rsvps.items() if rsvp.attended}
    else:
        ticked = {pid for pid, rsvp in rsvps.items() if rsvp.answer is RsvpAnswer.YES}
    shown = concerned[:ATTENDANCE_MAX_PEOPLE]
    return AttendanceSheet(
        meeting=MeetingChoice(meeting_id=meeting.id, kind=meeting.kind, title=meeting.title, round_name=round_.name,
                              starts_at=meeting.starts_at, timezone=zone(round_.programme.timezone).key),
        people=tuple(AttendancePerson(participant_id=p.id, name=p.name, role=p.role) for p in shown),
        ticked=frozenset(pid for pid in ticked if pid in {p.id for p in shown}),
        said_yes=sum(1 for rsvp in rsvps.values() if rsvp.answer is RsvpAnswer.YES),
        said_no=sum(1 for rsvp in rsvps.values() if rsvp.answer is RsvpAnswer.NO),
        recorded_before=recorded,
        left_out=len(concerned) - len(shown),
    )


@dataclass(frozen=True, kw_only=True)
class AttendanceRequest:
    """What `/mentoring-admin attendance TEXT` leads to: a sheet to open, or choices to offer."""

    lookup: MeetingLookup
    sheet: AttendanceSheet | None
    language: str


def prepare_attendance(
    session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = (), typed: str, now: datetime
) -> AttendanceRequest:
    """Find the meeting the coordinator means and, when it is clear, its prefilled sheet."""
    language = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids).language
    lookup = find_meeting(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids,
                          typed=typed, now=now)
    sheet = attendance_sheet(session, meeting_id=lookup.meeting.meeting_id) if lookup.meeting else None
    return AttendanceRequest(lookup=lookup, sheet=sheet, language=language)


@dataclass(frozen=True, kw_only=True)
class AttendanceResult:
    saved: bool
    language: str
    meeting_name: str = ""
    came: int = 0
    listed: int = 0


def record_attendance(
    session: Session,
    *,
    meeting_id: int,
    slack_user_id: str, workspace: Workspace,
    admin_user_ids: Collection[str] = (),
    listed_ids: Collection[int],
    ticked_ids: Collection[int],
    now: datetime,
) -> AttendanceResult:
    """Store who came (ticked) and who did not (listed, not ticked); recording again overwrites.

    Only the mentors and mentees of the meeting's round count, whatever the form claims. The meeting's row
    is locked before its answers are read, as for an RSVP, so a sheet submitted twice at
    once, or an RSVP arriving with it, never inserts a second row for the same person."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    meeting = session.get(SharedMeeting, meeting_id, with_for_update=True, populate_existing=True)
    if meeting is None or not viewer.coordinates(meeting.round_id):  # only the meeting's round's coordinators
        return AttendanceResult(saved=False, language=language)
    in_round = set(  # mentors and mentees, as on the sheet: never a coordinator or company contact
        session.scalars(select(Participant.id).where(Participant.round_id == meeting.round_id,
                                                     Participant.role.in_([Role.MENTOR, Role.MENTEE]),
                                                     Participant.id.in_(list(listed_ids))))
    )
    rsvps = {
        rsvp.participant_id: rsvp
        for rsvp in session.scalars(select(MeetingRsvp).where(MeetingRsvp.meeting_id == meeting.id))
    }
    came = 0
    for participant_id in sorted(in_round):
        rsvp = rsvps.get(participant_id)
        if rsvp is None:
            rsvp = MeetingRsvp(meeting_id=meeting.id, participant_id=participant_id)
            session.add(rsvp)
        rsvp.attended = participant_id in ticked_ids
        rsvp.attendance_recorded_at = now
        came += int(rsvp.attended)
    return AttendanceResult(saved=True, language=language,
                            meeting_name=meeting_display_name(meeting.kind, meeting.title, language),
                            came=came, listed=len(in_round))


__all__ = [
    "ATTENDANCE_MAX_PEOPLE",
    "AttendancePerson",
    "AttendanceResult",
    "AttendanceSheet",
    "DueTimeline",
    "LookupProblem",
    "MeetingChoice",
    "MeetingLookup",
    "RsvpOutcome",
    "RsvpStatus",
    "attendance_sheet",
    "due_meeting_prompts",
    "due_meeting_reminders",
    "find_meeting",
    "marked_meeting_prompts",
    "marked_meeting_reminders",
    "prompt_key",
    "prompt_prefix",
    "record_attendance",
    "record_rsvp",
    "reminder_day",
    "reminder_due",
    "reminder_key",
    "reminder_prefix",
]
