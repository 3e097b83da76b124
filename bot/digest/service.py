"""The coordinators' weekly digest: what to chase this week, then how the round is doing.

Built from the rules that already decide each thing, never a second copy of them:

* **Pairs behind** come from the check-in rules (`bot.nudges.checkins.round_standings` and
  `flagged_pair`): two missed windows in a row is *late*, three (or a person letting three
  check-ins pass) is *going quiet*. A pair whose newest check-in was answered "We'd like
  help" is listed as asking for help. A pause ending in the coming week is listed so a
  coordinator can say welcome back.
* **People stuck in onboarding or missing from Slack** are `bot.home.service.round_status`'s
  stuck list (the one the Home tab and `/mentoring-admin status` show).
* **Unanswered surveys** are invitations past their last reminder (`MAX_REMINDERS`) with no
  answer, for a survey still open or closed within a week, from people whose evaluation
  consent stands: counted per survey, with the names, so a coordinator can ask kindly.
  Naming who has not answered is fine; nothing anyone answered is in the digest apart
  from the anonymous scoreboard.
* **Meetings this week with RSVP gaps**: a shared meeting in the next seven days and the
  people it concerns (`meeting_concerns`) who have not said whether they come.

Each action has a stable key (the pair, person, survey or meeting) and a fingerprint of
its state (the streak's start and length, the help request's window, the pause's end, the
onboarding step, who has not answered). "Handled" stores (round, key, fingerprint) and the
action stays off later digests until its fingerprint changes: something new happened.

The picture after the actions: active and paused pairs, sessions this week and in total,
pairs on cadence, the next shared meeting with its RSVP counts, and the scoreboard
(`compute_scoreboard`, the one computation, with its anonymity rule; survey response
rates are part of it).

`due_digests` is the tick's job: on each round's digest weekday from its hour (in the
programme's zone), one digest
per round and week goes to the round's coordinators through the outbox, with dedup keys
`digest:round=ID:week=2027-W07:part=N`. Running it again that week queues nothing.
"""

from __future__ import annotations

import enum
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Executable, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from bot.core.coordinators import coordinated_round_ids
from bot.core.notices import Coordinators, Notice, Person, queue_notices, stored_notice
from bot.core.people import identify
from bot.core.timing import zone
from bot.core.workspace import Workspace
from bot.digest.notices import ActionKind, DigestAction, DigestChannelMissing, DigestFacts, DigestPicture
from bot.home.service import StuckPerson, round_status
from bot.matching.review import LookupStatus, RoundLookup, coordinated_round
from bot.nudges.checkins import PairStanding, flagged_pair, round_standings
from bot.pairs.state import PairState
from bot.rounds.meetings import meeting_concerns
from bot.surveys.consent import consenting_ids
from bot.surveys.service import MAX_REMINDERS
from storage.models import (
    CheckinAnswer,
    ConsentPurpose,
    DigestHandled,
    MeetingRsvp,
    MentoringSession,
    OutboxMessage,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
    RsvpAnswer,
    SharedMeeting,
    Survey,
    SurveyInvitation,
    table_of,
)

#: A round that ended still gets digests this long (the final survey, the last sessions).
AFTER_END = timedelta(days=14)
#: A survey closed this long ago still has its non-answerers listed (a last kind word).
SURVEY_GRACE = timedelta(days=7)
#: Actions per message: each is one block with its button, so a part stays well inside a
#: chat platform's limits (Slack: 50 blocks) with its header and footer.
ACTIONS_PER_PART = 20
_ORDER = tuple(ActionKind)


def digest_key(round_id: int, week: str) -> str:
    """Every part of one round's digest for one week (the trailing colon keeps round=4 from
    matching round=42)."""
    return f"digest:round={round_id}:week={week}:"


def digest_part_key(round_id: int, week: str, part: int) -> str:
    return f"{digest_key(round_id, week)}part={part}"


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _fingerprint(*parts: object) -> str:
    """A short, stable digest of an action's state (what "something new" is compared by)."""
    text = "|".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- actions ------------------------------------------------------------------------------------------


