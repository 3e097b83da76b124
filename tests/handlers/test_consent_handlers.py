"""The consent button and team_join callbacks, called directly as Bolt would, with fakes."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.container import Deps
from bot.slack.render.onboarding import ConsentChoice, consent_action_id, consent_value
from handlers.actions.consent import handle_consent
from handlers.events.team_join import handle_team_join
from storage.db import unit_of_work
from storage.models import Consent, ConsentPurpose, OutboxMessage, Participant, Role
from tests.factories import make_participant, make_round
from tests.support.handlers import FakeClient, Recorder, call_listener, said
from tests.support.notices import slack_payload

LOG = logging.getLogger("test")


@pytest.fixture
def people(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        round_.programme.coordinator_channel = "#coordinators"
        ana = make_participant(session, round_=round_, email="ana@x.org", name="Ana", slack_user_id="UANA")
        mette = make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@x.org",
                                 name="Mette", slack_user_id="UMETTE", language="da")
        wei = make_participant(session, round_=round_, email="wei@x.org", name="Wei")
        return {"ana": ana.id, "mette": mette.id, "wei": wei.id}


def _click(
    deps: Deps, *, user_id: str, participant_id: int, purpose: ConsentPurpose, granted: bool, value: str | None = None
) -> tuple[list[str], Recorder, FakeClient]:
    order: list[str] = []
    ack, respond = Recorder(order, "ack"), Recorder(order, "respond")
    client = FakeClient(order)
    choice = ConsentChoice(participant_id=participant_id, purpose=purpose, granted=granted)
    action = {"action_id": consent_action_id(purpose, granted), "block_id": f"consent.{purpose.value}",
              "value": consent_value(choice) if value is None else value, "type": "button"}
    body = {"type": "block_actions", "user": {"id": user_id}, "channel": {"id": "DANA"},
            "message": {"ts": "111.222"}, "actions": [action]}
    call_listener(handle_consent, deps=deps, user_id=user_id, ack=ack, body=body, action=action, client=client,
                  respond=respond, logger=LOG)
    return order, respond, client


_all_text = said


def test_a_click_acks_first_records_and_redraws_the_message(deps: Deps, people: dict[str, int],
                                                            session_factory: sessionmaker[Session]) -> None:
    order, respond, client = _click(deps, user_id="UANA", participant_id=people["ana"],
                                    purpose=ConsentPurpose.COORDINATION, granted=True)
    assert order[0] == "ack" and respond.calls == []
    (update,) = client.made("chat.update")
    assert (update["channel"], update["ts"]) == ("DANA", "111.222")
    assert "Your answer: *Yes*" in _all_text(update) and "Not answered yet" in _all_text(update)
    assert "profile.open" in _all_text(update), "coordination granted: the next step is the profile"
    assert [kwargs["user_id"] for kwargs in client.made("views.publish")] == ["UANA"]
    with unit_of_work(session_factory) as session:
        consent = session.scalar(select(Consent))
        assert consent is not None and consent.granted and consent.purpose is ConsentPurpose.COORDINATION


def test_all_three_answers_complete_consent_and_show_the_profile_button(
    deps: Deps, people: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    for purpose in ConsentPurpose:
        _, _, client = _click(deps, user_id="UANA", participant_id=people["ana"], purpose=purpose, granted=True)
    (update,) = client.made("chat.update")
    blocks = update["blocks"]
    profile_buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
                       if e["action_id"] == "profile.open"]
    assert [button["value"] for button in profile_buttons] == [str(people["ana"])]
    assert "One step left" in update["text"]
    with unit_of_work(session_factory) as session:
        ana = session.get(Participant, people["ana"])
        assert ana is not None and ana.consented_at is not None


def test_a_coordinator_is_welcomed_with_their_tools_not_asked_for_consent(
    deps: Deps, people: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    from bot.onboarding.service import onboarding_facts
    from bot.onboarding.state import OnboardingStep, onboarding_step
    from bot.slack.render.onboarding import welcome_message

    with unit_of_work(session_factory) as session:
        mette = session.get_one(Participant, people["mette"])
        message = welcome_message(onboarding_facts(mette), language=mette.language)
        mette.welcome_sent_at = mette.updated_at
        assert onboarding_step(mette) is OnboardingStep.READY, "staff need no consent or profile"
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert "consent." not in text and "profile.open" not in text
    assert "/mentoring-admin status" in text and "Dine værktøjer" in text


def test_declining_confirms_kindly_and_tells_the_coordinators(
    deps: Deps, people: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    _, _, client = _click(deps, user_id="UANA", participant_id=people["ana"],
                          purpose=ConsentPurpose.COORDINATION, granted=False)
    (update,) = client.made("chat.update")
    text = _all_text(update)
    assert "will not send you anything more" in text and "Changed your mind?" in text
    assert "profile.open" not in text
    with unit_of_work(session_factory) as session:
        ana = session.get(Participant, people["ana"])
        assert ana is not None and ana.opted_out_at is not None
        notice = session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith("consent-declined:")))
        assert notice is not None and notice.target == "coordinators" and "Ana" in slack_payload(notice)["text"]


def test_someone_elses_button_gets_an_ephemeral_answer_and_changes_nothing(
    deps: Deps, people: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    order, respond, client = _click(deps, user_id="UMETTE", participant_id=people["ana"],
                                    purpose=ConsentPurpose.COORDINATION, granted=False)
    assert order == ["ack", "respond"] and client.calls == []
    (answer,) = respond.calls
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "en andens" in answer["text"], "in the clicker's own language (Mette reads Danish)"
    with unit_of_work(session_factory) as session:
        assert session.scalars(select(Consent)).all() == []
        ana = session.get(Participant, people["ana"])
        assert ana is not None and ana.opted_out_at is None


@pytest.mark.parametrize("value", ["garbage", "99999:coordination:yes:welcome"])
def test_a_stale_or_unknown_button_is_explained(deps: Deps, people: dict[str, int], value: str) -> None:
    order, respond, client = _click(deps, user_id="UANA", participant_id=people["ana"],
                                    purpose=ConsentPurpose.COORDINATION, granted=True, value=value)
    assert order == ["ack", "respond"] and client.calls == []
    assert "out of date" in respond.calls[0]["text"]


def test_a_double_click_redraws_but_does_not_republish(deps: Deps, people: dict[str, int]) -> None:
    _click(deps, user_id="UANA", participant_id=people["ana"], purpose=ConsentPurpose.EVALUATION, granted=True)
    _, _, client = _click(deps, user_id="UANA", participant_id=people["ana"],
                          purpose=ConsentPurpose.EVALUATION, granted=True)
    assert len(client.made("chat.update")) == 1 and client.made("views.publish") == []


def test_a_home_tab_failure_does_not_hide_the_saved_answer(
    deps: Deps, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_kwargs: Any) -> None:
        raise RuntimeError("home is broken")

    monkeypatch.setattr("handlers.actions.consent.publish_home", broken)
    _, _, client = _click(deps, user_id="UANA", participant_id=people["ana"],
                          purpose=ConsentPurpose.COORDINATION, granted=True)
    assert len(client.made("chat.update")) == 1


def test_team_join_links_a_waiting_participant_and_queues_the_welcome(
    deps: Deps, people: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    user = {"id": "UWEI", "name": "wei", "tz": "Asia/Shanghai", "deleted": False, "is_bot": False,
            "profile": {"real_name": "Wei Zhang", "email": "wei@x.org"}}
    client = FakeClient([], users={"UWEI": user})
    call_listener(handle_team_join, deps=deps, user_id="UWEI", event={"type": "team_join", "user": user}, client=client,
                  logger=LOG)
    with unit_of_work(session_factory) as session:
        wei = session.get(Participant, people["wei"])
        assert wei is not None and (wei.slack_user_id, wei.timezone, wei.name) == ("UWEI", "Asia/Shanghai", "Wei")
        welcome = session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == f"welcome:participant={wei.id}"))
        assert welcome is not None and welcome.target == "UWEI"
    # An event without a usable user is ignored quietly.
    call_listener(handle_team_join, deps=deps, user_id=None, event={"type": "team_join"}, client=client, logger=LOG)
