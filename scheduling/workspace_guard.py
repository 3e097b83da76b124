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

Many workspaces (OAuth, `sender_for_team` given): each workspace stops on its own. The
deliverer claims no row of a stopped workspace while the others' rows go on
(`stopped_rows_excluded`); a dead token stops only its workspace; the `auth.test` re-check
runs per stopped workspace with the token its installation holds, and one without an
installation (uninstalled: it was deleted) stays stopped until it installs again, which
resumes it at once.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core.chat import OutboxSender
from bot.core.workspace import TOKEN_DEAD_ERRORS, Workspace, resume_sending, sending_stopped, stop_sending
from bot.pairs.departures import PERSON_GONE_ERRORS, participant_left_workspace
from storage.db import unit_of_work
from storage.models import OutboxMessage, WorkspaceStatus

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
        self, *, session_factory: sessionmaker[Session], sender: OutboxSender | None, clock: Clock,
        probe_every: timedelta = PROBE_EVERY, sender_for_team: Callable[[str], OutboxSender | None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._sender = sender
        self._sender_for_team = sender_for_team
        self._clock = clock
        self._probe_every = probe_every
        self._last_probe: datetime | None = None
        self._last_team_probe: dict[str, datetime] = {}
        self.stopped_now = False  # a refusal in this run stopped sending: send nothing more
        self.stopped_teams: set[str] = set()  # many workspaces: the ones stopped, each on its own

    @property
    def per_team(self) -> bool:
        return self._sender_for_team is not None

    def sending_stopped(self) -> bool:
        """Read at the start of each delivery run (and each tick). Many workspaces: never
        everything; the stopped ones are noted in `stopped_teams`."""
        with unit_of_work(self._session_factory) as session:
            if self.per_team:
                self.stopped_teams = set(session.scalars(
                    select(WorkspaceStatus.team_id).where(WorkspaceStatus.sending_stopped_at.is_not(None))
                ))
                self.stopped_now = False
                return False
            stopped = sending_stopped(session) is not None
        self.stopped_now = stopped
        return stopped

    def stopped_for(self, team_id: str) -> bool:
        """Nothing more may go to this workspace in this run."""
        return self.stopped_now or team_id in self.stopped_teams

    def stopped_rows_excluded(self) -> list[ColumnElement[bool]]:
        """WHERE clauses leaving out the outbox rows of stopped workspaces (many workspaces)."""
        if not self.stopped_teams:
            return []
        return [OutboxMessage.team_id.not_in(sorted(self.stopped_teams))]

    def _sender_of(self, team_id: str) -> OutboxSender | None:
        return self._sender if self._sender_for_team is None else self._sender_for_team(team_id)

    def refused(self, *, method: str, payload: dict[str, Any], error: str | None, team_id: str = "") -> Refusal:
        if not error:
            return Refusal.OTHER
        if error in TOKEN_DEAD_ERRORS:
            if error in AMBIGUOUS_ERRORS and self._token_works(team_id):
                return self._person_gone(payload, team_id) if _dm_user(payload) else Refusal.OTHER
            with unit_of_work(self._session_factory) as session:
                first = stop_sending(session, team_id=team_id if self.per_team else None, because=error,
                                     now=self._clock.now())
            if first:
                log.warning("Slack answered %s to %s%s: the bot's token no longer works; nothing more is sent "
                            "until it does", error, method, f" in workspace {team_id}" if self.per_team else "")
            if self.per_team:
                self.stopped_teams.add(team_id)
            else:
                self.stopped_now = True
            return Refusal.TOKEN_DEAD
        if error in PERSON_GONE_ERRORS and _dm_user(payload):
            return self._person_gone(payload, team_id)
        return Refusal.OTHER

    def _person_gone(self, payload: dict[str, Any], team_id: str) -> Refusal:
        user_id = _dm_user(payload)
        assert user_id is not None
        # The account is gone from the workspace whose token was refused: with many
        # workspaces only that one's rows of the id (token mode: the one workspace's).
        workspace = Workspace(team_id=team_id) if self.per_team else None
        with unit_of_work(self._session_factory) as session:
            outcome = participant_left_workspace(session, slack_user_id=user_id, workspace=workspace,
                                                 now=self._clock.now())
        if outcome.told or outcome.paused_pairs:
            log.info("a DM to %s was refused (deactivated): %d pair(s) paused, coordinators told", user_id,
                     outcome.paused_pairs)
        return Refusal.PERSON_GONE

    def _token_works(self, team_id: str = "") -> bool:
        sender = self._sender_of(team_id)
        return sender is not None and sender.send(method="auth.test", payload={}).ok

    def check_token(self, team_id: str = "") -> bool:
        """After a tick job that calls Slack failed: was it the bot's token? One `auth.test`;
        a dead token stops sending as a refused message would. Returns whether it stopped."""
        sender = self._sender_of(team_id)
        if sender is None:
            return False
        answer = sender.send(method="auth.test", payload={})
        if answer.ok or answer.error not in TOKEN_DEAD_ERRORS:
            return False
        with unit_of_work(self._session_factory) as session:
            first = stop_sending(session, team_id=team_id if self.per_team else None, because=answer.error,
                                 now=self._clock.now())
        if first:
            log.warning("auth.test answers %s: the bot's token no longer works; nothing more is sent until it does",
                        answer.error)
        return True

    def probe_if_due(self) -> bool:
        """While sending is stopped, ask `auth.test` every `probe_every`; resume when it
        answers ok. Returns whether sending is (still) stopped (many workspaces: never all
        of it; see `stopped_teams`)."""
        if self.per_team:
            self._probe_stopped_teams()
            return False
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

    def _probe_stopped_teams(self) -> None:
        """Each stopped workspace on its own: with no installation (uninstalled) it stays
        stopped until it installs again; with one whose token answers `auth.test`, it resumes."""
        self.sending_stopped()
        now = self._clock.now()
        for team in [t for t in self._last_team_probe if t not in self.stopped_teams]:
            del self._last_team_probe[team]
        for team in sorted(self.stopped_teams):
            last = self._last_team_probe.get(team)
            if last is not None and now - last < self._probe_every:
                continue
            self._last_team_probe[team] = now
            if not self._token_works(team):
                continue
            with unit_of_work(self._session_factory) as session:
                resume_sending(session, now=now, team_id=team)
            log.info("auth.test answers ok again for workspace %s: sending there resumes", team)
            self.stopped_teams.discard(team)


__all__ = ["PROBE_EVERY", "Refusal", "WorkspaceGuard"]
