"""Buttons pressed quickly, through the signed endpoint: Slack delivers the clicks within
milliseconds and Bolt runs their listeners side by side, so every multi-click flow must end
right whatever order the transactions interleave in. These matter most on PostgreSQL
(READ COMMITTED: each transaction sees only what was committed when it read), so run them
with TEST_DATABASE_URL too; on SQLite `BEGIN IMMEDIATE` already serialises writers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from bot.matching.review import review_of
from bot.nudges.checkins import record_met
from bot.pairs.end import closing_key
from bot.pairs.pauses import coordinator_pause_prefix, pause_notice_prefix, welcome_back_prefix
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import (
    Checkin,
    CheckinAnswer,
    Consent,
    ConsentPurpose,
    ConstraintKind,
    MatchConstraint,
    MatchProposal,
    MeetingKind,
    MeetingRsvp,
    MentoringSession,
    OutboxMessage,
    OutboxState,
    Pair,
    PairStatus,
    Participant,
    Role,
)
from tests.factories import EPOCH, make_participant, make_round
from tests.match_factories import make_ready, make_round_in
from tests.nudge_world import World, meeting, new_world, pair, person
from tests.support.answers import answers_on, button, find_element
from tests.support.concurrency import at_first_write, failed_listeners, simultaneously
from tests.support.notices import slack_payload

PEOPLE = 20
YES_BUTTONS = tuple(f"consent.{purpose.value}.yes" for purpose in ConsentPurpose)


def _welcomed_people(slack: SandboxedApp, count: int) -> list[str]:
    """`count` mentees found in Slack and sent their welcome DM (by the real tick)."""
    user_ids = [f"UPERSON{number:02d}" for number in range(count)]
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round(session)
        for number, user_id in enumerate(user_ids):
            slack.sandbox.add_user(user_id=user_id, name=f"person{number}", real_name=f"Person {number}",
                                   tz="Europe/Copenhagen")
            make_participant(session, round_=round_, email=f"person{number}@example.org", name=f"Person {number}",
                             slack_user_id=user_id)
    slack.tick_and_deliver()
    assert all(len(slack.sandbox.dm_messages(user_id)) == 1 for user_id in user_ids), "everyone is welcomed"
    return user_ids


def _press_together(slack: SandboxedApp, user_id: str, action_ids: tuple[str, ...]) -> None:
    """Press these buttons of the person's welcome DM at the same instant, then let every
    listener finish."""
    welcome = slack.sandbox.dm_messages(user_id)[0]
    channel = slack.sandbox.im_channel_for(user_id)

    def press(action_id: str) -> Any:
        block_id, value = button(welcome, action_id)
        return lambda: slack.driver.block_action(user_id=user_id, action_id=action_id, value=value,
                                                 block_id=block_id, message=welcome, channel_id=channel)

    responses = simultaneously([press(action_id) for action_id in action_ids])
    assert all(response.status == 200 for response in responses)
    slack.settle()


def _consent_states(slack: SandboxedApp) -> dict[str, tuple[dict[str, bool], bool]]:
    """Per Slack user: the answers stored, and whether they count as consented."""
    with unit_of_work(slack.runtime.session_factory) as session:
        people = session.scalars(select(Participant)).all()
        return {
            person.slack_user_id or "": (
                {consent.purpose.value: consent.granted
                 for consent in session.scalars(select(Consent).where(Consent.participant_id == person.id))},
                person.consented_at is not None,
            )
            for person in people
        }


def _asked_for_consent(slack: SandboxedApp, user_id: str) -> bool:
    """Whether `/mentoring profile` still answers "answer the consent question first"."""
    response = slack.slash(user_id, "/mentoring", "profile")
    return any("consent question" in post.get("text", "") for post in answers_on(slack, response.response_url))


def test_three_consent_yes_clicks_at_once_always_count_as_consented(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    user_ids = _welcomed_people(slack, PEOPLE)
    for user_id in user_ids:
        _press_together(slack, user_id, YES_BUTTONS)

    states = _consent_states(slack)
    all_yes = {"coordination": True, "evaluation": True, "follow_up": True}
    assert all(states[user_id][0] == all_yes for user_id in user_ids), "every answer is stored"
    stuck = [user_id for user_id in user_ids if not states[user_id][1]]
    assert stuck == [], f"{len(stuck)} of {PEOPLE} people answered Yes three times yet are not consented"
    still_asked = [user_id for user_id in user_ids if _asked_for_consent(slack, user_id)]
    assert still_asked == [], f"{len(still_asked)} of {PEOPLE} are still asked for consent"
    assert failed_listeners(caplog) == []


def test_each_consent_button_double_clicked_at_once_is_recorded_once(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    user_ids = _welcomed_people(slack, PEOPLE // 2)
    for user_id in user_ids:
        _press_together(slack, user_id, YES_BUTTONS + YES_BUTTONS)

    assert failed_listeners(caplog) == [], "a second click of the same button must not crash its listener"
    states = _consent_states(slack)
    assert all(states[user_id][1] for user_id in user_ids)
    # Every click redraws its message with the answers on record: none is lost to an error.
    assert len(slack.sandbox.calls_to("chat.update")) == len(user_ids) * len(YES_BUTTONS) * 2


def test_pressing_yes_again_repairs_a_consent_left_uncounted(slack: SandboxedApp) -> None:
    """Someone whose three answers were stored without being counted as consent (what
    simultaneous clicks used to leave behind) is put right by pressing Yes once more, even
    though that answer itself does not change."""
    [user_id] = _welcomed_people(slack, 1)
    with unit_of_work(slack.runtime.session_factory) as session:
        person = session.scalar(select(Participant).where(Participant.slack_user_id == user_id))
        assert person is not None
        session.add_all([Consent(participant_id=person.id, purpose=purpose, granted=True, decided_at=EPOCH)
                         for purpose in ConsentPurpose])
    assert _asked_for_consent(slack, user_id)

    _press_together(slack, user_id, ("consent.coordination.yes",))

    assert _consent_states(slack)[user_id][1]
    assert not _asked_for_consent(slack, user_id)


# --- meeting RSVPs and attendance ---------------------------------------------------------------------

KICK_OFF = datetime(2027, 2, 24, 16, 0, tzinfo=UTC)
REMINDER_TIME = datetime(2027, 2, 17, 9, 0, tzinfo=UTC)  # a week before, 10:00 in Copenhagen


def _meeting_world(slack: SandboxedApp, count: int) -> tuple[list[str], World]:
    """`count` mentees who each got the kick-off reminder (by the real tick), and Mette, who
    coordinates."""
    user_ids = [f"UPERSON{number:02d}" for number in range(count)]
    slack.sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        built = new_world(session)
        person(session, built, "mette", role=Role.COORDINATOR)
        for number, user_id in enumerate(user_ids):
            slack.sandbox.add_user(user_id=user_id, name=f"person{number:02d}", tz="Europe/Copenhagen")
            person(session, built, f"person{number:02d}", role=Role.MENTEE)
        meeting(session, built, "kick", kind=MeetingKind.KICK_OFF, starts_at=KICK_OFF, title="Kick-off")
    slack.clock.set(REMINDER_TIME)
    slack.tick_and_deliver(now=REMINDER_TIME)
    assert all(len(slack.sandbox.dm_messages(user_id)) == 1 for user_id in user_ids), "everyone is reminded"
    return user_ids, built


def test_rsvp_buttons_pressed_together_store_one_answer_each(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    user_ids, _ = _meeting_world(slack, PEOPLE // 2)
    for user_id in user_ids:
        _press_together(slack, user_id, ("meeting.rsvp.yes", "meeting.rsvp.yes", "meeting.rsvp.no"))

    assert failed_listeners(caplog) == [], "a click arriving with another must not crash its listener"
    assert len(slack.sandbox.calls_to("chat.update")) == len(user_ids) * 3, "every click redraws its reminder"
    with unit_of_work(slack.runtime.session_factory) as session:
        rows = session.scalars(select(MeetingRsvp)).all()
    assert len(rows) == len(user_ids) and all(row.answer is not None for row in rows)


def test_attendance_submitted_twice_at_once_is_stored_and_confirmed_twice(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    user_ids, built = _meeting_world(slack, PEOPLE // 2)
    slack.clock.set(KICK_OFF + timedelta(hours=3))
    slack.slash("UMETTE", "/mentoring-admin", "attendance kick-off")
    view = slack.sandbox.opened_views[-1]
    [group] = [block for block in view["blocks"] if block["type"] == "input"]
    came = group["element"]["options"][::2]
    values = {group["block_id"]: {group["element"]["action_id"]: {"type": "checkboxes", "selected_options": came}}}

    def submit() -> Any:
        return slack.driver.view_submission(user_id="UMETTE", callback_id="meeting.attendance.submit",
                                            values=values, view_id=view["id"], apply_response=False)

    assert all(response.status == 200 for response in simultaneously([submit, submit]))
    slack.settle()

    assert failed_listeners(caplog) == []
    confirmations = [m for m in slack.sandbox.dm_messages("UMETTE") if f"{len(came)} of {len(user_ids)}" in m["text"]]
    assert len(confirmations) == 2, "each submission is confirmed"
    with unit_of_work(slack.runtime.session_factory) as session:
        attended = {row.participant_id: row.attended for row in session.scalars(select(MeetingRsvp))}
    ticked = {int(option["value"]) for option in came}
    assert attended == {built.people[f"person{n:02d}"]: built.people[f"person{n:02d}"] in ticked
                        for n in range(len(user_ids))}


# --- the matching review ------------------------------------------------------------------------------


def _review_world(slack: SandboxedApp) -> dict[str, int]:
    """Lars (engineering) and Sofie (law) mentor one mentee each; Ana (engineering, English) and
    Bo (law, Danish) are mentees; Mette coordinates. Unconstrained, the engine proposes
    Lars–Ana and Sofie–Bo; with both of those forbidden, Lars–Bo and Sofie–Ana."""
    for user_id, name in (("UMETTE", "Mette"), ("ULARS", "Lars"), ("USOFIE", "Sofie"), ("UANA", "Ana"), ("UBO", "Bo")):
        slack.sandbox.add_user(user_id=user_id, name=name.lower(), real_name=name, tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round_in(session)
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@kommune.dk", name="Mette",
                         slack_user_id="UMETTE")
        ids = {
            "lars": make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", name="Lars",
                               field="Engineering", languages=["English", "Danish"], slack_user_id="ULARS").id,
            "sofie": make_ready(session, round_=round_, role=Role.MENTOR, email="sofie@firm.dk", name="Sofie",
                                field="Law", languages=["Danish", "English"], slack_user_id="USOFIE").id,
            "ana": make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org", name="Ana",
                              field="Engineering", slack_user_id="UANA").id,
            "bo": make_ready(session, round_=round_, role=Role.MENTEE, email="bo@x.org", name="Bo", field="Law",
                             languages=["Danish"], slack_user_id="UBO").id,
        }
    return ids


def _review_clicks_together(slack: SandboxedApp, clicks: list[dict[str, Any]]) -> None:
    """Press several controls of Mette's current review at the same instant (each click is
    the keyword arguments of a block action), then let every listener finish."""
    review = slack.sandbox.ephemerals_for("UMETTE")[-1]
    responses = simultaneously([
        partial(slack.driver.block_action, user_id="UMETTE", message=review["ts"], **click) for click in clicks
    ])
    assert all(response.status == 200 for response in responses)
    slack.settle()


def _current_proposal(slack: SandboxedApp) -> tuple[set[tuple[int, int]], set[tuple[ConstraintKind, int, int]]]:
    """The pairs of the newest stored proposal (the one the review offers to publish), and
    the coordinators' constraints on record."""
    with unit_of_work(slack.runtime.session_factory) as session:
        newest = session.scalars(select(MatchProposal).order_by(MatchProposal.id.desc())).first()
        assert newest is not None
        pairs = {(pair.mentor_id, pair.mentee_id) for pair in review_of(newest).proposal.pairs}
        constraints = {(c.kind, c.mentor_id, c.mentee_id) for c in session.scalars(select(MatchConstraint))}
    return pairs, constraints


