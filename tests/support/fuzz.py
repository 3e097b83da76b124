"""Every input the bot takes from Slack, generated from what the code registers and draws.

Shared by the fuzz test (tests/scenario/test_fuzz_every_input.py) and its benchmark
(benchmarks/bench_fuzz.py), so both send the very same requests.

What is fuzzed is read from the code, not typed by hand where the code can say it:
- the slash commands and subcommands from the command table (`bot.core.commands.COMMANDS`);
- the action ids, view callback ids and event types from the registrations themselves
  (`registrations()` runs every `register` function against a recorder), checked against
  the examples below by `uncovered()`, so a new listener without fuzzing fails a test;
- realistic values from what the bot really drew: a seeded world (two rounds of two
  programmes with pairs, sessions, check-ins, meetings and surveys, and a third round ready
  to match) is ticked and delivered, commands and buttons open the modals, and every
  button, select, datepicker and modal the fake Slack received is harvested with its
  value, block id, private_metadata and inputs (`Corpus`).
The strategies then mix those well-formed requests with hostile text, other people's ids,
tampered metadata, missing, extra and wrongly typed fields, so handlers are reached deep,
not only at their first refusal.

Requests go through the WSGI application the server runs (`SlackHttpApp`: our refusals,
Bolt's signature check, the middleware, the listener), called in-process with a signed
body, which is what waitress would hand it, minus the socket.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import strategies as st
from sqlalchemy import select

from bot.core.commands import COMMANDS
from bot.sandbox._blocks import validate_view
from bot.sandbox.harness import SIGNING_SECRET, SandboxedApp
from bot.slack.web import EVENTS_PATH, SlackHttpApp
from storage.db import unit_of_work
from storage.models import (
    Checkin,
    MentoringSession,
    Pair,
    Participant,
    Programme,
    Role,
    Round,
    SharedMeeting,
    SurveyInvitation,
)
from tests.match_factories import make_ready, make_round_in
from tests.support.digest_round import DIGEST_NOW, build_digest_round
from tests.support.survey_round import seed_round

JSON = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
UTC = timezone.utc

# ------------------------------------------------------------------------------------------------
# What the code registers


@dataclass(frozen=True)
class Registration:
    kind: str  # "command", "action", "view", "event", or whatever else `app.<kind>(...)` was called
    constraint: Any  # a string, a compiled pattern, or an event's {"type", "subtype"} dict


class _Recorder:
    """Stands in for Bolt's App in the `register` functions and keeps what each registers."""

    def __init__(self) -> None:
        self.registrations: list[Registration] = []

    def __getattr__(self, kind: str) -> Callable[..., Any]:
        if kind.startswith("_"):
            raise AttributeError(kind)

        def register(constraint: Any = None, *_args: Any, **_kwargs: Any) -> Callable[[Any], Any]:
            self.registrations.append(Registration(kind=kind, constraint=constraint))
            return lambda listener: listener

        return register


def registrations() -> list[Registration]:
    """Every listener registration of the app, as `handlers.register_all` makes them."""
    from handlers import actions, commands, events, views

    recorder = _Recorder()
    for surface in (commands, actions, views, events):
        surface.register(recorder)
    return recorder.registrations


def _matches(constraint: Any, value: str) -> bool:
    """Bolt's rule: a string is compared whole, a pattern is searched."""
    if isinstance(constraint, re.Pattern):
        return constraint.search(value) is not None
    return bool(constraint == value)


def _event_matches(constraint: Any, event: JSON) -> bool:
    if isinstance(constraint, dict):
        return all(_matches(expected, str(event.get(key))) for key, expected in constraint.items())
    return _matches(constraint, str(event.get("type")))


# Examples per surface the fuzzing always knows, whatever the seeded world happened to draw.
# A new registration must add one (see `uncovered`); values come from the corpus or the mutations.
ACTION_EXAMPLES: tuple[str, ...] = (
    "profile.open",
    "consent.coordination.yes", "consent.coordination.no", "consent.evaluation.yes", "consent.evaluation.no",
    "consent.follow_up.yes", "consent.follow_up.no", "consent.nonsense.yes", "consent.",
    "match.lock.1.2", "match.unlock.1.2", "match.forbid.1.2", "match.page.previous", "match.page.next",
    "match.allow", "match.rerun", "match.publish", "match.lock.x",
    "session.log.open", "session.log.open.1", "session.confirm.1", "session.edit.1", "session.delete.1",
    "session.delete.99999999999999999999", "session.confirm.x",
    "checkin.planned", "checkin.not_yet", "checkin.help",
    "meeting.rsvp.yes", "meeting.rsvp.no", "meeting.rsvp.maybe",
    "outcome.open",
    "survey.pulse.useful.5", "survey.pulse.confidence.1", "survey.pulse.x.99", "survey.open", "survey.decline",
    "digest.handled.0", "digest.handled.7", "privacy.erase.confirm",
    "nobody.listens", "",
)
VIEW_EXAMPLES: tuple[str, ...] = (
    "profile.submit", "session.log.submit", "pairs.end.submit", "meeting.attendance.submit", "outcome.submit",
    "outcome.admin.submit", "outcome.company.submit", "survey.submit", "outcome.submit.done", "nobody.listens",
)
#: Subscribed events, events Slack may send though nobody listens, and message subtypes.
EVENT_TYPES: tuple[str, ...] = (
    "app_home_opened", "user_change", "team_join", "message", "app_uninstalled", "tokens_revoked",
    "member_joined_channel", "member_left_channel", "channel_archive", "channel_deleted", "group_left",
    "reaction_added", "app_mention", "file_shared", "im_history_changed", "nonsense_event",
)
MESSAGE_SUBTYPES: tuple[str | None, ...] = (
    None, "file_share", "bot_message", "message_changed", "message_deleted", "channel_join", "thread_broadcast",
    "me_message", "nonsense",
)
#: What `registrations()` may hold besides these four; a new kind (a shortcut, options) fails `uncovered`.
FUZZED_KINDS = frozenset({"command", "action", "view", "event"})


