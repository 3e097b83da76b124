"""A random probe of the signed HTTP surface: every slash subcommand, every registered
action_id, every view callback_id and every subscribed event, with plausible-looking but
random text, values, block ids, metadata and users. Whatever arrives, the answer is below
500 and no listener dies with a traceback.

Hand-picked odd payloads live in `test_http_surface.py`; this one finds what nobody thought
to pick. One app serves all examples (a fresh one each would cost seconds), so state
accumulates as it would in a workspace.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.commands import COMMANDS
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import ConsentPurpose, Pair, PairStatus, Role
from tests.factories import EPOCH, make_participant, make_round
from tests.support.concurrency import failed_listeners

FORM = "application/x-www-form-urlencoded"
# CI runs a fixed sample; `PROBE_EXAMPLES=2000 pytest ...` explores with fresh randomness.
EXPLORE = bool(os.environ.get("PROBE_EXAMPLES"))
EXAMPLES = int(os.environ.get("PROBE_EXAMPLES") or 100)
PAIR_CHANNEL = "CPROBEPAIR"
# Ana (mentee) and Lars (mentor) are a pair of round one, Mette coordinates it, Kim coordinates
# round two, Olga is in Slack but in no round, and UGHOST is not even in the sandbox's Slack.
USERS = ("UANA", "ULARS", "UMETTE", "UKIM", "UOLGA", "UGHOST")

ACTION_IDS = (
    "profile.open",
    *(f"consent.{purpose.value}.{answer}" for purpose in ConsentPurpose for answer in ("yes", "no")),
    "match.lock.1.2", "match.unlock.1.2", "match.forbid.1.2", "match.lock.x", "match.forbid.99999999999.0",
    "match.allow", "match.rerun", "match.page.previous", "match.page.next", "match.publish",
    "session.log.open", "session.log.open.pair", "session.confirm", "session.confirm.1", "session.edit",
    "session.edit.1", "session.delete", "session.delete.1", "session.delete.99999999999999999999",
    "checkin.planned", "checkin.not_yet", "checkin.help",
    "meeting.rsvp.yes", "meeting.rsvp.no",
)
CALLBACK_IDS = ("profile.submit", "session.log.submit", "pairs.end.submit", "meeting.attendance.submit")
BLOCK_IDS = ("field", "years", "languages", "interests", "statement", "goals", "expertise", "pair", "held_on",
             "duration", "topics", "introductions", "notes", "reason", "note", "attendance.0", "attendance.1")

numbers = st.one_of(st.integers(min_value=-3, max_value=12).map(str), st.sampled_from(
    ["0", "1", "2", "99999999999", "99999999999999999999", "-1", "1.5", "\u00b2", "\u0661", " 7 ", "1e3", ""]))
words = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
typed = st.one_of(
    words, numbers,
    st.sampled_from(["today", "yesterday", "i går", "i dag", "tomorrow", "2027-02-30", "2027-02-01", "31/12",
                     "45m", "1h", "2 t", "90 min", "0m", "<!channel>", "<@UANA>", "*bold*", "until 1 March",
                     "til 1. marts", "ana", "lars", "Spring 2027", "status", "help", "pair 1", "1 2", "x" * 600]),
)
text_lines = st.lists(typed, max_size=4).map(" ".join)
dates = st.one_of(st.dates().map(str), st.sampled_from(["2027-02-01", "2027-02-30", "", "tomorrow", "0000-00-00"]))
option = st.builds(lambda value: {"text": {"type": "plain_text", "text": value[:20] or "x"}, "value": value},
                   st.one_of(numbers, typed))
metadata = st.one_of(
    typed,
    st.sampled_from(["", "{}", "[]", "null", "1e999", '{"meeting": 1e999, "people": []}', '{"mode": "rematch"}']),
    st.fixed_dictionaries({}, optional={
        "participant_id": st.one_of(st.integers(-2, 10**20), st.booleans(), st.none(), typed),
        "pair_id": st.one_of(st.integers(-2, 10**20), st.none(), typed),
        "session_id": st.one_of(st.integers(-2, 10**20), st.none()),
        "meeting": st.one_of(st.integers(-2, 10**20), typed, st.floats()),
        "people": st.lists(st.one_of(st.integers(-2, 10**20), typed), max_size=3),
        "mode": st.sampled_from(["rematch", "end", "x"]),
    }).map(json.dumps),
)
element = st.one_of(
    st.builds(lambda v: {"type": "plain_text_input", "value": v}, st.one_of(st.none(), typed)),
    st.builds(lambda v: {"type": "number_input", "value": v}, st.one_of(st.none(), numbers)),
    st.builds(lambda v: {"type": "datepicker", "selected_date": v}, st.one_of(st.none(), dates)),
    st.builds(lambda v: {"type": "static_select", "selected_option": v}, st.one_of(st.none(), option)),
    st.builds(lambda v: {"type": "checkboxes", "selected_options": v}, st.lists(option, max_size=3)),
    st.builds(lambda v: {"type": "users_select", "selected_user": v}, st.sampled_from(USERS)),
    st.builds(lambda v: {"type": "multi_users_select", "selected_users": v}, st.lists(st.sampled_from(USERS))),
)
state_values = st.dictionaries(
    st.one_of(st.sampled_from(BLOCK_IDS), words),
    st.one_of(
        element.map(lambda e: {"__same__": e}),  # the action id equals the block id, as our modals do it
        st.dictionaries(st.one_of(st.sampled_from(BLOCK_IDS), words), element, max_size=2),
    ),
    max_size=6,
).map(lambda blocks: {block: {(block if key == "__same__" else key): e for key, e in actions.items()}
                      for block, actions in blocks.items()})


def _seed(slack: SandboxedApp) -> None:
    for user_id, name in (("UANA", "ana"), ("ULARS", "lars"), ("UMETTE", "mette"), ("UKIM", "kim"), ("UOLGA", "olga")):
        slack.sandbox.add_user(user_id=user_id, name=name, email=f"{name}@example.org")
    slack.sandbox.add_channel(name="mentoring-ana-lars", is_private=True, channel_id=PAIR_CHANNEL,
                              members=[slack.sandbox.bot_user_id, "UANA", "ULARS"])
    with unit_of_work(slack.runtime.session_factory) as session:
        one = make_round(session)
        two = make_round(session, name="Autumn 2027", programme_name="Career Mentoring Aarhus")
        ana = make_participant(session, round_=one, email="ana@example.org", name="Ana", slack_user_id="UANA")
        lars = make_participant(session, round_=one, role=Role.MENTOR, email="lars@example.org", name="Lars",
                                slack_user_id="ULARS")
        make_participant(session, round_=one, role=Role.COORDINATOR, email="mette@example.org", name="Mette",
                         slack_user_id="UMETTE", language="da")
        make_participant(session, round_=two, role=Role.COORDINATOR, email="kim@example.org", name="Kim",
                         slack_user_id="UKIM")
        for person in (ana, lars):
            person.welcome_sent_at = person.consented_at = person.profile_completed_at = EPOCH
        session.add(Pair(round=one, mentor=lars, mentee=ana, status=PairStatus.ACTIVE, slack_channel_id=PAIR_CHANNEL,
                         created_at=EPOCH, published_at=EPOCH))


def _dm(slack: SandboxedApp, user_id: str) -> str:
    return "D0GHOST" if user_id == "UGHOST" else slack.sandbox.im_channel_for(user_id)


def _user(slack: SandboxedApp, user_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": slack.sandbox.team_id}


@st.composite
def slash_commands(draw: st.DrawFn, slack: SandboxedApp) -> tuple[bytes, str]:
    info = draw(st.sampled_from(COMMANDS))
    user_id = draw(st.sampled_from(USERS))
    text = " ".join(part for part in (info.subcommand, draw(text_lines)) if part)
    if draw(st.booleans()):
        text = draw(text_lines)  # a typo, or free text where a subcommand was expected
    channel = draw(st.sampled_from([_dm(slack, user_id), PAIR_CHANNEL, "CNOWHERE"]))
    form = {"token": "t", "team_id": slack.sandbox.team_id, "team_domain": "sandbox", "channel_id": channel,
            "channel_name": "directmessage", "user_id": user_id, "user_name": user_id.lower(),
            "command": info.command, "text": text, "api_app_id": "A0SANDBOX",
            "response_url": slack.sandbox.new_response_url(channel_id=channel, user_id=user_id),
            "trigger_id": slack.sandbox.issue_trigger_id(user_id=user_id)}
    return urlencode(form).encode(), f"{info.command} {text!r} by {user_id} in {channel}"


@st.composite
def block_actions(draw: st.DrawFn, slack: SandboxedApp) -> tuple[bytes, str]:
    action_id = draw(st.sampled_from(ACTION_IDS))
    action: dict[str, Any] = {"action_id": action_id, "action_ts": "1.0", "type": "button",
                              "block_id": draw(st.one_of(st.sampled_from(
                                  ["b", "checkin|1", "checkin|x", "meeting.rsvp|1", "meeting.rsvp|", "session.1",
                                   "consent.coordination", "onboarding.profile"]), words))}
    kind = draw(st.sampled_from(["button", "datepicker", "static_select", "checkboxes"]))
    if kind == "button":
        value = draw(st.one_of(st.none(), numbers, typed, st.sampled_from(
            ["1:coordination:yes:welcome", "1:evaluation:no:reminder", "1:x:yes:welcome", "x:y:z:w", "1:2"])))
        if value is not None:
            action["value"] = value
    elif kind == "datepicker":
        action.update(type="datepicker", selected_date=draw(st.one_of(st.none(), dates)))
    elif kind == "static_select":
        action.update(type="static_select", selected_option=draw(st.one_of(st.none(), option)))
    else:
        action.update(type="checkboxes", selected_options=draw(st.lists(option, max_size=3)))
    # Only the profile and log buttons sit on the Home tab; every other button is in a message.
    on_views = action_id == "profile.open" or action_id.startswith("session.log.open")
    where = draw(st.sampled_from(["dm", "pair channel", "home", "modal"] if on_views else ["dm", "pair channel"]))
    # Someone Slack does not know can have no Home tab nor modal (nor DM) to click in.
    user_id = draw(st.sampled_from(USERS if where in ("dm", "pair channel") else USERS[:-1]))
    payload: dict[str, Any] = {
        "type": "block_actions", "user": _user(slack, user_id), "api_app_id": "A0SANDBOX", "token": "t",
        "team": {"id": slack.sandbox.team_id, "domain": "sandbox"}, "enterprise": None,
        "is_enterprise_install": False, "trigger_id": slack.sandbox.issue_trigger_id(user_id=user_id),
        "actions": [action],
    }
    if where in ("dm", "pair channel"):
        channel = _dm(slack, user_id) if where == "dm" else PAIR_CHANNEL
        payload.update(
            container={"type": "message", "message_ts": "1.0", "channel_id": channel, "is_ephemeral": False},
            channel={"id": channel, "name": "directmessage"},
            message={"type": "message", "ts": "1.0", "text": draw(words), "blocks": []},
            state={"values": draw(state_values)},
            response_url=slack.sandbox.new_response_url(channel_id=channel, user_id=user_id, message_ts="1.0"),
        )
    else:
        view: dict[str, Any] = {"id": "VPROBE", "type": "home" if where == "home" else "modal", "blocks": [],
                "callback_id": draw(st.sampled_from(["", *CALLBACK_IDS])), "private_metadata": draw(metadata),
                "state": {"values": draw(state_values)}, "hash": "1.x", "app_id": "A0SANDBOX",
                "root_view_id": "VPROBE", "team_id": slack.sandbox.team_id}
        payload.update(container={"type": "view", "view_id": "VPROBE"}, view=view, state=view["state"])
    return ("payload=" + quote(json.dumps(payload))).encode(), f"{action!r} by {user_id} from {where}"


@st.composite
def view_submissions(draw: st.DrawFn, slack: SandboxedApp) -> tuple[bytes, str]:
    callback_id = draw(st.sampled_from(CALLBACK_IDS))
    user_id = draw(st.sampled_from(USERS))
    view: dict[str, Any] = {"id": "VPROBE", "team_id": slack.sandbox.team_id, "type": "modal", "callback_id": callback_id,
            "blocks": [], "private_metadata": draw(metadata), "state": {"values": draw(state_values)},
            "hash": "1.x", "title": {"type": "plain_text", "text": "Probe"}, "app_id": "A0SANDBOX",
            "root_view_id": "VPROBE"}
    if draw(st.booleans()):
        view["state"] = {}  # a modal without inputs
    payload = {"type": draw(st.sampled_from(["view_submission", "view_closed"])), "user": _user(slack, user_id),
               "api_app_id": "A0SANDBOX", "token": "t", "team": {"id": slack.sandbox.team_id, "domain": "sandbox"},
               "trigger_id": slack.sandbox.issue_trigger_id(user_id=user_id), "view": view, "response_urls": [],
               "is_cleared": False}
    return ("payload=" + quote(json.dumps(payload))).encode(), f"{payload['type']} {view!r} by {user_id}"


_event_counter = iter(range(10**9))


@st.composite
def events(draw: st.DrawFn, slack: SandboxedApp) -> tuple[bytes, str]:
    user_id = draw(st.sampled_from(USERS[:-1]))  # Slack tells of people in its workspace only
    odd: st.SearchStrategy[Any] = st.one_of(st.none(), words, st.integers(), st.lists(words, max_size=2), st.just({}))
    slack_user = {"id": user_id, "name": user_id.lower(), "deleted": draw(st.booleans()), "is_bot": draw(st.booleans()),
                  "tz": draw(st.one_of(st.none(), st.sampled_from(["Europe/Copenhagen", "Mars/Olympus", ""]), words)),
                  "profile": draw(st.one_of(st.just({}), st.fixed_dictionaries({}, optional={
                      "email": st.one_of(st.sampled_from(["ana@example.org", "OLGA@EXAMPLE.ORG", ""]), words, odd),
                      "real_name": odd, "display_name": odd}))),
                  "locale": draw(st.one_of(st.none(), st.sampled_from(["da-DK", "en-US", "xx"]), words))}
    channel = draw(st.sampled_from([_dm(slack, user_id), PAIR_CHANNEL, "D0NONE"]))
    kind = draw(st.sampled_from(["app_home_opened", "user_change", "team_join", "message", "file_share",
                                 "member_joined_channel", "member_left_channel", "reaction_added"]))
    if kind == "app_home_opened":
        event: dict[str, Any] = {"type": kind, "user": user_id, "channel": channel,
                                 "tab": draw(st.one_of(st.sampled_from(["home", "messages"]), odd))}
    elif kind in ("user_change", "team_join"):
        event = {"type": kind, "user": slack_user}
    elif kind == "message":
        event = {"type": "message", "user": user_id, "channel": channel, "text": draw(text_lines), "ts": "1.0",
                 "channel_type": draw(st.sampled_from(["im", "channel", "group", "mpim"])),
                 **draw(st.fixed_dictionaries({}, optional={"subtype": st.sampled_from(
                     ["bot_message", "message_changed", "message_deleted", "channel_join"]), "bot_id": words,
                     "thread_ts": st.just("0.5")}))}
    elif kind == "file_share":
        event = {"type": "message", "subtype": "file_share", "user": user_id, "channel": channel, "ts": "1.0",
                 "channel_type": "im", "text": draw(words), "files": draw(st.lists(st.fixed_dictionaries(
                     {"id": st.sampled_from(["F1", "FNONE", ""])}, optional={
                         "name": st.sampled_from(["round.xlsx", "cv.pdf", "x", ""]), "filetype": odd,
                         "mimetype": odd, "size": st.one_of(st.integers(), words),
                         "url_private_download": odd}), max_size=2))}
    else:
        event = {"type": kind, "user": user_id, "channel": channel, "channel_type": "G"}
    envelope = {"token": "t", "team_id": slack.sandbox.team_id, "api_app_id": "A0SANDBOX", "type": "event_callback",
                "event_id": f"Ev0PROBE{next(_event_counter)}", "event_time": 1, "event": event,
                "authorizations": [{"team_id": slack.sandbox.team_id, "user_id": slack.sandbox.bot_user_id,
                                    "is_bot": True, "enterprise_id": None, "is_enterprise_install": False}]}
    return json.dumps(envelope).encode(), f"event {event!r}"


def _crashes(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Bolt's failed listeners, and anything else logged as an error or with a traceback."""
    return failed_listeners(caplog) + [
        f"{record.name}: {record.getMessage()}" for record in caplog.records
        if (record.levelno >= logging.ERROR or record.exc_info) and not record.getMessage().startswith("Failed to run")
    ]


