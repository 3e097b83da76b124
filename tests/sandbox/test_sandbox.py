"""The sandbox answers a real ``slack_sdk.WebClient`` as Slack documents it would."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import RecordedCall, SlackSandbox

TOKEN = "xoxb-sandbox"


class FakeClock:
    """A clock the test moves by hand: no sleeping, no wall-clock assertions."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def sandbox(clock: FakeClock) -> Iterator[SlackSandbox]:
    with SlackSandbox(clock=clock) as sb:
        sb.add_user(user_id="U1", name="ana", real_name="Ana Ramos", email="Ana@Example.org")
        sb.add_user(user_id="U2", name="bo", email="bo@example.org", tz="America/New_York", locale="da-DK")
        sb.add_user(user_id="U3", name="cy")
        yield sb


@pytest.fixture()
def client(sandbox: SlackSandbox) -> WebClient:
    return WebClient(token=TOKEN, base_url=sandbox.base_url)


def error_of(call: Any) -> SlackApiError:
    """Run a call that must fail and return the SlackApiError."""
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


def http(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.read(), dict(response.headers.items())
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers.items())


# ---------------------------------------------------------------- tokens, arguments, methods


def test_base_url_is_what_webclient_takes(sandbox: SlackSandbox) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    assert sandbox.base_url.endswith("/api/")
    assert sandbox.base_url == sandbox.root_url + "/api/"


def test_missing_token_is_not_authed_and_wrong_token_invalid_auth(sandbox: SlackSandbox) -> None:
    no_token = error_of(lambda: WebClient(base_url=sandbox.base_url).auth_test())
    assert no_token.response.status_code == 200
    assert no_token.response["error"] == "not_authed"
    wrong = error_of(lambda: WebClient(token="xoxb-wrong", base_url=sandbox.base_url).auth_test())
    assert wrong.response["error"] == "invalid_auth"


