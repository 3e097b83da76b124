"""More multi-click flows fired at the same instant, beside tests/scenario/test_simultaneous_clicks.py
(consent, RSVP, attendance, review, check-ins, confirm-and-delete, profile, end pair,
pause), the pulse clicks (test_surveys), outcomes (test_outcomes), Handled (test_digest)
and publish (test_issue8_probes): the flows that write and were not yet fired together.

- both of a pair logging the same meeting at once: one session, confirmed by the other;
- the session modal submitted twice at once: one session, one post; the edit form twice:
  one change note in the post's thread;
- the partner's Confirm double-clicked: confirmed once, nothing posted twice;
- a survey form submitted twice at once: one answer per question, thanked once;
- "No thanks" double-clicked: one "no"; Erase double-clicked: erased once, both answered.

Run with TEST_DATABASE_URL (PostgreSQL, READ COMMITTED) too: there each request's
transaction sees only what was committed when it read.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Consent, ConsentPurpose, MentoringSession, Pair, Participant, SurveyAnswer, SurveyInvitation
from tests.support.concurrency import failed_listeners, simultaneously
from tests.support.two_programmes import NOTE, TwoProgrammes, build_two_programmes


def _channel(slack: SandboxedApp, world: TwoProgrammes) -> str:
    with unit_of_work(slack.runtime.session_factory) as session:
        channel = session.get_one(Pair, world.pair).slack_channel_id
    assert channel
    return channel


def _sessions(slack: SandboxedApp, world: TwoProgrammes) -> list[tuple[Any, ...]]:
    with unit_of_work(slack.runtime.session_factory) as session:
        return [tuple(row) for row in session.execute(
            select(MentoringSession.held_on, MentoringSession.logged_by_id, MentoringSession.confirmed_by_id)
            .where(MentoringSession.pair_id == world.pair).order_by(MentoringSession.id))]


def _posted(slack: SandboxedApp, channel: str) -> list[dict[str, Any]]:
    return [call.args for call in slack.sandbox.calls_to("chat.postMessage") if call.args.get("channel") == channel]


def test_both_of_a_pair_logging_the_same_meeting_at_once_store_one_confirmed_session(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    world = build_two_programmes(slack)
    channel = _channel(slack, world)
    with unit_of_work(slack.runtime.session_factory) as session:  # yesterday's 1:1 would be "the same meeting"
        session.execute(delete(MentoringSession).where(MentoringSession.id == world.session))
    slack.sandbox.reset_calls()
    responses = simultaneously([
        lambda: slack.driver.slash_command(user_id="UMIKKEL", command="/log-session", text="today 1h CV review",
                                           channel_id=channel),
        lambda: slack.driver.slash_command(user_id="UESTHER", command="/log-session", text="today 1h CV review",
                                           channel_id=channel),
    ])
    slack.settle()
    assert [response.status for response in responses] == [200, 200]
    assert failed_listeners(caplog) == []
    today = slack.clock.now().date()
    logged = [row for row in _sessions(slack, world) if row[0] == today]
    assert len(logged) == 1, logged
    (_, author, confirmer), = logged
    assert {author, confirmer} == {world.people["mikkel"], world.people["esther"]}, "one logged, the other confirmed"
    assert len(_posted(slack, channel)) == 1, "posted in the pair channel once"


def test_the_session_modal_submitted_twice_at_once_stores_one_session(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    world = build_two_programmes(slack)
    channel = _channel(slack, world)
    with unit_of_work(slack.runtime.session_factory) as session:
        session.execute(delete(MentoringSession).where(MentoringSession.id == world.session))
    slack.click("UMIKKEL", "session.log.open", value=str(world.pair), channel_id=channel)
    modal = slack.sandbox.opened_views[-1]
    values: dict[str, Any] = {
              "held_on": {"held_on": {"type": "datepicker", "selected_date": slack.clock.now().date().isoformat()}},
              "duration": {"duration": {"type": "plain_text_input", "value": "45"}},
              "topics": {"topics": {"type": "checkboxes", "selected_options": [
                  {"text": {"type": "plain_text", "text": "cv"}, "value": "cv"}]}},
              "introductions": {"introductions": {"type": "number_input", "value": "1"}},
              "notes": {"notes": {"type": "plain_text_input", "value": "went well"}}}
    slack.sandbox.reset_calls()
    responses = simultaneously([
        lambda: slack.driver.view_submission(user_id="UMIKKEL", callback_id="session.log.submit", values=values,
                                             view_id=modal["id"], apply_response=False)
        for _ in range(2)])
    slack.settle()
    assert [response.status for response in responses] == [200, 200]
    assert failed_listeners(caplog) == []
    today = slack.clock.now().date()
    assert [row for row in _sessions(slack, world) if row[0] == today] == [(today, world.people["mikkel"], None)]
    assert len(_posted(slack, channel)) == 1, "posted in the pair channel once"


def test_confirm_double_clicked_at_once_confirms_once_and_posts_nothing_twice(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    world = build_two_programmes(slack)
    channel = _channel(slack, world)
    slack.sandbox.reset_calls()
    responses = simultaneously([
        lambda: slack.driver.block_action(user_id="UESTHER", action_id=f"session.confirm.{world.session}",
                                          value=str(world.session), channel_id=channel)
        for _ in range(3)])
    slack.settle()
    assert [response.status for response in responses] == [200, 200, 200]
    assert failed_listeners(caplog) == []
    assert _sessions(slack, world) == [(_sessions(slack, world)[0][0], world.people["mikkel"],
                                        world.people["esther"])]
    # The session had no post yet: the first confirmation posts it, the others redraw that post.
    assert len(_posted(slack, channel)) == 1, _posted(slack, channel)


def test_a_survey_form_submitted_twice_at_once_stores_one_answer_per_question(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    world = build_two_programmes(slack)
    dm = slack.sandbox.im_channel_for("UESTHER")
    slack.click("UESTHER", "survey.open", value=str(world.midway_invitation), channel_id=dm)
    form = slack.sandbox.opened_views[-1]
    questions = [block["block_id"] for block in form["blocks"]
                 if block["type"] == "input" and block["block_id"].startswith("survey.q.")]
    assert questions, form

    def submit(value: str) -> Any:
        values = {question: {question: {"type": "radio_buttons", "selected_option": {"value": value}}}
                  for question in questions}
        return lambda: slack.driver.view_submission(user_id="UESTHER", callback_id="survey.submit", values=values,
                                                    view_id=form["id"], apply_response=False)

    slack.sandbox.reset_calls()
    responses = simultaneously([submit("4"), submit("5")])
    slack.settle()
    assert [response.status for response in responses] == [200, 200]
    assert failed_listeners(caplog) == []
    with unit_of_work(slack.runtime.session_factory) as session:
        invitation = session.get_one(SurveyInvitation, world.midway_invitation)
        answers = session.execute(select(SurveyAnswer.question, func.count(), func.min(SurveyAnswer.value),
                                         func.max(SurveyAnswer.value))
                                  .where(SurveyAnswer.survey_id == invitation.survey_id,
                                         SurveyAnswer.participant_id == world.people["esther"])
                                  .group_by(SurveyAnswer.question)).all()
        assert invitation.answered_at is not None
    assert len(answers) == len(questions)
    assert all(count == 1 for _, count, _, _ in answers), answers
    # One submission's answers whole, not a mix of the two.
    assert len({(low, high) for _, _, low, high in answers}) == 1, answers
    thanks = [call for call in slack.sandbox.calls if call.method in ("chat.postMessage", "chat.update")]
    assert len(thanks) <= 2 and all(call.args.get("channel") in (dm, "UESTHER") for call in thanks)


def test_no_thanks_double_clicked_at_once_records_one_no(slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    world = build_two_programmes(slack)
    dm = slack.sandbox.im_channel_for("UESTHER")
    responses = simultaneously([
        lambda: slack.driver.block_action(user_id="UESTHER", action_id="survey.decline",
                                          value=str(world.midway_invitation), channel_id=dm)
        for _ in range(2)])
    slack.settle()
    assert [response.status for response in responses] == [200, 200]
    assert failed_listeners(caplog) == []
    with unit_of_work(slack.runtime.session_factory) as session:
        said = session.execute(select(Consent.granted).where(
            Consent.participant_id == world.people["esther"], Consent.purpose == ConsentPurpose.EVALUATION)).all()
    assert [tuple(row) for row in said] == [(False,)]


def test_erase_double_clicked_at_once_erases_once_and_answers_both(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    world = build_two_programmes(slack)
    dm = slack.sandbox.im_channel_for("UCARLA")
    responses = simultaneously([
        lambda: slack.driver.block_action(user_id="UCARLA", action_id="privacy.erase.confirm",
                                          value=str(world.people["esther"]), channel_id=dm)
        for _ in range(2)])
    slack.settle()
    assert [response.status for response in responses] == [200, 200]
    assert failed_listeners(caplog) == []
    with unit_of_work(slack.runtime.session_factory) as session:
        esther = session.get_one(Participant, world.people["esther"])
        assert esther.erased_at is not None and esther.name != "Esther Hiddenova"
        assert session.scalar(select(MentoringSession.notes).where(MentoringSession.id == world.session)) != NOTE
    answers = [body for _, body in slack.sandbox.response_posts]
    assert len(answers) == 2, answers


def test_the_edit_form_submitted_twice_at_once_notes_the_change_once(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    """The author corrects a posted session and the form goes twice: one change, one note
    about it in the post's thread."""
    world = build_two_programmes(slack)
    channel = _channel(slack, world)
    slack.click("UESTHER", f"session.confirm.{world.session}", value=str(world.session), channel_id=channel)
    slack.click("UMIKKEL", f"session.edit.{world.session}", value=str(world.session), channel_id=channel)
    form = slack.sandbox.opened_views[-1]
    values = {block: {block: value} for block, value in {
        "held_on": {"type": "datepicker", "selected_date": "2027-02-01"},
        "duration": {"type": "plain_text_input", "value": "90"},
        "topics": {"type": "checkboxes", "selected_options": [{"text": {"type": "plain_text", "text": "cv"},
                                                                "value": "cv"}]},
        "introductions": {"type": "number_input", "value": "0"},
        "notes": {"type": "plain_text_input", "value": NOTE}}.items()}
    slack.sandbox.reset_calls()
    responses = simultaneously([
        lambda: slack.driver.view_submission(user_id="UMIKKEL", callback_id="session.log.submit", values=values,
                                             view_id=form["id"], apply_response=False)
        for _ in range(2)])
    slack.settle()
    assert [response.status for response in responses] == [200, 200]
    assert failed_listeners(caplog) == []
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.get_one(MentoringSession, world.session).duration_minutes == 90
    replies = [args for args in _posted(slack, channel) if args.get("thread_ts")]
    assert len(replies) == 1, replies
    assert [args for args in _posted(slack, channel) if not args.get("thread_ts")] == [], "no second post"
