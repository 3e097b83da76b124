"""Onboarding: from "a row in the workbook" to "consented", without a coordinator chasing anyone.

Four steps, each driven from the database so that a restart or a tick run twice changes
nothing:

1. *Resolve*: find each imported person in Slack by email (users.lookupByEmail, then
   users.info for the time zone). People not found are retried with backoff (1 h, 2 h,
   4 h … at most a day apart) and reported to the coordinators, once per set of people.
   A `team_join` event picks a newcomer up at once.
2. *Welcome*: one DM per participant in their language, with the round, its meetings,
   their role, and three consent questions with Yes/No buttons.
3. *Consent*: each click is recorded per purpose; saying no to coordination opts the
   person out of every message, and saying yes again brings them back.
4. *Remind*: at most two friendly reminders, at 10:00 on a weekday in the person's own
   time zone, for the consent or the profile still missing.

Nothing of Slack is imported here: Slack is read through the `ChatDirectory` port, and
what is said goes out as notices (`bot.onboarding.notices`) that the adapter draws when it
sends them, so every rule is testable with fakes.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from bot.core.chat import ChatDirectory, ChatUser
from bot.core.notices import Coordinators, Notice, Person, outgoing_calls, queue_notices
from bot.core.outbox import OutgoingCall, cancel_pending
from bot.core.people import identify, is_known_time_zone
from bot.core.timing import (
    NUDGE_HOUR,
    WAKING_END,
    add_working_days,
    is_weekday,
    next_weekday_at,
    polite_time,
    weekday_at_after,
    zone,
)
from bot.core.workspace import Workspace
from bot.i18n import normalise_language
from bot.onboarding.notices import (
    ConsentAnswer,
    ConsentReminderFacts,
    CoordinationDeclinedFacts,
    CoordinationRegrantedFacts,
    MeetingFacts,
    MissingFromSlackFacts,
    MissingPerson,
    OnboardingFacts,
    ProfileReminderFacts,
    WelcomeFacts,
)
from bot.onboarding.state import OnboardingStep, may_be_messaged, onboarding_step
from bot.timeline.service import reminder_prefix as meeting_reminder_prefix
from storage.db import Transactions, inside
from storage.models import (
    Consent,
    ConsentPurpose,
    OutboxMessage,
    OutboxState,
    Participant,
    Programme,
    Role,
    Round,
)

log = logging.getLogger(__name__)

# Each person costs two tier-4 calls (lookupByEmail, users.info: 100+ a minute); a bounded
# batch keeps a tick's lookups well inside that and the tick itself short.
LOOKUPS_PER_TICK = 20
FIRST_LOOKUP_RETRY = timedelta(hours=1)
MAX_LOOKUP_RETRY = timedelta(hours=24)
_MAX_DOUBLINGS = 16  # 2**16 h is years: well past MAX_LOOKUP_RETRY, far from overflowing
MAX_REMINDERS = 2
REMINDER_GAP_WORKING_DAYS = 3

MISSING_REPORT_PREFIX = "slack-missing"
#: Company contacts are asked one survey in the month after the round, so their Slack
#: account is still looked for that long (everyone else's stops with the round).
COMPANY_CONTACT_LOOKUP_GRACE = timedelta(days=32)
_PURPOSE_ORDER = tuple(ConsentPurpose)  # answers are stored in this order, whatever order they were given in


# --- dedup keys -----------------------------------------------------------------------------


def welcome_key(participant_id: int) -> str:
    return f"welcome:participant={participant_id}"


def reminder_key(participant_id: int, number: int) -> str:
    return f"onboarding-reminder:participant={participant_id}:n={number}"


def _reminder_prefix(participant_id: int) -> str:
    # The trailing colon keeps participant=1 from matching participant=12.
    return f"onboarding-reminder:participant={participant_id}:"


def _missing_report_prefix(round_id: int) -> str:
    return f"{MISSING_REPORT_PREFIX}:round={round_id}:"


# --- shared helpers -------------------------------------------------------------------------


def _active_round_filter(now: datetime) -> ColumnElement[bool]:
    """Onboarding is for rounds not yet over: a returning mentor's old round stays quiet."""
    return Round.ends_on >= now.date()


