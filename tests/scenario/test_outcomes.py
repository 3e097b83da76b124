"""The 6-month follow-up and outcomes as Slack sees them, through the signed endpoint against
the fake Slack: each mentee asked in their own daytime and only with consent, in English
and Danish; one reminder; answers from the DM, from `/mentoring outcome` and from a
coordinator; a double submit that leaves one outcome (run with TEST_DATABASE_URL too)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Consent, ConsentPurpose, FollowUp, Outcome, OutcomeSource, OutcomeStatus, SurveyAnswer
from tests.support.answers import button, ephemeral_text, message_text
from tests.support.concurrency import failed_listeners, simultaneously
from tests.support.outcomes import (
    COMPANY_SURVEY_DAY,
    COPENHAGEN_SLOT,
    LOS_ANGELES_SLOT,
    open_company_survey,
    seed_outcome_world,
)

USERS = {"UANA": "Europe/Copenhagen", "UBIRGIT": "Europe/Copenhagen", "UCARLA": "America/Los_Angeles",
         "UDINA": "Europe/Copenhagen", "UEMIL": "Europe/Copenhagen", "USOEREN": "Europe/Copenhagen",
         "UMETTE": "Europe/Copenhagen", "UOLGA": "Europe/Copenhagen", "UOSCAR": "Europe/Copenhagen"}


@pytest.fixture
def ids(slack: SandboxedApp) -> dict[str, int]:
    for user_id, tz in USERS.items():
        slack.sandbox.add_user(user_id=user_id, name=user_id[1:].lower(), tz=tz)
    with unit_of_work(slack.runtime.session_factory) as session:
        return seed_outcome_world(session)


def _values(status: str | None = "employed", started_on: str | None = "2027-09-01", network: str | None = "yes",
            consent: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": {"status": {"type": "radio_buttons", "selected_option": {"value": status} if status else None}},
        "started_on": {"started_on": {"type": "datepicker", "selected_date": started_on}},
        "network": {"network": {"type": "radio_buttons", "selected_option": {"value": network} if network else None}},
    }
    if consent:
        values["consent"] = {"consent": {"type": "checkboxes", "selected_options": [{"value": "agreed"}]}}
    return values


def _follow_ups(slack: SandboxedApp, user_id: str) -> list[dict[str, Any]]:
    """The follow-up DMs (questions and reminders) this person got, answered or not."""
    return [message for message in slack.sandbox.dm_messages(user_id) if "/mentoring outcome" in json.dumps(message)]


def _open_questions(slack: SandboxedApp, user_id: str) -> list[dict[str, Any]]:
    """Those still showing the button, i.e. not answered from there."""
    return [message for message in _follow_ups(slack, user_id) if "outcome.open" in json.dumps(message)]


def _open_from_dm(slack: SandboxedApp, user_id: str) -> dict[str, Any]:
    """Click the newest follow-up DM's button; the modal it opened."""
    dm = _open_questions(slack, user_id)[-1]
    block_id, value = button(dm, "outcome.open")
    opened = len(slack.sandbox.opened_views)
    response = slack.click(user_id, "outcome.open", value=value, block_id=block_id, message=dm,
                           channel_id=slack.sandbox.im_channel_for(user_id))
    assert response.status == 200
    views = slack.sandbox.opened_views
    assert len(views) == opened + 1, "the button opened the modal"
    return views[-1]


def _outcome(slack: SandboxedApp, participant_id: int) -> Outcome | None:
    with slack.runtime.session_factory() as session:
        return session.scalar(select(Outcome).where(Outcome.participant_id == participant_id))