def _about_pair(state: PairState, **fields: Any) -> DigestAction:
    return DigestAction(mentor_name=state.mentor.name, mentee_name=state.mentee.name, channel_id=state.channel_id,
                        **fields)


def _pair_actions(standing: PairStanding) -> list[DigestAction]:
    state = standing.state
    actions: list[DigestAction] = []
    checkins = standing.checkins
    if checkins:
        newest = max(checkins, key=lambda row: row.window_start)
        if newest.answer is CheckinAnswer.HELP:
            names = {person.id: person.name for person in state.people}
            actions.append(_about_pair(
                state, key=f"pair={state.pair_id}:help", fingerprint=_fingerprint(newest.window_start),
                kind=ActionKind.HELP, since=newest.window_start,
                asked_by=names.get(newest.answered_by_id) if newest.answered_by_id is not None else None,
            ))
    flagged = flagged_pair(standing)
    if flagged is not None:
        quiet = flagged.going_quiet or bool(flagged.ignored_by)
        actions.append(_about_pair(
            state, key=f"pair={state.pair_id}:cadence",
            fingerprint=_fingerprint(flagged.since, flagged.missed_windows, *flagged.ignored_by),
            kind=ActionKind.QUIET if quiet else ActionKind.LATE, missed_windows=flagged.missed_windows,
            every_days=state.every_days, since=flagged.since, last_session=flagged.last_session,
            ignored_by=flagged.ignored_by,
        ))
    today = standing.today
    ends = [day for day in (state.paused_until, *(person.paused_until for person in state.people))
            if day is not None and today < day <= today + timedelta(days=7)]
    if ends and state.status is not PairStatus.ENDED:
        until = max(ends)
        actions.append(_about_pair(state, key=f"pair={state.pair_id}:pause", fingerprint=_fingerprint(until),
                                   kind=ActionKind.PAUSE_ENDING, until=until))
    return actions


def _survey_actions(session: Session, *, round_id: int, now: datetime) -> list[DigestAction]:
    """Invitations past their last reminder and unanswered, per survey (one statement)."""
    max_reminders = case(*((Survey.kind == kind, limit) for kind, limit in MAX_REMINDERS.items()), else_=0)
    rows = session.execute(
        select(Survey.id, Survey.kind, Survey.number, Participant.id, Participant.name)
        .join(SurveyInvitation, SurveyInvitation.survey_id == Survey.id)
        .join(Participant, Participant.id == SurveyInvitation.participant_id)
        .where(Survey.round_id == round_id, Survey.opens_at <= now, Survey.closes_at >= now - SURVEY_GRACE,
               SurveyInvitation.answered_at.is_(None), SurveyInvitation.reminders_sent >= max_reminders,
               Participant.id.in_(consenting_ids(ConsentPurpose.EVALUATION)))
        .order_by(Survey.opens_at, Survey.id, Participant.name, Participant.id)
    ).all()
    grouped: dict[int, list[tuple[int, str]]] = defaultdict(list)
    kinds = {}
    for survey_id, kind, number, person_id, name in rows:
        grouped[survey_id].append((person_id, name))
        kinds[survey_id] = (kind, number)
    return [
        DigestAction(key=f"survey={survey_id}", fingerprint=_fingerprint(*(pid for pid, _ in people)),
                     kind=ActionKind.SURVEY_UNANSWERED, survey_kind=kinds[survey_id][0],
                     survey_number=kinds[survey_id][1], count=len(people), names=tuple(name for _, name in people))
        for survey_id, people in grouped.items()
    ]


@dataclass(frozen=True, kw_only=True)
class _MeetingRsvps:
    meeting: SharedMeeting
    yes: int
    no: int
    open_people: tuple[tuple[int, str], ...]


