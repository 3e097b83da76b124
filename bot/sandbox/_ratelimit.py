"""Slack's published rate limits, so the bot's pacing can be tested against something real.

Slack limits each Web API method per workspace and app by *tier* (calls per minute), and
``chat.postMessage`` by channel (about one message a second, short bursts allowed). A bot
that ignores this works in a demo and gets 429s on a cohort of forty. The sandbox, when
asked, answers the same 429 with a computed ``Retry-After`` so the deliverer's pacing and
back-off can be exercised with a fake clock instead of real waiting.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0

TIER_PER_MINUTE: dict[int, int] = {1: 1, 2: 20, 3: 50, 4: 100}

# From SLACK_FACTS.md (and Slack's method pages for the rest the sandbox models).
METHOD_TIERS: dict[str, int] = {
    "chat.postEphemeral": 4,
    "chat.update": 4,
    "chat.delete": 3,
    "chat.getPermalink": 4,
    "conversations.create": 2,
    "conversations.invite": 3,
    "conversations.archive": 3,
    "conversations.unarchive": 3,
    "conversations.join": 3,
    "conversations.kick": 3,
    "conversations.leave": 3,
    "conversations.info": 3,
    "conversations.list": 2,
    "conversations.members": 4,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.open": 3,
    "users.info": 4,
    "users.lookupByEmail": 4,
    "users.list": 2,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "files.info": 4,
    "files.delete": 3,
    "team.info": 3,
}
DEFAULT_TIER = 3

# chat.postMessage: "about 1 message per second per channel, short bursts allowed".
POST_MESSAGE_RATE_PER_SECOND = 1.0
POST_MESSAGE_BURST = 3
UNLIMITED_METHODS = frozenset({"auth.test", "api.test"})


def _retry_after(seconds: float) -> int:
    """Slack sends whole seconds; never 0, or a polite client would retry at once."""
    return max(1, math.ceil(seconds - 1e-9))


class RateLimiter:
    """Sliding-window tiers per method plus a per-channel token bucket for postMessage.

    Refused calls are not counted, as with Slack: a client that waits ``Retry-After``
    seconds and tries again is let through.
    """

    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, method: str, *, channel_key: str | None = None) -> int | None:
        """Count one call; return ``None`` if allowed, else the ``Retry-After`` seconds."""
        if method in UNLIMITED_METHODS:
            return None
        now = self._clock()
        if method == "chat.postMessage":
            return self._bucket(f"chat.postMessage:{channel_key or '?'}", now)
        limit = TIER_PER_MINUTE[METHOD_TIERS.get(method, DEFAULT_TIER)]
        return self._window(method, now, limit)

    def _window(self, key: str, now: float, limit: int) -> int | None:
        times = self._windows.setdefault(key, deque())
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if len(times) >= limit:
            return _retry_after(times[0] + WINDOW_SECONDS - now)
        times.append(now)
        return None

    def _bucket(self, key: str, now: float) -> int | None:
        tokens, last = self._buckets.get(key, (float(POST_MESSAGE_BURST), now))
        tokens = min(float(POST_MESSAGE_BURST), tokens + max(0.0, now - last) * POST_MESSAGE_RATE_PER_SECOND)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return None
        self._buckets[key] = (tokens, now)
        return _retry_after((1.0 - tokens) / POST_MESSAGE_RATE_PER_SECOND)