def uncovered() -> list[str]:
    """Registrations no fuzzed request can reach: empty when the fuzzing covers the app."""
    problems: list[str] = []
    commands = {info.command for info in COMMANDS}
    events = [{"type": kind} for kind in EVENT_TYPES]
    events += [{"type": "message", "subtype": subtype, "channel_type": "im"} for subtype in MESSAGE_SUBTYPES if subtype]
    for registration in registrations():
        kind, constraint = registration.kind, registration.constraint
        if kind not in FUZZED_KINDS:
            problems.append(f"app.{kind}({constraint!r}) is a kind of listener the fuzzing does not send")
        elif kind == "command" and not any(_matches(constraint, command) for command in commands):
            problems.append(f"command {constraint!r} is not in the command table the fuzzing reads")
        elif kind == "action" and not any(_matches(constraint, action) for action in ACTION_EXAMPLES):
            problems.append(f"action {constraint!r}: add an example action_id to ACTION_EXAMPLES")
        elif kind == "view" and not any(_matches(constraint, view) for view in VIEW_EXAMPLES):
            problems.append(f"view {constraint!r}: add its callback_id to VIEW_EXAMPLES")
        elif kind == "event" and not any(_event_matches(constraint, event) for event in events):
            problems.append(f"event {constraint!r}: add its type to EVENT_TYPES (or subtype to MESSAGE_SUBTYPES)")
    return problems


# ------------------------------------------------------------------------------------------------
# The world and what the bot drew in it


@dataclass
class Element:
    """One interactive element the bot drew, where it was drawn and for whom."""

    action_id: str
    type: str
    block_id: str
    value: str | None
    options: list[JSON]
    channel: str | None  # a message's channel; None for a view
    ts: str | None
    view: JSON | None  # the view (home or modal) it sits in
    user: str | None  # whom it was drawn for, when known


@dataclass
class Form:
    """One modal the bot opened: what a submission of it carries."""

    callback_id: str
    private_metadata: str
    inputs: list[tuple[str, JSON]]  # (block_id, element)
    user: str | None
    view: JSON


@dataclass
class Corpus:
    elements: list[Element] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    users: list[str] = field(default_factory=list)  # everyone: participants, coordinators, strangers
    coordinators: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # pair channels, coordinator channels
    names: list[str] = field(default_factory=list)  # people's and rounds' names, emails
    ids: list[int] = field(default_factory=list)  # ids of rows of every kind (someone else's, often)
    files: list[str] = field(default_factory=list)  # files in the fake Slack (a workbook, junk)
    metadata: list[str] = field(default_factory=list)


STRANGER = "USTRANGER"  # in Slack, in no round
GHOST = "UGHOST"  # not even in Slack
MATCHER = "UMATCHER"  # coordinates the round still to be matched
FUZZ_NOW = datetime(2027, 3, 25, 9, 30, tzinfo=UTC)  # a Thursday in the rounds, the midway survey open


