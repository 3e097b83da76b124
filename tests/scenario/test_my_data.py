"""`/mentoring my-data` through the signed endpoint against the fake Slack (issue 12, GDPR
art. 15): the asker is told at once the files are coming, a workbook and a JSON file with
her data arrive in her DM through files.getUploadURLExternal + files.completeUploadExternal,
nobody else gets anything, nothing is written, asking twice only sends the files again,
and someone the bot stores nothing about is told so plainly."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.i18n import t
from bot.privacy.export import EXPORT_FORMAT, SECTION_KEYS
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import OutboxMessage, Participant
from tests.support.answers import answers_on, ephemeral_text
from tests.support.mrkdwn import live_sequences
from tests.support.personal_data import ADA_NAME, ADA_SLACK, SeededPerson, seed_person_everywhere

NOW = datetime(2027, 7, 1, 9, 0, tzinfo=timezone.utc)
OTHERS = ("ULARS", "UZOE", "UMAX", "UOTTO", "UPIA")


@pytest.fixture
def seeded(slack: SandboxedApp) -> SeededPerson:
    slack.clock.set(NOW)
    for user_id in (ADA_SLACK, *OTHERS, "USTRANGER"):
        slack.sandbox.add_user(user_id=user_id, name=user_id.lower(), tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        return seed_person_everywhere(session)


def _shared_files(slack: SandboxedApp, user_id: str) -> list[dict]:
    return [file for message in slack.sandbox.dm_messages(user_id) for file in message.get("files") or []]


def _stored(slack: SandboxedApp) -> tuple[int, int]:
    with unit_of_work(slack.runtime.session_factory) as session:
        return (session.scalar(select(func.count(OutboxMessage.id))) or 0,
                session.scalar(select(func.count(Participant.id))) or 0)


def test_both_files_arrive_in_her_dm_with_her_data_and_nobody_else_gets_anything(
        slack: SandboxedApp, seeded: SeededPerson) -> None:
    before = _stored(slack)
    slack.sandbox.reset_calls()
    response = slack.slash(ADA_SLACK, "/mentoring", "my-data")
    assert response.status == 200
    posts = answers_on(slack, response.response_url)
    assert [post["text"] for post in posts] == [t("export.slack.working", "en"), t("export.slack.sent", "en")]
    assert all(post["response_type"] == "ephemeral" for post in posts)
    methods = [call.method for call in slack.sandbox.calls]
    assert methods.count("files.getUploadURLExternal") == 2 and methods.count("files.completeUploadExternal") == 2
    assert "chat.postMessage" not in methods

    files = _shared_files(slack, ADA_SLACK)
    assert sorted(file["name"] for file in files) == ["my-data-2027-07-01.json", "my-data-2027-07-01.xlsx"]
    by_name = {file["name"]: slack.sandbox.file_content(file["id"]) or b"" for file in files}
    document = json.loads(by_name["my-data-2027-07-01.json"])
    assert document["format"] == EXPORT_FORMAT and document["subject"]["slack_user_ids"] == [ADA_SLACK]
    sections = document["sections"]
    assert [row["round"] for row in sections["participation"]] == ["Spring 2027", "Autumn 2027"]
    assert [row["notes"] for row in sections["sessions"]] == ["ada-lars-session-notes"]
    assert [row["text"] for row in sections["survey_answers"] if row["text"]] == ["ada-survey-comment"]
    assert [row["partner"] for row in sections["pairs"]] == ["Lars"]
    assert [value for value in seeded.others_private if value in json.dumps(document, ensure_ascii=False)] == []

    workbook = load_workbook(io.BytesIO(by_name["my-data-2027-07-01.xlsx"]))
    assert workbook.sheetnames == [t("export.sheet.about", "en"), *(t(f"export.sheet.{key}", "en")
                                                                    for key in SECTION_KEYS)]
    names = [row[3] for row in workbook[t("export.sheet.participation", "en")].iter_rows(min_row=2, values_only=True)]
    assert names == [ADA_NAME, ADA_NAME]

    for user_id in OTHERS:
        assert slack.sandbox.dm_messages(user_id) == [], f"{user_id} got something"
    assert _stored(slack) == before, "an export writes nothing"


def test_her_hostile_name_never_pings_in_the_message_with_the_files(slack: SandboxedApp, seeded: SeededPerson) -> None:
    response = slack.slash(ADA_SLACK, "/mentoring", "my-data")
    comments = [message.get("text", "") for message in slack.sandbox.dm_messages(ADA_SLACK)]
    assert any("Ada" in text for text in comments)
    for text in [*comments, *(post["text"] for post in answers_on(slack, response.response_url))]:
        assert live_sequences(text) == [], text


def test_asking_twice_sends_the_files_twice_and_changes_nothing(slack: SandboxedApp, seeded: SeededPerson) -> None:
    before = _stored(slack)
    first = slack.slash(ADA_SLACK, "/mentoring", "my-data")
    second = slack.slash(ADA_SLACK, "/mentoring", "my-data")
    for response in (first, second):
        assert answers_on(slack, response.response_url)[-1]["text"] == t("export.slack.sent", "en")
    files = _shared_files(slack, ADA_SLACK)
    assert len(files) == 4
    sent = [slack.sandbox.file_content(file["id"]) for file in files if file["name"].endswith(".json")]
    assert len(sent) == 2 and sent[0] == sent[1]  # the same data both times
    assert _stored(slack) == before


def test_a_stranger_is_told_nothing_is_stored_and_gets_no_file(slack: SandboxedApp, seeded: SeededPerson) -> None:
    response = slack.slash("USTRANGER", "/mentoring", "my-data")
    assert t("export.slack.nothing", "en") in ephemeral_text(slack, response.response_url)
    assert [call.method for call in slack.sandbox.calls if call.method.startswith("files.")] == []
    assert slack.sandbox.dm_messages("USTRANGER") == []


def test_a_failed_upload_is_said_plainly(slack: SandboxedApp, seeded: SeededPerson) -> None:
    slack.sandbox.error_next("files.completeUploadExternal", "channel_not_found")
    response = slack.slash(ADA_SLACK, "/mentoring", "my-data")
    assert answers_on(slack, response.response_url)[-1]["text"] == t("export.slack.failed", "en")


def test_help_lists_my_data_for_a_participant(slack: SandboxedApp, seeded: SeededPerson) -> None:
    response = slack.slash("ULARS", "/mentoring", "help")
    assert "/mentoring my-data" in ephemeral_text(slack, response.response_url)
