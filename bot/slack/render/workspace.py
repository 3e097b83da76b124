"""The coordinators' notes about a participant who left the Slack workspace or came back."""

from __future__ import annotations

from bot.i18n import t
from bot.pairs.departures import PersonBackInWorkspace, PersonLeftWorkspace
from bot.slack.render.blocks import Message, section
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn
from storage.models import Role


def _who(*, name: str, role: Role, round_name: str, language: str) -> dict[str, str]:
    return {"name": escape_mrkdwn(name), "role": t(f"onboarding.role.{role.value}", language),
            "round": escape_mrkdwn(round_name)}


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(escape_mrkdwn(name) for name in names)


@SLACK.renders(PersonLeftWorkspace)
def _left(facts: PersonLeftWorkspace, language: str) -> Message:
    who = _who(name=facts.name, role=facts.role, round_name=facts.round_name, language=language)
    if facts.partner_names:
        text = t("workspace.left.coordinator", language, count=len(facts.partner_names),
                 partners=_names(facts.partner_names), **who)
    else:
        text = t("workspace.left.coordinator_no_pair", language, **who)
    return Message(text=text, blocks=[section(text)])


@SLACK.renders(PersonBackInWorkspace)
def _back(facts: PersonBackInWorkspace, language: str) -> Message:
    who = _who(name=facts.name, role=facts.role, round_name=facts.round_name, language=language)
    lines = [t("workspace.back.coordinator", language, **who)]
    if facts.resumed_with:
        lines.append(t("workspace.back.resumed", language, count=len(facts.resumed_with),
                       partners=_names(facts.resumed_with)))
    if facts.still_paused_with:
        lines.append(t("workspace.back.still_paused", language, count=len(facts.still_paused_with),
                       partners=_names(facts.still_paused_with)))
    if not facts.resumed_with and not facts.still_paused_with:
        lines.append(t("workspace.back.nothing_paused", language))
    text = " ".join(lines)
    return Message(text=text, blocks=[section(text)])
