"""Ending a pair and rematching: who may, what is kept, what the pair and the coordinators hear,
and the modal that asks."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.outbox import OutgoingCall, enqueue
from bot.pairs.end import MAX_CHOICES, EndPairForm, EndPairResult, FormRefusal, end_pair, end_pair_form
from bot.slack.render.blocks import MODAL_TITLE_LIMIT, check_surface_limits
from bot.slack.render.pair_end import (
    CALLBACK_ID,
    end_pair_done_view,
    end_pair_modal,
    form_refusal_message,
    read_end_pair_submission,
)
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState, Pair, PairStatus, Role
from tests.factories import EPOCH, make_participant, make_round
from tests.support.notices import slack_payload
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc
NOW = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)


def _seed(session_factory: sessionmaker[Session], *, channel: str | None = "CPAIR") -> int:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        mentor = make_participant(session, round_=round_, role=Role.MENTOR, email="s@x", name="Søren", slack_user_id="USOEREN",
                                  language="da")
        mentee = make_participant(session, round_=round_, role=Role.MENTEE, email="a@x", name="Ana Souza", slack_user_id="UANA")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="m@x", name="Mette", slack_user_id="UMETTE",
                         language="da")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="k@x", name="Kim", slack_user_id="UKIM")
        other_round = make_round(session, name="Autumn 2027", programme_name="Other programme")
        make_participant(session, round_=other_round, role=Role.COORDINATOR, email="o@x", name="Olga", slack_user_id="UOLGA")
        pair = Pair(round=round_, mentor=mentor, mentee=mentee, created_at=EPOCH, published_at=EPOCH,
                    slack_channel_id=channel, channel_opened_at=EPOCH if channel else None)
        session.add(pair)
        session.flush()
        return pair.id


def _rows(session_factory: sessionmaker[Session]) -> dict[str, OutboxMessage]:
    with session_factory() as session:
        return {row.dedup_key: row for row in session.scalars(select(OutboxMessage))}


def _end(session_factory: sessionmaker[Session], **kwargs: Any) -> EndPairResult:
    values: dict[str, Any] = {"slack_user_id": "UMETTE", "pair_id": 1, "reason": "moved_away", "note": None, "now": NOW}
    values.update(kwargs)
    with unit_of_work(session_factory) as session:
        return end_pair(session, workspace=ONE_WORKSPACE, **values)


def test_ending_keeps_the_pair_for_reporting_and_tells_the_pair_and_the_coordinators(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    with unit_of_work(session_factory) as session:  # an introduction still waiting is withdrawn
        enqueue(session, OutgoingCall(dedup_key=f"intro:pair={pair_id}:lang=en", method="chat.postMessage",
                                      team_id="", payload={"channel": "CPAIR", "text": "hi"}, not_before=NOW), now=NOW)
    result = _end(session_factory, pair_id=pair_id, reason="found_job", note="Started at Maersk <!here>")
    assert result.ok and result.errors == {} and result.language == "da"
    with session_factory() as session:
        pair = session.get(Pair, pair_id)
        assert pair.status is PairStatus.ENDED and pair.ended_at == NOW and pair.end_reason == "found_job"
    rows = _rows(session_factory)
    withdrawn = rows[f"intro:pair={pair_id}:lang=en"]
    assert withdrawn.state is OutboxState.CANCELLED and withdrawn.cancel_reason == "the pair ended before it was introduced"
    closing = {key: row for key, row in rows.items() if key.startswith("pair-closing:")}
    assert sorted(closing) == [f"pair-closing:pair={pair_id}:lang=da", f"pair-closing:pair={pair_id}:lang=en"]
    assert all(row.target == "CPAIR" for row in closing.values())
    assert "Congratulations on the new job, <@UANA>" in slack_payload(closing[f"pair-closing:pair={pair_id}:lang=en"])["text"]
    reports = {key: row for key, row in rows.items() if key.startswith("pair-ended:")}
    assert sorted(reports) == [f"pair-ended:pair={pair_id}:to=UKIM", f"pair-ended:pair={pair_id}:to=UMETTE"]
    kim = json.dumps(slack_payload(reports[f"pair-ended:pair={pair_id}:to=UKIM"]), ensure_ascii=False)
    assert "<@UMETTE> ended the pair Søren & Ana Souza" in kim and "Found a job" in kim
    assert "Started at Maersk &lt;!here&gt;" in kim and "<!here>" not in kim


def test_a_pair_without_a_channel_ends_quietly(session_factory) -> None:  # noqa: ANN001
    _seed(session_factory, channel=None)
    assert _end(session_factory).ok
    assert not [key for key in _rows(session_factory) if key.startswith("pair-closing:")]


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"slack_user_id": "UOLGA"}, {"pair": "pairs.end.error.not_your_round"}),
        ({"pair_id": 999}, {"pair": "pairs.end.error.pair_gone"}),
        ({"pair_id": None, "reason": None}, {"pair": "pairs.end.error.pair_gone", "reason": "pairs.end.error.reason"}),
        ({"reason": "bored"}, {"reason": "pairs.end.error.reason"}),
    ],
)
def test_invalid_input_stores_nothing(session_factory, kwargs, errors) -> None:  # noqa: ANN001
    _seed(session_factory)
    result = _end(session_factory, **kwargs)
    assert not result.ok and result.errors == errors
    with session_factory() as session:
        assert session.get(Pair, 1).status is PairStatus.ACTIVE
    assert _rows(session_factory) == {}


def test_an_ended_pair_cannot_end_twice_and_admins_may_end_any(session_factory) -> None:  # noqa: ANN001
    _seed(session_factory)
    assert _end(session_factory, slack_user_id="UADMIN", admin_user_ids={"UADMIN"}).ok
    again = _end(session_factory)
    assert again.errors == {"pair": "pairs.end.error.pair_gone"}
    assert len([key for key in _rows(session_factory) if key.startswith("pair-closing:")]) == 2


def _form(session_factory: sessionmaker[Session], **kwargs: Any) -> EndPairForm:
    values: dict[str, Any] = {"slack_user_id": "UMETTE", "now": NOW}
    values.update(kwargs)
    with session_factory() as session:
        return end_pair_form(session, workspace=ONE_WORKSPACE, **values)


def test_the_form_lists_the_coordinators_pairs_and_preselects_by_name(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    form = _form(session_factory)
    assert form.refusal is None and [choice.pair_id for choice in form.choices] == [pair_id] and form.selected is None
    assert _form(session_factory, query="ana").selected == pair_id
    assert _form(session_factory, query=f"#{pair_id}").selected == pair_id
    assert _form(session_factory, query="nobody").refusal is FormRefusal.NO_SUCH_PAIR
    assert _form(session_factory, slack_user_id="UOLGA").refusal is FormRefusal.NO_PAIRS
    assert _form(session_factory, slack_user_id="UX", admin_user_ids={"UX"}).choices[0].pair_id == pair_id
    assert _form(session_factory, now=datetime(2027, 7, 1, tzinfo=UTC)).refusal is FormRefusal.NO_PAIRS


def test_an_ambiguous_name_is_refused_with_the_candidates(session_factory) -> None:  # noqa: ANN001
    _seed(session_factory)
    with unit_of_work(session_factory) as session:
        pair = session.get(Pair, 1)
        mentee = make_participant(session, round_=pair.round, role=Role.MENTEE, email="a2@x", name="Anabel <x>")
        session.add(Pair(round=pair.round, mentor=pair.mentor, mentee=mentee, created_at=EPOCH, published_at=EPOCH,
                         status=PairStatus.PAUSED))
    form = _form(session_factory, query="ana")
    assert form.refusal is FormRefusal.AMBIGUOUS and len(form.matches) == 2
    text = form_refusal_message(form).text
    assert "passer til 2 par" in text and "Anabel &lt;x&gt;" in text, "in Mette's Danish"


def test_the_modal_keeps_to_slacks_limits_with_many_pairs(session_factory) -> None:  # noqa: ANN001
    _seed(session_factory)
    with unit_of_work(session_factory) as session:
        pair = session.get(Pair, 1)
        for number in range(MAX_CHOICES + 5):
            mentee = make_participant(session, round_=pair.round, role=Role.MENTEE, email=f"e{number}@x",
                                      name=f"Mentee with a rather long name number {number}")
            session.add(Pair(round=pair.round, mentor=pair.mentor, mentee=mentee, created_at=EPOCH, published_at=EPOCH))
    form = _form(session_factory, query="Ana Souza", rematch=True)
    view = end_pair_modal(form)
    check_surface_limits(view["blocks"])
    select_ = view["blocks"][1]["element"]
    assert len(select_["options"]) == MAX_CHOICES
    assert all(len(option["text"]["text"]) <= 75 for option in select_["options"])
    assert select_["initial_option"]["value"] == "1", "the named pair is offered even beyond the first 100"
    reason = view["blocks"][2]["element"]
    assert reason["initial_option"]["value"] == "not_a_fit"
    assert "Viser de første 100 af 106 par" in json.dumps(view, ensure_ascii=False)
    for key in ("title", "submit", "close"):
        assert len(view[key]["text"]) <= MODAL_TITLE_LIMIT
    assert view["callback_id"] == CALLBACK_ID and json.loads(view["private_metadata"]) == {"mode": "rematch"}
    assert "/mentoring-admin match" in json.dumps(view)


def test_reading_the_submission_and_the_done_view(session_factory) -> None:  # noqa: ANN001
    view = {
        "private_metadata": json.dumps({"mode": "rematch"}),
        "state": {"values": {
            "pair": {"pair": {"type": "static_select", "selected_option": {"value": "7"}}},
            "reason": {"reason": {"type": "static_select", "selected_option": {"value": "other"}}},
            "note": {"note": {"type": "plain_text_input", "value": "see thread"}},
        }},
    }
    submission = read_end_pair_submission(view)
    assert (submission.pair_id, submission.reason, submission.note, submission.rematch) == (7, "other", "see thread", True)
    empty = read_end_pair_submission({"private_metadata": "nonsense", "state": {"values": {}}})
    assert (empty.pair_id, empty.reason, empty.note, empty.rematch) == (None, None, None, False)

    _seed(session_factory)
    ended = _end(session_factory, rematch=True, reason="not_a_fit").ended
    assert ended is not None
    done = end_pair_done_view(ended=ended, language="en")
    text = json.dumps(done, ensure_ascii=False)
    assert "Søren and Ana Souza (Spring 2027) are no longer a pair" in text and "Not a good fit" in text
    assert "run `/mentoring-admin match`" in text and "Nobody is matched" in text
    check_surface_limits(done["blocks"])
    plain = json.dumps(end_pair_done_view(ended=replace(ended, rematch=False), language="da"), ensure_ascii=False)
    assert "er ikke længere et par" in plain and "/mentoring-admin match" not in plain