def _meeting_rsvps(session: Session, *, round_id: int, now: datetime) -> list[_MeetingRsvps]:
    """The round's meetings still to come, each with its RSVP counts among the people it
    concerns (three statements: meetings, people, answers)."""
    meetings = list(session.scalars(
        select(SharedMeeting).where(SharedMeeting.round_id == round_id, SharedMeeting.starts_at > now)
        .order_by(SharedMeeting.starts_at, SharedMeeting.id)
    ))
    if not meetings:
        return []
    people = session.execute(
        select(Participant.id, Participant.name, Participant.role)
        .where(Participant.round_id == round_id, Participant.role.in_([Role.MENTOR, Role.MENTEE]),
               Participant.slack_user_id.is_not(None), Participant.opted_out_at.is_(None))
        .order_by(Participant.name, Participant.id)
    ).all()
    answers = {
        (meeting_id, participant_id): answer
        for meeting_id, participant_id, answer in session.execute(
            select(MeetingRsvp.meeting_id, MeetingRsvp.participant_id, MeetingRsvp.answer)
            .where(MeetingRsvp.meeting_id.in_([meeting.id for meeting in meetings]))
        )
    }
    found = []
    for meeting in meetings:
        counts: Counter[RsvpAnswer | None] = Counter()
        open_people = []
        for person_id, name, role in people:
            if not meeting_concerns(meeting.kind, role):
                continue
            answer = answers.get((meeting.id, person_id))
            counts[answer] += 1
            if answer is None:
                open_people.append((person_id, name))
        found.append(_MeetingRsvps(meeting=meeting, yes=counts[RsvpAnswer.YES], no=counts[RsvpAnswer.NO],
                                   open_people=tuple(open_people)))
    return found


def _rsvp_actions(rsvps: Sequence[_MeetingRsvps], *, now: datetime) -> list[DigestAction]:
    return [
        DigestAction(key=f"meeting={item.meeting.id}", fingerprint=_fingerprint(*(pid for pid, _ in item.open_people)),
                     kind=ActionKind.RSVP_GAP, meeting_title=item.meeting.title, meeting_kind=item.meeting.kind,
                     starts_at=item.meeting.starts_at, count=len(item.open_people),
                     names=tuple(name for _, name in item.open_people))
        for item in rsvps
        if item.meeting.starts_at <= now + timedelta(days=7) and item.open_people
    ]


def _handled(session: Session, round_id: int) -> set[tuple[str, str]]:
    return {(key, fingerprint) for key, fingerprint in session.execute(
        select(DigestHandled.key, DigestHandled.fingerprint).where(DigestHandled.round_id == round_id))}


# --- the digest -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Digest:
    """A round's digest for one week: the actions still to do, the picture, and how many
    actions a coordinator already marked handled."""

    round_id: int
    round_name: str
    programme_name: str
    week: str
    timezone: str
    actions: tuple[DigestAction, ...]
    picture: DigestPicture
    handled_hidden: int

    def parts(self, *, per_part: int = ACTIONS_PER_PART) -> list[DigestFacts]:
        """The digest as messages of at most `per_part` actions; the picture on the last."""
        chunks = [self.actions[start:start + per_part] for start in range(0, len(self.actions), per_part)] or [()]
        return [
            DigestFacts(round_id=self.round_id, round_name=self.round_name, programme_name=self.programme_name,
                        week=self.week, timezone=self.timezone, actions=chunk,
                        picture=self.picture if number == len(chunks) else None, part=number, parts=len(chunks),
                        handled_hidden=self.handled_hidden)
            for number, chunk in enumerate(chunks, start=1)
        ]


def _load_round(session: Session, round_id: int) -> Round | None:
    return session.scalar(select(Round).options(selectinload(Round.programme)).where(Round.id == round_id))


def _all_actions(session: Session, *, round_: Round, now: datetime, standings: Sequence[PairStanding],
                 rsvps: Sequence[_MeetingRsvps], stuck: Sequence[StuckPerson]) -> list[DigestAction]:
    """Every action of the round now, most urgent kind first, handled or not."""
    actions: list[DigestAction] = []
    for standing in standings:
        actions.extend(_pair_actions(standing))
    for person in stuck:
        actions.append(DigestAction(
            key=f"person={person.participant_id}:onboarding",
            fingerprint=_fingerprint(person.step.value, person.since, person.reminders_sent),
            kind=ActionKind.STUCK, person_name=person.name, role=person.role, step=person.step,
            since=person.since.date() if person.since is not None else None))
    actions.extend(_survey_actions(session, round_id=round_.id, now=now))
    actions.extend(_rsvp_actions(rsvps, now=now))
    # Most urgent kind first; within a kind the longest streak first, then by name.
    return sorted(actions, key=lambda action: (_ORDER.index(action.kind), -action.missed_windows,
                                               (action.mentor_name or action.person_name or "").casefold(),
                                               action.key))


