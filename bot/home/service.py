"""What a person's App Home tab shows, and the coordinators' onboarding status, as plain data.

Participants see where they are in onboarding and what to do next, their round's shared
meetings and, once matched, who they are paired with. Coordinators see, per round they
run, how many people are at each onboarding step and who is stuck and on what. The same
overview answers `/mentoring-admin status`, so the Home tab and the command never disagree.

No Slack here: the builders in `bot/slack/render/home.py` turn this into Block Kit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.core.coordinators import coordinated_round_ids
from bot.core.people import contacts_for_outsiders, identify, is_known_time_zone
from bot.core.timing import DEFAULT_TIMEZONE
from bot.core.workspace import Workspace
from bot.onboarding.state import STUCK_STEPS, OnboardingStep, onboarding_step
from bot.pairs.state import live_pair
from bot.rounds.meetings import meeting_concerns
from bot.surveys.scoreboard import Scoreboard, compute_scoreboard
from storage.models import MeetingKind, Pair, PairStatus, Participant, Role, Round, SharedMeeting

# The order steps are shown in: the way from "on a list" to "ready".
STEP_ORDER: tuple[OnboardingStep, ...] = (
    OnboardingStep.NOT_IN_SLACK,
    OnboardingStep.AWAITING_WELCOME,
    OnboardingStep.AWAITING_CONSENT,
    OnboardingStep.DECLINED,
    OnboardingStep.AWAITING_PROFILE,
    OnboardingStep.READY,
)
# Stuck people are listed by what a coordinator can do about them first.
STUCK_ORDER: tuple[OnboardingStep, ...] = (
    OnboardingStep.NOT_IN_SLACK,
    OnboardingStep.AWAITING_CONSENT,
    OnboardingStep.AWAITING_PROFILE,
    OnboardingStep.DECLINED,
)
MAX_PARTICIPATIONS = 3  # rounds a person is shown as participant at once
MAX_ROUNDS_SHOWN = 5  # rounds a coordinator sees in detail; the rest are counted
# A meeting stays "upcoming" until it has ended, so it is still listed while it runs.
_MEETING_GRACE = timedelta(hours=4)


@dataclass(frozen=True, kw_only=True)
class MeetingInfo:
    kind: MeetingKind
    title: str
    starts_at: datetime
    location: str | None
    is_past: bool


@dataclass(frozen=True, kw_only=True)
class PartnerInfo:
    """The other person in a pair, and the pair's private channel once it exists."""

    name: str
    role: Role
    slack_user_id: str | None
    channel_id: str | None
    paused: bool
    pair_id: int | None = None  # for the "Log a session" button


@dataclass(frozen=True, kw_only=True)
class ParticipationHome:
    """One round a person takes part in as mentor or mentee."""

    participant_id: int
    round_name: str
    programme_name: str
    role: Role
    step: OnboardingStep
    may_edit_profile: bool  # only the newest round's profile is edited
    meetings: list[MeetingInfo]
    partners: list[PartnerInfo]


@dataclass(frozen=True, kw_only=True)
class StuckPerson:
    name: str
    role: Role
    step: OnboardingStep
    email: str
    since: datetime | None  # when the step began, when known (welcome sent, consent given)
    reminders_sent: int
    participant_id: int | None = None  # for the weekly digest's "handled" mark


@dataclass(frozen=True, kw_only=True)
class RoundStatus:
    """Onboarding in one round: counts per step (mentors and mentees) and who is stuck."""

    round_id: int
    round_name: str
    programme_name: str
    counts: dict[OnboardingStep, int]
    counts_by_role: dict[OnboardingStep, dict[Role, int]]
    total: int
    stuck: list[StuckPerson]
    next_meeting: MeetingInfo | None
    #: Where the round stands against its success criteria (anonymous totals only).
    scoreboard: Scoreboard | None = None

    @property
    def ready(self) -> int:
        return self.counts.get(OnboardingStep.READY, 0)


@dataclass(frozen=True, kw_only=True)
class CoordinatorOverview:
    rounds: list[RoundStatus]
    more_rounds: int = 0  # rounds left out to keep the surface within Slack's limits


@dataclass(frozen=True, kw_only=True)
class CompanyContactHome:
    """Someone who is a programme's contact at a partner company: not a participant (no
    onboarding, no profile, no pair), only asked the company survey after the round."""

    programme_name: str
    company: str | None


