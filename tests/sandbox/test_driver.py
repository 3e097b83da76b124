"""The driver's requests arrive signed and shaped as Slack sends them.

A tiny HTTP app in the test checks every request with ``slack_sdk``'s own
``SignatureVerifier`` and echoes what it parsed, so these tests prove the wire format, not
the driver's opinion of it. A last test runs a real Bolt app end to end.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.sandbox import DriverResponse, SlackDriver, SlackSandbox

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-sandbox"

Responder = Callable[[dict[str, Any]], tuple[int, str]]


class EchoApp:
    """A stand-in for the bot's endpoint: verify, parse, echo (or answer as told)."""

    def __init__(self) -> None:
        self.verifier = SignatureVerifier(SECRET)
        self.received: list[dict[str, Any]] = []
        self.responder: Responder | None = None
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status, text = app.handle(body, dict(self.headers.items()))
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def handle(self, body: str, headers: dict[str, str]) -> tuple[int, str]:
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not self.verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return 401, json.dumps({"error": "invalid signature"})
        content_type = headers.get("Content-Type", "")
        try:
            if content_type.startswith("application/json"):
                parsed: dict[str, Any] = {"kind": "json", "body": json.loads(body)}
                if parsed["body"].get("type") == "url_verification":
                    return 200, json.dumps({"challenge": parsed["body"]["challenge"]})
            else:
                form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
                parsed = {"kind": "form", "form": form}
                if "payload" in form:
                    parsed["payload"] = json.loads(form["payload"])
        except ValueError:
            return 400, json.dumps({"error": "malformed"})
        parsed["retry"] = {k: v for k, v in headers.items() if k.lower().startswith("x-slack-retry")}
        parsed["signature"] = signature
        parsed["timestamp"] = timestamp
        parsed["raw"] = body
        self.received.append(parsed)
        if self.responder is not None:
            return self.responder(parsed)
        return 200, json.dumps(parsed)


@pytest.fixture()
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sb:
        sb.add_user(user_id="U1", name="ana", real_name="Ana Ramos")
        sb.add_user(user_id="U2", name="bo")
        yield sb


@pytest.fixture()
def echo() -> Iterator[EchoApp]:
    app = EchoApp()
    app.thread.start()
    yield app
    app.server.shutdown()
    app.server.server_close()


@pytest.fixture()
def driver(echo: EchoApp, sandbox: SlackSandbox) -> SlackDriver:
    return SlackDriver(app_url=echo.url, signing_secret=SECRET, sandbox=sandbox)


def echoed(response: DriverResponse) -> dict[str, Any]:
    assert response.status == 200, response.body
    return dict(response.json())


def modal_view() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "log_session",
        "private_metadata": "pair=42",
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


# ---------------------------------------------------------------- signing


def test_signature_is_slacks(driver: SlackDriver) -> None:
    body = b"token=x&command=%2Fmentor"
    expected = SignatureVerifier(SECRET).generate_signature(timestamp="1531420618", body=body.decode())
    assert driver.sign(body, timestamp="1531420618") == expected


def test_stale_forged_unsigned_and_malformed_requests(driver: SlackDriver, echo: EchoApp) -> None:
    body = b"command=%2Fmentor&text=&user_id=U1"
    form = "application/x-www-form-urlencoded"
    stale = driver.send_raw(body, content_type=form, timestamp=int(time.time()) - 301)
    assert stale.status == 401
    forged = driver.send_raw(body, content_type=form, signature="v0=" + "0" * 64)
    assert forged.status == 401
    unsigned = driver.send_raw(body, content_type=form, sign=False)
    assert unsigned.status == 401
    other_secret = SlackDriver(app_url=echo.url, signing_secret="not-the-secret", sandbox=driver.sandbox)
    assert other_secret.send_raw(body, content_type=form).status == 401
    fresh = driver.send_raw(body, content_type=form, timestamp=int(time.time()) - 240)
    assert fresh.status == 200
    malformed = driver.send_raw(b"payload=%7Bnot-json", content_type=form)
    assert malformed.status == 400  # signed correctly, so it got as far as parsing
    assert len(echo.received) == 1


# ---------------------------------------------------------------- slash commands


