"""The HTTP surface as anyone on the internet meets it: Bolt's adapter behind /slack/events.

A refused request (401 unsigned/forged, 400 malformed, 413 huge) stores nothing and reaches
no listener. A signed request Slack would never send gets a 4xx or is ignored: never a 5xx,
never a listener that dies with a traceback in the log.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import func, select

from bot.sandbox.harness import SandboxedApp
from bot.slack.web import MAX_BODY_BYTES
from storage.db import unit_of_work
from storage.models import Base
from tests.support.people import ana_and_mette

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
Body = tuple[bytes, str]


def _row_counts(slack: SandboxedApp) -> dict[str, int]:
    with unit_of_work(slack.runtime.session_factory) as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables}


def _changed_tables(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name, count in after.items() if count != before.get(name)}


def _crashes(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors logged by Bolt (a failed middleware or listener) or by waitress (an unhandled exception)."""
    return [f"{record.name}: {record.getMessage()}" for record in caplog.records
            if record.levelno >= logging.ERROR or record.exc_info]


# --- signed payloads Slack would not send ----------------------------------------------------

def _interaction(payload: dict[str, Any]) -> Body:
    return ("payload=" + quote(json.dumps(payload))).encode(), FORM


def _user() -> dict[str, Any]:
    return {"id": "UANA", "username": "ana", "name": "ana", "team_id": "T0SANDBOX"}


def _block_actions(slack: SandboxedApp, actions: Any, **overrides: Any) -> Body:
    channel = slack.sandbox.im_channel_for("UANA")
    payload = {
        "type": "block_actions", "user": _user(), "api_app_id": "A0SANDBOX", "token": "t",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"}, "container": {"type": "message", "channel_id": channel},
        "channel": {"id": channel, "name": "directmessage"}, "trigger_id": slack.sandbox.issue_trigger_id(user_id="UANA"),
        "response_url": slack.sandbox.new_response_url(channel_id=channel, user_id="UANA"), "actions": actions,
        **overrides,
    }
    return _interaction({key: value for key, value in payload.items() if value is not _DROP})


def _button(action_id: str | None, **fields: Any) -> dict[str, Any]:
    action = {"type": "button", "block_id": "b", "action_ts": "1.0", **fields}
    if action_id is not None:
        action["action_id"] = action_id
    return action


def _view_submission(slack: SandboxedApp, view: Any, *, kind: str = "view_submission", **overrides: Any) -> Body:
    payload = {
        "type": kind, "user": _user(), "api_app_id": "A0SANDBOX", "token": "t",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"}, "trigger_id": slack.sandbox.issue_trigger_id(user_id="UANA"),
        "view": view, "response_urls": [], **overrides,
    }
    return _interaction({key: value for key, value in payload.items() if value is not _DROP})


def _view(callback_id: str | None, **fields: Any) -> dict[str, Any]:
    view = {"id": "V0ODD", "team_id": "T0SANDBOX", "type": "modal", "blocks": [], "private_metadata": "",
            "state": {"values": {}}, "hash": "1.x", "app_id": "A0SANDBOX", "root_view_id": "V0ODD", **fields}
    if callback_id is not None:
        view["callback_id"] = callback_id
    return {key: value for key, value in view.items() if value is not _DROP}


def _event(event: Any, *, event_id: str | None = None, **overrides: Any) -> Body:
    body = {"token": "t", "team_id": "T0SANDBOX", "api_app_id": "A0SANDBOX", "type": "event_callback",
            "event_id": event_id or f"Ev0ODD{next(_EVENT_IDS)}", "event_time": 1, "event": event, **overrides}
    return json.dumps(body).encode(), JSON_TYPE


def _command(slack: SandboxedApp, command: str, **fields: str | object) -> Body:
    channel = slack.sandbox.im_channel_for("UANA")
    form = {"token": "t", "team_id": "T0SANDBOX", "channel_id": channel, "user_id": "UANA", "user_name": "ana",
            "command": command, "text": "help", "response_url": slack.sandbox.new_response_url(channel_id=channel,
                                                                                            user_id="UANA"),
            "trigger_id": slack.sandbox.issue_trigger_id(user_id="UANA"), **fields}
    return urlencode({key: value for key, value in form.items() if value is not _DROP}).encode(), FORM


_DROP = object()  # leave this field out of the payload
_EVENT_IDS = itertools.count(1)  # a fresh event_id each, or the dedup would hide a second crash

