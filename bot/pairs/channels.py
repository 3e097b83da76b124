"""A private channel per pair: opened after publishing, introduced, and archived at round end.

Opening a channel is the one place where the bot must talk to Slack *now*: the channel id
`conversations.create` answers is needed before anyone can be invited or introduced. That
makes it a small saga with side effects outside the database. Its steps run in short
transactions the caller hands in (`Transactions`; the tick gives each its own unit of
work), and Slack is only ever called between them, never while a transaction is open.
It survives dying between any two steps without ever making a second channel or a second
introduction:

1. the channel name is chosen and **stored (its transaction ended) before**
   `conversations.create` is called, so after a crash the next tick asks for the same
   name again;
2. `name_taken` for that name means either "our own channel, made just before a crash" (the
   bot is in it, made it, and no other pair has it: adopt it) or "someone else's" (try the
   next suffix, stored first again);
3. the channel id is stored the moment Slack answers;
4. invites are repeatable (`already_in_channel` is fine); someone who left the workspace is
   reported to the coordinators, not crashed on, and the rest goes ahead;
5. the introductions are enqueued with dedup keys and `channel_opened_at` is set in one
   transaction, so they happen together or not at all.

Pacing: `conversations.create` is tier 2 (20 a minute, counted per minute with bursts
allowed) and ticks come every minute, so a tick opens at most `PAIRS_PER_TICK` pairs, at
once; the Slack adapter keeps the calls within per-minute budgets across ticks
(bot/slack/channels.py `PacedChannels`). A rate-limit or 5xx answer ends the tick's opening
and leaves the pair for the next one. Everything else (messages, the archive)
goes through the outbox.

At the round's end (its closing meeting, or its last day when there is none, plus a week's
grace) each channel gets a goodbye and is archived through the outbox, goodbye first.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.core.chat import ChatChannel, ChatChannels
from bot.core.notices import ArchiveChannel, Conversation, Coordinators, Notice, outgoing_calls, queue_notices
from bot.core.outbox import OutgoingCall
from bot.core.timing import polite_time, zone
from bot.core.workspace import Workspace
from bot.i18n import normalise_language
from bot.matching.engine import ScoreComponent
from bot.pairs.channel_names import first_name, pair_channel_name
from bot.pairs.notices import (
    NOT_IN_SLACK,
    PairChannelTrouble,
    PairGoodbye,
    PairIntroFacts,
    PairMemberNotInvited,
    PersonBio,
    TimelineEntry,
)
from bot.rounds.meetings import meeting_concerns
from storage.db import Transactions
from storage.models import MeetingKind, Pair, PairStatus, Participant, Role, Round, SharedMeeting

log = logging.getLogger(__name__)

PAIRS_PER_TICK = 19  # a minute of tier-2 creates (20) less one of headroom, as the adapter budgets them
NAME_TRIES_PER_TICK = 5  # name_taken by strangers this many times: go on next tick
MAX_SUFFIX = 99
ROUND_END_GRACE = timedelta(days=7)
ARCHIVE_AFTER_GOODBYE = timedelta(hours=1)  # room for the goodbye's own retries to land first

HARMLESS_INVITE_ERRORS = frozenset({"already_in_channel", "cant_invite_self"})
# Our stored channel cannot be used any more (deleted, archived, or the bot was removed).
CHANNEL_LOST_ERRORS = frozenset({"channel_not_found", "is_archived", "not_in_channel"})


# --- dedup keys -------------------------------------------------------------------------------


def intro_key(pair_id: int, language: str) -> str:
    return f"intro:pair={pair_id}:lang={language}"


def not_invited_key(pair_id: int, participant_id: int) -> str:
    """Once per person per pair; each coordinator target adds `:to=<target>` when queued."""
    return f"pair-not-invited:pair={pair_id}:participant={participant_id}"


def trouble_key(round_id: int, error: str) -> str:
    """Once per round and kind of refusal; each coordinator target adds `:to=<target>`."""
    return f"pair-channel-trouble:round={round_id}:error={error[:60]}"


def goodbye_key(pair_id: int, language: str) -> str:
    return f"pair-goodbye:pair={pair_id}:lang={language}"


def archive_key(pair_id: int) -> str:
    return f"pair-archive:pair={pair_id}"


# --- shared facts -----------------------------------------------------------------------------


def pair_languages(pair: Pair) -> tuple[str, ...]:
    """The languages to post in: one message per distinct language of the two people."""
    return tuple(dict.fromkeys(normalise_language(person.language) for person in (pair.mentor, pair.mentee)))


def pair_timezone(pair: Pair) -> str:
    """The zone a pair's dates are shown in: theirs when they share one, otherwise the
    programme's, where the shared meetings take place (the message names the zone)."""
    mentor_zone, mentee_zone = pair.mentor.timezone, pair.mentee.timezone
    if mentor_zone and mentor_zone == mentee_zone:
        return zone(mentor_zone).key
    return zone(pair.round.programme.timezone).key