def test_token_as_form_field_is_accepted_but_not_in_json_or_query(sandbox: SlackSandbox) -> None:
    form = WebClient(base_url=sandbox.base_url).api_call("auth.test", params={"token": TOKEN})
    assert form["user_id"] == "U0BOT"
    status, body, _ = http(f"{sandbox.base_url}auth.test?token={TOKEN}")
    assert (status, json.loads(body)["error"]) == (200, "not_authed")
    status, body, _ = http(
        sandbox.base_url + "auth.test",
        data=json.dumps({"token": TOKEN}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200
    assert json.loads(body)["error"] == "not_authed"
    assert "token" not in sandbox.calls[-1].args


def test_auth_test_identifies_the_bot(client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0SANDBOX", "U0BOT", "B0SANDBOX")


@pytest.mark.parametrize(
    ("method", "params", "missing"),
    [
        ("conversations.create", {"is_private": "true"}, ["name"]),
        ("conversations.invite", {"channel": "C1"}, ["users"]),
        ("conversations.invite", {}, ["channel", "users"]),
        ("users.lookupByEmail", {}, ["email"]),
        ("chat.postMessage", {"text": "hi"}, ["channel"]),
        ("views.open", {"view": "{}"}, ["trigger_id"]),
        ("files.getUploadURLExternal", {"filename": "a.txt"}, ["length"]),
    ],
)
def test_missing_required_arguments(client: WebClient, method: str, params: dict[str, str], missing: list[str]) -> None:
    error = error_of(lambda: client.api_call(method, params=params))
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        f"[ERROR] missing required field: {name}" for name in missing
    ]


def test_unknown_method_and_real_but_unmodelled_method(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("chat.postMesage")).response["error"] == "unknown_method"
    unmodelled = error_of(
        lambda: client.api_call("reactions.add", params={"channel": "C1", "name": "x", "timestamp": "1.2"})
    )
    assert unmodelled.response["error"] == "sandbox_not_implemented"


def test_form_body_json_strings_and_query_string_are_merged(sandbox: SlackSandbox) -> None:
    channel = sandbox.add_channel(name="lobby", members=["U0BOT"])["id"]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    body = f"text=hi&blocks={urllib.parse.quote(json.dumps(blocks))}".encode()
    status, raw, _ = http(
        f"{sandbox.base_url}chat.postMessage?channel={channel}",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Bearer {TOKEN}"},
    )
    assert status == 200 and json.loads(raw)["ok"] is True
    assert sandbox.messages_in(channel)[0]["blocks"] == blocks
    assert sandbox.calls_to("chat.postMessage")[0].args["blocks"] == blocks


def test_multipart_body_is_understood(client: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.add_channel(name="lobby", members=["U0BOT"])["id"]
    client.api_call("chat.postMessage", data={"channel": channel, "text": "from a multipart form"})
    assert sandbox.messages_in(channel)[0]["text"] == "from a multipart form"


def test_malformed_blocks_json_is_refused(sandbox: SlackSandbox) -> None:
    channel = sandbox.add_channel(name="lobby", members=["U0BOT"])["id"]
    status, raw, _ = http(
        sandbox.base_url + "chat.postMessage",
        data=f"channel={channel}&text=x&blocks=%5Bnot-json".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Bearer {TOKEN}"},
    )
    assert status == 200 and json.loads(raw)["error"] == "invalid_blocks_format"


# ---------------------------------------------------------------- users


def test_users_info_shape_with_time_zone(clock: FakeClock) -> None:
    winter = datetime(2025, 1, 15, 12, tzinfo=timezone.utc).timestamp()
    summer = datetime(2025, 7, 15, 12, tzinfo=timezone.utc).timestamp()
    wall = FakeClock(winter)
    with SlackSandbox(clock=clock, wall_clock=wall) as sb:
        sb.add_user(user_id="U1", name="ana", real_name="Ana Ramos", email="ana@example.org")
        client = WebClient(token=TOKEN, base_url=sb.base_url)
        user = client.users_info(user="U1")["user"]
        assert (user["tz"], user["tz_offset"], user["tz_label"]) == ("Europe/Copenhagen", 3600, "Central European Time")
        assert user["real_name"] == "Ana Ramos"
        assert user["profile"]["email"] == "ana@example.org"
        assert user["profile"]["display_name"] == "ana"
        assert (user["deleted"], user["is_bot"]) == (False, False)
        assert "locale" not in user
        wall.now = summer
        user = client.users_info(user="U1", include_locale=True)["user"]
        assert (user["tz_offset"], user["tz_label"], user["locale"]) == (7200, "Central European Summer Time", "en-US")


def test_users_info_unknown_and_deleted(client: WebClient, sandbox: SlackSandbox) -> None:
    assert error_of(lambda: client.users_info(user="U404")).response["error"] == "user_not_found"
    sandbox.remove_user("U3")
    assert client.users_info(user="U3")["user"]["deleted"] is True
    assert client.users_info(user="U0BOT")["user"]["is_bot"] is True


def test_lookup_by_email_is_case_insensitive(client: WebClient, sandbox: SlackSandbox) -> None:
    assert client.users_lookupByEmail(email="ana@example.ORG")["user"]["id"] == "U1"
    assert (
        error_of(lambda: client.users_lookupByEmail(email="nobody@example.org")).response["error"] == "users_not_found"
    )
    sandbox.remove_user("U2")
    assert error_of(lambda: client.users_lookupByEmail(email="bo@example.org")).response["error"] == "users_not_found"


def test_users_list_paginates_with_cursors(client: WebClient) -> None:
    first = client.users_list(limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    assert len(first["members"]) == 2 and cursor
    second = client.users_list(limit=2, cursor=cursor)
    assert second["response_metadata"]["next_cursor"] == ""
    ids = [m["id"] for m in first["members"] + second["members"]]
    assert sorted(ids) == ["U0BOT", "U1", "U2", "U3"]


def test_update_user_changes_time_zone(client: WebClient, sandbox: SlackSandbox) -> None:
    sandbox.update_user("U1", tz="Asia/Tokyo")
    user = client.users_info(user="U1")["user"]
    assert (user["tz"], user["tz_offset"]) == ("Asia/Tokyo", 9 * 3600)
    with pytest.raises(ValueError):
        sandbox.update_user("U1", tz="Mars/Olympus")


# ---------------------------------------------------------------- conversations


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("Pair-Ana", "invalid_name_specials"),
        ("pair ana", "invalid_name_specials"),
        ("pair.ana", "invalid_name_specials"),
        ("ø-pair", "invalid_name_specials"),
        ("a" * 81, "invalid_name_maxlength"),
        ("---", "invalid_name_punctuation"),
    ],
)
def test_channel_naming_rules(client: WebClient, name: str, error: str) -> None:
    assert error_of(lambda: client.conversations_create(name=name)).response["error"] == error


def test_create_accepts_slack_names_and_bot_becomes_member(client: WebClient, sandbox: SlackSandbox) -> None:
    created = client.conversations_create(name="mentor_pair-" + "x" * 68, is_private=True)["channel"]
    assert len(created["name"]) == 80
    assert created["id"].startswith("C")
    assert (created["is_private"], created["is_member"], created["creator"]) == (True, True, "U0BOT")
    assert client.conversations_members(channel=created["id"])["members"] == ["U0BOT"]


def test_name_taken_also_by_archived_channels(client: WebClient, sandbox: SlackSandbox) -> None:
    first = client.conversations_create(name="pair-1")["channel"]["id"]
    assert error_of(lambda: client.conversations_create(name="pair-1")).response["error"] == "name_taken"
    client.conversations_archive(channel=first)
    assert (
        error_of(lambda: client.conversations_create(name="pair-1", is_private=True)).response["error"] == "name_taken"
    )
    sandbox.add_channel(name="general", members=["U1"])
    assert error_of(lambda: client.conversations_create(name="general")).response["error"] == "name_taken"


def test_invite_errors(client: WebClient, sandbox: SlackSandbox) -> None:
    channel = client.conversations_create(name="pair-2", is_private=True)["channel"]["id"]

    def invite_error(users: str, target: str = channel) -> str:
        return str(error_of(lambda: client.conversations_invite(channel=target, users=users)).response["error"])

    assert invite_error("U1", "C404") == "channel_not_found"
    assert invite_error("U404") == "user_not_found"
    assert invite_error("U0BOT") == "cant_invite_self"
    sandbox.remove_user("U3")
    assert invite_error("U3") == "user_not_found"
    assert client.conversations_invite(channel=channel, users="U1")["channel"]["id"] == channel
    assert invite_error("U1") == "already_in_channel"

    public_without_bot = sandbox.add_channel(name="lobby", members=["U1"])["id"]
    assert invite_error("U2", public_without_bot) == "not_in_channel"
    private_without_bot = sandbox.add_channel(name="secret", is_private=True, members=["U1"])["id"]
    # Slack hides private channels from tokens that are not in them.
    assert invite_error("U2", private_without_bot) == "channel_not_found"

    client.conversations_archive(channel=channel)
    assert invite_error("U2") == "is_archived"


def test_invite_several_users_reports_errors_array_and_is_all_or_nothing(
    client: WebClient, sandbox: SlackSandbox
) -> None:
    channel = client.conversations_create(name="pair-3")["channel"]["id"]
    error = error_of(lambda: client.conversations_invite(channel=channel, users=["U1", "U404", "U0BOT"]))
    assert error.response["error"] == "user_not_found"
    assert error.response["errors"] == [
        {"user": "U404", "ok": False, "error": "user_not_found"},
        {"user": "U0BOT", "ok": False, "error": "cant_invite_self"},
    ]
    assert sandbox.get_channel(channel)["members"] == ["U0BOT"]
    forced = client.api_call(
        "conversations.invite", params={"channel": channel, "users": "U1,U404,U2", "force": "true"}
    )
    assert forced["errors"] == [{"user": "U404", "ok": False, "error": "user_not_found"}]
    assert sandbox.get_channel(channel)["members"] == ["U0BOT", "U1", "U2"]


def test_archive_errors(client: WebClient) -> None:
    channel = client.conversations_create(name="pair-4")["channel"]["id"]
    assert error_of(lambda: client.conversations_archive(channel="C404")).response["error"] == "channel_not_found"
    client.conversations_archive(channel=channel)
    assert error_of(lambda: client.conversations_archive(channel=channel)).response["error"] == "already_archived"
    assert client.conversations_info(channel=channel)["channel"]["is_archived"] is True


def test_conversations_open_gives_the_same_dm_each_time(client: WebClient, sandbox: SlackSandbox) -> None:
    first = client.conversations_open(users="U1")
    second = client.conversations_open(users=["U1"])
    assert first["channel"]["id"].startswith("D")
    assert second["channel"]["id"] == first["channel"]["id"]
    assert second["already_open"] is True
    assert sandbox.im_channel_for("U1") == first["channel"]["id"]
    assert error_of(lambda: client.conversations_open(users="U404")).response["error"] == "user_not_found"
    sandbox.remove_user("U3")
    assert error_of(lambda: client.conversations_open(users="U3")).response["error"] == "user_disabled"


def test_conversations_list_hides_private_channels_without_the_bot(client: WebClient, sandbox: SlackSandbox) -> None:
    sandbox.add_channel(name="lobby", members=["U1"])
    sandbox.add_channel(name="secret", is_private=True, members=["U1"])
    mine = client.conversations_create(name="pair-5", is_private=True)["channel"]["id"]
    names = {c["name"] for c in client.conversations_list(types="public_channel,private_channel")["channels"]}
    assert names == {"lobby", "pair-5"}
    assert [c["id"] for c in client.conversations_list(types="private_channel")["channels"]] == [mine]


# ---------------------------------------------------------------- chat


def test_post_to_user_id_lands_in_the_dm(client: WebClient, sandbox: SlackSandbox) -> None:
    answer = client.chat_postMessage(channel="U1", text="Welcome, Ana")
    assert answer["channel"].startswith("D")
    assert answer["channel"] == client.conversations_open(users="U1")["channel"]["id"]
    assert answer["message"]["text"] == "Welcome, Ana"
    assert answer["message"]["user"] == "U0BOT" and answer["message"]["bot_id"] == "B0SANDBOX"
    assert [m["text"] for m in sandbox.dm_messages("U1")] == ["Welcome, Ana"]
    assert sandbox.dm_messages("U2") == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_by_channel_name_and_errors(client: WebClient, sandbox: SlackSandbox) -> None:
    lobby = sandbox.add_channel(name="lobby", members=["U0BOT", "U1"])["id"]
    assert client.chat_postMessage(channel="#lobby", text="hello")["channel"] == lobby
    assert client.chat_postMessage(channel="lobby", text="again")["channel"] == lobby
    assert error_of(lambda: client.chat_postMessage(channel="C404", text="x")).response["error"] == "channel_not_found"
    assert error_of(lambda: client.chat_postMessage(channel=lobby, text="")).response["error"] == "no_text"
    outside = sandbox.add_channel(name="outside", members=["U1"])["id"]
    assert error_of(lambda: client.chat_postMessage(channel=outside, text="x")).response["error"] == "not_in_channel"
    hidden = sandbox.add_channel(name="hidden", is_private=True, members=["U1"])["id"]
    assert error_of(lambda: client.chat_postMessage(channel=hidden, text="x")).response["error"] == "channel_not_found"
    archived = sandbox.add_channel(name="old", members=["U0BOT"], is_archived=True)["id"]
    assert error_of(lambda: client.chat_postMessage(channel=archived, text="x")).response["error"] == "is_archived"
    sandbox.remove_user("U3")
    assert error_of(lambda: client.chat_postMessage(channel="U3", text="x")).response["error"] == "is_archived"


def test_block_limits_in_messages(client: WebClient, sandbox: SlackSandbox) -> None:
    divider = {"type": "divider"}
    answer = client.chat_postMessage(channel="U1", text="fifty", blocks=[divider] * 50)
    assert len(answer["message"]["blocks"]) == 50
    too_many = error_of(lambda: client.chat_postMessage(channel="U1", text="x", blocks=[divider] * 51))
    assert too_many.response["error"] == "invalid_blocks"
    assert too_many.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    error = error_of(lambda: client.chat_postMessage(channel="U1", text="x", blocks=long_section))
    assert "json-pointer:/blocks/0/text/text" in error.response["response_metadata"]["messages"][0]
    button = {"type": "button", "text": {"type": "plain_text", "text": "y" * 76}, "action_id": "a"}
    error = error_of(
        lambda: client.chat_postMessage(channel="U1", text="x", blocks=[{"type": "actions", "elements": [button]}])
    )
    assert error.response["error"] == "invalid_blocks"
    twins = [{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}]
    assert error_of(lambda: client.chat_postMessage(channel="U1", text="x", blocks=twins)).response["error"] == (
        "invalid_blocks"
    )


def test_threads_and_history_newest_first(client: WebClient, sandbox: SlackSandbox) -> None:
    channel = client.conversations_create(name="pair-6")["channel"]["id"]
    parent = client.chat_postMessage(channel=channel, text="first")["ts"]
    reply = client.chat_postMessage(channel=channel, text="in thread", thread_ts=parent)
    assert reply["message"]["thread_ts"] == parent
    client.chat_postMessage(channel=channel, text="second")
    history = client.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in history] == ["second", "first"]
    assert history[1]["reply_count"] == 1
    replies = client.conversations_replies(channel=channel, ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["first", "in thread"]
    assert [m["text"] for m in sandbox.messages_in(channel)] == ["first", "in thread", "second"]


def test_ts_values_are_unique_and_increasing_even_with_a_frozen_wall_clock(clock: FakeClock) -> None:
    with SlackSandbox(clock=clock, wall_clock=lambda: 1_700_000_000.0) as sb:
        sb.add_user(user_id="U1", name="ana")
        client = WebClient(token=TOKEN, base_url=sb.base_url)
        stamps = [client.chat_postMessage(channel="U1", text=str(i))["ts"] for i in range(3)]
    assert stamps == ["1700000000.000000", "1700000000.000001", "1700000000.000002"]


def test_post_ephemeral(client: WebClient, sandbox: SlackSandbox) -> None:
    channel = client.conversations_create(name="pair-7")["channel"]["id"]
    client.conversations_invite(channel=channel, users="U1")
    answer = client.chat_postEphemeral(channel=channel, user="U1", text="only you")
    assert answer["message_ts"]
    [ephemeral] = sandbox.ephemerals_for("U1")
    assert (ephemeral["channel"], ephemeral["text"], ephemeral["ts"]) == (channel, "only you", answer["message_ts"])
    error = error_of(lambda: client.chat_postEphemeral(channel=channel, user="U2", text="x"))
    assert error.response["error"] == "user_not_in_channel"
    assert sandbox.messages_in(channel) == []
    assert client.chat_postEphemeral(channel="U2", user="U2", text="in the DM")["ok"] is True


def test_update_and_delete(client: WebClient, sandbox: SlackSandbox) -> None:
    posted = client.chat_postMessage(channel="U1", text="draft")
    channel, ts = posted["channel"], posted["ts"]
    updated = client.chat_update(channel=channel, ts=ts, text="final")
    assert updated["message"]["text"] == "final" and updated["ts"] == ts
    assert sandbox.dm_messages("U1")[0]["text"] == "final"
    assert error_of(lambda: client.chat_update(channel=channel, ts="1.000001", text="x")).response["error"] == (
        "message_not_found"
    )
    person = sandbox.add_user_message(user_id="U1", channel=channel, text="mine")
    assert error_of(lambda: client.chat_update(channel=channel, ts=person["ts"], text="x")).response["error"] == (
        "cant_update_message"
    )
    assert error_of(lambda: client.chat_delete(channel=channel, ts=person["ts"])).response["error"] == (
        "cant_delete_message"
    )
    client.chat_delete(channel=channel, ts=ts)
    assert [m["text"] for m in sandbox.dm_messages("U1")] == ["mine"]


# ---------------------------------------------------------------- views


def modal(**overrides: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "log_session",
        "title": {"type": "plain_text", "text": "Log a session"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            {
                "type": "input",
                "block_id": "notes",
                "label": {"type": "plain_text", "text": "Notes"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }
    view.update(overrides)
    return view


def test_trigger_ids_expire_after_three_seconds_and_are_single_use(
    client: WebClient, sandbox: SlackSandbox, clock: FakeClock
) -> None:
    trigger = sandbox.issue_trigger_id(user_id="U1")
    clock.advance(2.9)
    view = client.views_open(trigger_id=trigger, view=modal())["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "log_session"
    assert view["root_view_id"] == view["id"] and view["state"] == {"values": {}}
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal())).response["error"] == (
        "exchanged_trigger_id"
    )
    late = sandbox.issue_trigger_id(user_id="U1")
    clock.advance(3.01)
    assert error_of(lambda: client.views_open(trigger_id=late, view=modal())).response["error"] == "expired_trigger_id"
    forged = "1234.5678.abcdef"
    assert error_of(lambda: client.views_open(trigger_id=forged, view=modal())).response["error"] == (
        "invalid_trigger_id"
    )
    assert error_of(lambda: client.views_open(trigger_id="nonsense", view=modal())).response["error"] == (
        "invalid_arguments"
    )
    assert [v["id"] for v in sandbox.opened_views] == [view["id"]]
    assert sandbox.view_stack("U1") == [view["id"]]


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"title": {"type": "plain_text", "text": "x" * 25}}, "/view/title/text"),
        ({"submit": {"type": "plain_text", "text": "x" * 25}}, "/view/submit/text"),
        ({"close": {"type": "plain_text", "text": "x" * 25}}, "/view/close/text"),
        ({"private_metadata": "x" * 3001}, "/view/private_metadata"),
        ({"callback_id": "x" * 256}, "/view/callback_id"),
        ({"blocks": [{"type": "divider"}] * 101}, "/view/blocks"),
        ({"submit": None}, "/view/submit"),
        ({"type": "home"}, "/view/type"),
    ],
)
def test_modal_limits(client: WebClient, sandbox: SlackSandbox, overrides: dict[str, Any], pointer: str) -> None:
    trigger = sandbox.issue_trigger_id(user_id="U1")
    error = error_of(lambda: client.views_open(trigger_id=trigger, view=modal(**overrides)))
    assert error.response["error"] == "invalid_arguments"
    assert any(f"[json-pointer:{pointer}]" in m for m in error.response["response_metadata"]["messages"])
    # A refused view does not use up the trigger.
    assert client.views_open(trigger_id=trigger, view=modal())["ok"] is True


