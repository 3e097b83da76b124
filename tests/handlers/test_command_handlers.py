"""Handler tests: callbacks called directly, as Bolt would, with fakes for ack and respond."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.container import Deps
from bot.settings import Settings
from handlers.commands.log_session import handle_log_session
from handlers.commands.mentoring import handle_mentoring
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.context import DEPS_KEY
from handlers.events.user_change import handle_user_change
from storage.db import unit_of_work
from storage.models import Participant, Role
from tests.factories import make_participant, make_round

LOG = logging.getLogger("test")


class Recorder:
    """Stands in for Bolt's ack/respond: remembers every call, in order."""

    def __init__(self, log: list[str], name: str) -> None:
        self.calls: list[dict[str, Any]] = []
        self._log = log
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self._log.append(self._name)
        self.calls.append({"args": args, **kwargs})


@pytest.fixture
def deps(session_factory, clock) -> Deps:  # noqa: ANN001
    settings = Settings.from_env({"MENTORBOT_ADMINS": "UADMIN"})
    return Deps(settings=settings, session_factory=session_factory, clock=clock)


@pytest.fixture
def people(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        make_participant(session, round_=round_, role=Role.MENTEE, email="ana@x.org", slack_user_id="UANA")
        make_participant(
            session, round_=round_, role=Role.COORDINATOR, email="mette@x.org", slack_user_id="UMETTE", language="da"
        )


def _run(handler, deps: Deps, *, user_id: str, text: str, client: Any = None) -> tuple[list[str], Recorder]:  # noqa: ANN001
    order: list[str] = []
    ack, respond = Recorder(order, "ack"), Recorder(order, "respond")
    command = {"command": "/x", "text": text, "user_id": user_id, "channel_id": "C1"}
    kwargs: dict[str, Any] = {"ack": ack, "command": command, "respond": respond, "context": {DEPS_KEY: deps}, "logger": LOG,
                              "client": client}
    handler(**kwargs)
    return order, respond


def _text(respond: Recorder) -> str:
    assert len(respond.calls) == 1
    call = respond.calls[0]
    assert call["response_type"] == "ephemeral"
    return call["text"] + json.dumps(call["blocks"], ensure_ascii=False)


@pytest.mark.usefixtures("people")
def test_help_acks_first_and_lists_only_what_a_mentee_may_use(deps: Deps) -> None:
    order, respond = _run(handle_mentoring, deps, user_id="UANA", text="help")
    assert order == ["ack", "respond"]
    text = _text(respond)
    assert "/mentoring help" in text and "/mentoring-admin" not in text


@pytest.mark.usefixtures("people")
def test_a_coordinator_sees_admin_commands_in_their_language(deps: Deps) -> None:
    _, respond = _run(handle_mentoring, deps, user_id="UMETTE", text="")
    text = _text(respond)
    assert "/mentoring-admin help" in text
    assert "Det kan du gøre" in text


def test_bootstrap_admin_from_settings_is_a_coordinator(deps: Deps) -> None:
    _, respond = _run(handle_mentoring_admin, deps, user_id="UADMIN", text="help")
    assert "/mentoring-admin help" in _text(respond)


@pytest.mark.usefixtures("people")
def test_unknown_subcommand_gets_a_suggestion_not_an_error(deps: Deps) -> None:
    _, respond = _run(handle_mentoring, deps, user_id="UANA", text="hepl me")
    text = _text(respond)
    assert "I don't know `/mentoring hepl`" in text and "Did you mean `/mentoring help`?" in text


@pytest.mark.usefixtures("people")
def test_participants_are_told_admin_is_for_coordinators(deps: Deps) -> None:
    order, respond = _run(handle_mentoring_admin, deps, user_id="UANA", text="status")
    assert order[0] == "ack"
    assert "Only the programme's coordinators" in _text(respond)


@pytest.mark.usefixtures("people")
def test_admin_typo_is_answered_kindly(deps: Deps) -> None:
    _, respond = _run(handle_mentoring_admin, deps, user_id="UMETTE", text="hjælp")
    assert "Jeg kender ikke `/mentoring-admin hjælp`" in _text(respond)


def test_a_stranger_gets_help_in_english(deps: Deps) -> None:
    _, respond = _run(handle_mentoring, deps, user_id="UNOBODY", text="help")
    assert "Here is what you can do" in _text(respond)


@pytest.mark.usefixtures("people")
def test_log_session_before_matching_explains_when_it_opens(deps: Deps) -> None:
    order, respond = _run(handle_log_session, deps, user_id="UANA", text="yesterday 45m")
    assert order == ["ack", "respond"]
    assert "once you have been matched" in _text(respond)


@pytest.mark.usefixtures("people")
def test_user_change_follows_a_new_time_zone_and_ignores_nonsense(deps: Deps, session_factory) -> None:  # noqa: ANN001
    context = {DEPS_KEY: deps}
    handle_user_change(event={"type": "user_change", "user": {"id": "UANA", "tz": "America/Toronto"}}, context=context, logger=LOG)
    handle_user_change(event={"type": "user_change", "user": {"id": "UANA", "tz": "Mars/Olympus"}}, context=context, logger=LOG)
    with unit_of_work(session_factory) as session:
        ana = session.query(Participant).filter_by(slack_user_id="UANA").one()
        assert ana.timezone == "America/Toronto"
