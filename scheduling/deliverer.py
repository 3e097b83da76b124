"""The outbox deliverer: the only place scheduled messages leave for Slack.

Rows are claimed in one short transaction (PostgreSQL: FOR UPDATE SKIP LOCKED, so two
workers never take the same row; SQLite: BEGIN IMMEDIATE serialises) and sent outside it,
several calls at once (`max_in_flight`, one per conversation at a time, in claim order): the
first tries of the rows about to go are committed together before their calls leave, and
outcomes are noted and written with the next such transaction (`_flush`). No call is made
inside an open transaction.

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

import enum
import functools
import heapq
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Text, TextClause, and_, bindparam, case, or_, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core.chat import OutboxSender, PostedLookup, PostedMessageFinder, SendOutcome
from scheduling.pacing import Pacer
from scheduling.workspace_guard import Refusal, WorkspaceGuard
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState, table_of

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
# Calls in the air at once (one per channel): Slack answers in 100-300 ms, so one call at a
# time caps delivery at a few messages a second, while Slack allows about one a second in
# every channel at once. The worker sends on this many threads; each only waits on the network.
# 128, not 64: 5,000 posts to 500 channels with Slack at 150 ms took 18.9-20.3 s on 64 and
# 11.1-11.3 s on 128 (256: 13.0 s, more threads than the one interpreter can feed); at 0 ms
# the two are alike (bench_delivery --in-flight 64 --in-flight 128).
SEND_CONCURRENCY = 128
_GIVE_BACK_ATTEMPT = "_give_back_attempt"  # a noted write that undoes its claim's attempt count


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
    attempts: int = 0  # counting this claim


@dataclass(frozen=True, kw_only=True)
class _Sending:
    """A row whose call is about to leave or is in the air: its call drawn and stamped, its
    channel's turn booked."""

    claim: _Claim
    method: str
    payload: dict[str, Any]
    channel: str | None
    unknown: bool  # the row's last send had an unknown outcome and it was not looked up
    lane: str | None
    sender: OutboxSender
    first_try: dict[str, Any] | None  # written (committed) before the call: its first try


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
        max_in_flight: int = SEND_CONCURRENCY,
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
        # Up to `max_in_flight` calls in the air, never two to one conversation (`_lane`); with
        # 1, each call is made here, one after the other. Only the network call runs on the
        # pool: claims, the pacer, lookups and every write stay on the deliverer's own thread.
        self._max_in_flight = max(1, max_in_flight)
        # The next wave leaves once a quarter of the calls are answered: waves big enough that
        # one transaction covers many rows, and most of the calls kept in the air.
        self._refill_below = (self._max_in_flight * 3) // 4
        self._pool = (
            ThreadPoolExecutor(max_workers=self._max_in_flight, thread_name_prefix="outbox-send")
            if self._max_in_flight > 1 else None
        )
        self._in_flight: dict[Future[SendOutcome], _Sending] = {}
        self._lanes_busy: set[str] = set()  # conversations with a call prepared or in the air
        self._waiting: dict[str, list[_Claim]] = {}  # lane -> claims behind its call, in order
        self._ready_again: list[_Claim] = []  # their call answered: their turn now
        self._writes: list[tuple[int, dict[str, Any]]] = []  # noted by `_update`, written by `_flush`
        # How far ahead a row behind its channel's call may be kept in line: the run's horizon
        # (`deliver_while_due`); `deliver_due` keeps only rows whose turn is now.
        self._keep_within = 0.0

    def deliver_due(self, *, max_batches: int = 20) -> DeliveryReport:
        """Send what is due now, batch by batch, until nothing is due or the cap is hit."""
        report = DeliveryReport()
        self._keep_within = 0.0
        if self._held or self._waiting or self._ready_again:
            report.deferred += self.release_held()  # this is a run of its own: nothing stays held
        if self._workspace.sending_stopped():
            return report  # uninstalled or token revoked: everything stays pending until it is back
        try:
            for _ in range(max_batches):
                claimed = self._claim_batch()
                if not claimed:
                    break
                self._send_batch(claimed, report)
                # No holding here: a row waiting for its channel's call in flight gets its turn
                # once that call is answered, or is set aside like any row not free yet.
                while self._in_flight or self._ready_again:
                    self._collect(report, block=True)
                    again, self._ready_again = self._ready_again, []
                    self._send_batch(again, report)
                if len(claimed) < self._batch_size or self._workspace.stopped_now:
                    break
        finally:
            self._drain(report)
            report.deferred += self._release_waiting()
            self._flush()
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
        Up to `max_in_flight` calls are in the air at once, one per channel. When nothing is
        ready, the run waits for an answer or sleeps until the soonest held or pending row.
        The budget is a little under the scheduler's interval, so the next run takes over at
        once and runs never overlap; every call in flight is answered and recorded before a
        run returns, and what is held at its end stays held for the next run (handing it back
        would cost a write per row). `should_stop` (the lease lost, the worker shutting down)
        is asked between rows and in every sleep; what is held then goes back unsent, due
        when its channel is free (a worker that dies instead leaves them to the next one's
        `release_in_flight_claims`: never sent, so never looked up)."""
        report = DeliveryReport()
        deadline = monotonic() + budget_seconds
        if self._workspace.sending_stopped():
            report.deferred += self.release_held(monotonic=monotonic)
            return report

        self._keep_within = horizon_seconds

        def stop() -> bool:
            return should_stop() or monotonic() >= deadline

        def hold(claim: _Claim, wait: float) -> bool:
            if wait > horizon_seconds or self._in_memory() >= max_held:
                return False
            heapq.heappush(self._held, (monotonic() + max(wait, 0.001), claim.row_id, claim))  # a float-rounding wait too
            return True

        def pause(seconds: float) -> None:
            """Until an answer comes back, or `seconds` (short slices: a stop is noticed
            within a tenth of a second)."""
            self._flush()  # what is on record is what the next claim and `_soonest_wait` see
            seconds = min(max(seconds, 0.002), 0.1, max(0.0, deadline - monotonic()))
            if self._in_flight:
                self._collect(report, block=True, timeout=seconds)
            else:
                sleep(seconds)

        claims_left = True
        try:
            while not stop():
                self._collect(report)
                if self._workspace.stopped_now:
                    break
                if len(self._in_flight) > self._refill_below:
                    # Enough calls in the air: wait for some answers, then send the next ones
                    # together (one transaction for their outcomes and first tries).
                    self._collect(report, block=True, timeout=0.1)
                    continue
                ready: list[_Claim] = []
                while self._held and self._held[0][0] <= monotonic():
                    ready.append(heapq.heappop(self._held)[2])
                if ready:  # their channel's turn, timed by the pacer: first
                    self._send_batch(ready, report, stop=stop, hold=hold)
                    continue
                if claims_left and self._in_memory() < max_held:
                    # New rows before the rest of a channel's burst: every channel's first post
                    # starts its own clock (Slack's bound is per channel from its first post), so
                    # reaching the last channel early matters more than one channel's third post.
                    self._flush()
                    claimed = self._claim_batch()
                    claims_left = len(claimed) == self._batch_size
                    if claimed:
                        self._send_batch(claimed, report, stop=stop, hold=hold)
                        continue
                if self._ready_again:  # their channel's call was answered: next in line
                    again, self._ready_again = self._ready_again, []
                    self._send_batch(again, report, stop=stop, hold=hold)
                    continue
                # Nothing to do this instant: wait for an answer, a held row's turn or a pending
                # row's time.
                wait = self._soonest_wait() if self._in_memory() < max_held else None
                if wait is not None and wait > horizon_seconds:
                    wait = None
                if wait is None and not self._held and not self._in_flight:
                    break
                if self._held:
                    wait = min(wait if wait is not None else horizon_seconds, self._held[0][0] - monotonic())
                pause(wait if wait is not None else 0.1)
                claims_left = True  # something may be due now: claim again
        finally:
            self._drain(report)
            now = monotonic()
            for claim in self._ready_again:  # answered while the run ended: their turn is next run's
                heapq.heappush(self._held, (now, claim.row_id, claim))
            self._ready_again = []
            if should_stop() or self._workspace.stopped_now:
                report.deferred += self.release_held(monotonic=monotonic)
            self._flush()
        return report

    def release_held(self, *, monotonic: Callable[[], float] = time.monotonic) -> int:
        """Hand the rows held for their channel's turn back to the database, due when their
        channel is free; returns how many."""
        now = monotonic()
        held, self._held = self._held, []
        for ready_at, row_id, claim in held:
            self._release(row_id, after_seconds=max(0.0, ready_at - now), count_attempt=False,
                          outcome_unknown=claim.outcome_unknown)
        count = len(held) + self._release_waiting()
        self._flush()
        return count

    def _in_memory(self) -> int:
        """Claimed rows not in flight: held for their turn or waiting behind their channel's call."""
        return len(self._held) + len(self._ready_again) + sum(len(rows) for rows in self._waiting.values())

    def _release_waiting(self) -> int:
        waiting = [claim for rows in self._waiting.values() for claim in rows] + self._ready_again
        self._waiting, self._ready_again = {}, []
        for claim in waiting:
            self._release(claim.row_id, after_seconds=0, count_attempt=False, outcome_unknown=claim.outcome_unknown)
        return len(waiting)

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
            table = table_of(OutboxMessage)
            query = (
                select(table.c.id, table.c.dedup_key, table.c.method, table.c.payload, table.c.state,
                       table.c.outcome_unknown, table.c.response, table.c.team_id, table.c.attempts)
                .where(due, *self._workspace.stopped_rows_excluded())
                .order_by(OutboxMessage.not_before, OutboxMessage.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = session.execute(query).all()
            if not rows:
                return []
            # One UPDATE for the batch (an ORM flush was a statement per row): every SET
            # expression reads the row as it was, so a stale claim's `sending` marks it unknown.
            session.execute(
                update(table)
                .where(table.c.id.in_([row.id for row in rows]))
                .values(
                    state=OutboxState.SENDING, claimed_at=now, attempts=table.c.attempts + 1,
                    outcome_unknown=case((table.c.state == OutboxState.SENDING, True), else_=table.c.outcome_unknown),
                )
            )
            claims = []
            for row in rows:
                stale = row.state is OutboxState.SENDING
                if stale:
                    # Its worker died (or hung) mid-call: the message may be in Slack already.
                    log.warning("outbox row %s reclaimed after a stale claim; outcome unknown", row.id)
                first_try = (row.response or {}).get(FIRST_TRY_KEY)
                claims.append(_Claim(
                    row_id=row.id, key=row.dedup_key, method=row.method, payload=dict(row.payload),
                    outcome_unknown=stale or bool(row.outcome_unknown),
                    first_try_at=float(first_try) if isinstance(first_try, int | float) else None,
                    team_id=row.team_id, attempts=row.attempts + 1,
                ))
            return claims

    def _send_batch(
        self, claimed: list[_Claim], report: DeliveryReport, *, stop: Callable[[], bool] | None = None,
        hold: Callable[[_Claim, float], bool] | None = None,
    ) -> None:
        """Decide each row's fate in order and send the ones whose turn it is, several at once.

        A row whose channel has a call in the air waits behind it (calls to one channel go one
        at a time, in order); the first tries of the rows about to go are written in one
        transaction, committed before any of their calls leaves."""
        wave: list[_Sending] = []
        for index, claim in enumerate(claimed):
            if stop is not None and stop():
                # Lease lost, shutting down or out of time: the rest go back unsent, as they were.
                rest = [abandoned.claim for abandoned in wave] + claimed[index:]
                for unsent in rest:
                    self._release(unsent.row_id, after_seconds=0, count_attempt=False,
                                  outcome_unknown=unsent.outcome_unknown)
                report.deferred += len(rest)
                for abandoned in wave:
                    self._free_lane(abandoned.lane)
                return
            if len(self._in_flight) + len(wave) >= self._max_in_flight:
                self._launch(wave, report)
                wave = []
                while len(self._in_flight) > self._refill_below:
                    self._collect(report, block=True)
            lane = self._lane(claim)
            if lane is not None and lane in self._lanes_busy:
                self._wait_in_lane(claim, lane, report)
                continue
            sending = self._prepare(claim, report, hold=hold)
            if sending is not None:
                if sending.lane is not None:
                    self._lanes_busy.add(sending.lane)
                wave.append(sending)
        self._launch(wave, report)

    def _wait_in_lane(self, claim: _Claim, lane: str, report: DeliveryReport) -> None:
        """Behind its channel's call in the air: kept in line while its turn is within the
        run's horizon, else set aside in the database until then (a channel with many rows
        queued does not fill the memory a run may hold, and other channels' rows still get
        claimed)."""
        queue = self._waiting.setdefault(lane, [])
        drawn = self._draw(claim, report)
        if drawn is None:
            return
        method, payload = drawn
        channel = payload.get("channel") if isinstance(payload.get("channel"), str) else None
        wait = self._pacer.free_in(method=method, channel=channel, ahead=len(queue))
        if wait > self._keep_within:
            self._release(claim.row_id, after_seconds=wait, count_attempt=False,
                          outcome_unknown=claim.outcome_unknown and claim.first_try_at is not None)
            report.deferred += 1
            return
        queue.append(claim)

    def _draw(self, claim: _Claim, report: DeliveryReport) -> tuple[str, dict[str, Any]] | None:
        """The platform's call for a row; None when it cannot be drawn (the row is failed)."""
        try:
            return self._translate(claim.method, claim.payload)
        except Exception as exc:  # any renderer failure is this row's, never the batch's
            # Not only the codec's errors: a renderer meeting stored facts it no longer expects
            # can raise anything (an OverflowError converting a time). Left to propagate, the
            # row would stay `sending`, be reclaimed and stop every batch after it again.
            log.error("outbox row #%s cannot be drawn for the platform: %r", claim.row_id, exc, exc_info=True)
            self._mark_failed(claim.row_id, f"unrenderable: {exc}"[:500])
            report.failed += 1
            report.errors.append(f"{claim.method} #{claim.row_id}: unrenderable: {exc}")
            return None

    @staticmethod
    def _lane(claim: _Claim) -> str | None:
        """Calls to one conversation go one at a time, in claim order: its channel (the same in
        the stored row as in the call drawn from it), per workspace."""
        channel = claim.payload.get("channel")
        return f"{claim.team_id}/{channel}" if isinstance(channel, str) and channel else None

    def _prepare(
        self, claim: _Claim, report: DeliveryReport, *, hold: Callable[[_Claim, float], bool] | None,
    ) -> _Sending | None:
        """Everything before a row's call: drawn for the platform, its channel's turn, and a
        lookup when its last send's outcome is unknown. None when the row is dealt with
        (failed, found already posted, set aside or held for its turn)."""
        drawn = self._draw(claim, report)
        if drawn is None:
            return None
        method, payload = drawn
        row_id, unknown = claim.row_id, claim.outcome_unknown
        if unknown and claim.first_try_at is None:
            unknown = False  # released unknown, but no call for it ever left: nothing to find
        if self._workspace.stopped_for(claim.team_id):  # its token died earlier in this batch: no more calls
            self._release(row_id, after_seconds=0, count_attempt=False, outcome_unknown=unknown)
            report.deferred += 1
            return None
        sender = self._sender if self._sender_for_team is None else self._sender_for_team(claim.team_id)
        if sender is None:
            # Not stopped (those rows are never claimed), yet nothing to send it with.
            error = f"no installation for workspace {claim.team_id or '(none)'}: the app must be installed there"
            self._mark_failed(row_id, error)
            report.failed += 1
            report.errors.append(f"{method} #{row_id}: {error}")
            return None
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
                return None
            self._release(row_id, after_seconds=wait, count_attempt=False, outcome_unknown=unknown)
            report.deferred += 1
            return None
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
                return None
            if lookup.looked:
                unknown = False  # read back to before the first try: it was never posted
            elif lookup.retry_after_seconds is not None:
                for lookup_method in finder.lookup_methods(channel):
                    self._pacer.hold_method(lookup_method, lookup.retry_after_seconds)
                self._release(row_id, after_seconds=lookup.retry_after_seconds, count_attempt=False,
                              outcome_unknown=True, error="lookup ratelimited")
                report.rate_limited += 1
                return None
            elif lookup.retryable:
                self._retry_or_fail(claim, error=f"lookup: {lookup.error}", outcome_unknown=True, report=report)
                return None
            else:
                log.warning("outbox row %s: its conversation's history cannot be read (%s); sending it again, "
                            "at least once rather than never", row_id, lookup.error)
        if claim.first_try_at is None:
            first_try: dict[str, Any] | None = {FIRST_TRY_KEY: self._wall_clock()}  # committed before the call
        else:
            first_try = None
        self._pacer.book(method=method, channel=channel)
        return _Sending(claim=claim, method=method, payload=payload, channel=channel, unknown=unknown,
                        lane=self._lane(claim), sender=sender, first_try=first_try)

    def _launch(self, wave: list[_Sending], report: DeliveryReport) -> None:
        """Send a wave of prepared rows: their first tries on record first (one transaction,
        with whatever outcomes are waiting to be written), then every call at once on the
        pool, or one after the other here when only one may be in flight."""
        if not wave:
            return
        stamps = [(sending.claim.row_id, {"response": sending.first_try}) for sending in wave
                  if sending.first_try is not None]
        self._writes.extend(stamps)
        try:
            self._flush()  # no call leaves before its row says a call may have left
        except BaseException:
            # Not on record, so not sent: the rows stay `sending` until their claim goes stale
            # (as a dead worker's would), and their channels are free for the rows behind.
            stamped = {id(stamp) for stamp in stamps}
            self._writes = [write for write in self._writes if id(write) not in stamped]
            for sending in wave:
                self._free_lane(sending.lane)
            raise
        for sending in wave:
            if self._workspace.stopped_for(sending.claim.team_id):  # its token died just now: no more calls
                self._release(sending.claim.row_id, after_seconds=0, count_attempt=False,
                              outcome_unknown=sending.unknown)
                report.deferred += 1
                self._free_lane(sending.lane)
                continue
            if self._pool is None:
                try:
                    outcome = self._call(sending)
                    self._pacer.settle(method=sending.method, channel=sending.channel)
                    self._record(sending, outcome, report)
                finally:
                    self._free_lane(sending.lane)
            else:
                self._in_flight[self._pool.submit(self._call, sending)] = sending

    @staticmethod
    def _call(sending: _Sending) -> SendOutcome:
        """The network call alone (on a pool thread): no database, no pacer, no shared state."""
        try:
            return sending.sender.send(method=sending.method, payload=sending.payload)
        except Exception as exc:  # a sender must not raise; if one does, the call may have left
            log.error("sending outbox row #%s raised: %r", sending.claim.row_id, exc, exc_info=True)
            return SendOutcome(ok=False, error=f"sender raised: {exc!r}"[:300], retryable=True, outcome_unknown=True)

    def _collect(self, report: DeliveryReport, *, block: bool = False, timeout: float | None = None) -> None:
        """Record the answers that are back (waiting up to `timeout` for one when `block`);
        the rows waiting behind them are ready for their turn again."""
        if not self._in_flight:
            return
        if block:
            wait_for(list(self._in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        for future in [future for future in self._in_flight if future.done()]:
            sending = self._in_flight.pop(future)
            try:
                self._pacer.settle(method=sending.method, channel=sending.channel)  # Slack may have counted it late
                self._record(sending, future.result(), report)
            finally:
                self._free_lane(sending.lane)  # whatever happened recording it: the channel's next row may go

    def _drain(self, report: DeliveryReport) -> None:
        """Every call in flight answered and recorded: a run never returns with one in the air."""
        while self._in_flight:
            self._collect(report, block=True)

    def _free_lane(self, lane: str | None) -> None:
        if lane is None:
            return
        self._lanes_busy.discard(lane)
        self._ready_again.extend(self._waiting.pop(lane, []))

    def _record(self, sending: _Sending, outcome: SendOutcome, report: DeliveryReport) -> None:
        """What a call's answer means for its row (written with the next batch of writes)."""
        claim, method, payload, channel, unknown = (
            sending.claim, sending.method, sending.payload, sending.channel, sending.unknown
        )
        row_id = claim.row_id
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
            self._retry_or_fail(claim, error=outcome.error or "retryable error",
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
        values: dict[str, Any] = {"state": OutboxState.PENDING, "not_before": not_before, "claimed_at": None,
                        "outcome_unknown": outcome_unknown}
        if error:
            values["last_error"] = error
        if not count_attempt:
            values[_GIVE_BACK_ATTEMPT] = True  # this claim was not a try
        self._update(row_id, **values)

    def _retry_or_fail(self, claim: _Claim, *, error: str, outcome_unknown: bool, report: DeliveryReport) -> None:
        """A transient failure (5xx, network): again after a short backoff that doubles up to
        its cap, and failed only after `max_attempts` of them."""
        row_id, attempts = claim.row_id, claim.attempts
        if attempts >= self._max_attempts:
            self._mark_failed(row_id, f"gave up after {attempts} attempts: {error}")
            report.failed += 1
            report.errors.append(f"#{row_id}: gave up after {attempts} attempts: {error}")
            return
        delay = min(self._backoff_base * (2 ** min(max(0, attempts - 1), 30)), self._backoff_cap)
        self._release(row_id, after_seconds=delay.total_seconds(), count_attempt=True, error=error,
                      outcome_unknown=outcome_unknown)
        report.retried += 1

    def _update(self, row_id: int, **values: Any) -> None:
        """Noted, written with the next `_flush`: a row's outcome need not be on record before
        the next call leaves (a worker that dies first leaves the row `sending`, and the next
        one looks it up before sending it again), only its first try does (`_launch`)."""
        self._writes.append((row_id, values))

    def _flush(self) -> None:
        """Every noted write in one transaction, one statement per shape of write.

        Why: a transaction per row's first try and another per outcome was most of the
        sender's own cost (SQLite commits, SQLAlchemy's per-statement work), which kept it
        far from Slack's pace over hundreds of channels. SQLite takes an executemany (no round
        trips); PostgreSQL one UPDATE ... FROM json_to_recordset per shape, since even a
        pipelined executemany cost it a statement per row. Each write still applies only while
        the row is `sending` (a row taken over meanwhile is not touched)."""
        if not self._writes:
            return
        writes, self._writes = self._writes, []
        shapes: dict[tuple[tuple[str, ...], bool], list[tuple[int, dict[str, Any]]]] = {}
        for row_id, values in writes:
            columns = tuple(sorted(column for column in values if column != _GIVE_BACK_ATTEMPT))
            shapes.setdefault((columns, bool(values.get(_GIVE_BACK_ATTEMPT))), []).append((row_id, values))
        try:
            with unit_of_work(self._session_factory) as session:
                postgres = session.get_bind().dialect.name == "postgresql"
                for (columns, give_back), rows in shapes.items():
                    if postgres:
                        session.execute(_pg_update(columns, give_back), {"rows": json.dumps([
                            {"row_id": row_id, **{column: _json_value(values[column]) for column in columns}}
                            for row_id, values in rows
                        ])})
                    else:
                        session.execute(_executemany_update(columns, give_back), [
                            {"row_id": row_id, **{f"new_{column}": values[column] for column in columns}}
                            for row_id, values in rows
                        ])
        except BaseException:
            self._writes[:0] = writes  # not written: kept for the next try (the run's end tries again)
            raise


def _executemany_update(columns: tuple[str, ...], give_back: bool) -> Any:
    table = table_of(OutboxMessage)
    new_values: dict[str, Any] = {column: bindparam(f"new_{column}", type_=table.c[column].type) for column in columns}
    if give_back:
        new_values["attempts"] = table.c.attempts - 1
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.state == OutboxState.SENDING)
        .values(new_values)
    )


@functools.cache
def _pg_update(columns: tuple[str, ...], give_back: bool) -> TextClause:
    """One UPDATE for every row of a shape: the rows as a JSON array of records, each column
    typed as the table declares it (the names are the deliverer's own, never input)."""
    table = table_of(OutboxMessage)
    dialect = postgresql.dialect()
    assignments = [f"{column} = v.{column}" for column in columns]
    if give_back:
        assignments.append("attempts = o.attempts - 1")
    record = ", ".join(["row_id BIGINT", *(f"{column} {table.c[column].type.compile(dialect=dialect)}"
                                            for column in columns)])
    return text(
        f"UPDATE {table.name} AS o SET {', '.join(assignments)} "
        f"FROM json_to_recordset(CAST(:rows AS JSON)) AS v({record}) "
        f"WHERE o.id = v.row_id AND o.state = '{OutboxState.SENDING.value}'"
    ).bindparams(bindparam("rows", type_=Text))


def _json_value(value: Any) -> Any:
    """A column's new value as json_to_recordset reads it back into that column's type."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store aware UTC times only")
        return value.isoformat()
    return value


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
