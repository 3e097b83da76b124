"""Ticks: ask the services what is due as of an instant, and put it in the outbox.

No per-pair job lives in APScheduler; every tick reads the database, so a restart loses
nothing and running a tick twice for the same instant enqueues nothing new (dedup keys).
Each issue that adds a kind of due work registers one job here.

Each job runs in a unit of work of its own: a job that raises is logged with its name and
rolled back, and the others still commit, so one bad row never stops every welcome,
check-in and reminder. Jobs that must call Slack now (`SlackJob`) are given a way to open
short transactions instead of a session, and call Slack only between them, so no write
lock is held while Slack answers (on SQLite every transaction is `BEGIN IMMEDIATE`, and a
slash command would wait behind a slow lookup).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.core.chat import ChatChannels, ChatDirectory
from bot.core.events import purge_old_event_ids
from bot.core.notices import outgoing_calls
from bot.core.outbox import OutgoingCall, due_messages, enqueue_all
from bot.core.workspace import Workspace
from bot.digest.service import due_digests
from bot.nudges import marks
from bot.nudges.checkins import due_checkins
from bot.nudges.marks import rounds_due, write_marks
from bot.onboarding.service import (
    due_onboarding_reminders,
    due_welcomes,
    look_up_participants,
)
from bot.outcomes.service import due_follow_ups
from bot.pairs.channels import close_pair_channels, open_pair_channels
from bot.pairs.pauses import due_pause_endings
from bot.privacy.retention import due_retention, due_trims
from bot.surveys.service import due_surveys, survey_rounds
from bot.timeline.service import marked_meeting_prompts, marked_meeting_reminders
from scheduling.deliverer import PlatformTranslator, slack_translator
from storage.db import Transactions, savepoints, short_transactions, unit_of_work
from storage.models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DueWork:
    """What one job found: calls for the tick to enqueue, rows the job enqueued itself (in
    its own steps), and housekeeping it did (counted for the log)."""

    calls: list[OutgoingCall] = field(default_factory=list)
    enqueued: int = 0
    housekeeping: int = 0


@dataclass(frozen=True, kw_only=True)
class JobContext:
    """What a database-only job may use: its own transaction and the tick's instant."""

    session: Session
    now: datetime


@dataclass(frozen=True, kw_only=True)
class SlackContext:
    """What a job that calls Slack may use: short transactions to open around (never
    across) its Slack calls, the instant, and the ports, None when there is no token or on a
    dry run, which asks Slack nothing."""

    transactions: Transactions
    now: datetime
    directory: ChatDirectory | None = None
    channels: ChatChannels | None = None


@dataclass(frozen=True, kw_only=True)
class DueJob:
    """Finds due work in the database, inside one transaction the tick opens for it."""

    name: str
    find: Callable[[JobContext], DueWork]


@dataclass(frozen=True, kw_only=True)
class SlackJob:
    """Calls Slack now, step by step: each step in a short transaction of its own, so a
    crash resumes at the next step rather than redoing (or doubling) the ones before."""

    name: str
    drive: Callable[[SlackContext], DueWork]


Job = DueJob | SlackJob


def _purge_event_ids(job: JobContext) -> DueWork:
    return DueWork(housekeeping=purge_old_event_ids(job.session, now=job.now))


def _resolve_participants(job: SlackContext, *, workspace: Workspace | None = None) -> DueWork:
    """Find imported people in Slack (needs the directory, so skipped without a token)."""
    if job.directory is None:
        return DueWork()
    result = look_up_participants(job.transactions, directory=job.directory, now=job.now, workspace=workspace)
    return DueWork(calls=result.calls, housekeeping=result.looked_up)


def _welcome_participants(job: JobContext) -> DueWork:
    return DueWork(calls=due_welcomes(job.session, now=job.now))


def _onboarding_reminders(job: JobContext) -> DueWork:
    return DueWork(calls=due_onboarding_reminders(job.session, now=job.now))


def _open_pair_channels(job: SlackContext, *, workspace: Workspace | None = None) -> DueWork:
    """Published pairs get their channel (needs the channels port, so skipped on a dry run).
    Introductions are enqueued in the same step that marks the channel opened."""
    if job.channels is None:
        return DueWork()
    report = open_pair_channels(job.transactions, channels=job.channels, now=job.now, workspace=workspace)
    return DueWork(enqueued=report.enqueued, housekeeping=report.handled)


def _close_pair_channels(job: JobContext) -> DueWork:
    return DueWork(calls=close_pair_channels(job.session, now=job.now))


def _pause_endings(job: JobContext) -> DueWork:
    """Pauses that reached their date: the pair is active again, and hears "welcome back"."""
    result = due_pause_endings(job.session, now=job.now)
    return DueWork(calls=outgoing_calls(job.session, result.notices), housekeeping=result.reactivated)