def seed_world(slack: SandboxedApp) -> Corpus:
    """Two rounds of two programmes (the scripted survey round, the digest round) and a round
    ready to match, everyone in the fake Slack; ticked at the moments things are asked."""
    corpus = Corpus()
    with unit_of_work(slack.runtime.session_factory) as session:
        survey_world = seed_round(session)
        # The digest round's programme has the same name: the first one takes another.
        session.get_one(Programme, survey_world.programme_id).name = "Career Mentoring <!here> København"
        session.flush()
        build_digest_round(session)
        third = make_round_in(session, programme_name="Career Mentoring <!channel> Odense", name="Autumn *2027*")
        for number in range(1, 4):
            make_ready(session, round_=third, role=Role.MENTOR, email=f"mentor{number}@example.org",
                       name=f"Mentor <@U{number}> {number}", interests=["it", "finance"], field="IT")
            make_ready(session, round_=third, role=Role.MENTEE, email=f"mentee{number}@example.org",
                       name=f"Mentee {number} <https://x.example|click>", interests=["it"], field="IT")
        session.add(Participant(round=third, role=Role.COORDINATOR, email="matcher@example.org", name="Matcher",
                                slack_user_id=MATCHER, language="da", created_at=DIGEST_NOW, updated_at=DIGEST_NOW))
        session.flush()
        people = session.scalars(select(Participant)).all()
        pairs = session.scalars(select(Pair)).all()
        for person in people:
            if person.slack_user_id and slack.sandbox.get_user(person.slack_user_id) is None:
                slack.sandbox.add_user(user_id=person.slack_user_id, name=person.slack_user_id.lower(),
                                       real_name=person.name, email=person.email, tz=person.timezone or "UTC")
            corpus.names += [person.name, person.email]
            if person.role is Role.COORDINATOR and person.slack_user_id:
                corpus.coordinators.append(person.slack_user_id)
        corpus.names += list(session.scalars(select(Round.name)))
        for pair in pairs:
            members = [p.slack_user_id for p in people if p.id in (pair.mentor_id, pair.mentee_id) and p.slack_user_id]
            if pair.slack_channel_id and slack.sandbox.get_channel(pair.slack_channel_id) is None:
                slack.sandbox.add_channel(name=f"mentoring-pair-{pair.id}", is_private=True,
                                          channel_id=pair.slack_channel_id,
                                          members=[slack.sandbox.bot_user_id, *members])
                corpus.channels.append(pair.slack_channel_id)
    slack.sandbox.add_user(user_id=STRANGER, name="stranger", email="stranger@example.org")
    for name, channel_id in (("mentoring-coordinators", None), ("digest-coordinators", "CCOORD")):
        made = slack.sandbox.add_channel(name=name, channel_id=channel_id,
                                         members=[slack.sandbox.bot_user_id, *corpus.coordinators])
        corpus.channels.append(str(made["id"]))
    corpus.users = sorted({*(p for p in _slack_users(slack)), STRANGER, GHOST})
    workbook = slack.sandbox.add_user_file(user_id=MATCHER, name="round.xlsx", content=b"PK\x03\x04 not a workbook",
                                           mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    junk = slack.sandbox.add_user_file(user_id=MATCHER, name="notes.txt", content=b"\x00\xff" * 50)
    corpus.files = [str(workbook["id"]), str(junk["id"])]
    _play(slack, corpus)
    _harvest(slack, corpus)
    with unit_of_work(slack.runtime.session_factory) as session:
        for model in (Participant, Pair, MentoringSession, SharedMeeting, SurveyInvitation, Checkin, Round):
            corpus.ids += list(session.scalars(select(model.id)))
    corpus.ids = sorted(set(corpus.ids))
    slack.clock.set(FUZZ_NOW)
    slack.sandbox.reset_calls()
    return corpus


def _slack_users(slack: SandboxedApp) -> list[str]:
    with unit_of_work(slack.runtime.session_factory) as session:
        return [user for user in session.scalars(select(Participant.slack_user_id)) if user]


def _play(slack: SandboxedApp, corpus: Corpus) -> None:
    """Ticks at the moments things are asked, then each command once per kind of person and
    each button once by the person it was drawn for, so the modals get opened too."""
    for now in (datetime(2027, 2, 22, 9, 30, tzinfo=UTC), DIGEST_NOW, datetime(2027, 3, 17, 9, 30, tzinfo=UTC),
                datetime(2027, 3, 23, 9, 30, tzinfo=UTC), FUZZ_NOW, datetime(2027, 11, 22, 9, 30, tzinfo=UTC)):
        slack.tick_and_deliver(now=now)
    slack.clock.set(datetime(2027, 5, 25, 9, 30, tzinfo=UTC))  # the company survey is open
    slack.slash(corpus.coordinators[0], "/mentoring-admin", "outcome c4")
    slack.clock.set(FUZZ_NOW)
    participants = [user for user in corpus.users if user.startswith(("UE", "UM")) and user != MATCHER]
    for user in (*corpus.coordinators, *participants[:2]):
        slack.event({"type": "app_home_opened", "user": user, "channel": slack.sandbox.im_channel_for(user),
                     "tab": "home", "event_ts": "1.0"})
    for info in COMMANDS:
        for user in (corpus.coordinators[0], MATCHER, participants[0]):
            if info.command == "/mentoring-admin" and user == participants[0]:
                continue
            if info.subcommand == "report":
                continue  # an Excel workbook adds nothing the other commands do not reach
            slack.slash(user, info.command, info.subcommand or "")
    for user, text in ((corpus.coordinators[0], "end-pair E1"), (corpus.coordinators[0], "outcome c4"),
                       (corpus.coordinators[0], "outcome E2"), (corpus.coordinators[0], "attendance 1"),
                       (MATCHER, "match Autumn *2027*")):
        slack.slash(user, "/mentoring-admin", text)
    _harvest(slack, corpus)
    for element in list(corpus.elements):
        if element.type not in ("button",) or element.user is None or element.user == GHOST:
            continue
        if element.action_id.startswith(("match.publish", "digest.handled", "consent.", "survey.decline")):
            continue  # keep the round unpublished, the digest open and the consents as they are
        if element.channel is not None and element.ts is not None:
            with contextlib.suppress(ValueError):  # a message since deleted
                slack.driver.block_action(user_id=element.user, action_id=element.action_id, value=element.value,
                                          block_id=element.block_id, channel_id=element.channel, message=element.ts)
        elif element.view is not None and element.view.get("type") == "home":
            slack.driver.block_action(user_id=element.user, action_id=element.action_id, value=element.value,
                                      block_id=element.block_id, view=element.view)
        slack.settle()
    _harvest(slack, corpus)
    _submit_sensibly(slack, corpus, "session.log.submit")  # its confirmation carries confirm, edit, delete
    slack.deliver()
    _harvest(slack, corpus)


def _submit_sensibly(slack: SandboxedApp, corpus: Corpus, callback_id: str) -> None:
    """Submit the first harvested form of this kind as its owner would, with fitting values."""
    form = next((form for form in corpus.forms if form.callback_id == callback_id and form.user), None)
    if form is None or form.user is None:
        return
    values: JSON = {}
    for block_id, element in form.inputs:
        kind, options = element.get("type"), _options(element)
        if kind == "datepicker":
            value: Any = {"type": kind, "selected_date": "2027-03-24"}
        elif kind in ("static_select", "radio_buttons") and options:
            value = {"type": kind, "selected_option": options[0]}
        elif kind == "checkboxes" and options:
            value = {"type": kind, "selected_options": options[:1]}
        elif kind == "number_input":
            value = {"type": kind, "value": "1"}
        else:
            value = "60"
        values[block_id] = {str(element.get("action_id", block_id)): value}
    response = slack.submit(form.user, callback_id, values, view_id=str(form.view.get("id")))
    assert response.status == 200 and "errors" not in response.body, (callback_id, response.body)


def _walk_elements(blocks: Any) -> Iterator[tuple[str, JSON]]:
    """(block_id, element) for every element with an action_id in these blocks."""
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        candidates = [*(block.get("elements") or []), block.get("accessory"), block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id"):
                yield block_id, element


def _options(element: JSON) -> list[JSON]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return [option for option in options if isinstance(option, dict)]


def _harvest(slack: SandboxedApp, corpus: Corpus) -> None:
    seen = {(e.action_id, e.value, e.channel, e.ts) for e in corpus.elements}
    forms_seen = {(f.callback_id, f.private_metadata) for f in corpus.forms}

    def add(block_id: str, element: JSON, *, channel: str | None, ts: str | None, view: JSON | None,
            user: str | None) -> None:
        key = (str(element["action_id"]), element.get("value"), channel, ts)
        if key in seen:
            return
        seen.add(key)
        corpus.elements.append(Element(
            action_id=str(element["action_id"]), type=str(element.get("type", "button")), block_id=block_id,
            value=element.get("value"), options=_options(element), channel=channel, ts=ts, view=view, user=user))

    for call in slack.sandbox.calls:
        args = call.args
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral") and call.ok:
            channel = str(args.get("channel", ""))
            user = args.get("user") or _dm_owner(slack, channel)
            ts = str(call.response.get("ts") or args.get("ts") or "") or None
            for block_id, element in _walk_elements(args.get("blocks")):
                add(block_id, element, channel=call.response.get("channel") or channel,
                    ts=None if call.method == "chat.postEphemeral" else ts, view=None, user=user)
        elif call.method in ("views.open", "views.push", "views.update", "views.publish") and call.ok:
            view = call.response.get("view") or args.get("view")
            if not isinstance(view, dict):
                continue
            # Whose modal: the fake Slack knows from the trigger it was opened with.
            user = args.get("user_id") or slack.sandbox._view_owner.get(str(view.get("id")))
            for block_id, element in _walk_elements(view.get("blocks")):
                add(block_id, element, channel=None, ts=None, view=view, user=user)
            callback = str(view.get("callback_id") or "")
            metadata = str(view.get("private_metadata") or "")
            if view.get("type") == "modal" and callback and (callback, metadata) not in forms_seen:
                forms_seen.add((callback, metadata))
                inputs = [(str(block.get("block_id")), block["element"]) for block in view.get("blocks") or []
                          if isinstance(block, dict) and block.get("type") == "input"
                          and isinstance(block.get("element"), dict)]
                corpus.forms.append(Form(callback_id=callback, private_metadata=metadata, inputs=inputs,
                                         user=user, view=view))
                corpus.metadata.append(metadata)
    for _url, body in slack.sandbox.response_posts:
        for block_id, element in _walk_elements(body.get("blocks")):
            add(block_id, element, channel=None, ts=None, view=None, user=None)


def _dm_owner(slack: SandboxedApp, channel: str) -> str | None:
    if channel.startswith("U"):
        return channel  # a DM is posted to the person's id
    found = slack.sandbox.get_channel(channel)
    if found and found.get("is_im"):
        return str(found.get("user"))
    return None


# ------------------------------------------------------------------------------------------------
# Hostile values

HOSTILE_TEXT: tuple[str, ...] = (
    "", " ", "\t\n", "<!channel>", "<!here>", "<!everyone>", "<!subteam^S123|@team>", "<@UE1>", "<@UCOORD|coord>",
    "<#CP1>", "<https://evil.example|click me>", "<mailto:a@b.c|x>", "*bold* _it_ ~s~ `code` ```block```",
    "&lt;!channel&gt;", "&amp;", "'; DROP TABLE participant; --", "1 OR 1=1", "%s %d {0} {name}", "\\x00",
    "\x00", "\x1b[31m", "\u202e\u0644\u0627", "\ufeff", "\u200b", "\ud7ff", "🙂" * 40, "ß" * 3, "İ", "Ǆ",
    "x" * 3001, "a" * 20000, "\n" * 500, "today", "yesterday", "tomorrow", "i går", "i dag", "i morgen",
    "2027-02-30", "2027-13-01", "0000-00-00", "9999-12-31", "31/12", "31.12.2027", "1. marts", "15 March",
    "March 15th", "until 1 March", "til 1. marts", "-1", "0", "1e999", "NaN", "inf", "²", "١٢", "99999999999999999999",
    "45m", "1h", "2 t", "90 min", "0m", "1h 30", "-45m", "e1", "m1", "c4", "UE1", "Spring 2027", "Autumn *2027*",
    "help", "status", "null", "true", "[]", "{}", '{"a": 1}',
)
hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=10),
)
wrong_types: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True), st.booleans(),
    st.lists(st.integers(), max_size=2), st.just({}), st.just({"value": "1"}),
)