def build_digest(session: Session, *, round_id: int, now: datetime) -> Digest | None:
    """The round's digest as of `now`, handled actions left out; None for no such round.

    Computes the scoreboard, which records what it shows (anonymity bookkeeping): call it
    in a unit of work. A fixed number of statements whatever the number of pairs."""
    round_ = _load_round(session, round_id)
    if round_ is None:
        return None
    tz = zone(round_.programme.timezone)
    today = now.astimezone(tz).date()
    standings = round_standings(session, round_id=round_id, now=now)
    rsvps = _meeting_rsvps(session, round_id=round_id, now=now)
    status = round_status(session, round_=round_, now=now)
    actions = _all_actions(session, round_=round_, now=now, standings=standings, rsvps=rsvps, stuck=status.stuck)
    handled = _handled(session, round_id)
    shown = tuple(action for action in actions if (action.key, action.fingerprint) not in handled)
    sessions_week, sessions_total = session.execute(
        select(func.count(case((MentoringSession.held_on > today - timedelta(days=7), 1))), func.count())
        .select_from(MentoringSession).join(Pair, Pair.id == MentoringSession.pair_id)
        .where(Pair.round_id == round_id)
    ).one()
    measured = [standing for standing in standings if standing.progress is not None]
    upcoming = rsvps[0] if rsvps else None
    picture = DigestPicture(
        active_pairs=sum(1 for standing in standings if standing.progress is not None),
        paused_pairs=sum(1 for standing in standings if standing.progress is None),
        sessions_this_week=int(sessions_week or 0), sessions_total=int(sessions_total or 0),
        on_cadence=sum(1 for standing in measured if standing.progress is not None
                       and standing.progress.missed_streak == 0),
        measured_pairs=len(measured),
        next_meeting_title=upcoming.meeting.title if upcoming else None,
        next_meeting_starts_at=upcoming.meeting.starts_at if upcoming else None,
        rsvp_yes=upcoming.yes if upcoming else 0, rsvp_no=upcoming.no if upcoming else 0,
        rsvp_open=len(upcoming.open_people) if upcoming else 0,
        # The digest is posted in a channel: the short form, without the comments.
        scoreboard=replace(status.scoreboard, comments=()) if status.scoreboard is not None else None,
    )
    return Digest(round_id=round_id, round_name=round_.name, programme_name=round_.programme.name,
                  week=iso_week(today), timezone=tz.key, actions=shown, picture=picture,
                  handled_hidden=len(actions) - len(shown))


# --- the tick's job ---------------------------------------------------------------------------------------


def _digest_time_reached(*, weekday: int, hour: int, local_now: datetime) -> bool:
    """The round's digest weekday, from its hour on (in the programme's zone)."""
    return local_now.weekday() == weekday and local_now.hour >= hour


