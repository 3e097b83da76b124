"""Logging 1:1 sessions: who may log, what is valid, and why one meeting is one session.

The 1:1 sessions are the heart of the programme and the part that quietly stalls, so the
numbers coordinators and funders read must be right: a meeting that both sides log is one
session confirmed by two, never two sessions. Both logs land here, under a lock on the
pair, so even two people pressing Enter at the same moment end up with one row.

Rules:
- Only a mentor or mentee in an ACTIVE published pair logs; a paused or ended pair, a
  coordinator, or someone not matched yet (a draft pair is not a match yet) is told why,
  and nothing is stored. A paused pair's person hears who paused it and until when.
- A date may not lie in the future *in the logger's own time zone*, nor long before the
  round began; a duration is 5 minutes to 8 hours; notes are for the pair only.
- Same pair, dates at most a day apart, logged by the two people: the same meeting (they
  may remember the day differently). The second logger becomes `confirmed_by` (their
  topics and notes are added to the session); logging it again yourself, on the same day,
  changes nothing. One person's own logs on different days are different meetings: the
  author's date is exact. "I was there too" confirms without typing anything.
- Only the author edits or deletes; the result says what changed, so the pair channel can
  show it.

No Slack here: results are plain data, and validation messages are already translated and
keyed by the modal's block ids (as in `bot.onboarding.profile`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.core.numbers import whole_number
from bot.core.people import identify, is_known_time_zone
from bot.core.timing import DEFAULT_TIMEZONE
from bot.core.workspace import Workspace
from bot.i18n import format_day, normalise_language, t
from bot.pairs.state import PauseHold, pause_hold, published_pair
from bot.sessions.parser import (
    TOPICS,
    ParseProblem,
    ParseResult,
    local_today,
    parse_duration,
    parse_session_text,
)
from storage.models import MentoringSession, Pair, PairStatus, Participant, Role, Round

MIN_MINUTES = 5
MAX_MINUTES = 8 * 60
NOTES_LIMIT = 3000  # also what Slack's text box allows
INTRODUCTIONS_MAX = 50
SAME_MEETING = timedelta(days=1)  # both sides' dates may differ by this much and still be one meeting
EARLY_GRACE = timedelta(days=31)  # pairs may meet a little before the round officially starts
LIST_LIMIT = 15  # sessions in one `/mentoring sessions` answer (two blocks each, under 50)

# Field names: the modal's block ids and the keys of validation errors.
PAIR_FIELD = "pair"
HELD_ON = "held_on"
DURATION = "duration"
TOPICS_FIELD = "topics"
INTRODUCTIONS = "introductions"
NOTES = "notes"


class Refusal(str, enum.Enum):
    """Why nothing was logged, confirmed, edited or deleted (catalog `sessions.refusal.*`)."""

    NO_PAIR = "no_pair"  # not matched (yet)
    COORDINATOR = "coordinator"  # coordinators run the round; pairs log their sessions
    PAIR_PAUSED = "pair_paused"
    PAIR_ENDED = "pair_ended"
    NOT_IN_PAIR = "not_in_pair"  # a button or session of a pair this person is not in
    NOT_AUTHOR = "not_author"  # edit/delete by someone other than who logged it
    AUTHOR_CONFIRMS = "author_confirms"  # the author pressed "I was there too"
    GONE = "gone"  # the session was deleted meanwhile


class LogStatus(str, enum.Enum):
    LOGGED = "logged"  # a new session
    CONFIRMED = "confirmed"  # the partner's session, now confirmed by this person
    ALREADY_LOGGED = "already_logged"  # this person logged or confirmed that meeting before
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # an edit that changed nothing
    DELETED = "deleted"
    INVALID = "invalid"  # see `errors`
    REFUSED = "refused"  # see `refusal`
    NEEDS_FORM = "needs_form"  # see `form`: ask in the modal


@dataclass(frozen=True, kw_only=True)
class SessionEntry:
    """A session as typed, already read into values but not yet checked."""

    held_on: date
    duration_minutes: int
    topics: tuple[str, ...] = ()
    introductions_made: int = 0
    notes: str | None = None


@dataclass(frozen=True, kw_only=True)
class SessionDraft:
    """What the modal is prefilled with; any part may be missing. `problems` are what the
    quick text left in doubt, shown above the form."""

    held_on: date | None = None
    duration_minutes: int | None = None
    topics: tuple[str, ...] = ()
    introductions_made: int | None = None
    notes: str | None = None
    problems: tuple[ParseProblem, ...] = ()

    @classmethod
    def from_parse(cls, result: ParseResult) -> SessionDraft:
        return cls(
            held_on=result.held_on,
            duration_minutes=result.duration_minutes,
            topics=result.topics,
            introductions_made=result.introductions_made,
            notes=result.notes,
            problems=result.problems,
        )


@dataclass(frozen=True, kw_only=True)
class SessionView:
    """One session as the pair channel, the list and the confirmations show it."""

    session_id: int
    pair_id: int
    held_on: date
    duration_minutes: int
    topics: tuple[str, ...]
    introductions_made: int
    notes: str | None
    author_name: str
    author_user_id: str | None
    partner_name: str  # the other person in the pair, who may confirm
    partner_user_id: str | None
    confirmed: bool
    channel_id: str | None  # the pair channel
    message_ts: str | None  # the post in it
    language: str  # the pair channel's language
    notes_in_channel: bool = True  # False when coordinators sit in pair channels: notes are the pair's
    post_claimed: bool = False  # a request is posting it right now (see `claim_post`)


@dataclass(frozen=True)
class Change:
    """One field an edit changed, with the values before and after (for the thread reply)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, kw_only=True)