def _drop(obj: JSON, key: str) -> JSON:
    return {k: v for k, v in obj.items() if k != key}


# ------------------------------------------------------------------------------------------------
# The requests


@dataclass(frozen=True)
class Request:
    body: bytes
    content_type: str
    kind: str  # "command", "action", "view", "event", "raw"
    described: str
    user: str | None = None
    view_id: str | None = None
    submitted_view: JSON | None = None  # the modal submitted, as Slack holds it (before any tampering)


class Strategies:
    """The hypothesis strategies of every surface, over one seeded world's corpus."""

    def __init__(self, slack: SandboxedApp, corpus: Corpus) -> None:
        self.slack = slack
        self.corpus = corpus
        self.team = slack.sandbox.team_id
        self._event_ids = itertools.count(1)
        ids = corpus.ids or [1]
        self.ids = st.one_of(st.sampled_from(ids), st.integers(-3, 10**6), st.just(2**63), st.just(10**20))
        self.people = st.sampled_from(corpus.users)
        self.text = st.one_of(hostile_text, st.sampled_from(corpus.names or ["x"]), self.ids.map(str))
        words = st.lists(self.text, min_size=0, max_size=4).map(" ".join)
        self.words = words

    # --- shared parts ----------------------------------------------------------------------------------

    def _channel(self, draw: st.DrawFn, user: str) -> str:
        return draw(st.sampled_from([self._dm(user), *self.corpus.channels, "CNOWHERE", "D0NONE"]))

    def _dm(self, user: str) -> str:
        return "D0GHOST" if user == GHOST else self.slack.sandbox.im_channel_for(user)

    def _user_json(self, user: str) -> JSON:
        return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": self.team}

    def _perhaps_tamper(self, draw: st.DrawFn, payload: JSON, keys: tuple[str, ...]) -> JSON:
        """Now and then: a field left out, one of the wrong type, or one Slack never sends."""
        choice = draw(st.integers(0, 9))
        if choice == 0:
            return _drop(payload, draw(st.sampled_from(keys)))
        if choice == 1:
            return {**payload, draw(st.sampled_from(keys)): draw(wrong_types)}
        if choice == 2:
            return {**payload, draw(st.sampled_from(["extra", "enterprise", "is_enterprise_install", "state"])):
                    draw(st.one_of(wrong_types, self.text))}
        return payload

    def _trigger_and_url(self, user: str, channel: str | None, ts: str | None = None) -> tuple[str, str]:
        return (self.slack.sandbox.issue_trigger_id(user_id=user),
                self.slack.sandbox.new_response_url(channel_id=channel, user_id=user, message_ts=ts))

    # --- slash commands --------------------------------------------------------------------------------

    def commands(self) -> st.SearchStrategy[Request]:
        @st.composite
        def build(draw: st.DrawFn) -> Request:
            info = draw(st.sampled_from(COMMANDS))
            user = draw(st.one_of(self.people, st.sampled_from(self.corpus.coordinators)))
            shape = draw(st.integers(0, 5))
            if shape == 0:
                text = draw(self.words)  # a typo, or free text where a subcommand was expected
            elif shape == 1:
                text = f"{(info.subcommand or '').upper()}  {draw(self.words)}"
            else:
                text = " ".join(part for part in (info.subcommand, draw(self.words)) if part)
            if info.subcommand == "report" and draw(st.integers(0, 3)) > 0:
                text = "help"  # the Excel report costs ~100 ms a case: fuzz its arguments now and then only
            channel = self._channel(draw, user)
            trigger, url = self._trigger_and_url(user, channel)
            form: JSON = {"token": "t", "team_id": self.team, "team_domain": "sandbox", "channel_id": channel,
                          "channel_name": "directmessage", "user_id": user, "user_name": user.lower(),
                          "command": info.command, "text": text, "api_app_id": "A0SANDBOX",
                          "is_enterprise_install": "false", "response_url": url, "trigger_id": trigger}
            form = self._perhaps_tamper(draw, form, ("text", "channel_id", "response_url", "trigger_id", "team_id"))
            form = {key: value if isinstance(value, str) else json.dumps(value) for key, value in form.items()}
            return Request(body=urlencode(form).encode(), content_type=FORM, kind="command", user=user,
                           described=f"{info.command} {text[:200]!r} by {user} in {channel}")

        return build()

    # --- block actions -------------------------------------------------------------------------------

    def actions(self) -> st.SearchStrategy[Request]:
        elements = self.corpus.elements

        @st.composite
        def build(draw: st.DrawFn) -> Request:
            harvested = bool(elements) and draw(st.integers(0, 4)) > 0
            if harvested:
                element = draw(st.sampled_from(elements))
                action_id, kind, block_id, value = element.action_id, element.type, element.block_id, element.value
                owner = element.user
            else:
                element = None
                action_id = draw(st.sampled_from(ACTION_EXAMPLES))
                if draw(st.integers(0, 4)) == 0:
                    action_id += draw(hostile_text)[:5]
                kind = draw(st.sampled_from(["button", "datepicker", "static_select", "checkboxes", "radio_buttons"]))
                block_id, value, owner = draw(self.text), None, None
            user = owner if owner and draw(st.integers(0, 2)) == 0 else draw(self.people)
            value = self._value(draw, value, element)
            action: JSON = {"action_id": action_id, "block_id": block_id, "type": kind, "action_ts": "1.0"}
            if kind == "datepicker":
                action["selected_date"] = draw(st.one_of(st.sampled_from(["2027-03-25", "2027-04-01", "2026-01-01"]),
                                                         self.text, wrong_types))
                action["initial_date"] = "2027-03-25"
            elif kind in ("static_select", "radio_buttons", "overflow"):
                options = element.options if element else []
                chosen = draw(st.one_of(st.sampled_from(options), st.just({"value": value}), wrong_types)
                              if options else st.one_of(st.just({"value": value}), wrong_types))
                action["selected_option"] = chosen
            elif kind == "checkboxes":
                options = element.options if element else []
                action["selected_options"] = draw(st.lists(st.sampled_from(options), max_size=3)) if options else []
            elif kind == "users_select":
                action["selected_user"] = draw(self.people)
            if value is not None or draw(st.booleans()):
                action["value"] = value
            if draw(st.integers(0, 9)) == 0:
                action = _drop(action, draw(st.sampled_from(["value", "block_id", "type", "action_ts"])))
            payload: JSON = {"type": "block_actions", "user": self._user_json(user), "api_app_id": "A0SANDBOX",
                             "token": "t", "team": {"id": self.team, "domain": "sandbox"}, "enterprise": None,
                             "is_enterprise_install": False, "actions": [action]}
            view = element.view if element else None
            if view is None and draw(st.integers(0, 5)) == 0:
                view = draw(st.sampled_from([f.view for f in self.corpus.forms])) if self.corpus.forms else None
            if view is not None:
                view = dict(view)
                if view.get("type") == "modal" and draw(st.booleans()):
                    view["private_metadata"] = self._metadata(draw, str(view.get("private_metadata") or ""))
                view["state"] = {"values": {}} if draw(st.booleans()) else self._state(draw, view)[0]
                trigger, _ = self._trigger_and_url(user, None)
                payload.update(container={"type": "view", "view_id": view.get("id", "V0")}, view=view,
                               trigger_id=trigger)
            else:
                channel = element.channel if element and element.channel and draw(st.integers(0, 3)) > 0 else (
                    self._channel(draw, user))
                ts = (element.ts if element else None) or "1.0"
                trigger, url = self._trigger_and_url(user, channel, ts)
                message = {"type": "message", "ts": ts, "text": "", "blocks": []}
                if element and element.ts:
                    found = self.slack.sandbox.find_message(element.ts, channel=element.channel)
                    if found is not None:
                        message = found[1]
                payload.update(container={"type": "message", "message_ts": ts, "channel_id": channel,
                                          "is_ephemeral": element is not None and element.ts is None},
                               channel={"id": channel, "name": "directmessage"}, message=message,
                               response_url=url, trigger_id=trigger, state={"values": {}})
            payload = self._perhaps_tamper(draw, payload, ("trigger_id", "response_url", "container", "channel",
                                                           "message", "team", "view"))
            return Request(body=("payload=" + quote(json.dumps(payload))).encode(), content_type=FORM, kind="action",
                           user=user, described=f"{json.dumps(action)[:300]} by {user}")

        return build()

    def _value(self, draw: st.DrawFn, value: str | None, element: Element | None) -> Any:
        """A button's value as drawn, someone else's, edited, or nonsense."""
        choice = draw(st.integers(0, 7))
        if choice <= 2 and value is not None:
            return value
        if choice == 3 and element is not None:
            same = [e.value for e in self.corpus.elements if e.action_id == element.action_id and e.value]
            return draw(st.sampled_from(same)) if same else value
        if choice == 4 and value:
            return _retarget(value, draw(self.ids))
        if choice == 5:
            return draw(st.one_of(st.none(), wrong_types))
        return draw(self.text)

    def _metadata(self, draw: st.DrawFn, metadata: str) -> str:
        choice = draw(st.integers(0, 5))
        if choice == 0 and self.corpus.metadata:
            return draw(st.sampled_from(self.corpus.metadata))  # another modal's, perhaps another person's
        if choice == 1:
            return _retarget(metadata, draw(self.ids))
        if choice == 2:
            return metadata[: max(0, len(metadata) - draw(st.integers(1, 5)))]  # cut short
        if choice == 3:
            return json.dumps(draw(st.dictionaries(st.sampled_from(
                ["participant_id", "pair_id", "session_id", "meeting", "people", "mode", "round_id", "invitation_id",
                 "kind", "survey_id", "contact_id"]), st.one_of(self.ids, wrong_types, self.text), max_size=4)))
        if choice == 4:
            return draw(self.text)
        return metadata

    def _state(self, draw: st.DrawFn, view: JSON) -> tuple[JSON, list[str]]:
        """A view state for these inputs: fitting values, odd ones, blocks missing or added."""
        inputs = [(str(block.get("block_id")), block["element"]) for block in view.get("blocks") or []
                  if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("element"), dict)]
        values: JSON = {}
        for block_id, element in inputs:
            if draw(st.integers(0, 9)) == 0:
                continue  # a block Slack left out (an optional input nobody touched)
            action_id = str(element.get("action_id", block_id))
            values[block_id] = {action_id: self._input_value(draw, element)}
        # Slack sends state only for the view's input blocks, so no block is ever added.
        return {"values": values}, [block_id for block_id, _ in inputs]

    def _input_value(self, draw: st.DrawFn, element: JSON) -> JSON:
        kind = str(element.get("type", "plain_text_input"))
        odd = draw(st.integers(0, 5)) == 0
        result: JSON = {"type": kind}
        if kind in ("static_select", "radio_buttons", "external_select"):
            options = _options(element)
            result["selected_option"] = (draw(st.one_of(wrong_types, st.just({"value": draw(self.text)})))
                                         if odd or not options else draw(st.sampled_from(options)))
        elif kind in ("checkboxes", "multi_static_select"):
            options = _options(element)
            result["selected_options"] = (draw(st.one_of(wrong_types, st.just([{"value": draw(self.text)}])))
                                          if odd or not options else draw(st.lists(st.sampled_from(options),
                                                                                   max_size=len(options))))
        elif kind == "datepicker":
            result["selected_date"] = draw(st.one_of(
                st.sampled_from(["2027-03-20", "2027-03-25", "2027-02-01", "2026-12-31", "2028-01-01", "2027-02-30"]),
                self.text, wrong_types) if odd else st.sampled_from(["2027-03-20", "2027-03-24", "2027-03-01"]))
        elif kind == "number_input":
            result["value"] = draw(st.one_of(self.text, wrong_types) if odd else st.sampled_from(
                ["0", "1", "2", "3", "5", "45", "60", "90", "-1", "1.5", "100000"]))
        elif kind == "users_select":
            result["selected_user"] = draw(self.people) if not odd else draw(wrong_types)
        elif kind == "multi_users_select":
            result["selected_users"] = draw(st.lists(self.people, max_size=4)) if not odd else draw(wrong_types)
        elif kind == "timepicker":
            result["selected_time"] = draw(st.one_of(st.sampled_from(["10:00", "25:61"]), self.text))
        else:
            result["value"] = draw(st.one_of(st.none(), wrong_types) if odd else self.text)
        return result

    # --- modal submissions ---------------------------------------------------------------------------

    def views(self) -> st.SearchStrategy[Request]:
        forms = self.corpus.forms

        @st.composite
        def build(draw: st.DrawFn) -> Request:
            if forms and draw(st.integers(0, 5)) > 0:
                form = draw(st.sampled_from(forms))
                view = dict(form.view)
                callback_id, metadata, owner = form.callback_id, form.private_metadata, form.user
            else:
                callback_id = draw(st.sampled_from(VIEW_EXAMPLES))
                view = {"id": "VFUZZ", "type": "modal", "callback_id": callback_id, "blocks": []}
                metadata, owner = draw(st.sampled_from(self.corpus.metadata or [""])), None
            user = owner if owner and draw(st.integers(0, 2)) > 0 else draw(self.people)
            view.setdefault("id", "VFUZZ")
            view["callback_id"] = callback_id
            view["private_metadata"] = self._metadata(draw, metadata)
            state, _blocks = self._state(draw, view)
            view["state"] = {} if draw(st.integers(0, 9)) == 0 else state
            shown = view  # the modal as Slack holds it: what an errors answer must name blocks of
            view = self._perhaps_tamper(draw, view, ("private_metadata", "blocks", "hash", "title"))
            kind = "view_closed" if draw(st.integers(0, 9)) == 0 else "view_submission"
            trigger, _ = self._trigger_and_url(user, None)
            payload: JSON = {"type": kind, "user": self._user_json(user), "api_app_id": "A0SANDBOX", "token": "t",
                             "team": {"id": self.team, "domain": "sandbox"}, "trigger_id": trigger, "view": view,
                             "response_urls": [], "is_cleared": False}
            payload = self._perhaps_tamper(draw, payload, ("trigger_id", "response_urls", "team", "api_app_id"))
            return Request(body=("payload=" + quote(json.dumps(payload))).encode(), content_type=FORM, kind="view",
                           user=user, view_id=str(view.get("id")), submitted_view=shown if kind == "view_submission"
                           else None, described=f"{kind} {callback_id} by {user}: {json.dumps(view)[:400]}")

        return build()

    # --- events ----------------------------------------------------------------------------------------

    def events(self) -> st.SearchStrategy[Request]:
        @st.composite
        def build(draw: st.DrawFn) -> Request:
            kind = draw(st.sampled_from(EVENT_TYPES))
            user = draw(st.sampled_from([u for u in self.corpus.users if u != GHOST]))
            channel = self._channel(draw, user)
            event: JSON = {"type": kind, "user": user, "channel": channel, "event_ts": "1.0", "ts": "1.0"}
            if kind == "app_home_opened":
                event["tab"] = draw(st.sampled_from(["home", "messages", "about", ""]))
            elif kind in ("user_change", "team_join"):
                event["user"] = self._slack_user(draw, user)
            elif kind == "message":
                subtype = draw(st.sampled_from(MESSAGE_SUBTYPES))
                event.update(text=draw(self.words), channel_type=draw(st.sampled_from(["im", "channel", "group",
                                                                                      "mpim"])))
                if subtype:
                    event["subtype"] = subtype
                if subtype == "file_share":
                    event["files"] = draw(st.lists(st.one_of(
                        st.sampled_from(self.corpus.files).map(lambda f: {"id": f}),
                        st.fixed_dictionaries({"id": st.sampled_from(["FNONE", "", *self.corpus.files])}, optional={
                            "name": st.sampled_from(["round.xlsx", "cv.pdf", "x", ""]), "filetype": self.text,
                            "size": st.one_of(st.integers(), self.text), "url_private_download": self.text}),
                        wrong_types), max_size=2))
                if subtype == "bot_message":
                    event["bot_id"] = "B0SANDBOX"
            elif kind == "tokens_revoked":
                event = {"type": kind, "tokens": draw(st.one_of(st.just({"bot": ["U0BOT"]}), wrong_types))}
            event = self._perhaps_tamper(draw, event, ("user", "channel", "type", "ts", "tab", "channel_type"))
            if "type" not in event:
                event["type"] = kind  # an event without a type is refused before any listener: the odd-payload test
            envelope: JSON = {"token": "t", "team_id": self.team, "api_app_id": "A0SANDBOX", "type": "event_callback",
                              "event_id": f"Ev0FUZZ{next(self._event_ids)}", "event_time": 1, "event": event,
                              "authorizations": [{"team_id": self.team, "user_id": "U0BOT", "is_bot": True,
                                                  "enterprise_id": None, "is_enterprise_install": False}]}
            envelope = self._perhaps_tamper(draw, envelope, ("authorizations", "event_time", "team_id", "api_app_id"))
            return Request(body=json.dumps(envelope).encode(), content_type=JSON_TYPE, kind="event", user=user,
                           described=f"event {json.dumps(event)[:400]}")

        return build()

    def _slack_user(self, draw: st.DrawFn, user: str) -> Any:
        if draw(st.integers(0, 9)) == 0:
            return draw(wrong_types)
        known = self.slack.sandbox.get_user(user) or {"id": user, "profile": {}}
        profile = dict(known.get("profile") or {})
        for key in ("email", "real_name", "display_name"):
            choice = draw(st.integers(0, 4))
            if choice == 0:
                profile.pop(key, None)
            elif choice == 1:
                profile[key] = draw(st.one_of(self.text, wrong_types))
        result = {**known, "profile": profile if draw(st.integers(0, 9)) else draw(wrong_types),
                  "deleted": draw(st.one_of(st.booleans(), wrong_types)), "is_bot": draw(st.booleans()),
                  "tz": draw(st.one_of(st.sampled_from(["Europe/Copenhagen", "Mars/Olympus", ""]), self.text))}
        return result

    # --- everything ------------------------------------------------------------------------------------

    def any_request(self) -> st.SearchStrategy[Request]:
        return st.one_of(self.commands(), self.actions(), self.views(), self.events())