def person_bio(person: Participant) -> PersonBio:
    statement = person.expertise if person.role is Role.MENTOR else person.goals
    return PersonBio(
        role=person.role, name=person.name, slack_user_id=person.slack_user_id, field=person.field,
        years_experience=person.years_experience, company=person.company, languages=tuple(person.languages or ()),
        interests=tuple(person.interests or ()), statement=statement, home_country=person.home_country,
    )


def person_named(person: Participant) -> PersonBio:
    """Who a closing note or a goodbye names, and no more of their profile than that: a
    queued notice keeps its facts until it goes, and a name is all these messages say."""
    return PersonBio(role=person.role, name=person.name, slack_user_id=person.slack_user_id)


def _timeline(round_: Round, *, now: datetime) -> tuple[TimelineEntry, ...]:
    """Shared meetings still to come that concern the mentor or the mentee (or both)."""
    entries: list[TimelineEntry] = []
    for meeting in round_.meetings:
        if meeting.starts_at + timedelta(minutes=meeting.duration_minutes) < now:
            continue
        for_mentor = meeting_concerns(meeting.kind, Role.MENTOR)
        for_mentee = meeting_concerns(meeting.kind, Role.MENTEE)
        if not (for_mentor or for_mentee):
            continue
        only_for = None if for_mentor and for_mentee else (Role.MENTOR if for_mentor else Role.MENTEE)
        entries.append(
            TimelineEntry(
                kind=meeting.kind, title=meeting.title, starts_at=meeting.starts_at, location=meeting.location,
                only_for=only_for,
            )
        )
    return tuple(entries)


def stored_match_reasons(stored: object) -> tuple[ScoreComponent, ...]:
    """A published pair's reasons as the engine gave them (`{code, points, params}` rows);
    a row that is not one (edited by hand, written by an older version) is left out."""
    reasons: list[ScoreComponent] = []
    for row in stored if isinstance(stored, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("code"), str):
            continue
        params = row.get("params")
        points = row.get("points")
        reasons.append(ScoreComponent(
            code=row["code"],
            points=float(points) if isinstance(points, (int, float)) and not isinstance(points, bool) else 0.0,
            params={str(key): str(value) for key, value in params.items()} if isinstance(params, dict) else {},
        ))
    return tuple(reasons)


def intro_facts(pair: Pair, *, now: datetime) -> PairIntroFacts:
    round_ = pair.round
    return PairIntroFacts(
        programme=round_.programme.name,
        round_name=round_.name,
        mentor=person_bio(pair.mentor),
        mentee=person_bio(pair.mentee),
        match_reasons=stored_match_reasons(pair.match_reasons),
        meetings=_timeline(round_, now=now),
        round_ends_on=round_.ends_on,
        session_every_days=round_.session_every_days,
        timezone=pair_timezone(pair),
        coordinators_in_channel=bool(round_.programme.coordinators_join_pair_channels),
    )