def _choice(kind: str, count: int, **extra: Any) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": f"Option {n}"}, "value": str(n)} for n in range(count)]
    element = {"type": kind, "action_id": "pick", "options": options, **extra}
    return {"type": "input", "block_id": "choice", "label": {"type": "plain_text", "text": "Pick"}, "element": element}


_OTHER = {"text": {"type": "plain_text", "text": "Elsewhere"}, "value": "x"}


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        (_choice("radio_buttons", 11), "/view/blocks/0/element/options"),
        (_choice("checkboxes", 11), "/view/blocks/0/element/options"),
        (_choice("radio_buttons", 3, initial_option=_OTHER), "/view/blocks/0/element/initial_option"),
        (_choice("static_select", 3, initial_option=_OTHER), "/view/blocks/0/element/initial_option"),
        (_choice("checkboxes", 3, initial_options=[_OTHER]), "/view/blocks/0/element/initial_options/0"),
    ],
)
def test_radio_buttons_and_checkboxes_take_ten_options_and_start_on_one_of_them(
    client: WebClient, sandbox: SlackSandbox, block: dict[str, Any], pointer: str
) -> None:
    error = error_of(lambda: client.views_open(trigger_id=sandbox.issue_trigger_id(), view=modal(blocks=[block])))
    assert error.response["error"] == "invalid_arguments"
    assert any(f"[json-pointer:{pointer}]" in m for m in error.response["response_metadata"]["messages"])