def _pair_checkins(job: JobContext) -> DueWork:
    """"Did you meet?" for pairs whose window passed without a session; "going quiet" notes.

    Only in rounds whose mark has come (bot.nudges.marks): an idle tick reads no pair."""
    rounds = rounds_due(job.session, job=marks.CHECKINS, now=job.now, running_only=True)
    result = due_checkins(job.session, now=job.now, round_ids=rounds)
    write_marks(job.session, job=marks.CHECKINS, marks=result.next_due, now=job.now)
    return DueWork(calls=outgoing_calls(job.session, result.notices), housekeeping=result.asked + result.asked_again)


def _meeting_reminders(job: JobContext) -> DueWork:
    """Reminders a week and a day before each meeting, in rounds whose mark has come."""
    rounds = rounds_due(job.session, job=marks.REMINDERS, now=job.now, running_only=False)
    result = marked_meeting_reminders(job.session, now=job.now, round_ids=rounds)
    write_marks(job.session, job=marks.REMINDERS, marks=result.next_due, now=job.now)
    return DueWork(calls=result.calls)


def _meeting_prompts(job: JobContext) -> DueWork:
    """Workshop prompts in the pair channels, in rounds whose mark has come."""
    rounds = rounds_due(job.session, job=marks.PROMPTS, now=job.now, running_only=True)
    result = marked_meeting_prompts(job.session, now=job.now, round_ids=rounds)
    write_marks(job.session, job=marks.PROMPTS, marks=result.next_due, now=job.now)
    return DueWork(calls=result.calls)


def _surveys(job: JobContext) -> DueWork:
    """Pulses, midway, final and company surveys: opened, asked in each person's slot, reminded."""
    rounds = rounds_due(job.session, job=marks.SURVEYS, now=job.now, running_only=False, among=survey_rounds(job.now))
    result = due_surveys(job.session, now=job.now, round_ids=rounds)
    write_marks(job.session, job=marks.SURVEYS, marks=result.next_opening, now=job.now)
    return DueWork(calls=outgoing_calls(job.session, result.notices), housekeeping=result.invited + result.reminded)


def _outcome_follow_ups(job: JobContext) -> DueWork:
    """The 6-month follow-up DM to each mentee, in their slot and only with consent; one reminder."""
    result = due_follow_ups(job.session, now=job.now)
    return DueWork(calls=outgoing_calls(job.session, result.notices), housekeeping=result.asked + result.reminded)


def _coordinator_digest(job: JobContext) -> DueWork:
    """The weekly digest to each round's coordinators, on the round's weekday and hour."""
    return DueWork(calls=outgoing_calls(job.session, due_digests(job.session, now=job.now)))


def _retention(job: JobContext) -> DueWork:
    """Rounds whose retention ran out after their follow-up: their personal data erased."""
    result = due_retention(job.session, now=job.now)
    return DueWork(housekeeping=result.rows)


def _trim_outbox(job: JobContext) -> DueWork:
    """Finished outbox rows a week old: payload emptied, keys and Slack's ts kept."""
    return DueWork(housekeeping=due_trims(job.session, now=job.now))


# Every kind of due work, in the order a tick runs them. Features add their job here.
DEFAULT_JOBS: tuple[Job, ...] = (
    DueJob(name="purge-event-ids", find=_purge_event_ids),
    # Onboarding, in the order a person goes through it: found, welcomed, reminded.
    SlackJob(name="resolve-participants", drive=_resolve_participants),
    DueJob(name="welcome-participants", find=_welcome_participants),
    DueJob(name="onboarding-reminders", find=_onboarding_reminders),
    # Pair channels: opened once a pair is published, archived after the round's end.
    SlackJob(name="open-pair-channels", drive=_open_pair_channels),
    DueJob(name="close-pair-channels", find=_close_pair_channels),
    # Nudges (issue 5): pauses end first, so a pair back today is asked like any other.
    DueJob(name="pause-endings", find=_pause_endings),
    DueJob(name="pair-checkins", find=_pair_checkins),
    DueJob(name="meeting-reminders", find=_meeting_reminders),
    DueJob(name="meeting-prompts", find=_meeting_prompts),
    # Surveys and outcomes (issue 10).
    DueJob(name="surveys", find=_surveys),
    DueJob(name="outcome-follow-ups", find=_outcome_follow_ups),
    # The coordinators' weekly digest (issue 11), after the jobs whose news it sums up.
    DueJob(name="coordinator-digest", find=_coordinator_digest),
    # Data protection (issue 12): last, so nothing a job above queues from a round is lost
    # to an erasure in the same tick; each is one statement when idle.
    DueJob(name="retention", find=_retention),
    DueJob(name="trim-outbox", find=_trim_outbox),
)


@dataclass(kw_only=True)
class TickResult:
    now: datetime
    enqueued: dict[str, int]
    housekeeping: dict[str, int]
    due: list[OutboxMessage]
    dry_run: bool
    failed: list[str] = field(default_factory=list)  # names of the jobs that raised (logged)