def intro_notices(pair: Pair, *, now: datetime) -> list[Notice]:
    """One introduction per distinct language of the two, into the pair's channel, now:
    both people have just been invited and are looking at the channel."""
    if pair.slack_channel_id is None:
        raise ValueError(f"pair {pair.id} has no channel to introduce in")
    facts = intro_facts(pair, now=now)
    return [
        Notice(dedup_key=intro_key(pair.id, language),
               to=Conversation(pair.slack_channel_id, team_id=pair.round.programme.team_id), facts=facts,
               not_before=now, language=language)
        for language in pair_languages(pair)
    ]


def _programme_zone(round_: Round) -> str:
    return zone(round_.programme.timezone).key


# --- opening ----------------------------------------------------------------------------------


class OpenOutcome(str, enum.Enum):
    OPENED = "opened"
    LATER = "later"  # Slack said slow down or is down: stop this tick, try next tick
    TROUBLE = "trouble"  # Slack refused in a way a human must look at (reported)


@dataclass(kw_only=True)
class OpenReport:
    opened: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    trouble: list[int] = field(default_factory=list)
    enqueued: int = 0

    @property
    def handled(self) -> int:
        return len(self.opened) + len(self.waiting) + len(self.trouble)


def pairs_to_open(
    session: Session, *, now: datetime, limit: int = PAIRS_PER_TICK, workspace: Workspace | None = None
) -> list[int]:
    """Published, active pairs without an opened channel, in rounds not yet over; oldest
    first; with `workspace` (many workspaces: each opens with its own token), only its pairs."""
    query = (
        select(Pair.id)
        .join(Round, Round.id == Pair.round_id)
        .where(
            Pair.published_at.is_not(None),
            Pair.status == PairStatus.ACTIVE,
            Pair.channel_opened_at.is_(None),
            Round.ends_on >= now.date(),
        )
    )
    if workspace is not None:
        query = query.where(Pair.round_id.in_(workspace.rounds()))
    return list(session.scalars(query.order_by(Pair.published_at, Pair.id).limit(limit)))


def open_pair_channels(
    transactions: Transactions, *, channels: ChatChannels, now: datetime, limit: int = PAIRS_PER_TICK,
    workspace: Workspace | None = None,
) -> OpenReport:
    """Open the channels of up to `limit` published pairs, one pair after the other, each
    step in a transaction of its own (see the module docstring): a crash half-way leaves
    every finished step on record."""
    report = OpenReport()
    with transactions() as session:
        pair_ids = pairs_to_open(session, now=now, limit=limit, workspace=workspace)
    for pair_id in pair_ids:
        outcome, enqueued = open_pair_channel(transactions, pair_id, channels=channels, now=now)
        report.enqueued += enqueued
        if outcome is OpenOutcome.OPENED:
            report.opened.append(pair_id)
        elif outcome is OpenOutcome.TROUBLE:
            report.trouble.append(pair_id)  # reported once; the others may still open
        elif outcome is OpenOutcome.LATER:
            report.waiting.append(pair_id)
            break
    return report


@dataclass(frozen=True, kw_only=True)
class _Invitee:
    participant_id: int
    slack_user_id: str | None


def open_pair_channel(
    transactions: Transactions, pair_id: int, *, channels: ChatChannels, now: datetime
) -> tuple[OpenOutcome | None, int]:
    """Take one pair as far as it goes: channel, invites, introductions. Returns the outcome
    (None when the pair no longer needs opening) and how many outbox rows were new."""
    with transactions() as session:
        pair = _pair_to_open(session, pair_id)
        if pair is None:
            return None, 0
        channel_id = pair.slack_channel_id
    if channel_id is None:
        created = _create_channel(transactions, pair_id, channels=channels, now=now)
        if isinstance(created, OpenOutcome):
            return created, 0
        channel_id = created
    with transactions() as session:
        pair = _pair_to_open(session, pair_id)
        if pair is None:
            return None, 0
        invitees = [_Invitee(participant_id=person.id, slack_user_id=person.slack_user_id)
                    for person in _people_to_invite(session, pair)]
    not_invited: list[tuple[int, str]] = []
    for invitee in invitees:
        if not invitee.slack_user_id:
            not_invited.append((invitee.participant_id, NOT_IN_SLACK))
            continue
        answer = channels.invite(channel_id=channel_id, user_id=invitee.slack_user_id)
        if answer.ok or answer.error in HARMLESS_INVITE_ERRORS:
            continue
        if answer.retryable:
            return OpenOutcome.LATER, 0
        if answer.error in CHANNEL_LOST_ERRORS:
            # Deleted, archived, or the bot was removed before anyone was introduced: start
            # again under the same name (taken by a stranger now → the next suffix).
            log.warning("pair %s: channel %s is unusable (%s); opening a new one", pair_id, channel_id, answer.error)
            with transactions() as session:
                pair = session.get(Pair, pair_id)
                if pair is not None and pair.slack_channel_id == channel_id:
                    pair.slack_channel_id = None
            return OpenOutcome.LATER, 0
        log.warning("pair %s: could not invite %s: %s", pair_id, invitee.slack_user_id, answer.error)
        not_invited.append((invitee.participant_id, answer.error or "unknown_error"))
    with transactions() as session:
        return _introduce(session, pair_id, not_invited, now=now)