ODD_PAYLOADS: dict[str, Callable[[SandboxedApp], Body]] = {
    # block_actions
    "empty actions list": lambda s: _block_actions(s, []),
    "action without action_id": lambda s: _block_actions(s, [_button(None, value="1")]),
    "action that is not an object": lambda s: _block_actions(s, ["profile.open"]),
    "actions that are not a list": lambda s: _block_actions(s, "profile.open"),
    "no actions at all": lambda s: _block_actions(s, _DROP),
    "action without user": lambda s: _block_actions(s, [_button("profile.open")], user=_DROP),
    "action with a user without id": lambda s: _block_actions(s, [_button("profile.open")], user={"name": "ana"}),
    "action with a channel that is a number": lambda s: _block_actions(s, [_button("profile.open")], channel=5),
    "action with an enterprise that is a number": lambda s: _block_actions(s, [_button("profile.open")], enterprise=5),
    "unknown action_id": lambda s: _block_actions(s, [_button("nobody.listens")]),
    "profile.open without value": lambda s: _block_actions(s, [_button("profile.open")]),
    "consent without value": lambda s: _block_actions(s, [_button("consent.data.yes")]),
    "match.publish without value": lambda s: _block_actions(s, [_button("match.publish")]),
    "match.lock with nonsense ids": lambda s: _block_actions(s, [_button("match.lock.x.y", value="z")]),
    "session.log.open without value": lambda s: _block_actions(s, [_button("session.log.open")]),
    "session.confirm of no session": lambda s: _block_actions(s, [_button("session.confirm.999")]),
    "session.delete without value": lambda s: _block_actions(s, [_button("session.delete")]),
    "checkin.planned without date": lambda s: _block_actions(s, [_button("checkin.planned", value="nope")]),
    "meeting.rsvp without value": lambda s: _block_actions(s, [_button("meeting.rsvp.yes")]),
    # view_submission / view_closed
    "view without type": lambda s: _view_submission(s, _view("profile.submit", type=_DROP)),
    "view without callback_id": lambda s: _view_submission(s, _view(None)),
    "view that is not an object": lambda s: _view_submission(s, "profile.submit"),
    "view with a state that is a list": lambda s: _view_submission(s, _view("profile.submit", state=[])),
    "view with values that are a list": lambda s: _view_submission(s, _view("profile.submit", state={"values": []})),
    "view_submission without user": lambda s: _view_submission(s, _view("profile.submit"), user=_DROP),
    "attendance view with nonsense metadata": lambda s: _view_submission(
        s, _view("meeting.attendance.submit", private_metadata="not-a-meeting")),
    "session log view with nonsense metadata": lambda s: _view_submission(
        s, _view("session.log.submit", private_metadata="{")),
    "view_closed without type": lambda s: _view_submission(s, _view("profile.submit", type=_DROP), kind="view_closed"),
    "unknown callback_id": lambda s: _view_submission(s, _view("nobody.listens")),
    "view with private_metadata that is a number": lambda s: _view_submission(
        s, _view("outcome.company.submit", private_metadata=5)),
    "view with a title that is a number": lambda s: _view_submission(s, _view("pairs.end.submit", title=5)),
    "view with a title that is not plain text": lambda s: _view_submission(
        s, _view("pairs.end.submit", title={"value": "1"})),
    "view with a selected option that is a number": lambda s: _view_submission(s, _view(
        "outcome.submit", state={"values": {"status": {"status": {"type": "radio_buttons", "selected_option": 5}}}})),
    # events
    "app_home_opened without user": lambda s: _event({"type": "app_home_opened", "tab": "home", "channel": "D1"}),
    "app_home_opened with a user object": lambda s: _event({"type": "app_home_opened", "user": {"id": "UANA"}}),
    "team_join without user": lambda s: _event({"type": "team_join"}),
    "team_join with a user that is a string": lambda s: _event({"type": "team_join", "user": "UANA"}),
    "user_change without user": lambda s: _event({"type": "user_change"}),
    "user_change with a user that is a string": lambda s: _event({"type": "user_change", "user": "UANA"}),
    "direct message without user": lambda s: _event(
        {"type": "message", "channel_type": "im", "channel": "D1", "text": "hi", "ts": "1.0"}),
    "file shared in a DM without files": lambda s: _event(
        {"type": "message", "subtype": "file_share", "channel_type": "im", "channel": "D1", "user": "UANA"}),
    "file shared in a DM without user": lambda s: _event(
        {"type": "message", "subtype": "file_share", "channel_type": "im", "channel": "D1", "ts": "1.0",
         "files": [{"id": "F1"}]}),
    "file shared in a DM with files that are not objects": lambda s: _event(
        {"type": "message", "subtype": "file_share", "channel_type": "im", "channel": "D1", "ts": "1.0",
         "user": "UANA", "files": ["F1"]}),
    "event without type": lambda s: _event({"user": "UANA"}),
    "event that is not an object": lambda s: _event("app_home_opened"),
    "event with authorizations that are a number": lambda s: _event(
        {"type": "app_home_opened", "user": "UANA"}, authorizations=5),
    "unknown event": lambda s: _event({"type": "reaction_added", "user": "UANA"}),
    # slash commands
    "/mentoring without user_id": lambda s: _command(s, "/mentoring", user_id=_DROP),
    "/mentoring without text": lambda s: _command(s, "/mentoring", text=_DROP),
    "/mentoring-admin without user_id": lambda s: _command(s, "/mentoring-admin", user_id=_DROP, text="status"),
    "/log-session without user_id": lambda s: _command(s, "/log-session", user_id=_DROP, text="today 1h"),
    # Found by the fuzzing (test_fuzz_every_input.py): the listener's respond raised, the coordinators-only
    # middleware failed, and Bolt waited 3 s for an ack that never came.
    "/mentoring without response_url": lambda s: _command(s, "/mentoring", response_url=_DROP),
    "/mentoring-admin without response_url": lambda s: _command(s, "/mentoring-admin", response_url=_DROP,
                                                                 text="status"),
    "/mentoring with a response_url that is not a URL": lambda s: _command(s, "/mentoring", response_url="null"),
    "check-in button clicked from a view (no response_url)": lambda s: _block_actions(
        s, [_button("checkin.not_yet", value="999")], container={"type": "view", "view_id": "V1"}, response_url=_DROP,
        channel=_DROP),
    "check-in button whose value is an object": lambda s: _block_actions(s, [_button("checkin.not_yet",
                                                                                   value={"value": "1"})]),
    "click with a response_url that is not a URL": lambda s: _block_actions(s, [_button("session.confirm.999")],
                                                                           response_url=5),
    "unknown command": lambda s: _command(s, "/nobody"),
    # bodies that are Slack's formats but not Slack's shapes
    "JSON array": lambda s: (b"[]", JSON_TYPE),
    "JSON string": lambda s: (b'"event_callback"', JSON_TYPE),
    "JSON null": lambda s: (b"null", JSON_TYPE),
    "empty JSON object": lambda s: (b"{}", JSON_TYPE),
    "JSON that does not parse": lambda s: (b'{"type": "event_callback", "event": ', JSON_TYPE),
    "JSON of an unknown type": lambda s: (b'{"type": "nonsense"}', JSON_TYPE),
    "event_callback without event_id": lambda s: (json.dumps(
        {"type": "event_callback", "team_id": "T0SANDBOX", "event": {"type": "team_join", "user": "UNEW"}}).encode(),
        JSON_TYPE),
    "command that does not start with a slash": lambda s: _command(s, "mentoring"),
    "url_verification without challenge": lambda s: (b'{"type": "url_verification"}', JSON_TYPE),
    "payload that is a JSON array": lambda s: (b"payload=%5B%5D", FORM),
    "payload that is not JSON": lambda s: (b"payload=%7Bnope", FORM),
    "form that is neither command nor interaction": lambda s: (b"hello=world", FORM),
    "empty body": lambda s: (b"", FORM),
    "body that is not UTF-8": lambda s: (b"payload=\xff\xfe", FORM),
    "XML": lambda s: (b"<xml/>", "text/xml"),
}