def workspace_slack_jobs(workspace: Workspace) -> tuple[SlackJob, ...]:
    """Many workspaces (OAuth): the jobs that call Slack, for one workspace's rows only, to
    run with ports holding that workspace's token. The tick's own run (ports None) skips them."""
    return (
        SlackJob(name="resolve-participants", drive=lambda job: _resolve_participants(job, workspace=workspace)),
        SlackJob(name="open-pair-channels", drive=lambda job: _open_pair_channels(job, workspace=workspace)),
    )


def run_tick(
    *,
    session_factory: sessionmaker[Session],
    now: datetime,
    jobs: tuple[Job, ...] | None = None,
    directory: ChatDirectory | None = None,
    channels: ChatChannels | None = None,
    dry_run: bool = False,
    list_due: bool = True,
) -> TickResult:
    """Run every job once as of `now`, each in a transaction of its own.

    A dry run runs each job in a savepoint of one transaction that is rolled back at the
    end, and without the Slack ports. The result lists the outbox rows due at `now`, so a
    dry run shows exactly what the deliverer would send next, including rows earlier ticks
    left pending. The worker, which only logs the counts, passes `list_due=False`: after a
    busy slot the list is tens of thousands of rows read for nothing (the deliverer claims
    its own)."""
    if dry_run:
        with session_factory() as session:
            try:
                result = _run_jobs(
                    transactions=savepoints(session), now=now, jobs=jobs, directory=None, channels=None, dry_run=True
                )
                result.due = _due(session, now=now)
            finally:
                session.rollback()
        return result
    result = _run_jobs(
        transactions=short_transactions(session_factory), now=now, jobs=jobs, directory=directory, channels=channels,
        dry_run=False,
    )
    if list_due:
        with unit_of_work(session_factory) as session:
            result.due = _due(session, now=now)
    return result


def _run_jobs(
    *,
    transactions: Transactions,
    now: datetime,
    jobs: tuple[Job, ...] | None,
    directory: ChatDirectory | None,
    channels: ChatChannels | None,
    dry_run: bool,
) -> TickResult:
    result = TickResult(now=now, enqueued={}, housekeeping={}, due=[], dry_run=dry_run)
    for job in DEFAULT_JOBS if jobs is None else jobs:
        try:
            enqueued, housekeeping = _run_job(job, transactions=transactions, now=now, directory=directory, channels=channels)
        except Exception:  # one job's bug must not stop the others
            log.exception("tick job %s failed at %s; its work is rolled back, the other jobs go on, "
                          "and it runs again at the next tick", job.name, now.isoformat())
            result.failed.append(job.name)
            enqueued, housekeeping = 0, 0
        result.enqueued[job.name] = enqueued
        result.housekeeping[job.name] = housekeeping
    return result


def _run_job(
    job: Job, *, transactions: Transactions, now: datetime, directory: ChatDirectory | None,
    channels: ChatChannels | None,
) -> tuple[int, int]:
    """Run one job; returns (rows enqueued, housekeeping)."""
    if isinstance(job, SlackJob):
        work = job.drive(SlackContext(transactions=transactions, now=now, directory=directory, channels=channels))
        if not work.calls:
            return work.enqueued, work.housekeeping
        with transactions() as session:
            return work.enqueued + enqueue_all(session, work.calls, now=now), work.housekeeping
    with transactions() as session:
        work = job.find(JobContext(session=session, now=now))
        return work.enqueued + enqueue_all(session, work.calls, now=now), work.housekeeping


def _due(session: Session, *, now: datetime) -> list[OutboxMessage]:
    due = due_messages(session, now=now)
    for row in due:
        session.expunge(row)
    return due


def describe_due(result: TickResult, *, translate: PlatformTranslator | None = None) -> list[str]:
    """Readable lines for `mentorbot tick`: one per message that would go (or went) out, as
    the platform will get it: a stored notice is drawn as the deliverer would draw it."""
    draw = translate or slack_translator()
    lines = []
    for row in result.due:
        try:
            method, payload = draw(row.method, dict(row.payload))
        except Exception as error:  # noqa: BLE001 - the deliverer marks such a row failed, whatever it raised
            method, payload = row.method, {"text": f"(cannot be drawn: {error})"}
        text = str(payload.get("text") or "").replace("\n", " ")
        if len(text) > 100:
            text = text[:99] + "…"
        # In the offset the coordinator gave with --now, so "10:00" reads as their 10:00.
        when = row.not_before.astimezone(result.now.tzinfo) if result.now.tzinfo else row.not_before
        lines.append(f"{when.isoformat(timespec='minutes')}  {method:<22} {row.target:<14} {row.dedup_key}  {text}")
    return lines


__all__ = [
    "DEFAULT_JOBS", "DueJob", "DueWork", "Job", "JobContext", "SlackContext", "SlackJob", "TickResult", "describe_due",
    "run_tick", "workspace_slack_jobs",
]
