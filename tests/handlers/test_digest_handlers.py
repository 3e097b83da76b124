"""The digest's "Handled" button and `/mentoring-admin digest`, called as Bolt would: ack
first, one service call, then the redraw or an ephemeral word; bad or foreign clicks change
nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.container import Deps
from bot.digest.notices import ActionKind
from bot.digest.service import build_digest
from bot.slack.render.digest import digest_part_message
from handlers.actions.digest_handled import handle_digest_handled
from handlers.commands.mentoring_admin import handle_mentoring_admin
from storage.db import unit_of_work
from storage.models import DigestHandled
from tests.support.digest_round import DIGEST_NOW, DigestRound, build_digest_round
from tests.support.handlers import FakeClient, Recorder, call_listener, only_ephemeral, said

LOG = logging.getLogger("test")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DIGEST_NOW)


@pytest.fixture
def built(session_factory: sessionmaker[Session]) -> DigestRound:
    with unit_of_work(session_factory) as session:
        return build_digest_round(session)


def _posted(session_factory: sessionmaker[Session], built: DigestRound) -> dict[str, Any]:
    with unit_of_work(session_factory) as session:
        digest = build_digest(session, round_id=built.world.round_id, now=DIGEST_NOW)
    assert digest is not None
    message = digest_part_message(digest.parts()[0], "en")
    return {"ts": "9.9", "text": message.text, "blocks": message.blocks}


def _late_button(message: dict[str, Any]) -> dict[str, Any]:
    for block in message["blocks"]:
        if ":cadence" in block.get("block_id", "") and "⏰" in block["text"]["text"]:
            return {"block_id": block["block_id"], **block["accessory"]}
    raise AssertionError("no late pair in the digest")


def click(deps: Deps, *, user: str, action: dict[str, Any],
          message: dict[str, Any]) -> tuple[list[str], Recorder, FakeClient, bool]:
    order: list[str] = []
    ack, respond, client = Recorder(order, "ack"), Recorder(order, "respond"), FakeClient(order)
    body = {"type": "block_actions", "user": {"id": user}, "channel": {"id": "CCOORD"}, "message": message,
            "response_url": "https://hooks.example/1", "actions": [action]}
    ran = call_listener(handle_digest_handled, deps=deps, user_id=user, ack=ack, body=body, action=action,
                        client=client, respond=respond, logger=LOG)
    return order, respond, client, ran


def _handled_rows(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(DigestHandled)) or 0)


def test_the_coordinators_click_acks_first_records_and_redraws(deps: Deps, built: DigestRound,
                                                               session_factory: sessionmaker[Session]) -> None:
    message = _posted(session_factory, built)
    action = _late_button(message)
    order, respond, client, ran = click(deps, user="UMETTE", action=action, message=message)
    assert ran and order == ["ack", "chat.update"] and respond.calls == []
    [update] = client.made("chat.update")
    assert (update["channel"], update["ts"]) == ("CCOORD", "9.9")
    marked = next(b for b in update["blocks"] if b.get("block_id") == action["block_id"])
    assert "accessory" not in marked and "<@UMETTE>" in marked["text"]["text"]
    assert _handled_rows(session_factory) == 1
    with unit_of_work(session_factory) as session:
        digest = build_digest(session, round_id=built.world.round_id, now=DIGEST_NOW)
    assert digest is not None and ActionKind.LATE not in {a.kind for a in digest.actions}


def test_a_participant_never_reaches_the_handler(deps: Deps, built: DigestRound,
                                                 session_factory: sessionmaker[Session]) -> None:
    message = _posted(session_factory, built)
    _, _, client, ran = click(deps, user="ULATEMENTOR", action=_late_button(message), message=message)
    assert not ran and client.calls == [] and _handled_rows(session_factory) == 0


def test_a_forged_or_stale_value_changes_nothing(deps: Deps, built: DigestRound,
                                                 session_factory: sessionmaker[Session]) -> None:
    message = _posted(session_factory, built)
    action = _late_button(message)
    for value in ("nonsense", f"{built.world.round_id}|{action['value'].split('|')[1]}|0000000000000000"):
        order, respond, client, _ = click(deps, user="UMETTE", action={**action, "value": value}, message=message)
        assert order == ["ack", "respond"] and client.calls == []
        assert "intet blev markeret" in only_ephemeral(respond)  # stale, in Mette's Danish
    assert _handled_rows(session_factory) == 0


def test_the_command_answers_only_the_asker(deps: Deps, built: DigestRound) -> None:
    order: list[str] = []
    ack, respond = Recorder(order, "ack"), Recorder(order, "respond")
    command = {"command": "/mentoring-admin", "text": "digest", "user_id": "UMETTE", "response_url": "https://x/1"}
    call_listener(handle_mentoring_admin, deps=deps, user_id="UMETTE", ack=ack, command=command, respond=respond,
                  client=FakeClient(order), logger=LOG)
    assert order[0] == "ack"
    text = only_ephemeral(respond)
    assert "Ugens oversigt" in text and "Klaret" in text  # Mette reads Danish
    assert all(call["response_type"] == "ephemeral" for call in respond.calls) and "Latementor" in said(respond.calls[0])