def _lookup_round_filter(now: datetime) -> ColumnElement[bool]:
    """Whose Slack account is still worth looking for: everyone's in a round not yet over, a
    company contact's until their survey after the round has closed."""
    return or_(
        _active_round_filter(now),
        and_(Participant.role == Role.COMPANY_CONTACT, Round.ends_on >= (now - COMPANY_CONTACT_LOOKUP_GRACE).date()),
    )


#: Who is welcomed, asked to consent and to fill in a profile, and reminded: not the
#: company contacts, who are only ever asked the company survey (and need not be in Slack).
_ONBOARDED = Participant.role != Role.COMPANY_CONTACT


def participant_timezone(participant: Participant) -> str:
    """The zone their messages are timed and dated in: their own, else the programme's."""
    return zone(participant.timezone or participant.round.programme.timezone).key


def onboarding_facts(participant: Participant) -> OnboardingFacts:
    """What the welcome, consent panel and reminders show, read from the rows on record."""
    round_ = participant.round
    return OnboardingFacts(
        participant_id=participant.id,
        name=participant.name,
        role=participant.role,
        timezone=participant_timezone(participant),
        programme=round_.programme.name,
        round=round_.name,
        starts_on=round_.starts_on,
        ends_on=round_.ends_on,
        session_every_days=round_.session_every_days,
        meetings=tuple(
            MeetingFacts(kind=meeting.kind, title=meeting.title, starts_at=meeting.starts_at, location=meeting.location)
            for meeting in round_.meetings
        ),
        answers=tuple(
            ConsentAnswer(purpose=consent.purpose, granted=consent.granted)
            for consent in sorted(participant.consents, key=lambda consent: _PURPOSE_ORDER.index(consent.purpose))
        ),
        profile_completed=participant.profile_completed_at is not None,
        retention_months=round_.programme.retention_months,
    )


def _dm(
    *, dedup_key: str, participant: Participant, facts: WelcomeFacts | ConsentReminderFacts | ProfileReminderFacts,
    not_before: datetime,
) -> Notice:
    """A notice to the participant in a DM, in their language, in their programme's workspace
    (the round and programme are loaded already: `onboarding_facts` read them)."""
    return Notice(
        dedup_key=dedup_key,
        to=Person(participant.slack_user_id or "", team_id=participant.round.programme.team_id),
        facts=facts,
        not_before=not_before,
        language=normalise_language(participant.language),
    )


def _programme_zone(session: Session, round_id: int) -> str:
    round_ = session.get(Round, round_id)
    programme = session.get(Programme, round_.programme_id) if round_ else None
    return zone(programme.timezone if programme else None).key


# --- 1. resolving people in Slack -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ResolutionResult:
    """What one pass of lookups did, and the coordinator reports it calls for (not yet enqueued)."""

    found: tuple[int, ...] = ()
    missing: tuple[int, ...] = ()
    calls: list[OutgoingCall] = field(default_factory=list)
    interrupted: bool = False  # Slack or the network failed; the rest waits for the next tick

    @property
    def looked_up(self) -> int:
        return len(self.found) + len(self.missing)


def lookup_retry_delay(attempts: int) -> timedelta:
    """1 h after the first miss, then doubling, at most a day: quick for the usual
    "invited this morning", cheap for someone who never joins. The doubling stops once it is
    past the day: unbounded, it overflows after five weeks of daily misses."""
    if attempts <= 0:
        return timedelta(0)
    doublings = min(attempts - 1, _MAX_DOUBLINGS)
    return min(FIRST_LOOKUP_RETRY * (1 << doublings), MAX_LOOKUP_RETRY)


def next_lookup_at(participant: Participant) -> datetime | None:
    """When to look this person up next; None when at once (never tried) or never (found).

    No column holds the last attempt: each attempt stamps `updated_at`, so the later of
    that and `slack_missing_since` is when we last asked. An edit of the row in between
    (a re-import) only postpones the next lookup, and `team_join` catches a join anyway."""
    if participant.slack_user_id is not None or participant.slack_missing_since is None:
        return None
    last_attempt = max(participant.slack_missing_since, participant.updated_at)
    return last_attempt + lookup_retry_delay(participant.slack_lookup_attempts)