def _retarget(text: str, new_id: int) -> str:
    """The same value with its numbers pointing at another row (someone else's, often)."""
    return re.sub(r"\d+", str(new_id), text, count=1) if re.search(r"\d", text) else f"{text}{new_id}"


# ------------------------------------------------------------------------------------------------
# Sending, and judging the answer


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    elapsed: float  # seconds from the request to Bolt's answer: what Slack's 3 seconds measure


class Caller:
    """Calls the server's WSGI application in-process with a signed request."""

    def __init__(self, slack: SandboxedApp) -> None:
        self.slack = slack
        self.app = SlackHttpApp(bolt_app=slack.runtime.bolt_app, engine=slack.runtime.engine)

    def send(self, body: bytes, *, content_type: str) -> Answer:
        stamp = str(int(time.time()))
        base = b"v0:" + stamp.encode() + b":" + body
        signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": EVENTS_PATH, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(), "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.version": (1, 0),
            "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp, "HTTP_X_SLACK_SIGNATURE": signature,
            "HTTP_USER_AGENT": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        got: list[str] = []
        started = time.perf_counter()
        chunks = self.app(environ, lambda status, headers, exc_info=None: got.append(status))
        payload = b"".join(chunks)
        elapsed = time.perf_counter() - started
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        return Answer(status=int(got[0].split()[0]), body=payload.decode("utf-8", errors="replace"), elapsed=elapsed)


