"""What the worker does about a workspace that stopped listening, and a person who left it.

* Before claiming anything the deliverer asks `sending_stopped()`: after an uninstall or a
  revoked token (`bot.core.workspace`) nothing is claimed, so every row stays pending and
  goes out once the app is back.
* A refusal that means the bot's own token is dead (`invalid_auth`, `token_revoked`,
  `account_inactive`) stops sending the same way, and the row goes back to pending; the
  rest of the batch is not sent either (`stopped_now`).
* `account_inactive` is ambiguous in practice (Slack documents it for a token of a
  deactivated user or workspace, and it is also reported for a DM to a deactivated person),
  so `auth.test` decides: the token still works, so it was the person.
* A DM refused because the person is deactivated (`user_disabled`, or `is_archived` for a
  DM, which Slack archives with the account) is a departure (`bot.pairs.departures`): their
  pairs pause and the coordinators hear it once; the row itself fails as before.
* While stopped, the worker asks `auth.test` every `probe_every` (a few minutes) and
  resumes when the token works again (reinstalled with the same token).
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core.chat import OutboxSender
from bot.core.workspace import TOKEN_DEAD_ERRORS, resume_sending, sending_stopped, stop_sending
from bot.pairs.departures import PERSON_GONE_ERRORS, participant_left_workspace
from storage.db import unit_of_work

log = logging.getLogger(__name__)

PROBE_EVERY = timedelta(minutes=3)
AMBIGUOUS_ERRORS = frozenset({"account_inactive"})


class Refusal(enum.Enum):
    OTHER = "other"  # the deliverer handles it as before
    TOKEN_DEAD = "token_dead"  # sending stopped; the row goes back to pending
    PERSON_GONE = "person_gone"  # a departure recorded; the row fails as before


def _dm_user(payload: dict[str, Any]) -> str | None:
    """The person a DM goes to, when the call names a user id as its channel."""
    channel = payload.get("channel")
    if isinstance(channel, str) and channel[:1] in ("U", "W") and channel[1:].isalnum():
        return channel
    return None


class WorkspaceGuard:
    def __init__(
        self, *, session_factory: sessionmaker[Session], sender: OutboxSender, clock: Clock,
        probe_every: timedelta = PROBE_EVERY,
    ) -> None:
        self._session_factory = session_factory
        self._sender = sender
        self._clock = clock
        self._probe_every = probe_every
        self._last_probe: datetime | None = None
        self.stopped_now = False  # a refusal in this run stopped sending: send nothing more

    def sending_stopped(self) -> bool:
        """Read at the start of each delivery run (and each tick)."""
        with unit_of_work(self._session_factory) as session:
            stopped = sending_stopped(session) is not None
        self.stopped_now = stopped
        return stopped

    def refused(self, *, method: str, payload: dict[str, Any], error: str | None) -> Refusal:
        if not error:
            return Refusal.OTHER
        if error in TOKEN_DEAD_ERRORS:
            if error in AMBIGUOUS_ERRORS and self._token_works():
                return self._person_gone(payload) if _dm_user(payload) else Refusal.OTHER
            with unit_of_work(self._session_factory) as session:
                first = stop_sending(session, team_id=None, because=error, now=self._clock.now())
            if first:
                log.warning("Slack answered %s to %s: the bot's token no longer works; nothing more is sent "
                            "until it does", error, method)
            self.stopped_now = True
            return Refusal.TOKEN_DEAD
        if error in PERSON_GONE_ERRORS and _dm_user(payload):
            return self._person_gone(payload)
        return Refusal.OTHER

    def _person_gone(self, payload: dict[str, Any]) -> Refusal:
        user_id = _dm_user(payload)
        assert user_id is not None
        with unit_of_work(self._session_factory) as session:
            outcome = participant_left_workspace(session, slack_user_id=user_id, now=self._clock.now())
        if outcome.told or outcome.paused_pairs:
            log.info("a DM to %s was refused (deactivated): %d pair(s) paused, coordinators told", user_id,
                     outcome.paused_pairs)
        return Refusal.PERSON_GONE

    def _token_works(self) -> bool:
        return self._sender.send(method="auth.test", payload={}).ok

    def check_token(self) -> bool:
        """After a tick job that calls Slack failed: was it the bot's token? One `auth.test`;
        a dead token stops sending as a refused message would. Returns whether it stopped."""
        answer = self._sender.send(method="auth.test", payload={})
        if answer.ok or answer.error not in TOKEN_DEAD_ERRORS:
            return False
        with unit_of_work(self._session_factory) as session:
            first = stop_sending(session, team_id=None, because=answer.error, now=self._clock.now())
        if first:
            log.warning("auth.test answers %s: the bot's token no longer works; nothing more is sent until it does",
                        answer.error)
        return True

    def probe_if_due(self) -> bool:
        """While sending is stopped, ask `auth.test` every `probe_every`; resume when it
        answers ok. Returns whether sending is (still) stopped."""
        if not self.sending_stopped():
            self._last_probe = None
            return False
        now = self._clock.now()
        if self._last_probe is not None and now - self._last_probe < self._probe_every:
            return True
        self._last_probe = now
        if not self._token_works():
            return True
        with unit_of_work(self._session_factory) as session:
            resume_sending(session, now=now)
        log.info("auth.test answers ok again: the app is installed; sending resumes")
        self.stopped_now = False
        return False


__all__ = ["PROBE_EVERY", "Refusal", "WorkspaceGuard"]