def lookup_due(participant: Participant, *, now: datetime) -> bool:
    if participant.slack_user_id is not None or participant.opted_out_at is not None:
        return False
    due_at = next_lookup_at(participant)
    return due_at is None or due_at <= now


def find_member(directory: ChatDirectory, email: str) -> ChatUser | None:
    """The workspace member with this email, with their time zone; None when there is no
    such active human member (a deactivated account or a bot does not count)."""
    found = directory.lookup_by_email(email)
    if found is None or found.deleted or found.is_bot:
        return None
    info = directory.user_info(found.user_id)
    if info is None or info.deleted or info.is_bot:
        return None
    return info if info.timezone else replace(info, timezone=found.timezone)


def attach_member(participant: Participant, member: ChatUser, *, now: datetime) -> None:
    """Link the participant to their Slack account; the workbook's name stays, and a time
    zone the person confirmed themselves is not overwritten by Slack's."""
    participant.slack_user_id = member.user_id
    if not participant.timezone_confirmed and member.timezone and is_known_time_zone(member.timezone):
        participant.timezone = member.timezone
    participant.updated_at = now


def mark_missing(participant: Participant, *, now: datetime) -> None:
    if participant.slack_missing_since is None:
        participant.slack_missing_since = now
    participant.slack_lookup_attempts = (participant.slack_lookup_attempts or 0) + 1
    participant.updated_at = now


@dataclass(frozen=True, kw_only=True)
class LookupItem:
    """One email to ask Slack about, and the participants (one per round) it stands for:
    one person in two rounds is asked about once."""

    email: str
    participant_ids: tuple[int, ...]


def lookups_due(
    session: Session, *, now: datetime, limit: int = LOOKUPS_PER_TICK, workspace: Workspace | None = None
) -> list[LookupItem]:
    """Everyone due a lookup (at most `limit` people), grouped by email, oldest first; with
    `workspace` (many workspaces: each is asked with its own token), only its people."""
    query = (
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(
            Participant.slack_user_id.is_(None),
            Participant.opted_out_at.is_(None),
            _lookup_round_filter(now),
        )
        .order_by(Participant.id)
    )
    if workspace is not None:
        query = query.where(Participant.round_id.in_(workspace.rounds()))
    candidates = session.scalars(query).all()
    due = [participant for participant in candidates if lookup_due(participant, now=now)][:limit]
    by_email: dict[str, list[int]] = {}
    for participant in due:
        by_email.setdefault(participant.email.strip().lower(), []).append(participant.id)
    return [LookupItem(email=email, participant_ids=tuple(ids)) for email, ids in by_email.items()]


def record_lookup(
    session: Session, item: LookupItem, member: ChatUser | None, *, now: datetime
) -> tuple[list[int], list[int]]:
    """Store what Slack answered about one email; returns the participant ids (found, missing).

    Slack was asked outside any transaction, so each person is read again here: someone a
    `team_join` linked, or who opted out, while we waited is left as they are now."""
    found: list[int] = []
    missing: list[int] = []
    for participant_id in item.participant_ids:
        participant = session.get(Participant, participant_id)
        if participant is None or participant.slack_user_id is not None or participant.opted_out_at is not None:
            continue
        if member is not None:
            attach_member(participant, member, now=now)
            found.append(participant.id)
        else:
            mark_missing(participant, now=now)
            missing.append(participant.id)
    session.flush()
    return found, missing


def look_up_participants(
    transactions: Transactions, *, directory: ChatDirectory, now: datetime, limit: int = LOOKUPS_PER_TICK,
    workspace: Workspace | None = None,
) -> ResolutionResult:
    """Look up everyone due a lookup, and report newly missing people to the coordinators.

    Slack is asked between transactions, never inside one: who is due is read in one, each
    answer is stored in one of its own, so a crash half-way keeps every answer already
    stored and the next tick goes on from there. The caller decides what a transaction
    is (`short_transactions` in the tick). A Slack or network failure stops the pass
    without counting an attempt: it says nothing about the person."""
    with transactions() as session:
        items = lookups_due(session, now=now, limit=limit, workspace=workspace)
    found: list[int] = []
    missing: list[int] = []
    interrupted = False
    for item in items:
        try:
            member = find_member(directory, item.email)
        except Exception:  # the adapter raises for any Slack or network trouble (logged with its trace)
            log.warning("looking up participants in Slack failed; trying again next tick", exc_info=True)
            interrupted = True
            break
        with transactions() as session:
            item_found, item_missing = record_lookup(session, item, member, now=now)
        found += item_found
        missing += item_missing
    with transactions() as session:
        calls = missing_people_reports(session, now=now)
    return ResolutionResult(found=tuple(found), missing=tuple(missing), calls=calls, interrupted=interrupted)


