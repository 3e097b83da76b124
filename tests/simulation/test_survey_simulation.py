"""A round's surveys from the first pulse to the company survey, with scripted answers, and
the scoreboard at the end compared with a count done by hand.

Six pairs and five company contacts. The tick runs every two simulated hours through the round and
a month past it; whenever an invitation reaches someone, they answer as scripted (or not:
one mentor never answers the midway survey and is reminded twice, then no more). One mentee
never consented to the evaluation and is never asked; one mentor withdraws consent after
answering everything, so none of his answers may count. Two company contacts are not in
Slack: the coordinators get their names and enter their answers by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.notices import decode_facts
from bot.surveys.notices import CompanyContactsToAskFacts, SurveyInvitationFacts
from bot.surveys.scoreboard import Scoreboard, Standing, compute_scoreboard
from bot.surveys.service import PULSE_CONFIDENCE, PULSE_USEFUL, answer_pulse, record_by_hand, submit_survey
from scheduling.ticks import DEFAULT_JOBS, run_tick
from storage.db import unit_of_work
from storage.models import (
    ConsentPurpose,
    MeetingKind,
    OutboxMessage,
    Outcome,
    OutcomeSource,
    OutcomeStatus,
    Participant,
    Role,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import World, consent, held, meeting, new_world, pair, person

UTC = timezone.utc
START = datetime(2027, 2, 1, 0, 0, tzinfo=UTC)
END = datetime(2027, 6, 30, 0, 0, tzinfo=UTC)
SURVEY_JOBS = tuple(job for job in DEFAULT_JOBS if job.name == "surveys")

MENTEE_ZONES = {"e1": "Europe/London", "e2": "Asia/Tokyo", "e3": "Europe/Copenhagen", "e4": "America/New_York",
                "e5": "Asia/Kolkata", "e6": "Europe/Copenhagen"}

# Scripted answers: midway and final per person, in the order of their role's questions.
MENTOR_QUESTIONS = ("mentor_network", "mentor_intercultural", "recommend")
MENTEE_QUESTIONS = ("mentee_network", "mentee_job_search", "mentee_direction", "recommend")
MIDWAY = {
    "m1": (5, 4, 5), "m2": (4, 2, 4), "m3": (3, 4, 5), "m4": (5, 5, 5), "m5": (2, 3, 4),  # m6 never answers
    "e1": (5, 5, 4, 5), "e2": (4, 3, 4, 4), "e3": (2, 4, 5, 5), "e4": (4, 4, 4, 3), "e5": (5, 5, 2, 5),
}
FINAL = {
    "m1": (4, 4, 4), "m2": (5, 3, 5), "m3": (4, 5, 5), "m4": (2, 4, 3), "m5": (5, 5, 4), "m6": (1, 1, 1),
    "e1": (5, 5, 5, 5), "e2": (3, 3, 3, 3), "e3": (4, 4, 4, 4), "e4": (2, 5, 4, 4), "e5": (5, 4, 1, 5),
}
PULSE_1 = {  # (useful, confidence)
    "m1": (5, 4), "m2": (4, 4), "m3": (4, 5), "m4": (3, 3), "m5": (5, 4), "m6": (1, 1),
    "e1": (4, 3), "e2": (5, 3), "e3": (3, 4), "e4": (4, 2), "e5": (4, 3),
}
COMPANY = {"c1": 4, "c2": 5, "c3": 2, "c4": 5, "c5": 4}  # c4 and c5 are not in Slack
OUTCOMES = {"e1": OutcomeStatus.EMPLOYED, "e2": OutcomeStatus.OWN_COMPANY, "e3": OutcomeStatus.LOOKING,
            "e4": OutcomeStatus.INTERNSHIP, "e5": OutcomeStatus.EMPLOYED}


def _round(session: Session) -> World:
    world = new_world(session, every_days=14)
    person(session, world, "coord", role=Role.COORDINATOR)
    for number in range(1, 7):
        person(session, world, f"m{number}", role=Role.MENTOR)
        person(session, world, f"e{number}", role=Role.MENTEE, tz=MENTEE_ZONES[f"e{number}"])
        pair(session, world, f"p{number}", mentor=f"m{number}", mentee=f"e{number}")
        for key in (f"m{number}", f"e{number}"):
            if key != "e6":  # e6 said no to the evaluation
                consent(session, world, key, ConsentPurpose.EVALUATION)
        if number <= 5:
            consent(session, world, f"e{number}", ConsentPurpose.FOLLOW_UP)
    consent(session, world, "e6", ConsentPurpose.EVALUATION, granted=False)
    for number in range(1, 6):
        contact = person(session, world, f"c{number}", role=Role.COMPANY_CONTACT, slack=number <= 3,
                         consented=False)
        contact.company = f"Company {number}"
    meeting(session, world, "midway", kind=MeetingKind.MIDWAY, starts_at=datetime(2027, 3, 24, 15, 0, tzinfo=UTC))
    meeting(session, world, "closing", kind=MeetingKind.CLOSING, starts_at=datetime(2027, 5, 20, 15, 0, tzinfo=UTC))
    held(session, world, "p1", datetime(2027, 2, 10).date()).introductions_made = 2
    held(session, world, "p2", datetime(2027, 2, 11).date())
    held(session, world, "p3", datetime(2027, 2, 12).date()).introductions_made = 3
    session.flush()
    return world


def _answer(session: Session, key: str, facts: SurveyInvitationFacts, now: datetime) -> None:
    survey = facts.survey
    user = f"U{key.upper()}"
    if survey.kind is SurveyKind.PULSE:
        if survey.number == 1 and key in PULSE_1:
            useful, confidence = PULSE_1[key]
            answer_pulse(session, invitation_id=survey.invitation_id, slack_user_id=user, question=PULSE_USEFUL,
                         value=useful, now=now)
            answer_pulse(session, invitation_id=survey.invitation_id, slack_user_id=user, question=PULSE_CONFIDENCE,
                         value=confidence, now=now)
        return
    if survey.kind is SurveyKind.COMPANY:
        result = submit_survey(session, invitation_id=survey.invitation_id, slack_user_id=user,
                               values={"company_retention": COMPANY[key]}, comment=None, consent=True, now=now)
        assert result.status.value == "recorded", result
        return
    script = MIDWAY if survey.kind is SurveyKind.MIDWAY else FINAL
    if key not in script:
        return
    questions = MENTOR_QUESTIONS if key.startswith("m") else MENTEE_QUESTIONS
    assert [question.key for question in survey.questions] == list(questions)
    result = submit_survey(session, invitation_id=survey.invitation_id, slack_user_id=user,
                           values=dict(zip(questions, script[key], strict=True)),
                           comment=f"Comment from a {'mentor' if key.startswith('m') else 'mentee'}", consent=None,
                           now=now)
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
        world = _round(session)
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
        if now == datetime(2027, 6, 1, 12, 0, tzinfo=UTC):
            with unit_of_work(session_factory) as session:
                consent(session, world, "m6", ConsentPurpose.EVALUATION, granted=False, at=now)
                for key, status in OUTCOMES.items():
                    session.add(Outcome(participant_id=world.people[key], status=status, source=OutcomeSource.SELF,
                                        recorded_at=now))
    with unit_of_work(session_factory) as session:
        board = compute_scoreboard(session, round_id=world.round_id, now=END)
    return world, board, received


def _row(board: Scoreboard, key: str, role: Role, survey: SurveyKind | None) -> tuple[int | None, int | None, Standing]:
    found = [row for row in board.criteria if row.key == key and row.role is role and row.survey is survey]
    assert len(found) == 1, (key, role, survey)
    return found[0].answers, found[0].agreeing, found[0].standing


def test_the_scoreboard_equals_a_count_by_hand_and_reminders_stop_at_their_limit(
        played: tuple[World, Scoreboard, dict[str, list[tuple[str, int]]]], session: Session) -> None:
    world, board, received = played
    _reminders_stop_at_their_limit_and_nobody_without_consent_is_asked(world, received, session)
    met, not_met = Standing.MET, Standing.NOT_MET
    mentor, mentee = Role.MENTOR, Role.MENTEE
    midway, final = SurveyKind.MIDWAY, SurveyKind.FINAL
    # Midway, mentors m1-m5 (m6 never answered): network 5,4,3,5,2 -> 3 of 5 agree (60 % < 2/3).
    assert _row(board, "mentor_network", mentor, midway) == (5, 3, not_met)
    assert _row(board, "mentor_intercultural", mentor, midway) == (5, 3, not_met)  # 4,2,4,5,3
    assert _row(board, "recommend", mentor, midway) == (5, 5, met)  # 5,4,5,5,4
    # Final, mentors: m6 withdrew, so m1-m5 only: network 4,5,4,2,5 -> 4 of 5.
    assert _row(board, "mentor_network", mentor, final) == (5, 4, met)
    assert _row(board, "mentor_intercultural", mentor, final) == (5, 4, met)  # 4,3,5,4,5
    assert _row(board, "recommend", mentor, final) == (5, 4, met)  # 4,5,5,3,4 -> 4 of 5 = 80 %
    # Midway, mentees e1-e5 (e6 never asked).
    assert _row(board, "mentee_network", mentee, midway) == (5, 4, met)  # 5,4,2,4,5
    assert _row(board, "mentee_job_search", mentee, midway) == (5, 4, met)  # 5,3,4,4,5 -> 80 %
    assert _row(board, "mentee_direction", mentee, midway) == (5, 4, met)  # 4,4,5,4,2
    assert _row(board, "recommend", mentee, midway) == (5, 4, met)  # 5,4,5,3,5
    # Final, mentees.
    assert _row(board, "mentee_network", mentee, final) == (5, 3, not_met)  # 5,3,4,2,5
    assert _row(board, "mentee_job_search", mentee, final) == (5, 4, met)  # 5,3,4,5,4
    assert _row(board, "mentee_direction", mentee, final) == (5, 3, not_met)  # 5,3,4,4,1
    assert _row(board, "recommend", mentee, final) == (5, 4, met)  # 5,3,4,4,5
    # Company contacts: 4,5,2,5,4 -> 4 of 5 agree (80 % >= 2/3); two of them entered by hand.
    assert _row(board, "company_retention", Role.COMPANY_CONTACT, SurveyKind.COMPANY) == (5, 4, met)
    # Employment: employed, own company, looking, internship, employed -> 3 of 5 in work (>= 1/3).
    assert _row(board, "mentee_employed", mentee, None) == (5, 3, met)
    assert board.outcomes.counts is not None and board.outcomes.counts[OutcomeStatus.INTERNSHIP] == 1
    # Introductions from logged sessions: 2 + 0 + 3.
    assert (board.introductions.total, board.introductions.pairs_with_any, board.introductions.sessions) == (5, 2, 3)
    # Pulse 1: mentees' usefulness 4,5,3,4,4 -> mean 4; confidence 3,3,4,2,3 -> 3. Mentors without m6: 21/5, 20/5.
    pulse = {(row.role, row.question): (row.answers, row.mean) for row in board.pulses if row.number == 1}
    assert pulse[(mentee, PULSE_USEFUL)] == (5, Fraction(4))
    assert pulse[(mentee, PULSE_CONFIDENCE)] == (5, Fraction(3))
    assert pulse[(mentor, PULSE_USEFUL)] == (5, Fraction(21, 5))
    assert pulse[(mentor, PULSE_CONFIDENCE)] == (5, Fraction(4))
    # Pulse 2 was answered by nobody: too few, no figures.
    assert all(row.answers is None for row in board.pulses if row.number == 2)
    # Response rates: midway asked 11 (m1-m6, e1-e5), 10 answered; final 11 and 11; company 5 and 5.
    rates = {(row.kind, row.number): (row.invited, row.answered) for row in board.responses}
    assert rates[(midway, 1)] == (11, 10)
    assert rates[(final, 1)] == (11, 11)
    assert rates[(SurveyKind.COMPANY, 1)] == (5, 5)
    # Comments, without names, past the threshold: five mentees' midway comments (all alike here).
    midway_mentee_comments = next(c for c in board.comments if c.kind is midway and c.role is mentee)
    assert midway_mentee_comments.comments == ("Comment from a mentee",) * 5


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
