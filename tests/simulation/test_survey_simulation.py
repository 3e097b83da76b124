"""A round's surveys from the first pulse to the company survey, with scripted answers, and
the scoreboard at the end compared with a count done by hand (service calls; the same round
through the signed endpoint is test_survey_round_http.py, and both share the script and the
hand count in tests/support/survey_round.py).

Six pairs and five company contacts. The tick runs every two simulated hours through the round and
a month past it; whenever an invitation reaches someone, they answer as scripted (or not:
one mentor never answers the midway survey and is reminded twice, then no more). One mentee
never consented to the evaluation and is never asked; one mentor withdraws consent after
answering everything, so none of his answers may count. Two company contacts are not in
Slack: the coordinators get their names and enter their answers by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.notices import decode_facts
from bot.surveys.notices import CompanyContactsToAskFacts, SurveyInvitationFacts
from bot.surveys.scoreboard import Scoreboard, compute_scoreboard
from bot.surveys.service import PULSE_CONFIDENCE, PULSE_USEFUL, answer_pulse, record_by_hand, submit_survey
from scheduling.ticks import DEFAULT_JOBS, run_tick
from storage.db import unit_of_work
from storage.models import (
    ConsentPurpose,
    OutboxMessage,
    Outcome,
    OutcomeSource,
    Participant,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import World, consent
from tests.support.survey_round import (
    COMPANY,
    END,
    FINAL,
    MIDWAY,
    OUTCOMES,
    PULSE_1,
    START,
    WITHDRAWAL,
    assert_hand_count,
    comment_of,
    questions_of,
    seed_round,
)
from tests.support.workspaces import ONE_WORKSPACE

SURVEY_JOBS = tuple(job for job in DEFAULT_JOBS if job.name == "surveys")


def _answer(session: Session, key: str, facts: SurveyInvitationFacts, now: datetime) -> None:
    survey = facts.survey
    user = f"U{key.upper()}"
    if survey.kind is SurveyKind.PULSE:
        if survey.number == 1 and key in PULSE_1:
            useful, confidence = PULSE_1[key]
            answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=survey.invitation_id, slack_user_id=user,
                         question=PULSE_USEFUL,
                         value=useful, now=now)
            answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=survey.invitation_id, slack_user_id=user,
                         question=PULSE_CONFIDENCE,
                         value=confidence, now=now)
        return
    if survey.kind is SurveyKind.COMPANY:
        result = submit_survey(session, workspace=ONE_WORKSPACE, invitation_id=survey.invitation_id, slack_user_id=user,
                               values={"company_retention": COMPANY[key]}, comment=None, consent=True, now=now)
        assert result.status.value == "recorded", result
        return
    script = MIDWAY if survey.kind is SurveyKind.MIDWAY else FINAL
    if key not in script:
        return
    questions = questions_of(key)
    assert [question.key for question in survey.questions] == list(questions)
    result = submit_survey(session, workspace=ONE_WORKSPACE, invitation_id=survey.invitation_id, slack_user_id=user,
                           values=dict(zip(questions, script[key], strict=True)), comment=comment_of(key),
                           consent=None, now=now)
    assert result.status.value == "recorded", result


def _ticks(start: datetime, end: datetime) -> Iterator[datetime]:
    """Every two hours on weekdays (UTC): a DM's slot stays open two hours (DELIVERY_GRACE),
    so no slot falls between two ticks, and nobody's weekday slot falls on a UTC weekend."""
    moment = start
    while moment < end:
        if moment.weekday() < 5:
            yield moment
        moment += timedelta(hours=2)


@pytest.fixture
def played(session_factory: sessionmaker[Session]) -> tuple[World, Scoreboard, dict[str, list[tuple[str, int]]]]:
    with unit_of_work(session_factory) as session:
        world = seed_round(session)
    keys = {f"U{key.upper()}": key for key in world.people}
    received: dict[str, list[tuple[str, int]]] = {}
    seen_rows = 0
    for now in _ticks(START, END):
        run_tick(session_factory=session_factory, now=now, jobs=SURVEY_JOBS)
        with unit_of_work(session_factory) as session:
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id > seen_rows)
                                   .order_by(OutboxMessage.id)).all()
            for row in rows:
                seen_rows = row.id
                facts = decode_facts(row.payload)
                if isinstance(facts, CompanyContactsToAskFacts):
                    for contact in facts.contacts:
                        key = next(k for k, pid in world.people.items()
                                   if session.get_one(Participant, pid).name == contact.name)
                        record_by_hand(session, participant_id=world.people[key],
                                       values={"company_retention": COMPANY[key]}, comment=None, consent=True, now=now)
                    continue
                assert isinstance(facts, SurveyInvitationFacts)
                key = keys[row.target]
                received.setdefault(key, []).append((f"{facts.survey.kind.value}{facts.survey.number}", facts.reminder))
                if facts.reminder == 0:
                    _answer(session, key, facts, now)
        if now == WITHDRAWAL:
            with unit_of_work(session_factory) as session:
                consent(session, world, "m6", ConsentPurpose.EVALUATION, granted=False, at=now)
                for key, status in OUTCOMES.items():
                    session.add(Outcome(participant_id=world.people[key], status=status, source=OutcomeSource.SELF,
                                        recorded_at=now))
    with unit_of_work(session_factory) as session:
        board = compute_scoreboard(session, round_id=world.round_id, now=END)
    return world, board, received


def test_the_scoreboard_equals_a_count_by_hand_and_reminders_stop_at_their_limit(
        played: tuple[World, Scoreboard, dict[str, list[tuple[str, int]]]], session: Session) -> None:
    world, board, received = played
    _reminders_stop_at_their_limit_and_nobody_without_consent_is_asked(world, received, session)
    assert_hand_count(board)


def _reminders_stop_at_their_limit_and_nobody_without_consent_is_asked(
        world: World, received: dict[str, list[tuple[str, int]]], session: Session) -> None:
    assert "e6" not in received
    assert [entry for entry in received["m6"] if entry[0] == "midway1"] == [("midway1", 0), ("midway1", 1),
                                                                             ("midway1", 2)]
    # Pulse 2 onwards nobody answered: one reminder each, then it lapsed.
    pulse_2 = [entry for entry in received["e1"] if entry[0] == "pulse2"]
    assert pulse_2 == [("pulse2", 0), ("pulse2", 1)]
    assert not [key for key in ("c4", "c5") if key in received]  # not in Slack: asked by hand
    invitations = session.scalars(select(SurveyInvitation).where(
        SurveyInvitation.participant_id == world.people["m6"])).all()
    assert all(invitation.reminders_sent <= 2 for invitation in invitations)
