"""Coordinator-only commands, buttons and modals, sent by someone who is not a coordinator.

Through the signed endpoint, as Slack would send them: the person is told it is for the
programme's coordinators (ephemerally, or under the modal's box), the listener never runs,
no Web API call is made on their behalf, and nothing in the database changes. The values
in the forged buttons and forms are real, so the same requests from a coordinator would
publish, lock, end and record (the last test shows that they do).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select

from bot.sandbox.harness import SandboxedApp
from bot.slack.render.match_review import action_value
from bot.slack.render.timeline import ATTENDANCE_ACTION_PREFIX, ATTENDANCE_BLOCK_PREFIX, attendance_metadata
from storage.db import unit_of_work
from storage.models import (
    MatchConstraint,
    MatchProposal,
    MeetingKind,
    MeetingRsvp,
    OutboxMessage,
    Pair,
    Participant,
    Role,
    SharedMeeting,
)
from tests.factories import make_participant
from tests.match_factories import make_pair, make_ready, make_round_in
from tests.support.answers import ephemeral_text

REFUSAL = "Only the programme's coordinators can use /mentoring-admin"
CLICK_REFUSAL = "Only the programme's coordinators can do this, so nothing was changed."  # a button or a form
KICK_OFF = datetime(2027, 2, 1, 16, 0, tzinfo=timezone.utc)  # the day before the scenario clock: it has happened


def _seed(slack: SandboxedApp) -> dict[str, int]:
    """Mette (Danish) coordinates; Lars and Ana are ready but unmatched, so a proposal pairs
    them; Søren and Bo are a pair already; the kick-off is over, so attendance can be taken."""
    for user_id in ("UMETTE", "ULARS", "UANA", "USOEREN", "UBO"):
        slack.sandbox.add_user(user_id=user_id, name=user_id[1:].lower())
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round_in(session)
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@x.dk", name="Mette",
                         slack_user_id="UMETTE", language="da")
        lars = make_ready(session, round_=round_, role=Role.MENTOR, email="lars@x.dk", name="Lars", slack_user_id="ULARS")
        ana = make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org", name="Ana", slack_user_id="UANA")
        soeren = make_ready(session, round_=round_, role=Role.MENTOR, email="s@x.dk", name="Søren",
                            slack_user_id="USOEREN", field="Law")
        bo = make_ready(session, round_=round_, role=Role.MENTEE, email="bo@x.org", name="Bo", slack_user_id="UBO",
                        field="Law", language="da")
        pair = make_pair(session, mentor=soeren, mentee=bo)
        meeting = SharedMeeting(round_id=round_.id, kind=MeetingKind.KICK_OFF, title="Kick-off", starts_at=KICK_OFF)
        session.add(meeting)
        session.flush()
        return {"round": round_.id, "lars": lars.id, "ana": ana.id, "bo": bo.id, "pair": pair.id, "meeting": meeting.id}


def _proposal(slack: SandboxedApp) -> int:
    """The review a coordinator would be looking at: Mette asks for it herself."""
    assert slack.slash("UMETTE", "/mentoring-admin", "match").status == 200
    with unit_of_work(slack.runtime.session_factory) as session:
        proposal = session.scalar(select(func.max(MatchProposal.id)))
    assert proposal is not None
    return proposal


def _state(engine: Engine) -> dict[str, Any]:
    """Everything a coordinator-only listener could have changed."""
    with engine.connect() as connection:
        counted = {model.__tablename__: connection.scalar(select(func.count()).select_from(model))
                   for model in (MatchProposal, MatchConstraint, Pair, OutboxMessage, MeetingRsvp)}
        live = connection.execute(select(Pair.id, Pair.status, Pair.ended_at)).all()
        published = connection.execute(select(MatchProposal.id, MatchProposal.published_at)).all()
    return {**counted, "pairs": sorted(live), "proposals": sorted(published)}


def _end_pair_values(pair_id: int) -> dict[str, Any]:
    return {"pair": {"pair": {"type": "static_select", "selected_option": {"value": str(pair_id)}}},
            "reason": {"reason": {"type": "static_select", "selected_option": {"value": "other"}}}}


def _attendance_values(participant_ids: list[int]) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": str(pid)}, "value": str(pid)} for pid in participant_ids]
    return {f"{ATTENDANCE_BLOCK_PREFIX}1": {f"{ATTENDANCE_ACTION_PREFIX}1": {"type": "checkboxes",
                                                                        "selected_options": options}}}


def test_a_participant_typing_mentoring_admin_hears_it_is_for_coordinators(slack: SandboxedApp) -> None:
    _seed(slack)
    before = _state(slack.runtime.engine)
    for typed in ("match", "end-pair bo", "attendance kick-off", "status", "template", "help"):
        slack.sandbox.reset_calls()
        response = slack.slash("UANA", "/mentoring-admin", typed)
        assert response.status == 200
        assert REFUSAL in ephemeral_text(slack, response.response_url), typed
        assert slack.sandbox.calls == [], f"/mentoring-admin {typed} reached Slack for a participant"
    assert slack.sandbox.opened_views == [] and slack.sandbox.dm_messages("UANA") == []
    assert _state(slack.runtime.engine) == before


def test_the_refusal_is_in_the_persons_language(slack: SandboxedApp) -> None:
    _seed(slack)
    response = slack.slash("UBO", "/mentoring-admin", "match")
    assert "Kun mentorprogrammets koordinatorer kan bruge /mentoring-admin" in ephemeral_text(slack, response.response_url)


def test_a_participant_clicking_review_and_publish_buttons_changes_nothing(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    proposal = _proposal(slack)
    before = _state(slack.runtime.engine)
    pair = {"mentor_id": ids["lars"], "mentee_id": ids["ana"]}
    clicks = (("match.publish", action_value(proposal_id=proposal)),
              (f"match.lock.{ids['lars']}.{ids['ana']}", action_value(proposal_id=proposal, **pair)),
              (f"match.forbid.{ids['lars']}.{ids['ana']}", action_value(proposal_id=proposal, **pair)),
              ("match.rerun", action_value(proposal_id=proposal)))
    for action_id, value in clicks:
        slack.sandbox.reset_calls()
        response = slack.click("UANA", action_id, value=value, channel_id=slack.sandbox.im_channel_for("UANA"))
        assert response.status == 200
        assert CLICK_REFUSAL in ephemeral_text(slack, response.response_url), action_id
        assert slack.sandbox.calls == [], f"{action_id} reached Slack for a participant"
    assert _state(slack.runtime.engine) == before


def test_a_participant_submitting_coordinator_modals_changes_nothing(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    before = _state(slack.runtime.engine)

    ended = slack.submit("UANA", "pairs.end.submit", _end_pair_values(ids["pair"]))
    answer = json.loads(ended.body)
    assert ended.status == 200 and answer["response_action"] == "errors"
    assert CLICK_REFUSAL in answer["errors"]["pair"], "said under the form's first box"

    recorded = slack.submit("UANA", "meeting.attendance.submit", _attendance_values([ids["ana"], ids["lars"]]),
                            private_metadata=attendance_metadata(meeting_id=ids["meeting"],
                                                                 people=[ids["ana"], ids["lars"]]))
    answer = json.loads(recorded.body)
    assert recorded.status == 200 and answer["response_action"] == "errors"
    assert CLICK_REFUSAL in answer["errors"][f"{ATTENDANCE_BLOCK_PREFIX}1"]

    assert slack.sandbox.calls == [], "no listener ran: not even the attendance DM"
    assert _state(slack.runtime.engine) == before


def test_the_same_requests_from_the_coordinator_do_change_things(slack: SandboxedApp) -> None:
    """The control for the tests above: these values are live, and the guard lets Mette through."""
    ids = _seed(slack)
    proposal = _proposal(slack)
    response = slack.click("UMETTE", "match.publish", value=action_value(proposal_id=proposal),
                           channel_id=slack.sandbox.im_channel_for("UMETTE"))
    assert response.status == 200 and CLICK_REFUSAL not in json.dumps(slack.sandbox.response_posts, ensure_ascii=False)
    slack.submit("UMETTE", "pairs.end.submit", _end_pair_values(ids["pair"]))
    slack.submit("UMETTE", "meeting.attendance.submit", _attendance_values([ids["ana"]]),
                 private_metadata=attendance_metadata(meeting_id=ids["meeting"], people=[ids["ana"], ids["lars"]]))
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.get(MatchProposal, proposal).published_at is not None
        lars_and_ana = session.scalar(select(Pair).where(Pair.mentor_id == ids["lars"], Pair.mentee_id == ids["ana"]))
        assert lars_and_ana is not None
        assert session.get(Pair, ids["pair"]).ended_at is not None
        came = {row.participant_id: row.attended for row in session.scalars(select(MeetingRsvp))}
        assert came == {ids["ana"]: True, ids["lars"]: False}
        assert session.scalar(select(Participant.slack_user_id).where(Participant.id == ids["ana"])) == "UANA"
