"""Someone in the workspace whom no round lists, typing the participants' commands.

Before: "I don't know `/mentoring pause`", which is false, and `/log-session` said they
could log "once matched", as if they were in a programme. Now every such command, and
help, answers the same: not in a programme here yet, why that may be, and whom to ask."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import MentoringSession, Participant, Role
from tests.factories import make_participant, make_round
from tests.support.answers import ephemeral_text

NOT_IN_PROGRAMME = "You are not part of a mentoring programme in this workspace yet."
WHY = "your Slack account uses a different email address from the one you signed up with"


def _seed(slack: SandboxedApp) -> None:
    slack.sandbox.add_user(user_id="UOLE", name="ole", real_name="Ole Outsider", email="ole@private.example")
    slack.sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk")
    with unit_of_work(slack.runtime.session_factory) as session:
        running = make_round(session)
        make_participant(session, round_=running, role=Role.MENTEE, email="ole@work.example", slack_user_id=None)
        make_participant(session, round_=running, role=Role.COORDINATOR, email="mette@kommune.dk",
                         slack_user_id="UMETTE", language="da")
        old = make_round(session, name="Autumn 2025", programme_name="Old programme")
        old.starts_on, old.ends_on = date(2025, 9, 1), date(2025, 12, 15)
        make_participant(session, round_=old, role=Role.COORDINATOR, email="gone@x.dk", slack_user_id="UGONE")


@pytest.mark.parametrize(("command", "text"), [
    ("/mentoring", "pause until 1 March"),
    ("/mentoring", "sessions"),
    ("/mentoring", "profile"),
    ("/mentoring", "log yesterday 45m CV review"),
    ("/mentoring", "resume"),
    ("/mentoring", "help"),
    ("/mentoring", ""),
    ("/log-session", "yesterday 45m CV review"),
])
def test_someone_in_no_round_hears_why_and_whom_to_ask(slack: SandboxedApp, command: str, text: str) -> None:
    _seed(slack)
    response = slack.slash("UOLE", command, text)
    assert response.status == 200
    answer = ephemeral_text(slack, response.response_url)
    assert NOT_IN_PROGRAMME in answer and WHY in answer
    assert "Ask <@UMETTE> to add you" in answer  # the coordinator of the running round, not of the old one
    assert "UGONE" not in answer and "I don't know" not in answer and "once you have been matched" not in answer
    assert slack.sandbox.calls_to("views.open") == []
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(MentoringSession)) == 0
        assert session.scalar(select(func.count()).select_from(Participant)
                              .where(Participant.slack_user_id == "UOLE")) == 0


def test_a_typo_from_someone_in_no_round_is_named_and_explained(slack: SandboxedApp) -> None:
    _seed(slack)
    response = slack.slash("UOLE", "/mentoring", "pasue")
    answer = ephemeral_text(slack, response.response_url)
    assert "I don't know `/mentoring pasue`" in answer
    assert NOT_IN_PROGRAMME in answer and "Ask <@UMETTE> to add you" in answer


def test_without_a_running_round_the_admins_are_whom_to_ask(slack: SandboxedApp) -> None:
    slack.sandbox.add_user(user_id="UOLE", name="ole", real_name="Ole Outsider", email="ole@private.example")
    response = slack.slash("UOLE", "/mentoring", "sessions")
    answer = ephemeral_text(slack, response.response_url)
    assert NOT_IN_PROGRAMME in answer and "Ask <@UADMIN> to add you" in answer