def _pair_to_open(session: Session, pair_id: int) -> Pair | None:
    """The pair, read afresh in this step's transaction, unless it is gone or opened already."""
    pair = session.get(Pair, pair_id)
    if pair is None or pair.channel_opened_at is not None:
        return None
    return pair


def _introduce(
    session: Session, pair_id: int, not_invited: Sequence[tuple[int, str]], *, now: datetime
) -> tuple[OpenOutcome, int]:
    """The last step, in one transaction: introductions, reports of who was not invited,
    and `channel_opened_at`, together or not at all."""
    pair = session.get(Pair, pair_id)
    if pair is None or pair.slack_channel_id is None:  # pragma: no cover - deleted meanwhile
        return OpenOutcome.LATER, 0
    if pair.channel_opened_at is not None:
        return OpenOutcome.OPENED, 0
    # Ended by a coordinator while we were inviting: no welcome for a pair that is over.
    notices = intro_notices(pair, now=now) if pair.status is not PairStatus.ENDED else []
    people = [
        (person, error) for participant_id, error in not_invited
        if (person := session.get(Participant, participant_id)) is not None
    ]
    notices += _not_invited_notices(pair, people, now=now)
    enqueued = queue_notices(session, notices, now=now)
    pair.channel_opened_at = now
    return OpenOutcome.OPENED, enqueued


def _people_to_invite(session: Session, pair: Pair) -> list[Participant]:
    """Both people, and the round's coordinators when the programme wants them in."""
    people = [pair.mentor, pair.mentee]
    if pair.round.programme.coordinators_join_pair_channels:
        people += list(
            session.scalars(
                select(Participant)
                .where(
                    Participant.round_id == pair.round_id,
                    Participant.role == Role.COORDINATOR,
                    Participant.slack_user_id.is_not(None),
                    Participant.opted_out_at.is_(None),
                )
                .order_by(Participant.id)
            )
        )
    seen: set[str] = set()
    unique: list[Participant] = []
    for person in people:
        key = person.slack_user_id or f"participant:{person.id}"
        if key not in seen:
            seen.add(key)
            unique.append(person)
    return unique


def candidate_names(session: Session, pair: Pair) -> Iterator[str]:
    """The names to try, in order: the one on record first (a crash may have left a channel
    of that name that is ours), then the suffixes after it. Names another pair has on
    record are skipped, so two pairs never race for one name."""
    names = [
        pair_channel_name(
            round_name=pair.round.name,
            first_names=[first_name(pair.mentor.name), first_name(pair.mentee.name)],
            attempt=attempt,
        )
        for attempt in range(1, MAX_SUFFIX + 1)
    ]
    stored = pair.channel_name
    if stored and stored in names:
        ordered = names[names.index(stored):]
    elif stored:
        ordered = [stored, *names]
    else:
        ordered = names
    for name in ordered:
        taken_by_other = session.scalar(
            select(Pair.id).where(Pair.channel_name == name, Pair.id != pair.id).limit(1)
        )
        if taken_by_other is None:
            yield name


