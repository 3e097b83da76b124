"""Token mode learns its workspace at start (`serve`, `worker`): one auth.test, and the rows
the CLI made before the bot knew its team become that team's (issue 13)."""

from __future__ import annotations

from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import OutboxMessage, Programme
from tests.factories import make_round
from tests.support.workspaces import SANDBOX_TEAM


def test_start_up_adopts_unassigned_programmes_and_outbox_rows(slack: SandboxedApp) -> None:
    now = slack.clock.now()
    with unit_of_work(slack.runtime.session_factory) as session:
        make_round(session)
        session.add(OutboxMessage(dedup_key="before", team_id="", method="chat.postMessage", target="U1",
                                  payload={"channel": "U1", "text": "x"}, not_before=now, created_at=now))
    assert slack.runtime.adopt_unassigned_rows() == SANDBOX_TEAM
    assert [call.method for call in slack.sandbox.calls] == ["auth.test"]
    with unit_of_work(slack.runtime.session_factory) as session:
        assert set(session.scalars(select(Programme.team_id))) == {SANDBOX_TEAM}
        assert set(session.scalars(select(OutboxMessage.team_id))) == {SANDBOX_TEAM}
    assert slack.runtime.adopt_unassigned_rows() == SANDBOX_TEAM  # again: nothing left to adopt, no harm


def test_slack_not_answering_leaves_the_rows_to_the_next_start(slack: SandboxedApp) -> None:
    with unit_of_work(slack.runtime.session_factory) as session:
        make_round(session)
    slack.sandbox.error_next("auth.test", "fatal_error")
    assert slack.runtime.adopt_unassigned_rows() is None
    with unit_of_work(slack.runtime.session_factory) as session:
        assert set(session.scalars(select(Programme.team_id))) == {""}
