"""One round's surveys with scripted answers, and the scoreboard a count by hand gives.

Shared by the two simulations of issue 10, so both assert the very same hand count: the
domain one (tests/simulation/test_survey_simulation.py, service calls) and the one through
the signed HTTP endpoint against the fake Slack (tests/simulation/test_survey_round_http.py).

Six pairs and five company contacts. One mentor (m6) never answers the midway survey and
withdraws his evaluation consent after answering the rest, so none of his answers count;
one mentee (e6) never consented to the evaluation and is never asked; company contacts c4
and c5 are not in Slack, so the coordinators enter their answers by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from fractions import Fraction

from sqlalchemy.orm import Session

from bot.surveys.scoreboard import CriterionStanding, Scoreboard, Standing
from bot.surveys.service import PULSE_CONFIDENCE, PULSE_USEFUL
from storage.models import ConsentPurpose, MeetingKind, OutcomeStatus, Participant, Role, Round, SurveyKind
from tests.nudge_world import World, consent, held, meeting, new_world, pair, person

UTC = timezone.utc
START = datetime(2027, 2, 1, 0, 0, tzinfo=UTC)
END = datetime(2027, 6, 30, 0, 0, tzinfo=UTC)
#: m6 withdraws his evaluation consent, and the mentees report their situation.
WITHDRAWAL = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
MIDWAY_MEETING = datetime(2027, 3, 24, 15, 0, tzinfo=UTC)
CLOSING_MEETING = datetime(2027, 5, 20, 15, 0, tzinfo=UTC)

PAIRS = 6
MENTORS = tuple(f"m{number}" for number in range(1, PAIRS + 1))
MENTEES = tuple(f"e{number}" for number in range(1, PAIRS + 1))
CONTACTS = tuple(f"c{number}" for number in range(1, 6))
CONTACTS_IN_SLACK = ("c1", "c2", "c3")
MENTEE_ZONES = {"e1": "Europe/London", "e2": "Asia/Tokyo", "e3": "Europe/Copenhagen", "e4": "America/New_York",
                "e5": "Asia/Kolkata", "e6": "Europe/Copenhagen"}
PEOPLE_ZONE = "Europe/Copenhagen"  # mentors, company contacts and the coordinator
NO_EVALUATION = "e6"  # said no to the evaluation
WITHDRAWS = "m6"  # withdraws the evaluation consent after answering
FOLLOW_UP_CONSENTING = ("e1", "e2", "e3", "e4", "e5")

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
PULSE_1 = {  # (useful, confidence); from pulse 2 on nobody answers
    "m1": (5, 4), "m2": (4, 4), "m3": (4, 5), "m4": (3, 3), "m5": (5, 4), "m6": (1, 1),
    "e1": (4, 3), "e2": (5, 3), "e3": (3, 4), "e4": (4, 2), "e5": (4, 3),
}
COMPANY = {"c1": 4, "c2": 5, "c3": 2, "c4": 5, "c5": 4}  # c4 and c5 are not in Slack
OUTCOMES = {"e1": OutcomeStatus.EMPLOYED, "e2": OutcomeStatus.OWN_COMPANY, "e3": OutcomeStatus.LOOKING,
            "e4": OutcomeStatus.INTERNSHIP, "e5": OutcomeStatus.EMPLOYED}


def questions_of(key: str) -> tuple[str, ...]:
    """The midway and final questions of this person's role, in the form's order."""
    return MENTOR_QUESTIONS if key.startswith("m") else MENTEE_QUESTIONS


def comment_of(key: str) -> str:
    """Everyone of a role writes the same comment, so the comments' hand count is simple."""
    return f"Comment from a {'mentor' if key.startswith('m') else 'mentee'}"


