"""`/mentoring my-data`: everything stored about the asker, as two files in their DM.

The router has acknowledged. Someone with no participant row is told at once that nothing
is stored. Otherwise: say the files are coming, read the data in one short unit of work
(reading only), build the files and upload them after it has ended (no network call
inside a transaction), then say where they are. Nothing is written, so asking twice
sends the files twice and changes nothing.
"""

from __future__ import annotations

from bot.privacy.export import collect_personal_data, export_files
from bot.slack.files import OutgoingFile, send_to_dm
from bot.slack.render.blocks import Message
from bot.slack.render.my_data import (
    my_data_comment,
    my_data_failed_message,
    my_data_nothing_message,
    my_data_sent_message,
    my_data_titles,
    my_data_working_message,
    notice_text,
)
from handlers.answers import reply
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work


def my_data_command(request: CommandRequest) -> Message:
    deps = request.deps
    viewer = request.viewer
    if not viewer.participant_ids:
        return my_data_nothing_message(language=viewer.language)
    reply(request.respond, my_data_working_message(language=viewer.language))
    with unit_of_work(deps.session_factory) as session:
        data = collect_personal_data(session, now=deps.clock.now(), slack_user_id=viewer.slack_user_id,
                                     workspace=viewer.workspace, render=notice_text)
    if data is None:  # erased between the middleware's look and ours
        return my_data_nothing_message(language=viewer.language)
    files = export_files(data)
    counts = data.counts()
    json_title, workbook_title = my_data_titles(language=data.language)
    comment = my_data_comment(name=data.subject.names[-1] if data.subject.names else "", rows=sum(counts.values()),
                              sections=sum(1 for count in counts.values() if count), language=data.language)
    sent = send_to_dm(request.client, user_id=viewer.slack_user_id, what="a personal-data export", files=[
        OutgoingFile(filename=files.workbook_name, content=files.workbook_bytes, title=workbook_title,
                     initial_comment=comment),
        OutgoingFile(filename=files.json_name, content=files.json_bytes, title=json_title),
    ])
    if not sent:
        return my_data_failed_message(language=viewer.language)
    return my_data_sent_message(language=viewer.language)


__all__ = ["my_data_command"]
