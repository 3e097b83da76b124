"""Survey buttons and the survey form: listeners called directly, as Bolt would, with fakes
for ack, respond and the Web API client. Ack comes first, one service call, then Slack."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.container import Deps
from bot.slack.render.surveys import COMMENT_BLOCK, CONSENT_BLOCK, FormPlace, pulse_value, survey_metadata
from handlers.actions.survey_answer import handle_survey_answer
from handlers.actions.survey_decline import handle_survey_decline
from handlers.actions.survey_open import handle_survey_open
from handlers.views.survey_submit import handle_survey_submit
from storage.db import unit_of_work
from storage.models import Consent, ConsentPurpose, SurveyKind
from tests.nudge_world import World, consent, standard_world
from tests.support.handlers import FakeClient, Recorder, call_listener, only_ephemeral, said
from tests.support.surveys import (
    COMPANY_MORNING,
    MIDWAY_MORNING,
    PULSE_CLOSES,
    PULSE_MORNING,
    answers_of,
    ask,
    company_contact,
    invitation_of,
    with_surveys,
)

LOG = logging.getLogger("test")
DM = ("D0LARS", "1700000000.000100")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(PULSE_MORNING)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        built = with_surveys(session, standard_world(session))
        ask(session, PULSE_MORNING)
    return built


def _invitation(session_factory: sessionmaker[Session], user_id: str, kind: SurveyKind) -> int:
    with session_factory() as session:
        return invitation_of(session, user_id, kind)


def _answers(session_factory: sessionmaker[Session], user_id: str) -> dict[str, Any]:
    with session_factory() as session:
        return answers_of(session, user_id)


def click(deps: Deps, handler: Any, *, user: str, action: dict[str, Any], fail: dict[str, str] | None = None,
          ) -> tuple[list[str], Recorder, FakeClient]:
    order: list[str] = []
    ack, respond, client = Recorder(order, "ack"), Recorder(order, "respond"), FakeClient(order, fail=fail)
    body = {"type": "block_actions", "user": {"id": user}, "channel": {"id": DM[0]}, "message": {"ts": DM[1]},
            "trigger_id": "T.1", "response_url": "https://hooks.example/r", "actions": [action]}
    call_listener(handler, deps=deps, user_id=user, ack=ack, body=body, action=action, client=client, respond=respond,
                  logger=LOG)
    return order, respond, client


def pulse_click(invitation_id: int, question: str = "pulse.useful", value: int = 4) -> dict[str, Any]:
    return {"action_id": f"survey.{question}.{value}", "block_id": f"survey.answer|{question}", "type": "button",
            "value": pulse_value(invitation_id, question, value)}


def submit(deps: Deps, *, user: str, view: dict[str, Any]) -> tuple[list[str], Recorder, FakeClient]:
    order: list[str] = []
    ack, client = Recorder(order, "ack"), FakeClient(order)
    body = {"type": "view_submission", "user": {"id": user}, "view": view}
    call_listener(handle_survey_submit, deps=deps, user_id=user, ack=ack, body=body, view=view, client=client,
                  logger=LOG)
    return order, ack, client


def radio(value: str | None) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value} if value else None}


def opened_form(deps: Deps, invitation_id: int, user: str = "ULARS") -> dict[str, Any]:
    order, _respond, client = click(deps, handle_survey_open, user=user,
                                    action={"action_id": "survey.open", "value": str(invitation_id)})
    assert order == ["ack", "views.open"]
    [opened] = client.made("views.open")
    assert opened["trigger_id"] == "T.1"
    return dict(opened["view"])


# --- pulse buttons ---------------------------------------------------------------------------------------


def test_a_pulse_click_acks_first_records_and_redraws_the_dm(deps: Deps, world: World,
                                                             session_factory: sessionmaker[Session]) -> None:
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.PULSE)
    order, respond, client = click(deps, handle_survey_answer, user="ULARS", action=pulse_click(invitation_id))
    assert order == ["ack", "chat.update"] and respond.calls == []
    [update] = client.made("chat.update")
    assert (update["channel"], update["ts"]) == DM
    chosen = [element["action_id"] for block in update["blocks"] if block["type"] == "actions"
              for element in block["elements"] if element.get("style") == "primary"]
    assert chosen == ["survey.pulse.useful.4"]
    assert _answers(session_factory, "ULARS") == {"pulse.useful": 4}

    click(deps, handle_survey_answer, user="ULARS", action=pulse_click(invitation_id, value=2))  # changes its mind
    _order, _respond, client = click(deps, handle_survey_answer, user="ULARS",
                                     action=pulse_click(invitation_id, "pulse.confidence", 5))
    assert _answers(session_factory, "ULARS") == {"pulse.useful": 2, "pulse.confidence": 5}
    assert "Thank you! Your answers are saved" in said(client.made("chat.update")[0])


def test_someone_elses_click_changes_nothing_and_says_why(deps: Deps, world: World,
                                                          session_factory: sessionmaker[Session]) -> None:
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.PULSE)
    order, respond, client = click(deps, handle_survey_answer, user="UMETTE", action=pulse_click(invitation_id))
    assert order == ["ack", "respond"] and client.calls == []
    assert "sendt til en anden" in only_ephemeral(respond)  # Mette reads Danish
    assert _answers(session_factory, "ULARS") == {}


@pytest.mark.parametrize("value", ["", "garbage", "99999|pulse.useful|3"])
def test_a_stale_or_forged_button_is_explained(deps: Deps, world: World, value: str) -> None:
    order, respond, client = click(deps, handle_survey_answer, user="ULARS",
                                   action={"action_id": "survey.pulse.useful.3", "value": value})
    assert order == ["ack", "respond"] and client.calls == []
    assert "could not find this survey" in only_ephemeral(respond)


def test_a_click_after_the_pulse_closed_is_told_kindly(deps: Deps, world: World, clock: FixedClock,
                                                       session_factory: sessionmaker[Session]) -> None:
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.PULSE)
    clock.set(PULSE_CLOSES)
    _order, respond, client = click(deps, handle_survey_answer, user="ULARS", action=pulse_click(invitation_id))
    assert "This survey has closed" in only_ephemeral(respond) and client.calls == []
    assert _answers(session_factory, "ULARS") == {}


def test_without_consent_any_more_the_answer_is_refused_with_how_to_change_it(
        deps: Deps, world: World, session_factory: sessionmaker[Session]) -> None:
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.PULSE)
    with unit_of_work(session_factory) as session:
        consent(session, world, "lars", ConsentPurpose.EVALUATION, granted=False)
    _order, respond, _client = click(deps, handle_survey_answer, user="ULARS", action=pulse_click(invitation_id))
    assert "welcome message" in only_ephemeral(respond)
    assert _answers(session_factory, "ULARS") == {}


# --- the form ---------------------------------------------------------------------------------------------


def test_the_comment_form_of_a_pulse_opens_and_saves_the_comment(deps: Deps, world: World,
                                                                 session_factory: sessionmaker[Session]) -> None:
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.PULSE)
    view = opened_form(deps, invitation_id)
    assert [block["block_id"] for block in view["blocks"] if block["type"] == "input"] == [COMMENT_BLOCK]
    view["state"] = {"values": {COMMENT_BLOCK: {COMMENT_BLOCK: {"type": "plain_text_input", "value": " Going well "}}}}
    order, ack, client = submit(deps, user="ULARS", view=view)
    assert order == ["ack", "chat.update"] and ack.calls == [{"args": ()}]
    assert _answers(session_factory, "ULARS") == {"comment": "Going well"}
    assert "Your comment is saved" in said(client.made("chat.update")[0])


def test_the_midway_form_errors_inline_then_saves_and_thanks_in_the_dm(
        deps: Deps, world: World, clock: FixedClock, session_factory: sessionmaker[Session]) -> None:
    clock.set(MIDWAY_MORNING)
    with unit_of_work(session_factory) as session:
        ask(session, MIDWAY_MORNING)
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.MIDWAY)
    view = opened_form(deps, invitation_id)
    blocks = [block["block_id"] for block in view["blocks"] if block["type"] == "input"]
    assert blocks == ["survey.q.mentor_network", "survey.q.mentor_intercultural", "survey.q.recommend", COMMENT_BLOCK]
    assert json.loads(view["private_metadata"]) == {"invitation": invitation_id, "channel": DM[0], "ts": DM[1]}

    view["state"] = {"values": {"survey.q.mentor_network": {"survey.q.mentor_network": radio("5")},
                                "survey.q.recommend": {"survey.q.recommend": radio(None)}}}
    order, ack, client = submit(deps, user="ULARS", view=view)
    assert order == ["ack"] and client.calls == []
    [answer] = ack.calls
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {"survey.q.mentor_intercultural": "Please choose an answer.",
                                "survey.q.recommend": "Please choose an answer."}
    assert _answers(session_factory, "ULARS") == {}

    view["state"]["values"].update({
        "survey.q.mentor_intercultural": {"survey.q.mentor_intercultural": radio("3")},
        "survey.q.recommend": {"survey.q.recommend": radio("4")},
    })
    order, ack, client = submit(deps, user="ULARS", view=view)
    assert order == ["ack", "chat.update"] and ack.calls == [{"args": ()}]
    [update] = client.made("chat.update")
    assert (update["channel"], update["ts"]) == DM
    assert "Thank you, your answers are saved" in said(update) and "Change my answers" in said(update)
    assert _answers(session_factory, "ULARS") == {"mentor_network": 5, "mentor_intercultural": 3, "recommend": 4}
    again = opened_form(deps, invitation_id)  # answering again shows the answers on record
    initial = {block["block_id"]: block["element"].get("initial_option", {}).get("value")
               for block in again["blocks"] if block["type"] == "input" and block["block_id"] != COMMENT_BLOCK}
    assert initial == {"survey.q.mentor_network": "5", "survey.q.mentor_intercultural": "3", "survey.q.recommend": "4"}


def test_a_form_submitted_by_someone_else_or_not_ours_changes_nothing(
        deps: Deps, world: World, clock: FixedClock, session_factory: sessionmaker[Session]) -> None:
    clock.set(MIDWAY_MORNING)
    with unit_of_work(session_factory) as session:
        ask(session, MIDWAY_MORNING)
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.MIDWAY)
    view = opened_form(deps, invitation_id)
    view["state"] = {"values": {f"survey.q.{key}": {"a": radio("1")}
                                for key in ("mentor_network", "mentor_intercultural", "recommend")}}
    order, ack, client = submit(deps, user="UANA", view=view)
    assert order == ["ack"] and client.calls == []
    assert ack.calls[0]["response_action"] == "update" and "someone else" in json.dumps(ack.calls[0]["view"])
    _order, ack, _client = submit(deps, user="ULARS", view={**view, "private_metadata": "{}"})
    assert "could not find this survey" in json.dumps(ack.calls[0]["view"])
    assert _answers(session_factory, "ULARS") == {}


def test_the_form_that_cannot_open_says_why(deps: Deps, world: World, session_factory: sessionmaker[Session]) -> None:
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.PULSE)
    order, respond, _client = click(deps, handle_survey_open, user="UANA",
                                    action={"action_id": "survey.open", "value": str(invitation_id)})
    assert order == ["ack", "respond"] and "someone else" in only_ephemeral(respond)
    order, respond, _client = click(deps, handle_survey_open, user="ULARS", fail={"views.open": "expired_trigger_id"},
                                    action={"action_id": "survey.open", "value": str(invitation_id)})
    assert order == ["ack", "views.open", "respond"] and "Something went wrong" in only_ephemeral(respond)


# --- company contacts -----------------------------------------------------------------------------------


def test_a_company_contact_gives_consent_in_the_form_or_says_no_thanks(
        deps: Deps, world: World, clock: FixedClock, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        company_contact(session, world)
        company_contact(session, world, key="bo", company="LEGO")
        ask(session, COMPANY_MORNING)
    clock.set(COMPANY_MORNING)
    sofie = _invitation(session_factory, "USOFIE", SurveyKind.COMPANY)
    view = opened_form(deps, sofie, user="USOFIE")
    assert [block["block_id"] for block in view["blocks"] if block["type"] == "input"] == [
        "survey.q.company_retention", COMMENT_BLOCK, CONSENT_BLOCK]
    view["state"] = {"values": {"survey.q.company_retention": {"a": radio("4")},
                                CONSENT_BLOCK: {CONSENT_BLOCK: {"type": "checkboxes", "selected_options": []}}}}
    _order, ack, _client = submit(deps, user="USOFIE", view=view)
    assert ack.calls[0]["response_action"] == "errors" and list(ack.calls[0]["errors"]) == [CONSENT_BLOCK]
    view["state"]["values"][CONSENT_BLOCK][CONSENT_BLOCK]["selected_options"] = [{"value": "agree"}]
    order, _ack, _client = submit(deps, user="USOFIE", view=view)
    assert order == ["ack", "chat.update"]
    assert _answers(session_factory, "USOFIE") == {"company_retention": 4}

    bo = _invitation(session_factory, "UBO", SurveyKind.COMPANY)
    order, respond, client = click(deps, handle_survey_decline, user="UBO",
                                   action={"action_id": "survey.decline", "value": str(bo)})
    assert order == ["ack", "chat.update"] and respond.calls == []
    assert "We will not ask you again" in said(client.made("chat.update")[0])
    with session_factory() as session:
        decisions = dict(session.execute(select(Consent.participant_id, Consent.granted)
                                         .where(Consent.purpose == ConsentPurpose.EVALUATION,
                                                Consent.participant_id.in_([world.people["sofie"],
                                                                            world.people["bo"]]))).all())
    assert decisions == {world.people["sofie"]: True, world.people["bo"]: False}


def test_a_thank_you_goes_as_a_dm_when_the_message_cannot_be_found(
        deps: Deps, world: World, session_factory: sessionmaker[Session]) -> None:
    invitation_id = _invitation(session_factory, "ULARS", SurveyKind.PULSE)
    view = {"type": "modal", "callback_id": "survey.submit", "blocks": [],
            "private_metadata": survey_metadata(FormPlace(invitation_id=invitation_id)),
            "state": {"values": {COMMENT_BLOCK: {COMMENT_BLOCK: {"value": "Hi"}}}}}
    order, _ack, client = submit(deps, user="ULARS", view=view)
    assert order == ["ack", "chat.postMessage"]
    [dm] = client.made("chat.postMessage")
    assert dm["channel"] == "ULARS" and "Thank you, your answers are saved" in said(dm)