def test_choices_within_the_rules_are_accepted(client: WebClient, sandbox: SlackSandbox) -> None:
    first = {"text": {"type": "plain_text", "text": "Option 0", "emoji": True}, "value": "0"}
    blocks = [_choice("radio_buttons", 10, initial_option=first), _choice("static_select", 100, initial_option=first)]
    blocks[1]["block_id"] = "select"
    blocks[1]["element"]["action_id"] = "select"
    assert client.views_open(trigger_id=sandbox.issue_trigger_id(), view=modal(blocks=blocks))["ok"] is True


def test_modal_at_the_limits_is_accepted(client: WebClient, sandbox: SlackSandbox) -> None:
    view = modal(
        title={"type": "plain_text", "text": "x" * 24},
        private_metadata="m" * 3000,
        callback_id="c" * 255,
        blocks=[{"type": "divider"}] * 100,
        submit=None,
    )
    assert client.views_open(trigger_id=sandbox.issue_trigger_id(), view=view)["ok"] is True


def test_push_update_and_hash(client: WebClient, sandbox: SlackSandbox) -> None:
    root = client.views_open(trigger_id=sandbox.issue_trigger_id(user_id="U1"), view=modal(external_id="ext-1"))["view"]
    pushed = client.views_push(trigger_id=sandbox.issue_trigger_id(user_id="U1"), view=modal(callback_id="second"))[
        "view"
    ]
    assert (pushed["root_view_id"], pushed["previous_view_id"]) == (root["id"], root["id"])
    client.views_push(trigger_id=sandbox.issue_trigger_id(user_id="U1"), view=modal())
    error = error_of(lambda: client.views_push(trigger_id=sandbox.issue_trigger_id(user_id="U1"), view=modal()))
    assert error.response["error"] == "push_limit_reached"

    updated = client.views_update(
        view_id=root["id"], hash=root["hash"], view=modal(title={"type": "plain_text", "text": "Saved"})
    )
    assert updated["view"]["id"] == root["id"] and updated["view"]["hash"] != root["hash"]
    stale = error_of(lambda: client.views_update(view_id=root["id"], hash=root["hash"], view=modal()))
    assert stale.response["error"] == "hash_conflict"
    by_external = client.views_update(external_id="ext-1", view=modal(callback_id="renamed"))
    assert by_external["view"]["id"] == root["id"]
    assert sandbox.view(root["id"])["callback_id"] == "renamed"
    assert error_of(lambda: client.views_update(view_id="V404", view=modal())).response["error"] == "not_found"
    assert (
        error_of(
            lambda: client.views_open(trigger_id=sandbox.issue_trigger_id(), view=modal(external_id="ext-1"))
        ).response["error"]
        == "duplicate_external_id"
    )


