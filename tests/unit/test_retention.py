"""Retention (GDPR art. 5(1)(e)): the consent text states the programme's months."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.onboarding.notices import OnboardingFacts
from bot.onboarding.service import onboarding_facts
from bot.slack.render.onboarding import welcome_message
from storage.models import Role
from tests.factories import make_participant, make_round


def _facts(months: int) -> OnboardingFacts:
    return OnboardingFacts(participant_id=1, name="Ana", role=Role.MENTEE, timezone="Europe/Copenhagen",
                           programme="Career Mentoring", round="Spring 2027", starts_on=date(2027, 2, 1),
                           ends_on=date(2027, 5, 31), session_every_days=14, retention_months=months)


def _text(message: Any) -> str:
    return str(message)


@pytest.mark.parametrize(("months", "language", "expected"), [
    (12, "en", "erase your personal data from this round 12 months after its six-month follow-up"),
    (1, "en", "from this round 1 month after its six-month follow-up"),
    (24, "da", "sletter dine personoplysninger fra dette forløb 24 måneder efter opfølgningen"),
    (1, "da", "fra dette forløb 1 måned efter opfølgningen"),
])
def test_the_consent_question_states_the_programmes_retention(months: int, language: str, expected: str) -> None:
    text = _text(welcome_message(_facts(months), language=language))
    assert expected in text
    assert text.count("six-month follow-up" if language == "en" else "opfølgningen seks måneder") == 1


def test_the_welcome_reads_the_months_from_the_programme(session: Session) -> None:
    round_ = make_round(session)
    round_.programme.retention_months = 30
    ana = make_participant(session, round_=round_)
    assert onboarding_facts(ana).retention_months == 30
    assert "30 months after" in str(welcome_message(onboarding_facts(ana), language="en"))