def resolve_participants(
    session: Session, *, directory: ChatDirectory, now: datetime, limit: int = LOOKUPS_PER_TICK
) -> ResolutionResult:
    """`look_up_participants` with every step in the caller's open transaction, which holds
    it while Slack answers: for a caller with nothing else waiting on the database (a test,
    a script). The tick runs the steps in short transactions of their own."""
    return look_up_participants(inside(session), directory=directory, now=now, limit=limit)


def missing_people_reports(session: Session, *, now: datetime) -> list[OutgoingCall]:
    """Tell each round's coordinators who is not in Slack, when someone joined that list
    since the last report. The key names the exact set, so one set is reported once;
    someone newly missing makes a new set and a new report, which lists everyone still missing.
    A round with nowhere to report to yet is reported as soon as it has somewhere: it gets
    no row, so the next pass still finds nothing reported."""
    rows = session.scalars(
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(
            Participant.slack_user_id.is_(None),
            Participant.opted_out_at.is_(None),
            Participant.slack_missing_since.is_not(None),
            _ONBOARDED,  # a company contact not in Slack is asked by hand, not chased
            _active_round_filter(now),
        )
        .order_by(Participant.round_id, Participant.name, Participant.id)
    ).all()
    by_round: dict[int, list[Participant]] = defaultdict(list)
    for participant in rows:
        by_round[participant.round_id].append(participant)
    calls: list[OutgoingCall] = []
    for round_id, people in by_round.items():
        prefix = _missing_report_prefix(round_id)
        last_report = session.scalar(
            select(OutboxMessage.created_at)
            .where(OutboxMessage.dedup_key.startswith(prefix, autoescape=True))
            .order_by(OutboxMessage.created_at.desc())
            .limit(1)
        )
        if last_report is not None and all(p.slack_missing_since <= last_report for p in people):  # type: ignore[operator]
            continue
        digest = hashlib.sha1(",".join(str(p.id) for p in sorted(people, key=lambda p: p.id)).encode()).hexdigest()[:12]
        round_ = people[0].round
        listed = tuple(
            MissingPerson(
                name=p.name, email=p.email, role=p.role,
                newly_missing=last_report is not None and p.slack_missing_since > last_report,  # type: ignore[operator]
            )
            for p in people
        )
        report = Notice(
            dedup_key=f"{prefix}set={digest}",
            to=Coordinators(round_id),
            facts=MissingFromSlackFacts(programme=round_.programme.name, round_name=round_.name, people=listed),
            not_before=polite_time(now, _programme_zone(session, round_id)),
        )
        round_calls = outgoing_calls(session, [report])
        if not round_calls:
            log.warning("round %s: %d people not in Slack, and no coordinator to tell yet", round_id, len(people))
        calls += round_calls
    return calls


def pick_up_new_member(
    session: Session, *, member: ChatUser | None, workspace: Workspace, now: datetime
) -> list[int]:
    """Someone joined the workspace (`team_join`): if their email is on the list of a round
    of that workspace, link them and queue their welcome now rather than at the next
    backoff slot. The same email in another workspace's round is another account there:
    never linked to this one.

    Returns the ids of the participants picked up. The caller asks Slack who they are
    (`member`, None when Slack does not know them) before it opens the transaction, so no
    write transaction waits on the network."""
    if member is None or member.deleted or member.is_bot or not member.email:
        return []
    participants = session.scalars(
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(
            func.lower(Participant.email) == member.email.strip().lower(),
            Participant.slack_user_id.is_(None),
            Participant.opted_out_at.is_(None),
            _lookup_round_filter(now),
            Participant.round_id.in_(workspace.rounds()),
        )
        .order_by(Participant.id)
    ).all()
    for participant in participants:
        attach_member(participant, member, now=now)
    session.flush()
    queue_notices(session, welcome_notices(participants, now=now), now=now)
    return [participant.id for participant in participants]