def test_home_publish_and_limits(client: WebClient, sandbox: SlackSandbox) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your pair"}}]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    second = client.views_publish(user_id="U1", view={**home, "blocks": [{"type": "divider"}] * 100})["view"]
    assert first["type"] == "home" and second["id"] == first["id"]
    assert len(sandbox.published_home("U1")["blocks"]) == 100
    assert len(sandbox.home_history("U1")) == 2
    assert sandbox.published_home("U2") is None
    too_many = error_of(
        lambda: client.views_publish(user_id="U1", view={**home, "blocks": [{"type": "divider"}] * 101})
    )
    assert too_many.response["error"] == "invalid_arguments"
    as_modal = error_of(lambda: client.views_publish(user_id="U1", view=modal()))
    assert as_modal.response["error"] == "invalid_arguments"
    assert error_of(lambda: client.views_publish(user_id="U404", view=home)).response["error"] == "user_not_found"
    stale = error_of(lambda: client.views_publish(user_id="U1", view=home, hash=first["hash"]))
    assert stale.response["error"] == "hash_conflict"


# ---------------------------------------------------------------- files


def test_file_upload_round_trip(client: WebClient, sandbox: SlackSandbox) -> None:
    channel = client.conversations_create(name="coordinators", is_private=True)["channel"]["id"]
    content = b"pair,status\nana-bo,active\n"
    uploaded = client.files_upload_v2(
        channel=channel, content=content, filename="report.csv", title="Weekly report", initial_comment="Here it is"
    )
    file_id = uploaded["file"]["id"]
    assert file_id.startswith("F")
    [message] = sandbox.messages_in(channel)
    assert message["text"] == "Here it is"
    assert [f["id"] for f in message["files"]] == [file_id]

    info = client.files_info(file=file_id)["file"]
    assert (info["name"], info["title"], info["size"], info["filetype"]) == (
        "report.csv",
        "Weekly report",
        len(content),
        "csv",
    )
    assert info["groups"] == [channel]
    url = info["url_private_download"]
    assert url.startswith(sandbox.root_url)
    assert http(url, headers={"Authorization": f"Bearer {TOKEN}"})[:2] == (200, content)
    assert http(url)[0] == 403
    assert http(url, headers={"Authorization": "Bearer xoxb-wrong"})[0] == 403
    assert error_of(lambda: client.files_info(file="F404")).response["error"] == "file_not_found"


