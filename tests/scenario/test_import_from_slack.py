"""Importing a round from Slack, as Slack drives it: a workbook shared in the bot's DM.

Each upload is hosted by the sandbox (``add_user_file``), shared into the DM as a
``file_share`` message, and announced to the app by a signed ``message`` event carrying
the file object, the way Slack's ``message.im`` subscription delivers it. The bot must
download it with its token, import it (or not) and answer in a thread with the CLI's lines.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.rounds.roster import ImportResult, summary_lines
from bot.rounds.workbook import ParticipantRow, read_workbook, workbook_bytes
from bot.sandbox.driver import DriverResponse
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Pair, Participant, Programme, Role, Round, SharedMeeting
from tests.factories import make_participant, make_round
from tests.support.answers import answers_on
from tests.unit.test_roster_import import sample_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def people(slack: SandboxedApp) -> None:
    slack.sandbox.add_user(user_id="UADMIN", name="admin", real_name="Admin", email="admin@example.org")
    slack.sandbox.add_user(user_id="UANA", name="ana", real_name="Ana Souza", email="ana@example.org")
    slack.sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk")
    slack.sandbox.add_user(user_id="UHELPER", name="helper", is_bot=True)
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round(session, name="Autumn 2026")
        make_participant(session, round_=round_, role=Role.MENTEE, email="ana@example.org", slack_user_id="UANA")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@kommune.dk",
                         slack_user_id="UMETTE", language="da")


def upload(
    slack: SandboxedApp,
    *,
    user_id: str,
    content: bytes,
    name: str = "round.xlsx",
    text: str = "",
    mimetype: str | None = XLSX,
    event_id: str | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[DriverResponse, dict[str, Any]]:
    """Share a file in the bot's DM and send the ``message`` event Slack would send for it."""
    channel = slack.sandbox.im_channel_for(user_id)
    file = slack.sandbox.add_user_file(user_id=user_id, name=name, content=content, mimetype=mimetype, channel=channel)
    shared = slack.sandbox.dm_messages(user_id)[-1]
    assert shared["subtype"] == "file_share" and shared["files"][0]["id"] == file["id"]
    event = {
        "type": "message",
        "subtype": "file_share",
        "text": text,
        "files": [file],
        "upload": False,
        "user": user_id,
        "display_as_bot": False,
        "ts": shared["ts"],
        "channel": channel,
        "event_ts": shared["ts"],
        "channel_type": "im",
        **(extra or {}),
    }
    return slack.event(event, event_id=event_id), event


def thread_replies(slack: SandboxedApp, user_id: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in slack.sandbox.dm_messages(user_id) if m.get("thread_ts") == ts and m["ts"] != ts]


def reply_text(message: dict[str, Any]) -> str:
    return "\n".join(block["text"]["text"] for block in message["blocks"] if block["type"] == "section")


def counts(slack: SandboxedApp) -> tuple[int, ...]:
    with unit_of_work(slack.runtime.session_factory) as session:
        return tuple(
            session.scalars(select(func.count()).select_from(model)).one()
            for model in (Programme, Round, Participant, SharedMeeting, Pair)
        )


def test_a_coordinator_uploads_a_workbook_and_the_round_is_imported(slack: SandboxedApp) -> None:
    response, event = upload(slack, user_id="UADMIN", content=workbook_bytes(sample_workbook()))
    assert response.status == 200
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = session.scalar(select(Round).where(Round.name == "Spring 2027"))
        assert round_ is not None
        emails = set(session.scalars(select(Participant.email).where(Participant.round_id == round_.id)))
    assert emails == {"lars@firm.dk", "ana@example.org", "mette@kommune.dk"}
    # The bot downloaded the file with its token from the address files.info gave.
    assert [call.args["file"] for call in slack.sandbox.calls_to("files.info")] == [event["files"][0]["id"]]
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    assert reply_text(reply) == (
        "Imported Career Mentoring / Spring 2027.\n"
        "Participants: 3 new, 0 updated, 0 unchanged. Meetings: 1 new, 0 updated. Pairs: 1 new, 0 removed."
    )


def test_a_dry_run_checks_the_workbook_and_stores_nothing(slack: SandboxedApp) -> None:
    before = counts(slack)
    _, event = upload(slack, user_id="UADMIN", content=workbook_bytes(sample_workbook()), text="Dry run please")
    assert counts(slack) == before
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    assert reply_text(reply).startswith("Dry run: the workbook is valid. Nothing was saved.")
    assert "upload it again without" in json.dumps(reply["blocks"])