def due_digests(session: Session, *, now: datetime) -> list[Notice]:
    """This week's digest for every round due one and not yet sent, as notices to the
    round's coordinators (one per part). A round is due from its weekday and hour in the
    programme's zone, while it runs or up to two weeks after it ended; once a week.

    Asked every minute, so the rounds are read as a few columns, and only those whose digest
    weekday is today somewhere (a day either side of UTC's), not as objects: loading every
    running round with its programme was a tenth of an idle tick at 500 rounds."""
    utc_weekday = now.weekday()
    rounds = session.execute(
        select(Round.id, Round.starts_on, Round.ends_on, Round.digest_weekday, Round.digest_hour, Programme.timezone)
        .join(Programme, Programme.id == Round.programme_id)
        .where(Round.starts_on <= now.date() + timedelta(days=1), Round.ends_on >= now.date() - AFTER_END
               - timedelta(days=1), Round.digest_weekday.in_(sorted({(utc_weekday + shift) % 7 for shift in (-1, 0, 1)})))
        .order_by(Round.id)
    ).all()
    candidates: list[tuple[int, str]] = []
    for round_ in rounds:
        local_now = now.astimezone(zone(round_.timezone))
        today = local_now.date()
        if not (round_.starts_on <= today <= round_.ends_on + AFTER_END) or not _digest_time_reached(
                weekday=round_.digest_weekday, hour=round_.digest_hour, local_now=local_now):
            continue
        candidates.append((round_.id, iso_week(today)))
    if not candidates:
        return []
    already = _already_queued(session, [digest_key(round_id, week) for round_id, week in candidates])
    notices: list[Notice] = []
    for round_id, week in candidates:
        if digest_key(round_id, week) in already:
            continue
        digest = build_digest(session, round_id=round_id, now=now)
        if digest is None:  # pragma: no cover - the round was just read
            continue
        notices.extend(digest_notices(digest, now=now))
    return notices


def digest_notices(digest: Digest, *, now: datetime) -> list[Notice]:
    return [Notice(dedup_key=digest_part_key(digest.round_id, digest.week, facts.part),
                   to=Coordinators(digest.round_id), facts=facts, not_before=now)
            for facts in digest.parts()]


def _already_queued(session: Session, prefixes: Iterable[str]) -> set[str]:
    """Which of these digest prefixes have a row in the outbox (one statement)."""
    wanted = list(prefixes)
    keys = session.scalars(
        select(OutboxMessage.dedup_key).where(or_(*(OutboxMessage.dedup_key.startswith(prefix, autoescape=True)
                                                    for prefix in wanted)))
    )
    return {prefix for key in keys for prefix in wanted if key.startswith(prefix)}


# --- "Handled" ------------------------------------------------------------------------------------------


class HandledStatus(str, enum.Enum):
    RECORDED = "recorded"  # now (or already) marked handled
    NOT_YOURS = "not_yours"  # not a coordinator of this round
    STALE = "stale"  # the action is gone or has changed since the digest was drawn


@dataclass(frozen=True, kw_only=True)
class HandledOutcome:
    status: HandledStatus

    @property
    def recorded(self) -> bool:
        return self.status is HandledStatus.RECORDED


def mark_handled(
    session: Session,
    *,
    round_id: int,
    key: str,
    fingerprint: str,
    slack_user_id: str, workspace: Workspace,
    admin_user_ids: Iterable[str] = (),
    now: datetime,
) -> HandledOutcome:
    """A coordinator of the round marks one digest action handled, in the state it was drawn.

    Only the round's coordinators may (someone else's click changes nothing). A click on an
    action whose state has moved on since (a new missed window, a new help request) is
    stale and records nothing: the next digest shows the new state. Two coordinators
    clicking at once record one row (the unique key; the insert skips a row already there)."""
    coordinated = coordinated_round_ids(session, slack_user_id=slack_user_id, workspace=workspace,
                                        admin_user_ids=tuple(admin_user_ids))
    if round_id not in coordinated:
        return HandledOutcome(status=HandledStatus.NOT_YOURS)
    round_ = _load_round(session, round_id)
    if round_ is None:
        return HandledOutcome(status=HandledStatus.STALE)
    actions = _all_actions(session, round_=round_, now=now,
                           standings=round_standings(session, round_id=round_id, now=now),
                           rsvps=_meeting_rsvps(session, round_id=round_id, now=now),
                           stuck=round_status(session, round_=round_, now=now).stuck)
    if not any(action.key == key and action.fingerprint == fingerprint for action in actions):
        return HandledOutcome(status=HandledStatus.STALE)
    row = {"round_id": round_id, "key": key, "fingerprint": fingerprint, "handled_by": slack_user_id,
           "handled_at": now}
    table = table_of(DigestHandled)
    dialect = session.get_bind().dialect.name
    statement: Executable
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(row).on_conflict_do_nothing(
            index_elements=["round_id", "key", "fingerprint"])
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(row).on_conflict_do_nothing(
            index_elements=["round_id", "key", "fingerprint"])
    else:  # pragma: no cover - only the two supported backends reach here
        statement = table.insert().values(row)
    session.execute(statement)
    return HandledOutcome(status=HandledStatus.RECORDED)