def test_upload_url_takes_multipart_too(client: WebClient, sandbox: SlackSandbox) -> None:
    upload = client.files_getUploadURLExternal(filename="notes.txt", length=5)
    boundary = "sandboxboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    status, raw, _ = http(
        upload["upload_url"], data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert (status, raw) == (200, b"OK - 5")
    done = client.files_completeUploadExternal(files=[{"id": upload["file_id"], "title": "Notes"}])
    assert done["files"][0]["title"] == "Notes"
    assert sandbox.file_content(upload["file_id"]) == b"hello"
    again = error_of(lambda: client.files_completeUploadExternal(files=[{"id": upload["file_id"]}]))
    assert again.response["error"] == "file_not_found"


def test_user_file_as_events_carry_it(sandbox: SlackSandbox) -> None:
    lobby = sandbox.add_channel(name="lobby", members=["U0BOT", "U1"])["id"]
    file = sandbox.add_user_file(user_id="U1", name="cv.pdf", content=b"%PDF-1.4", channel=lobby)
    assert file["id"].startswith("F")
    assert (file["name"], file["mimetype"], file["filetype"], file["size"], file["user"]) == (
        "cv.pdf",
        "application/pdf",
        "pdf",
        8,
        "U1",
    )
    assert http(file["url_private_download"], headers={"Authorization": f"Bearer {TOKEN}"})[1] == b"%PDF-1.4"
    [shared] = sandbox.messages_in(lobby)
    assert (shared["subtype"], shared["user"], shared["files"][0]["id"]) == ("file_share", "U1", file["id"])