def test_signed_odd_payloads_get_a_4xx_or_are_ignored_never_a_5xx_or_a_crashed_listener(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    """One app for every shape (a fresh one each would cost seconds); each is judged on its own."""
    ana_and_mette(slack)  # people the odd payloads could plausibly come from, so listeners get past "who are you"
    problems: dict[str, str] = {}
    for shape, build in ODD_PAYLOADS.items():
        body, content_type = build(slack)
        before = _row_counts(slack)
        slack.sandbox.reset_calls()
        responses_before = len(slack.sandbox.response_posts)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            response = slack.driver.send_raw(body, content_type=content_type)
            slack.settle()
        changed = _changed_tables(before, _row_counts(slack))
        if response.status >= 500:
            problems[shape] = f"answered {response.status} {response.body[:80]!r}"
        elif crashes := _crashes(caplog):
            problems[shape] = f"crashed: {crashes}"
        elif response.status >= 400 and changed:
            problems[shape] = f"refused with {response.status} yet stored into {sorted(changed)}"
        elif response.status >= 400 and (slack.sandbox.calls or len(slack.sandbox.response_posts) != responses_before):
            problems[shape] = f"refused with {response.status} yet reached a listener"
        elif not changed <= {"processed_event"}:
            # Ignored: at most the event id is remembered, so a redelivery is not handled again.
            problems[shape] = f"ignored with {response.status} yet stored into {sorted(changed)}"
    assert problems == {}


# --- unsigned, forged, huge ------------------------------------------------------------------

def test_a_request_without_the_signing_headers_is_refused_with_401_and_stores_nothing(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture
) -> None:
    ana_and_mette(slack)
    before = _row_counts(slack)
    command = urlencode({"command": "/mentoring", "text": "help", "user_id": "UANA", "team_id": "T0SANDBOX"}).encode()
    event = _event({"type": "app_home_opened", "user": "UANA", "tab": "home"}, event_id="Ev0BARE")[0]
    with caplog.at_level(logging.WARNING):
        bare_command = slack.driver.send_raw(command, content_type=FORM, signing_headers=False)
        bare_event = slack.driver.send_raw(event, content_type=JSON_TYPE, signing_headers=False)
        slack.settle()
    assert (bare_command.status, bare_event.status) == (401, 401)
    assert _crashes(caplog) == []
    assert _changed_tables(before, _row_counts(slack)) == set()
    assert slack.sandbox.calls == [] and slack.sandbox.response_posts == []


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [("soon", None), ("", None), ("9" * 5000, None), (None, "v0=caf\u00e9"), (None, "")],
    ids=["word timestamp", "empty timestamp", "huge timestamp", "non-ASCII signature", "empty signature"],
)
def test_garbled_signing_headers_are_a_401_not_a_crash(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture, timestamp: str | None, signature: str | None
) -> None:
    event = _event({"type": "app_home_opened", "user": "UANA", "tab": "home"}, event_id="Ev0GARBLED")[0]
    before = _row_counts(slack)
    with caplog.at_level(logging.WARNING):
        response = slack.driver.send_raw(event, content_type=JSON_TYPE, timestamp=timestamp, signature=signature)
        slack.settle()
    assert response.status == 401
    assert _crashes(caplog) == []
    assert _changed_tables(before, _row_counts(slack)) == set()
    assert slack.sandbox.calls == []


