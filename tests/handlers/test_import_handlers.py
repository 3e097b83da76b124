"""The import handlers called directly, as Bolt would, with a real WebClient on the sandbox (a fake, not a mock)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.container import Deps
from bot.rounds.workbook import read_workbook, workbook_bytes
from bot.sandbox import SlackSandbox
from bot.settings import Settings
from handlers.commands.mentoring_admin import handle_mentoring_admin
from handlers.events import workbook_upload
from handlers.events.direct_message import handle_direct_message, is_direct_message
from handlers.events.workbook_upload import handle_workbook_upload
from storage.db import unit_of_work
from storage.models import Participant, Role
from tests.factories import make_participant, make_round
from tests.support.handlers import Recorder, call_listener
from tests.unit.test_roster_import import sample_workbook

LOG = logging.getLogger("test")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def deps(session_factory, clock) -> Deps:  # noqa: ANN001
    return Deps(settings=Settings.from_env({"MENTORBOT_ADMINS": "UADMIN"}), session_factory=session_factory, clock=clock)


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as running:
        for user_id in ("UADMIN", "UANA", "UMETTE"):
            running.add_user(user_id=user_id, name=user_id.lower())
        yield running


@pytest.fixture
def client(sandbox: SlackSandbox) -> WebClient:
    return WebClient(token=sandbox.bot_token, base_url=sandbox.base_url)


@pytest.fixture(autouse=True)
def people(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        round_ = make_round(session, name="Autumn 2026")
        make_participant(session, round_=round_, role=Role.MENTEE, email="ana@x.org", slack_user_id="UANA")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@x.org", slack_user_id="UMETTE",
                         language="da")


def _share(sandbox: SlackSandbox, user_id: str, *, name: str = "round.xlsx", content: bytes | None = None,
           text: str = "", files: int = 1) -> dict[str, Any]:
    channel = sandbox.im_channel_for(user_id)
    shared = [
        sandbox.add_user_file(user_id=user_id, name=name, content=content or workbook_bytes(sample_workbook()),
                              mimetype=XLSX, channel=channel)
        for _ in range(files)
    ]
    ts = sandbox.dm_messages(user_id)[-1]["ts"]
    return {"type": "message", "subtype": "file_share", "user": user_id, "channel": channel, "channel_type": "im",
            "ts": ts, "event_ts": ts, "text": text, "files": shared}


def _replies(sandbox: SlackSandbox, user_id: str, ts: str) -> list[str]:
    return [json.dumps(m["blocks"], ensure_ascii=False) for m in sandbox.dm_messages(user_id) if m.get("thread_ts") == ts
            and m["ts"] != ts]


def _participants(session_factory) -> int:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        return session.scalar(select(func.count()).select_from(Participant)) or 0


def test_a_coordinators_upload_is_imported_and_answered_in_a_thread(deps, sandbox, client, session_factory) -> None:  # noqa: ANN001
    event = _share(sandbox, "UADMIN")
    call_listener(handle_workbook_upload, deps=deps, user_id=event["user"], event=event, client=client, logger=LOG)
    assert _participants(session_factory) == 2 + 3
    (reply,) = _replies(sandbox, "UADMIN", event["ts"])
    assert "Imported Career Mentoring / Spring 2027." in reply
    call_listener(handle_workbook_upload, deps=deps, user_id=event["user"], event=event, client=client, logger=LOG)
    assert len(_replies(sandbox, "UADMIN", event["ts"])) == 1, "the same upload message is answered once"


def test_a_participant_is_refused_in_their_language_and_nothing_is_fetched(deps, sandbox, client, session_factory) -> None:  # noqa: ANN001
    event = _share(sandbox, "UANA")
    sandbox.reset_calls()
    call_listener(handle_workbook_upload, deps=deps, user_id=event["user"], event=event, client=client, logger=LOG)
    assert [call.method for call in sandbox.calls] == ["chat.postMessage"]
    assert "Only the programme's coordinators can import a round" in _replies(sandbox, "UANA", event["ts"])[0]
    assert _participants(session_factory) == 2


def test_several_files_at_once_are_refused(deps, sandbox, client) -> None:  # noqa: ANN001
    event = _share(sandbox, "UMETTE", files=2)
    call_listener(handle_workbook_upload, deps=deps, user_id=event["user"], event=event, client=client, logger=LOG)
    assert "Send ét regneark pr. besked" in _replies(sandbox, "UMETTE", event["ts"])[0]


def test_a_file_slack_cannot_describe_is_a_failed_download(deps, sandbox, client) -> None:  # noqa: ANN001
    event = _share(sandbox, "UADMIN")
    sandbox.error_next("files.info", "file_not_found")
    call_listener(handle_workbook_upload, deps=deps, user_id=event["user"], event=event, client=client, logger=LOG)
    assert "could not download" in _replies(sandbox, "UADMIN", event["ts"])[0]


def test_an_import_that_crashes_says_nothing_was_changed(deps, sandbox, client, monkeypatch) -> None:  # noqa: ANN001
    def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(workbook_upload, "import_uploaded_workbook", explode)
    event = _share(sandbox, "UADMIN")
    call_listener(handle_workbook_upload, deps=deps, user_id=event["user"], event=event, client=client, logger=LOG)
    assert "nothing was changed" in _replies(sandbox, "UADMIN", event["ts"])[0]


def test_bots_and_other_channels_are_ignored(deps, sandbox, client) -> None:  # noqa: ANN001
    event = _share(sandbox, "UADMIN")
    sandbox.reset_calls()
    for changed in ({"bot_id": "B0OTHER"}, {"channel_type": "channel"}, {"user": None}):
        shared = {**event, **changed}
        call_listener(handle_workbook_upload, deps=deps, user_id=shared["user"], event=shared, client=client, logger=LOG)
    assert sandbox.calls == []


def test_other_dm_messages_are_only_acknowledged() -> None:
    assert is_direct_message({"channel_type": "im"}) and not is_direct_message({"channel_type": "channel"})
    handle_direct_message(event={"type": "message", "text": "hi"}, logger=LOG)


def _command(handler_text: str, user_id: str, deps: Deps, client: WebClient) -> list[dict[str, Any]]:
    order: list[str] = []
    respond = Recorder([], "respond")  # as Bolt's Respond, with the command's response_url
    command = {"command": "/mentoring-admin", "text": handler_text, "user_id": user_id, "channel_id": "C1",
               "team_id": "T0SANDBOX", "api_app_id": "A0SANDBOX"}
    call_listener(handle_mentoring_admin, deps=deps, user_id=user_id, ack=lambda *a, **k: order.append("ack"),
                  command=command, respond=respond, client=client, logger=LOG)
    assert order == ["ack"]
    return [{key: value for key, value in call.items() if key != "args"} for call in respond.calls]


def test_import_subcommand_answers_with_instructions(deps, client) -> None:  # noqa: ANN001
    (response,) = _command("import", "UMETTE", deps, client)
    assert response["response_type"] == "ephemeral"
    text = json.dumps(response["blocks"], ensure_ascii=False)
    assert "app_redirect?app=A0SANDBOX&team=T0SANDBOX" in text and "prøvekørsel" in text


def test_template_subcommand_uploads_the_template_into_the_dm(deps, sandbox, client) -> None:  # noqa: ANN001
    (response,) = _command("template", "UADMIN", deps, client)
    assert "sent you the empty round workbook" in response["text"]
    (message,) = sandbox.dm_messages("UADMIN")
    workbook, problems = read_workbook(sandbox.file_content(message["files"][0]["id"]) or b"")
    assert workbook is not None and problems == []


def test_a_failed_template_upload_is_said_plainly(deps, sandbox, client) -> None:  # noqa: ANN001
    sandbox.error_next("files.completeUploadExternal", "channel_not_found")
    (response,) = _command("template", "UADMIN", deps, client)
    assert "could not send the template" in response["text"]


def test_participants_cannot_reach_the_import_subcommands(deps, client) -> None:  # noqa: ANN001
    for text in ("import", "template"):
        (response,) = _command(text, "UANA", deps, client)
        assert "Only the programme's coordinators" in response["text"]
