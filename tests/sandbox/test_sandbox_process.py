"""The sandbox in a child process (bot/sandbox/process.py) is the same sandbox: its options
hold there (rate limits), seeding and the record read back go to the child, and a failing call
fails in the caller. The benchmarks count lost posts, duplicates and 429s from this record."""

from __future__ import annotations

import os

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.process import SandboxProcess


def test_a_child_sandbox_serves_seeds_and_reports_what_it_served() -> None:
    with SandboxProcess(enforce_rate_limits=True, bot_token="xoxb-child") as slack:
        assert slack.pid != os.getpid()
        channel = slack.add_channel(name="general", members=(slack.bot_user_id,))["id"]
        client = WebClient(token="xoxb-child", base_url=slack.base_url)
        statuses = []
        for index in range(5):  # a burst of 3, then Slack's one a second: the last two refused
            try:
                client.chat_postMessage(channel=channel, text=f"post {index}")
                statuses.append(200)
            except SlackApiError as error:
                statuses.append(error.response.status_code)

        assert statuses == [200, 200, 200, 429, 429]
        assert [call.http_status for call in slack.calls_to("chat.postMessage")] == statuses
        assert [message["text"] for message in slack.messages_in(channel)] == ["post 0", "post 1", "post 2"]


def test_a_call_that_fails_in_the_child_raises_in_the_caller() -> None:
    with SandboxProcess() as slack, pytest.raises(TypeError):
        slack.messages_in()


def test_private_names_are_not_forwarded_and_a_stopped_child_answers_nothing() -> None:
    slack = SandboxProcess().start()
    with pytest.raises(AttributeError):
        _ = slack._users
    slack.stop()
    slack.stop()  # twice is fine
    with pytest.raises(RuntimeError):
        _ = slack.calls
