"""`/mentoring-admin report [ROUND]` through the signed endpoint against the fake Slack: the
coordinator is told it is being made, the workbook arrives in their DM through
files.getUploadURLExternal + files.completeUploadExternal, opens in openpyxl with every
sheet and chart, and its Summary equals compute_scoreboard; another programme's
coordinator and a participant get no file."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from bot.i18n import t
from bot.reports import SHEETS
from bot.sandbox.harness import SandboxedApp
from bot.surveys.scoreboard import compute_scoreboard
from storage.db import unit_of_work
from storage.models import Role
from tests.nudge_world import World, new_world, person
from tests.support.answers import answers_on, ephemeral_text
from tests.support.mrkdwn import live_sequences
from tests.support.report_round import REPORT_NOW, charts_in, seed_report_round


@pytest.fixture
def world(slack: SandboxedApp) -> World:
    slack.clock.set(REPORT_NOW)
    for user_id in ("UCOORD", "UM1", "UOTHER"):
        slack.sandbox.add_user(user_id=user_id, name=user_id.lower(), tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        world = seed_report_round(session)
        other = new_world(session, name="Autumn 2027")
        person(session, other, "other", role=Role.COORDINATOR)
    return world


def _uploads(slack: SandboxedApp) -> list[str]:
    return [call.method for call in slack.sandbox.calls if call.method.startswith("files.")]


def test_the_report_arrives_in_the_dm_and_equals_the_scoreboard(slack: SandboxedApp, world: World) -> None:
    response = slack.slash("UCOORD", "/mentoring-admin", "report Spring 2027")
    assert response.status == 200
    posts = answers_on(slack, response.response_url)
    assert [post["text"] for post in posts] == ["Making the report of Spring 2027…",
                                                "Your report of Spring 2027 is in your DM with me."]
    assert all(post["response_type"] == "ephemeral" for post in posts)
    assert _uploads(slack) == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    shared = [message for message in slack.sandbox.dm_messages("UCOORD") if message.get("files")]
    assert len(shared) == 1 and "share it only within the programme" in shared[0]["text"]
    file = shared[0]["files"][0]
    assert file["name"] == "report-spring-2027-2027-07-01.xlsx"

    workbook = load_workbook(io.BytesIO(slack.sandbox.file_content(file["id"]) or b""))
    assert workbook.sheetnames == [t(f"report.sheet.{sheet}", "en") for sheet in SHEETS]
    assert {name: charts_in(workbook, name) for name in ("Summary", "Surveys", "Outcomes")} == {
        "Summary": 1, "Surveys": 1, "Outcomes": 1}
    with unit_of_work(slack.runtime.session_factory) as session:
        board = compute_scoreboard(session, round_id=world.round_id, now=REPORT_NOW)
    rows = list(workbook["Summary"].iter_rows(min_row=3, max_row=2 + len(board.criteria), values_only=True))
    assert [(row[1], row[4], row[5], row[6], row[8]) for row in rows] == [
        (standing.statement_en, standing.answers, standing.agreeing,
         None if standing.share is None else float(standing.share),
         t(f"scoreboard.standing.{standing.standing.value}", "en"))
        for standing in board.criteria]
    key = {row[1]: row[2] for row in workbook["Summary"].iter_rows(values_only=True) if row[0] == "Spring 2027"}
    assert key["1:1 sessions logged"] == board.introductions.sessions
    assert key["Introductions made by mentors"] == board.introductions.total


def test_without_a_name_the_round_just_over_is_reported(slack: SandboxedApp, world: World) -> None:
    response = slack.slash("UCOORD", "/mentoring-admin", "report")
    assert answers_on(slack, response.response_url)[-1]["text"] == "Your report of Spring 2027 is in your DM with me."


def test_a_failed_upload_is_said_plainly(slack: SandboxedApp, world: World) -> None:
    slack.sandbox.error_next("files.completeUploadExternal", "channel_not_found")
    response = slack.slash("UCOORD", "/mentoring-admin", "report Spring 2027")
    assert "could not send it to your DM" in answers_on(slack, response.response_url)[-1]["text"]


def test_another_programmes_coordinator_gets_no_file(slack: SandboxedApp, world: World) -> None:
    response = slack.slash("UOTHER", "/mentoring-admin", "report Spring 2027")
    text = answers_on(slack, response.response_url)[-1]["text"]
    assert "no round called “Spring 2027” among yours" in text
    assert _uploads(slack) == []


def test_a_participant_is_told_it_is_for_coordinators(slack: SandboxedApp, world: World) -> None:
    response = slack.slash("UM1", "/mentoring-admin", "report")
    text = ephemeral_text(slack, response.response_url)
    assert "Only the programme's coordinators can use /mentoring-admin" in text
    assert _uploads(slack) == []


def test_a_round_name_typed_with_mentions_never_pings(slack: SandboxedApp, world: World) -> None:
    response = slack.slash("UCOORD", "/mentoring-admin", "report <!channel> <@UM1>")
    for post in answers_on(slack, response.response_url):
        assert live_sequences(post["text"]) == []
