"""The ephemeral help answer: only the commands this person may use, in their language."""

from __future__ import annotations

from bot.i18n import t
from bot.messages.blocks import Message, context, section
from bot.services.commands import CommandInfo
from bot.text import escape_mrkdwn


def help_message(*, commands: list[CommandInfo], language: str, is_coordinator: bool) -> Message:
    lines = [f"• `{t(info.usage_key, language)}`: {t(info.description_key, language)}" for info in commands]
    intro = t("help.intro", language)
    blocks = [section(f"*{intro}*"), section("\n".join(lines))]
    if is_coordinator:
        blocks.append(context(t("help.coordinator_note", language)))
    else:
        blocks.append(context(t("help.participant_note", language)))
    return Message(text=intro, blocks=blocks)


def unknown_subcommand_message(
    *, command: str, typed: str, suggestion: str | None, commands: list[CommandInfo], language: str, is_coordinator: bool
) -> Message:
    """A typo gets a kind answer and the list, never an error page."""
    if suggestion:
        lead = t("help.unknown_with_suggestion", language, command=command, typed=escape_mrkdwn(typed), suggestion=suggestion)
    else:
        lead = t("help.unknown", language, command=command, typed=escape_mrkdwn(typed))
    listing = help_message(commands=commands, language=language, is_coordinator=is_coordinator)
    return Message(text=lead, blocks=[section(lead), *listing.blocks[1:]])


def not_a_coordinator_message(*, language: str) -> Message:
    text = t("help.admin_only", language)
    return Message(text=text, blocks=[section(text)])