# --- 2. the welcome ---------------------------------------------------------------------------


def welcome_notices(participants: Iterable[Participant], *, now: datetime) -> list[Notice]:
    """The welcome DM for each participant who may get one and has not; stamps welcome_sent_at.

    Sent in waking hours on a weekday in their zone: people expect it, but not at 3 am.
    A company contact is never welcomed (they are not onboarded)."""
    notices: list[Notice] = []
    for participant in participants:
        if participant.welcome_sent_at is not None or not may_be_messaged(participant):
            continue
        if participant.role is Role.COMPANY_CONTACT:
            continue
        facts = onboarding_facts(participant)
        notices.append(
            _dm(
                dedup_key=welcome_key(participant.id),
                participant=participant,
                facts=WelcomeFacts(participant=facts),
                not_before=polite_time(now, facts.timezone),
            )
        )
        participant.welcome_sent_at = now
        participant.updated_at = now
    return notices


def due_welcomes(session: Session, *, now: datetime) -> list[OutgoingCall]:
    """Welcomes for everyone found in Slack and not yet welcomed (the tick enqueues them)."""
    participants = session.scalars(
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(
            Participant.slack_user_id.is_not(None),
            Participant.welcome_sent_at.is_(None),
            Participant.opted_out_at.is_(None),
            _ONBOARDED,
            _active_round_filter(now),
        )
        .order_by(Participant.id)
    ).all()
    return outgoing_calls(session, welcome_notices(participants, now=now))


# --- 3. consent -------------------------------------------------------------------------------


class ConsentStatus(str, enum.Enum):
    RECORDED = "recorded"  # a new or changed answer, or a consent newly counted
    UNCHANGED = "unchanged"  # the same answer again (a double click)
    NOT_YOURS = "not_yours"  # the button belongs to someone else's message
    STALE = "stale"  # the participant behind the button is gone


@dataclass(frozen=True, kw_only=True)
class ConsentOutcome:
    """What a click did: the status, the facts to redraw the message with, and what changed."""

    status: ConsentStatus
    language: str
    facts: OnboardingFacts | None = None
    slack_user_id: str | None = None
    opted_out: bool = False  # this click said no to coordination
    opted_back_in: bool = False  # this click said yes again after a no
    consented: bool = False  # this click completed the consent

    @property
    def accepted(self) -> bool:
        return self.status in (ConsentStatus.RECORDED, ConsentStatus.UNCHANGED)


