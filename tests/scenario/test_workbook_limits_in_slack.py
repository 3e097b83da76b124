"""Hostile workbooks shared in the bot's DM: the answer in the thread names the sheet, row
and column (or the file), the round stays as it was, and the request never hangs.

The upload path adds Slack's own size check before downloading (`refusal_for_file`) to the
reader's limits, which are the same figure (`MAX_FILE_BYTES`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.rounds.workbook import SHEET_MEETINGS, SHEET_PARTICIPANTS, workbook_bytes
from bot.sandbox.harness import SandboxedApp
from tests.scenario.test_import_from_slack import counts, people, reply_text, thread_replies, upload
from tests.support.mrkdwn import traffic_leaks
from tests.support.workbooks import edited, formula, oversized, patched, rows_appended, set_cell, zip_bomb
from tests.unit.test_roster_import import sample_workbook

__all__ = ["people"]  # the fixture, used by name

CASES: list[tuple[str, Callable[[], bytes], str]] = [
    ("100,000 rows", lambda: patched(SHEET_PARTICIPANTS, rows_appended(100_000, dimension=True)),
     "Participants: The sheet is"),
    ("2,500 rows", lambda: patched(SHEET_PARTICIPANTS, rows_appended(2_500, dimension=False)),
     "Participants row 2001: The sheet has more than 2000 filled rows"),
    ("zip bomb", lambda: zip_bomb(unpacked_mb=70), "The file unpacks to"),
    ("formula without its result", lambda: edited(set_cell(SHEET_PARTICIPANTS, 3, "name", "=1+1")),
     "Participants row 3, column name: The cell holds a formula whose result was not saved"),
    ("Excel error", lambda: edited(set_cell(SHEET_MEETINGS, 2, "starts_at", "#REF!")),
     "Meetings row 2, column starts_at: The cell shows the Excel error #REF!"),
    ("huge cell", lambda: edited(set_cell(SHEET_PARTICIPANTS, 3, "name", "x" * 32_767)),
     "Participants row 3, column name: \"name\" is 32767 characters long; at most 200 fit"),
]


@pytest.mark.parametrize(("make", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_hostile_workbook_is_answered_in_the_thread_and_changes_nothing(
    slack: SandboxedApp, people: None, make: Callable[[], bytes], expected: str
) -> None:
    assert upload(slack, user_id="UADMIN", content=workbook_bytes(sample_workbook()))[0].status == 200
    before = counts(slack)
    response, event = upload(slack, user_id="UADMIN", content=make())
    assert response.status == 200
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    assert expected in reply_text(reply).replace("&quot;", '"'), reply_text(reply)
    assert counts(slack) == before
    assert traffic_leaks(slack.sandbox) == []


def test_a_formula_with_its_saved_result_imports_as_excel_shows_it(slack: SandboxedApp, people: None) -> None:
    content = patched(SHEET_PARTICIPANTS, formula("B3", 'CONCAT("A","na")', saved="Ana"))
    response, event = upload(slack, user_id="UADMIN", content=content)
    assert response.status == 200
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    assert reply_text(reply).startswith("Imported Career Mentoring / Spring 2027."), reply_text(reply)


def test_a_file_over_the_limit_is_refused_by_the_size_slack_reports(slack: SandboxedApp, people: None) -> None:
    before = counts(slack)
    response, event = upload(slack, user_id="UADMIN", content=oversized(6 * 1024 * 1024))
    assert response.status == 200
    (reply,) = thread_replies(slack, "UADMIN", event["ts"])
    assert "MB" in reply_text(reply)
    assert counts(slack) == before
