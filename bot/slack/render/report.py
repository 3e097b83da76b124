"""The messages around `/mentoring-admin report`: working on it, sent to your DM, or not.

The round's name is a programme's data, so it is escaped everywhere it appears."""

from __future__ import annotations

from bot.i18n import t
from bot.slack.render.blocks import Message, section
from bot.text import escape_mrkdwn


def report_working_message(*, round_name: str, language: str) -> Message:
    """The first answer, at once: building the file takes a moment on a large round."""
    text = (t("report.slack.working", language, round=escape_mrkdwn(round_name)) if round_name
            else t("report.slack.working_any", language))
    return Message(text=text, blocks=[section(text)])


def report_sent_message(*, round_name: str, language: str) -> Message:
    text = t("report.slack.sent", language, round=escape_mrkdwn(round_name))
    return Message(text=text, blocks=[section(text)])


def report_failed_message(*, language: str) -> Message:
    text = t("report.slack.failed", language)
    return Message(text=text, blocks=[section(text)])


def report_title(*, round_name: str, language: str) -> str:
    """The file's title in Slack (plain text, not mrkdwn)."""
    return t("report.slack.title", language, round=round_name)


def report_comment(*, language: str) -> str:
    """The words posted with the file in the coordinator's DM.

    They carry no user text: files.completeUploadExternal takes no `parse` argument, so Slack
    reads the comment as a message's text and would link a round named like a URL even when
    escaped. The round's name goes in the title, which Slack shows as plain text."""
    return t("report.slack.comment", language)


__all__ = [
    "report_comment",
    "report_failed_message",
    "report_sent_message",
    "report_title",
    "report_working_message",
]