def test_the_follow_up_reaches_each_mentee_in_their_daytime_and_language_and_is_answered(
    slack: SandboxedApp, ids: dict[str, int]
) -> None:
    slack.tick_and_deliver(now=COPENHAGEN_SLOT - timedelta(hours=1))
    assert _follow_ups(slack, "UANA") == []  # 09:00 in Copenhagen: not yet

    slack.tick_and_deliver(now=COPENHAGEN_SLOT)
    [ana_dm] = _follow_ups(slack, "UANA")
    assert "six months since *Spring 2027*" in message_text(ana_dm)
    [birgit_dm] = _follow_ups(slack, "UBIRGIT")
    assert "seks måneder siden" in message_text(birgit_dm) and "Fortæl os" in message_text(birgit_dm)
    # Carla's 10:00 in Los Angeles is hours away; Dina said no; Emil was never matched.
    for user_id in ("UCARLA", "UDINA", "UEMIL", "USOEREN", "UOSCAR"):
        assert _follow_ups(slack, user_id) == [], user_id

    # Ana answers from the DM, in English: a day in the future first, then a real one.
    modal = _open_from_dm(slack, "UANA")
    assert modal["title"]["text"] == "Your situation"
    response = slack.submit("UANA", "outcome.submit", _values(started_on="2027-12-24"), view_id=modal["id"])
    assert response.json()["response_action"] == "errors" and "up to today" in response.json()["errors"]["started_on"]
    assert _outcome(slack, ids["ana"]) is None
    response = slack.submit("UANA", "outcome.submit", _values(), view_id=modal["id"])
    assert response.view_errors == () and "Thank you" in json.dumps(slack.sandbox.view(modal["id"]))
    [answered] = _follow_ups(slack, "UANA")  # the question itself, redrawn
    assert answered["ts"] == ana_dm["ts"] and _open_questions(slack, "UANA") == []
    assert "You told us: *Employed* since 1 September 2027" in message_text(answered)
    outcome = _outcome(slack, ids["ana"])
    assert outcome is not None and outcome.source is OutcomeSource.FOLLOW_UP

    slack.tick_and_deliver(now=LOS_ANGELES_SLOT)
    assert len(_follow_ups(slack, "UCARLA")) == 1

    # A week on: Birgit (who has not answered) gets the one reminder, Ana nothing more.
    slack.tick_and_deliver(now=COPENHAGEN_SLOT + timedelta(days=7))
    assert len(_follow_ups(slack, "UANA")) == 1
    reminders = _follow_ups(slack, "UBIRGIT")
    assert len(reminders) == 2 and "En venlig påmindelse" in message_text(reminders[-1])

    # Birgit answers in Danish: a dated situation needs its day, then it is saved.
    modal = _open_from_dm(slack, "UBIRGIT")
    assert modal["title"]["text"] == "Din situation"
    response = slack.submit("UBIRGIT", "outcome.submit", _values(status="internship", started_on=None),
                            view_id=modal["id"])
    assert response.json()["errors"] == {"started_on": "Hvornår begyndte det? Vælg en dag."}
    slack.submit("UBIRGIT", "outcome.submit", _values(status="internship", started_on="2027-11-01"),
                 view_id=modal["id"])
    assert "Tak! Vi har noteret: *I praktik* siden 1. november 2027" in json.dumps(
        slack.sandbox.view(modal["id"]), ensure_ascii=False)

    for day in range(7, 30):  # Carla's reminder at her 10:00; then it lapses and nobody hears again
        slack.tick_and_deliver(now=COPENHAGEN_SLOT + timedelta(days=day))
        slack.tick_and_deliver(now=LOS_ANGELES_SLOT + timedelta(days=day))
    assert [len(_follow_ups(slack, user_id)) for user_id in ("UANA", "UBIRGIT", "UCARLA")] == [1, 2, 2]
    with slack.runtime.session_factory() as session:
        assert {row.participant_id: row.reminders_sent for row in session.scalars(select(FollowUp))} == {
            ids["ana"]: 0, ids["birgit"]: 1, ids["carla"]: 1}


def test_a_withdrawn_consent_stops_the_reminder(slack: SandboxedApp, ids: dict[str, int]) -> None:
    slack.tick_and_deliver(now=COPENHAGEN_SLOT)
    with unit_of_work(slack.runtime.session_factory) as session:
        consent = session.scalar(select(Consent).where(Consent.participant_id == ids["ana"],
                                                       Consent.purpose == ConsentPurpose.FOLLOW_UP))
        assert consent is not None
        consent.granted = False
    slack.tick_and_deliver(now=COPENHAGEN_SLOT + timedelta(days=7))
    assert len(_follow_ups(slack, "UANA")) == 1
    assert len(_follow_ups(slack, "UBIRGIT")) == 2  # the reminder itself works


