"""`/mentoring-admin report [ROUND]`: the report of one of the asker's rounds, as bytes.

The Slack adapter uploads the bytes to the coordinator's DM after this unit of work has
committed (the scoreboard inside records what it discloses), so no network call happens
inside the write transaction.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.people import identify
from bot.core.workspace import Workspace
from bot.matching.review import LookupStatus, RoundLookup, coordinated_round
from bot.reports.workbook import ReportSummary, report_language, write_report
from storage.models import Round


@dataclass(frozen=True, kw_only=True)
class ReportFile:
    """The report to upload, or the lookup saying which round to name instead."""

    language: str  # the asker's, for the messages around the file (the file is in the programme's)
    content: bytes | None = None
    filename: str = ""
    round_name: str = ""
    summary: ReportSummary | None = None
    lookup: RoundLookup | None = None


def report_filename(round_name: str, day: datetime) -> str:
    """A safe file name made of the round's name (user text) and the day."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", round_name).strip("-").lower()[:60] or "round"
    return f"report-{slug}-{day.date().isoformat()}.xlsx"


def report_for(session: Session, *, slack_user_id: str, workspace: Workspace, round_name: str | None, now: datetime,
               admin_user_ids: Collection[str] = ()) -> ReportFile:
    """The report of the round a coordinator names among those they coordinate (the one
    running round when they name none, else the newest); another programme's rounds are
    not found at all. Never pseudonymised: it goes to a coordinator of the programme."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    lookup = coordinated_round(session, name=round_name, today=now.date(), round_ids=viewer.coordinated_round_ids)
    round_id = lookup.round_id if lookup.status is LookupStatus.FOUND else None
    if round_id is None:
        return ReportFile(language=viewer.language, lookup=lookup)
    buffer = io.BytesIO()
    summary = write_report(session, round_ids=[round_id], out=buffer, language=report_language(session, [round_id]),
                           pseudonymise=False, now=now)
    name = session.get_one(Round, round_id).name
    return ReportFile(language=viewer.language, content=buffer.getvalue(), filename=report_filename(name, now),
                      round_name=name, summary=summary)


__all__ = ["ReportFile", "report_filename", "report_for"]