def seed_round(session: Session, *, language: str = "en", consents: bool = True,
               channels: Mapping[str, str] | None = None) -> World:
    """The round, its people, meetings and three logged 1:1s (five introductions).

    With `consents`, the consent answers are stored as onboarding would have stored them;
    without, mentors and mentees are still to be welcomed and answer the consent questions
    themselves (in Slack: the welcome DM's buttons). `channels` names each pair's channel
    (pair key -> channel id) where the pair channels must exist, as in the fake Slack."""
    world = new_world(session, every_days=14)
    # The weekly digest shows the scoreboard, and every view shown is an anonymity disclosure
    # that later views must differ from by the threshold; this round is counted by hand as if
    # only the scoreboard command looked, so its digest goes out on Sundays, never ticked here.
    round_ = session.get(Round, world.round_id)
    assert round_ is not None
    round_.digest_weekday = 6
    person(session, world, "coord", role=Role.COORDINATOR, language=language)
    for number in range(1, PAIRS + 1):
        mentor, mentee = f"m{number}", f"e{number}"
        person(session, world, mentor, role=Role.MENTOR, language=language)
        person(session, world, mentee, role=Role.MENTEE, tz=MENTEE_ZONES[mentee], language=language)
        pair(session, world, f"p{number}", mentor=mentor, mentee=mentee,
             channel=(channels or {}).get(f"p{number}"))
        if not consents:
            for key in (mentor, mentee):
                participant = session.get_one(Participant, world.people[key])
                participant.welcome_sent_at = participant.consented_at = None
            continue
        for key in (mentor, mentee):
            if key != NO_EVALUATION:
                consent(session, world, key, ConsentPurpose.EVALUATION)
        if mentee in FOLLOW_UP_CONSENTING:
            consent(session, world, mentee, ConsentPurpose.FOLLOW_UP)
    if consents:
        consent(session, world, NO_EVALUATION, ConsentPurpose.EVALUATION, granted=False)
    for key in CONTACTS:
        contact = person(session, world, key, role=Role.COMPANY_CONTACT, slack=key in CONTACTS_IN_SLACK,
                         consented=False, language=language)
        contact.company = f"Company {key[1:]}"
    meeting(session, world, "midway", kind=MeetingKind.MIDWAY, starts_at=MIDWAY_MEETING)
    meeting(session, world, "closing", kind=MeetingKind.CLOSING, starts_at=CLOSING_MEETING)
    held(session, world, "p1", datetime(2027, 2, 10).date()).introductions_made = 2
    held(session, world, "p2", datetime(2027, 2, 11).date())
    held(session, world, "p3", datetime(2027, 2, 12).date()).introductions_made = 3
    session.flush()
    return world


# --- the count by hand ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Counted:
    """One scoreboard line counted by hand from the scripts above."""

    key: str
    role: Role
    survey: SurveyKind | None  # None: employment, from the outcomes
    answers: int
    agreeing: int
    standing: Standing


_MET, _NOT_MET = Standing.MET, Standing.NOT_MET
_MENTOR, _MENTEE = Role.MENTOR, Role.MENTEE
_MIDWAY, _FINAL = SurveyKind.MIDWAY, SurveyKind.FINAL

HAND_COUNT = (
    # Midway, mentors m1-m5 (m6 never answered): network 5,4,3,5,2 -> 3 of 5 agree (60 % < 2/3).
    Counted(key="mentor_network", role=_MENTOR, survey=_MIDWAY, answers=5, agreeing=3, standing=_NOT_MET),
    Counted(key="mentor_intercultural", role=_MENTOR, survey=_MIDWAY, answers=5, agreeing=3,
            standing=_NOT_MET),  # 4,2,4,5,3
    Counted(key="recommend", role=_MENTOR, survey=_MIDWAY, answers=5, agreeing=5, standing=_MET),  # 5,4,5,5,4
    # Final, mentors: m6 withdrew, so m1-m5 only: network 4,5,4,2,5 -> 4 of 5.
    Counted(key="mentor_network", role=_MENTOR, survey=_FINAL, answers=5, agreeing=4, standing=_MET),
    Counted(key="mentor_intercultural", role=_MENTOR, survey=_FINAL, answers=5, agreeing=4,
            standing=_MET),  # 4,3,5,4,5
    Counted(key="recommend", role=_MENTOR, survey=_FINAL, answers=5, agreeing=4, standing=_MET),  # 4,5,5,3,4: 80 %
    # Midway, mentees e1-e5 (e6 never asked).
    Counted(key="mentee_network", role=_MENTEE, survey=_MIDWAY, answers=5, agreeing=4, standing=_MET),  # 5,4,2,4,5
    Counted(key="mentee_job_search", role=_MENTEE, survey=_MIDWAY, answers=5, agreeing=4,
            standing=_MET),  # 5,3,4,4,5 -> 80 %
    Counted(key="mentee_direction", role=_MENTEE, survey=_MIDWAY, answers=5, agreeing=4, standing=_MET),  # 4,4,5,4,2
    Counted(key="recommend", role=_MENTEE, survey=_MIDWAY, answers=5, agreeing=4, standing=_MET),  # 5,4,5,3,5
    # Final, mentees.
    Counted(key="mentee_network", role=_MENTEE, survey=_FINAL, answers=5, agreeing=3,
            standing=_NOT_MET),  # 5,3,4,2,5
    Counted(key="mentee_job_search", role=_MENTEE, survey=_FINAL, answers=5, agreeing=4, standing=_MET),  # 5,3,4,5,4
    Counted(key="mentee_direction", role=_MENTEE, survey=_FINAL, answers=5, agreeing=3,
            standing=_NOT_MET),  # 5,3,4,4,1
    Counted(key="recommend", role=_MENTEE, survey=_FINAL, answers=5, agreeing=4, standing=_MET),  # 5,3,4,4,5
    # Company contacts: 4,5,2,5,4 -> 4 of 5 agree (80 % >= 2/3); two of them entered by hand.
    Counted(key="company_retention", role=Role.COMPANY_CONTACT, survey=SurveyKind.COMPANY, answers=5, agreeing=4,
            standing=_MET),
    # Employment: employed, own company, looking, internship, employed -> 3 of 5 in work (>= 1/3).
    Counted(key="mentee_employed", role=_MENTEE, survey=None, answers=5, agreeing=3, standing=_MET),
)
#: Pulse 1's means: mentees' usefulness 4,5,3,4,4 -> 4; confidence 3,3,4,2,3 -> 3; mentors without m6: 21/5, 20/5.
PULSE_1_MEANS = {
    (_MENTEE, PULSE_USEFUL): (5, Fraction(4)),
    (_MENTEE, PULSE_CONFIDENCE): (5, Fraction(3)),
    (_MENTOR, PULSE_USEFUL): (5, Fraction(21, 5)),
    (_MENTOR, PULSE_CONFIDENCE): (5, Fraction(4)),
}
#: (invited, answered): midway asked m1-m6 and e1-e5, all but m6 answered; final 11 and 11; company 5 and 5.
RESPONSES = {(_MIDWAY, 1): (11, 10), (_FINAL, 1): (11, 11), (SurveyKind.COMPANY, 1): (5, 5)}
#: Introductions from the logged 1:1s: 2 + 0 + 3, in 3 sessions, by 2 pairs.
INTRODUCTIONS = (5, 2, 3)
#: Outcomes by status, of the five mentees who agreed to the follow-up.
OUTCOME_COUNTS = {status: sum(1 for chosen in OUTCOMES.values() if chosen is status) for status in OutcomeStatus}


