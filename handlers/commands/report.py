"""`/mentoring-admin report [ROUND]`: the funder's Excel report, uploaded to the asker's DM.

The router has acknowledged and checked the asker coordinates something. This says it is
working, builds the file in one unit of work (the scoreboard inside records what it
discloses), and only after that commits uploads it (files.getUploadURLExternal +
files.completeUploadExternal), so no network call happens inside the write transaction."""

from __future__ import annotations

from bot.matching.review import LookupStatus, RoundLookup
from bot.reports.service import report_for
from bot.slack.files import OutgoingFile, send_to_dm
from bot.slack.render.blocks import Message
from bot.slack.render.match_review import choose_round_message
from bot.slack.render.report import (
    report_comment,
    report_failed_message,
    report_sent_message,
    report_title,
    report_working_message,
)
from handlers.answers import reply
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work


def admin_report(request: CommandRequest) -> Message:
    deps = request.deps
    typed = request.argument.strip()
    working = report_working_message(round_name=typed, language=request.viewer.language)
    reply(request.respond, working)
    with unit_of_work(deps.session_factory) as session:
        answer = report_for(session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id,
                            round_name=typed or None,
                            now=deps.clock.now(), admin_user_ids=deps.settings.admin_user_ids)
    if answer.content is None:
        lookup = answer.lookup or RoundLookup(status=LookupStatus.UNKNOWN)
        return choose_round_message(lookup, typed=typed, language=answer.language, keys="report.choose")
    sent = send_to_dm(request.client, user_id=request.viewer.slack_user_id, what="the report", files=[
        OutgoingFile(filename=answer.filename, content=answer.content,
                     title=report_title(round_name=answer.round_name, language=answer.language),
                     initial_comment=report_comment(language=answer.language)),
    ])
    if not sent:
        return report_failed_message(language=answer.language)
    return report_sent_message(round_name=answer.round_name, language=answer.language)


__all__ = ["admin_report"]