def test_a_mentee_reports_any_time_and_a_mentor_is_told_why_not(slack: SandboxedApp, ids: dict[str, int]) -> None:
    slack.clock.set(COPENHAGEN_SLOT - timedelta(days=60))
    response = slack.slash("USOEREN", "/mentoring", "outcome")
    assert "Tak fordi du er mentor" in ephemeral_text(slack, response.response_url)

    opened = len(slack.sandbox.opened_views)
    slack.slash("UEMIL", "/mentoring", "outcome")
    modal = slack.sandbox.opened_views[opened]
    slack.submit("UEMIL", "outcome.submit", _values(status="education", started_on="2027-09-01", network=None),
                 view_id=modal["id"])
    outcome = _outcome(slack, ids["emil"])
    assert outcome is not None and (outcome.status, outcome.source) == (OutcomeStatus.EDUCATION, OutcomeSource.SELF)


def test_a_coordinator_records_by_name_in_danish_with_the_persons_agreement(slack: SandboxedApp,
                                                                             ids: dict[str, int]) -> None:
    slack.clock.set(COPENHAGEN_SLOT)
    response = slack.slash("UMETTE", "/mentoring-admin", "outcome <!here>")
    text = ephemeral_text(slack, response.response_url)
    assert "Ingen i de forløb" in text and "&lt;!here&gt;" in text

    opened = len(slack.sandbox.opened_views)
    slack.slash("UMETTE", "/mentoring-admin", "outcome dina")
    modal = slack.sandbox.opened_views[opened]
    assert modal["title"]["text"] == "Registrér resultat" and modal["callback_id"] == "outcome.admin.submit"
    response = slack.submit("UMETTE", "outcome.admin.submit", _values(status="looking", started_on=None),
                            view_id=modal["id"])
    assert set(response.json()["errors"]) == {"consent"} and _outcome(slack, ids["dina"]) is None
    # Someone else submitting Mette's modal changes nothing (a coordinator, even).
    intruder = slack.driver.view_submission(user_id="UOLGA", callback_id="outcome.admin.submit",
                                            values=_values(status="employed", consent=True), view_id=modal["id"],
                                            apply_response=False)
    slack.settle()
    assert "Dette var til en anden" not in intruder.body and "someone else" in intruder.body
    assert _outcome(slack, ids["dina"]) is None
    slack.submit("UMETTE", "outcome.admin.submit", _values(status="looking", started_on=None, consent=True),
                 view_id=modal["id"])
    assert "Gemt for *Dina Haddad*" in json.dumps(slack.sandbox.view(modal["id"]), ensure_ascii=False)
    outcome = _outcome(slack, ids["dina"])
    assert outcome is not None and outcome.recorded_by == "UMETTE" and outcome.status is OutcomeStatus.LOOKING


def test_a_double_submit_leaves_one_outcome_the_last_winning(slack: SandboxedApp, ids: dict[str, int],
                                                               caplog: pytest.LogCaptureFixture) -> None:
    slack.clock.set(COPENHAGEN_SLOT)
    opened = len(slack.sandbox.opened_views)
    slack.slash("UANA", "/mentoring", "outcome")
    modal = slack.sandbox.opened_views[opened]

    def submit(status: str) -> Any:
        return lambda: slack.driver.view_submission(user_id="UANA", callback_id="outcome.submit",
                                                    values=_values(status=status), view_id=modal["id"],
                                                    apply_response=False)

    for round_number in range(3):  # a few tries, so an interleaving that breaks shows up
        responses = simultaneously([submit("employed"), submit("own_company"), submit("internship")])
        slack.settle()
        assert all(response.status == 200 for response in responses), round_number
        assert all(response.json()["response_action"] == "update" for response in responses)
    assert failed_listeners(caplog) == []
    with slack.runtime.session_factory() as session:
        rows = session.scalars(select(Outcome)).all()
    assert len(rows) == 1 and rows[0].participant_id == ids["ana"]
    assert rows[0].status in (OutcomeStatus.EMPLOYED, OutcomeStatus.OWN_COMPANY, OutcomeStatus.INTERNSHIP)