class PairChoice:
    pair_id: int
    partner_name: str
    partner_role: Role
    round_name: str


@dataclass(frozen=True, kw_only=True)
class LogForm:
    """Everything the log (or edit) modal needs."""

    language: str
    today: date
    pairs: tuple[PairChoice, ...]  # more than one: the modal asks which pair
    pair_id: int | None
    session_id: int | None  # set when editing
    draft: SessionDraft


@dataclass(frozen=True, kw_only=True)
class LogOutcome:
    """The answer of every function here; which fields are set depends on `status`."""

    status: LogStatus
    language: str
    session: SessionView | None = None
    refusal: Refusal | None = None
    errors: dict[str, str] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    form: LogForm | None = None
    differs: bool = False  # CONFIRMED: the partner's log had another date or duration than this one
    hold: PauseHold | None = None  # REFUSED for a paused pair: who paused it, until when

    @property
    def stored(self) -> bool:
        return self.status in (LogStatus.LOGGED, LogStatus.CONFIRMED, LogStatus.UPDATED, LogStatus.DELETED)


@dataclass(frozen=True, kw_only=True)
class LogFormInput:
    """What the modal submitted, raw (None for an empty box); read here, not in Slack code."""

    pair: str | None = None
    held_on: str | None = None
    duration: str | None = None
    topics: tuple[str, ...] = ()
    introductions: str | None = None
    notes: str | None = None


@dataclass(frozen=True, kw_only=True)
class PairSessions:
    pair_id: int
    partner_name: str
    status: PairStatus
    sessions: list[SessionView]
    more: int  # older sessions left out


@dataclass(frozen=True, kw_only=True)
class SessionListing:
    language: str
    viewer_participant_ids: tuple[int, ...]
    viewer_user_id: str
    groups: list[PairSessions]
    refusal: Refusal | None = None
    active_pair_id: int | None = None  # for a "Log a session" button under the list


# --- finding the person and their pair ------------------------------------------------------

@dataclass(frozen=True)
class _Resolved:
    pair: Pair | None
    me: Participant | None
    refusal: Refusal | None
    choices: tuple[Pair, ...]
    language: str
    paused: Pair | None = None  # with Refusal.PAIR_PAUSED: the pair whose pause is explained


def _pairs_of(session: Session, slack_user_id: str, workspace: Workspace) -> list[Pair]:
    """Published pairs of this workspace where this Slack user is mentor or mentee, newest
    round first (a draft pair is not a match yet: its people are told they are not matched)."""
    mine = select(Participant.id).where(Participant.slack_user_id == slack_user_id,
                                        Participant.role.in_([Role.MENTOR, Role.MENTEE]),
                                        Participant.round_id.in_(workspace.rounds()))
    return list(
        session.scalars(
            select(Pair)
            .join(Round, Round.id == Pair.round_id)
            .where(or_(Pair.mentor_id.in_(mine), Pair.mentee_id.in_(mine)), published_pair())
            .options(selectinload(Pair.mentor), selectinload(Pair.mentee),
                     selectinload(Pair.round).selectinload(Round.programme))
            .order_by(Round.starts_on.desc(), Pair.created_at.desc(), Pair.id.desc())
        )
    )


def _member(pair: Pair, slack_user_id: str) -> Participant | None:
    for person in (pair.mentor, pair.mentee):
        if person.slack_user_id == slack_user_id:
            return person
    return None


def _other(pair: Pair, participant_id: int) -> Participant:
    return pair.mentee if pair.mentor_id == participant_id else pair.mentor


def _language_of(session: Session, slack_user_id: str, workspace: Workspace, me: Participant | None) -> str:
    if me is not None:
        return normalise_language(me.language)
    return identify(session, slack_user_id=slack_user_id, workspace=workspace).language


def _status_refusal(pair: Pair) -> Refusal | None:
    if pair.status is PairStatus.PAUSED:
        return Refusal.PAIR_PAUSED
    if pair.status is PairStatus.ENDED:
        return Refusal.PAIR_ENDED
    return None


