"""`/mentoring-admin end-pair`, `rematch` and the modal's submission, called as Bolt would."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.container import Deps
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.views.pair_end_submit import handle_end_pair_submit
from storage.db import unit_of_work
from storage.models import OutboxMessage, Pair, PairStatus, Role
from tests.factories import EPOCH, make_participant, make_round
from tests.support.handlers import FakeClient, Recorder, call_listener

LOG = logging.getLogger("test")


@pytest.fixture
def pair_id(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        mentor = make_participant(session, round_=round_, role=Role.MENTOR, email="s@x", name="Søren", slack_user_id="USOEREN")
        mentee = make_participant(session, round_=round_, role=Role.MENTEE, email="a@x", name="Ana", slack_user_id="UANA")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="m@x", name="Mette", slack_user_id="UMETTE")
        pair = Pair(round=round_, mentor=mentor, mentee=mentee, created_at=EPOCH, published_at=EPOCH,
                    slack_channel_id="CPAIR", channel_opened_at=EPOCH)
        session.add(pair)
        session.flush()
        return pair.id


def _command(deps: Deps, *, user_id: str, text: str, fail: bool = False) -> tuple[list[str], Recorder, FakeClient]:
    order: list[str] = []
    client = FakeClient(order, fail={"views.open": "expired_trigger_id"} if fail else None)
    ack, respond = Recorder(order, "ack"), Recorder(order, "respond")
    command = {"command": "/mentoring-admin", "text": text, "user_id": user_id, "channel_id": "D1", "trigger_id": "T1"}
    call_listener(handle_mentoring_admin, deps=deps, user_id=user_id, ack=ack, command=command, respond=respond,
                  client=client, logger=LOG)
    return order, respond, client


def _submit(deps: Deps, *, user_id: str, values: dict[str, Any], mode: str = "end") -> tuple[Recorder, list[str]]:
    order: list[str] = []
    ack = Recorder(order, "ack")
    view = {"callback_id": "pairs.end.submit", "private_metadata": json.dumps({"mode": mode}), "state": {"values": values}}
    call_listener(handle_end_pair_submit, deps=deps, user_id=user_id, ack=ack,
                  body={"type": "view_submission", "user": {"id": user_id}, "view": view}, view=view, logger=LOG)
    return ack, order


def _values(pair: int | str, reason: str | None = "found_job", note: str | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "pair": {"pair": {"type": "static_select", "selected_option": {"value": str(pair)}}},
        "reason": {"reason": {"type": "static_select", "selected_option": {"value": reason} if reason else None}},
    }
    if note is not None:
        values["note"] = {"note": {"type": "plain_text_input", "value": note}}
    return values


def test_end_pair_acks_first_and_opens_the_modal(deps: Deps, pair_id: int) -> None:
    order, respond, client = _command(deps, user_id="UMETTE", text="end-pair")
    assert order == ["ack", "views.open"] and respond.calls == []
    view = client.made("views.open")[0]["view"]
    assert client.made("views.open")[0]["trigger_id"] == "T1" and view["callback_id"] == "pairs.end.submit"
    assert view["blocks"][1]["element"]["options"][0]["value"] == str(pair_id)


def test_rematch_with_a_name_preselects_the_pair_and_not_a_fit(deps: Deps, pair_id: int) -> None:
    _, _, client = _command(deps, user_id="UMETTE", text="rematch  ana")
    view = client.made("views.open")[0]["view"]
    assert view["blocks"][1]["element"]["initial_option"]["value"] == str(pair_id)
    assert view["blocks"][2]["element"]["initial_option"]["value"] == "not_a_fit"


def test_an_unknown_name_is_answered_ephemerally_and_opens_nothing(deps: Deps, pair_id: int) -> None:
    order, respond, client = _command(deps, user_id="UMETTE", text="end-pair <!channel>")
    assert order == ["ack", "respond"] and client.made("views.open") == []
    text = respond.calls[0]["text"]
    assert respond.calls[0]["response_type"] == "ephemeral" and "&lt;!channel&gt;" in text and "No active pair" in text


def test_participants_may_not_end_pairs(deps: Deps, pair_id: int) -> None:
    _order, respond, client = _command(deps, user_id="UANA", text="end-pair")
    assert client.made("views.open") == [] and "coordinators" in respond.calls[0]["text"]


def test_a_modal_that_cannot_open_is_explained(deps: Deps, pair_id: int) -> None:
    order, respond, _ = _command(deps, user_id="UMETTE", text="end-pair", fail=True)
    assert order == ["ack", "views.open", "respond"] and "nothing was changed" in respond.calls[0]["text"]


def test_submitting_ends_the_pair_and_shows_what_happened(deps: Deps, pair_id: int, session_factory) -> None:  # noqa: ANN001
    ack, order = _submit(deps, user_id="UMETTE", values=_values(pair_id, note="Maersk"), mode="rematch")
    assert order == ["ack"]
    answer = ack.calls[0]
    assert answer["response_action"] == "update"
    text = json.dumps(answer["view"], ensure_ascii=False)
    assert "no longer a pair" in text and "/mentoring-admin match" in text
    with session_factory() as session:
        pair = session.get(Pair, pair_id)
        assert pair.status is PairStatus.ENDED and pair.end_reason == "found_job"
        assert session.query(OutboxMessage).count() == 2  # the closing note, and the news to Mette


def test_invalid_submissions_get_inline_errors_and_store_nothing(deps: Deps, pair_id: int, session_factory) -> None:  # noqa: ANN001
    ack, _ = _submit(deps, user_id="UMETTE", values=_values(pair_id, reason=None))
    assert ack.calls[0]["response_action"] == "errors" and ack.calls[0]["errors"] == {"reason": "Choose a reason."}
    ack, _ = _submit(deps, user_id="UMETTE", values=_values(999))
    assert "already ended" in ack.calls[0]["errors"]["pair"]
    with unit_of_work(session_factory) as session:  # Olga coordinates another round only
        autumn = make_round(session, name="Autumn 2027", programme_name="Business Mentoring")
        make_participant(session, round_=autumn, role=Role.COORDINATOR, email="o@x", name="Olga", slack_user_id="UOLGA")
    ack, _ = _submit(deps, user_id="UOLGA", values=_values(pair_id))
    assert "do not coordinate" in ack.calls[0]["errors"]["pair"]
    ack, order = _submit(deps, user_id="UANA", values=_values(pair_id))  # a participant never reaches the listener
    assert order == ["ack"] and ack.calls[0]["response_action"] == "errors"
    assert "Only the programme's coordinators" in ack.calls[0]["errors"]["pair"]
    with session_factory() as session:
        assert session.get(Pair, pair_id).status is PairStatus.ACTIVE
        assert session.query(OutboxMessage).count() == 0
