"""The outbox deliverer: the only place scheduled messages leave for Slack.

Rows are claimed in one short transaction (PostgreSQL: FOR UPDATE SKIP LOCKED, so two
workers never take the same row; SQLite: BEGIN IMMEDIATE serialises), sent outside it, and
each outcome is recorded in its own transaction. A process that dies mid-way leaves rows
in `sending`; they are reclaimed after `stale_claim_after`, which is at-least-once by
necessity but keeps the window to the one call that was in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core.chat import OutboxSender, SendOutcome
from bot.digest.service import CHANNEL_MISSING_ERRORS, RETRY_DIGEST_AFTER, digest_channel_missing
from scheduling.pacing import Pacer
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

# (stored method, stored payload) -> (platform method, platform payload)
PlatformTranslator = Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]


def slack_translator() -> PlatformTranslator:
    from bot.slack.notices import to_slack_call  # the adapter, loaded with its renderers

    return to_slack_call


@dataclass(kw_only=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    rate_limited: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.rate_limited


class OutboxDeliverer:
    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        sender: OutboxSender,
        clock: Clock,
        pacer: Pacer | None = None,
        batch_size: int = 50,
        max_attempts: int = 6,
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(hours=1),
        stale_claim_after: timedelta = timedelta(minutes=10),
        translate: PlatformTranslator | None = None,
    ) -> None:
        self._session_factory = session_factory
        # Rows hold platform-neutral notices; the platform's adapter draws each one just
        # before it goes, so the pacer sees the real method (chat.postMessage) and channel.
        self._translate: PlatformTranslator = translate or slack_translator()
        self._sender = sender
        self._clock = clock
        self._pacer = pacer or Pacer()
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._stale_claim_after = stale_claim_after

    def deliver_due(self, *, max_batches: int = 20) -> DeliveryReport:
        """Send what is due now, batch by batch, until nothing is due or the cap is hit."""
        report = DeliveryReport()
        for _ in range(max_batches):
            claimed = self._claim_batch()
            if not claimed:
                break
            self._send_batch(claimed, report)
            if len(claimed) < self._batch_size:
                break
        return report

    def _claim_batch(self) -> list[tuple[int, str, dict]]:
        now = self._clock.now()
        with unit_of_work(self._session_factory) as session:
            due = or_(
                and_(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.not_before <= now),
                and_(
                    OutboxMessage.state == OutboxState.SENDING,
                    OutboxMessage.claimed_at < now - self._stale_claim_after,
                ),
            )
            query = (
                select(OutboxMessage)
                .where(due)
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list(session.scalars(query))
            for row in rows:
                row.state = OutboxState.SENDING
                row.claimed_at = now
                row.attempts += 1
            return [(row.id, row.method, dict(row.payload)) for row in rows]

    def _send_batch(self, claimed: list[tuple[int, str, dict]], report: DeliveryReport) -> None:
        held_methods: dict[str, float] = {}
        for row_id, stored_method, stored_payload in claimed:
            try:
                method, payload = self._translate(stored_method, stored_payload)
            except Exception as exc:  # any renderer failure is this row's, never the batch's
                # Not only the codec's errors: a renderer meeting stored facts it no longer expects
                # can raise anything (an OverflowError converting a time). Left to propagate, the
                # row would stay `sending`, be reclaimed and stop every batch after it again.
                log.error("outbox row #%s cannot be drawn for the platform: %r", row_id, exc, exc_info=True)
                self._mark_failed(row_id, f"unrenderable: {exc}"[:500])
                report.failed += 1
                report.errors.append(f"{stored_method} #{row_id}: unrenderable: {exc}")
                continue
            if method in held_methods:
                # Slack told us to wait on this method; don't spend the claim sending into a 429.
                self._release(row_id, after_seconds=held_methods[method], count_attempt=False)
                report.rate_limited += 1
                continue
            self._pacer.wait_turn(method=method, channel=payload.get("channel"))
            outcome = self._sender.send(method=method, payload=payload)
            if outcome.ok:
                self._mark_sent(row_id, outcome)
                report.sent += 1
            elif outcome.rate_limited:
                seconds = float(outcome.retry_after_seconds or 1.0)
                self._pacer.hold_method(method, seconds)
                held_methods[method] = seconds
                self._release(row_id, after_seconds=seconds, count_attempt=False, error="ratelimited")
                report.rate_limited += 1
            elif outcome.retryable:
                if self._retry_or_fail(row_id, outcome):
                    report.retried += 1
                else:
                    report.failed += 1
                    report.errors.append(f"{method} #{row_id}: {outcome.error}")
            elif outcome.error in CHANNEL_MISSING_ERRORS and self._kept_for_missing_channel(
                row_id, stored_payload, outcome.error
            ):
                report.retried += 1
            else:
                self._mark_failed(row_id, outcome.error or "unknown error")
                report.failed += 1
                report.errors.append(f"{method} #{row_id}: {outcome.error}")

    def _kept_for_missing_channel(self, row_id: int, stored_payload: dict[str, Any], error: str) -> bool:
        """A weekly digest the coordinator channel refused (the bot is not in it) is kept and
        tried again hourly, and the coordinators are told once how to invite the bot; any
        other message to a channel the bot left fails as before."""
        with unit_of_work(self._session_factory) as session:
            kept = digest_channel_missing(session, payload=stored_payload, error=error, now=self._clock.now())
        if kept:
            self._release(row_id, after_seconds=RETRY_DIGEST_AFTER.total_seconds(), count_attempt=False, error=error)
        return kept

    def _mark_sent(self, row_id: int, outcome: SendOutcome) -> None:
        now = self._clock.now()
        response = {key: outcome.response[key] for key in ("ts", "channel") if key in outcome.response}
        if isinstance(outcome.response.get("channel"), dict):
            response["channel"] = outcome.response["channel"].get("id")
        self._update(row_id, state=OutboxState.SENT, sent_at=now, last_error=None, response=response or None)

    def _mark_failed(self, row_id: int, error: str) -> None:
        log.warning("outbox row %s failed: %s", row_id, error)
        self._update(row_id, state=OutboxState.FAILED, last_error=error)

    def _release(self, row_id: int, *, after_seconds: float, count_attempt: bool, error: str | None = None) -> None:
        not_before = self._clock.now() + timedelta(seconds=after_seconds)
        values: dict = {"state": OutboxState.PENDING, "not_before": not_before, "claimed_at": None}
        if error:
            values["last_error"] = error
        if not count_attempt:
            values["attempts"] = OutboxMessage.attempts - 1
        self._update(row_id, **values)

    def _retry_or_fail(self, row_id: int, outcome: SendOutcome) -> bool:
        with unit_of_work(self._session_factory) as session:
            attempts = session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == row_id)) or 0
        if attempts >= self._max_attempts:
            self._mark_failed(row_id, f"gave up after {attempts} attempts: {outcome.error}")
            return False
        delay = min(self._backoff_base * (2 ** max(0, attempts - 1)), self._backoff_cap)
        self._release(row_id, after_seconds=delay.total_seconds(), count_attempt=True, error=outcome.error)
        return True

    def _update(self, row_id: int, **values: object) -> None:
        with unit_of_work(self._session_factory) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.state == OutboxState.SENDING)
                .values(**values)
            )


def release_in_flight_claims(session: Session, *, now: datetime) -> int:
    """Give every row left `sending` back to `pending`, due now, with its outcome unknown.

    Called by the worker that takes the lease over from one that died: that worker's claims
    would otherwise wait out `stale_claim_after` (10 minutes). The call it had in flight may
    or may not have reached Slack, so each row is marked `outcome_unknown` and is looked up
    in its conversation before it is sent again. The claim is not counted as an attempt (the
    attempt was the dead worker's, not Slack's refusal). Runs in the caller's unit of work;
    returns how many rows were released."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING)
        .values(
            state=OutboxState.PENDING,
            outcome_unknown=True,
            claimed_at=None,
            not_before=now,
            attempts=case((OutboxMessage.attempts > 0, OutboxMessage.attempts - 1), else_=0),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def pending_count(session: Session, *, now: datetime) -> int:
    from sqlalchemy import func

    return session.scalar(
        select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state == OutboxState.PENDING, OutboxMessage.not_before <= now
        )
    ) or 0
