"""`/mentoring-admin import` and `/mentoring-admin template`: the Slack side of setting up a round.

A slash command cannot carry a file, so `import` only explains where to upload the
workbook (the bot's Messages tab; see handlers/events/workbook_upload.py) and
`template` puts the empty workbook into that very conversation, ready to fill in and
send back. The router has already checked that the person is a coordinator.
"""

from __future__ import annotations

from bot.rounds.imports import TEMPLATE_FILENAME, template_workbook
from bot.slack.files import OutgoingFile, send_to_dm
from bot.slack.render.blocks import Message
from bot.slack.render.imports import (
    import_instructions_message,
    template_comment,
    template_failed_message,
    template_sent_message,
    template_title,
)
from handlers.commands.router import CommandRequest


def import_instructions(request: CommandRequest) -> Message:
    """Where and how to upload; the link opens the bot's DM in the asker's workspace."""
    return import_instructions_message(
        language=request.viewer.language,
        app_id=request.command.get("api_app_id"),
        team_id=request.command.get("team_id"),
    )


def send_template(request: CommandRequest) -> Message:
    """Upload the template into the coordinator's DM and say so (or say it failed) ephemerally."""
    language = request.viewer.language
    sent = send_to_dm(request.client, user_id=request.viewer.slack_user_id, what="the workbook template", files=[
        OutgoingFile(filename=TEMPLATE_FILENAME, content=template_workbook(), title=template_title(language=language),
                     initial_comment=template_comment(language=language)),
    ])
    if not sent:
        return template_failed_message(language=language)
    return template_sent_message(language=language)


__all__ = ["import_instructions", "send_template"]