def record_consent(
    session: Session,
    *,
    participant_id: int,
    acting_user_id: str,
    workspace: Workspace,
    purpose: ConsentPurpose,
    granted: bool,
    now: datetime,
) -> ConsentOutcome:
    """Record one answer, if the person clicking is the person asked.

    Coordination is what taking part rests on: a no opts the person out of every message
    (queued ones are withdrawn) and tells the coordinators; a yes after a no brings them
    back. Consent is complete once all three purposes are answered with coordination granted.

    The three buttons are often pressed within a second, and Slack delivers the clicks side
    by side: the participant's row is locked before the answers are read (FOR UPDATE on
    PostgreSQL, whose READ COMMITTED would otherwise let each click miss the others' answers
    and none of them see all three; SQLite's BEGIN IMMEDIATE already serialises), so the
    last click always sees every answer. A click that changes no answer still settles the
    derived state, so pressing Yes again repairs a consent that was left uncounted."""
    participant = session.get(Participant, participant_id, with_for_update=True, populate_existing=True)
    if (participant is None or participant.role is Role.COMPANY_CONTACT
            or not workspace.owns_round(session, participant.round_id)):
        # A company contact has no welcome to click in: their one consent (evaluation) is
        # given in the company survey, so a forged onboarding click changes nothing. A
        # participant of another workspace is no one a click from this one may answer for.
        return ConsentOutcome(status=ConsentStatus.STALE, language=_language_of(session, acting_user_id, workspace))
    if participant.slack_user_id != acting_user_id:
        return ConsentOutcome(status=ConsentStatus.NOT_YOURS, language=_language_of(session, acting_user_id, workspace))

    existing = next((consent for consent in participant.consents if consent.purpose is purpose), None)
    if existing is not None and existing.granted == granted:
        repaired = _settle_consent(participant, now=now)
        if repaired:
            participant.updated_at = now
            session.flush()
            log.warning("participant %s had answered every consent question without being counted; fixed",
                        participant.id)
        return ConsentOutcome(
            status=ConsentStatus.RECORDED if repaired else ConsentStatus.UNCHANGED,
            language=normalise_language(participant.language),
            facts=onboarding_facts(participant), slack_user_id=participant.slack_user_id, consented=repaired,
        )
    if existing is None:
        participant.consents.append(Consent(purpose=purpose, granted=granted, decided_at=now))
    else:
        existing.granted = granted
        existing.decided_at = now
    participant.updated_at = now

    opted_out = opted_back_in = False
    if purpose is ConsentPurpose.COORDINATION and not granted and participant.opted_out_at is None:
        participant.opted_out_at = now
        participant.consented_at = None
        opted_out = True
        withdrawn = cancel_pending(
            session,
            dedup_keys=[welcome_key(participant.id)],
            key_prefixes=[_reminder_prefix(participant.id), meeting_reminder_prefix(participant.id)],
            reason="the participant declined coordination",
        )
        if withdrawn:
            log.info("participant %s opted out; %d queued message(s) withdrawn", participant.id, withdrawn)
    elif purpose is ConsentPurpose.COORDINATION and granted and participant.opted_out_at is not None:
        participant.opted_out_at = None
        opted_back_in = True

    consented = _settle_consent(participant, now=now)
    session.flush()

    if opted_out or opted_back_in:
        queue_notices(session, [_coordinator_notice(session, participant, declined=opted_out, now=now)], now=now)
    return ConsentOutcome(
        status=ConsentStatus.RECORDED,
        language=normalise_language(participant.language),
        facts=onboarding_facts(participant),
        slack_user_id=participant.slack_user_id,
        opted_out=opted_out,
        opted_back_in=opted_back_in,
        consented=consented,
    )


def _settle_consent(participant: Participant, *, now: datetime) -> bool:
    """Count the person as consented once every purpose is answered and coordination is a
    yes; True when this call did so. Derived from the answers on record each time, never
    from what one click changed, so a click that changes nothing can still repair it."""
    choices = {consent.purpose: consent.granted for consent in participant.consents}
    complete = choices.get(ConsentPurpose.COORDINATION) is True and all(p in choices for p in ConsentPurpose)
    if complete and participant.consented_at is None:
        participant.consented_at = now
        return True
    return False


def _language_of(session: Session, slack_user_id: str, workspace: Workspace) -> str:
    return identify(session, slack_user_id=slack_user_id, workspace=workspace).language


def _coordinator_notice(session: Session, participant: Participant, *, declined: bool, now: datetime) -> Notice:
    """"X said no" / "X is back", to the round's coordinators; keyed by the moment of the
    change, so a second no after a yes is news again while a double click is not."""
    kind = "consent-declined" if declined else "consent-regranted"
    facts_class = CoordinationDeclinedFacts if declined else CoordinationRegrantedFacts
    return Notice(
        dedup_key=f"{kind}:participant={participant.id}:at={int(now.timestamp())}",
        to=Coordinators(participant.round_id),
        facts=facts_class(
            name=participant.name, email=participant.email, role=participant.role, round_name=participant.round.name
        ),
        not_before=polite_time(now, _programme_zone(session, participant.round_id)),
    )


# --- 4. reminders -----------------------------------------------------------------------------


