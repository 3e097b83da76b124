"""A round with something in every sheet of the funder's report (issue 11).

The survey round of issue 10 (six pairs, company contacts, meetings, three 1:1s) plus a
pulse and a final survey answered by everyone who consented to the evaluation, the
mentees' outcomes, RSVPs and attendance, and match reasons. Shared by the report's domain,
CLI and scenario tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from openpyxl.workbook.workbook import Workbook
from sqlalchemy.orm import Session

from bot.surveys.criteria import criteria_of
from bot.surveys.service import PULSE_QUESTIONS
from storage.models import (
    MeetingRsvp,
    Outcome,
    OutcomeSource,
    Pair,
    Participant,
    Programme,
    Role,
    RsvpAnswer,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import World
from tests.support.survey_round import (
    FOLLOW_UP_CONSENTING,
    MENTEES,
    MENTORS,
    NO_EVALUATION,
    OUTCOMES,
    seed_round,
)

UTC = timezone.utc
PULSE_OPENS = datetime(2027, 2, 22, 8, 0, tzinfo=UTC)
FINAL_OPENS = datetime(2027, 5, 20, 17, 0, tzinfo=UTC)
#: When the report is made in these tests: after the final survey closed.
REPORT_NOW = datetime(2027, 7, 1, 9, 0, tzinfo=UTC)
#: Every answerer gives this on the agree scale, except the first two mentees who disagree.
AGREE, DISAGREE = 5, 2


def seed_report_round(session: Session, *, language: str = "en", channels: dict[str, str] | None = None) -> World:
    """The round above; `language` is the programme's (and everyone's)."""
    world = seed_round(session, language=language, channels=channels)
    session.get_one(Programme, world.programme_id).default_language = language
    pulse = Survey(round_id=world.round_id, kind=SurveyKind.PULSE, number=1, opens_at=PULSE_OPENS,
                   closes_at=PULSE_OPENS + timedelta(days=7), created_at=PULSE_OPENS)
    final = Survey(round_id=world.round_id, kind=SurveyKind.FINAL, number=1, opens_at=FINAL_OPENS,
                   closes_at=FINAL_OPENS + timedelta(days=14), created_at=FINAL_OPENS)
    session.add_all([pulse, final])
    session.flush()
    specs = criteria_of(session, world.programme_id)
    for key in (*MENTORS, *MENTEES):
        participant_id = world.people[key]
        role = Role.MENTOR if key in MENTORS else Role.MENTEE
        answering = key != NO_EVALUATION
        for survey in (pulse, final):
            session.add(SurveyInvitation(survey_id=survey.id, participant_id=participant_id,
                                         asked_at=survey.opens_at, answered_at=survey.opens_at if answering else None,
                                         created_at=survey.opens_at))
        if not answering:
            continue
        for number, question in enumerate(PULSE_QUESTIONS):
            session.add(SurveyAnswer(survey_id=pulse.id, participant_id=participant_id, question=question,
                                     value=3 + number, answered_at=PULSE_OPENS))
        for spec in specs:
            if spec.asked_in(SurveyKind.FINAL, role):
                session.add(SurveyAnswer(survey_id=final.id, participant_id=participant_id, question=spec.question,
                                         value=DISAGREE if key in ("e1", "e2") else AGREE, answered_at=FINAL_OPENS))
    for key in FOLLOW_UP_CONSENTING:
        session.add(Outcome(participant_id=world.people[key], status=OUTCOMES[key], network_helped=key != "e3",
                            source=OutcomeSource.SELF, recorded_at=REPORT_NOW - timedelta(days=1)))
    for number, key in enumerate((*MENTORS, *MENTEES)):
        session.add(MeetingRsvp(meeting_id=world.meetings["midway"], participant_id=world.people[key],
                                answer=RsvpAnswer.YES if number % 4 else RsvpAnswer.NO,
                                attended=bool(number % 4 and number % 3)))
    first_pair = session.get_one(Pair, world.pairs["p1"])
    first_pair.match_score = 7.5
    first_pair.match_reasons = [{"code": "matching.reason.same_field", "points": 4, "params": {"field": "engineering"}}]
    session.flush()
    return world


def charts_in(workbook: Workbook, sheet: str) -> int:
    """Native charts openpyxl read back from a sheet (it keeps them on a private list)."""
    charts: list[object] = vars(workbook[sheet])["_charts"]
    return len(charts)


def people_in(session: Session, world: World) -> list[Participant]:
    return [session.get_one(Participant, participant_id) for participant_id in world.people.values()]
