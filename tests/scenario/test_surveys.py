"""Surveys as Slack drives them, through the signed endpoint against the fake Slack: the tick
sends a pulse in each person's daytime, a click records and redraws, a double click counts
once, someone else's click changes nothing, the midway form opens, errors inline, saves and
thanks, an answer after the close is told so kindly; a company contact declines and the
coordinators get the contacts to ask by hand. In English and in Danish."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox.harness import SandboxedApp
from bot.surveys.service import OPEN_FOR
from storage.db import unit_of_work
from storage.models import Consent, ConsentPurpose, Participant, Role, SurveyAnswer, SurveyInvitation, SurveyKind
from tests.nudge_world import World, new_world, pair, person
from tests.support.answers import answers_on, button, find_element, message_text
from tests.support.concurrency import failed_listeners, simultaneously
from tests.support.digest_round import not_digests
from tests.support.surveys import (
    COMPANY_MORNING,
    LONDON_MORNING,
    MIDWAY_ENDS,
    MIDWAY_MORNING,
    PULSE_CLOSES,
    PULSE_MORNING,
    answers_of,
    company_contact,
    with_surveys,
)

MIDWAY_CLOSES = MIDWAY_ENDS + OPEN_FOR[SurveyKind.MIDWAY]

WORDS = {
    "en": {"useful": "How useful are your 1:1 sessions", "thanks": "Thank you! Your answers are saved",
           "not_yours": "sent to someone else", "closed": "This survey has closed", "midway": "Midway survey",
           "answer": "Answer (2 minutes)", "required": "Please choose an answer.", "saved": "Thank you, your answers",
           "comment": "Your comment is saved"},
    "da": {"useful": "Hvor nyttige er jeres 1:1-møder", "thanks": "Tak! Dine svar er gemt",
           "not_yours": "sendt til en anden", "closed": "Denne undersøgelse er lukket",
           "midway": "Midtvejsevaluering", "answer": "Svar (2 minutter)", "required": "Vælg venligst et svar.",
           "saved": "Tak, dine svar er gemt", "comment": "Din kommentar er gemt"},
}


def _world(slack: SandboxedApp, language: str, *, pairs: int = 1) -> World:
    """Lars (Copenhagen) mentors Ana (London), both consented to the evaluation, in `language`;
    Mette coordinates. With `pairs` > 1, more mentor-mentee pairs in Copenhagen."""
    sandbox = slack.sandbox
    locale = "da-DK" if language == "da" else "en-GB"
    sandbox.add_user(user_id="ULARS", name="lars", email="lars@example.org", tz="Europe/Copenhagen", locale=locale)
    sandbox.add_user(user_id="UANA", name="ana", email="ana@example.org", tz="Europe/London", locale=locale)
    sandbox.add_user(user_id="UMETTE", name="mette", email="mette@example.org", locale="da-DK")
    sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(sandbox.bot_user_id, "UMETTE"))
    with unit_of_work(slack.runtime.session_factory) as session:
        world = new_world(session)
        person(session, world, "lars", role=Role.MENTOR, language=language)
        person(session, world, "ana", role=Role.MENTEE, tz="Europe/London", language=language)
        person(session, world, "mette", role=Role.COORDINATOR, language="da")
        pair(session, world, "la", mentor="lars", mentee="ana")
        with_surveys(session, world)
        for number in range(1, pairs):
            mentor, mentee = f"mentor{number}", f"mentee{number}"
            for key, role in ((mentor, Role.MENTOR), (mentee, Role.MENTEE)):
                sandbox.add_user(user_id=f"U{key.upper()}", name=key, email=f"{key}@example.org",
                                 tz="Europe/Copenhagen")
                person(session, world, key, role=role, language=language)
                session.add(Consent(participant_id=world.people[key], purpose=ConsentPurpose.EVALUATION,
                                    granted=True, decided_at=PULSE_MORNING - timedelta(days=30)))
            pair(session, world, f"p{number}", mentor=mentor, mentee=mentee)
    return world


def at(slack: SandboxedApp, instant: Any) -> None:
    slack.clock.set(instant)
    slack.tick_and_deliver(now=instant)


def survey_dm(slack: SandboxedApp, user_id: str, containing: str) -> dict[str, Any]:
    """The bot's DM to this person that says `containing` (as it reads now, after updates)."""
    found = [message for message in slack.sandbox.dm_messages(user_id) if containing in message_text(message)]
    assert len(found) == 1, f"{len(found)} DMs to {user_id} say {containing!r}"
    return found[0]


def click(slack: SandboxedApp, user_id: str, message: dict[str, Any], action_id: str, *, owner: str) -> Any:
    """`user_id` clicks a button of the DM the bot sent `owner` (only the owner could, in Slack)."""
    block_id, value = button(message, action_id)
    return slack.click(user_id, action_id, value=value, block_id=block_id, message=message,
                       channel_id=slack.sandbox.im_channel_for(owner))


