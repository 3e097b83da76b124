"""Sends the bot the requests Slack would send, signed and shaped as Slack does.

Scenario tests and ``mentorbot demo`` need to push slash commands, button clicks, modal
submissions and events into the real HTTP endpoint, so that Bolt's signature check, its
parsing and the 3-second acknowledgement are all exercised. The driver builds those
requests from Slack's documented payloads, takes its ``trigger_id`` and ``response_url``
values from the :class:`~bot.sandbox.server.SlackSandbox` (so ``views.open`` and response
posts made in reply are honest), and returns whatever the app answered without raising on
HTTP errors, so a test can assert on a 401 as easily as on a 200.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .server import SlackSandbox

JSON = dict[str, Any]
Clock = Callable[[], float]


@dataclass(frozen=True)
class DriverResponse:
    """What the app answered, plus the ids the driver used so a test can follow them up.

    ``sent`` is the payload as sent (form fields, the decoded ``payload`` of an interaction,
    or the JSON envelope of an event). ``view_errors`` lists what Slack would have refused
    in a ``response_action`` view. ``elapsed`` is for benchmarks, never for assertions.
    """

    status: int
    body: str
    headers: dict[str, str]
    trigger_id: str | None = None
    response_url: str | None = None
    event_id: str | None = None
    view_id: str | None = None
    sent: JSON | None = None
    view_errors: tuple[str, ...] = ()
    elapsed: float = field(default=0.0, compare=False)

    @property
    def ok(self) -> bool:
        """A 2xx answer: what Slack counts as an acknowledgement."""
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """A response header, case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def _normalise_values(values: Mapping[str, Mapping[str, Any]]) -> JSON:
    """``view.state.values``: plain strings become ``plain_text_input`` values."""
    result: JSON = {}
    for block_id, actions in values.items():
        result[block_id] = {}
        for action_id, value in actions.items():
            if value is None or isinstance(value, str):
                result[block_id][action_id] = {"type": "plain_text_input", "value": value}
            else:
                result[block_id][action_id] = dict(value)
    return result


def _option(option: JSON | str) -> JSON:
    if isinstance(option, str):
        return {"text": {"type": "plain_text", "text": option, "emoji": True}, "value": option}
    return dict(option)


