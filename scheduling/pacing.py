"""Keeping under Slack's rate limits before Slack has to tell us.

Slack limits each method per workspace (tiers) and chat.postMessage per channel (about one
a second). The pacer books each call and says how long until the next call of a method (to
a channel) is within the limits; the deliverer sets aside a row whose method or channel is
not free yet and goes on with the others, so one busy channel or one 429 never holds the
batch. `wait_turn` (sleep, then book) is for callers with nothing else to do meanwhile. It
takes its clock and sleep from outside so tests and benchmarks run in no time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

# Seconds between two calls of one method, from the tiers in SLACK_FACTS.md, with headroom.
TIER_INTERVALS = {1: 60.0, 2: 3.0, 3: 1.2, 4: 0.6}
METHOD_TIERS = {
    "conversations.create": 2,
    "conversations.invite": 3,
    "conversations.archive": 3,
    "conversations.kick": 3,
    "users.info": 4,
    "users.lookupByEmail": 4,
    "views.open": 4,
    "views.publish": 4,
    "views.update": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
# Looking up messages whose send had an unknown outcome (tier 3). These come in bursts (every
# claim of a killed worker at once) and Slack counts tiers per minute, allowing bursts, so
# they get a per-minute budget with headroom instead of even spacing, which would stall a
# recovery by 1.2 s a row.
WINDOW_SECONDS = 60.0
METHOD_PER_MINUTE = {"conversations.history": 45, "conversations.open": 45}
PER_CHANNEL_METHODS = frozenset({"chat.postMessage"})
# Slack allows about one a second; a tenth more keeps a late-arriving call (network jitter
# shortens the gap Slack sees between two calls) from being counted too soon.
PER_CHANNEL_INTERVAL = 1.1
# chat.postMessage allows short bursts per channel; after this many quick posts we slow down.
PER_CHANNEL_BURST = 3


class Pacer:
    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        method_intervals: dict[str, float] | None = None,
        per_channel_interval: float = PER_CHANNEL_INTERVAL,
        per_channel_burst: int = PER_CHANNEL_BURST,
        method_per_minute: dict[str, int] | None = None,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._method_intervals = method_intervals if method_intervals is not None else {
            method: TIER_INTERVALS[tier] for method, tier in METHOD_TIERS.items()
        }
        self._per_channel_interval = per_channel_interval
        self._method_per_minute = dict(METHOD_PER_MINUTE if method_per_minute is None else method_per_minute)
        self._window_calls: dict[str, deque[float]] = {}
        self._per_channel_burst = per_channel_burst
        self._next_method_slot: dict[str, float] = {}
        self._channel_tokens: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self._channel_held_until: dict[str, float] = {}  # channel -> end of a 429's Retry-After
        self.total_waited = 0.0

    def free_in(self, *, method: str, channel: str | None, ahead: int = 0) -> float:
        """Seconds until a call of `method` (to `channel`) is within the limits; 0 when now.

        `ahead`: calls of the same method to the same channel that will go first (a queue
        behind a call in flight), each taking its place in the channel's turns or the method's
        spacing; per-minute budgets count only the calls already made."""
        now = self._monotonic()
        delay = max(0.0, self._next_method_slot.get(method, 0.0) - now)
        delay += ahead * self._method_intervals.get(method, 0.0)
        budget = self._method_per_minute.get(method)
        if budget is not None:
            calls = self._recent_calls(method, now)
            if len(calls) >= budget:
                delay = max(delay, calls[0] + WINDOW_SECONDS - now)
        channel_key = self._channel_key(method, channel)
        if channel_key is not None:
            delay = max(delay, self._channel_held_until.get(channel_key, 0.0) - now)
            tokens = self._refilled_tokens(channel_key, now)
            if tokens < 1.0 + ahead:
                delay = max(delay, (1.0 + ahead - tokens) * self._per_channel_interval)
        return delay

    def book(self, *, method: str, channel: str | None) -> None:
        """Record a call of `method` (to `channel`) made now."""
        now = self._monotonic()
        interval = self._method_intervals.get(method, 0.0)
        if interval:
            self._next_method_slot[method] = max(self._next_method_slot.get(method, 0.0), now + interval)
        if method in self._method_per_minute:
            self._recent_calls(method, now).append(now)
        channel_key = self._channel_key(method, channel)
        if channel_key is not None:
            tokens = self._refilled_tokens(channel_key, now)
            self._channel_tokens[channel_key] = (max(0.0, tokens - 1.0), now)

    def settle(self, *, method: str, channel: str | None) -> None:
        """The call booked last to `channel` was answered just now: count it as made now.

        Slack counts a call when it arrives, somewhere between its booking and its answer.
        With many calls in the air a call can leave late (a busy process, a slow connect) and
        reach Slack close to the channel's next one; a channel whose bucket was full loses
        the refill of that delay at Slack but not here, and the next post met a 429. Counting
        the call at its answer errs on Slack's side. Valid while a channel has one call in the
        air at a time (the deliverer's lanes): its last booking is this call's."""
        channel_key = self._channel_key(method, channel)
        if channel_key is None or channel_key not in self._channel_tokens:
            return
        now = self._monotonic()
        tokens, at = self._channel_tokens[channel_key]
        # The bucket as if the token taken at `at` had stayed until now (refill capped), less it.
        untaken = min(float(self._per_channel_burst), tokens + 1.0 + max(0.0, now - at) / self._per_channel_interval)
        self._channel_tokens[channel_key] = (max(0.0, untaken - 1.0), now)

    def wait_turn(self, *, method: str, channel: str | None) -> None:
        """Sleep until a call of `method` (to `channel`) is within the limits, then book it."""
        delay = self.free_in(method=method, channel=channel)
        if delay > 0:
            self._sleep(delay)
            self.total_waited += delay
        self.book(method=method, channel=channel)

    def hold_method(self, method: str, seconds: float) -> None:
        """Slack said 429 to a method limited per workspace: no more calls of it until
        Retry-After has passed."""
        until = self._monotonic() + seconds
        self._next_method_slot[method] = max(self._next_method_slot.get(method, 0.0), until)

    def hold(self, *, method: str, channel: str | None, seconds: float) -> None:
        """Slack said 429: hold what the limit is on. chat.postMessage is limited per channel,
        so only that channel waits; a tiered method waits as a whole."""
        channel_key = self._channel_key(method, channel)
        if channel_key is None:
            self.hold_method(method, seconds)
            return
        until = self._monotonic() + seconds
        self._channel_held_until[channel_key] = max(self._channel_held_until.get(channel_key, 0.0), until)

    def _recent_calls(self, method: str, now: float) -> deque[float]:
        calls = self._window_calls.setdefault(method, deque())
        while calls and calls[0] <= now - WINDOW_SECONDS:
            calls.popleft()
        return calls

    @staticmethod
    def _channel_key(method: str, channel: str | None) -> str | None:
        return channel if method in PER_CHANNEL_METHODS and channel else None

    def method_free_in(self, method: str) -> float:
        return max(0.0, self._next_method_slot.get(method, 0.0) - self._monotonic())

    def _refilled_tokens(self, channel: str, now: float) -> float:
        tokens, at = self._channel_tokens.get(channel, (float(self._per_channel_burst), now))
        return min(float(self._per_channel_burst), tokens + (now - at) / self._per_channel_interval)
