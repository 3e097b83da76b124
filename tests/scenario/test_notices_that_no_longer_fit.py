"""A queued notice whose stored facts no longer fit what the renderer expects is failed
with its reason at send time; the notices queued beside it still go out, and the deliverer
itself never stops on it (else the row stays `sending`, is reclaimed ten minutes later and
stops the outbox again, for ever)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.rounds.roster import import_workbook_file
from bot.rounds.workbook import workbook_bytes
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState
from tests.support.workspaces import ONE_WORKSPACE
from tests.unit.test_roster_import import sample_workbook

Mutation = Callable[[dict[str, Any]], None]


def _drop_a_field(payload: dict[str, Any]) -> None:
    del payload["facts"]["participant"]


def _rename_the_kind(payload: dict[str, Any]) -> None:
    payload["kind"] = "WelcomeFactsOfAnOlderRelease"


def _unknown_time_zone(payload: dict[str, Any]) -> None:
    payload["facts"]["participant"]["timezone"] = "Mars/Olympus"


def _meeting_time_no_calendar_holds(payload: dict[str, Any]) -> None:
    # Valid ISO and aware, so it decodes; converting it to the reader's zone overflows.
    payload["facts"]["participant"]["meetings"][0]["starts_at"] = "0001-01-01T00:00:00+14:00"


@pytest.mark.parametrize(
    "mutate", [_drop_a_field, _rename_the_kind, _unknown_time_zone, _meeting_time_no_calendar_holds],
    ids=["a field is gone", "the kind was renamed", "a time zone nobody knows", "a time the renderer cannot convert"],
)
def test_a_notice_that_can_no_longer_be_drawn_fails_with_a_reason_and_the_others_go(
    slack: SandboxedApp, mutate: Mutation
) -> None:
    for user_id, name, email in (("ULARS", "lars", "lars@firm.dk"), ("UANA", "ana", "ana@example.org"),
                                 ("UMETTE", "mette", "mette@kommune.dk")):
        slack.sandbox.add_user(user_id=user_id, name=name, real_name=name, email=email)
    with unit_of_work(slack.runtime.session_factory) as session:
        assert import_workbook_file(session, workbook_bytes(sample_workbook()), workspace=ONE_WORKSPACE, now=slack.clock.now()).ok
    slack.tick()
    with unit_of_work(slack.runtime.session_factory) as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [row.payload["kind"] for row in rows] == ["WelcomeFacts"] * 3
        broken, payload = rows[0].id, copy.deepcopy(rows[0].payload)
        mutate(payload)
        rows[0].payload = payload

    report = slack.deliver()

    assert (report.sent, report.failed) == (2, 1)
    with unit_of_work(slack.runtime.session_factory) as session:
        states = {row.id: (row.state, row.last_error or "") for row in session.scalars(select(OutboxMessage))}
    assert states[broken][0] is OutboxState.FAILED
    assert states[broken][1].startswith("unrenderable: ")
    assert [state for row_id, (state, _) in states.items() if row_id != broken] == [OutboxState.SENT] * 2
    assert len(slack.sandbox.dm_messages("UANA") + slack.sandbox.dm_messages("UMETTE")
               + slack.sandbox.dm_messages("ULARS")) == 2