def test_slash_command_fields(driver: SlackDriver, sandbox: SlackSandbox) -> None:
    response = driver.slash_command(user_id="U1", command="/mentor", text="log 2 Dec")
    form = echoed(response)["form"]
    assert form["command"] == "/mentor" and form["text"] == "log 2 Dec"
    assert (form["user_id"], form["user_name"]) == ("U1", "ana")
    assert form["channel_id"] == sandbox.im_channel_for("U1")
    assert form["channel_name"] == "directmessage"
    assert (form["team_id"], form["team_domain"], form["api_app_id"]) == ("T0SANDBOX", "sandbox", "A0SANDBOX")
    assert form["trigger_id"] == response.trigger_id
    assert form["response_url"] == response.response_url


def test_slash_command_trigger_and_response_url_work_on_the_sandbox(driver: SlackDriver, sandbox: SlackSandbox) -> None:
    lobby = sandbox.add_channel(name="lobby", members=["U0BOT", "U1"])["id"]
    response = driver.slash_command(user_id="U1", command="/mentor", channel_id=lobby, user_name="ana.r")
    form = echoed(response)["form"]
    assert (form["channel_name"], form["user_name"]) == ("lobby", "ana.r")
    client = WebClient(token=TOKEN, base_url=sandbox.base_url)
    assert client.views_open(trigger_id=form["trigger_id"], view=modal_view())["ok"] is True
    request = urllib.request.Request(
        form["response_url"],
        data=json.dumps({"text": "Logged"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request) as answer:
        assert answer.status == 200
    assert [(e["channel"], e["text"]) for e in sandbox.ephemerals_for("U1")] == [(lobby, "Logged")]


# ---------------------------------------------------------------- interactions


def test_block_action_from_a_message(driver: SlackDriver, sandbox: SlackSandbox) -> None:
    client = WebClient(token=TOKEN, base_url=sandbox.base_url)
    posted = client.chat_postMessage(channel="U1", text="Did you meet?")
    response = driver.block_action(
        user_id="U1", action_id="met_yes", value="pair=42", block_id="checkin", message=posted["ts"]
    )
    payload = echoed(response)["payload"]
    assert payload["type"] == "block_actions"
    assert payload["user"] == {"id": "U1", "username": "ana", "name": "ana", "team_id": "T0SANDBOX"}
    assert payload["team"] == {"id": "T0SANDBOX", "domain": "sandbox"}
    assert payload["api_app_id"] == "A0SANDBOX"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": posted["channel"],
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": posted["channel"], "name": "directmessage"}
    assert payload["message"]["text"] == "Did you meet?"
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == (
        "met_yes",
        "checkin",
        "pair=42",
        "button",
    )
    assert action["action_ts"]
    assert payload["trigger_id"] == response.trigger_id
    assert payload["response_url"] == response.response_url
    request = urllib.request.Request(
        payload["response_url"],
        data=json.dumps({"replace_original": True, "text": "Great, noted"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request).close()
    assert [m["text"] for m in sandbox.dm_messages("U1")] == ["Great, noted"]


def test_block_action_from_an_ephemeral_message(driver: SlackDriver, sandbox: SlackSandbox) -> None:
    lobby = sandbox.add_channel(name="lobby", members=["U0BOT", "U1"])["id"]
    client = WebClient(token=TOKEN, base_url=sandbox.base_url)
    ts = client.chat_postEphemeral(channel=lobby, user="U1", text="Pick one")["message_ts"]
    payload = echoed(driver.block_action(user_id="U1", action_id="pick", value="a", message=ts))["payload"]
    assert payload["container"]["is_ephemeral"] is True
    assert payload["container"]["channel_id"] == lobby
    assert "message" not in payload


def test_block_action_in_a_view_with_selections(driver: SlackDriver, sandbox: SlackSandbox) -> None:
    client = WebClient(token=TOKEN, base_url=sandbox.base_url)
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": [{"type": "divider"}]})["view"]
    dated = echoed(
        driver.block_action(user_id="U1", action_id="pick_date", view=home["id"], selected_date="2026-12-02")
    )
    payload = dated["payload"]
    assert payload["container"] == {"type": "view", "view_id": home["id"]}
    assert payload["view"]["type"] == "home"
    assert "response_url" not in payload and "channel" not in payload
    assert payload["actions"][0]["type"] == "datepicker"
    assert payload["actions"][0]["selected_date"] == "2026-12-02"
    chosen = echoed(driver.block_action(user_id="U1", action_id="lang", view=home["id"], selected_option="da"))
    action = chosen["payload"]["actions"][0]
    assert action["type"] == "static_select"
    assert action["selected_option"]["value"] == "da"


def test_view_submission_shape(driver: SlackDriver, sandbox: SlackSandbox) -> None:
    client = WebClient(token=TOKEN, base_url=sandbox.base_url)
    opened = client.views_open(trigger_id=sandbox.issue_trigger_id(user_id="U1"), view=modal_view())["view"]
    response = driver.view_submission(
        user_id="U1",
        callback_id="log_session",
        view_id=opened["id"],
        values={
            "notes": {"value": "We reviewed the CV"},
            "when": {"day": {"type": "datepicker", "selected_date": "2026-12-02"}},
        },
    )
    payload = echoed(response)["payload"]
    assert payload["type"] == "view_submission"
    assert payload["user"]["id"] == "U1" and payload["team"]["id"] == "T0SANDBOX"
    view = payload["view"]
    assert (view["id"], view["callback_id"], view["private_metadata"]) == (opened["id"], "log_session", "pair=42")
    assert view["state"]["values"]["notes"]["value"] == {"type": "plain_text_input", "value": "We reviewed the CV"}
    assert view["state"]["values"]["when"]["day"]["selected_date"] == "2026-12-02"
    assert view["blocks"] == opened["blocks"]
    assert payload["trigger_id"] == response.trigger_id
    assert response.view_errors == ()


def test_view_submission_response_actions(driver: SlackDriver, echo: EchoApp, sandbox: SlackSandbox) -> None:
    client = WebClient(token=TOKEN, base_url=sandbox.base_url)

    def open_modal() -> str:
        return str(
            client.views_open(trigger_id=sandbox.issue_trigger_id(user_id="U1"), view=modal_view())["view"]["id"]
        )

    echo.responder = lambda _: (200, json.dumps({"response_action": "errors", "errors": {"notes": "Too short"}}))
    view_id = open_modal()
    refused = driver.view_submission(
        user_id="U1", callback_id="log_session", view_id=view_id, values={"notes": {"value": "x"}}
    )
    assert refused.json()["errors"] == {"notes": "Too short"}
    assert sandbox.view_stack("U1") == [view_id]

    echo.responder = lambda _: (200, "")
    assert driver.view_submission(user_id="U1", callback_id="log_session", view_id=view_id, values={}).body == ""
    assert sandbox.view_stack("U1") == []

    too_long = {**modal_view(), "title": {"type": "plain_text", "text": "A title far too long for Slack"}}
    echo.responder = lambda _: (200, json.dumps({"response_action": "update", "view": too_long}))
    view_id = open_modal()
    bad = driver.view_submission(user_id="U1", callback_id="log_session", view_id=view_id, values={})
    assert bad.view_errors == ("[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",)

    pushed = {**modal_view(), "callback_id": "confirm"}
    echo.responder = lambda _: (200, json.dumps({"response_action": "push", "view": pushed}))
    assert driver.view_submission(user_id="U1", callback_id="log_session", view_id=view_id, values={}).view_errors == ()
    stack = sandbox.view_stack("U1")
    assert len(stack) == 2 and sandbox.view(stack[1])["callback_id"] == "confirm"


def test_view_closed_and_shortcuts(driver: SlackDriver, sandbox: SlackSandbox) -> None:
    closed = echoed(driver.view_closed(user_id="U1", callback_id="log_session", private_metadata="pair=42"))["payload"]
    assert (closed["type"], closed["view"]["callback_id"], closed["is_cleared"]) == (
        "view_closed",
        "log_session",
        False,
    )
    assert closed["view"]["private_metadata"] == "pair=42"
    global_shortcut = echoed(driver.shortcut(user_id="U1", callback_id="new_pair"))["payload"]
    assert (global_shortcut["type"], global_shortcut["callback_id"]) == ("shortcut", "new_pair")
    assert global_shortcut["trigger_id"]
    person = sandbox.add_user_message(user_id="U2", channel="U1", text="note this")
    message_shortcut = echoed(driver.shortcut(user_id="U1", callback_id="save_note", message=person["ts"]))["payload"]
    assert message_shortcut["type"] == "message_action"
    assert message_shortcut["message"]["text"] == "note this"
    assert message_shortcut["response_url"].startswith(sandbox.root_url)


# ---------------------------------------------------------------- events


def test_event_envelope_and_retries(driver: SlackDriver) -> None:
    first = driver.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    body = echoed(first)["body"]
    assert body["type"] == "event_callback"
    assert (body["team_id"], body["api_app_id"], body["event_id"]) == ("T0SANDBOX", "A0SANDBOX", first.event_id)
    assert isinstance(body["event_time"], int)
    assert body["event"]["type"] == "app_home_opened" and body["event"]["event_ts"]
    assert body["authorizations"][0]["user_id"] == "U0BOT"
    assert echoed(first)["retry"] == {}

    retried = driver.event({"type": "ignored on retry"}, event_id=first.event_id, retry_num=1)
    again = echoed(retried)
    assert again["retry"] == {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert again["body"] == body  # the very same delivery


def test_url_verification(driver: SlackDriver) -> None:
    assert driver.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P").json() == {
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    }


def test_event_conveniences_keep_the_sandbox_in_step(driver: SlackDriver, sandbox: SlackSandbox) -> None:
    pair = sandbox.add_channel(name="pair-ana-bo", is_private=True, members=["U0BOT"])["id"]
    joined = echoed(driver.member_joined_channel(user_id="U1", channel_id=pair, inviter="U0BOT"))["body"]["event"]
    assert (joined["type"], joined["channel"], joined["channel_type"], joined["inviter"]) == (
        "member_joined_channel",
        pair,
        "G",
        "U0BOT",
    )
    assert "U1" in sandbox.get_channel(pair)["members"]
    said = echoed(driver.message(user_id="U1", channel_id="U1", text="hello bot"))["body"]["event"]
    assert (said["type"], said["channel_type"], said["user"], said["text"]) == ("message", "im", "U1", "hello bot")
    assert sandbox.dm_messages("U1")[0]["ts"] == said["ts"]
    home = echoed(driver.app_home_opened(user_id="U1"))["body"]["event"]
    assert home["channel"] == sandbox.im_channel_for("U1")
    sandbox.update_user("U1", tz="Asia/Tokyo")
    changed = echoed(driver.user_change(user_id="U1"))["body"]["event"]
    assert changed["user"]["tz"] == "Asia/Tokyo"
    left = echoed(driver.member_left_channel(user_id="U1", channel_id=pair))["body"]["event"]
    assert left["type"] == "member_left_channel"
    assert "U1" not in sandbox.get_channel(pair)["members"]


# ---------------------------------------------------------------- a real Bolt app


class BoltServer:
    """Serves a Bolt ``App`` over HTTP so the driver and Bolt meet on the wire."""

    def __init__(self, app: App) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                headers: dict[str, str | Sequence[str]] = dict(self.headers.items())
                response = app.dispatch(BoltRequest(body=body, headers=headers))
                data = response.body.encode()
                self.send_response(response.status)
                for name, values in response.headers.items():
                    for value in values:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_bolt_app_accepts_the_driver_and_talks_back_to_the_sandbox(sandbox: SlackSandbox) -> None:
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=sandbox.base_url),
        process_before_response=True,
    )

    @app.command("/mentor")
    def open_log(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal_view())

    @app.view("log_session")
    def save(ack: Any, view: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        notes = view["state"]["values"]["notes"]["value"]["value"]
        if len(notes) < 3:
            ack(response_action="errors", errors={"notes": "Write a little more"})
            return
        ack()
        client.chat_postMessage(channel=body["user"]["id"], text=f"Saved: {notes}")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [{"type": "divider"}]})

    server = BoltServer(app)
    try:
        driver = SlackDriver(app_url=server.url, signing_secret=SECRET, sandbox=sandbox)
        assert driver.slash_command(user_id="U1", command="/mentor").status == 200
        [opened] = sandbox.opened_views
        short = driver.view_submission(
            user_id="U1", callback_id="log_session", view_id=opened["id"], values={"notes": {"value": "ok"}}
        )
        assert short.json() == {"response_action": "errors", "errors": {"notes": "Write a little more"}}
        saved = driver.view_submission(
            user_id="U1", callback_id="log_session", view_id=opened["id"], values={"notes": {"value": "CV reviewed"}}
        )
        assert saved.status == 200 and saved.view_errors == ()
        assert [m["text"] for m in sandbox.dm_messages("U1")] == ["Saved: CV reviewed"]
        assert sandbox.view_stack("U1") == []
        assert driver.app_home_opened(user_id="U1").status == 200
        assert sandbox.published_home("U1") is not None
        forged = driver.send_raw(
            b"command=%2Fmentor", content_type="application/x-www-form-urlencoded", signature="v0=bad"
        )
        assert forged.status == 401
    finally:
        server.close()


def test_signed_requests_under_freezegun(driver: SlackDriver) -> None:
    from freezegun import freeze_time

    with freeze_time("2026-03-02 09:00:00"):
        response = driver.slash_command(user_id="U1", command="/mentor")
        assert response.status == 200
        assert echoed(response)["timestamp"] == str(int(time.time()))
