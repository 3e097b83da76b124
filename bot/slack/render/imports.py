"""What a coordinator reads when importing a round in Slack: instructions, refusals, the result.

The result is the CLI's summary lines, one per line, so Slack and the terminal say the
same thing. Problem lines quote workbook cells, so every line is escaped, and a long list
is split into several sections (3000 characters each) rather than cut. When even that
would make an unreadable wall, the message shows the first problems, says how many
there are, and the handler attaches all of them as a text file: no problem is ever
dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.i18n import t
from bot.rounds.imports import MAX_WORKBOOK_BYTES, Refusal
from bot.slack.render.blocks import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT, Message, context, header, section
from bot.text import escape_mrkdwn, truncate

#: Sections of result lines shown before the rest goes into an attached file. Ten full
#: sections hold a couple of hundred problem lines: more than anyone fixes in one sitting.
PROBLEM_SECTION_BUDGET: Final = 10
#: Blocks a reply adds besides the result sections (the overflow note, the dry-run hint).
_EXTRA_BLOCKS: Final = 2
FALLBACK_TEXT_LIMIT: Final = 3000

# An escaped character (`&amp;`, `&lt;`, `&gt;`) or any other single character: a long
# line is split between these, never inside an entity.
_TOKEN = re.compile(r"&(?:amp|lt|gt);|.", re.DOTALL)
_SLACK_ID = re.compile(r"^[A-Z0-9]+$")


@dataclass(frozen=True, kw_only=True)
class TextFile:
    """A plain-text file to attach to a reply (uploaded by the handler)."""

    filename: str
    title: str
    content: str


@dataclass(frozen=True, kw_only=True)
class ImportReply:
    """The threaded answer to an upload, and the full list as a file when it did not all fit."""

    message: Message
    attachment: TextFile | None = None


def megabytes(size_bytes: int) -> str:
    """5242880 -> "5"; people read limits in whole megabytes."""
    value = size_bytes / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def app_dm_url(*, app_id: str | None, team_id: str | None) -> str | None:
    """Slack's documented link that opens a person's direct messages with this app."""
    if not app_id or not _SLACK_ID.match(app_id):
        return None
    url = f"https://slack.com/app_redirect?app={app_id}"
    if team_id and _SLACK_ID.match(team_id):
        url += f"&team={team_id}"
    return url


def import_instructions_message(
    *, language: str, app_id: str | None, team_id: str | None, max_bytes: int = MAX_WORKBOOK_BYTES
) -> Message:
    """`/mentoring-admin import`: slash commands cannot carry files, so say where to upload."""
    url = app_dm_url(app_id=app_id, team_id=team_id)
    open_step = (
        t("import.instructions.open_link", language, url=url) if url else t("import.instructions.open_plain", language)
    )
    title = t("import.instructions.title", language)
    steps = t("import.instructions.steps", language, open_step=open_step, max_mb=megabytes(max_bytes))
    return Message(
        text=title,
        blocks=[header(title), section(steps), context(t("import.instructions.template_hint", language))],
    )


def template_comment(*, language: str) -> str:
    """The words posted with the template file in the coordinator's DM."""
    return t("import.template.comment", language)


def template_title(*, language: str) -> str:
    return t("import.template.title", language)


def template_sent_message(*, language: str) -> Message:
    text = t("import.template.sent", language)
    return Message(text=text, blocks=[section(text)])


def template_failed_message(*, language: str) -> Message:
    text = t("import.template.failed", language)
    return Message(text=text, blocks=[section(text)])


def upload_refused_message(
    *, refusal: Refusal, language: str, filename: str, max_bytes: int = MAX_WORKBOOK_BYTES
) -> Message:
    """Why an upload was not imported, and what to do instead; the file name is user text."""
    # Every refusal text takes the same parameters; str.format ignores the ones it does not use.
    text = t(f"import.refused.{refusal.value}", language, filename=escape_mrkdwn(filename), max_mb=megabytes(max_bytes))
    return Message(text=text, blocks=[section(text)])


def import_reply(
    lines: Sequence[str],
    *,
    language: str,
    ok: bool,
    dry_run: bool,
    max_sections: int = PROBLEM_SECTION_BUDGET,
) -> ImportReply:
    """The summary lines (headline first, then counts or one line per problem) as a reply.

    The headline starts the first section and each further line follows on its own line;
    sections are filled up to Slack's 3000 characters and never cut. If more than
    ``max_sections`` would be needed, the first ones are shown with a note saying how
    many problems there are, and every line goes into the attached text file, laid out
    as the CLI prints it."""
    if not lines:
        raise ValueError("an import always has at least a headline")
    if not 1 <= max_sections <= MESSAGE_BLOCK_LIMIT - _EXTRA_BLOCKS:
        raise ValueError(f"max_sections must be from 1 to {MESSAGE_BLOCK_LIMIT - _EXTRA_BLOCKS}")
    headline, *details = lines
    chunks = [*_chunks([escape_mrkdwn(headline)], first_line=0), *_chunks([escape_mrkdwn(d) for d in details], first_line=1)]
    attachment: TextFile | None = None
    notes: list[str] = []
    if len(chunks) > max_sections:
        chunks = chunks[:max_sections]
        shown = max(0, chunks[-1].lines_done - 1)
        notes.append(t("import.reply.more_in_file", language, shown=shown, total=len(details)))
        attachment = TextFile(
            filename=t("import.reply.problems_filename", language),
            title=t("import.reply.problems_file_title", language),
            content=cli_text(lines),
        )
    if ok and dry_run:
        notes.append(t("import.reply.dry_run_next", language))
    blocks = [section(chunk.text) for chunk in chunks] + [context(note) for note in notes]
    return ImportReply(
        message=Message(text=truncate(escape_mrkdwn(headline), FALLBACK_TEXT_LIMIT), blocks=blocks),
        attachment=attachment,
    )


def cli_text(lines: Sequence[str]) -> str:
    """The lines exactly as `mentorbot import` prints them: the headline, then indented lines."""
    if not lines:
        return ""
    headline, *details = lines
    return "\n".join([headline, *(f"  {line}" for line in details)]) + "\n"


@dataclass(frozen=True)
class _Chunk:
    text: str
    lines_done: int  # lines (counted over the whole reply) that end in this chunk or before


def _chunks(escaped_lines: Sequence[str], *, first_line: int, limit: int = SECTION_TEXT_LIMIT) -> list[_Chunk]:
    """Pack lines into texts of at most ``limit`` characters, one line per text line.

    A line longer than ``limit`` (a pasted paragraph in a cell) continues in the next
    text instead of being cut."""
    chunks: list[_Chunk] = []
    current = ""
    done = first_line
    for line in escaped_lines:
        pieces = _split_long(line, limit)
        for index, piece in enumerate(pieces):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(_Chunk(current, done))
                current = piece
            if index == len(pieces) - 1:
                done += 1
    if current:
        chunks.append(_Chunk(current, done))
    return chunks


def _split_long(line: str, limit: int) -> list[str]:
    if len(line) <= limit:
        return [line]
    pieces: list[str] = []
    current = ""
    for token in _TOKEN.findall(line):
        if len(current) + len(token) > limit:
            pieces.append(current)
            current = ""
        current += token
    if current:
        pieces.append(current)
    return pieces


__all__ = [
    "PROBLEM_SECTION_BUDGET",
    "ImportReply",
    "TextFile",
    "app_dm_url",
    "cli_text",
    "import_instructions_message",
    "import_reply",
    "megabytes",
    "template_comment",
    "template_failed_message",
    "template_sent_message",
    "template_title",
    "upload_refused_message",
]
