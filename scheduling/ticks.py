"""Ticks: ask the services what is due as of an instant, and put it in the outbox.

No per-pair job lives in APScheduler; every tick reads the database, so a restart loses
nothing and running a tick twice for the same instant enqueues nothing new (dedup keys).
Each issue that adds a kind of due work registers one `DueJob` here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.chat import ChatChannels, ChatDirectory
from bot.services.events import purge_old_event_ids
from bot.services.onboarding import due_onboarding_reminders, due_welcomes, resolve_participants
from bot.services.outbox import OutgoingCall, due_messages, enqueue_all
from bot.services.pair_channels import close_pair_channels, open_pair_channels
from bot.services.nudges import due_checkins
from bot.services.pauses import due_pause_endings
from bot.services.timeline import due_meeting_prompts, due_meeting_reminders
from storage.models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DueWork:
    """What one job found: calls to enqueue, and housekeeping it did (counted for the log)."""

    calls: list[OutgoingCall] = field(default_factory=list)
    housekeeping: int = 0


@dataclass(frozen=True, kw_only=True)
class JobContext:
    """What a job may use: the tick's transaction, its instant, and read-only Slack lookups
    (None when no token is configured, e.g. `tick --dry-run` on a laptop)."""

    session: Session
    now: datetime
    directory: ChatDirectory | None = None
    # Channel calls that must happen now (creating a pair channel); None on a dry run, which
    # must not make channels, and without a token. A job using it may commit as it goes.
    channels: ChatChannels | None = None


@dataclass(frozen=True, kw_only=True)
class DueJob:
    name: str
    find: Callable[[JobContext], DueWork]


def _purge_event_ids(job: JobContext) -> DueWork:
    return DueWork(housekeeping=purge_old_event_ids(job.session, now=job.now))


def _resolve_participants(job: JobContext) -> DueWork:
    """Find imported people in Slack (needs the directory, so skipped without a token)."""
    if job.directory is None:
        return DueWork()
    result = resolve_participants(job.session, directory=job.directory, now=job.now)
    return DueWork(calls=result.calls, housekeeping=result.looked_up)


def _welcome_participants(job: JobContext) -> DueWork:
    return DueWork(calls=due_welcomes(job.session, now=job.now))


def _onboarding_reminders(job: JobContext) -> DueWork:
    return DueWork(calls=due_onboarding_reminders(job.session, now=job.now))


def _open_pair_channels(job: JobContext) -> DueWork:
    """Published pairs get their channel (needs the channels port, so skipped on a dry run).
    It enqueues and commits itself, step by step, so a crash half-way is resumed, not redone."""
    if job.channels is None:
        return DueWork()
    report = open_pair_channels(job.session, channels=job.channels, now=job.now)
    return DueWork(housekeeping=report.handled)


def _close_pair_channels(job: JobContext) -> DueWork:
    return DueWork(calls=close_pair_channels(job.session, now=job.now))


def _pause_endings(job: JobContext) -> DueWork:
    """Pauses that reached their date: the pair is active again, and hears "welcome back"."""
    result = due_pause_endings(job.session, now=job.now)
    return DueWork(calls=result.calls, housekeeping=result.reactivated)


def _pair_checkins(job: JobContext) -> DueWork:
    """"Did you meet?" for pairs whose window passed without a session; "going quiet" notes."""
    result = due_checkins(job.session, now=job.now)
    return DueWork(calls=result.calls, housekeeping=result.asked + result.asked_again)


def _meeting_reminders(job: JobContext) -> DueWork:
    return DueWork(calls=due_meeting_reminders(job.session, now=job.now))


def _meeting_prompts(job: JobContext) -> DueWork:
    return DueWork(calls=due_meeting_prompts(job.session, now=job.now))


# Every kind of due work, in the order a tick runs them. Features add their job here.
DEFAULT_JOBS: tuple[DueJob, ...] = (
    DueJob(name="purge-event-ids", find=_purge_event_ids),
    # Onboarding, in the order a person goes through it: found, welcomed, reminded.
    DueJob(name="resolve-participants", find=_resolve_participants),
    DueJob(name="welcome-participants", find=_welcome_participants),
    DueJob(name="onboarding-reminders", find=_onboarding_reminders),
    # Pair channels: opened once a pair is published, archived after the round's end.
    DueJob(name="open-pair-channels", find=_open_pair_channels),
    DueJob(name="close-pair-channels", find=_close_pair_channels),
    # Nudges (issue 5): pauses end first, so a pair back today is asked like any other.
    DueJob(name="pause-endings", find=_pause_endings),
    DueJob(name="pair-checkins", find=_pair_checkins),
    DueJob(name="meeting-reminders", find=_meeting_reminders),
    DueJob(name="meeting-prompts", find=_meeting_prompts),
)


@dataclass(kw_only=True)
class TickResult:
    now: datetime
    enqueued: dict[str, int]
    housekeeping: dict[str, int]
    due: list[OutboxMessage]
    dry_run: bool


def run_tick(
    *,
    session_factory: sessionmaker[Session],
    now: datetime,
    jobs: tuple[DueJob, ...] | None = None,
    directory: ChatDirectory | None = None,
    channels: ChatChannels | None = None,
    dry_run: bool = False,
) -> TickResult:
    """Run every job once as of `now`, in one transaction (rolled back on a dry run).

    The result lists the outbox rows due at `now`, so a dry run shows exactly what the
    deliverer would send next, including rows earlier ticks left pending."""
    session = session_factory()
    try:
        enqueued: dict[str, int] = {}
        housekeeping: dict[str, int] = {}
        context = JobContext(session=session, now=now, directory=directory, channels=None if dry_run else channels)
        for job in DEFAULT_JOBS if jobs is None else jobs:
            work = job.find(context)
            enqueued[job.name] = enqueue_all(session, work.calls, now=now)
            housekeeping[job.name] = work.housekeeping
        session.flush()
        due = due_messages(session, now=now)
        for row in due:
            session.expunge(row)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return TickResult(now=now, enqueued=enqueued, housekeeping=housekeeping, due=due, dry_run=dry_run)


def describe_due(result: TickResult) -> list[str]:
    """Readable lines for `mentorbot tick`: one per message that would go (or went) out."""
    lines = []
    for row in result.due:
        text = str(row.payload.get("text") or "").replace("\n", " ")
        if len(text) > 100:
            text = text[:99] + "…"
        # In the offset the coordinator gave with --now, so "10:00" reads as their 10:00.
        when = row.not_before.astimezone(result.now.tzinfo) if result.now.tzinfo else row.not_before
        lines.append(f"{when.isoformat(timespec='minutes')}  {row.method:<22} {row.target:<14} {row.dedup_key}  {text}")
    return lines


__all__ = ["DEFAULT_JOBS", "DueJob", "DueWork", "JobContext", "TickResult", "describe_due", "run_tick"]
