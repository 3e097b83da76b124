"""The matching review's callbacks, called directly as Bolt would: ack first, check who, answer."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.container import Deps
from bot.slack.render.match_review import action_value
from handlers.actions.match_publish import handle_match_publish
from handlers.actions.match_review import handle_match_review
from handlers.commands.mentoring_admin import handle_mentoring_admin
from storage.db import unit_of_work
from storage.models import ConstraintKind, MatchConstraint, MatchProposal, Pair, Role
from tests.factories import make_participant
from tests.match_factories import make_ready, make_round_in
from tests.support.handlers import Recorder, call_listener, said

LOG = logging.getLogger("test")


@pytest.fixture
def ids(session_factory) -> dict[str, int]:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        spring = make_round_in(session)
        other = make_round_in(session, programme_name="Business Mentoring", name="Autumn 2027",
                              starts_on=date(2027, 9, 1), ends_on=date(2027, 12, 20))
        make_participant(session, round_=spring, role=Role.COORDINATOR, email="mette@x.org", slack_user_id="UMETTE",
                         language="da")
        make_participant(session, round_=other, role=Role.COORDINATOR, email="olga@x.org", slack_user_id="UOLGA")
        lars = make_ready(session, round_=spring, role=Role.MENTOR, email="lars@firm.dk", name="Lars",
                          field="Engineering")
        ana = make_ready(session, round_=spring, role=Role.MENTEE, email="ana@x.org", name="Ana", field="Engineering")
        return {"round": spring.id, "lars": lars.id, "ana": ana.id}


def _command(deps: Deps, user_id: str, text: str) -> tuple[list[str], Recorder]:
    order: list[str] = []
    ack, respond = Recorder(order, "ack"), Recorder(order, "respond")
    call_listener(handle_mentoring_admin, deps=deps, user_id=user_id, ack=ack,
                  command={"command": "/mentoring-admin", "text": text, "user_id": user_id}, respond=respond, client=None,
                  logger=LOG)
    return order, respond


def _click(handler, deps: Deps, user_id: str, action: dict[str, Any]) -> tuple[list[str], Recorder]:  # noqa: ANN001
    order: list[str] = []
    ack, respond = Recorder(order, "ack"), Recorder(order, "respond")
    call_listener(handler, deps=deps, user_id=user_id, ack=ack, body={"user": {"id": user_id}, "response_url": "https://hooks/x"},
                  action=action, respond=respond, logger=LOG)
    return order, respond


_text = said


def _latest(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as session:
        return session.scalars(select(func.max(MatchProposal.id))).one()


@pytest.mark.usefixtures("ids")
def test_the_command_acks_then_shows_the_proposal_in_the_coordinators_language(deps: Deps, session_factory) -> None:  # noqa: ANN001
    order, respond = _command(deps, "UMETTE", "match")
    assert order == ["ack", "respond"]
    call = respond.calls[0]
    assert call["response_type"] == "ephemeral" and call["replace_original"] is False
    text = _text(call)
    assert "Forslag til match: Spring 2027" in text and "*Lars* (mentor) ↔ *Ana* (mentee)" in text
    assert "Samme fagområde: Engineering (+4)" in text, "the field as the people wrote it"
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(MatchProposal)).created_by == "UMETTE"


@pytest.mark.usefixtures("ids")
def test_several_running_rounds_need_a_name_and_others_rounds_are_not_found(deps: Deps) -> None:
    _order, respond = _command(deps, "UADMIN", "match")
    text = _text(respond.calls[0])
    assert "Several of your rounds are running" in text and "`Spring 2027`" in text and "`Autumn 2027`" in text
    _order, respond = _command(deps, "UADMIN", "match autumn 2027")
    assert "Matching proposal: Autumn 2027" in _text(respond.calls[0])
    _order, respond = _command(deps, "UOLGA", "match Spring 2027")
    assert "no round called “Spring 2027” among yours" in _text(respond.calls[0])


def test_a_lock_click_is_applied_and_the_review_replaced(deps: Deps, ids: dict[str, int], session_factory) -> None:  # noqa: ANN001
    _command(deps, "UMETTE", "match")
    proposal = _latest(session_factory)
    value = action_value(proposal_id=proposal, mentor_id=ids["lars"], mentee_id=ids["ana"])
    order, respond = _click(handle_match_review, deps, "UMETTE",
                            {"action_id": f"match.lock.{ids['lars']}.{ids['ana']}", "value": value})
    assert order == ["ack", "respond"] and respond.calls[0]["replace_original"] is True
    assert f"match.unlock.{ids['lars']}.{ids['ana']}" in _text(respond.calls[0])
    assert _latest(session_factory) == proposal + 1, "every change recomputes"
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(MatchConstraint)).kind is ConstraintKind.LOCK

    # The select that lifts a forbid carries its value in selected_option.
    _click(handle_match_review, deps, "UMETTE", {"action_id": f"match.forbid.{ids['lars']}.{ids['ana']}",
                                                 "value": action_value(proposal_id=proposal + 1, mentor_id=ids["lars"],
                                                                       mentee_id=ids["ana"])})
    _order, respond = _click(handle_match_review, deps, "UMETTE", {
        "action_id": "match.allow", "type": "static_select",
        "selected_option": {"value": action_value(proposal_id=proposal + 2, mentor_id=ids["lars"],
                                                  mentee_id=ids["ana"])}})
    assert respond.calls[0]["replace_original"] is True
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(MatchConstraint)) is None


def test_a_coordinator_of_another_round_or_a_junk_value_changes_nothing(deps: Deps, ids: dict[str, int],
                                                                        session_factory: sessionmaker[Session]) -> None:
    _command(deps, "UMETTE", "match")
    proposal = _latest(session_factory)
    value = action_value(proposal_id=proposal, mentor_id=ids["lars"], mentee_id=ids["ana"])
    order, respond = _click(handle_match_review, deps, "UOLGA",
                            {"action_id": f"match.forbid.{ids['lars']}.{ids['ana']}", "value": value})
    assert order == ["ack", "respond"]
    assert respond.calls[0]["replace_original"] is False and "coordinators of this round" in respond.calls[0]["text"]
    _order, respond = _click(handle_match_publish, deps, "UOLGA", {"action_id": "match.publish", "value": value})
    assert "coordinators of this round" in respond.calls[0]["text"]
    _order, respond = _click(handle_match_review, deps, "UMETTE", {"action_id": "match.rerun", "value": "{oops"})
    assert "Forslaget findes ikke længere" in respond.calls[0]["text"]
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(MatchConstraint)) is None and session.scalar(select(Pair)) is None
        assert session.scalar(select(func.count()).select_from(MatchProposal)) == 1


def test_publish_confirms_once_and_a_second_click_changes_nothing(deps: Deps, ids: dict[str, int],
                                                                  session_factory: sessionmaker[Session]) -> None:
    _command(deps, "UADMIN", "match Spring 2027")
    value = action_value(proposal_id=_latest(session_factory))
    order, respond = _click(handle_match_publish, deps, "UMETTE", {"action_id": "match.publish", "value": value})
    assert order == ["ack", "respond"] and respond.calls[0]["replace_original"] is True
    assert "1 par i Spring 2027 er offentliggjort" in respond.calls[0]["text"]
    _order, respond = _click(handle_match_publish, deps, "UMETTE", {"action_id": "match.publish", "value": value})
    assert "allerede offentliggjort" in respond.calls[0]["text"]
    with unit_of_work(session_factory) as session:
        pairs = session.scalars(select(Pair)).all()
        assert [(p.mentor_id, p.mentee_id) for p in pairs] == [(ids["lars"], ids["ana"])]
        assert pairs[0].published_at == deps.clock.now()


def test_publishing_a_stale_proposal_shows_a_fresh_one(deps: Deps, ids: dict[str, int], session_factory) -> None:  # noqa: ANN001
    _command(deps, "UMETTE", "match")
    stale = _latest(session_factory)
    _click(handle_match_review, deps, "UMETTE", {"action_id": "match.rerun", "value": action_value(proposal_id=stale)})
    _order, respond = _click(handle_match_publish, deps, "UMETTE",
                             {"action_id": "match.publish", "value": action_value(proposal_id=stale)})
    text = _text(respond.calls[0])
    assert respond.calls[0]["replace_original"] is True
    assert "kan ikke længere offentliggøres: der er siden lavet et nyere forslag" in text
    assert "match.publish" in text, "the fresh proposal can be published"
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(Pair)) is None