class SlackDriver:
    """Signed HTTP requests into the app's Slack endpoint, as Slack would send them."""

    def __init__(
        self,
        *,
        app_url: str,
        signing_secret: str,
        sandbox: SlackSandbox,
        team_id: str | None = None,
        team_domain: str | None = None,
        api_app_id: str = "A0SANDBOX",
        verification_token: str = "sandbox-verification-token",
        clock: Clock | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.sandbox = sandbox
        self.team_id = team_id or sandbox.team_id
        self.team_domain = team_domain or sandbox.team_domain
        self.api_app_id = api_app_id
        self.verification_token = verification_token
        # Read time.time on each call (not bound once) so freezegun moves it too.
        self._clock: Clock = clock or (lambda: time.time())
        self._timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._events: dict[str, bytes] = {}

    # ------------------------------------------------------------------ signing and sending

    def sign(self, body: bytes, *, timestamp: str) -> str:
        """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing secret."""
        base = b"v0:" + timestamp.encode() + b":" + body
        return "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()

    def send_raw(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: int | str | None = None,
        signature: str | None = None,
        sign: bool = True,
        signing_headers: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> DriverResponse:
        """POST any body: for forged signatures, stale timestamps or malformed payloads.

        ``signature`` wins when given; otherwise ``sign`` decides whether a correct one is
        added. ``timestamp`` defaults to now; pass an old one to test the 5-minute rule.
        ``signing_headers=False`` sends neither header, as a stray request from anyone would.
        """
        status, text, response_headers, elapsed = self._post(
            body,
            content_type=content_type,
            timestamp=timestamp,
            signature=signature,
            sign=sign,
            signing_headers=signing_headers,
            extra_headers=headers,
        )
        return DriverResponse(status=status, body=text, headers=response_headers, elapsed=elapsed)

    def _post(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: int | str | None = None,
        signature: str | None = None,
        sign: bool = True,
        signing_headers: bool = True,
        extra_headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str, dict[str, str], float]:
        stamp = str(timestamp) if timestamp is not None else str(int(self._clock()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        elif sign:
            headers["X-Slack-Signature"] = self.sign(body, timestamp=stamp)
        if not signing_headers:
            del headers["X-Slack-Request-Timestamp"]
            headers.pop("X-Slack-Signature", None)
        headers.update(extra_headers or {})
        request = urllib.request.Request(self.app_url, data=body, headers=headers, method="POST")
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                status, raw, got = response.status, response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), dict(error.headers.items())
        elapsed = time.perf_counter() - started
        return status, raw.decode("utf-8", errors="replace"), got, elapsed

    def _post_form(self, fields: Mapping[str, str]) -> tuple[int, str, dict[str, str], float]:
        return self._post(urlencode(fields).encode(), content_type="application/x-www-form-urlencoded")

    def _post_payload(self, payload: JSON) -> tuple[int, str, dict[str, str], float]:
        return self._post_form({"payload": json.dumps(payload)})

    # ------------------------------------------------------------------ shapes

    def _user(self, user_id: str) -> JSON:
        user = self.sandbox.get_user(user_id)
        name = user["name"] if user else user_id
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> JSON:
        return {"id": self.team_id, "domain": self.team_domain}

    def _channel_name(self, channel_id: str, *, for_command: bool) -> str:
        channel = self.sandbox.get_channel(channel_id)
        if channel is None:
            return channel_id
        if channel.get("is_im"):
            return "directmessage"
        if for_command and channel.get("is_private") and not channel.get("is_mpim"):
            return "privategroup"
        return str(channel.get("name", channel_id))

    def _now_ts(self) -> str:
        return f"{self._clock():.6f}"

    # ------------------------------------------------------------------ slash commands

    def slash_command(
        self,
        *,
        user_id: str,
        command: str,
        text: str = "",
        channel_id: str | None = None,
        user_name: str | None = None,
    ) -> DriverResponse:
        """A slash command; by default typed in the user's DM with the app."""
        channel = channel_id or self.sandbox.im_channel_for(user_id)
        trigger_id = self.sandbox.issue_trigger_id(user_id=user_id)
        response_url = self.sandbox.new_response_url(channel_id=channel, user_id=user_id)
        user = self.sandbox.get_user(user_id)
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": self._channel_name(channel, for_command=True),
            "user_id": user_id,
            "user_name": user_name or (user["name"] if user else user_id),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        status, body, headers, elapsed = self._post_form(fields)
        return DriverResponse(
            status=status,
            body=body,
            headers=headers,
            trigger_id=trigger_id,
            response_url=response_url,
            sent=dict(fields),
            elapsed=elapsed,
        )

    # ------------------------------------------------------------------ interactions

    def block_action(
        self,
        *,
        user_id: str,
        action_id: str,
        value: str | None = None,
        block_id: str = "b",
        channel_id: str | None = None,
        message: JSON | str | None = None,
        view: JSON | str | None = None,
        selected_date: str | None = None,
        selected_option: JSON | str | None = None,
        container: JSON | None = None,
        action_type: str | None = None,
        text: str | None = None,
        state_values: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> DriverResponse:
        """A ``block_actions`` interaction from a message, an ephemeral message or a view.

        ``message`` may be a message dict or its ts (looked up in the sandbox, ephemeral
        messages included); ``view`` may be a view dict or a view id. A message origin
        carries a ``response_url`` bound to that message, as Slack's does.
        """
        msg: JSON | None = None
        ephemeral_ts: str | None = None
        if isinstance(message, str):
            found = self.sandbox.find_message(message, channel=channel_id)
            if found is not None:
                channel_id, msg = found
            else:
                ephemeral = self.sandbox.find_ephemeral(message)
                if ephemeral is None:
                    raise ValueError(f"no message with ts {message!r} in the sandbox")
                channel_id, ephemeral_ts = ephemeral["channel"], message
        elif isinstance(message, dict):
            msg = message
            if channel_id is None:
                found = self.sandbox.find_message(str(message.get("ts")))
                if found is None:
                    raise ValueError("pass channel_id for a message the sandbox does not hold")
                channel_id = found[0]
        view_obj: JSON | None
        if isinstance(view, str):
            view_obj = self.sandbox.view(view)
            if view_obj is None:
                raise ValueError(f"no view {view!r} in the sandbox")
        else:
            view_obj = dict(view) if view is not None else None

        action: JSON = {"action_id": action_id, "block_id": block_id, "action_ts": self._now_ts()}
        if selected_date is not None:
            action.update({"type": "datepicker", "selected_date": selected_date})
        elif selected_option is not None:
            action.update({"type": "static_select", "selected_option": _option(selected_option)})
        else:
            action.update({"type": "button", "text": {"type": "plain_text", "text": text or action_id, "emoji": True}})
            if value is not None:
                action["value"] = value
        if action_type is not None:
            action["type"] = action_type

        trigger_id = self.sandbox.issue_trigger_id(user_id=user_id)
        payload: JSON = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        response_url: str | None = None
        if view_obj is not None:
            if state_values is not None:
                view_obj["state"] = {"values": _normalise_values(state_values)}
            payload["container"] = container or {"type": "view", "view_id": view_obj.get("id")}
            payload["view"] = view_obj
            payload["state"] = view_obj.get("state", {"values": {}})
        elif channel_id is not None:
            message_ts = msg["ts"] if msg is not None else ephemeral_ts
            response_url = self.sandbox.new_response_url(channel_id=channel_id, user_id=user_id, message_ts=message_ts)
            payload["container"] = container or {
                "type": "message",
                "message_ts": message_ts or "",
                "channel_id": channel_id,
                "is_ephemeral": msg is None,
            }
            payload["channel"] = {"id": channel_id, "name": self._channel_name(channel_id, for_command=False)}
            if msg is not None:
                payload["message"] = msg
            payload["state"] = {"values": _normalise_values(state_values or {})}
            payload["response_url"] = response_url
        else:
            payload["container"] = container or {}
        payload["actions"] = [action]
        status, body, headers, elapsed = self._post_payload(payload)
        return DriverResponse(
            status=status,
            body=body,
            headers=headers,
            trigger_id=trigger_id,
            response_url=response_url,
            view_id=view_obj.get("id") if view_obj else None,
            sent=payload,
            elapsed=elapsed,
        )

    def _submitted_view(
        self,
        *,
        callback_id: str,
        view_id: str | None,
        private_metadata: str | None,
        title: str | None,
        values: Mapping[str, Mapping[str, Any]] | None,
    ) -> JSON:
        base = self.sandbox.view(view_id) if view_id else None
        if view_id is not None and base is None:
            raise ValueError(f"no view {view_id!r} in the sandbox")
        new_id = view_id or f"V0X{secrets.token_hex(4).upper()}"
        view: JSON = base or {
            "id": new_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": callback_id,
            "state": {"values": {}},
            "hash": f"{int(self._clock())}.{secrets.token_hex(4)}",
            "title": {"type": "plain_text", "text": "Sandbox", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": new_id,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.sandbox.bot_id,
        }
        view["callback_id"] = callback_id
        if private_metadata is not None:
            view["private_metadata"] = private_metadata
        if title is not None:
            view["title"] = {"type": "plain_text", "text": title, "emoji": True}
        if values is not None:
            view["state"] = {"values": _normalise_values(values)}
        return view

    def view_submission(
        self,
        *,
        user_id: str,
        callback_id: str,
        values: Mapping[str, Mapping[str, Any]],
        private_metadata: str | None = None,
        view_id: str | None = None,
        title: str | None = None,
        apply_response: bool = True,
    ) -> DriverResponse:
        """A modal submitted with ``values`` (``{block_id: {action_id: value}}``).

        A plain string value becomes ``{"type": "plain_text_input", "value": ...}``; pass a
        dict for other elements. With ``view_id`` of a modal the sandbox opened, the rest of
        the view (blocks, metadata) comes from the sandbox and the app's answer
        (``response_action``) is applied to the user's modal stack.
        """
        view = self._submitted_view(
            callback_id=callback_id, view_id=view_id, private_metadata=private_metadata, title=title, values=values
        )
        trigger_id = self.sandbox.issue_trigger_id(user_id=user_id)
        payload: JSON = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id,
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        status, body, headers, elapsed = self._post_payload(payload)
        problems: list[str] = []
        if apply_response and view_id is not None and 200 <= status < 300:
            answer: JSON | None = None
            if body.strip():
                try:
                    parsed = json.loads(body)
                    answer = parsed if isinstance(parsed, dict) else None
                except ValueError:
                    problems.append("[ERROR] the app answered a view_submission with a body that is not JSON")
            if not problems:
                problems = self.sandbox.apply_view_response(user_id=user_id, view_id=view_id, response=answer)
        return DriverResponse(
            status=status,
            body=body,
            headers=headers,
            trigger_id=trigger_id,
            view_id=view["id"],
            sent=payload,
            view_errors=tuple(problems),
            elapsed=elapsed,
        )

    def view_closed(
        self,
        *,
        user_id: str,
        callback_id: str,
        view_id: str | None = None,
        private_metadata: str | None = None,
        is_cleared: bool = False,
    ) -> DriverResponse:
        """The user closed a modal whose view asked for ``notify_on_close``."""
        view = self._submitted_view(
            callback_id=callback_id, view_id=view_id, private_metadata=private_metadata, title=None, values=None
        )
        payload: JSON = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "view": view,
            "is_cleared": is_cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        status, body, headers, elapsed = self._post_payload(payload)
        if view_id is not None:
            self.sandbox.apply_view_response(user_id=user_id, view_id=view_id, response=None, closed=True)
        return DriverResponse(
            status=status, body=body, headers=headers, view_id=view["id"], sent=payload, elapsed=elapsed
        )

    def shortcut(
        self,
        *,
        user_id: str,
        callback_id: str,
        message: JSON | str | None = None,
        channel_id: str | None = None,
    ) -> DriverResponse:
        """A global shortcut, or a message shortcut (``message_action``) when ``message`` is given."""
        trigger_id = self.sandbox.issue_trigger_id(user_id=user_id)
        payload: JSON = {
            "type": "shortcut",
            "token": self.verification_token,
            "action_ts": self._now_ts(),
            "team": self._team(),
            "user": self._user(user_id),
            "callback_id": callback_id,
            "trigger_id": trigger_id,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response_url: str | None = None
        if message is not None:
            if isinstance(message, str):
                found = self.sandbox.find_message(message, channel=channel_id)
                if found is None:
                    raise ValueError(f"no message with ts {message!r} in the sandbox")
                channel_id, msg = found
            else:
                msg = dict(message)
                if channel_id is None:
                    located = self.sandbox.find_message(str(msg.get("ts")))
                    if located is None:
                        raise ValueError("pass channel_id for a message the sandbox does not hold")
                    channel_id = located[0]
            response_url = self.sandbox.new_response_url(
                channel_id=channel_id, user_id=user_id, message_ts=msg.get("ts")
            )
            payload.update(
                {
                    "type": "message_action",
                    "message_ts": msg.get("ts"),
                    "message": msg,
                    "channel": {"id": channel_id, "name": self._channel_name(channel_id, for_command=False)},
                    "response_url": response_url,
                }
            )
        status, body, headers, elapsed = self._post_payload(payload)
        return DriverResponse(
            status=status,
            body=body,
            headers=headers,
            trigger_id=trigger_id,
            response_url=response_url,
            sent=payload,
            elapsed=elapsed,
        )

    # ------------------------------------------------------------------ events

    def event(
        self,
        event: JSON,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> DriverResponse:
        """An Events API ``event_callback``; with ``retry_num`` a redelivery.

        A redelivery of an ``event_id`` the driver sent before repeats the very same body,
        as Slack does, with ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason`` added.
        """
        eid = event_id or f"Ev0S{secrets.token_hex(5).upper()}"
        body = self._events.get(eid)
        if body is None:
            now = self._clock()
            inner = dict(event)
            inner.setdefault("event_ts", f"{now:.6f}")
            envelope: JSON = {
                "token": self.verification_token,
                "team_id": self.team_id,
                "api_app_id": self.api_app_id,
                "event": inner,
                "type": "event_callback",
                "event_id": eid,
                "event_time": int(now),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": self.team_id,
                        "user_id": self.sandbox.bot_user_id,
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
                "event_context": "4-" + base64.urlsafe_b64encode(eid.encode()).decode().rstrip("="),
            }
            body = json.dumps(envelope).encode()
            self._events[eid] = body
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        status, text, headers, elapsed = self._post(body, content_type="application/json", extra_headers=extra)
        return DriverResponse(
            status=status, body=text, headers=headers, event_id=eid, sent=json.loads(body), elapsed=elapsed
        )

    def url_verification(self, challenge: str) -> DriverResponse:
        """The handshake Slack sends when the Events URL is saved; the app echoes ``challenge``."""
        payload: JSON = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        status, body, headers, elapsed = self._post(json.dumps(payload).encode(), content_type="application/json")
        return DriverResponse(status=status, body=body, headers=headers, sent=payload, elapsed=elapsed)

    # Conveniences for the events the bot cares about. Each first brings the sandbox into
    # the state Slack would be in when it sends the event.

    def app_home_opened(self, *, user_id: str, tab: str = "home") -> DriverResponse:
        """The user opened the app's Home (or Messages) tab."""
        event: JSON = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.sandbox.im_channel_for(user_id),
            "tab": tab,
        }
        home = self.sandbox.published_home(user_id)
        if home is not None and tab == "home":
            event["view"] = home
        return self.event(event)

    def member_joined_channel(self, *, user_id: str, channel_id: str, inviter: str | None = None) -> DriverResponse:
        """A member joined a channel (added to the sandbox channel first)."""
        channel = self.sandbox.add_member(channel=channel_id, user_id=user_id)
        event: JSON = {
            "type": "member_joined_channel",
            "user": user_id,
            "channel": channel["id"],
            "channel_type": "G" if channel.get("is_private") else "C",
            "team": self.team_id,
        }
        if inviter is not None:
            event["inviter"] = inviter
        return self.event(event)

    def member_left_channel(self, *, user_id: str, channel_id: str) -> DriverResponse:
        """A member left a channel (removed from the sandbox channel first)."""
        channel = self.sandbox.remove_member(channel=channel_id, user_id=user_id)
        return self.event(
            {
                "type": "member_left_channel",
                "user": user_id,
                "channel": channel["id"],
                "channel_type": "G" if channel.get("is_private") else "C",
                "team": self.team_id,
            }
        )

    def message(
        self,
        *,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
    ) -> DriverResponse:
        """A person wrote a message (stored in the sandbox, then sent as a ``message`` event)."""
        stored = self.sandbox.add_user_message(user_id=user_id, channel=channel_id, text=text, thread_ts=thread_ts)
        channel_ref = self.sandbox.find_message(stored["ts"])
        assert channel_ref is not None
        channel = self.sandbox.get_channel(channel_ref[0]) or {}
        if channel.get("is_im"):
            channel_type = "im"
        elif channel.get("is_mpim"):
            channel_type = "mpim"
        else:
            channel_type = "group" if channel.get("is_private") else "channel"
        event: JSON = {
            **stored,
            "channel": channel_ref[0],
            "event_ts": stored["ts"],
            "channel_type": channel_type,
        }
        return self.event(event)

    def user_change(self, *, user_id: str) -> DriverResponse:
        """A member's profile changed (time zone, name, deactivation): the user as it is now."""
        user = self.sandbox.get_user(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id!r}")
        return self.event({"type": "user_change", "user": user, "cache_ts": int(self._clock())})

    def team_join(self, *, user_id: str) -> DriverResponse:
        """A new member joined the workspace (add them to the sandbox first)."""
        user = self.sandbox.get_user(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id!r}")
        return self.event({"type": "team_join", "user": user})

    def app_uninstalled(self) -> DriverResponse:
        """The app was removed from the workspace: its token stops working first (every call
        answers ``token_revoked``), then Slack sends ``app_uninstalled``."""
        self.sandbox.revoke_token("token_revoked")
        return self.event({"type": "app_uninstalled"})

    def tokens_revoked(self, *, bot: bool = True, user_ids: tuple[str, ...] = ()) -> DriverResponse:
        """Tokens were revoked: the bot's (its token stops working) and/or users' OAuth tokens.
        Slack may send this after ``app_uninstalled`` too."""
        if bot:
            self.sandbox.revoke_token("token_revoked")
        tokens: JSON = {"oauth": list(user_ids), "bot": [self.sandbox.bot_user_id] if bot else []}
        return self.event({"type": "tokens_revoked", "tokens": tokens})