def _create_channel(
    transactions: Transactions, pair_id: int, *, channels: ChatChannels, now: datetime
) -> str | OpenOutcome:
    """Create (or adopt) the pair's channel and store its id; returns the id, or the outcome
    that stops this pair for now. Each name is stored before Slack hears it."""
    tried: set[str] = set()
    while True:
        with transactions() as session:
            pair = session.get(Pair, pair_id)
            assert pair is not None
            name = next((name for name in candidate_names(session, pair) if name not in tried), None)
            if name is None:
                return _trouble(session, pair, error="no_free_channel_name", now=now)
            if len(tried) >= NAME_TRIES_PER_TICK:
                return OpenOutcome.LATER
            pair.channel_name = name  # on record before Slack hears it
        tried.add(name)
        answer = channels.create_private_channel(name=name)
        if answer.ok and answer.channel is not None:
            return _store_channel(transactions, pair_id, answer.channel)
        if answer.retryable:
            return OpenOutcome.LATER
        if answer.error != "name_taken":
            return _report_trouble(transactions, pair_id, error=answer.error or "unknown_error", now=now)
        found = channels.find_private_channel(name=name)
        if not found.ok:
            if found.retryable:
                return OpenOutcome.LATER
            return _report_trouble(transactions, pair_id, error=found.error or "unknown_error", now=now)
        if found.channel is not None:
            with transactions() as session:
                pair = session.get(Pair, pair_id)
                assert pair is not None
                ours = is_our_channel(session, pair, found.channel)
            if ours:
                log.info("pair %s: adopting channel %s (%s), made before a crash", pair_id, found.channel.channel_id, name)
                return _store_channel(transactions, pair_id, found.channel)


def _store_channel(transactions: Transactions, pair_id: int, channel: ChatChannel) -> str:
    with transactions() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        pair.slack_channel_id = channel.channel_id
    return channel.channel_id


def _report_trouble(transactions: Transactions, pair_id: int, *, error: str, now: datetime) -> OpenOutcome:
    with transactions() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        return _trouble(session, pair, error=error, now=now)


def is_our_channel(session: Session, pair: Pair, channel: ChatChannel) -> bool:
    """A taken name is ours to adopt only if the bot made the channel, is still in it, it
    is not archived, and no other pair has it."""
    if not (channel.is_member and channel.created_by_bot and not channel.is_archived and channel.channel_id):
        return False
    other = session.scalar(
        select(Pair.id).where(Pair.slack_channel_id == channel.channel_id, Pair.id != pair.id).limit(1)
    )
    return other is None


def _trouble(session: Session, pair: Pair, *, error: str, now: datetime) -> OpenOutcome:
    """Slack refuses to make channels: tell the round's coordinators once per kind of refusal."""
    log.error("pair %s: cannot open a channel: %s", pair.id, error)
    round_ = pair.round
    notice = Notice(
        dedup_key=trouble_key(round_.id, error), to=Coordinators(round_.id),
        facts=PairChannelTrouble(round_name=round_.name, error=error),
        not_before=polite_time(now, _programme_zone(round_)),
    )
    queue_notices(session, [notice], now=now)
    return OpenOutcome.TROUBLE


def _not_invited_notices(
    pair: Pair, not_invited: Sequence[tuple[Participant, str]], *, now: datetime
) -> list[Notice]:
    """One report per person who could not be invited, to the round's coordinators."""
    if not not_invited:
        return []
    round_ = pair.round
    channel_id = pair.slack_channel_id
    assert channel_id is not None
    log.warning("pair %s: %d people not invited; telling the coordinators", pair.id, len(not_invited))
    not_before = polite_time(now, _programme_zone(round_))
    return [
        Notice(
            dedup_key=not_invited_key(pair.id, person.id), to=Coordinators(round_.id),
            facts=PairMemberNotInvited(
                channel_id=channel_id, round_name=round_.name, mentor_name=pair.mentor.name,
                mentee_name=pair.mentee.name, person_name=person.name, person_role=person.role, error=error,
            ),
            not_before=not_before,
        )
        for person, error in not_invited
    ]


# --- round end --------------------------------------------------------------------------------