def _row_time(session: Session, dedup_key: str) -> tuple[datetime | None, bool]:
    """When a queued message went (or is due to go) out, and whether it failed for good."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key))
    if row is None:
        return None, False
    failed = row.state is OutboxState.FAILED  # a cancelled row is withdrawn, not failed
    return row.sent_at or row.not_before, failed


def _at_ten_after_working_days(moment: datetime, tz_name: str) -> datetime:
    local_day = moment.astimezone(zone(tz_name)).date()
    return weekday_at_after(add_working_days(local_day, REMINDER_GAP_WORKING_DAYS), tz_name, hour=NUDGE_HOUR)


def reminder_due_at(session: Session, participant: Participant, *, number: int) -> datetime | None:
    """10:00 in their zone, three working days after the welcome (reminder 1) or after
    reminder 1 (reminder 2); None when there is nothing to count from, or the welcome
    could not be delivered (a reminder would fail the same way)."""
    if participant.welcome_sent_at is None or number < 1 or number > MAX_REMINDERS:
        return None
    tz_name = participant_timezone(participant)
    welcome_time, welcome_failed = _row_time(session, welcome_key(participant.id))
    if welcome_failed:
        return None
    base = max(participant.welcome_sent_at, welcome_time or participant.welcome_sent_at)
    due = _at_ten_after_working_days(base, tz_name)
    for previous in range(1, number):
        sent, _ = _row_time(session, reminder_key(participant.id, previous))
        due = _at_ten_after_working_days(sent or due, tz_name)
    return due


def reminder_send_time(now: datetime, tz_name: str) -> datetime:
    """Now, when it is between 10:00 and evening on a weekday there; otherwise the next
    weekday 10:00. A tick at night or at the weekend never sends at night or at the weekend."""
    local = now.astimezone(zone(tz_name))
    if is_weekday(local.date()) and time(NUDGE_HOUR) <= local.time() < WAKING_END:
        return now
    return next_weekday_at(now, tz_name, hour=NUDGE_HOUR)


def due_onboarding_reminders(session: Session, *, now: datetime) -> list[OutgoingCall]:
    """Reminders for whoever is due one now; each counted on the participant.

    A reminder is written when it falls due, not queued days ahead, so it says what is
    really missing (a profile finished yesterday is not asked for) and nobody who said no
    in the meantime hears from us."""
    candidates = session.scalars(
        select(Participant)
        .join(Round, Round.id == Participant.round_id)
        .where(
            Participant.welcome_sent_at.is_not(None),
            Participant.slack_user_id.is_not(None),
            Participant.opted_out_at.is_(None),
            Participant.onboarding_reminders_sent < MAX_REMINDERS,
            # Staff are welcomed, never reminded; company contacts are neither.
            Participant.role.in_([Role.MENTOR, Role.MENTEE]),
            # Only the unfinished (the rule itself is onboarding_step, below): keeps a
            # once-a-minute tick from walking everyone who is done.
            or_(
                Participant.consented_at.is_(None),
                and_(Participant.role != Role.COORDINATOR, Participant.profile_completed_at.is_(None)),
            ),
            _active_round_filter(now),
        )
        .order_by(Participant.id)
    ).all()
    notices: list[Notice] = []
    for participant in candidates:
        step = onboarding_step(participant)
        if step not in (OnboardingStep.AWAITING_CONSENT, OnboardingStep.AWAITING_PROFILE):
            continue
        if not may_be_messaged(participant):
            continue
        number = participant.onboarding_reminders_sent + 1
        due_at = reminder_due_at(session, participant, number=number)
        if due_at is None or now < due_at:
            continue
        facts = onboarding_facts(participant)
        reminder = (
            ConsentReminderFacts(participant=facts, number=number)
            if step is OnboardingStep.AWAITING_CONSENT
            else ProfileReminderFacts(participant=facts, number=number)
        )
        notices.append(
            _dm(
                dedup_key=reminder_key(participant.id, number),
                participant=participant,
                facts=reminder,
                not_before=reminder_send_time(now, facts.timezone),
            )
        )
        participant.onboarding_reminders_sent = number
        participant.updated_at = now
    return outgoing_calls(session, notices)


__all__ = [
    "COMPANY_CONTACT_LOOKUP_GRACE",
    "LOOKUPS_PER_TICK",
    "MAX_REMINDERS",
    "ConsentOutcome",
    "ConsentStatus",
    "LookupItem",
    "ResolutionResult",
    "attach_member",
    "due_onboarding_reminders",
    "due_welcomes",
    "find_member",
    "look_up_participants",
    "lookup_due",
    "lookup_retry_delay",
    "lookups_due",
    "mark_missing",
    "missing_people_reports",
    "next_lookup_at",
    "onboarding_facts",
    "participant_timezone",
    "pick_up_new_member",
    "record_consent",
    "record_lookup",
    "reminder_due_at",
    "reminder_key",
    "reminder_send_time",
    "resolve_participants",
    "welcome_key",
    "welcome_notices",
]
