"""The survey rules: when each survey opens, who is asked (consent, daytime), reminders up to
their limit, answers that replace each other, and a survey that has closed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.notices import Notice, Person
from bot.surveys.notices import CompanyContactsToAskFacts, SurveyInvitationFacts
from bot.surveys.service import (
    PULSE_CONFIDENCE,
    PULSE_USEFUL,
    AnswerStatus,
    answer_pulse,
    due_surveys,
    hand_entry_form,
    planned_surveys,
    record_by_hand,
    submit_survey,
    survey_form,
)
from storage.models import (
    ConsentPurpose,
    MeetingKind,
    Participant,
    Role,
    Round,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import World, consent, meeting, pair, person, standard_world
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc
PULSE_1_OPENS = datetime(2027, 2, 21, 23, 0, tzinfo=UTC)  # Monday 22 February, 00:00 in Copenhagen
CPH_TEN = datetime(2027, 2, 22, 9, 0, tzinfo=UTC)
LONDON_TEN = datetime(2027, 2, 22, 10, 0, tzinfo=UTC)


def _world(session: Session) -> World:
    world = standard_world(session)
    for key in ("lars", "ana"):
        consent(session, world, key, ConsentPurpose.EVALUATION)
    return world


def _invitations(session: Session) -> list[SurveyInvitation]:
    return list(session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.id)))


def _to(notices: list[Notice], user_id: str) -> list[Notice]:
    return [notice for notice in notices if notice.to == Person(user_id, team_id="")]


def test_the_plan_has_a_pulse_every_three_weeks_until_the_closing_meeting(session: Session) -> None:
    world = _world(session)
    meeting(session, world, "closing", kind=MeetingKind.CLOSING, starts_at=datetime(2027, 5, 20, 15, 0, tzinfo=UTC))
    round_ = session.get_one(Round, world.round_id)
    session.refresh(round_)
    plan = planned_surveys(round_, programme_zone="Europe/Copenhagen", meetings=round_.meetings)
    pulses = [planned for planned in plan if planned.kind is SurveyKind.PULSE]
    assert [p.opens_at.date().isoformat() for p in pulses] == [
        "2027-02-21", "2027-03-14", "2027-04-04", "2027-04-25", "2027-05-16"]
    assert all(p.closes_at <= datetime(2027, 5, 20, 17, 0, tzinfo=UTC) for p in pulses)
    final = next(planned for planned in plan if planned.kind is SurveyKind.FINAL)
    assert final.opens_at == datetime(2027, 5, 20, 17, 0, tzinfo=UTC)  # the closing meeting's end


def test_a_pulse_reaches_each_person_in_their_own_daytime_and_only_with_consent(session: Session) -> None:
    world = _world(session)
    person(session, world, "mia", role=Role.MENTOR)
    person(session, world, "noor", role=Role.MENTEE)
    pair(session, world, "mn", mentor="mia", mentee="noor")
    consent(session, world, "mia", ConsentPurpose.EVALUATION, granted=False)  # said no; noor never answered

    assert due_surveys(session, now=PULSE_1_OPENS + timedelta(hours=2)).notices == []  # 02:00 in Copenhagen
    at_ten = due_surveys(session, now=CPH_TEN)
    assert [notice.to for notice in at_ten.notices] == [Person("ULARS", team_id="")]
    facts = at_ten.notices[0].facts
    assert isinstance(facts, SurveyInvitationFacts) and facts.survey.kind is SurveyKind.PULSE
    assert [question.key for question in facts.survey.questions] == [PULSE_USEFUL, PULSE_CONFIDENCE]
    assert at_ten.notices[0].not_before == CPH_TEN

    london = due_surveys(session, now=LONDON_TEN)
    assert [notice.to for notice in london.notices] == [Person("UANA", team_id="")]
    assert due_surveys(session, now=LONDON_TEN + timedelta(minutes=5)).notices == []  # asked once
    assert len(_invitations(session)) == 2


def test_a_pulse_is_reminded_once_then_it_lapses(session: Session) -> None:
    _world(session)
    due_surveys(session, now=CPH_TEN)
    thursday = CPH_TEN + timedelta(days=3)  # three working days later
    assert due_surveys(session, now=thursday - timedelta(days=1)).notices == []
    reminded = due_surveys(session, now=thursday)
    assert [notice.to for notice in reminded.notices] == [Person("ULARS", team_id="")]
    assert reminded.notices[0].facts.reminder == 1
    for day in range(1, 15):  # until the next pulse opens on 15 March
        assert _to(due_surveys(session, now=thursday + timedelta(days=day)).notices, "ULARS") == []


def test_answers_replace_each_other_and_the_pulse_counts_as_answered_once_both_are_in(session: Session) -> None:
    _world(session)
    due_surveys(session, now=CPH_TEN)
    invitation = _invitations(session)[0]
    first = answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=invitation.id, slack_user_id="ULARS",
                         question=PULSE_USEFUL, value=2,
                         now=CPH_TEN)
    again = answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=invitation.id, slack_user_id="ULARS",
                         question=PULSE_USEFUL, value=4,
                         now=CPH_TEN + timedelta(seconds=1))
    assert first.status is again.status is AnswerStatus.RECORDED
    assert session.scalar(select(func.count()).select_from(SurveyAnswer)) == 1
    assert session.scalar(select(SurveyAnswer.value)) == 4
    session.refresh(invitation)
    assert invitation.answered_at is None
    done = answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=invitation.id, slack_user_id="ULARS",
                        question=PULSE_CONFIDENCE,
                        value=5, now=CPH_TEN)
    assert done.facts is not None and done.facts.answered
    assert [question.value for question in done.facts.questions] == [4, 5]
    # Answered: no reminder.
    assert _to(due_surveys(session, now=CPH_TEN + timedelta(days=3)).notices, "ULARS") == []


def test_someone_elses_click_a_forged_one_and_a_late_one_change_nothing(session: Session) -> None:
    _world(session)
    due_surveys(session, now=CPH_TEN)
    invitation = _invitations(session)[0]
    assert answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=invitation.id, slack_user_id="UANA",
                        question=PULSE_USEFUL, value=1,
                        now=CPH_TEN).status is AnswerStatus.NOT_YOURS
    assert answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=invitation.id, slack_user_id="ULARS",
                        question="pulse.other", value=1,
                        now=CPH_TEN).status is AnswerStatus.INVALID
    assert answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=invitation.id, slack_user_id="ULARS",
                        question=PULSE_USEFUL, value=9,
                        now=CPH_TEN).status is AnswerStatus.INVALID
    assert answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=99999, slack_user_id="ULARS", question=PULSE_USEFUL,
                        value=1,
                        now=CPH_TEN).status is AnswerStatus.UNKNOWN
    survey = session.get_one(Survey, invitation.survey_id)
    late = answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=invitation.id, slack_user_id="ULARS",
                        question=PULSE_USEFUL, value=3,
                        now=survey.closes_at)
    assert late.status is AnswerStatus.CLOSED
    assert session.scalar(select(func.count()).select_from(SurveyAnswer)) == 0


def test_withdrawn_consent_stops_reminders_and_refuses_answers(session: Session) -> None:
    world = _world(session)
    due_surveys(session, now=CPH_TEN)
    consent(session, world, "lars", ConsentPurpose.EVALUATION, granted=False)
    invitation = _invitations(session)[0]
    assert answer_pulse(session, workspace=ONE_WORKSPACE, invitation_id=invitation.id, slack_user_id="ULARS",
                        question=PULSE_USEFUL, value=3,
                        now=CPH_TEN).status is AnswerStatus.NO_CONSENT
    # Still invited (the row exists), but the next tick's reminder skips them: not eligible any more.
    assert _to(due_surveys(session, now=CPH_TEN + timedelta(days=3)).notices, "ULARS") == []


def test_the_midway_form_asks_the_roles_criteria_and_refuses_gaps(session: Session) -> None:
    world = _world(session)
    ends = datetime(2027, 3, 24, 17, 0, tzinfo=UTC)
    meeting(session, world, "midway", kind=MeetingKind.MIDWAY, starts_at=ends - timedelta(hours=2))
    morning = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)  # Thursday 10:00 in Copenhagen
    notices = _to(due_surveys(session, now=morning).notices, "ULARS")
    midway = [n for n in notices if n.facts.survey.kind is SurveyKind.MIDWAY]
    assert len(midway) == 1
    invitation_id = midway[0].facts.survey.invitation_id
    form = survey_form(session, workspace=ONE_WORKSPACE, invitation_id=invitation_id, slack_user_id="ULARS", now=morning)
    assert form.facts is not None
    assert [q.key for q in form.facts.questions] == ["mentor_network", "mentor_intercultural", "recommend"]
    gap = submit_survey(session, workspace=ONE_WORKSPACE, invitation_id=invitation_id, slack_user_id="ULARS",
                        values={"mentor_network": 5}, comment=None, consent=None, now=morning)
    assert gap.status is AnswerStatus.INVALID
    assert gap.errors == {"mentor_intercultural": "required", "recommend": "required"}
    assert session.scalar(select(func.count()).select_from(SurveyAnswer)) == 0
    done = submit_survey(session, workspace=ONE_WORKSPACE, invitation_id=invitation_id, slack_user_id="ULARS",
                         values={"mentor_network": 5, "mentor_intercultural": 3, "recommend": 4},
                         comment="  Lovely <!channel> round  ", consent=None, now=morning)
    assert done.status is AnswerStatus.RECORDED
    again = submit_survey(session, workspace=ONE_WORKSPACE, invitation_id=invitation_id, slack_user_id="ULARS",
                          values={"mentor_network": 2, "mentor_intercultural": 3, "recommend": 4},
                          comment="", consent=None, now=morning)
    assert again.status is AnswerStatus.RECORDED
    stored = dict(session.execute(select(SurveyAnswer.question, SurveyAnswer.value)).all())
    assert stored == {"mentor_network": 2, "mentor_intercultural": 3, "recommend": 4}  # the comment was emptied


def test_midway_and_final_are_reminded_twice_at_most(session: Session) -> None:
    world = _world(session)
    ends = datetime(2027, 3, 24, 17, 0, tzinfo=UTC)
    meeting(session, world, "midway", kind=MeetingKind.MIDWAY, starts_at=ends - timedelta(hours=2))
    start = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)
    reminders = []
    for day in range(14):
        for notice in _to(due_surveys(session, now=start + timedelta(days=day)).notices, "ULARS"):
            if notice.facts.survey.kind is SurveyKind.MIDWAY:
                reminders.append((day, notice.facts.reminder))
    assert reminders == [(0, 0), (5, 1), (11, 2)]  # Thu; +3 working days (Tue); +7 working days (Mon)


def test_company_contacts_not_in_slack_are_listed_for_the_coordinators_and_entered_by_hand(session: Session) -> None:
    world = _world(session)
    contact = person(session, world, "sofie", role=Role.COMPANY_CONTACT, slack=False, consented=False)
    contact.company = "Novo Nordisk"
    session.get_one(Participant, world.people["ana"]).partner_company = " novo nordisk"
    session.flush()
    before = hand_entry_form(session, participant_id=contact.id, now=CPH_TEN)
    assert before.status is AnswerStatus.NOT_OPEN
    after_round = datetime(2027, 5, 24, 9, 0, tzinfo=UTC)
    due = due_surveys(session, now=after_round)
    lists = [notice for notice in due.notices if isinstance(notice.facts, CompanyContactsToAskFacts)]
    assert len(lists) == 1
    assert [(c.name, c.company, c.mentees) for c in lists[0].facts.contacts] == [("Sofie", "Novo Nordisk", 1)]
    assert lists[0].facts.timezone == "Europe/Copenhagen"  # the closing day is shown in the programme's zone
    assert due_surveys(session, now=after_round + timedelta(minutes=1)).notices == []  # listed once
    form = hand_entry_form(session, participant_id=contact.id, now=after_round)
    assert form.facts is not None and [q.key for q in form.facts.questions] == ["company_retention"]
    refused = record_by_hand(session, participant_id=contact.id, values={"company_retention": 4}, comment=None,
                             consent=False, now=after_round)
    assert refused.errors == {"consent": "required"}
    recorded = record_by_hand(session, participant_id=contact.id, values={"company_retention": 4}, comment=None,
                              consent=True, now=after_round)
    assert recorded.status is AnswerStatus.RECORDED
    assert session.scalar(select(SurveyAnswer.value)) == 4
