"""`/mentoring-admin scoreboard [ROUND]` through the signed endpoint against the fake Slack: the
round's coordinator sees the figures (in English and Danish), never a name; another
programme's coordinator cannot see the round at all; a participant is told it is for
coordinators; hostile text typed into comments and criteria never pings anyone."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from fractions import Fraction

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.sandbox.harness import SandboxedApp
from bot.surveys.criteria import CriterionSpec, replace_criteria
from storage.db import unit_of_work
from storage.models import (
    ConsentPurpose,
    CriterionMeasure,
    Disclosure,
    Participant,
    Role,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import World, consent, new_world, pair, person
from tests.support.answers import ephemeral_text
from tests.support.concurrency import failed_listeners, simultaneously
from tests.support.mrkdwn import HOSTILE, live_sequences

UTC = timezone.utc
OPENED = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)
MENTEE_NETWORK = (5, 4, 2, 4, 5, 1)  # 4 of 6 agree


def _seed(session: Session, *, language: str = "en") -> World:
    world = new_world(session, name="Spring 2027")
    person(session, world, "mette", role=Role.COORDINATOR, language=language)
    for number in range(1, 7):
        person(session, world, f"mentor{number}", role=Role.MENTOR)
        person(session, world, f"mentee{number}", role=Role.MENTEE, language=language)
        pair(session, world, f"p{number}", mentor=f"mentor{number}", mentee=f"mentee{number}")
        consent(session, world, f"mentee{number}", ConsentPurpose.EVALUATION)
    survey = Survey(round_id=world.round_id, kind=SurveyKind.MIDWAY, number=1, opens_at=OPENED,
                    closes_at=datetime(2027, 4, 8, 9, 0, tzinfo=UTC), created_at=OPENED)
    session.add(survey)
    session.flush()
    for number, value in enumerate(MENTEE_NETWORK, start=1):
        participant_id = world.people[f"mentee{number}"]
        session.add(SurveyInvitation(survey_id=survey.id, participant_id=participant_id, asked_at=OPENED,
                                     answered_at=OPENED, created_at=OPENED))
        session.add(SurveyAnswer(survey_id=survey.id, participant_id=participant_id, question="mentee_network",
                                 value=value, answered_at=OPENED))
        session.add(SurveyAnswer(survey_id=survey.id, participant_id=participant_id, question="comment",
                                 text=f"{HOSTILE} said mentee {number}", answered_at=OPENED))
    return world


@pytest.fixture
def world(slack: SandboxedApp) -> World:
    slack.clock.set(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    for user_id in ("UMETTE", "UMENTOR1", "UMENTEE1", "UOTHER"):
        slack.sandbox.add_user(user_id=user_id, name=user_id.lower(), tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        world = _seed(session)
        other = new_world(session, name="Autumn 2027")
        person(session, other, "other", role=Role.COORDINATOR)
    return world


def test_the_coordinator_sees_the_rounds_figures_and_no_name(slack: SandboxedApp, world: World) -> None:
    response = slack.slash("UMETTE", "/mentoring-admin", "scoreboard Spring 2027")
    assert response.status == 200
    text = ephemeral_text(slack, response.response_url)
    assert "4 of 6 agree (67%), target 67%" in text
    assert "Too few answers yet" not in text.split("Mentees, midway survey")[0]
    assert "mentee1" not in text.lower().replace("said mentee 1", "")  # names never appear
    assert "Mentee1" not in text
    assert live_sequences(text) == []
    assert "said mentee 1" in text and "1 more comment in the report" in text  # six comments, no names


def test_in_danish(slack: SandboxedApp, world: World) -> None:
    with unit_of_work(slack.runtime.session_factory) as session:
        coordinator = session.get_one(Participant, world.people["mette"])
        coordinator.language = "da"
    response = slack.slash("UMETTE", "/mentoring-admin", "scoreboard")
    text = ephemeral_text(slack, response.response_url)
    assert "4 af 6 er enige (67 %), mål 67 %" in text
    assert "Resultattavle" in text


def test_another_programmes_coordinator_cannot_see_the_round(slack: SandboxedApp, world: World) -> None:
    response = slack.slash("UOTHER", "/mentoring-admin", "scoreboard Spring 2027")
    text = ephemeral_text(slack, response.response_url)
    assert "no round called" in text
    assert "agree" not in text


def test_a_participant_is_told_it_is_for_coordinators(slack: SandboxedApp, world: World) -> None:
    response = slack.slash("UMENTEE1", "/mentoring-admin", "scoreboard")
    text = ephemeral_text(slack, response.response_url)
    assert "Only the programme's coordinators can use /mentoring-admin" in text
    assert "agree" not in text


def test_a_criterion_statement_typed_with_mentions_never_pings(slack: SandboxedApp, world: World) -> None:
    with unit_of_work(slack.runtime.session_factory) as session:
        replace_criteria(session, programme_id=world.programme_id, now=OPENED, criteria=[
            CriterionSpec(key="mentee_network", measure=CriterionMeasure.AGREE, roles=(Role.MENTEE,),
                          surveys=(SurveyKind.MIDWAY,), target=Fraction(1, 2),
                          statement_en=HOSTILE, statement_da=HOSTILE),
        ])
    response = slack.slash("UMETTE", "/mentoring-admin", "scoreboard")
    text = ephemeral_text(slack, response.response_url)
    assert "4 of 6 agree (67%), target 50%" in text
    assert live_sequences(text) == []


def test_a_withdrawal_right_after_a_view_hides_the_figures_rather_than_reveal_someone(
        slack: SandboxedApp, world: World) -> None:
    first = ephemeral_text(slack, slack.slash("UMETTE", "/mentoring-admin", "scoreboard").response_url)
    assert "4 of 6 agree" in first
    with unit_of_work(slack.runtime.session_factory) as session:
        consent(session, world, "mentee6", ConsentPurpose.EVALUATION, granted=False)
    second = ephemeral_text(slack, slack.slash("UMETTE", "/mentoring-admin", "scoreboard").response_url)
    assert "4 of 5 agree" not in second  # 6 minus one would give mentee 6's answer
    assert "Shown once enough people have answered" in second


def test_the_coordinators_home_tab_shows_where_the_round_stands(slack: SandboxedApp, world: World) -> None:
    slack.event({"type": "app_home_opened", "user": "UMETTE", "channel": "D1", "tab": "home"}, event_id="EvHome1")
    home = json.dumps(slack.sandbox.published_home("UMETTE"), ensure_ascii=False)
    assert "Success criteria" in home
    assert "Mentees, midway survey: 67% / 67%" in home
    assert "said mentee" not in home  # comments stay off the Home tab
    assert live_sequences(home) == []
    slack.event({"type": "app_home_opened", "user": "UMENTEE1", "channel": "D2", "tab": "home"}, event_id="EvHome2")
    assert "Success criteria" not in json.dumps(slack.sandbox.published_home("UMENTEE1"), ensure_ascii=False)


def test_between_rounds_the_round_just_over_is_shown(slack: SandboxedApp, world: World) -> None:
    slack.clock.set(datetime(2027, 6, 10, 9, 0, tzinfo=UTC))  # the round ended on 21 May
    text = ephemeral_text(slack, slack.slash("UMETTE", "/mentoring-admin", "scoreboard").response_url)
    assert "Scoreboard: Spring 2027" in text and "4 of 6 agree" in text


def test_two_coordinators_looking_at_once_both_see_it_and_one_view_is_recorded(
        slack: SandboxedApp, world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Views of a round are serialised (a row lock on PostgreSQL), so two at once cannot both
    record the same view, or two views the other's check did not see."""
    slack.sandbox.add_user(user_id="UADMIN", name="admin", tz="Europe/Copenhagen")  # an admin sees every round
    responses = simultaneously([
        lambda: slack.driver.slash_command(user_id="UMETTE", command="/mentoring-admin", text="scoreboard Spring 2027"),
        lambda: slack.driver.slash_command(user_id="UADMIN", command="/mentoring-admin", text="scoreboard Spring 2027"),
    ])
    slack.settle()
    assert [response.status for response in responses] == [200, 200]
    assert failed_listeners(caplog) == []
    for response in responses:
        assert "4 of 6 agree (67%)" in ephemeral_text(slack, response.response_url)
    with slack.runtime.session_factory() as session:
        cells = session.scalars(select(Disclosure.cell)).all()
    assert len(cells) == len(set(cells)), "each cell's view recorded once"
