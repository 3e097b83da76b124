"""`/mentoring outcome`, `/mentoring-admin outcome NAME`, the follow-up DM's button and the
outcome modal's submission, called as Bolt would."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.container import Deps
from handlers.actions.outcome_open import handle_outcome_open
from handlers.commands.mentoring import handle_mentoring
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.views.outcome_company_submit import handle_company_answer_submit
from handlers.views.outcome_submit import handle_admin_outcome_submit, handle_outcome_submit
from storage.db import unit_of_work
from storage.models import Consent, ConsentPurpose, Outcome, OutcomeSource, OutcomeStatus, SurveyAnswer
from tests.support.handlers import FakeClient, Recorder, call_listener, only_ephemeral
from tests.support.mrkdwn import HOSTILE
from tests.support.outcomes import COMPANY_SURVEY_DAY, COPENHAGEN_SLOT, seed_outcome_world

LOG = logging.getLogger("test")


@pytest.fixture
def ids(session_factory: sessionmaker[Session], clock: FixedClock) -> dict[str, int]:
    clock.set(COPENHAGEN_SLOT)
    with unit_of_work(session_factory) as session:
        return seed_outcome_world(session)


def _command(deps: Deps, handler: Any, *, command: str, user_id: str, text: str) -> tuple[list[str], Recorder,
                                                                                          FakeClient]:
    order: list[str] = []
    client = FakeClient(order)
    ack, respond = Recorder(order, "ack"), Recorder(order, "respond")
    payload = {"command": command, "text": text, "user_id": user_id, "channel_id": "D1", "trigger_id": "T1"}
    call_listener(handler, deps=deps, user_id=user_id, ack=ack, command=payload, respond=respond, client=client,
                  logger=LOG)
    return order, respond, client


def _mentoring(deps: Deps, user_id: str, text: str = "outcome") -> tuple[list[str], Recorder, FakeClient]:
    return _command(deps, handle_mentoring, command="/mentoring", user_id=user_id, text=text)


def _admin(deps: Deps, user_id: str, text: str) -> tuple[list[str], Recorder, FakeClient]:
    return _command(deps, handle_mentoring_admin, command="/mentoring-admin", user_id=user_id, text=text)


def _opened(client: FakeClient) -> dict[str, Any]:
    calls = client.made("views.open")
    assert len(calls) == 1 and calls[0]["trigger_id"] == "T1"
    view: dict[str, Any] = calls[0]["view"]
    return view


def _values(status: str | None = "employed", started_on: str | None = "2027-09-01", network: str | None = "yes",
            consent: bool | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": {"status": {"type": "radio_buttons",
                              "selected_option": {"value": status} if status else None}},
        "started_on": {"started_on": {"type": "datepicker", "selected_date": started_on}},
        "network": {"network": {"type": "radio_buttons",
                                "selected_option": {"value": network} if network else None}},
    }
    if consent is not None:  # the coordinator's form has the box; Slack sends it ticked or not
        values["consent"] = {"consent": {"type": "checkboxes",
                                         "selected_options": [{"value": "agreed"}] if consent else []}}
    return values


def _submit(deps: Deps, *, user_id: str, participant_id: int, values: dict[str, Any], source: str = "self",
            opened_by: str | None = None, admin: bool = False, channel: str | None = None,
            ts: str | None = None) -> tuple[Recorder, FakeClient, bool]:
    order: list[str] = []
    ack, client = Recorder(order, "ack"), FakeClient(order)
    metadata = {"p": participant_id, "src": source, "by": opened_by or user_id, "ch": channel, "ts": ts}
    view = {"callback_id": "outcome.admin.submit" if admin else "outcome.submit",
            "private_metadata": json.dumps(metadata), "state": {"values": values}}
    listener = handle_admin_outcome_submit if admin else handle_outcome_submit
    ran = call_listener(listener, deps=deps, user_id=user_id, ack=ack, client=client,
                        body={"type": "view_submission", "user": {"id": user_id}, "view": view}, view=view,
                        logger=LOG)
    return ack, client, ran


def _outcome(session_factory: sessionmaker[Session], participant_id: int) -> Outcome | None:
    with session_factory() as session:
        return session.scalar(select(Outcome).where(Outcome.participant_id == participant_id))


def test_a_mentee_opens_their_own_form_in_their_language(deps: Deps, ids: dict[str, int]) -> None:
    order, respond, client = _mentoring(deps, "UANA")
    assert order == ["ack", "views.open"] and respond.calls == []
    view = _opened(client)
    assert view["callback_id"] == "outcome.submit" and view["title"]["text"] == "Your situation"
    assert json.loads(view["private_metadata"]) == {"p": ids["ana"], "src": "self", "by": "UANA", "ch": None,
                                                    "ts": None}
    assert [option["value"] for option in view["blocks"][1]["element"]["options"]] == [
        "employed", "internship", "own_company", "education", "looking", "other"]
    assert "consent" not in {block.get("block_id") for block in view["blocks"]}  # she agreed in onboarding

    _, _, danish = _mentoring(deps, "UBIRGIT")
    danish_view = _opened(danish)
    assert danish_view["title"]["text"] == "Din situation"
    labels = [option["text"]["text"] for option in danish_view["blocks"][1]["element"]["options"]]
    assert labels == ["I job", "I praktik", "Egen virksomhed", "Under uddannelse", "Søger stadig", "Andet"]


def test_a_mentor_is_told_kindly_that_the_outcome_is_the_mentees(deps: Deps, ids: dict[str, int]) -> None:
    order, respond, client = _mentoring(deps, "USOEREN")
    assert order == ["ack", "respond"] and client.made("views.open") == []
    assert "Tak fordi du er mentor" in only_ephemeral(respond)


def test_a_coordinator_names_a_mentee_and_gets_the_form_with_the_consent_box(deps: Deps, ids: dict[str, int]) -> None:
    _, _, client = _admin(deps, "UMETTE", "outcome  dina")
    view = _opened(client)
    assert view["callback_id"] == "outcome.admin.submit"
    assert json.loads(view["private_metadata"])["src"] == "coordinator"
    consent = next(block for block in view["blocks"] if block.get("block_id") == "consent")
    assert consent["optional"] is False and "Dina Haddad" in consent["label"]["text"]


def test_a_name_that_fits_nobody_or_several_is_answered_with_the_text_escaped(deps: Deps,
                                                                              ids: dict[str, int]) -> None:
    order, respond, client = _admin(deps, "UMETTE", f"outcome {HOSTILE}")
    assert order == ["ack", "respond"] and client.made("views.open") == []
    text = only_ephemeral(respond)
    assert "Ingen i de forløb" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text
    _, respond, client = _admin(deps, "UADMIN", "outcome ana")
    text = only_ephemeral(respond)
    assert "Ana Souza (mentee, Spring 2027)" in text and "Oscar Ana Lima (mentee, Autumn 2027)" in text
    assert client.made("views.open") == []


def test_participants_may_not_record_for_others(deps: Deps, ids: dict[str, int]) -> None:
    _, respond, client = _admin(deps, "UANA", "outcome dina")
    assert client.made("views.open") == [] and "coordinators" in only_ephemeral(respond)


def _click(deps: Deps, *, user_id: str, value: str) -> tuple[list[str], Recorder, FakeClient]:
    order: list[str] = []
    client = FakeClient(order)
    ack, respond = Recorder(order, "ack"), Recorder(order, "respond")
    body = {"type": "block_actions", "user": {"id": user_id}, "trigger_id": "T1", "response_url": "https://r",
            "channel": {"id": "DANA"}, "message": {"ts": "171.5"}}
    call_listener(handle_outcome_open, deps=deps, user_id=user_id, ack=ack, body=body,
                  action={"action_id": "outcome.open", "value": value}, respond=respond, client=client, logger=LOG)
    return order, respond, client


def test_the_follow_up_button_opens_the_form_remembering_the_dm(deps: Deps, ids: dict[str, int]) -> None:
    order, _, client = _click(deps, user_id="UANA", value=str(ids["ana"]))
    assert order == ["ack", "views.open"]
    metadata = json.loads(_opened(client)["private_metadata"])
    assert metadata == {"p": ids["ana"], "src": "follow_up", "by": "UANA", "ch": "DANA", "ts": "171.5"}


def test_someone_elses_button_opens_nothing(deps: Deps, ids: dict[str, int]) -> None:
    order, respond, client = _click(deps, user_id="UCARLA", value=str(ids["ana"]))
    assert order == ["ack", "respond"] and client.made("views.open") == []
    assert "someone else" in only_ephemeral(respond)
    _, respond, _ = _click(deps, user_id="UANA", value="not-a-number")
    assert "nothing was saved" in only_ephemeral(respond)


def test_a_follow_up_answer_is_saved_thanked_and_the_dm_redrawn(deps: Deps, ids: dict[str, int],
                                                                session_factory: sessionmaker[Session]) -> None:
    ack, client, _ = _submit(deps, user_id="UANA", participant_id=ids["ana"], values=_values(), source="follow_up",
                             channel="DANA", ts="171.5")
    answer = ack.calls[0]
    assert answer["response_action"] == "update" and "Thank you" in json.dumps(answer["view"])
    [update] = client.made("chat.update")
    assert update["channel"] == "DANA" and update["ts"] == "171.5" and "Employed" in update["text"]
    assert "outcome.open" not in json.dumps(update["blocks"])  # no button left to click
    outcome = _outcome(session_factory, ids["ana"])
    assert outcome is not None and outcome.status is OutcomeStatus.EMPLOYED
    assert (outcome.started_on, outcome.network_helped, outcome.source) == (date(2027, 9, 1), True,
                                                                            OutcomeSource.FOLLOW_UP)


def test_a_bad_day_gets_an_inline_error_and_stores_nothing(deps: Deps, ids: dict[str, int],
                                                           session_factory: sessionmaker[Session]) -> None:
    ack, client, _ = _submit(deps, user_id="UANA", participant_id=ids["ana"], values=_values(started_on="2028-01-01"))
    assert ack.calls[0]["response_action"] == "errors"
    assert ack.calls[0]["errors"] == {"started_on": "Pick a day up to today. If it starts later, tell us once it "
                                                    "has begun."}
    ack, _, _ = _submit(deps, user_id="UBIRGIT", participant_id=ids["birgit"], values=_values(started_on=None))
    assert ack.calls[0]["errors"] == {"started_on": "Hvornår begyndte det? Vælg en dag."}
    ack, _, _ = _submit(deps, user_id="UANA", participant_id=ids["ana"], values=_values(status=None))
    assert set(ack.calls[0]["errors"]) == {"status"}
    assert _outcome(session_factory, ids["ana"]) is None and client.made("chat.update") == []


def test_a_form_submitted_by_anyone_but_its_opener_changes_nothing(deps: Deps, ids: dict[str, int],
                                                                   session_factory: sessionmaker[Session]) -> None:
    ack, _, _ = _submit(deps, user_id="UCARLA", participant_id=ids["ana"], values=_values(), opened_by="UANA")
    assert ack.calls[0]["response_action"] == "update" and "someone else" in json.dumps(ack.calls[0]["view"])
    ack, _, _ = _submit(deps, user_id="UCARLA", participant_id=ids["ana"], values=_values())  # her own metadata
    assert "someone else" in json.dumps(ack.calls[0]["view"])
    # A mentee's form passed off as a coordinator's (or the other way round) is refused too.
    ack, _, _ = _submit(deps, user_id="UANA", participant_id=ids["ana"], values=_values(), source="coordinator")
    assert "someone else" in json.dumps(ack.calls[0]["view"])
    assert _outcome(session_factory, ids["ana"]) is None


def test_a_coordinator_records_with_the_persons_agreement(deps: Deps, ids: dict[str, int],
                                                          session_factory: sessionmaker[Session]) -> None:
    ack, _, _ = _submit(deps, user_id="UMETTE", participant_id=ids["dina"],
                        values=_values(started_on=None, consent=False), source="coordinator", admin=True)
    assert ack.calls[0]["errors"] == {"consent": "Sæt flueben, når de har sagt ja; spørg dem først, hvis du er i tvivl."}
    ack, _, _ = _submit(deps, user_id="UMETTE", participant_id=ids["dina"],
                        values=_values(started_on=None, network="not_sure", consent=True), source="coordinator",
                        admin=True)
    assert ack.calls[0]["response_action"] == "update" and "Gemt for *Dina Haddad*" in json.dumps(
        ack.calls[0]["view"], ensure_ascii=False)
    outcome = _outcome(session_factory, ids["dina"])
    assert outcome is not None and outcome.recorded_by == "UMETTE" and outcome.network_helped is None
    with session_factory() as session:
        consent = session.scalar(select(Consent).where(Consent.participant_id == ids["dina"],
                                                       Consent.purpose == ConsentPurpose.FOLLOW_UP))
        assert consent is not None and consent.granted
    # Olga coordinates another round: refused whole, nothing changed.
    ack, _, _ = _submit(deps, user_id="UOLGA", participant_id=ids["ana"], values=_values(consent=True),
                        source="coordinator", admin=True)
    assert "do not coordinate" in json.dumps(ack.calls[0]["view"]) and _outcome(session_factory, ids["ana"]) is None


def test_only_coordinators_reach_the_coordinators_submission(deps: Deps, ids: dict[str, int],
                                                             session_factory: sessionmaker[Session]) -> None:
    _, _, ran = _submit(deps, user_id="UANA", participant_id=ids["dina"], values=_values(consent=True),
                        source="coordinator", admin=True)
    assert not ran and _outcome(session_factory, ids["dina"]) is None


def _company_values(value: str | None = "4", comment: str | None = "Godt <!channel>", consent: bool = True
                    ) -> dict[str, Any]:
    values: dict[str, Any] = {
        "company_retention": {"company_retention": {"type": "radio_buttons",
                                                    "selected_option": {"value": value} if value else None}},
        "comment": {"comment": {"type": "plain_text_input", "value": comment}},
    }
    if consent is not None:  # the coordinator's form has the box; Slack sends it ticked or not
        values["consent"] = {"consent": {"type": "checkboxes",
                                         "selected_options": [{"value": "agreed"}] if consent else []}}
    return values


def _company_submit(deps: Deps, *, user_id: str, participant_id: int, values: dict[str, Any],
                    opened_by: str | None = None) -> tuple[Recorder, bool]:
    ack = Recorder([], "ack")
    view = {"callback_id": "outcome.company.submit",
            "private_metadata": json.dumps({"p": participant_id, "by": opened_by or user_id}),
            "state": {"values": values}}
    ran = call_listener(handle_company_answer_submit, deps=deps, user_id=user_id, ack=ack,
                        body={"type": "view_submission", "user": {"id": user_id}, "view": view}, view=view,
                        logger=LOG)
    return ack, ran


def test_a_company_contacts_answers_are_entered_by_hand(deps: Deps, ids: dict[str, int], clock: FixedClock,
                                                        session_factory: sessionmaker[Session]) -> None:
    clock.set(COMPANY_SURVEY_DAY - timedelta(days=10))
    _, respond, client = _admin(deps, "UMETTE", "outcome frida")  # the round is not over: the survey is not open
    assert client.made("views.open") == [] and "åbner den 1. juni 2027" in only_ephemeral(respond)
    clock.set(COMPANY_SURVEY_DAY)  # open now, though no tick opened it: the entry opens it as planned
    _, _, client = _admin(deps, "UMETTE", "outcome frida")
    view = _opened(client)
    assert view["callback_id"] == "outcome.company.submit" and view["title"]["text"] == "Virksomhedens svar"
    question = next(block for block in view["blocks"] if block.get("block_id") == "company_retention")
    assert question["label"]["text"].startswith("Programmet gør os bedre i stand til")
    assert [option["text"]["text"] for option in question["element"]["options"]][-1] == "Helt enig"

    ack, _ = _company_submit(deps, user_id="UMETTE", participant_id=ids["firma"], values=_company_values(value=None))
    assert ack.calls[0]["errors"] == {"company_retention": "Vælg et svar."}
    ack, _ = _company_submit(deps, user_id="UOLGA", participant_id=ids["firma"], values=_company_values(),
                             opened_by="UMETTE")
    assert "someone else" in json.dumps(ack.calls[0]["view"])
    ack, _ = _company_submit(deps, user_id="UOLGA", participant_id=ids["firma"], values=_company_values())
    assert "do not coordinate" in json.dumps(ack.calls[0]["view"])
    with session_factory() as session:
        assert session.scalar(select(SurveyAnswer)) is None
    ack, _ = _company_submit(deps, user_id="UMETTE", participant_id=ids["firma"], values=_company_values())
    assert "Svarene fra *Frida Firma* (Nordisk Byg A/S, Spring 2027) er gemt" in json.dumps(
        ack.calls[0]["view"], ensure_ascii=False)
    with session_factory() as session:
        assert {row.question: row.value for row in session.scalars(select(SurveyAnswer))} == {
            "company_retention": 4, "comment": None}
    _, ran = _company_submit(deps, user_id="UANA", participant_id=ids["firma"], values=_company_values())
    assert not ran  # coordinators only