def chosen(message: dict[str, Any]) -> list[str]:
    return [element["action_id"] for block in message["blocks"] if block["type"] == "actions"
            for element in block["elements"] if element.get("style") == "primary"]


def stored_answers(slack: SandboxedApp, user_id: str) -> dict[str, Any]:
    with unit_of_work(slack.runtime.session_factory) as session:
        return answers_of(session, user_id)


def answer_rows(slack: SandboxedApp) -> int:
    with unit_of_work(slack.runtime.session_factory) as session:
        return int(session.scalar(select(func.count()).select_from(SurveyAnswer)) or 0)


@pytest.mark.parametrize("language", ["en", "da"])
def test_a_pulse_goes_out_in_each_persons_daytime_and_a_click_records_and_redraws(
        slack: SandboxedApp, language: str, caplog: pytest.LogCaptureFixture) -> None:
    words = WORDS[language]
    _world(slack, language)
    at(slack, PULSE_MORNING - timedelta(hours=1))  # 09:00 in Copenhagen: not yet
    assert slack.sandbox.dm_messages("ULARS") == []
    at(slack, PULSE_MORNING)  # 10:00 in Copenhagen, 09:00 in London
    pulse = survey_dm(slack, "ULARS", words["useful"])
    assert slack.sandbox.dm_messages("UANA") == []
    at(slack, LONDON_MORNING)
    assert words["useful"] in message_text(survey_dm(slack, "UANA", words["useful"]))
    assert len(slack.sandbox.dm_messages("ULARS")) == 1  # asked once

    # Lars clicks 4, then the same button again (a double click): one answer, marked in the DM.
    click(slack, "ULARS", pulse, "survey.pulse.useful.4", owner="ULARS")
    click(slack, "ULARS", pulse, "survey.pulse.useful.4", owner="ULARS")
    pulse = survey_dm(slack, "ULARS", words["useful"])
    assert chosen(pulse) == ["survey.pulse.useful.4"]
    assert stored_answers(slack, "ULARS") == {"pulse.useful": 4} and answer_rows(slack) == 1

    # Ana clicks a button of Lars's DM (a forged request): nothing of his changes.
    response = click(slack, "UANA", pulse, "survey.pulse.useful.1", owner="ULARS")
    [note] = answers_on(slack, response.response_url)
    assert note["response_type"] == "ephemeral" and words["not_yours"] in note["text"]
    assert stored_answers(slack, "ULARS") == {"pulse.useful": 4}
    assert stored_answers(slack, "UANA") == {}

    click(slack, "ULARS", pulse, "survey.pulse.confidence.5", owner="ULARS")
    pulse = survey_dm(slack, "ULARS", words["useful"])
    assert chosen(pulse) == ["survey.pulse.useful.4", "survey.pulse.confidence.5"]
    assert words["thanks"] in message_text(pulse)

    # A comment, through its own small form.
    click(slack, "ULARS", pulse, "survey.open", owner="ULARS")
    [form] = slack.sandbox.opened_views
    assert [block["block_id"] for block in form["blocks"] if block["type"] == "input"] == ["survey.comment"]
    slack.submit("ULARS", "survey.submit", {"survey.comment": {"survey.comment": "Lovely <!channel> pair"}},
                 view_id=form["id"])
    assert slack.sandbox.view_stack("ULARS") == []
    assert words["comment"] in message_text(survey_dm(slack, "ULARS", words["useful"]))
    assert stored_answers(slack, "ULARS")["comment"] == "Lovely <!channel> pair"

    # Once the pulse has closed, a click is told so kindly and nothing is stored.
    slack.clock.set(PULSE_CLOSES)
    response = click(slack, "UANA", survey_dm(slack, "UANA", words["useful"]), "survey.pulse.useful.3", owner="UANA")
    [late] = answers_on(slack, response.response_url)
    assert late["response_type"] == "ephemeral" and words["closed"] in late["text"]
    assert stored_answers(slack, "UANA") == {}
    assert failed_listeners(caplog) == []


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_midway_form_opens_errors_inline_saves_and_an_answer_after_the_close_is_refused(
        slack: SandboxedApp, language: str) -> None:
    words = WORDS[language]
    _world(slack, language)
    at(slack, MIDWAY_MORNING)
    invitation = survey_dm(slack, "ULARS", words["midway"])
    _, answer = find_element(invitation, "survey.open")
    assert answer["text"]["text"] == words["answer"]

    click(slack, "ULARS", invitation, "survey.open", owner="ULARS")
    [form] = slack.sandbox.opened_views
    assert form["title"]["text"] == words["midway"]
    questions = [block["block_id"] for block in form["blocks"] if block["type"] == "input"]
    assert questions == ["survey.q.mentor_network", "survey.q.mentor_intercultural", "survey.q.recommend",
                         "survey.comment"]

    def pick(value: str) -> dict[str, Any]:
        return {"type": "radio_buttons", "selected_option": {"value": value}}

    gaps = slack.submit("ULARS", "survey.submit", {"survey.q.mentor_network": {"survey.q.mentor_network": pick("5")}},
                        view_id=form["id"])
    assert gaps.view_errors == ()
    reply = json.loads(gaps.body)
    assert reply["response_action"] == "errors"
    assert reply["errors"] == {"survey.q.mentor_intercultural": words["required"],
                               "survey.q.recommend": words["required"]}
    assert slack.sandbox.view_stack("ULARS") == [form["id"]]  # the form stays open
    assert stored_answers(slack, "ULARS") == {}

    full = {key: {key: pick(value)} for key, value in (("survey.q.mentor_network", "5"),
                                                        ("survey.q.mentor_intercultural", "3"),
                                                        ("survey.q.recommend", "4"))}
    done = slack.submit("ULARS", "survey.submit", full, view_id=form["id"])
    assert done.status == 200 and done.view_errors == () and slack.sandbox.view_stack("ULARS") == []
    assert stored_answers(slack, "ULARS") == {"mentor_network": 5, "mentor_intercultural": 3, "recommend": 4}
    thanked = survey_dm(slack, "ULARS", words["midway"])
    assert words["saved"] in message_text(thanked)

    # Answering again after the close: the form says the survey has closed, and nothing changes.
    click(slack, "ULARS", thanked, "survey.open", owner="ULARS")
    again = slack.sandbox.opened_views[-1]
    initial = [block["element"].get("initial_option", {}).get("value") for block in again["blocks"]
               if block["type"] == "input" and block["block_id"].startswith("survey.q.")]
    assert initial == ["5", "3", "4"]
    slack.clock.set(MIDWAY_CLOSES)
    late = slack.submit("ULARS", "survey.submit", {**full, "survey.q.recommend": {"survey.q.recommend": pick("1")}},
                        view_id=again["id"])
    assert late.view_errors == () and json.loads(late.body)["response_action"] == "update"
    assert words["closed"] in json.dumps(slack.sandbox.view(again["id"]), ensure_ascii=False)
    assert stored_answers(slack, "ULARS")["recommend"] == 4


