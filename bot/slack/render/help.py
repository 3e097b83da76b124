"""The ephemeral help answer: only the commands this person may use, in their language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from babel.lists import format_list

from bot.core.commands import CommandInfo
from bot.i18n import babel_locale, t
from bot.slack.render.blocks import MODAL_TITLE_LIMIT, Message, context, section
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


def not_in_programme_message(*, language: str, contacts: Sequence[str]) -> Message:
    """For someone in the workspace the bot knows from no round: why that may be, and whom to ask.

    `contacts` are Slack user ids (the coordinators of current rounds); without any, the
    answer points at whoever invited them, which is always someone they know."""
    title = t("help.outsider.title", language)
    if contacts:
        people = format_list([f"<@{escape_mrkdwn(user_id)}>" for user_id in contacts], style="or",
                             locale=babel_locale(language))
        ask = t("help.outsider.ask", language, people=people)
    else:
        ask = t("help.outsider.ask_whoever_invited", language)
    why = t("help.outsider.why", language)
    return Message(text=f"{title} {why} {ask}", blocks=[section(f"*{title}*\n{why}"), section(ask)])


def unknown_subcommand_message(
    *, command: str, typed: str, suggestion: str | None, commands: list[CommandInfo], language: str, is_coordinator: bool
) -> Message:
    """A typo gets a kind answer and the list, never an error page."""
    lead = unknown_lead(command=command, typed=typed, suggestion=suggestion, language=language)
    listing = help_message(commands=commands, language=language, is_coordinator=is_coordinator)
    return Message(text=lead, blocks=[section(lead), *listing.blocks[1:]])


def unknown_lead(*, command: str, typed: str, suggestion: str | None, language: str) -> str:
    if suggestion:
        return t("help.unknown_with_suggestion", language, command=command, typed=escape_mrkdwn(typed),
                 suggestion=suggestion)
    return t("help.unknown", language, command=command, typed=escape_mrkdwn(typed))


def not_a_coordinator_message(*, language: str, command: bool = True) -> Message:
    """The refusal of a coordinators' command, or (`command=False`) of a coordinators' button
    or form someone else clicked or submitted: they typed no /mentoring-admin, so the
    answer says plainly that nothing was changed instead."""
    text = t("help.admin_only" if command else "help.admin_only.action", language)
    return Message(text=text, blocks=[section(text)])


def not_a_coordinator_view(*, language: str, title: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The same refusal in place of a coordinator's modal someone else submitted; it keeps
    the modal's own title (Slack shows it above the answer) and only a Close button."""
    text = t("help.admin_only.action", language)
    return {
        "type": "modal",
        "title": dict(title) if title else {"type": "plain_text", "text": t("home.title", language)[:MODAL_TITLE_LIMIT]},
        "close": {"type": "plain_text", "text": t("help.admin_only.close", language)},
        "blocks": [section(text)],
    }
