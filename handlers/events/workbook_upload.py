"""A file shared in the bot's DM: a coordinator's round workbook, imported as the CLI would.

Slack sends the share as a ``message`` event (``message.im``, subtype ``file_share``),
already acknowledged by Bolt before this runs, so a slow download or a big workbook
never misses the 3-second window. The steps: claim the upload (a redelivery answers
nothing), check who sent it, ask Slack about the file and refuse early what is not an
.xlsx or is too big, download it with the bot token, import it in one unit of work, and
answer in a thread on the upload with the CLI's own lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from logging import Logger
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.people import Viewer
from bot.i18n import t
from bot.rounds.imports import (
    MAX_WORKBOOK_BYTES,
    Refusal,
    claim_upload,
    import_uploaded_workbook,
    refusal_for_file,
    refusal_for_sender,
    wants_dry_run,
)
from bot.rounds.roster import summary_lines
from bot.slack.files import DownloadError, FileTooLarge, download_file, file_info, upload_file
from bot.slack.render.blocks import Message, section
from bot.slack.render.imports import ImportReply, import_reply, upload_refused_message
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work

_SLACK_TROUBLE = (SlackApiError, SlackClientError, OSError)


class _Refused(Exception):
    """Stops the handling of an upload; the coordinator is told why."""

    def __init__(self, refusal: Refusal, filename: str = "") -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        self.filename = filename


@dataclass(frozen=True, kw_only=True)
class _Thread:
    """Where answers go: a thread on the upload message in the same DM."""

    client: WebClient
    channel_id: str
    thread_ts: str

    def post(self, message: Message) -> None:
        self.client.chat_postMessage(channel=self.channel_id, thread_ts=self.thread_ts, **message.as_kwargs())

    def post_reply(self, reply: ImportReply) -> None:
        self.post(reply.message)
        if reply.attachment is not None:
            upload_file(
                self.client,
                channel_id=self.channel_id,
                filename=reply.attachment.filename,
                content=reply.attachment.content.encode("utf-8"),
                title=reply.attachment.title,
                thread_ts=self.thread_ts,
            )


def handle_workbook_upload(event: dict[str, Any], context: BoltContext, client: WebClient, logger: Logger) -> None:
    """Bolt has acknowledged already; every way out either answers in the thread once or stays silent."""
    if event.get("bot_id") or not event.get("user") or event.get("channel_type") != "im":
        return  # a bot (never answer one: no loops), or not a person's DM with us
    if not event.get("channel") or not event.get("ts"):
        logger.warning("file_share event without channel or ts; nowhere to answer")
        return
    deps = deps_from(context)
    viewer = viewer_from(context)  # the uploader: Bolt reads the user id off this very event
    channel_id, message_ts = str(event["channel"]), str(event["ts"])
    with unit_of_work(deps.session_factory) as session:
        if not claim_upload(session, channel_id=channel_id, message_ts=message_ts, now=deps.clock.now()):
            logger.info("upload %s in %s already answered; ignoring the repeat", message_ts, channel_id)
            return
    thread = _Thread(client=client, channel_id=channel_id, thread_ts=str(event.get("thread_ts") or message_ts))
    files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
    dry_run = wants_dry_run(event.get("text"))
    try:
        try:
            content = _download_workbook(client, viewer=viewer, files=files, logger=logger)
        except _Refused as refused:
            thread.post(upload_refused_message(refusal=refused.refusal, language=viewer.language, filename=refused.filename))
            return
        try:
            with unit_of_work(deps.session_factory) as session:
                result = import_uploaded_workbook(
                    session, content, uploader=viewer.slack_user_id, workspace=viewer.workspace,
                    admin_user_ids=deps.settings.admin_user_ids,
                    dry_run=dry_run, now=deps.clock.now(),
                )
        except Exception:  # any failure: the coordinator must hear that nothing was changed
            logger.exception("importing a workbook uploaded by %s failed", viewer.slack_user_id)
            generic = t("error.generic", viewer.language)
            thread.post(Message(text=generic, blocks=[section(generic)]))
            return
        lines = summary_lines(result, language=viewer.language, dry_run=dry_run)
        thread.post_reply(import_reply(lines, language=viewer.language, ok=result.ok, dry_run=dry_run))
    except _SLACK_TROUBLE as exc:
        logger.warning("could not answer the upload %s in %s: %s", message_ts, channel_id, exc)


def _download_workbook(client: WebClient, *, viewer: Viewer, files: list[dict[str, Any]], logger: Logger) -> bytes:
    """The workbook's bytes, or `_Refused`; Slack is asked about the file only for a coordinator."""
    refusal = refusal_for_sender(viewer=viewer, file_count=len(files))
    if refusal is not None:
        raise _Refused(refusal)
    file_id = str(files[0]["id"])
    try:
        upload = file_info(client, file_id=file_id)
    except _SLACK_TROUBLE as exc:
        logger.warning("files.info for %s failed: %s", file_id, exc)
        raise _Refused(Refusal.DOWNLOAD_FAILED, str(files[0].get("name") or "")) from None
    refusal = refusal_for_file(upload)
    if refusal is not None:
        raise _Refused(refusal, upload.name)
    if not upload.download_url:
        raise _Refused(Refusal.DOWNLOAD_FAILED, upload.name)
    try:
        return download_file(client, url=upload.download_url, max_bytes=MAX_WORKBOOK_BYTES)
    except FileTooLarge:
        raise _Refused(Refusal.TOO_LARGE, upload.name) from None
    except DownloadError as exc:
        logger.warning("downloading %s failed: %s", file_id, exc.reason)
        raise _Refused(Refusal.DOWNLOAD_FAILED, upload.name) from None


__all__ = ["handle_workbook_upload"]
