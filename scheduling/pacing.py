"""Keeping under Slack's rate limits before Slack has to tell us.

Slack limits each method per workspace (tiers) and chat.postMessage per channel (about one
a second). The pacer waits just long enough between calls; it takes its clock and sleep
from outside so tests and benchmarks run in no time.
"""

from __future__ import annotations

import time
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
PER_CHANNEL_METHODS = frozenset({"chat.postMessage"})
PER_CHANNEL_INTERVAL = 1.0
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
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._method_intervals = method_intervals if method_intervals is not None else {
            method: TIER_INTERVALS[tier] for method, tier in METHOD_TIERS.items()
        }
        self._per_channel_interval = per_channel_interval
        self._per_channel_burst = per_channel_burst
        self._next_method_slot: dict[str, float] = {}
        self._channel_tokens: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self.total_waited = 0.0

    def wait_turn(self, *, method: str, channel: str | None) -> None:
        """Sleep until a call of `method` (to `channel`) is within the limits, then book it."""
        now = self._monotonic()
        delay = max(0.0, self._next_method_slot.get(method, 0.0) - now)
        channel_key = channel if method in PER_CHANNEL_METHODS and channel else None
        if channel_key is not None:
            tokens = self._refilled_tokens(channel_key, now)
            if tokens < 1.0:
                delay = max(delay, (1.0 - tokens) * self._per_channel_interval)
        if delay > 0:
            self._sleep(delay)
            self.total_waited += delay
            now = self._monotonic()
        interval = self._method_intervals.get(method, 0.0)
        if interval:
            self._next_method_slot[method] = now + interval
        if channel_key is not None:
            tokens = self._refilled_tokens(channel_key, now)
            self._channel_tokens[channel_key] = (max(0.0, tokens - 1.0), now)

    def hold_method(self, method: str, seconds: float) -> None:
        """Slack said 429: no more calls of this method until Retry-After has passed."""
        until = self._monotonic() + seconds
        self._next_method_slot[method] = max(self._next_method_slot.get(method, 0.0), until)

    def method_free_in(self, method: str) -> float:
        return max(0.0, self._next_method_slot.get(method, 0.0) - self._monotonic())

    def _refilled_tokens(self, channel: str, now: float) -> float:
        tokens, at = self._channel_tokens.get(channel, (float(self._per_channel_burst), now))
        return min(float(self._per_channel_burst), tokens + (now - at) / self._per_channel_interval)