def _resolve(
    session: Session, *, slack_user_id: str, workspace: Workspace, pair_id: int | None, channel_id: str | None = None
) -> _Resolved:
    """Which pair a log is for: the one named, the one whose channel this is, or the only
    active one; several active ones and no hint means the modal must ask."""
    pairs = _pairs_of(session, slack_user_id, workspace)
    if pair_id is not None:
        pair = next((p for p in pairs if p.id == pair_id), None)
        if pair is None:
            return _Resolved(None, None, Refusal.NOT_IN_PAIR, (), _language_of(session, slack_user_id, workspace, None))
        me = _member(pair, slack_user_id)
        refusal = _status_refusal(pair)
        return _Resolved(pair if refusal is None else None, me, refusal, (), _language_of(session, slack_user_id, workspace, me),
                         paused=pair if refusal is Refusal.PAIR_PAUSED else None)
    active = [p for p in pairs if p.status is PairStatus.ACTIVE]
    if channel_id:
        here = next((p for p in active if p.slack_channel_id == channel_id), None)
        if here is not None:
            active = [here]
    if len(active) == 1:
        me = _member(active[0], slack_user_id)
        return _Resolved(active[0], me, None, (), _language_of(session, slack_user_id, workspace, me))
    if len(active) > 1:
        me = _member(active[0], slack_user_id)
        return _Resolved(None, me, None, tuple(active), _language_of(session, slack_user_id, workspace, me))
    if pairs:  # none active: a pause (which can be lifted) says more than an ended pair
        paused = next((p for p in pairs if p.status is PairStatus.PAUSED), None)
        me = _member(paused or pairs[0], slack_user_id)
        refusal = Refusal.PAIR_PAUSED if paused is not None else Refusal.PAIR_ENDED
        return _Resolved(None, me, refusal, (), _language_of(session, slack_user_id, workspace, me), paused=paused)
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace)
    refusal = Refusal.COORDINATOR if viewer.is_coordinator and not viewer.is_participant else Refusal.NO_PAIR
    return _Resolved(None, None, refusal, (), viewer.language)


def _refused_for(resolved: _Resolved, *, now: datetime) -> LogOutcome:
    """Why this person cannot log now; for a paused pair, who paused it and until when."""
    hold = None
    if resolved.paused is not None and resolved.me is not None:
        hold = pause_hold(resolved.paused, viewer_id=resolved.me.id, today=local_today(now, timezone_of(resolved.me)))
    return LogOutcome(status=LogStatus.REFUSED, language=resolved.language,
                      refusal=resolved.refusal or Refusal.NO_PAIR, hold=hold)


def timezone_of(participant: Participant) -> str:
    """The person's own zone, else their programme's: "today" is theirs, not the server's."""
    if participant.timezone and is_known_time_zone(participant.timezone):
        return participant.timezone
    programme_zone = participant.round.programme.timezone
    return programme_zone if is_known_time_zone(programme_zone) else DEFAULT_TIMEZONE


def pair_language(pair: Pair) -> str:
    """The pair channel speaks Danish only when both people do; English is the programme's
    first language and the one an international pair shares."""
    languages = {normalise_language(pair.mentor.language), normalise_language(pair.mentee.language)}
    return "da" if languages == {"da"} else "en"


# --- reading and checking -------------------------------------------------------------------