# --- the bot is not in the coordinator channel ---------------------------------------------------------

#: Slack's answers when the bot may not post in a channel: kept, not failed, for a digest.
CHANNEL_MISSING_ERRORS = frozenset({"not_in_channel", "channel_not_found"})
#: How soon a digest the channel refused is tried again.
RETRY_DIGEST_AFTER = timedelta(hours=1)


def channel_missing_key(round_id: int, channel: str, user_id: str) -> str:
    return f"digest-channel-missing:round={round_id}:channel={channel}:to={user_id}"


def digest_channel_missing(session: Session, *, payload: Mapping[str, Any], error: str, now: datetime) -> bool:
    """A digest could not be posted in the coordinator channel because the bot is not in it
    (or cannot see it). True when `payload` is a digest and this is that case: the caller
    keeps the row to try again later instead of failing it, and each of the round's
    coordinators in Slack gets one DM (once per round and channel: the dedup key) saying
    how to invite the bot. False for anything else, which fails as before."""
    if error not in CHANNEL_MISSING_ERRORS or payload.get("kind") != DigestFacts.__name__:
        return False
    _, _, facts = stored_notice(payload)
    if not isinstance(facts, DigestFacts):  # pragma: no cover - the kind said so
        return False
    channel = str(payload.get("channel") or "")
    # With the round's workspace: the DM goes with the token of the programme's team.
    coordinators = session.execute(
        select(Participant.slack_user_id, Participant.language, Programme.team_id)
        .join(Round, Round.id == Participant.round_id)
        .join(Programme, Programme.id == Round.programme_id)
        .where(
            Participant.round_id == facts.round_id, Participant.role == Role.COORDINATOR,
            Participant.slack_user_id.is_not(None), Participant.opted_out_at.is_(None),
        ).order_by(Participant.id)
    ).all()
    told = DigestChannelMissing(channel_id=channel, round_name=facts.round_name,
                                channel_gone=error == "channel_not_found")
    queue_notices(session, [
        Notice(dedup_key=channel_missing_key(facts.round_id, channel, user_id),
               to=Person(user_id, team_id=team_id), facts=told, not_before=now, language=language)
        for user_id, language, team_id in coordinators if user_id
    ], now=now)
    return True


# --- /mentoring-admin digest --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DigestView:
    """`/mentoring-admin digest`: the digest, or which round to name (`lookup`)."""

    language: str
    digest: Digest | None = None
    lookup: RoundLookup | None = None


def digest_for(
    session: Session,
    *,
    slack_user_id: str, workspace: Workspace,
    round_name: str | None,
    admin_user_ids: Iterable[str] = (),
    now: datetime,
) -> DigestView:
    """This week's digest of a round the asker coordinates, chosen as the scoreboard and the
    report choose it, for them alone."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=tuple(admin_user_ids))
    lookup = coordinated_round(session, name=round_name, today=now.date(), round_ids=viewer.coordinated_round_ids)
    if lookup.status is not LookupStatus.FOUND or lookup.round_id is None:
        return DigestView(language=viewer.language, lookup=lookup)
    return DigestView(language=viewer.language, digest=build_digest(session, round_id=lookup.round_id, now=now))


__all__ = [
    "ACTIONS_PER_PART",
    "CHANNEL_MISSING_ERRORS",
    "RETRY_DIGEST_AFTER",
    "Digest",
    "DigestView",
    "HandledOutcome",
    "HandledStatus",
    "build_digest",
    "digest_channel_missing",
    "digest_for",
    "digest_key",
    "digest_notices",
    "digest_part_key",
    "due_digests",
    "iso_week",
    "mark_handled",
]
