"""The outbox deliverer: the only place scheduled messages leave for Slack.

Rows are claimed in one short transaction (PostgreSQL: FOR UPDATE SKIP LOCKED, so two
workers never take the same row; SQLite: BEGIN IMMEDIATE serialises), sent outside it, and
each outcome is recorded in its own transaction.

Exactly once, as far as Slack lets us: Slack has no idempotency key, so every message
carries its outbox key in its `metadata`. A row whose last send had an unknown outcome (its
worker died mid-call and the claim was released or went stale, the answer was lost on the
wire, or Slack answered 5xx) is looked up in its conversation before it is sent again: found,
it is recorded sent with that message's ts and not posted twice. Where the history cannot be
read, the row is sent anyway (at least once rather than never).

Limits: a row whose channel (chat.postMessage, per channel) or method (tiered methods) is not
free yet is set aside until it is (`deferred`) and the batch goes on with the others; a 429
holds only its own channel or method. Transient failures (429, 5xx, network trouble) never
fail a row quickly: 429s are not counted at all, the rest are retried with a short, capped
backoff up to `max_attempts`; Slack's refusals (`channel_not_found`, `invalid_blocks` ...)
fail at once.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core.chat import OutboxSender, PostedLookup, PostedMessageFinder, SendOutcome
from scheduling.pacing import Pacer
from scheduling.workspace_guard import Refusal, WorkspaceGuard
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

# (stored method, stored payload) -> (platform method, platform payload)
PlatformTranslator = Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]
# Many workspaces (OAuth): the sender with a workspace's token, None when it has no installation.
SenderForTeam = Callable[[str], OutboxSender | None]

# Answers meaning "what this call would do is already done": an earlier try whose answer
# was lost did it. The row is sent, not failed.
ALREADY_DONE_ERRORS: dict[str, frozenset[str]] = {"conversations.archive": frozenset({"already_archived"})}
# Slack's ts are its own wall clock; look this far before a row's first try for its message.
LOOKUP_MARGIN_SECONDS = 300.0
# Written into `response` just before a row's first call leaves (Slack's clock): where a
# later lookup starts reading, and the proof that a call ever left. A row released with its
# outcome unknown but without it (claimed by a worker that died before reaching it) was
# never sent, so it needs no lookup.
FIRST_TRY_KEY = "first_try_at"
READ_BACK_FOR = 60.0  # seconds a conversation's read answers for its other unknown rows


def slack_translator() -> PlatformTranslator:
    from bot.slack.notices import to_slack_call  # the adapter, loaded with its renderers

    return to_slack_call


@dataclass(kw_only=True)
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    rate_limited: int = 0
    deferred: int = 0  # set aside until its channel or method is free again: no call made
    found: int = 0  # of `sent`: already posted by an earlier try, found by its key, not re-sent
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.rate_limited + self.deferred


@dataclass(frozen=True, kw_only=True)
class _Claim:
    row_id: int
    key: str
    method: str
    payload: dict[str, Any]
    outcome_unknown: bool
    first_try_at: float | None
    team_id: str = ""  # the workspace whose token sends it ('' = token mode's one workspace)


class OutboxDeliverer:
    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        sender: OutboxSender | None = None,
        clock: Clock,
        sender_for_team: SenderForTeam | None = None,
        pacer: Pacer | None = None,
        batch_size: int = 50,
        max_attempts: int = 20,
        backoff_base: timedelta = timedelta(seconds=2),
        backoff_cap: timedelta = timedelta(minutes=5),
        stale_claim_after: timedelta = timedelta(minutes=10),
        translate: PlatformTranslator | None = None,
        finder: PostedMessageFinder | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._session_factory = session_factory
        # Rows hold platform-neutral notices; the platform's adapter draws each one just
        # before it goes, so the pacer sees the real method (chat.postMessage) and channel.
        self._translate: PlatformTranslator = translate or slack_translator()
        # Token mode: `sender`, the one token. OAuth mode: `sender_for_team`, each row sent with
        # its workspace's token, and an uninstall or a dead token stops that workspace only.
        if (sender is None) == (sender_for_team is None):
            raise ValueError("give the one sender (token mode) or sender_for_team (many workspaces)")
        self._sender = sender
        self._sender_for_team = sender_for_team
        # The Slack sender can find its own messages by key; a sender that cannot (a test's
        # script) gets at-least-once delivery for rows whose outcome is unknown.
        if finder is None and sender is not None and isinstance(sender, PostedMessageFinder):
            finder = sender
        self._finder = finder
        self._clock = clock
        self._wall_clock = wall_clock  # Slack's time, not the domain's (tests fix the latter)
        self._pacer = pacer or Pacer()
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._stale_claim_after = stale_claim_after
        # Conversations read back lately: channel -> (read from, read at, what was found), so
        # a dead worker's many claims in one conversation cost one read. Rows whose outcome is
        # unknown were sent by a worker that is gone (one worker holds the lease) or by this
        # one, which notes the keys it sent with an unknown outcome after the read
        # (`_unknown_since_read`): the read answers for every other key. Kept `READ_BACK_FOR`
        # seconds at most.
        self._read_back: dict[str, tuple[float, float, PostedLookup]] = {}
        self._unknown_since_read: dict[str, set[str]] = {}
        # Claimed rows waiting in memory for their channel's (or method's) turn, between and
        # within `deliver_while_due` runs: (ready at, monotonic; row id; claim), a heap.
        self._held: list[tuple[float, int, _Claim]] = []
        # An uninstalled app, a dead token, a deactivated person: scheduling/workspace_guard.py.
        self._workspace = WorkspaceGuard(session_factory=session_factory, sender=sender, clock=clock,
                                         sender_for_team=sender_for_team)

    def deliver_due(self, *, max_batches: int = 20) -> DeliveryReport:
        """Send what is due now, batch by batch, until nothing is due or the cap is hit."""
        report = DeliveryReport()
        if self._held:
            report.deferred += self.release_held()  # this is a run of its own: nothing stays held
        if self._workspace.sending_stopped():
            return report  # uninstalled or token revoked: everything stays pending until it is back
        for _ in range(max_batches):
            claimed = self._claim_batch()
            if not claimed:
                break
            self._send_batch(claimed, report)
            if len(claimed) < self._batch_size or self._workspace.stopped_now:
                break
        return report

    def deliver_while_due(
        self,
        *,
        budget_seconds: float,
        horizon_seconds: float = 2.0,
        should_stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        max_held: int = 500,
    ) -> DeliveryReport:
        """The worker's run: send what is due, in order of readiness, for up to
        `budget_seconds`, without a cap on rows.

        Why: a run that stopped at a row cap, or when nothing was due this instant, left the
        rest to the next run seconds later, so a busy channel got a few posts per run instead
        of one a second; and setting each row of a busy channel aside in the database cost a
        write per row and per turn. Here a claimed row whose channel or method is free within
        `horizon_seconds` is held in memory (still claimed) and sent the moment it is free,
        while rows of other channels go on; anything else is set aside as `deliver_due` does.
        When nothing is ready, the run sleeps until the soonest held or pending row. The
        budget is a little under the scheduler's interval, so the next run takes over at once
        and runs never overlap; what is held at its end stays held for the next run (handing
        it back would cost a write per row). `should_stop` (the lease lost, the worker
        shutting down) is asked between rows and in every sleep; what is held then goes back
        unsent, due when its channel is free (a worker that dies instead leaves them to the
        next one's `release_in_flight_claims`: never sent, so never looked up)."""
        report = DeliveryReport()
        deadline = monotonic() + budget_seconds
        if self._workspace.sending_stopped():
            report.deferred += self.release_held(monotonic=monotonic)
            return report
        held = self._held  # (ready at, row id, claim): a heap, kept from run to run

        def stop() -> bool:
            return should_stop() or monotonic() >= deadline

        def hold(claim: _Claim, wait: float) -> bool:
            if wait > horizon_seconds or len(held) >= max_held:
                return False
            heapq.heappush(held, (monotonic() + max(wait, 0.001), claim.row_id, claim))  # a float-rounding wait too
            return True

        claims_left = True
        try:
            while not stop():
                ready: list[_Claim] = []
                while held and held[0][0] <= monotonic():
                    ready.append(heapq.heappop(held)[2])
                if ready:
                    self._send_batch(ready, report, stop=stop, hold=hold)
                elif len(held) < max_held and (claims_left or not held):
                    claimed = self._claim_batch()
                    claims_left = len(claimed) == self._batch_size
                    if claimed:
                        self._send_batch(claimed, report, stop=stop, hold=hold)
                        continue
                    wait = self._soonest_wait()
                    if held:
                        wait = min(wait if wait is not None else horizon_seconds, held[0][0] - monotonic())
                    if wait is None or wait > horizon_seconds:
                        break
                    claims_left = True  # something is due soon: claim again after the sleep
                    sleep(min(max(wait, 0.002), 0.1, max(0.0, deadline - monotonic())))
                else:
                    # Short slices: a stop is noticed within a tenth of a second.
                    wait = held[0][0] - monotonic()
                    sleep(min(max(wait, 0.002), 0.1, max(0.0, deadline - monotonic())))
                    claims_left = True
                if self._workspace.stopped_now:
                    break
        finally:
            if should_stop() or self._workspace.stopped_now:
                report.deferred += self.release_held(monotonic=monotonic)
        return report

    def release_held(self, *, monotonic: Callable[[], float] = time.monotonic) -> int:
        """Hand the rows held for their channel's turn back to the database, due when their
        channel is free; returns how many."""
        now = monotonic()
        held, self._held = self._held, []
        for ready_at, row_id, claim in held:
            self._release(row_id, after_seconds=max(0.0, ready_at - now), count_attempt=False,
                          outcome_unknown=claim.outcome_unknown)
        return len(held)

    def _soonest_wait(self) -> float | None:
        """Seconds until the soonest pending row is due (None: nothing pending)."""
        from sqlalchemy import func

        with unit_of_work(self._session_factory) as session:
            soonest = session.scalar(
                select(func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.state == OutboxState.PENDING, *self._workspace.stopped_rows_excluded()
                )
            )
        if soonest is None:
            return None
        now = self._clock.now()
        if soonest.tzinfo is None and now.tzinfo is not None:
            soonest = soonest.replace(tzinfo=now.tzinfo)
        return max(0.0, (soonest - now).total_seconds())

    def _claim_batch(self) -> list[_Claim]:
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
                .where(due, *self._workspace.stopped_rows_excluded())
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list(session.scalars(query))
            claims = []
            for row in rows:
                if row.state is OutboxState.SENDING:
                    # Its worker died (or hung) mid-call: the message may be in Slack already.
                    log.warning("outbox row %s reclaimed after a stale claim; outcome unknown", row.id)
                    row.outcome_unknown = True
                row.state = OutboxState.SENDING
                row.claimed_at = now
                row.attempts += 1
                first_try = (row.response or {}).get(FIRST_TRY_KEY)
                claims.append(_Claim(
                    row_id=row.id, key=row.dedup_key, method=row.method, payload=dict(row.payload),
                    outcome_unknown=bool(row.outcome_unknown),
                    first_try_at=float(first_try) if isinstance(first_try, int | float) else None,
                    team_id=row.team_id,
                ))
            return claims

    def _send_batch(
        self, claimed: list[_Claim], report: DeliveryReport, *, stop: Callable[[], bool] | None = None,
        hold: Callable[[_Claim, float], bool] | None = None,
    ) -> None:
        for index, claim in enumerate(claimed):
            row_id = claim.row_id
            if stop is not None and stop():
                # Lease lost, shutting down or out of time: the rest go back unsent, as they were.
                for rest in claimed[index:]:
                    self._release(rest.row_id, after_seconds=0, count_attempt=False,
                                  outcome_unknown=rest.outcome_unknown)
                report.deferred += len(claimed) - index
                return
            try:
                method, payload = self._translate(claim.method, claim.payload)
            except Exception as exc:  # any renderer failure is this row's, never the batch's
                # Not only the codec's errors: a renderer meeting stored facts it no longer expects
                # can raise anything (an OverflowError converting a time). Left to propagate, the
                # row would stay `sending`, be reclaimed and stop every batch after it again.
                log.error("outbox row #%s cannot be drawn for the platform: %r", row_id, exc, exc_info=True)
                self._mark_failed(row_id, f"unrenderable: {exc}"[:500])
                report.failed += 1
                report.errors.append(f"{claim.method} #{row_id}: unrenderable: {exc}")
                continue
            self._deliver_one(claim, method, payload, report, hold=hold)

    def _deliver_one(
        self, claim: _Claim, method: str, payload: dict[str, Any], report: DeliveryReport,
        *, hold: Callable[[_Claim, float], bool] | None = None,
    ) -> None:
        row_id, unknown = claim.row_id, claim.outcome_unknown
        if unknown and claim.first_try_at is None:
            unknown = False  # released unknown, but no call for it ever left: nothing to find
        if self._workspace.stopped_for(claim.team_id):  # its token died earlier in this batch: no more calls
            self._release(row_id, after_seconds=0, count_attempt=False, outcome_unknown=unknown)
            report.deferred += 1
            return
        sender = self._sender if self._sender_for_team is None else self._sender_for_team(claim.team_id)
        if sender is None:
            # Not stopped (those rows are never claimed), yet nothing to send it with.
            error = f"no installation for workspace {claim.team_id or '(none)'}: the app must be installed there"
            self._mark_failed(row_id, error)
            report.failed += 1
            report.errors.append(f"{method} #{row_id}: {error}")
            return
        finder = self._finder if self._sender_for_team is None else (
            sender if isinstance(sender, PostedMessageFinder) else None
        )
        channel = payload.get("channel") if isinstance(payload.get("channel"), str) else None
        stamped = finder.stamp(method=method, payload=payload, key=claim.key) if finder else None
        if stamped is not None:
            payload = stamped
        look_first = unknown and stamped is not None and channel is not None and finder is not None
        wait = self._pacer.free_in(method=method, channel=channel)
        oldest = (claim.first_try_at or 0.0) - LOOKUP_MARGIN_SECONDS
        known = self._read_back.get(channel) if look_first and channel is not None else None
        if known is not None and (
            known[0] > oldest or known[1] < self._wall_clock() - READ_BACK_FOR
            or claim.key in self._unknown_since_read.get(channel or "", set())
        ):
            known = None  # read from after this row's first try, too long ago, or before its last try
        if look_first and known is None:
            assert finder is not None and channel is not None
            for lookup_method in finder.lookup_methods(channel):
                wait = max(wait, self._pacer.free_in(method=lookup_method, channel=None))
        if wait > 0:
            # Not this channel's (or method's) turn yet: the others in the batch go on, and
            # this one is held for its turn (the worker's run) or set aside in the database.
            if hold is not None and hold(claim, wait):
                return
            self._release(row_id, after_seconds=wait, count_attempt=False, outcome_unknown=unknown)
            report.deferred += 1
            return
        if look_first:
            assert finder is not None and channel is not None
            if known is not None:
                read = known[2]
                lookup = PostedLookup(looked=True, found_ts=read.seen.get(claim.key), channel=read.channel, seen=read.seen)
            else:
                lookup = finder.find_posted(
                    channel=channel, key=claim.key, oldest=oldest,
                    pace=lambda lookup_method: self._pacer.wait_turn(method=lookup_method, channel=None),
                )
                if lookup.looked:
                    read_at = self._wall_clock()
                    for stale in [c for c, entry in self._read_back.items() if entry[1] < read_at - READ_BACK_FOR]:
                        del self._read_back[stale]  # a long-running worker keeps only fresh reads
                    self._read_back[channel] = (oldest, read_at, lookup)
                    self._unknown_since_read[channel] = set()
            if lookup.found_ts is not None:
                log.info("outbox row %s was already posted (ts %s): recorded, not sent again", row_id, lookup.found_ts)
                self._mark_sent(row_id, SendOutcome(ok=True, response={"ts": lookup.found_ts, "channel": lookup.channel}))
                report.sent += 1
                report.found += 1
                return
            if lookup.looked:
                unknown = False  # read back to before the first try: it was never posted
            elif lookup.retry_after_seconds is not None:
                for lookup_method in finder.lookup_methods(channel):
                    self._pacer.hold_method(lookup_method, lookup.retry_after_seconds)
                self._release(row_id, after_seconds=lookup.retry_after_seconds, count_attempt=False,
                              outcome_unknown=True, error="lookup ratelimited")
                report.rate_limited += 1
                return
            elif lookup.retryable:
                self._retry_or_fail(row_id, error=f"lookup: {lookup.error}", outcome_unknown=True, report=report)
                return
            else:
                log.warning("outbox row %s: its conversation's history cannot be read (%s); sending it again, "
                            "at least once rather than never", row_id, lookup.error)
        if claim.first_try_at is None:
            self._update(row_id, response={FIRST_TRY_KEY: self._wall_clock()})  # committed before the call
        self._pacer.book(method=method, channel=channel)
        outcome = sender.send(method=method, payload=payload)
        if outcome.ok:
            self._mark_sent(row_id, outcome)
            report.sent += 1
        elif outcome.rate_limited:
            # Refused, so nothing happened: whatever was known before this try still holds.
            seconds = float(outcome.retry_after_seconds or 1.0)
            self._pacer.hold(method=method, channel=channel, seconds=seconds)
            self._release(row_id, after_seconds=seconds, count_attempt=False, error="ratelimited",
                          outcome_unknown=unknown)
            report.rate_limited += 1
        elif outcome.retryable:
            if outcome.outcome_unknown and channel is not None:
                # It may be there now: the last read does not answer for this key any more.
                self._unknown_since_read.setdefault(channel, set()).add(claim.key)
            self._retry_or_fail(row_id, error=outcome.error or "retryable error",
                                outcome_unknown=unknown or outcome.outcome_unknown, report=report)
        elif outcome.error in ALREADY_DONE_ERRORS.get(method, frozenset()):
            self._mark_sent(row_id, outcome)
            report.sent += 1
        elif outcome.error and self._kept_for_missing_channel(row_id, claim.payload, outcome.error):
            report.retried += 1
        elif self._workspace.refused(
            method=method, payload=payload, error=outcome.error, team_id=claim.team_id
        ) is Refusal.TOKEN_DEAD:
            self._release(row_id, after_seconds=0, count_attempt=False, outcome_unknown=unknown, error=outcome.error)
            report.deferred += 1
        else:
            self._mark_failed(row_id, outcome.error or "unknown error")
            report.failed += 1
            report.errors.append(f"{method} #{row_id}: {outcome.error}")

    def _kept_for_missing_channel(self, row_id: int, stored_payload: dict[str, Any], error: str) -> bool:
        """A weekly digest the coordinator channel refused (the bot is not in it) is kept and
        tried again hourly, and the coordinators are told once how to invite the bot; any
        other message to a channel the bot left fails as before."""
        # Imported here: the digest drags in the scoreboard and matching (scipy), seconds
        # of start-up a worker taking over after a crash should not wait for.
        from bot.digest.service import CHANNEL_MISSING_ERRORS, RETRY_DIGEST_AFTER, digest_channel_missing

        if error not in CHANNEL_MISSING_ERRORS:
            return False
        with unit_of_work(self._session_factory) as session:
            kept = digest_channel_missing(session, payload=stored_payload, error=error, now=self._clock.now())
        if kept:
            self._release(row_id, after_seconds=RETRY_DIGEST_AFTER.total_seconds(), count_attempt=False, error=error,
                          outcome_unknown=False)
        return kept

    def _mark_sent(self, row_id: int, outcome: SendOutcome) -> None:
        now = self._clock.now()
        response = {key: outcome.response[key] for key in ("ts", "channel") if key in outcome.response}
        if isinstance(outcome.response.get("channel"), dict):
            response["channel"] = outcome.response["channel"].get("id")
        self._update(row_id, state=OutboxState.SENT, sent_at=now, last_error=None, response=response or None,
                     outcome_unknown=False)

    def _mark_failed(self, row_id: int, error: str) -> None:
        log.warning("outbox row %s failed: %s", row_id, error)
        self._update(row_id, state=OutboxState.FAILED, last_error=error)

    def _release(
        self, row_id: int, *, after_seconds: float, count_attempt: bool, outcome_unknown: bool,
        error: str | None = None,
    ) -> None:
        not_before = self._clock.now() + timedelta(seconds=after_seconds)
        values: dict = {"state": OutboxState.PENDING, "not_before": not_before, "claimed_at": None,
                        "outcome_unknown": outcome_unknown}
        if error:
            values["last_error"] = error
        if not count_attempt:
            values["attempts"] = OutboxMessage.attempts - 1
        self._update(row_id, **values)

    def _retry_or_fail(self, row_id: int, *, error: str, outcome_unknown: bool, report: DeliveryReport) -> None:
        """A transient failure (5xx, network): again after a short backoff that doubles up to
        its cap, and failed only after `max_attempts` of them."""
        with unit_of_work(self._session_factory) as session:
            attempts = session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == row_id)) or 0
        if attempts >= self._max_attempts:
            self._mark_failed(row_id, f"gave up after {attempts} attempts: {error}")
            report.failed += 1
            report.errors.append(f"#{row_id}: gave up after {attempts} attempts: {error}")
            return
        delay = min(self._backoff_base * (2 ** min(max(0, attempts - 1), 30)), self._backoff_cap)
        self._release(row_id, after_seconds=delay.total_seconds(), count_attempt=True, error=error,
                      outcome_unknown=outcome_unknown)
        report.retried += 1

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
