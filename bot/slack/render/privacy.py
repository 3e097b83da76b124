"""Block Kit for `/mentoring-admin erase NAME`: the candidates, the confirmation with what
will go per table and its button, and the outcome. Names and emails are escaped."""

from __future__ import annotations

import re
from typing import Final

from bot.i18n import t
from bot.privacy.requests import EraseAnswer, EraseStatus
from bot.slack.render.blocks import Message, actions, button, context, section
from bot.text import escape_mrkdwn

ERASE_ACTION_ID: Final = "privacy.erase.confirm"
ERASE_ACTION_PATTERN: Final = re.compile(r"^privacy\.erase\.confirm$")


def parse_erase_value(value: object) -> int | None:
    """The participant id the button carries; None for anything else (a forged value)."""
    if not isinstance(value, str) or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def _table_line(table: str, count: int, language: str) -> str:
    """"3 1:1 sessions (notes)"; a table the catalog does not name yet as its name and count."""
    try:
        return t(f"privacy.table.{table}", language, count=count)
    except KeyError:
        return f"{escape_mrkdwn(table)}: {count}"


def erase_message(answer: EraseAnswer) -> Message:
    lang = answer.language
    status = answer.status
    if status is EraseStatus.AMBIGUOUS:
        lines = [t("privacy.erase.ambiguous", lang, query=escape_mrkdwn(answer.query), people=len(answer.candidates))]
        lines += [t("privacy.erase.candidate", lang, name=escape_mrkdwn(c.name), email=escape_mrkdwn(c.email),
                    rounds=escape_mrkdwn(", ".join(c.rounds))) for c in answer.candidates]
        text = "\n".join(lines)
        return Message(text=lines[0], blocks=[section(text)])
    if status is EraseStatus.CONFIRM and answer.person is not None and answer.participant_id is not None:
        person = answer.person
        intro = t("privacy.erase.confirm", lang, name=escape_mrkdwn(person.name), email=escape_mrkdwn(person.email),
                  rounds=escape_mrkdwn(", ".join(person.rounds)))
        tables = answer.counts.tables if answer.counts is not None else {}
        listed = "\n".join(f"• {_table_line(table, count, lang)}" for table, count in sorted(tables.items()))
        return Message(text=intro, blocks=[
            section(intro), section(listed or "—"), context(t("privacy.erase.slack_note", lang)),
            actions(button(t("privacy.erase.button", lang), action_id=ERASE_ACTION_ID,
                           value=str(answer.participant_id), style="danger"), block_id="privacy.erase"),
        ])
    if status is EraseStatus.ERASED:
        total = answer.counts.total if answer.counts is not None else 0
        text = t("privacy.erase.done", lang, count=total)
        ended = len(answer.counts.pairs_ended) if answer.counts is not None else 0
        if ended:
            text = f"{text} {t('privacy.erase.pairs_ended', lang, count=ended)}"
        return Message(text=text, blocks=[section(text), context(t("privacy.erase.slack_note", lang))])
    key = {EraseStatus.NO_NAME: "privacy.erase.no_name", EraseStatus.UNKNOWN: "privacy.erase.unknown",
           EraseStatus.ALREADY: "privacy.erase.already", EraseStatus.FORBIDDEN: "privacy.erase.forbidden",
           EraseStatus.CONFIRM: "privacy.erase.already"}[status]
    text = t(key, lang, query=escape_mrkdwn(answer.query))
    return Message(text=text, blocks=[section(text)])


__all__ = ["ERASE_ACTION_ID", "ERASE_ACTION_PATTERN", "erase_message", "parse_erase_value"]
