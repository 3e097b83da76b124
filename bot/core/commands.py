"""The slash commands and subcommands, who may use them, and how to answer a typo.

Help lists what *this* person may do, so the list lives here once: the help text, the
dispatcher's permission check and the handler tables (checked against it when they are
built, see `handlers/commands/router.py`) all read this one table.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import Enum

from bot.core.people import Viewer


class Audience(str, Enum):
    EVERYONE = "everyone"
    PARTICIPANTS = "participants"
    COORDINATORS = "coordinators"


@dataclass(frozen=True, kw_only=True)
class CommandInfo:
    command: str  # "/mentoring"
    subcommand: str | None  # "help"; None for a command that takes free text
    usage_key: str  # catalog key of "/mentoring help" style usage
    description_key: str
    audience: Audience


MENTORING = "/mentoring"
ADMIN = "/mentoring-admin"
LOG_SESSION = "/log-session"

COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo(
        command=MENTORING, subcommand="help", usage_key="cmd.mentoring.help.usage",
        description_key="cmd.mentoring.help.description", audience=Audience.EVERYONE,
    ),
    CommandInfo(
        command=MENTORING, subcommand="profile", usage_key="cmd.mentoring.profile.usage",
        description_key="cmd.mentoring.profile.description", audience=Audience.PARTICIPANTS,
    ),
    CommandInfo(
        command=LOG_SESSION, subcommand=None, usage_key="cmd.log_session.usage",
        description_key="cmd.log_session.description", audience=Audience.PARTICIPANTS,
    ),
    CommandInfo(
        command=MENTORING, subcommand="log", usage_key="cmd.mentoring.log.usage",
        description_key="cmd.mentoring.log.description", audience=Audience.PARTICIPANTS,
    ),
    CommandInfo(
        command=MENTORING, subcommand="sessions", usage_key="cmd.mentoring.sessions.usage",
        description_key="cmd.mentoring.sessions.description", audience=Audience.PARTICIPANTS,
    ),
    CommandInfo(
        command=MENTORING, subcommand="pause", usage_key="cmd.mentoring.pause.usage",
        description_key="cmd.mentoring.pause.description", audience=Audience.PARTICIPANTS,
    ),
    CommandInfo(
        command=MENTORING, subcommand="resume", usage_key="cmd.mentoring.resume.usage",
        description_key="cmd.mentoring.resume.description", audience=Audience.PARTICIPANTS,
    ),
    CommandInfo(
        command=MENTORING, subcommand="outcome", usage_key="cmd.mentoring.outcome.usage",
        description_key="cmd.mentoring.outcome.description", audience=Audience.PARTICIPANTS,
    ),
    # Anyone may ask (GDPR art. 15): someone the bot stores nothing about is told so.
    CommandInfo(
        command=MENTORING, subcommand="my-data", usage_key="cmd.mentoring.my_data.usage",
        description_key="cmd.mentoring.my_data.description", audience=Audience.EVERYONE,
    ),
    CommandInfo(
        command=ADMIN, subcommand="help", usage_key="cmd.admin.help.usage",
        description_key="cmd.admin.help.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="status", usage_key="cmd.admin.status.usage",
        description_key="cmd.admin.status.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="import", usage_key="cmd.admin.import.usage",
        description_key="cmd.admin.import.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="template", usage_key="cmd.admin.template.usage",
        description_key="cmd.admin.template.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="attendance", usage_key="cmd.admin.attendance.usage",
        description_key="cmd.admin.attendance.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="match", usage_key="match.cmd.usage",
        description_key="match.cmd.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="end-pair", usage_key="cmd.admin.end_pair.usage",
        description_key="cmd.admin.end_pair.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="scoreboard", usage_key="cmd.admin.scoreboard.usage",
        description_key="cmd.admin.scoreboard.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="report", usage_key="cmd.admin.report.usage",
        description_key="cmd.admin.report.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="rematch", usage_key="cmd.admin.rematch.usage",
        description_key="cmd.admin.rematch.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="outcome", usage_key="cmd.admin.outcome.usage",
        description_key="cmd.admin.outcome.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="digest", usage_key="cmd.admin.digest.usage",
        description_key="cmd.admin.digest.description", audience=Audience.COORDINATORS,
    ),
    CommandInfo(
        command=ADMIN, subcommand="erase", usage_key="cmd.admin.erase.usage",
        description_key="cmd.admin.erase.description", audience=Audience.COORDINATORS,
    ),
)


def listed_commands() -> tuple[str, ...]:
    """Every slash command the table lists, in the order help shows them."""
    return tuple(dict.fromkeys(info.command for info in COMMANDS))


def listed_subcommands(command: str) -> tuple[str, ...]:
    """Every subcommand of `command` the table lists, whoever may use it."""
    return tuple(info.subcommand for info in COMMANDS if info.command == command and info.subcommand)


def find_command(command: str, subcommand: str | None) -> CommandInfo | None:
    return next((info for info in COMMANDS if info.command == command and info.subcommand == subcommand), None)


def may_use(viewer: Viewer, info: CommandInfo) -> bool:
    if info.audience is Audience.EVERYONE:
        return True
    if info.audience is Audience.PARTICIPANTS:
        return viewer.is_participant or viewer.is_coordinator
    return viewer.is_coordinator


def commands_for(viewer: Viewer) -> list[CommandInfo]:
    return [info for info in COMMANDS if may_use(viewer, info)]


def subcommands_of(command: str, viewer: Viewer) -> list[str]:
    return [info.subcommand for info in commands_for(viewer) if info.command == command and info.subcommand]


def split_subcommand(text: str) -> tuple[str, str]:
    """"profile  Lisbeth" -> ("profile", "Lisbeth"); empty text means help."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "help", ""
    return parts[0].lower(), parts[1] if len(parts) > 1 else ""


def suggest(word: str, candidates: list[str]) -> str | None:
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None