@dataclass(frozen=True, kw_only=True)
class HomeData:
    """Everything the Home tab shows one person."""

    language: str
    timezone: str
    participations: list[ParticipationHome] = field(default_factory=list)
    overview: CoordinatorOverview | None = None  # only for coordinators
    # For a company contact who is nothing else: why there is nothing here for them.
    company_contact: CompanyContactHome | None = None
    # For someone in no round: whom to ask to be added (the same answer /mentoring gives).
    contacts: tuple[str, ...] = ()

    @property
    def enrolled(self) -> bool:
        return bool(self.participations) or self.overview is not None


def build_home(
    session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = (), now: datetime
) -> HomeData:
    """The Home tab's content for one person, read in one go."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    rows = _rows_of(session, slack_user_id, workspace)
    timezone = _timezone_of(rows)
    participations = _participations(session, rows=rows, now=now)
    overview = (
        coordinator_overview(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids, now=now)
        if viewer.is_coordinator
        else None
    )
    contact_row = next((row for row in rows if row.role is Role.COMPANY_CONTACT), None)  # the newest round's
    company_contact = (
        CompanyContactHome(programme_name=contact_row.round.programme.name, company=contact_row.company)
        if contact_row is not None and not participations and overview is None
        else None
    )
    contacts: tuple[str, ...] = ()
    if not participations and overview is None and company_contact is None:
        contacts = tuple(contacts_for_outsiders(session, today=now.date(), workspace=workspace, admin_user_ids=admin_user_ids))
    return HomeData(language=viewer.language, timezone=timezone, participations=participations, overview=overview,
                    company_contact=company_contact, contacts=contacts)


def coordinator_overview(
    session: Session,
    *,
    slack_user_id: str, workspace: Workspace,
    admin_user_ids: Collection[str] = (),
    now: datetime,
    max_rounds: int = MAX_ROUNDS_SHOWN,
) -> CoordinatorOverview:
    """Onboarding status of the rounds this person coordinates; an admin (MENTORBOT_ADMINS)
    oversees every round of the workspace. Empty for anyone else.

    Only rounds still running are shown, newest first; when none is running, the newest
    one is, so a coordinator between rounds still sees how the last one ended."""
    coordinated = coordinated_round_ids(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    if not coordinated:
        return CoordinatorOverview(rounds=[])
    query = (select(Round).options(selectinload(Round.programme)).where(Round.id.in_(coordinated))
             .order_by(Round.starts_on.desc(), Round.id.desc()))
    rounds = list(session.scalars(query))
    today = now.date()
    running = [round_ for round_ in rounds if round_.ends_on >= today]
    chosen = running or rounds[:1]
    shown = chosen[:max_rounds]
    return CoordinatorOverview(
        rounds=[round_status(session, round_=round_, now=now) for round_ in shown],
        more_rounds=len(chosen) - len(shown),
    )


def round_status(session: Session, *, round_: Round, now: datetime) -> RoundStatus:
    """Counts per onboarding step and the stuck list for one round (mentors and mentees)."""
    people = list(
        session.scalars(
            select(Participant)
            .where(Participant.round_id == round_.id, Participant.role.in_([Role.MENTOR, Role.MENTEE]))
            .order_by(Participant.name, Participant.id)
        )
    )
    counts: Counter[OnboardingStep] = Counter()
    by_role: dict[OnboardingStep, Counter[Role]] = {step: Counter() for step in STEP_ORDER}
    stuck: list[StuckPerson] = []
    for person in people:
        step = onboarding_step(person)
        counts[step] += 1
        by_role[step][person.role] += 1
        if step in STUCK_STEPS:
            stuck.append(
                StuckPerson(
                    name=person.name,
                    role=person.role,
                    step=step,
                    email=person.email,
                    since=_since(person, step),
                    reminders_sent=person.onboarding_reminders_sent,
                    participant_id=person.id,
                )
            )
    stuck.sort(key=lambda person: (STUCK_ORDER.index(person.step), person.name.casefold()))
    meetings = _meetings(session, round_id=round_.id, now=now)
    return RoundStatus(
        round_id=round_.id,
        round_name=round_.name,
        programme_name=round_.programme.name,
        counts={step: counts.get(step, 0) for step in STEP_ORDER},
        counts_by_role={step: dict(by_role[step]) for step in STEP_ORDER},
        total=len(people),
        stuck=stuck,
        next_meeting=next((meeting for meeting in meetings if not meeting.is_past), None),
        scoreboard=compute_scoreboard(session, round_id=round_.id, now=now),
    )


@dataclass(frozen=True, kw_only=True)
class StatusReport:
    """`/mentoring-admin status` for one coordinator, in their language and time zone."""

    language: str
    timezone: str
    overview: CoordinatorOverview


def status_for(
    session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = (), now: datetime
) -> StatusReport:
    """The same overview the coordinator's Home tab shows, so the two never disagree."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    overview = coordinator_overview(session, slack_user_id=slack_user_id, workspace=workspace,
                                    admin_user_ids=admin_user_ids, now=now)
    return StatusReport(language=viewer.language, timezone=_timezone_of(_rows_of(session, slack_user_id, workspace)),
                        overview=overview)


