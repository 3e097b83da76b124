"""Which workspaces this web process saw sending (no stop in force) a moment ago.

Every command, click and fresh event proves the app is installed, so the middleware lifts a
stop recorded by an uninstall or a dead token (`resume_sending_when_installed`). Looking
for that stop read `workspace_status` once per request: a transaction per request (on
SQLite one that takes the write lock) for a row that changes a few times a year, and under
200 requests/s its CPU competed with the acknowledgements for the one GIL. Now a team seen
without a stop is not looked up again for `ttl_seconds`.

Why this is safe: it only decides whether to *look* for a stop to lift. Nothing that sends
reads it: the deliverer and the tick read `workspace_status` themselves, so a stop is
honoured at once wherever it was recorded. A stop recorded in this process (the
`app_uninstalled` and `tokens_revoked` listeners) calls `forget_sending`, so the next
request looks again; one recorded by another process (the worker's `auth.test`) is lifted
by the first request after `ttl_seconds`, or by that worker's own next good `auth.test`.
A look-up that started before a `forget` does not mark the team as sending afterwards
(`generation`), so a stop is never hidden by a read that raced it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

SENDING_SEEN_KEY = "mentorbot_sending_seen"
#: Long enough that a burst reads the table once, short enough that a stop recorded by
#: another process is lifted by the requests of the next few seconds.
TTL_SECONDS = 10.0


class SendingSeen:
    """Per app (each Bolt app gets its own, so tests never share one). Plain dict and int
    updates: each is atomic under the GIL, and a lost race only costs one more look-up."""

    def __init__(self, *, ttl_seconds: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._seen: dict[str, float] = {}
        self.generation = 0

    def recently(self, team_id: str | None) -> bool:
        """Seen sending within the last `ttl_seconds`: no need to look for a stop."""
        seen_at = self._seen.get(team_id or "")
        return seen_at is not None and self._clock() - seen_at < self._ttl

    def saw_sending(self, team_id: str | None, *, generation: int) -> None:
        """No stop in force for this team, as read by a look-up that started at `generation`
        (taken before it read); ignored when a stop was recorded here since."""
        if generation == self.generation:
            self._seen[team_id or ""] = self._clock()

    def forget(self) -> None:
        """A stop was recorded in this process: every team is looked up again (a stop may be
        recorded under the unknown team and apply to all; stops are rare, so all go)."""
        self.generation += 1
        self._seen.clear()


def forget_sending(context: Mapping[str, Any]) -> None:
    """Called after a stop is committed; a context the middleware did not fill (a handler
    test calling a listener directly) has nothing to forget."""
    seen = context.get(SENDING_SEEN_KEY)
    if isinstance(seen, SendingSeen):
        seen.forget()


__all__ = ["SENDING_SEEN_KEY", "TTL_SECONDS", "SendingSeen", "forget_sending"]