def answer_problems(request: Request, answer: Answer) -> list[str]:
    """What Slack would not accept in this answer (empty when the answer is fine)."""
    if answer.status >= 500:
        return [f"answered {answer.status}: {answer.body[:200]!r}"]
    if answer.status != 200 or not answer.body:
        return []
    try:
        parsed = json.loads(answer.body)
    except ValueError:
        return [] if request.kind == "command" else [f"a body that is not JSON: {answer.body[:200]!r}"]
    if not isinstance(parsed, dict):
        return [f"a JSON body that is not an object: {answer.body[:200]!r}"]
    action = parsed.get("response_action")
    if action is None:
        return []
    if request.kind != "view":
        return [f"a response_action to a {request.kind}"]
    if action == "errors":
        errors = parsed.get("errors")
        if not isinstance(errors, dict) or not errors:
            return ["response_action errors without errors"]
        # The boxes Slack holds for the modal: its blocks, and its state's block ids (Slack's
        # state has one per input block; the fuzz may draw a state its blocks lack).
        submitted = request.submitted_view or {}
        blocks = {str(block.get("block_id")) for block in submitted.get("blocks") or [] if isinstance(block, dict)}
        state = submitted.get("state")
        values = state.get("values") if isinstance(state, dict) else None
        blocks |= {str(block_id) for block_id in values} if isinstance(values, dict) else set()
        unknown = sorted(set(errors) - blocks)
        return [f"errors for blocks the modal does not have: {unknown}"] if unknown else []
    if action in ("update", "push"):
        return validate_view(parsed.get("view"), allowed_types=frozenset({"modal"}))
    if action == "clear":
        return []
    return [f"unknown response_action {action!r}"]