def test_odd_payloads_without_a_signature_are_refused_before_their_shape_is_judged(slack: SandboxedApp) -> None:
    """An unsigned caller learns nothing about what we parse: 401 whatever the body holds."""
    ana_and_mette(slack)
    odd = _block_actions(slack, [])[0]
    assert slack.driver.send_raw(odd, content_type=FORM, signing_headers=False).status == 401
    assert slack.driver.send_raw(odd, content_type=FORM, signature="v0=" + "0" * 64).status == 401
    assert slack.driver.send_raw(odd, content_type=FORM).status == 400


def test_a_huge_body_is_refused_with_413_and_stores_nothing(slack: SandboxedApp) -> None:
    ana_and_mette(slack)
    before = _row_counts(slack)
    padding = "x" * (MAX_BODY_BYTES + 1)
    body = urlencode({"command": "/mentoring", "text": padding, "user_id": "UANA", "team_id": "T0SANDBOX"}).encode()
    response = slack.driver.send_raw(body, content_type=FORM)
    slack.settle()
    assert response.status == 413
    assert _changed_tables(before, _row_counts(slack)) == set()
    assert slack.sandbox.calls == [] and slack.sandbox.response_posts == []


def test_a_view_submission_of_a_modal_without_inputs_is_not_refused(slack: SandboxedApp) -> None:
    """Slack sends `"state": {}` when the view has no input blocks; that is not malformed."""
    ana_and_mette(slack)
    for callback_id in ("profile.submit", "session.log.submit", "pairs.end.submit", "meeting.attendance.submit"):
        body, content_type = _view_submission(slack, _view(callback_id, state={}))
        response = slack.driver.send_raw(body, content_type=content_type)
        slack.settle()
        assert response.status == 200, (callback_id, response.body)
        assert "malformed" not in response.body