def test_a_coordinators_double_submit_records_one_consent_and_one_outcome(
    slack: SandboxedApp, ids: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """Dina never answered the follow-up question in onboarding: both submits would add her
    consent row; the participant lock makes the second find the first's."""
    slack.clock.set(COPENHAGEN_SLOT)
    with unit_of_work(slack.runtime.session_factory) as session:
        session.execute(delete(Consent).where(Consent.participant_id == ids["dina"]))
    opened = len(slack.sandbox.opened_views)
    slack.slash("UMETTE", "/mentoring-admin", "outcome dina")
    modal = slack.sandbox.opened_views[opened]

    def submit(status: str) -> Any:
        return lambda: slack.driver.view_submission(user_id="UMETTE", callback_id="outcome.admin.submit",
                                                    values=_values(status=status, started_on=None, consent=True),
                                                    view_id=modal["id"], apply_response=False)

    responses = simultaneously([submit("looking"), submit("other")])
    slack.settle()
    assert [response.json()["response_action"] for response in responses] == ["update", "update"]
    assert failed_listeners(caplog) == []
    with slack.runtime.session_factory() as session:
        consents = session.scalars(select(Consent).where(Consent.participant_id == ids["dina"])).all()
        outcomes = session.scalars(select(Outcome)).all()
    assert [(consent.purpose, consent.granted) for consent in consents] == [(ConsentPurpose.FOLLOW_UP, True)]
    assert len(outcomes) == 1 and outcomes[0].status in (OutcomeStatus.LOOKING, OutcomeStatus.OTHER)


def test_a_coordinator_enters_a_company_contacts_answers_and_a_double_submit_keeps_one_of_each(
    slack: SandboxedApp, ids: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """Frida is not in Slack: Mette calls her and enters her answers, in Danish. Two submits
    at once leave one answer per question and one consent (run with TEST_DATABASE_URL)."""
    slack.clock.set(COMPANY_SURVEY_DAY)
    with unit_of_work(slack.runtime.session_factory) as session:
        survey_id = open_company_survey(session, ids["firma"])
    opened = len(slack.sandbox.opened_views)
    slack.slash("UMETTE", "/mentoring-admin", "outcome Frida Firma")
    modal = slack.sandbox.opened_views[opened]
    assert modal["callback_id"] == "outcome.company.submit" and "Nordisk Byg A/S" in json.dumps(modal)

    def submit(value: str) -> Any:
        values: dict[str, Any] = {
            "company_retention": {"company_retention": {"type": "radio_buttons", "selected_option": {"value": value}}},
            "comment": {"comment": {"type": "plain_text_input", "value": f"Svar {value}"}},
            "consent": {"consent": {"type": "checkboxes", "selected_options": [{"value": "agreed"}]}},
        }
        return lambda: slack.driver.view_submission(user_id="UMETTE", callback_id="outcome.company.submit",
                                                    values=values, view_id=modal["id"], apply_response=False)

    responses = simultaneously([submit("4"), submit("5")])
    slack.settle()
    assert [response.json()["response_action"] for response in responses] == ["update", "update"]
    assert "er gemt" in responses[0].body
    assert failed_listeners(caplog) == []
    with slack.runtime.session_factory() as session:
        answers = session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey_id)).all()
        consents = session.scalars(select(Consent).where(Consent.participant_id == ids["firma"])).all()
    by_question = {answer.question: (answer.value, answer.text) for answer in answers}
    assert len(answers) == 2 and by_question in ({"company_retention": (4, None), "comment": (None, "Svar 4")},
                                                 {"company_retention": (5, None), "comment": (None, "Svar 5")})
    assert [(consent.purpose, consent.granted) for consent in consents] == [(ConsentPurpose.EVALUATION, True)]
