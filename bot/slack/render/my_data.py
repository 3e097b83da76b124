"""The messages around `/mentoring my-data`, and a stored notice drawn back into words.

The person's name is their data (it may hold `<!channel>` or `*bold*`), so it is escaped
wherever it goes into mrkdwn; the files' titles are plain text and carry no user text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.core.notices import stored_notice
from bot.i18n import t
from bot.slack.notices import SLACK
from bot.slack.render.blocks import Message, section
from bot.text import escape_mrkdwn

log = logging.getLogger(__name__)


def my_data_working_message(*, language: str) -> Message:
    """The first answer, at once: the files follow in the DM."""
    text = t("export.slack.working", language)
    return Message(text=text, blocks=[section(text)])


def my_data_sent_message(*, language: str) -> Message:
    text = t("export.slack.sent", language)
    return Message(text=text, blocks=[section(text)])


def my_data_failed_message(*, language: str) -> Message:
    text = t("export.slack.failed", language)
    return Message(text=text, blocks=[section(text)])


def my_data_nothing_message(*, language: str) -> Message:
    """For someone the bot stores nothing about: said plainly, no file."""
    text = t("export.slack.nothing", language)
    return Message(text=text, blocks=[section(text)])


def my_data_titles(*, language: str) -> tuple[str, str]:
    """The two files' titles in Slack (JSON, workbook): plain text."""
    return t("export.slack.title_json", language), t("export.slack.title_workbook", language)


def my_data_comment(*, name: str, rows: int, sections: int, language: str) -> str:
    """The words posted with the files in the person's DM (mrkdwn: the name escaped)."""
    return t("export.slack.comment", language, name=escape_mrkdwn(name), rows=rows, sections=sections)


def notice_text(payload: Mapping[str, Any]) -> str | None:
    """A stored notice as the words Slack showed (its fallback text), or None when the row
    can no longer be drawn (an old kind, facts that no longer fit)."""
    try:
        _channel, language, facts = stored_notice(payload)
        return str(SLACK.render(facts, language).text)
    except Exception as exc:  # noqa: BLE001 - a row that cannot be drawn is exported with its facts alone
        log.info("a stored notice could not be drawn for an export: %s", type(exc).__name__)
        return None


__all__ = [
    "my_data_comment",
    "my_data_failed_message",
    "my_data_nothing_message",
    "my_data_sent_message",
    "my_data_titles",
    "my_data_working_message",
    "notice_text",
]