@pytest.mark.parametrize("kind", ["slash", "action", "view", "event"])
def test_random_plausible_requests_never_get_a_5xx_nor_crash_a_listener(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    _seed(slack)
    strategy = {"slash": slash_commands, "action": block_actions, "view": view_submissions, "event": events}[kind]

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not EXPLORE, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(request=strategy(slack))
    def probe(request: tuple[bytes, str]) -> None:
        body, described = request
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            response = slack.driver.send_raw(body, content_type=FORM if kind != "event" else "application/json")
            slack.settle()
        assert response.status < 500, f"{described}: {response.status} {response.body[:200]!r}"
        assert _crashes(caplog) == [], described

    probe()


@pytest.mark.parametrize(
    ("kind", "build"),
    [
        ("slash", lambda s: _form(s, "UMETTE", "/mentoring-admin", "end-pair \u00b2")),
        ("slash", lambda s: _form(s, "UMETTE", "/mentoring-admin", "attendance \u00b2")),
        ("action", lambda s: _click(s, "UANA", "profile.open", "\u00b2")),
        ("action", lambda s: _click(s, "UANA", "session.delete.99999999999999999999", None)),
        ("action", lambda s: _click(s, "UANA", "meeting.rsvp.yes", "99999999999999999999")),
        ("action", lambda s: _click(s, "UANA", "consent.coordination.yes", "\u00b2:coordination:yes:welcome")),
        ("view", lambda s: _modal(s, "UANA", "session.log.submit", {"introductions": "\u00b2", "pair": "\u00b2"})),
        ("view", lambda s: _modal(s, "UMETTE", "meeting.attendance.submit", {}, '{"meeting": 1e999, "people": []}')),
    ],
    ids=["end-pair superscript", "attendance superscript", "profile.open superscript", "session.delete huge id",
         "rsvp huge id", "consent superscript id", "log modal superscript numbers", "attendance infinite meeting"],
)
def test_numbers_python_reads_but_int_refuses_or_sqlite_cannot_hold_are_not_a_crash(
    slack: SandboxedApp, caplog: pytest.LogCaptureFixture, kind: str, build: Any
) -> None:
    """Found by the probe above: "\u00b2".isdigit() is true yet int() refuses it, and a 20-digit
    id overflows SQLite's integers; both were tracebacks in a listener."""
    _seed(slack)
    with caplog.at_level(logging.WARNING):
        response = slack.driver.send_raw(build(slack), content_type=FORM)
        slack.settle()
    assert response.status < 500
    assert _crashes(caplog) == []


def _form(slack: SandboxedApp, user_id: str, command: str, text: str) -> bytes:
    channel = _dm(slack, user_id)
    return urlencode({"token": "t", "team_id": slack.sandbox.team_id, "channel_id": channel, "user_id": user_id,
                      "user_name": user_id.lower(), "command": command, "text": text,
                      "response_url": slack.sandbox.new_response_url(channel_id=channel, user_id=user_id),
                      "trigger_id": slack.sandbox.issue_trigger_id(user_id=user_id)}).encode()


def _click(slack: SandboxedApp, user_id: str, action_id: str, value: str | None) -> bytes:
    channel = _dm(slack, user_id)
    action = {"action_id": action_id, "block_id": "b", "type": "button", "action_ts": "1.0"}
    if value is not None:
        action["value"] = value
    payload = {"type": "block_actions", "user": _user(slack, user_id), "team": {"id": slack.sandbox.team_id},
               "trigger_id": slack.sandbox.issue_trigger_id(user_id=user_id), "actions": [action],
               "container": {"type": "message", "message_ts": "1.0", "channel_id": channel},
               "channel": {"id": channel}, "message": {"ts": "1.0", "text": "", "blocks": []},
               "response_url": slack.sandbox.new_response_url(channel_id=channel, user_id=user_id, message_ts="1.0")}
    return ("payload=" + quote(json.dumps(payload))).encode()


def _modal(slack: SandboxedApp, user_id: str, callback_id: str, typed: dict[str, str], meta: str = "") -> bytes:
    values = {block: {block: {"type": "plain_text_input", "value": value}} for block, value in typed.items()}
    if callback_id == "session.log.submit":
        meta = meta or json.dumps({"pair_id": None, "session_id": None})
        values.update({"held_on": {"held_on": {"type": "datepicker", "selected_date": "2027-02-01"}},
                       "duration": {"duration": {"type": "plain_text_input", "value": "45"}}})
    view = {"id": "VPROBE", "type": "modal", "callback_id": callback_id, "private_metadata": meta,
            "state": {"values": values}, "blocks": []}
    payload = {"type": "view_submission", "user": _user(slack, user_id), "team": {"id": slack.sandbox.team_id},
               "trigger_id": slack.sandbox.issue_trigger_id(user_id=user_id), "view": view}
    return ("payload=" + quote(json.dumps(payload))).encode()