# --- helpers --------------------------------------------------------------------------------

def _rows_of(session: Session, slack_user_id: str, workspace: Workspace) -> list[Participant]:
    """The person's rows in this workspace's rounds, newest first."""
    return list(
        session.scalars(
            select(Participant)
            .join(Round, Round.id == Participant.round_id)
            .where(Participant.slack_user_id == slack_user_id, Participant.round_id.in_(workspace.rounds()))
            .options(selectinload(Participant.round).selectinload(Round.programme))
            .order_by(Round.starts_on.desc(), Participant.id.desc())
        )
    )


def _timezone_of(rows: list[Participant]) -> str:
    for row in rows:
        if row.timezone and is_known_time_zone(row.timezone):
            return row.timezone
    for row in rows:
        if is_known_time_zone(row.round.programme.timezone):
            return row.round.programme.timezone
    return DEFAULT_TIMEZONE


def _participations(session: Session, *, rows: list[Participant], now: datetime) -> list[ParticipationHome]:
    """Rounds where the person is mentor or mentee: the running ones, else the newest."""
    mine = [row for row in rows if row.role in (Role.MENTOR, Role.MENTEE)]
    if not mine:
        return []
    today = now.date()
    running = [row for row in mine if row.round.ends_on >= today]
    chosen = (running or mine[:1])[:MAX_PARTICIPATIONS]
    newest_id = mine[0].id
    result: list[ParticipationHome] = []
    for row in chosen:
        step = onboarding_step(row)
        declined = step is OnboardingStep.DECLINED
        result.append(
            ParticipationHome(
                participant_id=row.id,
                round_name=row.round.name,
                programme_name=row.round.programme.name,
                role=row.role,
                step=step,
                may_edit_profile=row.id == newest_id and row.consented_at is not None and not declined,
                meetings=[] if declined else _meetings(session, round_id=row.round_id, now=now, role=row.role),
                partners=[] if declined else _partners(session, participant=row),
            )
        )
    return result


def _meetings(session: Session, *, round_id: int, now: datetime, role: Role = Role.COORDINATOR) -> list[MeetingInfo]:
    meetings = session.scalars(
        select(SharedMeeting).where(SharedMeeting.round_id == round_id).order_by(SharedMeeting.starts_at)
    )
    return [
        MeetingInfo(
            kind=meeting.kind,
            title=meeting.title,
            starts_at=meeting.starts_at,
            location=meeting.location,
            is_past=meeting.starts_at + max(timedelta(minutes=meeting.duration_minutes), _MEETING_GRACE) < now,
        )
        for meeting in meetings
        if meeting_concerns(meeting.kind, role)
    ]


def _partners(session: Session, *, participant: Participant) -> list[PartnerInfo]:
    pairs = session.scalars(
        select(Pair)
        .where(
            or_(Pair.mentor_id == participant.id, Pair.mentee_id == participant.id),
            live_pair(),  # a draft pair is not announced yet: its people are not matched
        )
        .options(selectinload(Pair.mentor), selectinload(Pair.mentee))
        .order_by(Pair.created_at, Pair.id)
    )
    partners: list[PartnerInfo] = []
    for pair in pairs:
        other = pair.mentee if pair.mentor_id == participant.id else pair.mentor
        partners.append(
            PartnerInfo(
                name=other.name,
                role=other.role,
                slack_user_id=other.slack_user_id,
                channel_id=pair.slack_channel_id,
                paused=pair.status is PairStatus.PAUSED,
                pair_id=pair.id,
            )
        )
    return partners


def _since(person: Participant, step: OnboardingStep) -> datetime | None:
    if step is OnboardingStep.AWAITING_CONSENT:
        return person.welcome_sent_at
    if step is OnboardingStep.AWAITING_PROFILE:
        return person.consented_at
    if step is OnboardingStep.DECLINED:
        return person.opted_out_at
    if step is OnboardingStep.NOT_IN_SLACK:
        return person.slack_missing_since
    return None


__all__ = [
    "STEP_ORDER",
    "CompanyContactHome",
    "CoordinatorOverview",
    "HomeData",
    "MeetingInfo",
    "ParticipationHome",
    "PartnerInfo",
    "RoundStatus",
    "StatusReport",
    "StuckPerson",
    "build_home",
    "coordinator_overview",
    "round_status",
    "status_for",
]
