"""Profile and status handlers called directly, as Bolt would, with fakes for ack, respond and client."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.container import Deps
from bot.slack.render.profile import profile_metadata
from handlers.actions.profile_open import handle_profile_open
from handlers.commands.mentoring import handle_mentoring
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.views.profile_submit import handle_profile_submit
from storage.db import unit_of_work
from storage.models import Participant, Role
from tests.factories import EPOCH, make_participant, make_round
from tests.support.handlers import FakeClient, Recorder, call_listener

LOG = logging.getLogger("test")


@pytest.fixture
def ids(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        ana = make_participant(session, round_=round_, email="ana@x.org", name="Ana", slack_user_id="UANA")
        ana.welcome_sent_at, ana.consented_at = EPOCH, EPOCH
        priya = make_participant(session, round_=round_, email="priya@x.org", name="Priya", slack_user_id="UPRIYA",
                                 language="da")
        priya.welcome_sent_at = EPOCH
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@x.dk", name="Mette",
                         slack_user_id="UMETTE", language="da")
        session.flush()
        return {"ana": ana.id, "priya": priya.id}


def _click(deps: Deps, *, user_id: str, value: str, response_url: str | None = "https://hooks/x"):  # noqa: ANN202
    log: list[str] = []
    ack, respond, client = Recorder(log, "ack"), Recorder(log, "respond"), FakeClient(log)
    body: dict[str, Any] = {"user": {"id": user_id}, "trigger_id": "123.456.abc"}
    if response_url:
        body["response_url"] = response_url
    call_listener(handle_profile_open, deps=deps, user_id=user_id, ack=ack, body=body,
                  action={"action_id": "profile.open", "value": value}, client=client, respond=respond, logger=LOG)
    return log, respond, client


def _submit(deps: Deps, *, user_id: str, participant_id: int | None, values: dict[str, Any]):  # noqa: ANN202
    log: list[str] = []
    ack, client = Recorder(log, "ack"), FakeClient(log)
    view = {
        "callback_id": "profile.submit",
        "private_metadata": profile_metadata(participant_id) if participant_id is not None else "",
        "state": {"values": {block: {block: element} for block, element in values.items()}},
    }
    call_listener(handle_profile_submit, deps=deps, user_id=user_id, ack=ack, body={"user": {"id": user_id}}, view=view,
                  client=client, logger=LOG)
    return log, ack, client


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


GOOD = {
    "field": _text("Biology"), "years": {"type": "number_input", "value": "5"}, "languages": _text("English"),
    "interests": _text(""), "goals": _text("A job"), "availability": _text(""),
    "language": {"type": "static_select", "selected_option": {"value": "en"}}, "timezone": _text("Europe/Copenhagen"),
}


def test_the_button_acks_then_opens_the_modal_with_the_trigger(deps: Deps, ids: dict[str, int]) -> None:
    log, respond, client = _click(deps, user_id="UANA", value=str(ids["ana"]))
    assert log == ["ack", "views.open"]
    (call,) = client.made("views.open")
    assert call["trigger_id"] == "123.456.abc" and call["view"]["callback_id"] == "profile.submit"
    assert respond.calls == []


def test_someone_yet_to_consent_gets_an_ephemeral_explanation_in_danish(deps: Deps, ids: dict[str, int]) -> None:
    log, respond, client = _click(deps, user_id="UPRIYA", value=str(ids["priya"]))
    assert log == ["ack", "respond"] and client.calls == []
    (call,) = respond.calls
    assert call["response_type"] == "ephemeral" and "samtykke" in call["text"]


def test_a_click_from_the_home_tab_is_answered_by_dm(deps: Deps, ids: dict[str, int]) -> None:
    log, _, client = _click(deps, user_id="UPRIYA", value=str(ids["priya"]), response_url=None)
    assert log == ["ack", "chat.postMessage"]
    assert client.made("chat.postMessage")[0]["channel"] == "UPRIYA"


def test_a_bad_submission_is_answered_with_inline_errors_and_stores_nothing(
    deps: Deps, ids: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    log, ack, _client = _submit(deps, user_id="UANA", participant_id=ids["ana"],
                               values={**GOOD, "years": {"type": "number_input", "value": "99"}, "languages": _text("")})
    assert log == ["ack"]
    (call,) = ack.calls
    assert call["response_action"] == "errors" and set(call["errors"]) == {"years", "languages"}
    with unit_of_work(session_factory) as session:
        ana = session.get(Participant, ids["ana"])
        assert ana.field is None and ana.profile_completed_at is None


def test_a_good_submission_acks_then_confirms_by_dm_and_republishes_home(
    deps: Deps, ids: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    log, ack, client = _submit(deps, user_id="UANA", participant_id=ids["ana"], values=GOOD)
    assert log == ["ack", "chat.postMessage", "views.publish"]
    assert ack.calls == [{"args": ()}]
    assert client.made("chat.postMessage")[0]["channel"] == "UANA"
    home = client.made("views.publish")[0]
    assert home["user_id"] == "UANA" and "*Ready*" in json.dumps(home["view"])
    with unit_of_work(session_factory) as session:
        ana = session.get(Participant, ids["ana"])
        assert ana.field == "Biology" and ana.profile_completed_at == deps.clock.now() and ana.timezone_confirmed


def test_a_submission_without_our_metadata_is_refused_without_storing(deps: Deps, ids: dict[str, int]) -> None:
    log, ack, _ = _submit(deps, user_id="UANA", participant_id=None, values=GOOD)
    assert log == ["ack"] and ack.calls[0]["response_action"] == "update"
    assert "someone else" in json.dumps(ack.calls[0]["view"])


def test_someone_elses_participant_id_is_refused(deps: Deps, ids: dict[str, int]) -> None:
    _, ack, client = _submit(deps, user_id="UPRIYA", participant_id=ids["ana"], values=GOOD)
    assert ack.calls[0]["response_action"] == "update" and client.calls == []


def _command(handler, deps: Deps, *, user_id: str, text: str):  # noqa: ANN001, ANN202
    log: list[str] = []
    ack, respond, client = Recorder(log, "ack"), Recorder(log, "respond"), FakeClient(log)
    command = {"command": "/x", "text": text, "user_id": user_id, "channel_id": "C1", "trigger_id": "9.9.t"}
    call_listener(handler, deps=deps, user_id=user_id, ack=ack, command=command, respond=respond, client=client,
                  logger=LOG)
    return log, respond, client


def test_mentoring_profile_opens_the_modal(deps: Deps, ids: dict[str, int]) -> None:
    log, _respond, client = _command(handle_mentoring, deps, user_id="UANA", text="profile")
    assert log == ["ack", "views.open"] and client.made("views.open")[0]["trigger_id"] == "9.9.t"


def test_a_coordinator_is_told_kindly_that_they_have_no_profile(deps: Deps, ids: dict[str, int]) -> None:
    log, respond, _ = _command(handle_mentoring, deps, user_id="UMETTE", text="profile")
    assert log == ["ack", "respond"] and "Du er koordinator" in respond.calls[0]["text"]


def test_mentoring_admin_status_answers_ephemerally_with_counts(deps: Deps, ids: dict[str, int]) -> None:
    log, respond, _ = _command(handle_mentoring_admin, deps, user_id="UMETTE", text="status")
    assert log == ["ack", "respond"]
    (call,) = respond.calls
    assert call["response_type"] == "ephemeral"
    text = json.dumps(call["blocks"], ensure_ascii=False)
    assert "*Venter på samtykke*\\n1" in text and "*Venter på profil*\\n1" in text and "Priya" in text


def test_status_is_for_coordinators_only(deps: Deps, ids: dict[str, int]) -> None:
    _, respond, _ = _command(handle_mentoring_admin, deps, user_id="UANA", text="status")
    assert "Only the programme's coordinators" in respond.calls[0]["text"]
