"""Outcomes and the 6-month follow-up, as domain rules: who is asked when, one reminder,
consent read when it falls due, the latest outcome winning, and who may record for whom."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.notices import Person
from bot.outcomes.notices import FollowUpFacts
from bot.outcomes.service import (
    CONSENT_FIELD,
    STARTED_FIELD,
    STATUS_FIELD,
    OutcomeRefusal,
    ask_key,
    coordinator_outcome_form,
    due_follow_ups,
    own_outcome_form,
    record_company_answer,
    record_outcome,
    reminder_key,
    submit_outcome,
)
from bot.surveys.consent import has_granted
from storage.models import (
    Consent,
    ConsentPurpose,
    FollowUp,
    Outcome,
    OutcomeSource,
    OutcomeStatus,
    Participant,
    Survey,
    SurveyAnswer,
    SurveyKind,
)
from tests.support.outcomes import (
    COMPANY_SURVEY_DAY,
    COPENHAGEN_SLOT,
    LOS_ANGELES_SLOT,
    UTC,
    seed_outcome_world,
)
from tests.support.workspaces import ONE_WORKSPACE


@pytest.fixture
def ids(session: Session) -> dict[str, int]:
    return seed_outcome_world(session)


def _asked(session: Session, now: datetime) -> dict[str, Any]:
    """Who the follow-up job writes to at `now`: dedup key -> notice."""
    return {notice.dedup_key: notice for notice in due_follow_ups(session, now=now).notices}


def _record(session: Session, participant_id: int, *, status: OutcomeStatus = OutcomeStatus.EMPLOYED,
            started_on: date | None = date(2027, 9, 1), now: datetime = COPENHAGEN_SLOT,
            source: OutcomeSource = OutcomeSource.SELF) -> None:
    participant = session.get(Participant, participant_id)
    assert participant is not None
    record_outcome(session, participant=participant, status=status, started_on=started_on, network_helped=True,
                   source=source, recorded_by=None, now=now)


def test_the_follow_up_goes_out_six_months_on_in_each_mentees_daytime_and_only_with_consent(
    session: Session, ids: dict[str, int]
) -> None:
    assert _asked(session, COPENHAGEN_SLOT - timedelta(days=1)) == {}  # the day before
    assert _asked(session, COPENHAGEN_SLOT - timedelta(hours=1)) == {}  # 09:00 in Copenhagen: not yet

    at_ten = _asked(session, COPENHAGEN_SLOT)
    # Dina said no to the follow-up, Emil was never matched, Carla's 10:00 is hours away,
    # and the other round ends later.
    assert set(at_ten) == {ask_key(ids["ana"]), ask_key(ids["birgit"])}
    ana = at_ten[ask_key(ids["ana"])]
    assert ana.to == Person("UANA", team_id="") and ana.not_before == COPENHAGEN_SLOT and ana.language == "en"
    assert isinstance(ana.facts, FollowUpFacts) and not ana.facts.reminder and ana.facts.last_status is None
    assert at_ten[ask_key(ids["birgit"])].language == "da"  # ended early (a job): asked all the same
    assert _asked(session, COPENHAGEN_SLOT + timedelta(minutes=1)) == {}  # asked once

    at_ten_in_la = _asked(session, LOS_ANGELES_SLOT)
    assert set(at_ten_in_la) == {ask_key(ids["carla"])}
    assert at_ten_in_la[ask_key(ids["carla"])].not_before == LOS_ANGELES_SLOT
    asked = set(session.scalars(select(FollowUp.participant_id)))
    assert asked == {ids["ana"], ids["birgit"], ids["carla"]}


def test_a_slot_missed_waits_for_the_next_days_slot(session: Session, ids: dict[str, int]) -> None:
    evening = COPENHAGEN_SLOT + timedelta(hours=5)
    assert ask_key(ids["ana"]) not in _asked(session, evening)
    assert ask_key(ids["ana"]) in _asked(session, COPENHAGEN_SLOT + timedelta(days=1))


def test_a_round_whose_follow_up_date_is_long_past_is_not_asked(session: Session, ids: dict[str, int]) -> None:
    assert _asked(session, COPENHAGEN_SLOT + timedelta(days=91)) == {}  # a Tuesday, three months late


def test_one_reminder_five_working_days_later_in_their_slot_then_it_lapses(
    session: Session, ids: dict[str, int]
) -> None:
    _asked(session, COPENHAGEN_SLOT)
    assert _asked(session, COPENHAGEN_SLOT + timedelta(days=6)) == {}  # Monday: four working days on
    reminders = _asked(session, COPENHAGEN_SLOT + timedelta(days=7))  # Tuesday 7 December
    assert set(reminders) == {reminder_key(ids["ana"]), reminder_key(ids["birgit"])}
    assert reminders[reminder_key(ids["ana"])].facts.reminder
    for day in range(8, 40):
        assert _asked(session, COPENHAGEN_SLOT + timedelta(days=day)) == {}
    assert set(session.scalars(select(FollowUp.reminders_sent))) == {1}


def test_an_answer_or_a_withdrawn_consent_stops_the_reminder(session: Session, ids: dict[str, int]) -> None:
    _asked(session, COPENHAGEN_SLOT)
    _record(session, ids["ana"], now=COPENHAGEN_SLOT + timedelta(days=1))
    consent = session.scalar(select(Consent).where(Consent.participant_id == ids["birgit"],
                                                   Consent.purpose == ConsentPurpose.FOLLOW_UP))
    assert consent is not None
    consent.granted = False
    session.flush()
    assert _asked(session, COPENHAGEN_SLOT + timedelta(days=7)) == {}
    follow_up = session.scalar(select(FollowUp).where(FollowUp.participant_id == ids["ana"]))
    assert follow_up is not None and follow_up.answered_at == COPENHAGEN_SLOT + timedelta(days=1)


def test_an_earlier_outcome_is_shown_in_the_question_and_one_at_six_months_answers_it(
    session: Session, ids: dict[str, int]
) -> None:
    _record(session, ids["ana"], started_on=date(2027, 6, 15), now=datetime(2027, 7, 1, 12, 0, tzinfo=UTC))
    _record(session, ids["birgit"], now=COPENHAGEN_SLOT - timedelta(minutes=30))  # told us this morning
    asked = _asked(session, COPENHAGEN_SLOT)
    assert set(asked) == {ask_key(ids["ana"])}
    facts = asked[ask_key(ids["ana"])].facts
    assert facts.last_status is OutcomeStatus.EMPLOYED and facts.last_started_on == date(2027, 6, 15)


def test_the_latest_outcome_wins(session: Session, ids: dict[str, int]) -> None:
    _record(session, ids["ana"], status=OutcomeStatus.INTERNSHIP, started_on=date(2027, 6, 1))
    _record(session, ids["ana"], status=OutcomeStatus.LOOKING, started_on=date(2027, 10, 1),
            source=OutcomeSource.COORDINATOR, now=COPENHAGEN_SLOT + timedelta(hours=1))
    rows = session.scalars(select(Outcome)).all()
    assert len(rows) == 1
    assert (rows[0].status, rows[0].started_on, rows[0].source) == (OutcomeStatus.LOOKING, None,
                                                                     OutcomeSource.COORDINATOR)
    assert rows[0].recorded_at == COPENHAGEN_SLOT + timedelta(hours=1)


def _submit(session: Session, *, user: str, participant_id: int | None, **kwargs: Any) -> Any:
    values: dict[str, Any] = {"source": OutcomeSource.SELF, "status": OutcomeStatus.EMPLOYED,
                              "started_on": date(2027, 9, 1), "network_helped": None, "consent_confirmed": False,
                              "now": COPENHAGEN_SLOT, "admin_user_ids": ("UADMIN",)}
    values.update(kwargs)
    return submit_outcome(session, workspace=ONE_WORKSPACE, slack_user_id=user, participant_id=participant_id, **values)


def test_a_start_day_must_be_real_and_is_asked_of_the_mentee_for_dated_situations(
    session: Session, ids: dict[str, int]
) -> None:
    ana = ids["ana"]
    assert _submit(session, user="UANA", participant_id=ana, started_on=date(2027, 12, 1)).errors == {
        STARTED_FIELD: "outcomes.error.future"}
    assert _submit(session, user="UANA", participant_id=ana, started_on=date(2025, 1, 1)).errors == {
        STARTED_FIELD: "outcomes.error.too_early"}
    assert _submit(session, user="UANA", participant_id=ana, started_on=None).errors == {
        STARTED_FIELD: "outcomes.error.started_required"}
    assert _submit(session, user="UANA", participant_id=ana, status=None).errors == {
        STATUS_FIELD: "outcomes.error.status"}
    assert session.scalar(select(Outcome)) is None  # nothing stored from a form with errors
    # Still looking needs no day; today is fine (in Copenhagen it is already 30 November).
    assert _submit(session, user="UANA", participant_id=ana, status=OutcomeStatus.LOOKING, started_on=None).recorded
    assert _submit(session, user="UANA", participant_id=ana, started_on=date(2027, 11, 30)).recorded


def test_a_mentee_records_only_their_own_outcome(session: Session, ids: dict[str, int]) -> None:
    refused = _submit(session, user="UCARLA", participant_id=ids["ana"])
    assert refused.refusal is OutcomeRefusal.NOT_YOURS and session.scalar(select(Outcome)) is None
    assert _submit(session, user="USOEREN", participant_id=ids["soeren"]).refusal is OutcomeRefusal.GONE
    done = _submit(session, user="UCARLA", participant_id=ids["carla"], network_helped=True)
    assert done.recorded is not None and done.recorded.source is OutcomeSource.SELF


def test_a_coordinator_records_for_a_mentee_of_their_round_only_and_confirms_consent(
    session: Session, ids: dict[str, int]
) -> None:
    dina = ids["dina"]  # said no to the follow-up in onboarding; agreed on the phone since
    coordinator = {"source": OutcomeSource.COORDINATOR, "started_on": None}
    assert _submit(session, user="UOLGA", participant_id=dina, consent_confirmed=True,
                   **coordinator).refusal is OutcomeRefusal.NOT_YOUR_ROUND
    assert _submit(session, user="UMETTE", participant_id=dina, **coordinator).errors == {
        CONSENT_FIELD: "outcomes.error.consent"}
    assert session.scalar(select(Outcome)) is None
    done = _submit(session, user="UMETTE", participant_id=dina, consent_confirmed=True, **coordinator)
    assert done.recorded is not None and done.language == "da"
    outcome = session.scalar(select(Outcome).where(Outcome.participant_id == dina))
    assert outcome is not None and outcome.recorded_by == "UMETTE" and outcome.source is OutcomeSource.COORDINATOR
    consent = session.scalar(select(Consent).where(Consent.participant_id == dina,
                                                   Consent.purpose == ConsentPurpose.FOLLOW_UP))
    assert consent is not None and consent.granted is True
    # An admin (MENTORBOT_ADMINS) coordinates every round.
    assert _submit(session, user="UADMIN", participant_id=ids["oscar"], consent_confirmed=True,
                   **coordinator).recorded is not None


def test_only_mentees_open_their_own_form(session: Session, ids: dict[str, int]) -> None:
    assert own_outcome_form(session, workspace=ONE_WORKSPACE, slack_user_id="USOEREN").refusal is OutcomeRefusal.MENTOR
    assert own_outcome_form(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE").refusal is OutcomeRefusal.NOT_A_MENTEE
    assert own_outcome_form(session, workspace=ONE_WORKSPACE, slack_user_id="UCARLA", participant_id=ids["ana"]).refusal is \
        OutcomeRefusal.NOT_YOURS
    ana = own_outcome_form(session, workspace=ONE_WORKSPACE, slack_user_id="UANA").form
    assert ana is not None and ana.participant_id == ids["ana"] and not ana.ask_consent
    dina = own_outcome_form(session, workspace=ONE_WORKSPACE, slack_user_id="UDINA").form
    assert dina is not None and dina.ask_consent  # said no: may agree in the form, or not


def test_a_coordinator_names_the_person_within_their_rounds(session: Session, ids: dict[str, int]) -> None:
    def form(user: str, query: str) -> Any:
        return coordinator_outcome_form(session, workspace=ONE_WORKSPACE, slack_user_id=user, admin_user_ids=("UADMIN",),
                                        query=query,
                                        now=COPENHAGEN_SLOT)

    found = form("UMETTE", "ana")  # Oscar Ana Lima is in Olga's round, not Mette's
    assert found.form is not None and found.form.participant_id == ids["ana"] and found.form.ask_consent
    assert form("UMETTE", "aasa").form.participant_id == ids["birgit"]  # as ASCII
    assert form("UMETTE", "ANA@example.org").form.participant_id == ids["ana"]
    ambiguous = form("UADMIN", "ana")
    assert ambiguous.refusal is OutcomeRefusal.AMBIGUOUS
    assert {choice.name for choice in ambiguous.candidates} == {"Ana Souza", "Oscar Ana Lima"}
    assert form("UADMIN", "ana souza").form.participant_id == ids["ana"]
    assert form("UMETTE", "søren").refusal is OutcomeRefusal.WRONG_ROLE
    assert form("UMETTE", "oscar").refusal is OutcomeRefusal.NO_MATCH
    assert form("UMETTE", "   ").refusal is OutcomeRefusal.NO_NAME
    assert form("UMETTE", "frida").refusal is OutcomeRefusal.SURVEY_CLOSED  # a company contact: see below


def test_a_coordinator_enters_a_company_contacts_answers_by_hand_while_the_survey_is_open(
    session: Session, ids: dict[str, int]
) -> None:
    def form(user: str, now: datetime) -> Any:
        return coordinator_outcome_form(session, workspace=ONE_WORKSPACE, slack_user_id=user, admin_user_ids=("UADMIN",),
                                        query="frida",
                                        now=now)

    early = form("UMETTE", COMPANY_SURVEY_DAY - timedelta(days=10))  # the round is not over yet
    assert early.refusal is OutcomeRefusal.SURVEY_NOT_OPEN and early.when == date(2027, 6, 1)
    # The tick has not opened the survey (a worker that was down): the coordinator's entry opens it as planned.
    found = form("UMETTE", COMPANY_SURVEY_DAY).company
    survey_id = session.scalar(select(Survey.id).where(Survey.kind == SurveyKind.COMPANY))
    assert survey_id is not None
    assert found is not None and found.participant_id == ids["firma"] and found.company == "Nordisk Byg A/S"
    assert [question.key for question in found.questions] == ["company_retention"]

    def enter(user: str, values: dict[str, int | None], consent: bool = True) -> Any:
        return record_company_answer(session, workspace=ONE_WORKSPACE, slack_user_id=user, admin_user_ids=("UADMIN",),
                                     participant_id=ids["firma"], values=values, comment="Helpful <!channel>",
                                     consent_confirmed=consent, now=COMPANY_SURVEY_DAY)

    assert enter("UOLGA", {"company_retention": 4}).refusal is OutcomeRefusal.NOT_YOUR_ROUND
    assert enter("UMETTE", {"company_retention": 4}, consent=False).errors == {
        CONSENT_FIELD: "outcomes.company.error.consent"}
    assert enter("UMETTE", {"company_retention": None}).errors == {
        "company_retention": "outcomes.company.error.required"}
    assert session.scalar(select(SurveyAnswer)) is None
    done = enter("UMETTE", {"company_retention": 4})
    assert done.recorded is not None and done.recorded.company == "Nordisk Byg A/S" and done.language == "da"
    answers = {row.question: (row.value, row.text) for row in session.scalars(
        select(SurveyAnswer).where(SurveyAnswer.survey_id == survey_id))}
    assert answers == {"company_retention": (4, None), "comment": (None, "Helpful <!channel>")}
    assert has_granted(session, participant_id=ids["firma"], purpose=ConsentPurpose.EVALUATION)
    late = form("UMETTE", COMPANY_SURVEY_DAY + timedelta(days=60))
    assert late.refusal is OutcomeRefusal.SURVEY_CLOSED and late.when == date(2027, 7, 1)
    assert enter("UADMIN", {"company_retention": 5}).recorded is not None  # an admin runs every round


def test_recording_directly_still_refuses_a_day_that_cannot_be(session: Session, ids: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"outcomes\.error\.future"):
        _record(session, ids["ana"], started_on=date(2028, 1, 1))
    assert session.scalar(select(Outcome)) is None
