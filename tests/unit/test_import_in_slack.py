"""Importing from Slack without Slack: the upload rules, the reply builders and their limits."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.people import Viewer
from bot.i18n import t
from bot.rounds.imports import (
    MAX_WORKBOOK_BYTES,
    XLSX_MIMETYPE,
    Refusal,
    UploadedFile,
    claim_upload,
    import_uploaded_workbook,
    refusal_for_file,
    refusal_for_sender,
    template_workbook,
    wants_dry_run,
)
from bot.rounds.workbook import ParticipantRow, read_workbook, workbook_bytes
from bot.slack.render.blocks import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT, check_message_limits
from bot.slack.render.imports import (
    app_dm_url,
    cli_text,
    import_instructions_message,
    import_reply,
    megabytes,
    template_failed_message,
    template_sent_message,
    upload_refused_message,
)
from bot.text import escape_mrkdwn
from storage.db import unit_of_work
from storage.models import Participant, Role, Round
from tests.support.workspaces import ONE_WORKSPACE
from tests.unit.test_roster_import import sample_workbook

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc)
COORDINATOR = Viewer(workspace=ONE_WORKSPACE, slack_user_id="U1", language="en", roles=frozenset({Role.COORDINATOR}),
                     participant_ids=())
MENTEE = Viewer(workspace=ONE_WORKSPACE, slack_user_id="U2", language="da", roles=frozenset({Role.MENTEE}), participant_ids=(1,))


# --- rules ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dry run", True), ("Dry Run please", True), ("--dry-run", True), ("dryrun", True), ("dry_run", True),
        ("prøvekørsel", True), ("Prøvekørsel, tak", True), ("prøve-kørsel", True), ("proevekoersel", True),
        ("", False), (None, False), ("the run dried up", False), ("import this", False), ("laundry running", False),
    ],
)
def test_a_dry_run_is_asked_for_in_either_language(text: str | None, expected: bool) -> None:
    assert wants_dry_run(text) is expected


def test_only_coordinators_and_only_one_file_at_a_time() -> None:
    assert refusal_for_sender(viewer=COORDINATOR, file_count=1) is None
    assert refusal_for_sender(viewer=MENTEE, file_count=1) is Refusal.NOT_COORDINATOR
    assert refusal_for_sender(viewer=COORDINATOR, file_count=2) is Refusal.SEVERAL_FILES
    assert refusal_for_sender(viewer=COORDINATOR, file_count=0) is Refusal.SEVERAL_FILES


def test_an_xlsx_is_recognised_by_name_filetype_or_mimetype_and_size_is_checked_first() -> None:
    assert refusal_for_file(UploadedFile(file_id="F1", name="Round.XLSX", size=10)) is None
    assert refusal_for_file(UploadedFile(file_id="F1", name="round", filetype="xlsx")) is None
    assert refusal_for_file(UploadedFile(file_id="F1", name="round", mimetype=XLSX_MIMETYPE)) is None
    assert refusal_for_file(UploadedFile(file_id="F1", name="round.csv", filetype="csv", mimetype="text/csv")) is (
        Refusal.NOT_XLSX
    )
    assert refusal_for_file(UploadedFile(file_id="F1", name="round.xls", filetype="xls")) is Refusal.NOT_XLSX
    assert refusal_for_file(UploadedFile(file_id="F1", name="r.xlsx", size=MAX_WORKBOOK_BYTES)) is None
    assert refusal_for_file(UploadedFile(file_id="F1", name="r.xlsx", size=MAX_WORKBOOK_BYTES + 1)) is Refusal.TOO_LARGE


def test_the_template_is_a_workbook_the_reader_accepts() -> None:
    workbook, problems = read_workbook(template_workbook())
    assert problems == [] and workbook is not None


def test_a_dry_run_and_a_refused_workbook_keep_nothing(session_factory) -> None:  # noqa: ANN001
    good = workbook_bytes(sample_workbook())
    bad = workbook_bytes(sample_workbook(participants=(ParticipantRow(row=2, email="nope", name="X", role="mentee"),)))
    admin: dict[str, Any] = {"uploader": "UADMIN", "admin_user_ids": ("UADMIN",)}
    with unit_of_work(session_factory) as session:
        dry = import_uploaded_workbook(session, good, dry_run=True, workspace=ONE_WORKSPACE, now=NOW, **admin)
    with unit_of_work(session_factory) as session:
        refused = import_uploaded_workbook(session, bad, dry_run=False, workspace=ONE_WORKSPACE, now=NOW, **admin)
    assert dry.ok and dry.participants_created == 3 and not refused.ok
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 0
        assert session.scalar(select(func.count()).select_from(Round)) == 0
    with unit_of_work(session_factory) as session:
        assert import_uploaded_workbook(session, good, dry_run=False, workspace=ONE_WORKSPACE, now=NOW, **admin).ok
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 3


def test_an_upload_message_is_claimed_once(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        assert claim_upload(session, channel_id="D1", message_ts="1700000000.000100", now=NOW)
        assert not claim_upload(session, channel_id="D1", message_ts="1700000000.000100", now=NOW)
        assert claim_upload(session, channel_id="D2", message_ts="1700000000.000100", now=NOW)


# --- the reply ------------------------------------------------------------------------------

def _sections(blocks: list[dict]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section"]


def _problem_lines(count: int, *, width: int = 90) -> list[str]:
    return [f"Participants row {index + 2}, column email: \"{'x' * width}{index}\" is not valid." for index in range(count)]


def test_a_short_result_is_the_cli_lines_one_per_line() -> None:
    lines = ["Imported Career Mentoring / Spring 2027.", "Participants: 3 new, 0 updated, 0 unchanged."]
    reply = import_reply(lines, language="en", ok=True, dry_run=False)
    assert _sections(reply.message.blocks) == lines
    assert reply.message.text == lines[0] and reply.attachment is None
    check_message_limits(reply.message.blocks)


def test_workbook_text_in_the_lines_is_escaped() -> None:
    lines = ["Refused: fix 1 problem:", "Participants row 3, column name: \"<!channel> & <@U1>\" is odd."]
    reply = import_reply(lines, language="en", ok=False, dry_run=False)
    dumped = json.dumps(reply.message.blocks)
    assert "<!channel>" not in dumped and "<@U1>" not in dumped
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in _sections(reply.message.blocks)[1]


def test_a_long_problem_list_is_split_into_sections_without_losing_a_line() -> None:
    lines = ["Refused: fix 120 problems:", *_problem_lines(120)]
    reply = import_reply(lines, language="en", ok=False, dry_run=False)
    sections = _sections(reply.message.blocks)
    assert len(sections) > 2 and reply.attachment is None
    assert all(len(text) <= SECTION_TEXT_LIMIT for text in sections)
    assert "\n".join(sections).split("\n") == [escape_mrkdwn(line) for line in lines], "nothing cut, nothing reordered"
    check_message_limits(reply.message.blocks)


def test_a_list_too_long_for_one_message_shows_the_first_problems_and_attaches_all() -> None:
    lines = ["Refused: fix 2000 problems:", *_problem_lines(2000)]
    reply = import_reply(lines, language="en", ok=False, dry_run=False, max_sections=5)
    blocks = reply.message.blocks
    check_message_limits(blocks)
    sections = _sections(blocks)
    assert len(sections) == 5 and all(len(text) <= SECTION_TEXT_LIMIT for text in sections)
    shown = sum(1 for line in "\n".join(sections[1:]).split("\n") if line)
    note = blocks[-1]["elements"][0]["text"]
    assert note == t("import.reply.more_in_file", "en", shown=shown, total=2000)
    assert reply.attachment is not None
    assert reply.attachment.content == cli_text(lines)
    assert reply.attachment.content.splitlines()[1:] == [f"  {line}" for line in lines[1:]]


def test_the_largest_reply_stays_within_slacks_message_limits() -> None:
    lines = ["Refused:", *_problem_lines(5000, width=400)]
    reply = import_reply(lines, language="da", ok=False, dry_run=False, max_sections=MESSAGE_BLOCK_LIMIT - 2)
    check_message_limits(reply.message.blocks)
    assert len(reply.message.blocks) == MESSAGE_BLOCK_LIMIT - 1  # 48 sections and the note
    assert "Her vises de første" in reply.message.blocks[-1]["elements"][0]["text"]
    with pytest.raises(ValueError, match="max_sections"):
        import_reply(lines, language="en", ok=False, dry_run=False, max_sections=MESSAGE_BLOCK_LIMIT - 1)


def test_a_single_line_longer_than_a_section_continues_in_the_next_one_without_breaking_an_entity() -> None:
    monster = "Participants row 2, column name: " + "<&>" * 1500  # escapes to ~19500 characters
    reply = import_reply(["Refused: 1 problem:", monster], language="en", ok=False, dry_run=False)
    sections = _sections(reply.message.blocks)
    assert all(len(text) <= SECTION_TEXT_LIMIT for text in sections)
    assert "".join(sections[1:]) == escape_mrkdwn(monster)
    for text in sections[1:]:
        assert re.fullmatch(r"(?:&(?:amp|lt|gt);|[^&])*", text), "a piece starts or ends inside an entity"


def test_a_valid_dry_run_says_how_to_import_for_real() -> None:
    reply = import_reply(["Dry run: the workbook is valid.", "Participants: 3 new."], language="da", ok=True, dry_run=True)
    assert reply.message.blocks[-1]["type"] == "context"
    assert "prøvekørsel" in reply.message.blocks[-1]["elements"][0]["text"]
    refused = import_reply(["Refused:", "a problem"], language="en", ok=False, dry_run=True)
    assert all(block["type"] == "section" for block in refused.message.blocks)


# --- the other messages ---------------------------------------------------------------------

def test_import_instructions_link_to_the_bots_dm_when_slack_said_which_app() -> None:
    message = import_instructions_message(language="en", app_id="A0APP", team_id="T0TEAM")
    text = json.dumps(message.blocks)
    assert "<https://slack.com/app_redirect?app=A0APP&team=T0TEAM|Open my Messages tab>" in text
    assert "5 MB" in text and "dry run" in text and "/mentoring-admin template" in text
    check_message_limits(message.blocks)
    danish = json.dumps(import_instructions_message(language="da", app_id=None, team_id=None).blocks, ensure_ascii=False)
    assert "app_redirect" not in danish and "Åbn min fane Beskeder" in danish and "prøvekørsel" in danish


def test_app_dm_url_only_takes_slack_ids() -> None:
    assert app_dm_url(app_id="A1", team_id=None) == "https://slack.com/app_redirect?app=A1"
    assert app_dm_url(app_id="A1|evil", team_id="T1") is None
    assert app_dm_url(app_id="A1", team_id="T1>") == "https://slack.com/app_redirect?app=A1"


@pytest.mark.parametrize("language", ["en", "da"])
@pytest.mark.parametrize("refusal", list(Refusal))
def test_every_refusal_has_a_kind_escaped_message(refusal: Refusal, language: str) -> None:
    message = upload_refused_message(refusal=refusal, language=language, filename="<!here>.csv")
    check_message_limits(message.blocks)
    assert "<!here>" not in json.dumps(message.blocks) and message.text
    if refusal in {Refusal.NOT_XLSX, Refusal.TOO_LARGE, Refusal.DOWNLOAD_FAILED}:
        assert "&lt;!here&gt;.csv" in message.text


def test_template_answers_and_megabytes() -> None:
    assert "direct messages" in template_sent_message(language="en").text
    assert "Prøv igen" in template_failed_message(language="da").text
    assert (megabytes(5 * 1024 * 1024), megabytes(1536 * 1024)) == ("5", "1.5")