def row_of(board: Scoreboard, counted: Counted) -> CriterionStanding:
    """The board's line for this hand-counted one (there is exactly one)."""
    found = [row for row in board.criteria
             if (row.key, row.role, row.survey) == (counted.key, counted.role, counted.survey)]
    assert len(found) == 1, (counted.key, counted.role, counted.survey)
    return found[0]


def assert_hand_count(board: Scoreboard) -> None:
    """The scoreboard equals the count by hand, figure for figure."""
    for counted in HAND_COUNT:
        row = row_of(board, counted)
        assert (row.answers, row.agreeing, row.standing) == (counted.answers, counted.agreeing, counted.standing), \
            counted
    assert board.outcomes.counts is not None
    assert {status: board.outcomes.counts.get(status, 0) for status in OutcomeStatus} == OUTCOME_COUNTS
    assert (board.introductions.total, board.introductions.pairs_with_any,
            board.introductions.sessions) == INTRODUCTIONS
    pulse = {(row.role, row.question): (row.answers, row.mean) for row in board.pulses if row.number == 1}
    assert {cell: pulse[cell] for cell in PULSE_1_MEANS} == PULSE_1_MEANS
    # Pulse 2 onwards was answered by nobody: too few, no figures.
    assert all(row.answers is None for row in board.pulses if row.number >= 2)
    rates = {(row.kind, row.number): (row.invited, row.answered) for row in board.responses}
    assert {survey: rates[survey] for survey in RESPONSES} == RESPONSES
    # Comments, without names, past the threshold: five mentees' midway comments (all alike here).
    midway_mentee_comments = next(c for c in board.comments if c.kind is _MIDWAY and c.role is _MENTEE)
    assert midway_mentee_comments.comments == (comment_of("e1"),) * 5


__all__ = [
    "COMPANY",
    "CONTACTS",
    "CONTACTS_IN_SLACK",
    "END",
    "FINAL",
    "FOLLOW_UP_CONSENTING",
    "HAND_COUNT",
    "INTRODUCTIONS",
    "MENTEES",
    "MENTEE_ZONES",
    "MENTORS",
    "MIDWAY",
    "NO_EVALUATION",
    "OUTCOMES",
    "OUTCOME_COUNTS",
    "PEOPLE_ZONE",
    "PULSE_1",
    "PULSE_1_MEANS",
    "RESPONSES",
    "START",
    "WITHDRAWAL",
    "WITHDRAWS",
    "Counted",
    "assert_hand_count",
    "comment_of",
    "questions_of",
    "row_of",
    "seed_round",
]
