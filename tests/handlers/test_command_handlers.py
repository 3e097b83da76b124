"""Handler tests: callbacks called directly, as Bolt would, with fakes for ack and respond."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.container import Deps
from bot.core.commands import (
    ADMIN,
    COMMANDS,
    LOG_SESSION,
    MENTORING,
    commands_for,
    listed_commands,
    listed_subcommands,
    split_subcommand,
)
from bot.core.people import Viewer
from bot.i18n import LANGUAGES, t
from bot.slack.render.help import help_message
from handlers.commands import LISTENERS, register
from handlers.commands import mentoring as mentoring_handlers
from handlers.commands import mentoring_admin as admin_handlers
from handlers.commands.log_session import handle_log_session
from handlers.commands.mentoring import handle_mentoring
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.commands.router import CommandTableError, help_for, subcommand_table
from handlers.events.user_change import handle_user_change
from handlers.middleware import coordinators_only
from storage.db import unit_of_work
from storage.models import Participant, Role
from tests.factories import make_participant, make_round
from tests.support.handlers import Recorder, call_listener, only_ephemeral
from tests.support.workspaces import ONE_WORKSPACE

LOG = logging.getLogger("test")


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
    call_listener(handler, deps=deps, user_id=user_id, ack=ack, command=command, respond=respond, logger=LOG,
                  client=client)
    return order, respond


_text = only_ephemeral


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
    # Help for someone in no round is the explanation of why, not a list of one command.
    _, respond = _run(handle_mentoring, deps, user_id="UNOBODY", text="help")
    text = _text(respond)
    assert "You are not part of a mentoring programme in this workspace yet" in text
    assert "Ask <@UADMIN> to add you" in text  # no round has a coordinator yet: the bot's admins


@pytest.mark.usefixtures("people")
def test_log_session_before_matching_explains_when_it_opens(deps: Deps) -> None:
    order, respond = _run(handle_log_session, deps, user_id="UANA", text="yesterday 45m")
    assert order == ["ack", "respond"]
    assert "once you have been matched" in _text(respond)


@pytest.mark.usefixtures("people")
def test_user_change_follows_a_new_time_zone_and_ignores_nonsense(deps: Deps, session_factory) -> None:  # noqa: ANN001
    for tz in ("America/Toronto", "Mars/Olympus"):
        call_listener(handle_user_change, deps=deps, user_id="UANA",
                      event={"type": "user_change", "user": {"id": "UANA", "tz": tz}}, logger=LOG)
    with unit_of_work(session_factory) as session:
        ana = session.query(Participant).filter_by(slack_user_id="UANA").one()
        assert ana.timezone == "America/Toronto"


# --- one table for help and the router ----------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_what_help_tells_you_to_type_is_what_the_router_runs(language: str) -> None:
    """Every row help shows (to someone who may see them all) is a command with a listener and,
    for a subcommand, exactly the word the router dispatches on; no handler is missing from help."""
    everyone = Viewer(workspace=ONE_WORKSPACE, slack_user_id="U", language=language, roles=frozenset({Role.COORDINATOR}),
                      participant_ids=())
    shown = json.dumps(help_message(commands=commands_for(everyone), language=language, is_coordinator=True).blocks,
                       ensure_ascii=False)
    tables = {MENTORING: mentoring_handlers.SUBCOMMANDS, ADMIN: admin_handlers.SUBCOMMANDS}
    assert set(LISTENERS) == {info.command for info in COMMANDS} == {*tables, LOG_SESSION}
    for info in COMMANDS:
        usage = t(info.usage_key, language)
        assert f"`{usage}`" in shown, usage
        command, _, rest = usage.partition(" ")
        assert command == info.command, usage
        if info.subcommand is None:
            assert command not in tables, f"{command} takes free text, so it has no subcommand table"
            continue
        typed, _ = split_subcommand(rest)
        assert typed == info.subcommand, f"help says `{usage}`, the router knows `{info.subcommand}`"
        assert typed in tables[command]
    for command, table in tables.items():
        assert tuple(table) == listed_subcommands(command)


def test_a_handler_table_that_disagrees_with_the_command_table_fails_when_built() -> None:
    without_pause = {name: h for name, h in mentoring_handlers.SUBCOMMANDS.items() if name != "pause"}
    with pytest.raises(CommandTableError, match="no handler for \\['pause'\\]"):
        subcommand_table(MENTORING, without_pause)
    with pytest.raises(CommandTableError, match="not in the command table: \\['dance'\\]"):
        subcommand_table(MENTORING, {**mentoring_handlers.SUBCOMMANDS, "dance": help_for})


def test_register_adds_one_listener_per_command_in_the_table() -> None:
    registered: list[str] = []
    guarded: dict[str, list[Any]] = {}

    class FakeApp:
        def command(self, name: str, middleware: list[Any] | None = None) -> Any:
            registered.append(name)
            guarded[name] = list(middleware or [])
            return lambda listener: listener

    register(FakeApp())  # type: ignore[arg-type]
    assert registered == list(listed_commands())
    assert guarded == {MENTORING: [], LOG_SESSION: [], ADMIN: [coordinators_only]}


def test_log_session_from_someone_in_no_round_says_so_not_once_matched(deps: Deps) -> None:
    order, respond = _run(handle_log_session, deps, user_id="UNOBODY", text="yesterday 45m")
    assert order == ["ack", "respond"]
    text = _text(respond)
    assert "You are not part of a mentoring programme in this workspace yet" in text
    assert "once you have been matched" not in text