def test_a_danish_coordinator_writes_proevekoersel_and_reads_danish(slack: SandboxedApp) -> None:
    before = counts(slack)
    _, event = upload(slack, user_id="UMETTE", content=workbook_bytes(sample_workbook()), text="prøvekørsel")
    assert counts(slack) == before
    (reply,) = thread_replies(slack, "UMETTE", event["ts"])
    assert reply_text(reply).startswith("Prøvekørsel: regnearket er gyldigt. Intet blev gemt.")


def test_a_broken_workbook_gets_every_problem_back_and_changes_nothing(slack: SandboxedApp) -> None:
    broken = sample_workbook(
        participants=(
            ParticipantRow(row=2, email="lars@firm.dk", name="Lars", role="mentor", max_mentees=2),
            ParticipantRow(row=3, email="not-an-email", name="Ana", role="mentee"),
            ParticipantRow(row=4, email="bo@<!channel>.dk", name="Bo", role="chief"),
        ),
    )
    data = workbook_bytes(broken)
    _, problems = read_workbook(data)
    assert len(problems) >= 3
    before = counts(slack)
    _, event = upload(slack, user_id="UADMIN", content=data)
    assert counts(slack) == before
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    text = reply_text(reply)
    # Exactly the CLI's lines (escaped for mrkdwn), each naming sheet, row and column.
    expected = summary_lines(ImportResult(problems=problems), language="en", dry_run=False)
    escaped = [line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in expected]
    assert text == "\n".join(escaped)
    assert "Participants row 3, column email" in text
    assert "<!channel>" not in json.dumps(reply["blocks"]), "workbook text must never ping a channel"


def test_uploading_the_same_workbook_again_changes_nothing(slack: SandboxedApp) -> None:
    data = workbook_bytes(sample_workbook())
    upload(slack, user_id="UADMIN", content=data)
    after_first = counts(slack)
    _, event = upload(slack, user_id="UADMIN", content=data)
    assert counts(slack) == after_first
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    assert reply_text(reply).endswith("Nothing changed: the round already matches this workbook.")


def test_a_redelivered_event_neither_imports_nor_answers_twice(slack: SandboxedApp) -> None:
    response, event = upload(slack, user_id="UADMIN", content=workbook_bytes(sample_workbook()), event_id="EvUP1")
    retry = slack.event(event, event_id="EvUP1", retry_num=1, retry_reason="http_timeout")
    # The same upload message under another event id is answered once too.
    other = slack.event(event, event_id="EvUP2")
    assert (response.status, retry.status, other.status) == (200, 200, 200)
    assert len(thread_replies(slack, "UADMIN", event["ts"])) == 1
    assert len(slack.sandbox.calls_to("files.info")) == 1


def test_a_participant_is_told_kindly_that_only_coordinators_import(slack: SandboxedApp) -> None:
    before = counts(slack)
    _, event = upload(slack, user_id="UANA", content=workbook_bytes(sample_workbook()))
    assert counts(slack) == before
    (reply,) = thread_replies(slack, "UANA", event["ts"])
    assert "Only the programme's coordinators can import a round" in reply_text(reply)
    assert slack.sandbox.calls_to("files.info") == [], "a participant's file is never downloaded"


def test_a_file_that_is_not_a_workbook_is_refused(slack: SandboxedApp) -> None:
    before = counts(slack)
    _, event = upload(slack, user_id="UADMIN", content=b"email,name\nx@y.dk,X\n", name="people<1>.csv",
                      mimetype="text/csv")
    assert counts(slack) == before
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    text = reply_text(reply)
    assert "is not an Excel workbook (.xlsx)" in text and "people&lt;1&gt;.csv" in text


def test_a_workbook_over_the_size_limit_is_refused(slack: SandboxedApp) -> None:
    _, event = upload(slack, user_id="UMETTE", content=b"x" * (5 * 1024 * 1024 + 1))
    (reply,) = thread_replies(slack, "UMETTE", event["ts"])
    assert "er større end 5 MB" in reply_text(reply)


