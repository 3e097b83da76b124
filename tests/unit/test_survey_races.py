"""Two pulse answers of one person at the same moment (the two questions clicked in quick
succession, or on two devices): each is kept, and the pulse counts as answered once both
are in, whichever commits first. Run with TEST_DATABASE_URL: under PostgreSQL's READ
COMMITTED a transaction that does not wait for the other never sees its answer."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.surveys.service import PULSE_CONFIDENCE, PULSE_USEFUL, AnswerStatus, answer_pulse
from storage.db import unit_of_work
from storage.models import SurveyInvitation, SurveyKind
from tests.nudge_world import standard_world
from tests.support.surveys import PULSE_MORNING, answers_of, ask, invitation_of, with_surveys
from tests.support.workspaces import ONE_WORKSPACE


def test_both_pulse_questions_answered_at_once_mark_the_pulse_answered(
        session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        with_surveys(session, standard_world(session))
        ask(session, PULSE_MORNING)
        invitation_id = invitation_of(session, "ULARS", SurveyKind.PULSE)
    statuses: list[AnswerStatus] = []

    def second_click() -> None:
        with unit_of_work(session_factory) as other:
            statuses.append(answer_pulse(other, workspace=ONE_WORKSPACE, invitation_id=invitation_id, slack_user_id="ULARS",
                                         question=PULSE_CONFIDENCE, value=5, now=PULSE_MORNING).status)

    thread = threading.Thread(target=second_click, daemon=True)
    with unit_of_work(session_factory) as first:
        statuses.append(answer_pulse(first, workspace=ONE_WORKSPACE, invitation_id=invitation_id, slack_user_id="ULARS",
                                     question=PULSE_USEFUL,
                                     value=4, now=PULSE_MORNING).status)
        thread.start()  # the second click arrives while the first has written but not committed
        time.sleep(0.5)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert statuses == [AnswerStatus.RECORDED, AnswerStatus.RECORDED]
    with session_factory() as session:
        assert answers_of(session, "ULARS") == {PULSE_USEFUL: 4, PULSE_CONFIDENCE: 5}
        answered_at = session.scalar(select(SurveyInvitation.answered_at).where(SurveyInvitation.id == invitation_id))
    assert answered_at is not None, "both questions are answered, yet the pulse is not: a reminder would follow"