# ---------------------------------------------------------------- response_url


def post_json(url: str, body: dict[str, Any]) -> tuple[int, bytes]:
    status, raw, _ = http(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return status, raw


def test_response_url_posts_are_recorded(sandbox: SlackSandbox) -> None:
    url = sandbox.new_response_url()
    assert url.startswith(sandbox.root_url + "/response/")
    assert post_json(url, {"text": "Saved", "response_type": "ephemeral"}) == (200, b"ok")
    url_id = url.rsplit("/", 1)[1]
    assert sandbox.response_posts == [(url_id, {"text": "Saved", "response_type": "ephemeral"})]
    assert post_json(sandbox.root_url + "/response/unknown", {"text": "x"})[0] == 404
    assert post_json(url, {"response_type": "ephemeral"})[0] == 400


def test_response_url_acts_on_its_conversation(client: WebClient, sandbox: SlackSandbox) -> None:
    posted = client.chat_postMessage(channel="U1", text="Did you meet this week?")
    url = sandbox.new_response_url(channel_id=posted["channel"], user_id="U1", message_ts=posted["ts"])
    post_json(url, {"replace_original": True, "text": "Thanks, noted"})
    assert [m["text"] for m in sandbox.dm_messages("U1")] == ["Thanks, noted"]
    post_json(url, {"text": "Only you can see this"})
    assert [e["text"] for e in sandbox.ephemerals_for("U1")] == ["Only you can see this"]
    post_json(url, {"response_type": "in_channel", "text": "For everyone"})
    post_json(url, {"delete_original": True})
    assert [m["text"] for m in sandbox.dm_messages("U1")] == ["For everyone"]
    assert post_json(url, {"text": "fifth use"})[0] == 200
    assert post_json(url, {"text": "sixth use"})[0] == 404


def test_response_url_expires_after_thirty_minutes(sandbox: SlackSandbox, clock: FakeClock) -> None:
    url = sandbox.new_response_url()
    clock.advance(30 * 60 + 1)
    assert post_json(url, {"text": "late"}) == (404, b"expired_url")


# ---------------------------------------------------------------- failure switches and rate limits


def test_fail_next_429_reaches_webclient_with_retry_after(client: WebClient, sandbox: SlackSandbox) -> None:
    sandbox.fail_next("chat.postMessage", status=429, retry_after=7)
    error = error_of(lambda: client.chat_postMessage(channel="U1", text="x"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="U1", text="x")["ok"] is True
    failed, passed = sandbox.calls_to("chat.postMessage")
    assert (failed.http_status, failed.error, failed.ok) == (429, "ratelimited", False)
    assert passed.ok
    assert [m["text"] for m in sandbox.dm_messages("U1")] == ["x"]


def test_fail_next_5xx(client: WebClient, sandbox: SlackSandbox) -> None:
    sandbox.fail_next("users.info", status=503, times=2)
    for _ in range(2):
        assert error_of(lambda: client.users_info(user="U1")).response.status_code == 503
    assert client.users_info(user="U1")["ok"] is True
    first = sandbox.calls_to("users.info")[0]
    assert (first.http_status, first.response) == (503, {"raw_body": "503 Service Unavailable"})


def test_error_next(client: WebClient, sandbox: SlackSandbox) -> None:
    sandbox.error_next("conversations.create", "restricted_action", times=2)
    for _ in range(2):
        assert error_of(lambda: client.conversations_create(name="pair-8")).response["error"] == "restricted_action"
    assert client.conversations_create(name="pair-8")["ok"] is True
    assert [c.error for c in sandbox.calls_to("conversations.create")] == [
        "restricted_action",
        "restricted_action",
        None,
    ]


def test_post_message_is_paced_per_channel(clock: FakeClock) -> None:
    with SlackSandbox(clock=clock, enforce_rate_limits=True) as sb:
        sb.add_user(user_id="U1", name="ana")
        sb.add_user(user_id="U2", name="bo")
        client = WebClient(token=TOKEN, base_url=sb.base_url)
        for _ in range(3):
            client.chat_postMessage(channel="U1", text="burst")
        error = error_of(lambda: client.chat_postMessage(channel="U1", text="too fast"))
        assert (error.response.status_code, error.response.headers["Retry-After"]) == (429, "1")
        assert client.chat_postMessage(channel="U2", text="another channel")["ok"] is True
        dm = sb.im_channel_for("U1")
        clock.advance(1.0)
        assert client.chat_postMessage(channel=dm, text="after a second")["ok"] is True
        assert error_of(lambda: client.chat_postMessage(channel="U1", text="x")).response.status_code == 429
        assert len(sb.dm_messages("U1")) == 4


def test_tier_limits_use_a_sliding_minute(clock: FakeClock) -> None:
    with SlackSandbox(clock=clock, enforce_rate_limits=True) as sb:
        client = WebClient(token=TOKEN, base_url=sb.base_url)
        for i in range(20):  # conversations.create is tier 2: 20 a minute
            client.conversations_create(name=f"pair-{i}")
            clock.advance(1.0)
        error = error_of(lambda: client.conversations_create(name="pair-20"))
        assert error.response.status_code == 429
        assert error.response.headers["Retry-After"] == "40"
        clock.advance(40.0)
        assert client.conversations_create(name="pair-20")["ok"] is True
        assert client.auth_test()["ok"] is True


# ---------------------------------------------------------------- record and threads


def test_record_of_calls(client: WebClient, sandbox: SlackSandbox) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    client.chat_postMessage(channel="U1", text="hi", blocks=blocks)
    [call] = sandbox.calls_to("chat.postMessage")
    assert isinstance(call, RecordedCall)
    assert call.args == {"channel": "U1", "text": "hi", "blocks": blocks}
    assert call.response["ok"] is True and call.http_status == 200 and call.at > 0
    sandbox.reset_calls()
    assert sandbox.calls == []
    assert sandbox.dm_messages("U1")  # state stays


def test_concurrent_calls_are_safe(sandbox: SlackSandbox) -> None:
    client = WebClient(token=TOKEN, base_url=sandbox.base_url)

    def post(n: int) -> None:
        for i in range(10):
            client.chat_postMessage(channel="U1", text=f"{n}-{i}")

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [m["ts"] for m in sandbox.dm_messages("U1")]
    assert len(stamps) == len(set(stamps)) == 60
    assert stamps == sorted(stamps, key=float)
    assert len(sandbox.calls_to("chat.postMessage")) == 60


def test_default_clocks_follow_freezegun() -> None:
    from freezegun import freeze_time

    with freeze_time("2026-03-02 09:00:00") as frozen, SlackSandbox() as sb:
        sb.add_user(user_id="U1", name="ana")
        client = WebClient(token=TOKEN, base_url=sb.base_url)
        posted = client.chat_postMessage(channel="U1", text="Good morning")
        assert posted["ts"].startswith(str(int(datetime(2026, 3, 2, 9, tzinfo=timezone.utc).timestamp())))
        trigger = sb.issue_trigger_id(user_id="U1")
        frozen.tick(4)
        assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal())).response["error"] == (
            "expired_trigger_id"
        )