def _check(entry: SessionEntry, *, today: date, pair: Pair, language: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    earliest = pair.round.starts_on - EARLY_GRACE
    if entry.held_on > today:
        errors[HELD_ON] = t("sessions.error.future", language, today=format_day(today, language))
    elif entry.held_on < earliest:
        errors[HELD_ON] = t("sessions.error.too_early", language, day=format_day(earliest, language))
    if entry.duration_minutes < MIN_MINUTES:
        errors[DURATION] = t("sessions.error.too_short", language, minimum=MIN_MINUTES)
    elif entry.duration_minutes > MAX_MINUTES:
        errors[DURATION] = t("sessions.error.too_long", language, hours=MAX_MINUTES // 60)
    if not 0 <= entry.introductions_made <= INTRODUCTIONS_MAX:
        errors[INTRODUCTIONS] = t("sessions.error.introductions", language, maximum=INTRODUCTIONS_MAX)
    if entry.notes is not None and len(entry.notes) > NOTES_LIMIT:
        errors[NOTES] = t("sessions.error.notes_too_long", language, limit=NOTES_LIMIT)
    return errors


def _clean_topics(topics: Sequence[str]) -> tuple[str, ...]:
    """Known topic codes only, once each, in the standard order."""
    wanted = set(topics)
    return tuple(topic for topic in TOPICS if topic in wanted)


def _clean_notes(notes: str | None) -> str | None:
    text = (notes or "").strip()
    return text or None


def read_form(values: LogFormInput, *, language: str) -> tuple[SessionEntry | None, int | None, dict[str, str]]:
    """The modal's raw values as an entry (and the pair picked, if the modal asked), or
    the errors to show under each box."""
    errors: dict[str, str] = {}
    held_on: date | None = None
    try:
        held_on = date.fromisoformat((values.held_on or "").strip())
    except ValueError:
        errors[HELD_ON] = t("sessions.error.date_missing", language)
    duration = parse_duration(values.duration)
    if duration is None:
        errors[DURATION] = t("sessions.error.duration_unreadable", language)
    introductions = 0
    raw_introductions = (values.introductions or "").strip()
    if raw_introductions:
        if (typed_introductions := whole_number(raw_introductions)) is not None:
            introductions = typed_introductions
        else:
            errors[INTRODUCTIONS] = t("sessions.error.introductions", language, maximum=INTRODUCTIONS_MAX)
    pair_id: int | None = None
    if values.pair is not None:
        if (typed_pair := whole_number(values.pair)) is not None:
            pair_id = typed_pair
        else:
            errors[PAIR_FIELD] = t("sessions.error.pair_missing", language)
    if errors or held_on is None or duration is None:
        return None, pair_id, errors
    entry = SessionEntry(
        held_on=held_on,
        duration_minutes=duration,
        topics=_clean_topics(values.topics),
        introductions_made=introductions,
        notes=_clean_notes(values.notes),
    )
    return entry, pair_id, {}


def _same_meeting(session: Session, *, pair_id: int, held_on: date, logger_id: int, exclude_id: int | None = None
                  ) -> MentoringSession | None:
    """The session of this pair that `logger_id` logging `held_on` is about: the closest,
    then the oldest, of those within a day, except the logger's own sessions on other days.

    The day of tolerance is for the two people of a pair remembering one meeting's date
    differently; a person who logged the 26th and now logs the 27th held two meetings."""
    query = select(MentoringSession).where(
        MentoringSession.pair_id == pair_id,
        MentoringSession.held_on >= held_on - SAME_MEETING,
        MentoringSession.held_on <= held_on + SAME_MEETING,
    )
    if exclude_id is not None:
        query = query.where(MentoringSession.id != exclude_id)
    candidates = [row for row in session.scalars(query) if row.logged_by_id != logger_id or row.held_on == held_on]
    candidates.sort(key=lambda row: (abs((row.held_on - held_on).days), row.id))
    return candidates[0] if candidates else None


def _lock_pair(session: Session, pair_id: int) -> None:
    """Serialise what changes one pair's sessions (FOR UPDATE on PostgreSQL; SQLite's write
    lock already does): both sides logging at once still make one session, and a log never
    merges into a session its author is deleting (see `_locked_session`)."""
    session.execute(select(Pair.id).where(Pair.id == pair_id).with_for_update())


def _refusal_under_lock(session: Session, *, pair: Pair, me: Participant, slack_user_id: str) -> Refusal | None:
    """Why the log cannot go on, as the pair and its people are now that the pair is locked:
    paused or ended since they were read, or one of them erased (a pair of a round already
    over is not ended by an erasure, but its notes are emptied all the same)."""
    session.refresh(pair)
    session.refresh(pair.mentor)
    session.refresh(pair.mentee)
    if me.slack_user_id != slack_user_id:
        return Refusal.NOT_IN_PAIR
    if pair.mentor.erased_at is not None or pair.mentee.erased_at is not None:
        return Refusal.PAIR_ENDED
    return _status_refusal(pair)


def view_of(row: MentoringSession, pair: Pair) -> SessionView:
    author = pair.mentor if row.logged_by_id == pair.mentor_id else pair.mentee
    partner = _other(pair, author.id)
    return SessionView(
        session_id=row.id,
        pair_id=pair.id,
        held_on=row.held_on,
        duration_minutes=row.duration_minutes,
        topics=tuple(row.topics or ()),
        introductions_made=row.introductions_made or 0,
        notes=row.notes,
        author_name=author.name,
        author_user_id=author.slack_user_id,
        partner_name=partner.name,
        partner_user_id=partner.slack_user_id,
        confirmed=row.confirmed_by_id is not None,
        channel_id=pair.slack_channel_id,
        message_ts=None if _claim_time(row.channel_message_ts) is not None else row.channel_message_ts,
        language=pair_language(pair),
        notes_in_channel=not pair.round.programme.coordinators_join_pair_channels,
        post_claimed=_claim_time(row.channel_message_ts) is not None,
    )


def _form(*, resolved: _Resolved, slack_user_id: str, today: date, draft: SessionDraft) -> LogForm:
    choices: list[PairChoice] = []
    for pair in resolved.choices:
        me = _member(pair, slack_user_id)
        partner = _other(pair, me.id) if me is not None else pair.mentee
        choices.append(PairChoice(pair_id=pair.id, partner_name=partner.name, partner_role=partner.role,
                                  round_name=pair.round.name))
    return LogForm(
        language=resolved.language,
        today=today,
        pairs=tuple(choices),
        pair_id=resolved.pair.id if resolved.pair is not None else None,
        session_id=None,
        draft=draft,
    )


# --- logging --------------------------------------------------------------------------------

def quick_log(
    session: Session, *, slack_user_id: str, workspace: Workspace, text: str, now: datetime, channel_id: str | None = None
) -> LogOutcome:
    """`/log-session TEXT`: log at once when the text is complete and unambiguous and the
    pair is clear; otherwise NEEDS_FORM with the modal prefilled from what was understood."""
    resolved = _resolve(session, slack_user_id=slack_user_id, workspace=workspace, pair_id=None, channel_id=channel_id)
    if resolved.refusal is not None or resolved.me is None:
        return _refused_for(resolved, now=now)
    zone = timezone_of(resolved.me)
    parsed = parse_session_text(text, now=now, timezone=zone, language=resolved.language)
    today = local_today(now, zone)
    if not parsed.complete or resolved.pair is None:
        form = _form(resolved=resolved, slack_user_id=slack_user_id, today=today,
                     draft=SessionDraft.from_parse(parsed))
        return LogOutcome(status=LogStatus.NEEDS_FORM, language=resolved.language, form=form)
    assert parsed.held_on is not None and parsed.duration_minutes is not None  # complete
    entry = SessionEntry(
        held_on=parsed.held_on,
        duration_minutes=parsed.duration_minutes,
        topics=parsed.topics,
        introductions_made=parsed.introductions_made or 0,
        notes=parsed.notes,
    )
    return log_session(session, slack_user_id=slack_user_id, workspace=workspace, entry=entry, now=now, pair_id=resolved.pair.id)


def log_session(
    session: Session, *, slack_user_id: str, workspace: Workspace, entry: SessionEntry, now: datetime, pair_id: int | None = None,
    channel_id: str | None = None,
) -> LogOutcome:
    """Store a session, or confirm the partner's log of the same meeting, or say why not."""
    resolved = _resolve(session, slack_user_id=slack_user_id, workspace=workspace, pair_id=pair_id, channel_id=channel_id)
    lang = resolved.language
    if resolved.refusal is not None or resolved.me is None:
        return _refused_for(resolved, now=now)
    me = resolved.me
    if resolved.pair is None:  # several active pairs and nothing said which
        today = local_today(now, timezone_of(me))
        draft = SessionDraft(held_on=entry.held_on, duration_minutes=entry.duration_minutes, topics=entry.topics,
                             introductions_made=entry.introductions_made, notes=entry.notes)
        return LogOutcome(status=LogStatus.NEEDS_FORM, language=lang,
                          form=_form(resolved=resolved, slack_user_id=slack_user_id, today=today, draft=draft))
    pair = resolved.pair
    entry = SessionEntry(held_on=entry.held_on, duration_minutes=entry.duration_minutes,
                         topics=_clean_topics(entry.topics), introductions_made=entry.introductions_made,
                         notes=_clean_notes(entry.notes))
    errors = _check(entry, today=local_today(now, timezone_of(me)), pair=pair, language=lang)
    if errors:
        return LogOutcome(status=LogStatus.INVALID, language=lang, errors=errors)

    _lock_pair(session, pair.id)
    # The pair and its people were read before the lock: read them again under it. A pair
    # ended or paused meanwhile (an erasure ends it and empties its notes) is refused as it
    # would have been a moment later, instead of getting notes about an erased person.
    refusal = _refusal_under_lock(session, pair=pair, me=me, slack_user_id=slack_user_id)
    if refusal is not None:
        return _refused_for(_Resolved(None, me, refusal, (), lang,
                                      paused=pair if refusal is Refusal.PAIR_PAUSED else None), now=now)
    existing = _same_meeting(session, pair_id=pair.id, held_on=entry.held_on, logger_id=me.id)
    if existing is not None:
        if me.id in (existing.logged_by_id, existing.confirmed_by_id):
            return LogOutcome(status=LogStatus.ALREADY_LOGGED, language=lang, session=view_of(existing, pair))
        differs = (existing.held_on, existing.duration_minutes) != (entry.held_on, entry.duration_minutes)
        _merge(existing, entry=entry, confirmer=me, now=now)
        session.flush()
        return LogOutcome(status=LogStatus.CONFIRMED, language=lang, session=view_of(existing, pair), differs=differs)

    row = MentoringSession(
        pair_id=pair.id,
        held_on=entry.held_on,
        duration_minutes=entry.duration_minutes,
        topics=list(entry.topics),
        introductions_made=entry.introductions_made,
        notes=entry.notes,
        logged_by_id=me.id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return LogOutcome(status=LogStatus.LOGGED, language=lang, session=view_of(row, pair))


def _merge(row: MentoringSession, *, entry: SessionEntry, confirmer: Participant, now: datetime) -> None:
    """The second side's log of the same meeting: confirm it, and keep what they added.

    The author's date and duration stand (they logged first and own the session); the
    confirmer's topics join, the larger count of introductions wins, and their notes are
    appended under their name so nothing they typed is lost."""
    row.confirmed_by_id = confirmer.id
    row.topics = list(_clean_topics([*(row.topics or []), *entry.topics]))
    row.introductions_made = max(row.introductions_made or 0, entry.introductions_made)
    if entry.notes and entry.notes.strip() != (row.notes or "").strip():
        addition = f"{confirmer.name}: {entry.notes}"
        combined = f"{row.notes}\n\n{addition}" if row.notes else addition
        row.notes = combined[:NOTES_LIMIT]
    row.updated_at = now


def confirm_session(session: Session, *, session_id: int, slack_user_id: str, workspace: Workspace, now: datetime) -> LogOutcome:
    """"I was there too": the partner confirms the session without typing anything.

    The session's row is locked first (see `_locked_session`): pressed as the author
    deletes it, this either confirms before the delete or finds the session gone."""
    row = _locked_session(session, session_id)
    if row is None:
        return _refused(session, slack_user_id, workspace, Refusal.GONE)
    pair = _load_pair(session, row.pair_id)
    # A session of another workspace's pair: its people are not whoever asks from here.
    me = _member(pair, slack_user_id) if workspace.owns_round(session, pair.round_id) else None
    if me is None:
        return _refused(session, slack_user_id, workspace, Refusal.NOT_IN_PAIR)
    lang = normalise_language(me.language)
    if row.logged_by_id == me.id:
        return LogOutcome(status=LogStatus.REFUSED, language=lang, refusal=Refusal.AUTHOR_CONFIRMS,
                          session=view_of(row, pair))
    if row.confirmed_by_id == me.id:
        return LogOutcome(status=LogStatus.ALREADY_LOGGED, language=lang, session=view_of(row, pair))
    row.confirmed_by_id = me.id
    row.updated_at = now
    session.flush()
    return LogOutcome(status=LogStatus.CONFIRMED, language=lang, session=view_of(row, pair))


def update_session(
    session: Session, *, session_id: int, slack_user_id: str, workspace: Workspace, entry: SessionEntry, now: datetime
) -> LogOutcome:
    """The author corrects a session; the result lists what changed for the pair channel."""
    row, pair, me, refusal = _authored(session, session_id=session_id, slack_user_id=slack_user_id, workspace=workspace)
    if refusal is not None or row is None or pair is None or me is None:
        return _refused(session, slack_user_id, workspace, refusal or Refusal.GONE, me=me)
    lang = normalise_language(me.language)
    entry = SessionEntry(held_on=entry.held_on, duration_minutes=entry.duration_minutes,
                         topics=_clean_topics(entry.topics), introductions_made=entry.introductions_made,
                         notes=_clean_notes(entry.notes))
    errors = _check(entry, today=local_today(now, timezone_of(me)), pair=pair, language=lang)
    if not errors and entry.held_on != row.held_on:
        _lock_pair(session, pair.id)
        other = _same_meeting(session, pair_id=pair.id, held_on=entry.held_on, logger_id=me.id, exclude_id=row.id)
        if other is not None:
            errors[HELD_ON] = t("sessions.error.clashes", lang, day=format_day(other.held_on, lang))
    if errors:
        return LogOutcome(status=LogStatus.INVALID, language=lang, errors=errors)
    changes: list[Change] = []
    for name, before, after in (
        (HELD_ON, row.held_on, entry.held_on),
        (DURATION, row.duration_minutes, entry.duration_minutes),
        (TOPICS_FIELD, tuple(row.topics or ()), entry.topics),
        (INTRODUCTIONS, row.introductions_made or 0, entry.introductions_made),
        (NOTES, row.notes, entry.notes),
    ):
        if before != after:
            changes.append(Change(name, before, after))
    if not changes:
        return LogOutcome(status=LogStatus.UNCHANGED, language=lang, session=view_of(row, pair))
    row.held_on = entry.held_on
    row.duration_minutes = entry.duration_minutes
    row.topics = list(entry.topics)
    row.introductions_made = entry.introductions_made
    row.notes = entry.notes
    row.updated_at = now
    session.flush()
    return LogOutcome(status=LogStatus.UPDATED, language=lang, session=view_of(row, pair), changes=tuple(changes))


def delete_session(session: Session, *, session_id: int, slack_user_id: str, workspace: Workspace, now: datetime) -> LogOutcome:
    """The author removes a session; the view returned is the session as it was, so the
    pair channel post can say what was removed."""
    row, pair, me, refusal = _authored(session, session_id=session_id, slack_user_id=slack_user_id, workspace=workspace)
    if refusal is not None or row is None or pair is None or me is None:
        return _refused(session, slack_user_id, workspace, refusal or Refusal.GONE, me=me)
    view = view_of(row, pair)
    session.delete(row)
    session.flush()
    return LogOutcome(status=LogStatus.DELETED, language=normalise_language(me.language), session=view)


def submit_log_form(
    session: Session,
    *,
    slack_user_id: str, workspace: Workspace,
    values: LogFormInput,
    pair_id: int | None,
    session_id: int | None,
    now: datetime,
) -> LogOutcome:
    """The modal's submission: a new log (or a confirmation of the partner's), or an edit.

    Logging a meeting you already logged is an error under the date here, so the modal
    stays open and says so, rather than closing as if something was saved."""
    language = _language_of(session, slack_user_id, workspace, None)
    entry, picked_pair, errors = read_form(values, language=language)
    if errors or entry is None:
        return LogOutcome(status=LogStatus.INVALID, language=language, errors=errors)
    if session_id is not None:
        return update_session(session, session_id=session_id, slack_user_id=slack_user_id, workspace=workspace, entry=entry,
                              now=now)
    outcome = log_session(session, slack_user_id=slack_user_id, workspace=workspace, entry=entry, now=now,
                          pair_id=pair_id if pair_id is not None else picked_pair)
    if outcome.status is LogStatus.ALREADY_LOGGED and outcome.session is not None:
        day = format_day(outcome.session.held_on, outcome.language)
        return LogOutcome(status=LogStatus.INVALID, language=outcome.language,
                          errors={HELD_ON: t("sessions.error.already_logged", outcome.language, day=day)})
    if outcome.status is LogStatus.NEEDS_FORM:  # several pairs and none picked
        return LogOutcome(status=LogStatus.INVALID, language=outcome.language,
                          errors={PAIR_FIELD: t("sessions.error.pair_missing", outcome.language)})
    return outcome


#: A session's post being made: `channel_message_ts` holds this and the claim's Unix time
#: until the ts is known. A claim older than `POST_CLAIM_EXPIRES` is from a request that
#: died between claiming and recording; the next one may post.
POST_CLAIM_PREFIX = "posting:"
POST_CLAIM_EXPIRES = timedelta(minutes=10)


def _claim_time(stored: str | None) -> datetime | None:
    if not stored or not stored.startswith(POST_CLAIM_PREFIX):
        return None
    seconds = whole_number(stored.removeprefix(POST_CLAIM_PREFIX))
    return datetime.fromtimestamp(seconds or 0, tz=timezone.utc)


def claim_post(session: Session, *, session_id: int, now: datetime) -> SessionView | None:
    """The right to post this session in its pair channel, once: the session as it stands
    (to draw), or None when it is gone, posted already, or being posted by another request.

    Both of a pair logging one meeting at once, or a Confirm pressed three times, each
    find "no post yet"; without a claim in the database each would post it, and the
    channel would show the session two or three times. Posting happens after this
    transaction (no network call inside it), then `record_post` stores the ts."""
    row = _locked_session(session, session_id)
    if row is None:
        return None
    claimed_at = _claim_time(row.channel_message_ts)
    if row.channel_message_ts and (claimed_at is None or now - claimed_at < POST_CLAIM_EXPIRES):
        return None
    row.channel_message_ts = f"{POST_CLAIM_PREFIX}{int(now.timestamp())}"
    session.flush()
    return view_of(row, _load_pair(session, row.pair_id))


def release_post(session: Session, *, session_id: int, message_ts: str | None = None) -> None:
    """Give up a claim whose post failed, or forget a post Slack no longer has (`message_ts`),
    so the next change posts the session afresh."""
    row = _locked_session(session, session_id)
    if row is None:
        return
    if (row.channel_message_ts == message_ts if message_ts else _claim_time(row.channel_message_ts) is not None):
        row.channel_message_ts = None


def record_post(session: Session, *, session_id: int, message_ts: str) -> SessionView | None:
    """Remember the pair-channel post, so confirming, editing and deleting can update it.

    Returns the session as it stands now (None when it was deleted meanwhile): a change
    made while the post was on its way found the claim and left the drawing to the poster."""
    row = _locked_session(session, session_id)
    if row is None:
        return None
    row.channel_message_ts = message_ts
    session.flush()
    return view_of(row, _load_pair(session, row.pair_id))


# --- the modal ------------------------------------------------------------------------------

def load_log_form(
    session: Session,
    *,
    slack_user_id: str, workspace: Workspace,
    now: datetime,
    pair_id: int | None = None,
    channel_id: str | None = None,
    draft: SessionDraft | None = None,
) -> LogOutcome:
    """NEEDS_FORM with what the log modal shows, or REFUSED with why it cannot open."""
    resolved = _resolve(session, slack_user_id=slack_user_id, workspace=workspace, pair_id=pair_id, channel_id=channel_id)
    if resolved.refusal is not None or resolved.me is None:
        return _refused_for(resolved, now=now)
    today = local_today(now, timezone_of(resolved.me))
    form = _form(resolved=resolved, slack_user_id=slack_user_id, today=today, draft=draft or SessionDraft())
    return LogOutcome(status=LogStatus.NEEDS_FORM, language=resolved.language, form=form)


def load_edit_form(session: Session, *, session_id: int, slack_user_id: str, workspace: Workspace, now: datetime) -> LogOutcome:
    """The edit modal, prefilled with the session; only for its author."""
    row, pair, me, refusal = _authored(session, session_id=session_id, slack_user_id=slack_user_id, workspace=workspace)
    if refusal is not None or row is None or pair is None or me is None:
        return _refused(session, slack_user_id, workspace, refusal or Refusal.GONE, me=me)
    draft = SessionDraft(held_on=row.held_on, duration_minutes=row.duration_minutes, topics=tuple(row.topics or ()),
                         introductions_made=row.introductions_made, notes=row.notes)
    form = LogForm(language=normalise_language(me.language), today=local_today(now, timezone_of(me)), pairs=(),
                   pair_id=pair.id, session_id=row.id, draft=draft)
    return LogOutcome(status=LogStatus.NEEDS_FORM, language=form.language, form=form, session=view_of(row, pair))


# --- the list -------------------------------------------------------------------------------

def list_sessions(session: Session, *, slack_user_id: str, workspace: Workspace, limit: int = LIST_LIMIT) -> SessionListing:
    """`/mentoring sessions`: the person's pairs and their sessions, newest first."""
    pairs = _pairs_of(session, slack_user_id, workspace)
    if not pairs:
        viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace)
        refusal = Refusal.COORDINATOR if viewer.is_coordinator and not viewer.is_participant else Refusal.NO_PAIR
        return SessionListing(language=viewer.language, viewer_participant_ids=(), viewer_user_id=slack_user_id,
                              groups=[], refusal=refusal)
    me_first = _member(pairs[0], slack_user_id)
    language = normalise_language(me_first.language if me_first else None)
    rows = list(
        session.scalars(
            select(MentoringSession)
            .where(MentoringSession.pair_id.in_([pair.id for pair in pairs]))
            .order_by(MentoringSession.held_on.desc(), MentoringSession.id.desc())
        )
    )
    left = limit
    groups: list[PairSessions] = []
    for pair in pairs:
        me = _member(pair, slack_user_id)
        mine = [row for row in rows if row.pair_id == pair.id]
        shown = mine[:max(left, 0)]
        left -= len(shown)
        groups.append(PairSessions(
            pair_id=pair.id,
            partner_name=_other(pair, me.id).name if me is not None else pair.mentee.name,
            status=pair.status,
            sessions=[view_of(row, pair) for row in shown],
            more=len(mine) - len(shown),
        ))
    participant_ids = tuple(p.id for pair in pairs for p in (pair.mentor, pair.mentee)
                            if p.slack_user_id == slack_user_id)
    active = [pair for pair in pairs if pair.status is PairStatus.ACTIVE]
    return SessionListing(
        language=language,
        viewer_participant_ids=participant_ids,
        viewer_user_id=slack_user_id,
        groups=groups,
        active_pair_id=active[0].id if len(active) == 1 else None,
    )


# --- helpers --------------------------------------------------------------------------------

def _load_pair(session: Session, pair_id: int) -> Pair:
    pair = session.scalars(
        select(Pair).where(Pair.id == pair_id)
        .options(selectinload(Pair.mentor), selectinload(Pair.mentee),
                 selectinload(Pair.round).selectinload(Round.programme))
    ).one()
    return pair


def _locked_session(session: Session, session_id: int) -> MentoringSession | None:
    """The session, its pair's row and then its own locked until the transaction ends (FOR
    UPDATE; SQLite's BEGIN IMMEDIATE already serialises), or None when it is gone.

    Confirm, edit and delete change one session from buttons both of the pair see, and a
    log by the partner merges into it under the pair's lock. On PostgreSQL, a confirmation
    or a log that read the session just before the author's delete committed would update a
    row no longer there, and crash; locked, the second waits and sees what the first did.
    The pair comes first, as in logging, so the two never wait for each other."""
    pair_id = session.scalar(select(MentoringSession.pair_id).where(MentoringSession.id == session_id))
    if pair_id is None:
        return None
    _lock_pair(session, pair_id)
    return session.get(MentoringSession, session_id, with_for_update=True, populate_existing=True)


def _authored(
    session: Session, *, session_id: int, slack_user_id: str, workspace: Workspace
) -> tuple[MentoringSession | None, Pair | None, Participant | None, Refusal | None]:
    row = _locked_session(session, session_id)
    if row is None:
        return None, None, None, Refusal.GONE
    pair = _load_pair(session, row.pair_id)
    me = _member(pair, slack_user_id) if workspace.owns_round(session, pair.round_id) else None
    if me is None:
        return row, pair, None, Refusal.NOT_IN_PAIR
    if row.logged_by_id != me.id:
        return row, pair, me, Refusal.NOT_AUTHOR
    return row, pair, me, None


def _refused(session: Session, slack_user_id: str, workspace: Workspace, refusal: Refusal, *, me: Participant | None = None
             ) -> LogOutcome:
    return LogOutcome(status=LogStatus.REFUSED, language=_language_of(session, slack_user_id, workspace, me), refusal=refusal)


__all__ = [
    "DURATION",
    "HELD_ON",
    "INTRODUCTIONS",
    "MAX_MINUTES",
    "MIN_MINUTES",
    "NOTES",
    "NOTES_LIMIT",
    "PAIR_FIELD",
    "TOPICS_FIELD",
    "Change",
    "LogForm",
    "LogFormInput",
    "LogOutcome",
    "LogStatus",
    "PairChoice",
    "PairSessions",
    "Refusal",
    "SessionDraft",
    "SessionEntry",
    "SessionListing",
    "SessionView",
    "claim_post",
    "confirm_session",
    "delete_session",
    "list_sessions",
    "load_edit_form",
    "load_log_form",
    "log_session",
    "pair_language",
    "quick_log",
    "read_form",
    "record_post",
    "release_post",
    "submit_log_form",
    "timezone_of",
    "update_session",
    "view_of",
]
