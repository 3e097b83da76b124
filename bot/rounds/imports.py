"""Importing a round from a workbook a coordinator uploads to the bot in Slack.

The CLI reads a file from disk; in Slack the same workbook arrives as a file shared in the
bot's direct messages. This module holds the rules that are not about Slack itself: who
may import, which uploads are worth downloading at all (an Excel workbook, not too big),
how a coordinator asks for a dry run in their own words, and the one unit of work that
imports or, on a dry run or any problem, keeps nothing. The handler does the Slack part
(reading the event, downloading, replying) and renders what this returns.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from sqlalchemy.orm import Session

from bot.core.events import record_event_once
from bot.core.people import Viewer, identify
from bot.core.workspace import Workspace
from bot.rounds.roster import ImportResult, import_workbook_file
from bot.rounds.workbook import MAX_FILE_BYTES, write_template

#: The name the template has in a coordinator's DM; they keep it when they upload it back.
TEMPLATE_FILENAME: Final = "mentoring-round.xlsx"
#: Checked against the size Slack reports *before* downloading, and again while reading; the
#: reader's own limit, so a file the CLI refuses is refused in Slack too.
MAX_WORKBOOK_BYTES: Final = MAX_FILE_BYTES
XLSX_MIMETYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_FILETYPE: Final = "xlsx"
XLSX_SUFFIX: Final = ".xlsx"

# A coordinator writes this in the message that carries the file, in either language,
# whatever their own language setting: "dry run", "dry-run", "--dry-run", "prøvekørsel".
_DRY_RUN = re.compile(r"(?:\bdry[\s_-]*run\b|\bprøve[\s_-]*kørsel\b|\bproeve[\s_-]*koersel\b)", re.IGNORECASE)

# Remembered in the processed-events table next to Slack's own event ids.
_UPLOAD_KEY_PREFIX: Final = "upload:"


class Refusal(str, Enum):
    """Why an upload is not imported; each has a kind explanation in the `import` catalog."""

    NOT_COORDINATOR = "not_coordinator"
    SEVERAL_FILES = "several_files"
    NOT_XLSX = "not_xlsx"
    TOO_LARGE = "too_large"
    DOWNLOAD_FAILED = "download_failed"


@dataclass(frozen=True, kw_only=True)
class UploadedFile:
    """What Slack says about a shared file, in the words the rules need (no Slack types)."""

    file_id: str
    name: str
    filetype: str = ""
    mimetype: str = ""
    size: int | None = None
    download_url: str | None = None


def refusal_for_sender(*, viewer: Viewer, file_count: int) -> Refusal | None:
    """Checked before anything is fetched from Slack: only coordinators, one workbook at a time.

    A coordinator of any round (or an admin) may set up a new round; which existing rounds
    the workbook may touch is checked once it is read (`import_uploaded_workbook`).

    One file per message keeps the answer unambiguous: the reply is threaded on the upload
    and speaks of exactly one workbook."""
    if not viewer.is_coordinator:
        return Refusal.NOT_COORDINATOR
    if file_count != 1:
        return Refusal.SEVERAL_FILES
    return None


def refusal_for_file(upload: UploadedFile, *, max_bytes: int = MAX_WORKBOOK_BYTES) -> Refusal | None:
    """Only an Excel workbook (.xlsx) of a sane size is worth downloading.

    Any one of the name, Slack's filetype or the mimetype saying "xlsx" is enough, because
    Slack fills them unevenly (a file renamed without an extension still has its
    mimetype). The content is checked properly by the workbook reader anyway; this only
    spares a download and gives a clearer answer than "unreadable" for a CSV or a PDF."""
    looks_like_xlsx = (
        upload.name.lower().endswith(XLSX_SUFFIX)
        or upload.filetype.lower() == XLSX_FILETYPE
        or upload.mimetype.lower() == XLSX_MIMETYPE
    )
    if not looks_like_xlsx:
        return Refusal.NOT_XLSX
    if upload.size is not None and upload.size > max_bytes:
        return Refusal.TOO_LARGE
    return None


def wants_dry_run(text: str | None) -> bool:
    """True when the message carrying the workbook asks only to check it."""
    return bool(text and _DRY_RUN.search(text))


def claim_upload(session: Session, *, channel_id: str, message_ts: str, now: datetime) -> bool:
    """True the first time this upload message is handled; False for any repeat.

    The events middleware already drops a redelivered event id. This second key is the
    message itself, so even the same upload reaching us under another event id is
    answered (and imported) once. Like event ids it is recorded before the work runs."""
    return record_event_once(session, event_id=f"{_UPLOAD_KEY_PREFIX}{channel_id}:{message_ts}", now=now)


def import_uploaded_workbook(
    session: Session,
    content: bytes,
    *,
    uploader: str,
    workspace: Workspace,
    admin_user_ids: Collection[str],
    dry_run: bool,
    now: datetime,
) -> ImportResult:
    """The CLI's import in the caller's unit of work: a dry run or any problem keeps nothing.

    The workbook's programme is the uploader's workspace's (found by name there, or made
    there: names are each workspace's own). Unlike the CLI's operator, the uploader is only
    trusted with the rounds they coordinate (an admin of this workspace, named in
    MENTORBOT_ADMINS, with all of its programmes): a workbook naming any other existing
    round, or a new round of a programme they coordinate nothing of, is refused whole."""
    viewer = identify(session, slack_user_id=uploader, workspace=workspace, admin_user_ids=admin_user_ids)
    only_rounds = None if viewer.is_admin else viewer.coordinated_round_ids
    # Only the import's own savepoint is undone: the transaction stays the caller's to end.
    result: ImportResult | None = None
    try:
        with session.begin_nested():
            result = import_workbook_file(session, content, now=now, workspace=workspace, only_rounds=only_rounds)
            if dry_run or not result.ok:
                raise _KeepNothing
    except _KeepNothing:
        pass
    assert result is not None
    return result


class _KeepNothing(Exception):
    """Undoes the import's savepoint: a dry run, or a workbook with any problem."""


def template_workbook() -> bytes:
    """The same template `mentorbot template` writes, as bytes to upload without touching disk."""
    buffer = io.BytesIO()
    write_template(buffer)
    return buffer.getvalue()


__all__ = [
    "MAX_WORKBOOK_BYTES",
    "TEMPLATE_FILENAME",
    "Refusal",
    "UploadedFile",
    "claim_upload",
    "import_uploaded_workbook",
    "refusal_for_file",
    "refusal_for_sender",
    "template_workbook",
    "wants_dry_run",
]