def test_a_company_contact_declines_and_the_coordinators_get_those_to_ask_by_hand(slack: SandboxedApp) -> None:
    world = _world(slack, "en")
    slack.sandbox.add_user(user_id="USOFIE", name="sofie", email="sofie@example.org", tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        company_contact(session, world, key="sofie", company="Novo <!channel> Nordisk")
        company_contact(session, world, key="bo", company="LEGO", slack=False)
    at(slack, COMPANY_MORNING)
    invitation = survey_dm(slack, "USOFIE", "one question for Novo &lt;!channel&gt; Nordisk")
    click(slack, "USOFIE", invitation, "survey.decline", owner="USOFIE")
    assert "We will not ask you again" in message_text(survey_dm(slack, "USOFIE", "We will not ask you again"))
    [listed] = not_digests(slack.sandbox.messages_in("mentoring-coordinators"))
    text = message_text(listed)
    assert "*Bo*, LEGO (bo@example.org)" in text and "/mentoring-admin outcome Bo" in text
    assert "Sofie" not in text  # she is in Slack: asked there
    for day in range(1, 10):  # she said no: no reminder
        at(slack, COMPANY_MORNING + timedelta(days=day))
    assert len(slack.sandbox.dm_messages("USOFIE")) == 1


PAIRS = 6


def test_simultaneous_pulse_clicks_leave_one_answer_and_both_questions_answered(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    """Run with TEST_DATABASE_URL: on PostgreSQL each click's transaction sees only what was
    committed when it read."""
    _world(slack, "en", pairs=PAIRS)
    at(slack, PULSE_MORNING)
    mentors = ["ULARS", *(f"UMENTOR{number}" for number in range(1, PAIRS))]
    pulses = {user_id: survey_dm(slack, user_id, "How useful") for user_id in mentors}

    def press(user_id: str, action_id: str) -> Any:
        block_id, value = button(pulses[user_id], action_id)
        channel = slack.sandbox.im_channel_for(user_id)
        return lambda: slack.driver.block_action(user_id=user_id, action_id=action_id, value=value,
                                                 block_id=block_id, message=pulses[user_id], channel_id=channel)

    for user_id in mentors:
        responses = simultaneously([press(user_id, "survey.pulse.useful.4"), press(user_id, "survey.pulse.useful.2"),
                                    press(user_id, "survey.pulse.confidence.5")])
        assert all(response.status == 200 for response in responses)
    slack.settle()
    assert failed_listeners(caplog) == []
    for user_id in mentors:
        answers = stored_answers(slack, user_id)
        assert answers["pulse.useful"] in (2, 4) and answers["pulse.confidence"] == 5
    assert answer_rows(slack) == 2 * PAIRS
    with unit_of_work(slack.runtime.session_factory) as session:
        answered = set(session.scalars(select(Participant.slack_user_id).join(
            SurveyInvitation, SurveyInvitation.participant_id == Participant.id
        ).where(SurveyInvitation.answered_at.is_not(None))))
    assert answered == set(mentors)  # both questions in: each mentor's pulse counts as answered, so no reminder
