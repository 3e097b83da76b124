"""The files adapter against the sandbox: download with the bot token, capped; upload by the external flow."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.sandbox import SlackSandbox
from bot.slack.files import (
    DownloadError,
    FileTooLarge,
    _SameHostAuthRedirects,
    download_file,
    file_info,
    open_dm,
    upload_file,
    uploaded_file,
)


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as running:
        running.add_user(user_id="UC", name="coordinator")
        yield running


@pytest.fixture
def client(sandbox: SlackSandbox) -> WebClient:
    return WebClient(token=sandbox.bot_token, base_url=sandbox.base_url)


def test_a_shared_file_is_read_and_downloaded_with_the_bot_token(sandbox: SlackSandbox, client: WebClient) -> None:
    shared = sandbox.add_user_file(user_id="UC", name="round.xlsx", content=b"PK\x03\x04 workbook",
                                   channel=sandbox.im_channel_for("UC"))
    info = file_info(client, file_id=shared["id"])
    assert (info.name, info.filetype, info.size) == ("round.xlsx", "xlsx", 13)
    assert info == uploaded_file(shared)
    assert info.download_url
    assert download_file(client, url=info.download_url, max_bytes=13) == b"PK\x03\x04 workbook"
    with pytest.raises(FileTooLarge):
        download_file(client, url=info.download_url, max_bytes=12)
    stranger = WebClient(token="xoxb-someone-else", base_url=sandbox.base_url)
    with pytest.raises(DownloadError, match="http 403"):
        download_file(stranger, url=info.download_url, max_bytes=100)


def test_a_sign_in_page_or_an_odd_url_is_not_taken_for_the_file(sandbox: SlackSandbox, client: WebClient) -> None:
    page = sandbox.add_user_file(user_id="UC", name="login", content=b"<html>sign in</html>", mimetype="text/html")
    with pytest.raises(DownloadError, match="web page"):
        download_file(client, url=page["url_private_download"], max_bytes=1000)
    with pytest.raises(DownloadError, match="http"):
        download_file(client, url="file:///etc/passwd", max_bytes=1000)


def test_the_token_is_not_sent_on_to_another_host() -> None:
    request = urllib.request.Request("https://files.slack.com/x", headers={"Authorization": "Bearer xoxb-1"})
    handler = _SameHostAuthRedirects()
    same = handler.redirect_request(request, None, 302, "Found", {}, "https://files.slack.com/y")
    other = handler.redirect_request(request, None, 302, "Found", {}, "https://elsewhere.example/y")
    assert same is not None and same.get_header("Authorization") == "Bearer xoxb-1"
    assert other is not None and other.get_header("Authorization") is None


def test_upload_goes_through_the_external_flow_into_the_dm(sandbox: SlackSandbox, client: WebClient) -> None:
    channel_id = open_dm(client, user_id="UC")
    file_id = upload_file(client, channel_id=channel_id, filename="t.xlsx", content=b"bytes", title="Template",
                          initial_comment="Here it is")
    assert [call.method for call in sandbox.calls if call.method.startswith("files.")][:2] == [
        "files.getUploadURLExternal", "files.completeUploadExternal",
    ]
    assert sandbox.calls_to("files.completeUploadExternal")[0].args["channel_id"] == channel_id
    assert sandbox.file_content(file_id) == b"bytes"
    (message,) = sandbox.dm_messages("UC")
    assert message["text"] == "Here it is" and message["files"][0]["title"] == "Template"