class Failures(logging.Handler):
    """Errors logged while a request is handled: a listener that raised (Bolt logs it and
    carries on), a middleware that failed, anything logged with a traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            detail = f": {record.exc_info[1]!r}" if record.exc_info else ""
            with self._lock:
                self.records.append(f"{record.name}: {record.getMessage()[:300]}{detail}")

    def take(self) -> list[str]:
        with self._lock:
            taken, self.records = self.records, []
        return taken


@contextmanager
def watching_failures() -> Iterator[Failures]:
    """Capture failures from every logger, and exceptions escaping any thread."""
    handler = Failures()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(min(previous_level or logging.WARNING, logging.WARNING))
    previous_hook = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        handler.records.append(f"thread {args.thread.name if args.thread else '?'}: {args.exc_value!r}")

    threading.excepthook = hook
    try:
        yield handler
    finally:
        threading.excepthook = previous_hook
        root.removeHandler(handler)
        root.setLevel(previous_level)


@dataclass
class Latencies:
    """Answer times per surface, for the figures (never asserted on: the machine varies)."""

    by_kind: dict[str, list[float]] = field(default_factory=dict)
    slowest: list[tuple[float, str]] = field(default_factory=list)  # the five slowest answers, with their request

    def add(self, kind: str, seconds: float, described: str = "") -> None:
        self.by_kind.setdefault(kind, []).append(seconds)
        self.slowest = sorted([*self.slowest, (seconds, described[:160])], reverse=True)[:5]

    def summary(self) -> str:
        lines = []
        everything = sorted(s for values in self.by_kind.values() for s in values)
        for kind, values in [*sorted(self.by_kind.items()), ("all", everything)]:
            ordered = sorted(values)
            if not ordered:
                continue
            lines.append(f"{kind:8} n={len(ordered):6d}  p50={_ms(ordered, 0.50)}  p99={_ms(ordered, 0.99)}  "
                         f"max={ordered[-1] * 1000:8.1f} ms")
        lines += [f"  slow: {seconds * 1000:.0f} ms {described}" for seconds, described in self.slowest]
        return "\n".join(lines)


def _ms(ordered: list[float], quantile: float) -> str:
    index = min(len(ordered) - 1, int(quantile * len(ordered)))
    return f"{ordered[index] * 1000:8.1f} ms"


class Fuzzer:
    """One request at a time: sent, the listeners waited for, the answer and the log judged."""

    def __init__(self, slack: SandboxedApp, failures: Failures) -> None:
        self.slack = slack
        self.caller = Caller(slack)
        self.failures = failures
        self.latencies = Latencies()
        self.cases = 0
        self.reached = 0  # cases whose listener called Slack, or answered with a body

    def check(self, request: Request) -> list[str]:
        self.failures.take()
        calls_before = len(self.slack.sandbox.calls)
        answer = self.caller.send(request.body, content_type=request.content_type)
        self.latencies.add(request.kind, answer.elapsed, request.described)
        self.cases += 1
        problems = answer_problems(request, answer)
        try:
            self.slack.executor.wait_idle(timeout=30.0)
        except TimeoutError as exc:
            problems.append(f"a listener hung: {exc}")
        problems += self.failures.take()
        if answer.body or len(self.slack.sandbox.calls) > calls_before:
            self.reached += 1
        if self.cases % 500 == 0:
            self.slack.sandbox.reset_calls()  # the fake Slack's record of calls would only grow
        return problems


def fast_ack_polling() -> Any:
    """Bolt polls every 10 ms for the listener's ack (slack_bolt/listener/thread_runner.py),
    so every interaction takes at least 10 ms however quick the listener: a floor of 100 s
    for 10,000 cases. The fuzz test polls every 0.2 ms instead; nothing else changes. The
    benchmark measures with Bolt's own polling."""
    import types

    from slack_bolt.listener import thread_runner

    real = time

    def sleep(seconds: float) -> None:
        real.sleep(min(seconds, 0.0002))

    shim = types.SimpleNamespace(time=real.time, sleep=sleep, perf_counter=real.perf_counter)
    return thread_runner, "time", shim

