"""Session handlers called directly, as Bolt would, with fakes for ack, respond and the Web API.

What matters here is the order (ack first, the modal opened before anything slow) and what
each person is told; the scenario tests drive the same paths through signed HTTP.
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

import pytest
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.container import Deps
from bot.sessions.parser import ParseResult
from bot.sessions.service import SessionDraft
from bot.slack.render.sessions import log_metadata
from handlers.actions.session_confirm import handle_session_confirm
from handlers.actions.session_delete import handle_session_delete
from handlers.actions.session_edit import handle_session_edit
from handlers.actions.session_log_open import handle_session_log_open, open_log_modal
from handlers.commands.log_session import handle_log_session
from handlers.commands.mentoring import handle_mentoring
from handlers.views.session_log_submit import handle_session_log_submit
from storage.db import unit_of_work
from storage.models import MentoringSession, Pair, PairStatus, Role
from tests.factories import EPOCH, make_participant, make_round
from tests.support.handlers import FakeClient, Recorder, call_listener, only_ephemeral
from tests.support.workspaces import ONE_WORKSPACE

LOG = logging.getLogger("test")


@pytest.fixture
def pair_id(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        ana = make_participant(session, round_=round_, email="ana@x.org", name="Ana", slack_user_id="UANA")
        lars = make_participant(session, round_=round_, role=Role.MENTOR, email="lars@x.dk", name="Lars",
                                slack_user_id="ULARS", language="da")
        make_participant(session, round_=round_, email="zoe@x.org", name="Zoe", slack_user_id="UZOE")
        pair = Pair(round=round_, mentor=lars, mentee=ana, slack_channel_id="CPAIR", created_at=EPOCH,
                    published_at=EPOCH)
        session.add(pair)
        session.flush()
        return pair.id


def _rows(session_factory: sessionmaker[Session]) -> list[MentoringSession]:
    with unit_of_work(session_factory) as session:
        rows = list(session.scalars(select(MentoringSession).order_by(MentoringSession.id)))
        session.expunge_all()
        return rows


def _command(deps: Deps, *, user_id: str, text: str, command: str = "/log-session", client: FakeClient | None = None
             ) -> tuple[list[str], Recorder, FakeClient]:
    log: list[str] = []
    ack, respond = Recorder(log, "ack"), Recorder(log, "respond")
    client = client or FakeClient(log)
    client.log = log
    payload = {"command": command, "text": text, "user_id": user_id, "channel_id": "CPAIR", "trigger_id": "1.2.ab"}
    handler = handle_log_session if command == "/log-session" else handle_mentoring
    call_listener(handler, deps=deps, user_id=user_id, ack=ack, command=payload, respond=respond, client=client,
                  logger=LOG)
    return log, respond, client


def _click(handler: Any, deps: Deps, *, user_id: str, action_id: str, value: str,
           response_url: str | None = "https://hooks/x") -> tuple[list[str], Recorder, FakeClient]:
    log: list[str] = []
    ack, respond, client = Recorder(log, "ack"), Recorder(log, "respond"), FakeClient(log)
    body: dict[str, Any] = {"user": {"id": user_id}, "trigger_id": "1.2.cd", "channel": {"id": "CPAIR"}}
    if response_url:
        body["response_url"] = response_url
    call_listener(handler, deps=deps, user_id=user_id, ack=ack, body=body, action={"action_id": action_id, "value": value},
                  client=client, respond=respond, logger=LOG)
    return log, respond, client


_said = only_ephemeral


# --- /log-session ---------------------------------------------------------------------------

def test_a_complete_note_acks_stores_posts_and_answers(deps: Deps, pair_id: int,
                                                       session_factory) -> None:  # noqa: ANN001
    log, respond, client = _command(deps, user_id="UANA", text="i går 45m CV")
    assert log == ["ack", "chat.postMessage", "respond"]
    (row,) = _rows(session_factory)
    assert row.channel_message_ts == "100.1" and row.pair_id == pair_id
    (post,) = client.made("chat.postMessage")
    assert post["channel"] == "CPAIR" and "session.confirm." in json.dumps(post["blocks"])
    assert "Logged your 1:1 session on 31 January 2027" in _said(respond)


def test_an_unclear_note_opens_the_modal_with_the_commands_trigger_at_once(deps: Deps, pair_id: int,
                                                                            session_factory) -> None:  # noqa: ANN001
    log, respond, client = _command(deps, user_id="UANA", text="yesterday 45 CV")
    assert log == ["ack", "views.open"] and respond.calls == []
    (call,) = client.made("views.open")
    assert call["trigger_id"] == "1.2.ab" and call["view"]["callback_id"] == "session.log.submit"
    assert _rows(session_factory) == []


def test_a_failed_channel_post_keeps_the_session(deps: Deps, pair_id: int, session_factory) -> None:  # noqa: ANN001
    log: list[str] = []
    client = FakeClient(log, fail={"chat.postMessage": "not_in_channel"})
    _, respond, _ = _command(deps, user_id="UANA", text="yesterday 45m", client=client)
    (row,) = _rows(session_factory)
    assert row.channel_message_ts is None and "Logged your 1:1 session" in _said(respond)


def test_a_modal_slack_refuses_is_explained(deps: Deps, pair_id: int) -> None:
    log: list[str] = []
    client = FakeClient(log, fail={"views.open": "expired_trigger_id"})
    _, respond, _ = _command(deps, user_id="UANA", text="", client=client)
    assert "Something went wrong" in _said(respond)


def test_bad_input_and_no_pair_are_explained_and_nothing_is_stored(deps: Deps, pair_id: int,
                                                                   session_factory) -> None:  # noqa: ANN001
    log, respond, _client = _command(deps, user_id="ULARS", text="i morgen 45m")
    assert log == ["ack", "respond"] and "i fremtiden" in _said(respond)
    _, respond, _ = _command(deps, user_id="UANA", text="yesterday 10h")
    assert "more than 8 hours" in _said(respond)
    _, respond, _ = _command(deps, user_id="UZOE", text="yesterday 45m")
    assert "once you have been matched" in _said(respond)
    assert _rows(session_factory) == []


def test_mentoring_log_without_text_opens_the_modal_and_sessions_lists(deps: Deps, pair_id: int) -> None:
    log, respond, _client = _command(deps, user_id="UANA", text="log", command="/mentoring")
    assert log == ["ack", "views.open"]
    _command(deps, user_id="UANA", text="log yesterday 45m CV", command="/mentoring")
    _, respond, _ = _command(deps, user_id="ULARS", text="sessions", command="/mentoring")
    text = _said(respond)
    assert "Jeres 1:1-møder" in text and "session.edit." not in text  # Lars did not log it


# --- buttons --------------------------------------------------------------------------------

def test_the_log_button_opens_the_modal_or_explains(deps: Deps, pair_id: int, session_factory) -> None:  # noqa: ANN001
    log, respond, client = _click(handle_session_log_open, deps, user_id="UANA", action_id="session.log.open",
                                  value=str(pair_id))
    assert log == ["ack", "views.open"]
    assert json.loads(client.made("views.open")[0]["view"]["private_metadata"])["pair_id"] == pair_id
    log, respond, _ = _click(handle_session_log_open, deps, user_id="UZOE", action_id="session.log.open",
                             value=str(pair_id))
    assert log == ["ack", "respond"] and "pair you are not part of" in _said(respond)
    with unit_of_work(session_factory) as session:
        session.get(Pair, pair_id).status = PairStatus.ENDED
    log, _, client = _click(handle_session_log_open, deps, user_id="UANA", action_id="session.log.open.5",
                            value=str(pair_id), response_url=None)
    assert log == ["ack", "chat.postMessage"]  # from the Home tab: a DM
    assert client.made("chat.postMessage")[0]["channel"] == "UANA"


def test_open_log_modal_takes_a_prefill_for_other_features(deps: Deps, pair_id: int) -> None:
    log: list[str] = []
    client = FakeClient(log)
    web = cast(WebClient, client)  # FakeClient answers WebClient's methods by name
    assert open_log_modal(client=web, deps=deps, trigger_id="1.2.ef", slack_user_id="ULARS", workspace=ONE_WORKSPACE,
                          pair_id=pair_id,
                          prefill=SessionDraft(duration_minutes=60)) is None
    assert open_log_modal(client=web, deps=deps, trigger_id="1.2.ef", slack_user_id="ULARS", workspace=ONE_WORKSPACE,
                          prefill=ParseResult(duration_minutes=30)) is None
    first, second = client.made("views.open")
    durations = [next(b for b in view["view"]["blocks"] if b.get("block_id") == "duration")["element"]
                 for view in (first, second)]
    assert [d["initial_value"] for d in durations] == ["60", "30"]
    explanation = open_log_modal(client=web, deps=deps, trigger_id="1.2.ef", slack_user_id="UZOE", workspace=ONE_WORKSPACE)
    assert explanation is not None and "once you have been matched" in explanation.text


def test_confirm_edit_and_delete_buttons_know_who_may(deps: Deps, pair_id: int,
                                                     session_factory) -> None:  # noqa: ANN001
    _command(deps, user_id="UANA", text="yesterday 45m CV")
    (row,) = _rows(session_factory)
    sid = str(row.id)

    log, respond, client = _click(handle_session_confirm, deps, user_id="UANA", action_id=f"session.confirm.{sid}",
                                  value=sid)
    assert log == ["ack", "respond"] and "You logged this session yourself" in _said(respond)
    log, respond, client = _click(handle_session_confirm, deps, user_id="ULARS", action_id=f"session.confirm.{sid}",
                                  value=sid)
    assert log == ["ack", "chat.update"] and client.made("chat.update")[0]["ts"] == row.channel_message_ts

    for handler, action in ((handle_session_edit, "edit"), (handle_session_delete, "delete")):
        log, respond, _ = _click(handler, deps, user_id="ULARS", action_id=f"session.{action}.{sid}", value=sid)
        assert log == ["ack", "respond"] and "Kun den, der har registreret mødet" in _said(respond)

    log, _, client = _click(handle_session_edit, deps, user_id="UANA", action_id=f"session.edit.{sid}", value=sid)
    assert log == ["ack", "views.open"]
    assert json.loads(client.made("views.open")[0]["view"]["private_metadata"])["session_id"] == row.id

    log, respond, client = _click(handle_session_delete, deps, user_id="UANA", action_id=f"session.delete.{sid}",
                                  value=sid)
    assert log == ["ack", "chat.update", "respond"] and "deleted" in _said(respond)
    assert client.made("chat.update")[0]["blocks"][0]["type"] == "context"
    assert _rows(session_factory) == []
    log, respond, _ = _click(handle_session_delete, deps, user_id="UANA", action_id=f"session.delete.{sid}", value=sid)
    assert "deleted in the meantime" in _said(respond)


# --- the modal ------------------------------------------------------------------------------

def _submit(deps: Deps, *, user_id: str, metadata: str, values: dict[str, Any],
            blocks: tuple[str, ...] = ("held_on", "duration", "topics", "introductions", "notes")
            ) -> tuple[list[str], Recorder, FakeClient]:
    log: list[str] = []
    ack, client = Recorder(log, "ack"), FakeClient(log)
    view = {
        "callback_id": "session.log.submit",
        "private_metadata": metadata,
        "blocks": [{"type": "input", "block_id": block_id} for block_id in blocks],
        "state": {"values": {block: {block: element} for block, element in values.items()}},
    }
    call_listener(handle_session_log_submit, deps=deps, user_id=user_id, ack=ack, body={"user": {"id": user_id}},
                  view=view, client=client, logger=LOG)
    return log, ack, client


GOOD = {
    "held_on": {"type": "datepicker", "selected_date": "2027-01-31"},
    "duration": {"type": "plain_text_input", "value": "1h"},
    "topics": {"type": "checkboxes", "selected_options": [{"value": "networking"}]},
    "introductions": {"type": "number_input", "value": "1"},
    "notes": {"type": "plain_text_input", "value": "<!here>"},
}


def test_a_good_submission_acks_then_posts_and_tells_the_person(deps: Deps, pair_id: int,
                                                                session_factory) -> None:  # noqa: ANN001
    log, ack, client = _submit(deps, user_id="UANA", metadata=log_metadata(pair_id=pair_id, session_id=None),
                               values=GOOD)
    assert log == ["ack", "chat.postMessage", "chat.postEphemeral"]
    assert ack.calls == [{"args": ()}]
    (row,) = _rows(session_factory)
    assert (row.duration_minutes, row.topics, row.introductions_made, row.notes) == (60, ["networking"], 1, "<!here>")
    assert client.made("chat.postEphemeral")[0]["user"] == "UANA"


def test_a_bad_submission_gets_inline_errors_before_anything_else(deps: Deps, pair_id: int,
                                                                  session_factory) -> None:  # noqa: ANN001
    bad = {**GOOD, "held_on": {"type": "datepicker", "selected_date": "2027-03-01"},
           "duration": {"type": "plain_text_input", "value": "2"}}
    log, ack, _ = _submit(deps, user_id="UANA", metadata=log_metadata(pair_id=pair_id, session_id=None), values=bad)
    assert log == ["ack"]
    (call,) = ack.calls
    assert call["response_action"] == "errors" and set(call["errors"]) == {"held_on", "duration"}
    assert _rows(session_factory) == []


def test_a_submission_for_a_pair_paused_meanwhile_or_forged_is_refused(deps: Deps, pair_id: int,
                                                                       session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        session.get(Pair, pair_id).status = PairStatus.PAUSED
    log, ack, _ = _submit(deps, user_id="UANA", metadata=log_metadata(pair_id=pair_id, session_id=None), values=GOOD)
    assert log == ["ack"] and ack.calls[0]["response_action"] == "update"
    assert "paused" in json.dumps(ack.calls[0]["view"])
    log, ack, _ = _submit(deps, user_id="UANA", metadata="not ours", values=GOOD)
    assert ack.calls[0]["response_action"] == "update"
    assert _rows(session_factory) == []


def test_an_edit_updates_the_post_and_replies_in_its_thread(deps: Deps, pair_id: int,
                                                            session_factory) -> None:  # noqa: ANN001
    _command(deps, user_id="UANA", text="yesterday 45m CV")
    (row,) = _rows(session_factory)
    log, ack, client = _submit(deps, user_id="UANA", metadata=log_metadata(pair_id=pair_id, session_id=row.id),
                               values=GOOD)
    assert log == ["ack", "chat.update", "chat.postMessage", "chat.postEphemeral"]
    (reply,) = client.made("chat.postMessage")
    assert reply["thread_ts"] == row.channel_message_ts and "Duration 45 min → 1 h" in reply["text"]
    assert "Date 31 January 2027" not in reply["text"]  # the date did not change
    log, ack, _ = _submit(deps, user_id="ULARS", metadata=log_metadata(pair_id=pair_id, session_id=row.id),
                          values=GOOD)
    assert ack.calls[0]["response_action"] == "update"  # not the author