def test_other_dm_messages_are_acknowledged_and_never_answered(slack: SandboxedApp) -> None:
    channel = slack.sandbox.im_channel_for("UADMIN")
    said = slack.driver.message(user_id="UADMIN", channel_id=channel, text="hello bot, dry run?")
    edited = slack.event({"type": "message", "subtype": "message_changed", "channel": channel, "channel_type": "im",
                          "hidden": True, "message": {"type": "message", "user": "UADMIN", "text": "hi"},
                          "ts": "1.000002", "event_ts": "1.000002"})
    from_a_bot = slack.event({"type": "message", "subtype": "file_share", "bot_id": "B0OTHER", "user": "UHELPER",
                              "channel": channel, "channel_type": "im", "files": [{"id": "F0NOPE"}],
                              "ts": "1.000003", "event_ts": "1.000003"})
    slack.settle()
    assert (said.status, edited.status, from_a_bot.status) == (200, 200, 200)
    assert [m for m in slack.sandbox.dm_messages("UADMIN") if m.get("bot_id")] == []
    assert slack.sandbox.calls_to("chat.postMessage") == []


def test_import_command_explains_where_to_upload(slack: SandboxedApp) -> None:
    response = slack.slash("UADMIN", "/mentoring-admin", "import")
    posts = answers_on(slack, response.response_url)
    assert len(posts) == 1 and posts[0]["response_type"] == "ephemeral"
    text = json.dumps(posts[0]["blocks"], ensure_ascii=False)
    assert "https://slack.com/app_redirect?app=A0SANDBOX&team=T0SANDBOX" in text
    assert "dry run" in text and "/mentoring-admin template" in text


def test_template_command_puts_a_clean_workbook_in_the_dm(slack: SandboxedApp) -> None:
    response = slack.slash("UMETTE", "/mentoring-admin", "template")
    assert response.status == 200
    assert [c.method for c in slack.sandbox.calls if c.method.startswith(("files.", "conversations."))] == [
        "conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal",
    ]
    shared = [m for m in slack.sandbox.dm_messages("UMETTE") if m.get("files")]
    assert len(shared) == 1
    file = shared[0]["files"][0]
    assert file["name"].endswith(".xlsx") and shared[0]["text"].startswith("Her er det tomme regneark")
    workbook, problems = read_workbook(slack.sandbox.file_content(file["id"]) or b"")
    assert problems == [] and workbook is not None
    posts = answers_on(slack, response.response_url)
    assert posts and "Jeg har sendt dig det tomme regneark" in posts[0]["text"]


def test_the_template_comes_back_as_an_import(slack: SandboxedApp) -> None:
    """The round trip a coordinator makes: ask for the template, upload it back (dry run)."""
    slack.slash("UADMIN", "/mentoring-admin", "template")
    template = next(m for m in slack.sandbox.dm_messages("UADMIN") if m.get("files"))["files"][0]
    data = slack.sandbox.file_content(template["id"]) or b""
    _, event = upload(slack, user_id="UADMIN", content=data, name=template["name"], text="dry-run")
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    assert reply_text(reply).startswith("Dry run: the workbook is valid.")


def test_a_long_problem_list_is_split_and_attached_in_full(slack: SandboxedApp) -> None:
    rows = tuple(
        ParticipantRow(row=2 + index, email=f"person{index}-without-at-sign.example.org", name=f"P{index}", role="mentee")
        for index in range(400)
    )
    data = workbook_bytes(replace(sample_workbook(), participants=rows, pairs=()))
    _, problems = read_workbook(data)
    _, event = upload(slack, user_id="UADMIN", content=data)
    replies = thread_replies(slack, "UADMIN", event["ts"])
    message = next(m for m in replies if m.get("blocks"))
    assert len(message["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"] if b["type"] == "section")
    note = json.dumps(message["blocks"])
    assert f"of {len(problems)} problems" in note
    attached = [m for m in replies if m.get("files")]
    assert len(attached) == 1
    content = (slack.sandbox.file_content(attached[0]["files"][0]["id"]) or b"").decode()
    assert content.count("\n  ") == len(problems), "every problem is in the file, one per line"


# --- a workbook may only touch rounds its uploader coordinates (issue 8, defect 2) ------------

def _someone_elses_round(slack: SandboxedApp) -> None:
    """Nordic Mentoring's Winter 2027, coordinated by Bo; Mette coordinates only Autumn 2026."""
    slack.sandbox.add_user(user_id="UBO", name="bo", real_name="Bo", email="bo@nordic.dk")
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round(session, name="Winter 2027", programme_name="Nordic Mentoring")
        round_.programme.coordinator_channel = "nordic-coordinators"
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="bo@nordic.dk", slack_user_id="UBO")
        make_participant(session, round_=round_, role=Role.MENTEE, email="kim@example.org", name="Kim")


