"""The survey DMs, the form and the coordinators' list as Block Kit: what they say in English
and Danish, what their buttons and forms carry back, Slack's limits, and typed text escaped."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest

from bot.sandbox._blocks import validate_message_blocks, validate_view
from bot.slack.render.surveys import (
    COMMENT_BLOCK,
    CONSENT_BLOCK,
    DECLINE_ACTION,
    OPEN_ACTION,
    PULSE_ACTION_PATTERN,
    SUBMIT_CALLBACK,
    FormPlace,
    company_contacts_to_ask_message,
    form_errors,
    parse_invitation_value,
    parse_pulse_value,
    parse_survey_metadata,
    read_survey_form,
    survey_declined_message,
    survey_invitation_message,
    survey_metadata,
    survey_modal,
    survey_notice_view,
    survey_refusal_message,
)
from bot.surveys.notices import CompanyContactsToAskFacts, ContactToAsk, Question, SurveyFacts, SurveyInvitationFacts
from bot.surveys.service import COMMENT_MAX_LENGTH, PULSE_CONFIDENCE, PULSE_USEFUL, AnswerStatus
from storage.models import Role, SurveyKind
from tests.support.mrkdwn import HOSTILE, live_sequences, rendered_texts

UTC = timezone.utc
PULSE_CLOSES = datetime(2027, 3, 14, 23, 0, tzinfo=UTC)  # midnight starting 15 March in Copenhagen
MIDWAY_CLOSES = datetime(2027, 4, 7, 17, 0, tzinfo=UTC)  # 19:00 in Copenhagen
MODAL_VIEW = frozenset({"modal"})


def pulse(**changes: Any) -> SurveyFacts:
    base = SurveyFacts(
        invitation_id=7, kind=SurveyKind.PULSE, number=1, role=Role.MENTEE, programme="Career Mentoring",
        round_name="Spring 2027", closes_at=PULSE_CLOSES, timezone="Europe/Copenhagen",
        questions=(Question(key=PULSE_USEFUL), Question(key=PULSE_CONFIDENCE)),
    )
    return replace(base, **changes)


def form(kind: SurveyKind = SurveyKind.MIDWAY, **changes: Any) -> SurveyFacts:
    base = SurveyFacts(
        invitation_id=9, kind=kind, number=1, role=Role.MENTOR, programme="Career Mentoring",
        round_name="Spring 2027", closes_at=MIDWAY_CLOSES, timezone="Europe/Copenhagen",
        questions=(
            Question(key="mentor_network", statement_en="Taking part has developed my network.",
                     statement_da="Deltagelsen har udviklet mit netværk."),
            Question(key="recommend", statement_en="data wording", statement_da="data ordlyd", value=4),
        ),
    )
    return replace(base, **changes)


def dm(facts: SurveyFacts, language: str = "en", reminder: int = 0) -> dict[str, Any]:
    message = survey_invitation_message(SurveyInvitationFacts(survey=facts, reminder=reminder), language)
    assert validate_message_blocks(message.blocks) == []
    return {"text": message.text, "blocks": message.blocks}


def said(message: dict[str, Any]) -> str:
    return message["text"] + json.dumps(message["blocks"], ensure_ascii=False)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [element for block in message["blocks"] if block["type"] == "actions" for element in block["elements"]]


# --- the pulse --------------------------------------------------------------------------------------------


def test_a_pulse_asks_two_questions_with_five_buttons_each_and_the_closing_day() -> None:
    message = dm(pulse())
    text = said(message)
    assert "How useful are your 1:1 sessions so far?" in text
    assert "How confident do you feel about your job search right now?" in text
    assert "helping your mentee" not in text
    assert "Open until 14 March 2027" in text  # closes at midnight: the day before is the last
    assert "never with your name" in text
    scale = [element for element in buttons(message) if element["action_id"].startswith("survey.pulse.")]
    assert [element["text"]["text"] for element in scale[:5]] == ["1 · not at all", "2", "3", "4", "5 · very"]
    assert len(scale) == 10 and not any("style" in element for element in scale)
    assert all(re.match(PULSE_ACTION_PATTERN, element["action_id"]) for element in scale)
    assert parse_pulse_value(scale[3]["value"]) == (7, PULSE_USEFUL, 4)
    assert parse_pulse_value(scale[9]["value"]) == (7, PULSE_CONFIDENCE, 5)
    [comment] = [element for element in buttons(message) if element["action_id"] == OPEN_ACTION]
    assert comment["text"]["text"] == "Add a comment" and parse_invitation_value(comment["value"]) == 7


def test_a_mentor_is_asked_about_helping_and_the_chosen_answer_is_marked() -> None:
    facts = pulse(role=Role.MENTOR, questions=(Question(key=PULSE_USEFUL, value=2), Question(key=PULSE_CONFIDENCE)))
    message = dm(facts)
    assert "How confident do you feel about helping your mentee right now?" in said(message)
    styled = [element["action_id"] for element in buttons(message) if element.get("style") == "primary"]
    assert styled == ["survey.pulse.useful.2"]
    answered = dm(pulse(answered=True, comment="Nice", questions=(Question(key=PULSE_USEFUL, value=2),
                                                                    Question(key=PULSE_CONFIDENCE, value=5))))
    text = said(answered)
    assert "Thank you! Your answers are saved. You can change them until 14 March 2027" in text
    assert "Your comment is saved." in text and "Change your comment" in text


def test_the_pulse_reminder_is_kind_and_the_last_and_danish_says_it_in_danish() -> None:
    assert "the last one for this pulse check" in said(dm(pulse(), reminder=1))
    danish = said(dm(pulse(role=Role.MENTOR), "da"))
    assert "Pulsmåling 1" in danish and "Hvor nyttige er jeres 1:1-møder" in danish
    assert "hjælpe din mentee" in danish and "Åben til og med 14. marts 2027" in danish
    assert "1 · slet ikke" in danish and "5 · meget" in danish
    assert "sidste" in said(dm(pulse(), "da", reminder=1))


def test_a_closed_pulse_keeps_its_answers_but_offers_no_comment() -> None:
    message = dm(pulse(closed=True))
    assert "This survey has closed" in said(message)
    assert OPEN_ACTION not in [element["action_id"] for element in buttons(message)]


# --- midway, final, company -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [SurveyKind.MIDWAY, SurveyKind.FINAL])
def test_midway_and_final_explain_and_open_the_form_with_two_reminders(kind: SurveyKind) -> None:
    first, second, last = (said(dm(form(kind), reminder=n)) for n in (0, 1, 2))
    assert "Answer (2 minutes)" in first and "only ever shown in totals, never with your name" in first
    assert "Open until 7 Apr 2027, 19:00" in first  # a survey closing at 19:00 says so, in the person's zone
    assert "friendly reminder" in second and "last reminder" in last
    assert len({first, second, last}) == 3
    [answer] = buttons(dm(form(kind)))
    assert answer["action_id"] == OPEN_ACTION and answer["value"] == "9" and answer["style"] == "primary"
    answered = dm(form(kind, answered=True))
    assert "Change my answers" in said(answered) and "You can change them until 7 Apr 2027, 19:00" in said(answered)
    danish = said(dm(form(kind), "da"))
    assert "Svar (2 minutter)" in danish and "aldrig med dit navn" in danish
    assert ("midtvejsmødet" if kind is SurveyKind.MIDWAY else "vil anbefale") in danish


def test_a_company_contact_hears_the_purpose_and_may_say_no_thanks() -> None:
    facts = form(SurveyKind.COMPANY, role=Role.COMPANY_CONTACT, company="Novo Nordisk", consent_needed=True)
    message = dm(facts)
    text = said(message)
    assert "one question for Novo Nordisk" in text and "consent" in text and "No thanks" in text
    assert [element["action_id"] for element in buttons(message)] == [OPEN_ACTION, DECLINE_ACTION]
    assert "samtykke" in said(dm(facts, "da")) and "Nej tak" in said(dm(facts, "da"))
    assert "No thanks" not in said(dm(replace(facts, answered=True)))
    declined = survey_declined_message(facts, "en")
    assert "We will not ask you again" in declined.text + json.dumps(declined.blocks)
    assert [element["action_id"] for element in buttons({"blocks": declined.blocks})] == [OPEN_ACTION]


# --- the form ---------------------------------------------------------------------------------------------


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("kind", list(SurveyKind))
def test_every_form_fits_slacks_limits(kind: SurveyKind, language: str) -> None:
    facts = form(kind, role=Role.COMPANY_CONTACT if kind is SurveyKind.COMPANY else Role.MENTOR,
                 consent_needed=True, comment="x" * 3000)
    view = survey_modal(facts, language=language, channel_id="D123", message_ts="1.2")
    assert validate_view(view, allowed_types=MODAL_VIEW) == []
    assert view["callback_id"] == SUBMIT_CALLBACK
    comment = _inputs(view)[COMMENT_BLOCK]["element"]
    assert comment["max_length"] == COMMENT_MAX_LENGTH and len(comment["initial_value"]) == COMMENT_MAX_LENGTH


def test_the_form_rates_each_statement_on_the_agree_scale_prefilled_from_the_record() -> None:
    view = survey_modal(form(), language="en", channel_id="D123", message_ts="1.2")
    inputs = _inputs(view)
    assert list(inputs) == ["survey.q.mentor_network", "survey.q.recommend", COMMENT_BLOCK]
    network = inputs["survey.q.mentor_network"]
    assert network["label"]["text"] == "Taking part has developed my network." and "optional" not in network
    radio = network["element"]
    assert radio["type"] == "radio_buttons" and "initial_option" not in radio
    assert [option["text"]["text"] for option in radio["options"]] == [
        "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
    assert [option["value"] for option in radio["options"]] == ["1", "2", "3", "4", "5"]
    recommend = inputs["survey.q.recommend"]
    assert recommend["label"]["text"] == "I would recommend taking part in the programme to others."  # catalog words
    assert recommend["element"]["initial_option"]["value"] == "4"
    assert inputs[COMMENT_BLOCK]["optional"] is True and CONSENT_BLOCK not in inputs
    assert parse_survey_metadata(view["private_metadata"]) == FormPlace(invitation_id=9, channel_id="D123",
                                                                        message_ts="1.2")
    danish = survey_modal(form(), language="da")
    assert _inputs(danish)["survey.q.mentor_network"]["label"]["text"] == "Deltagelsen har udviklet mit netværk."
    assert _inputs(danish)["survey.q.recommend"]["label"]["text"] == "Jeg vil anbefale andre at deltage i programmet."
    assert danish["title"]["text"] == "Midtvejsevaluering"


def test_a_pulse_form_has_the_comment_only_and_a_company_form_asks_for_consent_until_given() -> None:
    comment_only = survey_modal(pulse(comment="So far so good"), language="en")
    assert list(_inputs(comment_only)) == [COMMENT_BLOCK]
    assert _inputs(comment_only)[COMMENT_BLOCK]["element"]["initial_value"] == "So far so good"
    company = form(SurveyKind.COMPANY, role=Role.COMPANY_CONTACT, company="Novo", consent_needed=True,
                   questions=(Question(key="company_retention", statement_en="We keep them.", statement_da="Ja."),))
    consent = _inputs(survey_modal(company, language="en"))[CONSENT_BLOCK]
    assert "optional" not in consent and consent["element"]["type"] == "checkboxes"
    assert consent["element"]["options"][0]["text"]["text"] == (
        "I agree my answer is used anonymously for the programme's evaluation")
    assert "samtykke" in json.dumps(survey_modal(company, language="da"), ensure_ascii=False)
    assert CONSENT_BLOCK not in _inputs(survey_modal(replace(company, consent_needed=False), language="en"))


def test_what_a_submitted_form_says_is_read_back_and_errors_land_under_their_boxes() -> None:
    values = {
        "survey.q.mentor_network": {"a": {"type": "radio_buttons", "selected_option": {"value": "5"}}},
        "survey.q.recommend": {"a": {"type": "radio_buttons", "selected_option": None}},
        "survey.q.odd": {"a": {"type": "radio_buttons", "selected_option": {"value": "²"}}},
        COMMENT_BLOCK: {COMMENT_BLOCK: {"type": "plain_text_input", "value": "Thanks!"}},
        CONSENT_BLOCK: {CONSENT_BLOCK: {"type": "checkboxes", "selected_options": [{"value": "agree"}]}},
    }
    submitted = read_survey_form(values)
    assert submitted.values == {"mentor_network": 5, "recommend": None, "odd": None}
    assert submitted.comment == "Thanks!" and submitted.consent is True
    assert read_survey_form({CONSENT_BLOCK: {CONSENT_BLOCK: {"selected_options": []}}}).consent is False
    assert read_survey_form({}).consent is None and read_survey_form({}).comment is None
    errors = form_errors({"recommend": "required", "comment": "too_long", "consent": "required", "x": "invalid"}, "en")
    assert errors == {"survey.q.recommend": "Please choose an answer.",
                      COMMENT_BLOCK: f"Please keep the comment under {COMMENT_MAX_LENGTH} characters.",
                      CONSENT_BLOCK: "Please tick the box to agree, or close this form and press No thanks in my "
                                     "message.",
                      "survey.q.x": "Please choose one of the answers."}
    assert form_errors({"recommend": "required"}, "da") == {"survey.q.recommend": "Vælg venligst et svar."}


@pytest.mark.parametrize("text", [None, "", "x", "{}", "[1]", '{"invitation": "x"}', '{"invitation": -1}',
                                  '{"invitation": 99999999999999999999999}'])
def test_metadata_a_form_did_not_get_from_us_is_no_invitation(text: str | None) -> None:
    assert parse_survey_metadata(text) is None


def test_metadata_without_a_message_still_names_the_invitation() -> None:
    assert parse_survey_metadata(survey_metadata(FormPlace(invitation_id=3))) == FormPlace(invitation_id=3)
    assert parse_survey_metadata('{"invitation": 3, "channel": 5, "ts": "1"}') == FormPlace(invitation_id=3)


@pytest.mark.parametrize("value", [None, "", "7", "7|pulse.useful", "x|pulse.useful|3", "7||3", "7|pulse.useful|x",
                                   "7|pulse.useful|3|1"])
def test_a_pulse_value_this_bot_did_not_write_is_refused(value: str | None) -> None:
    assert parse_pulse_value(value) is None


# --- refusals and the coordinators' list ------------------------------------------------------------------


def test_every_refusal_is_specific_in_both_languages() -> None:
    closed = survey_refusal_message(status=AnswerStatus.CLOSED, language="en")
    assert "This survey has closed" in closed.text
    assert "lukket" in survey_refusal_message(status=AnswerStatus.CLOSED, language="da").text
    assert "someone else" in survey_refusal_message(status=AnswerStatus.NOT_YOURS, language="en").text
    assert "welcome message" in survey_refusal_message(status=AnswerStatus.NO_CONSENT, language="en").text
    texts = {survey_refusal_message(status=status, language="en").text for status in AnswerStatus}
    assert len(texts) == len(AnswerStatus)
    view = survey_notice_view(status=AnswerStatus.CLOSED, language="da")
    assert validate_view(view, allowed_types=MODAL_VIEW) == [] and "submit" not in view


def test_the_coordinators_get_each_contact_with_how_to_record_the_answer() -> None:
    facts = CompanyContactsToAskFacts(
        programme="Career Mentoring", round_name="Spring 2027", closes_at=datetime(2027, 6, 22, 22, 0, tzinfo=UTC),
        timezone="Europe/Copenhagen",
        contacts=(ContactToAsk(name="Sofie Holm", email="sofie@novo.example", company="Novo Nordisk", mentees=1),
                  ContactToAsk(name="Bo Berg", email="bo@lego.example", company="LEGO", mentees=2)),
    )
    message = company_contacts_to_ask_message(facts, "en")
    assert validate_message_blocks(message.blocks) == []
    text = message.text + json.dumps(message.blocks, ensure_ascii=False)
    assert "2 company contacts are not in Slack" in text and "(22 June 2027)" in text
    assert "*Sofie Holm*, Novo Nordisk (sofie@novo.example): the partner of 1 mentee works there" in text
    assert "the partners of 2 mentees work there" in text
    assert "`/mentoring-admin outcome Sofie Holm`" in text
    danish = company_contacts_to_ask_message(replace(facts, contacts=facts.contacts[:1]), "da")
    danish_text = danish.text + json.dumps(danish.blocks, ensure_ascii=False)
    assert "1 virksomhedskontakt er ikke på Slack" in danish_text and "22. juni 2027" in danish_text
    many = company_contacts_to_ask_message(replace(facts, contacts=facts.contacts * 400), "en")
    assert validate_message_blocks(many.blocks) == [] and "more contacts" in json.dumps(many.blocks)


def test_typed_text_comes_out_escaped_and_statements_stay_plain_text() -> None:
    facts = form(SurveyKind.COMPANY, role=Role.COMPANY_CONTACT, company=HOSTILE, programme=HOSTILE,
                 round_name=HOSTILE, consent_needed=True,
                 questions=(Question(key="company_retention", statement_en=HOSTILE, statement_da=HOSTILE),))
    message = survey_invitation_message(SurveyInvitationFacts(survey=facts), "en")
    for _where, text in rendered_texts(text=message.text, blocks=message.blocks):
        assert live_sequences(text) == []
    assert "&lt;!channel&gt;" in message.text and "AT&amp;T" in json.dumps(message.blocks)
    view = survey_modal(facts, language="en")
    label = _inputs(view)["survey.q.company_retention"]["label"]
    assert label == {"type": "plain_text", "text": HOSTILE, "emoji": True}  # plain text: Slack reads no mention there
    assert "&lt;!channel&gt;" in view["blocks"][0]["text"]["text"]