def round_closes_at(round_: Round) -> datetime:
    """When a round is over: the end of its (last) closing meeting, or the end of its last
    day in the programme's zone when it has none."""
    closing: list[SharedMeeting] = [meeting for meeting in round_.meetings if meeting.kind is MeetingKind.CLOSING]
    if closing:
        last = max(closing, key=lambda meeting: meeting.starts_at)
        return last.starts_at + timedelta(minutes=last.duration_minutes)
    next_day = round_.ends_on + timedelta(days=1)
    return datetime.combine(next_day, time(0, 0), tzinfo=zone(round_.programme.timezone))


def channels_to_close(session: Session, *, now: datetime) -> list[Pair]:
    """Pair channels not yet archived whose round closed more than the grace period ago
    (ended pairs included: their channel stayed open until now)."""
    # Meetings and programme come in two bulk loads: a tick runs every minute over every
    # round with an open channel, so per-round lazy loads would cost 2 statements a round.
    # Only rounds that may have closed are loaded: the last day over (a day of margin for
    # the zones), or a closing meeting begun, a grace ago; a running round costs nothing.
    before = now - ROUND_END_GRACE
    may_have_closed = or_(
        Round.ends_on <= before.date(),
        select(SharedMeeting.id).where(SharedMeeting.round_id == Round.id, SharedMeeting.kind == MeetingKind.CLOSING,
                                       SharedMeeting.starts_at <= before).exists(),
    )
    open_rounds = session.scalars(
        select(Round)
        .where(Round.id.in_(select(Pair.round_id).where(Pair.slack_channel_id.is_not(None), Pair.channel_archived_at.is_(None))),
               may_have_closed)
        .options(selectinload(Round.meetings), selectinload(Round.programme))
        .order_by(Round.id)
    ).all()
    closed = [round_.id for round_ in open_rounds if round_closes_at(round_) + ROUND_END_GRACE <= now]
    if not closed:
        return []
    return list(
        session.scalars(
            select(Pair)
            .where(Pair.round_id.in_(closed), Pair.slack_channel_id.is_not(None), Pair.channel_archived_at.is_(None))
            .order_by(Pair.round_id, Pair.id)
        )
    )


def close_pair_channels(session: Session, *, now: datetime) -> list[OutgoingCall]:
    """A goodbye in each pair's language(s), then the channel archived an hour later.

    `channel_archived_at` is set when the archive is queued: from then on the outbox owns
    it, and running the job again queues nothing (and the dedup keys would refuse it)."""
    items: list[Notice | ArchiveChannel] = []
    for pair in channels_to_close(session, now=now):
        channel_id = pair.slack_channel_id
        assert channel_id is not None
        goodbye_at = polite_time(now, pair_timezone(pair))
        goodbye = PairGoodbye(round_name=pair.round.name, mentor=person_named(pair.mentor),
                              mentee=person_named(pair.mentee))
        team_id = pair.round.programme.team_id  # loaded with the rounds above: no statement
        items += [
            Notice(dedup_key=goodbye_key(pair.id, language), to=Conversation(channel_id, team_id=team_id),
                   facts=goodbye, not_before=goodbye_at, language=language)
            for language in pair_languages(pair)
        ]
        items.append(ArchiveChannel(dedup_key=archive_key(pair.id), channel_id=channel_id, team_id=team_id,
                                    not_before=goodbye_at + ARCHIVE_AFTER_GOODBYE))
        pair.channel_archived_at = now
    return outgoing_calls(session, items)


__all__ = [
    "ARCHIVE_AFTER_GOODBYE",
    "PAIRS_PER_TICK",
    "ROUND_END_GRACE",
    "OpenOutcome",
    "OpenReport",
    "archive_key",
    "candidate_names",
    "close_pair_channels",
    "goodbye_key",
    "intro_key",
    "intro_notices",
    "is_our_channel",
    "not_invited_key",
    "open_pair_channel",
    "open_pair_channels",
    "pair_languages",
    "pair_timezone",
    "person_named",
    "round_closes_at",
    "stored_match_reasons",
    "trouble_key",
]