def _nordic_state(slack: SandboxedApp) -> tuple[object, ...]:
    with unit_of_work(slack.runtime.session_factory) as session:
        programme = session.scalars(select(Programme).where(Programme.name == "Nordic Mentoring")).one()
        rounds = sorted((r.name, r.starts_on, r.ends_on) for r in programme.rounds)
        people = sorted(session.scalars(select(Participant.email).join(Round).where(Round.programme_id == programme.id)))
        return programme.coordinator_channel, programme.default_language, tuple(rounds), tuple(people)


def _hijack(*, round_name: str) -> bytes:
    """Nordic Mentoring's round rewritten, with the uploader (Mette) as its coordinator."""
    workbook = sample_workbook(pairs=())
    return workbook_bytes(replace(
        workbook,
        programme=replace(workbook.programme, programme="Nordic Mentoring", round=round_name, language="da",
                          coordinator_channel="#mettes-channel", ends_on=workbook.programme.ends_on.replace(day=1)),
    ))


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_coordinator_cannot_overwrite_another_programmes_round(slack: SandboxedApp, dry_run: bool) -> None:
    _someone_elses_round(slack)
    before, nordic = counts(slack), _nordic_state(slack)
    _, event = upload(slack, user_id="UMETTE", content=_hijack(round_name="Winter 2027"),
                      text="prøvekørsel" if dry_run else "")
    assert counts(slack) == before and _nordic_state(slack) == nordic, "nothing of the other round changed"
    with unit_of_work(slack.runtime.session_factory) as session:
        assert "UMETTE" not in {p.slack_user_id for p in session.scalars(
            select(Participant).join(Round).where(Round.name == "Winter 2027", Participant.role == Role.COORDINATOR))}
    (reply,) = thread_replies(slack, "UMETTE", event["ts"])
    text = reply_text(reply)
    assert text == (
        "Regnearket blev ikke importeret, og intet blev ændret. Forløbet “Winter 2027” i “Nordic Mentoring” findes "
        "allerede, og du er ikke en af dets koordinatorer. Bed en af dem om at importere regnearket eller om først at "
        "tilføje dig som koordinator."
    )
    assert "kim@example.org" not in json.dumps(reply), "a refused workbook learns nothing about the round"


def test_a_coordinator_cannot_add_a_round_to_a_programme_they_do_not_coordinate(slack: SandboxedApp) -> None:
    _someone_elses_round(slack)
    before, nordic = counts(slack), _nordic_state(slack)
    _, event = upload(slack, user_id="UMETTE", content=_hijack(round_name="Spring 2028"))
    assert counts(slack) == before and _nordic_state(slack) == nordic, "the programme's settings are untouched"
    (reply,) = thread_replies(slack, "UMETTE", event["ts"])
    assert reply_text(reply).startswith("Regnearket blev ikke importeret, og intet blev ændret. Programmet "
                                        "“Nordic Mentoring” findes allerede, og du koordinerer ingen af dets forløb")


def test_a_coordinator_updates_their_own_round_and_starts_a_new_programme(slack: SandboxedApp) -> None:
    _someone_elses_round(slack)
    # Bo re-imports his own round (with a new date) and adds a second round to his programme.
    _, first = upload(slack, user_id="UBO", content=_hijack(round_name="Winter 2027"))
    _, second = upload(slack, user_id="UBO", content=_hijack(round_name="Spring 2028"))
    # Mette sets up a programme nobody runs yet.
    workbook = sample_workbook()
    own = replace(workbook, programme=replace(workbook.programme, programme="Mette's Programme"))
    _, third = upload(slack, user_id="UMETTE", content=workbook_bytes(own))
    assert reply_text(thread_replies(slack, "UBO", first["ts"])[0]).startswith("Imported Nordic Mentoring / Winter 2027.")
    assert reply_text(thread_replies(slack, "UBO", second["ts"])[0]).startswith("Imported Nordic Mentoring / Spring 2028.")
    assert reply_text(thread_replies(slack, "UMETTE", third["ts"])[0]).startswith("Mette's Programme / Spring 2027 er")
    with unit_of_work(slack.runtime.session_factory) as session:
        winter = session.scalar(select(Round).where(Round.name == "Winter 2027"))
        assert winter.ends_on.day == 1, "a coordinator may change their own round"