def test_review_changes_pressed_together_are_all_in_the_proposal_offered(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _review_world(slack)
    lars_ana, sofie_bo = (ids["lars"], ids["ana"]), (ids["sofie"], ids["bo"])
    slack.slash("UMETTE", "/mentoring-admin", "match")
    assert _current_proposal(slack) == ({lars_ana, sofie_bo}, set())

    wrong: list[str] = []
    for attempt in range(5):
        review = slack.sandbox.ephemerals_for("UMETTE")[-1]
        forbids = [f"match.forbid.{mentor}.{mentee}" for mentor, mentee in (lars_ana, sofie_bo)]
        _review_clicks_together(slack, [
            {"action_id": action_id, "value": find_element(review, action_id)[1]["value"]} for action_id in forbids
        ])
        pairs, constraints = _current_proposal(slack)
        assert constraints == {(ConstraintKind.FORBID, *lars_ana), (ConstraintKind.FORBID, *sofie_bo)}
        if pairs != {(ids["lars"], ids["bo"]), (ids["sofie"], ids["ana"])}:
            wrong.append(f"attempt {attempt}: both forbidden, yet {sorted(pairs)} offered")
            break  # the review no longer shows what the next step clicks

        review = slack.sandbox.ephemerals_for("UMETTE")[-1]
        allow = find_element(review, "match.allow")[1]
        if len(allow["options"]) != 2:
            wrong.append(f"attempt {attempt}: the review lists {len(allow['options'])} forbidden pair(s), not 2")
            break
        _review_clicks_together(slack, [
            {"action_id": "match.allow", "selected_option": option} for option in allow["options"]
        ])
        pairs, constraints = _current_proposal(slack)
        assert constraints == set()
        if pairs != {lars_ana, sofie_bo}:
            wrong.append(f"attempt {attempt}: both allowed again, yet {sorted(pairs)} offered")
            break

    assert failed_listeners(caplog) == []
    assert wrong == []


def test_a_review_button_double_clicked_is_applied_once(slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    ids = _review_world(slack)
    slack.slash("UMETTE", "/mentoring-admin", "match")
    review = slack.sandbox.ephemerals_for("UMETTE")[-1]
    action_id = f"match.lock.{ids['lars']}.{ids['ana']}"
    value = find_element(review, action_id)[1]["value"]
    _review_clicks_together(slack, [{"action_id": action_id, "value": value}] * 2)

    assert failed_listeners(caplog) == [], "the second click must not crash on the constraint the first stored"
    assert _current_proposal(slack)[1] == {(ConstraintKind.LOCK, ids["lars"], ids["ana"])}


def _lars_and_ana(slack: SandboxedApp) -> tuple[World, str]:
    """Lars mentors Ana; their pair channel is in Slack. Returns the world and the channel."""
    for user_id in ("ULARS", "UANA"):
        slack.sandbox.add_user(user_id=user_id, name=user_id[1:].lower(), tz="Europe/Copenhagen")
    channel = slack.sandbox.add_channel(name="mentoring-lars-ana", is_private=True,
                                        members=(slack.sandbox.bot_user_id, "ULARS", "UANA"))["id"]
    with unit_of_work(slack.runtime.session_factory) as session:
        built = new_world(session)
        person(session, built, "lars", role=Role.MENTOR)
        person(session, built, "ana", role=Role.MENTEE)
        pair(session, built, "la", mentor="lars", mentee="ana", channel=channel)
    return built, channel


# --- check-in answers ---------------------------------------------------------------------------------

CHECKIN_TIME = datetime(2027, 2, 15, 9, 0, tzinfo=UTC)  # Monday 10:00 in Copenhagen: the first window has passed


def _asked_to_check_in(slack: SandboxedApp) -> tuple[World, str]:
    """Lars and Ana, their first check-in posted by the real tick."""
    built, channel = _lars_and_ana(slack)
    slack.clock.set(CHECKIN_TIME)
    slack.tick_and_deliver(now=CHECKIN_TIME)
    assert len(slack.sandbox.messages_in(channel)) == 1, "the check-in is posted"
    return built, channel


def test_checkin_answers_from_both_of_the_pair_at_once_leave_one_whole_answer(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Mentor and mentee answering the same check-in at the same instant: one answer wins,
    whole (a "not yet" never keeps the other's planned date, nor a "planned" the other's
    day to ask again, and the answer is put down to whoever gave it)."""
    built, channel = _asked_to_check_in(slack)

    mixed: list[str] = []
    attempts = 20
    for attempt in range(attempts):
        [checkin] = slack.sandbox.messages_in(channel)
        planned_block, _ = find_element(checkin, "checkin.planned")
        not_yet_block, not_yet = find_element(checkin, "checkin.not_yet")
        plan = partial(slack.driver.block_action, user_id="UANA", action_id="checkin.planned", block_id=planned_block,
                       message=checkin, channel_id=channel, selected_date="2027-02-19")
        wait = partial(slack.driver.block_action, user_id="ULARS", action_id="checkin.not_yet", value=not_yet["value"],
                       block_id=not_yet_block, message=checkin, channel_id=channel)
        responses = simultaneously([plan, wait])
        assert all(response.status == 200 for response in responses)
        slack.settle()
        with unit_of_work(slack.runtime.session_factory) as session:
            row = session.scalars(select(Checkin)).one()
            stored = (row.answer, row.answered_by_id, row.planned_for, row.ask_again_on)
        ana, lars = built.people["ana"], built.people["lars"]
        whole = stored in (
            (CheckinAnswer.PLANNED, ana, date(2027, 2, 19), None),
            (CheckinAnswer.NOT_YET, lars, None, date(2027, 2, 18)),
        )
        if not whole:
            mixed.append(f"attempt {attempt}: {stored}")

    assert failed_listeners(caplog) == []
    assert mixed == [], f"{len(mixed)} of {attempts} check-ins answered at once were left with a mixed answer"


def test_a_session_answering_a_checkin_as_it_is_answered_leaves_one_whole_answer(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A session logged by Lars answers the check-in "we met" (`record_met`) just as Ana
    plans the next meeting on it. No request calls `record_met` yet, so it runs here as the
    session-logging feature would, in a unit of work of its own, and Ana's click arrives
    between its read and its write (fired at the same instant, her HTTP request never came
    in time). A planned answer is never taken for "we met", so it stands, whole: "we met"
    never keeps her date."""
    built, channel = _asked_to_check_in(slack)
    ana, lars = built.people["ana"], built.people["lars"]
    mixed: list[str] = []
    attempts = 3
    for attempt in range(attempts):
        with unit_of_work(slack.runtime.session_factory) as session:
            row = session.scalars(select(Checkin)).one()
            row.answer = row.answered_by_id = row.answered_at = row.planned_for = row.ask_again_on = None
            window_start = row.window_start
        [checkin] = slack.sandbox.messages_in(channel)
        planned_block, _ = find_element(checkin, "checkin.planned")

        def plan(block_id: str = planned_block, message: dict[str, Any] = checkin) -> None:
            response = slack.driver.block_action(user_id="UANA", action_id="checkin.planned", block_id=block_id,
                                                 message=message, channel_id=channel, selected_date="2027-02-19")
            assert response.status == 200
            slack.settle()

        with unit_of_work(slack.runtime.session_factory) as session:
            planned = at_first_write(session, plan)
            record_met(session, pair_id=built.pairs["la"], held_on=window_start, participant_id=lars, now=CHECKIN_TIME)
        planned()
        with unit_of_work(slack.runtime.session_factory) as session:
            row = session.scalars(select(Checkin)).one()
            stored = (row.answer, row.answered_by_id, row.planned_for, row.ask_again_on)
        if stored != (CheckinAnswer.PLANNED, ana, date(2027, 2, 19), None):
            mixed.append(f"attempt {attempt}: {stored}")

    assert failed_listeners(caplog) == []
    assert mixed == [], f"{len(mixed)} of {attempts} check-ins were left with a mixed answer"


# --- "I was there too" and Delete under a logged session ------------------------------------------------


def _logged_by_lars(slack: SandboxedApp, channel: str, held_on: date) -> tuple[int, str]:
    """Lars logs a session held on that day with `/log-session`; its id and its post's ts."""
    logged = slack.slash("ULARS", "/log-session", f"{held_on.isoformat()} 1h cv", channel_id=channel)
    assert logged.status == 200
    with unit_of_work(slack.runtime.session_factory) as session:
        row = session.scalars(select(MentoringSession).where(MentoringSession.held_on == held_on)).one()
        session_id, post_ts = row.id, row.channel_message_ts
    assert post_ts is not None, "the session is posted in the pair channel"
    return session_id, post_ts


def test_confirm_and_delete_pressed_together_never_crash(slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    """The partner's "I was there too" and the author's Delete at the same instant: the
    session is deleted, and the partner is answered (confirmed, or told it is gone)."""
    _, channel = _lars_and_ana(slack)

    attempts = 12
    for attempt in range(attempts):
        held_on = date(2027, 1, 2) + timedelta(days=2 * attempt)  # days apart: each a meeting of its own
        session_id, post_ts = _logged_by_lars(slack, channel, held_on)
        confirm = partial(slack.driver.block_action, user_id="UANA", action_id=f"session.confirm.{session_id}",
                          value=str(session_id), message=post_ts, channel_id=channel)
        delete = partial(slack.driver.block_action, user_id="ULARS", action_id=f"session.delete.{session_id}",
                         value=str(session_id), message=post_ts, channel_id=channel)
        assert all(response.status == 200 for response in simultaneously([confirm, delete]))
        slack.settle()

    assert failed_listeners(caplog) == []
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalars(select(MentoringSession)).all() == [], "every session was deleted"


def test_the_partners_log_and_the_authors_delete_at_once_never_crash(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Ana logs with `/log-session` the meeting Lars logged, as Lars deletes his log of it:
    either her log confirms his session and his delete then removes it, or his delete goes
    first and her log is a session of her own. Neither request crashes, and no session is
    left half of each."""
    built, channel = _lars_and_ana(slack)
    ana = built.people["ana"]
    attempts = 12
    wrong: list[str] = []
    for attempt in range(attempts):
        held_on = date(2027, 1, 2) + timedelta(days=2 * attempt)  # days apart: each a meeting of its own
        session_id, post_ts = _logged_by_lars(slack, channel, held_on)
        log = partial(slack.driver.slash_command, user_id="UANA", command="/log-session",
                      text=f"{held_on.isoformat()} 1h cv", channel_id=channel)
        delete = partial(slack.driver.block_action, user_id="ULARS", action_id=f"session.delete.{session_id}",
                         value=str(session_id), message=post_ts, channel_id=channel)
        assert all(response.status == 200 for response in simultaneously([log, delete]))
        slack.settle()
        with unit_of_work(slack.runtime.session_factory) as session:
            left = [(row.logged_by_id, row.confirmed_by_id) for row in session.scalars(
                select(MentoringSession).where(MentoringSession.held_on == held_on))]
        if left not in ([], [(ana, None)]):
            wrong.append(f"attempt {attempt}: {left}")

    assert failed_listeners(caplog) == [], "the partner's log must not crash on the session deleted under it"
    assert wrong == []


# --- the profile modal ----------------------------------------------------------------------------------


def test_a_profile_submitted_twice_at_once_is_thanked_for_once(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A double press of Save: both are stored, but only one is the first save (which
    thanks the person and counts their profile as complete); the other is an update."""
    user_ids = [f"UPERSON{number:02d}" for number in range(PEOPLE // 2)]
    with unit_of_work(slack.runtime.session_factory) as session:
        built = new_world(session)
        for number, user_id in enumerate(user_ids):
            slack.sandbox.add_user(user_id=user_id, name=f"person{number:02d}", tz="Europe/Copenhagen")
            row = person(session, built, f"person{number:02d}", role=Role.MENTEE)
            row.profile_completed_at = None
    typed: dict[str, Any] = {
        "field": "Marine biology", "years": "6", "languages": "English, Portuguese", "interests": "ocean policy",
        "goals": "A job in environmental consulting", "availability": "Tuesday afternoons",
        "language": {"type": "static_select", "selected_option": {"value": "en"}}, "timezone": "Europe/Copenhagen",
    }
    values = {block_id: {block_id: value} for block_id, value in typed.items()}

    thanked: list[int] = []
    for user_id in user_ids:
        slack.slash(user_id, "/mentoring", "profile")
        view = slack.sandbox.opened_views[-1]
        assert view["callback_id"] == "profile.submit"
        save = partial(slack.driver.view_submission, user_id=user_id, callback_id="profile.submit", values=values,
                       view_id=view["id"], apply_response=False)
        assert all(response.status == 200 for response in simultaneously([save, save]))
        slack.settle()
        texts = [message.get("text", "") for message in slack.sandbox.dm_messages(user_id)]
        thanked.append(sum("Thank you! Your profile" in text for text in texts))
        assert sum("is updated" in text for text in texts) + thanked[-1] == 2, "each save is answered"

    assert failed_listeners(caplog) == []
    twice = [user_id for user_id, count in zip(user_ids, thanked, strict=True) if count != 1]
    assert twice == [], f"{len(twice)} of {len(user_ids)} people were thanked for a first profile twice"


# --- ending a pair ------------------------------------------------------------------------------------------


def test_two_coordinators_ending_a_pair_at_once_end_it_once(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """Mette (found a job) and Jens (moved away) submit the end-pair modal for the same pair
    at the same instant: one ends it, the other is told it has already ended, and the
    pair's closing note gives the reason on record."""
    pairs = PEOPLE // 2
    with unit_of_work(slack.runtime.session_factory) as session:
        built = new_world(session)
        for coordinator in ("mette", "jens"):
            person(session, built, coordinator, role=Role.COORDINATOR)
        for number in range(pairs):
            person(session, built, f"mentor{number:02d}", role=Role.MENTOR)
            person(session, built, f"mentee{number:02d}", role=Role.MENTEE)
            pair(session, built, f"p{number:02d}", mentor=f"mentor{number:02d}", mentee=f"mentee{number:02d}")
    for user_id in ("UMETTE", "UJENS"):
        slack.sandbox.add_user(user_id=user_id, name=user_id[1:].lower(), tz="Europe/Copenhagen")

    def end(user_id: str, pair_id: int, reason: str) -> Any:
        values = {"pair": {"pair": {"type": "static_select", "selected_option": {"value": str(pair_id)}}},
                  "reason": {"reason": {"type": "static_select", "selected_option": {"value": reason}}}}
        return partial(slack.driver.view_submission, user_id=user_id, callback_id="pairs.end.submit", values=values,
                       private_metadata=json.dumps({"mode": "end"}))

    ended_twice: list[int] = []
    told_otherwise: list[int] = []
    for pair_id in built.pairs.values():
        responses = simultaneously([end("UMETTE", pair_id, "found_job"), end("UJENS", pair_id, "moved_away")])
        slack.settle()
        actions = sorted(response.json()["response_action"] for response in responses)
        if actions != ["errors", "update"]:
            ended_twice.append(pair_id)
        with unit_of_work(slack.runtime.session_factory) as session:
            row = session.get(Pair, pair_id)
            assert row is not None and row.status is PairStatus.ENDED
            closing = session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedup_key == closing_key(pair_id, "en"))
            ).one()
            congratulated = "Congratulations on the new job" in json.dumps(slack_payload(closing))
            if congratulated != (row.end_reason == "found_job"):
                told_otherwise.append(pair_id)

    assert failed_listeners(caplog) == []
    assert ended_twice == [], f"{len(ended_twice)} of {pairs} pairs were ended by both coordinators"
    assert told_otherwise == [], f"{len(told_otherwise)} of {pairs} closing notes give another reason than the record"


# --- pauses -------------------------------------------------------------------------------------------------

MARCH_10, MARCH_15, MARCH_20 = date(2027, 3, 10), date(2027, 3, 15), date(2027, 3, 20)


def _paired_world(slack: SandboxedApp, count: int) -> World:
    """`count` pairs (mentorNN with menteeNN), each with its pair channel in Slack, and Mette,
    who coordinates: every notice of a pause has somewhere to go."""
    with unit_of_work(slack.runtime.session_factory) as session:
        built = new_world(session)
        person(session, built, "mette", role=Role.COORDINATOR)
    slack.sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(slack.sandbox.bot_user_id,))
    with unit_of_work(slack.runtime.session_factory) as session:
        for number in range(count):
            mentor, mentee = f"mentor{number:02d}", f"mentee{number:02d}"
            for key in (mentor, mentee):
                slack.sandbox.add_user(user_id=f"U{key.upper()}", name=key, tz="Europe/Copenhagen")
                person(session, built, key, role=Role.MENTOR if key == mentor else Role.MENTEE)
            channel = slack.sandbox.add_channel(
                name=f"mentoring-{mentor}-{mentee}", is_private=True,
                members=(slack.sandbox.bot_user_id, f"U{mentor.upper()}", f"U{mentee.upper()}"))["id"]
            pair(session, built, f"p{number:02d}", mentor=mentor, mentee=mentee, channel=channel)
    return built


def _commands_together(slack: SandboxedApp, commands: list[tuple[str, str, str]]) -> None:
    """Send these (user, command, text) at the same instant, then let every listener finish."""
    responses = simultaneously([
        partial(slack.driver.slash_command, user_id=user_id, command=command, text=text)
        for user_id, command, text in commands
    ])
    assert all(response.status == 200 for response in responses)
    slack.settle()


def _pending(slack: SandboxedApp, prefix: str) -> int:
    """How many messages whose key starts so are still queued to go out."""
    with unit_of_work(slack.runtime.session_factory) as session:
        return len(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.dedup_key.startswith(prefix, autoescape=True),
            OutboxMessage.state == OutboxState.PENDING)).all())


def _pause_state(slack: SandboxedApp, built: World, number: int) -> tuple[PairStatus, date | None, date | None,
                                                                              date | None]:
    """The pair's status and end of pause, and each of its people's end of pause."""
    with unit_of_work(slack.runtime.session_factory) as session:
        row = session.get(Pair, built.pairs[f"p{number:02d}"])
        assert row is not None
        return row.status, row.paused_until, row.mentor.paused_until, row.mentee.paused_until


def test_both_of_a_pair_pausing_at_once_pause_it_until_the_later_date(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The mentor (until 20 March) and the mentee (until 10 March) pause at the same instant:
    the pair stays paused until the later date, and each pause is announced once."""
    pairs = PEOPLE // 2
    built = _paired_world(slack, pairs)
    wrong: list[str] = []
    for number in range(pairs):
        _commands_together(slack, [(f"UMENTOR{number:02d}", "/mentoring", "pause until 20 march"),
                                   (f"UMENTEE{number:02d}", "/mentoring", "pause until 10 march")])
        state = _pause_state(slack, built, number)
        pair_id = built.pairs[f"p{number:02d}"]
        announced = [_pending(slack, pause_notice_prefix(pair_id, built.people[f"{role}{number:02d}"]))
                     for role in ("mentor", "mentee")]
        if state != (PairStatus.PAUSED, MARCH_20, MARCH_20, MARCH_10) or announced != [1, 1]:
            wrong.append(f"pair {number}: {state}, notices {announced}")

    assert failed_listeners(caplog) == []
    assert wrong == [], f"{len(wrong)} of {pairs} pairs paused by both at once are left wrong"


def test_a_pause_and_the_partners_resume_at_once_leave_the_pair_paused_without_a_welcome_back(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """The mentee, on a break everyone heard of, comes back as the mentor starts one: either
    way round the pair is paused until the mentor's date, with no "welcome back" queued
    (which the mentor's pause withdraws, or which is never due), and the mentor's pause is
    announced."""
    pairs = PEOPLE // 2
    built = _paired_world(slack, pairs)
    for number in range(pairs):
        slack.slash(f"UMENTEE{number:02d}", "/mentoring", "pause until 10 march")
    slack.deliver()
    assert all(_pending(slack, pause_notice_prefix(pair_id)) == 0 for pair_id in built.pairs.values()), "all heard"

    today = slack.clock.now().date()
    wrong: list[str] = []
    for number in range(pairs):
        _commands_together(slack, [(f"UMENTOR{number:02d}", "/mentoring", "pause until 20 march"),
                                   (f"UMENTEE{number:02d}", "/mentoring", "resume")])
        state = _pause_state(slack, built, number)
        pair_id = built.pairs[f"p{number:02d}"]
        welcome = _pending(slack, welcome_back_prefix(pair_id))
        announced = _pending(slack, pause_notice_prefix(pair_id, built.people[f"mentor{number:02d}"]))
        if state != (PairStatus.PAUSED, MARCH_20, MARCH_20, today) or welcome or announced != 1:
            wrong.append(f"pair {number}: {state}, welcome back queued {welcome}, pause notices {announced}")

    assert failed_listeners(caplog) == []
    assert wrong == [], f"{len(wrong)} of {pairs} pairs are left contradicting their people's pauses"


def test_the_same_pause_delivered_twice_at_once_is_announced_once(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A pause command arriving twice at the same instant is one pause: announced in the pair
    channel once and to the coordinators, not withdrawn by its own copy."""
    pairs = PEOPLE // 2
    built = _paired_world(slack, pairs)
    wrong: list[str] = []
    for number in range(pairs):
        user_id, mentee = f"UMENTEE{number:02d}", built.people[f"mentee{number:02d}"]
        _commands_together(slack, [(user_id, "/mentoring", "pause until 15 march")] * 2)
        state = _pause_state(slack, built, number)
        in_channel = _pending(slack, pause_notice_prefix(built.pairs[f"p{number:02d}"], mentee))
        to_coordinators = _pending(slack, coordinator_pause_prefix(mentee))
        if state != (PairStatus.PAUSED, MARCH_15, None, MARCH_15) or in_channel != 1 or to_coordinators != 1:
            wrong.append(f"pair {number}: {state}, pair notices {in_channel}, coordinator notices {to_coordinators}")

    assert failed_listeners(caplog) == []
    assert wrong == [], f"{len(wrong)} of {pairs} pauses delivered twice at once are left wrong"
