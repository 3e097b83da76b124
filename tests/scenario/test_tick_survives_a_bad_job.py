"""A bug in one of the tick's jobs stops only that job: everyone is still found in Slack,
welcomed, and the welcomes reach their DMs through the outbox."""

from __future__ import annotations

import json
import logging

import pytest

from bot.rounds.roster import import_workbook_file
from bot.rounds.workbook import workbook_bytes
from bot.sandbox.harness import SandboxedApp
from scheduling import ticks
from scheduling.ticks import DueJob, DueWork, JobContext, SlackContext, SlackJob
from storage.db import unit_of_work
from tests.support.workspaces import ONE_WORKSPACE
from tests.unit.test_roster_import import sample_workbook


def _broken(_job: JobContext) -> DueWork:
    raise RuntimeError("a bug in the newest job")


def _broken_slack_job(_job: SlackContext) -> DueWork:
    raise ConnectionError("a Slack adapter bug")


def test_the_other_jobs_deliver_when_one_job_raises(
    slack: SandboxedApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = slack.sandbox
    sandbox.add_user(user_id="ULARS", name="lars", real_name="Lars", email="lars@firm.dk")
    sandbox.add_user(user_id="UANA", name="ana", real_name="Ana", email="ana@example.org")
    sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk", locale="da-DK")
    with unit_of_work(slack.runtime.session_factory) as session:
        assert import_workbook_file(session, workbook_bytes(sample_workbook()), workspace=ONE_WORKSPACE, now=slack.clock.now()).ok
    # The broken jobs run first, before the lookups and the welcomes.
    monkeypatch.setattr(ticks, "DEFAULT_JOBS", (
        DueJob(name="surveys", find=_broken), SlackJob(name="digest", drive=_broken_slack_job), *ticks.DEFAULT_JOBS,
    ))

    with caplog.at_level(logging.ERROR, logger="scheduling.ticks"):
        result = slack.tick()
        report = slack.deliver()

    assert result.failed == ["surveys", "digest"]
    assert [record.getMessage().split(" failed")[0] for record in caplog.records if record.levelno >= logging.ERROR] == [
        "tick job surveys", "tick job digest",
    ]
    assert result.housekeeping["resolve-participants"] == 3, "everyone was looked up"
    assert report.sent >= 3 and report.failed == 0
    for user_id, greeting in (("UANA", "Welcome to Career Mentoring"), ("UMETTE", "Velkommen til Career Mentoring")):
        [welcome] = sandbox.dm_messages(user_id)
        assert greeting in welcome["text"] + json.dumps(welcome["blocks"], ensure_ascii=False)
