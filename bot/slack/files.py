"""Files in Slack: read what a person shared, download it with the bot token, upload ours.

Slack hosts shared files behind ``url_private_download``, which answers only to a request
carrying the bot token (``Authorization: Bearer``; it needs the ``files:read`` scope) and
otherwise sends a sign-in page with status 200. Uploads use the external flow
(``files.getUploadURLExternal`` → POST the bytes → ``files.completeUploadExternal``) that
replaced ``files.upload``; slack_sdk's ``files_upload_v2`` performs exactly those steps.
Everything Slack-shaped stays here, so the services see plain :class:`UploadedFile` values.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.rounds.imports import UploadedFile

_CHUNK_BYTES = 64 * 1024


log = logging.getLogger(__name__)


class DownloadError(Exception):
    """A file could not be fetched; ``reason`` is short and safe to log (never the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileTooLarge(DownloadError):
    """The file grew past the limit while reading, whatever its declared size said."""


def uploaded_file(file: dict[str, Any]) -> UploadedFile:
    """A Slack file object (from an event or ``files.info``) as the services see it."""
    size = file.get("size")
    return UploadedFile(
        file_id=str(file.get("id") or ""),
        name=str(file.get("name") or file.get("title") or ""),
        filetype=str(file.get("filetype") or ""),
        mimetype=str(file.get("mimetype") or ""),
        size=int(size) if isinstance(size, int | float) else None,
        download_url=file.get("url_private_download") or file.get("url_private"),
    )


def file_info(client: WebClient, *, file_id: str) -> UploadedFile:
    """What Slack knows about a file now (events may carry only its id: ``check_file_info``)."""
    return uploaded_file(client.files_info(file=file_id)["file"])


def download_file(client: WebClient, *, url: str, max_bytes: int) -> bytes:
    """The file's bytes, fetched with the bot token and never more than ``max_bytes``.

    The size Slack reports is checked by the caller before this runs; reading stops one
    byte past the limit anyway, so a wrong declaration cannot fill memory. The token is
    not sent on to another host if Slack redirects."""
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise DownloadError("not an http(s) url")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    proxies = {"http": client.proxy, "https": client.proxy} if client.proxy else {}
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler(proxies), _SameHostAuthRedirects()]
    if client.ssl is not None:
        handlers.append(urllib.request.HTTPSHandler(context=client.ssl))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=client.timeout) as response:
            content_type = (response.headers.get("Content-Type") or "").lower()
            if content_type.startswith("text/html"):
                # Slack's answer to a missing scope or a bad token is a sign-in page.
                raise DownloadError("got a web page, not the file (is the files:read scope granted?)")
            chunks: list[bytes] = []
            received = 0
            while True:
                chunk = response.read(min(_CHUNK_BYTES, max_bytes + 1 - received))
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
                if received > max_bytes:
                    raise FileTooLarge(f"more than {max_bytes} bytes")
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"http {exc.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DownloadError(f"network: {type(exc).__name__}") from None
    return b"".join(chunks)


def open_dm(client: WebClient, *, user_id: str) -> str:
    """The id of the bot's direct-message channel with a person (needs ``im:write``)."""
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def upload_file(
    client: WebClient,
    *,
    channel_id: str,
    filename: str,
    content: bytes,
    title: str,
    initial_comment: str | None = None,
    thread_ts: str | None = None,
) -> str:
    """Share bytes as a file in a channel or DM through the external upload flow; its file id.

    ``channel_id`` must be a conversation id (``files.completeUploadExternal`` takes no
    user ids), hence :func:`open_dm` for a person's DM."""
    response = client.files_upload_v2(
        channel=channel_id,
        filename=filename,
        content=content,
        title=title,
        initial_comment=initial_comment,
        thread_ts=thread_ts,
    )
    return str(response["file"]["id"])


@dataclass(frozen=True, kw_only=True)
class OutgoingFile:
    """One file to put in a person's DM."""

    filename: str
    content: bytes
    title: str
    initial_comment: str | None = None


def send_to_dm(client: WebClient, *, user_id: str, files: Sequence[OutgoingFile], what: str) -> bool:
    """Open the person's DM and upload the files in order; False (logged, naming `what` and
    the error's kind, never its text) when Slack or the network refused. The one way the
    template, the report and a person's export reach a DM, each after its unit of work."""
    try:
        channel_id = open_dm(client, user_id=user_id)
        for file in files:
            upload_file(client, channel_id=channel_id, filename=file.filename, content=file.content,
                        title=file.title, initial_comment=file.initial_comment)
    except (SlackApiError, SlackClientError, OSError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
        log.warning("could not send %s to %s: %s %s", what, user_id, type(exc).__name__, error or "")
        return False
    return True


class _SameHostAuthRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but drop the bot token when one leads to another host."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


__all__ = ["DownloadError", "FileTooLarge", "download_file", "file_info", "open_dm", "upload_file", "uploaded_file"]
