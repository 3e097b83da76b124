"""Who may reach what: every command, button, modal and the workbook upload, from five
roles, against one programme's data (tests/support/two_programmes.py).

The roles: Carla coordinates Alpha (this programme); Bente coordinates Beta (another
programme); Mikkel and Esther are the pair aimed at; Otto is in another pair of Alpha; Ole
is in the workspace and in no programme. Each request carries Alpha's or the pair's real
ids (a session id of Mikkel and Esther, Esther's survey invitation, Esther's participant
id in a button or in a modal's private_metadata, Alpha's round named in a command), so
the same request from the right person does act; `test_the_matrix_covers_every_surface`
fails when a listener is registered (or a subcommand added to the command table) that the
matrix does not list.

For everyone else the test asserts on state and on what was sent:
- nothing of Alpha (for Bente and Ole) or of the pair (for anyone else) changed in the
  database (rows of the pair, of Mikkel and Esther, and everything referring to them);
- the person got a clear answer, and nothing the bot sent anyone during the request
  holds what they must not see (the pair's notes; Mikkel's and Esther's names and emails;
  Alpha's names); a refused click or form also calls Slack for no one else (no redraw,
  no modal, no message elsewhere).
The allowed person's run is the control: it changes Alpha's data or shows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.rounds.workbook import workbook_bytes
from bot.sandbox.driver import DriverResponse
from bot.sandbox.harness import SandboxedApp
from bot.slack.render.match_review import action_value
from bot.slack.render.nudges import checkin_ref
from bot.slack.render.onboarding import ConsentChoice, consent_value
from bot.slack.render.profile import profile_metadata
from bot.slack.render.sessions import log_metadata
from bot.slack.render.surveys import FormPlace, pulse_value, survey_metadata
from bot.slack.render.timeline import ATTENDANCE_ACTION_PREFIX, ATTENDANCE_BLOCK_PREFIX, attendance_metadata
from bot.surveys.service import PULSE_USEFUL
from storage.db import unit_of_work
from storage.models import Base, ConsentPurpose, MatchProposal
from tests.support.surfaces import Surface, registered_surfaces
from tests.support.two_programmes import (
    ALPHA_PROGRAMME,
    ALPHA_ROUND,
    NOTE,
    PEOPLE,
    TwoProgrammes,
    build_two_programmes,
    secrets_kept_from,
    user,
)
from tests.unit.test_roster_import import sample_workbook

ROLES = ("carla", "bente", "mikkel", "esther", "otto", "ole")
OUTSIDERS = ("bente", "ole")  # not in Alpha at all
#: Rows no request changes on its own: Slack event ids, the worker's lease, workspace status.
UNWATCHED = {"processed_event", "worker_lease", "workspace_status"}
#: What a refused click or form may call Slack for: an answer to the person who made it.
ANSWERING = {"chat.postMessage", "chat.postEphemeral", "users.info", "conversations.open", "views.publish"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Send = Callable[[SandboxedApp, TwoProgrammes, str], DriverResponse]


@dataclass(frozen=True)
class Probe:
    """One surface, how to aim it at Alpha as `user_id`, and who may."""

    surface: Surface
    send: Send
    allowed: frozenset[str]
    #: Allowed people need not be run; this one is, as the control (None: nothing of Alpha to show).
    control: str | None
    #: Names the request itself carries (a round typed in a command, a workbook's programme).
    typed: tuple[str, ...] = ()
    #: Tells apart two probes of one surface.
    variant: str = ""

    @property
    def name(self) -> str:
        return f"{self.surface.key} {self.variant}".strip()


# --- sending ----------------------------------------------------------------------------------------


def click(action_id: str, value: Callable[[TwoProgrammes, str], str], **extra: Any) -> Send:
    def send(slack: SandboxedApp, world: TwoProgrammes, user_id: str) -> DriverResponse:
        return slack.click(user_id, action_id, value=value(world, user_id),
                           channel_id=slack.sandbox.im_channel_for(user_id), **extra)
    return send


def submit(callback_id: str, values: Callable[[TwoProgrammes], dict[str, Any]],
           metadata: Callable[[TwoProgrammes, str], str] | None = None) -> Send:
    def send(slack: SandboxedApp, world: TwoProgrammes, user_id: str) -> DriverResponse:
        return slack.submit(user_id, callback_id, values(world),
                            private_metadata=metadata(world, user_id) if metadata else None)
    return send


def slash(command: str, text: str) -> Send:
    def send(slack: SandboxedApp, world: TwoProgrammes, user_id: str) -> DriverResponse:
        return slack.slash(user_id, command, text)
    return send


def upload(slack: SandboxedApp, world: TwoProgrammes, user_id: str) -> DriverResponse:
    """A workbook for a new round of Alpha, shared in the bot's DM."""
    workbook = sample_workbook()
    workbook = replace(workbook, programme=replace(workbook.programme, programme=ALPHA_PROGRAMME,
                                                   round="Alpharound autumn"))
    channel = slack.sandbox.im_channel_for(user_id)
    file = slack.sandbox.add_user_file(user_id=user_id, name="alpha.xlsx", content=workbook_bytes(workbook),
                                       mimetype=XLSX, channel=channel)
    shared = slack.sandbox.dm_messages(user_id)[-1]
    return slack.event({"type": "message", "subtype": "file_share", "text": "", "files": [file], "user": user_id,
                        "ts": shared["ts"], "channel": channel, "event_ts": shared["ts"], "channel_type": "im"})


def home(slack: SandboxedApp, world: TwoProgrammes, user_id: str) -> DriverResponse:
    return slack.event({"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home"})


def _radio(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


def outcome_values(world: TwoProgrammes) -> dict[str, Any]:
    return {"status": {"status": _radio("employed")},
            "started_on": {"started_on": {"type": "datepicker", "selected_date": "2027-01-20"}},
            "network": {"network": _radio("yes")},
            "consent": {"consent": {"type": "checkboxes", "selected_options": [{"value": "agreed"}]}}}


def company_values(world: TwoProgrammes) -> dict[str, Any]:
    return {"company_retention": {"company_retention": _radio("5")},
            "comment": {"comment": {"type": "plain_text_input", "value": "Good"}},
            "consent": {"consent": {"type": "checkboxes", "selected_options": [{"value": "agreed"}]}}}


def log_values(world: TwoProgrammes) -> dict[str, Any]:
    values = {"held_on": {"type": "datepicker", "selected_date": "2027-02-02"}, "duration": "45",
              "topics": {"type": "checkboxes", "selected_options": [{"text": {"type": "plain_text", "text": "cv"},
                                                                    "value": "cv"}]},
              "introductions": {"type": "number_input", "value": "0"}, "notes": "second talk"}
    return {block: {block: value if isinstance(value, dict) else {"type": "plain_text_input", "value": value}}
            for block, value in values.items()}


def profile_values(world: TwoProgrammes) -> dict[str, Any]:
    typed: dict[str, Any] = {"field": "Chemistry", "years": "6", "languages": "English", "interests": "running",
                             "goals": "A lab job", "availability": "Mondays",
                             "language": {"type": "static_select", "selected_option": {"value": "en"}},
                             "timezone": "Europe/Copenhagen"}
    return {block: {block: value if isinstance(value, dict) else {"type": "plain_text_input", "value": value}}
            for block, value in typed.items()}


def review_value(world: TwoProgrammes, _: str) -> str:
    return action_value(proposal_id=world.proposal, mentor_id=world.people["rasmus"],
                        mentee_id=world.people["rita"])


def digest_value(world: TwoProgrammes, _: str) -> str:
    return world.digest_value


# --- the matrix --------------------------------------------------------------------------------------

A, C, V, E = "action", "command", "view", "event"
PAIR, ESTHER, CARLA = frozenset({"mikkel", "esther"}), frozenset({"esther"}), frozenset({"carla"})
ALPHA_PEOPLE = frozenset({"mikkel", "esther", "otto"})
EVERYONE = frozenset(ROLES)

PROBES: tuple[Probe, ...] = (
    # Buttons.
    Probe(Surface(A, "profile.open"), click("profile.open", lambda w, u: str(w.people["esther"])), ESTHER, "esther"),
    Probe(Surface(A, r"^consent\."), click("consent.follow_up.yes", lambda w, u: consent_value(ConsentChoice(
        participant_id=w.people["esther"], purpose=ConsentPurpose.FOLLOW_UP, granted=True))), ESTHER, "esther"),
    Probe(Surface(A, r"^match\.(lock|unlock|forbid|page)\.|^match\.(allow|rerun)$"),
          click("match.lock.1.2", review_value), CARLA, "carla"),
    Probe(Surface(A, "match.publish"), click("match.publish", lambda w, u: action_value(
        proposal_id=w.proposal)), CARLA, "carla"),
    Probe(Surface(A, r"^session\.log\.open(\.[A-Za-z0-9_-]+)?$"),
          click("session.log.open", lambda w, u: str(w.pair)), PAIR, "mikkel"),
    Probe(Surface(A, r"^session\.confirm(\.\d+)?$"),
          click("session.confirm", lambda w, u: str(w.session)), PAIR, "esther"),
    Probe(Surface(A, r"^session\.edit(\.\d+)?$"), click("session.edit", lambda w, u: str(w.session)), PAIR, "mikkel"),
    Probe(Surface(A, r"^session\.delete(\.\d+)?$"),
          click("session.delete", lambda w, u: str(w.session)), PAIR, "mikkel"),
    Probe(Surface(A, r"^checkin\.(planned|not_yet|help)$"),
          click("checkin.not_yet", lambda w, u: checkin_ref(w.pair, date(2027, 2, 1))),
          PAIR, "esther"),
    Probe(Surface(A, r"^meeting\.rsvp\.(yes|no)$"), click("meeting.rsvp.no", lambda w, u: str(w.midway)),
          ALPHA_PEOPLE, "esther"),
    Probe(Surface(A, "outcome.open"), click("outcome.open", lambda w, u: str(w.people["esther"])), ESTHER, "esther"),
    Probe(Surface(A, r"^survey\.pulse\.[a-z_]+\.[0-9]+$"),
          click("survey.pulse.useful.4", lambda w, u: pulse_value(w.pulse_invitation, PULSE_USEFUL, 4)),
          ESTHER, "esther"),
    Probe(Surface(A, "survey.open"), click("survey.open", lambda w, u: str(w.midway_invitation)),
          ESTHER, "esther"),
    Probe(Surface(A, "survey.decline"), click("survey.decline", lambda w, u: str(w.midway_invitation)),
          ESTHER, "esther"),
    Probe(Surface(A, r"^digest\.handled\.\d+$"), click("digest.handled.1", digest_value), CARLA, "carla"),
    Probe(Surface(A, r"^privacy\.erase\.confirm$"),
          click("privacy.erase.confirm", lambda w, u: str(w.people["esther"])), CARLA, "carla"),
    # Modals, submitted with another's private_metadata (and, where it names who opened it, their own id).
    Probe(Surface(V, "profile.submit"),
          submit("profile.submit", profile_values, lambda w, u: profile_metadata(w.people["esther"])), ESTHER, "esther"),
    Probe(Surface(V, "session.log.submit"),
          submit("session.log.submit", log_values, lambda w, u: log_metadata(pair_id=w.pair, session_id=w.session)),
          PAIR, "mikkel"),
    Probe(Surface(V, "session.log.submit"),
          submit("session.log.submit", log_values, lambda w, u: log_metadata(pair_id=w.pair, session_id=None)),
          PAIR, "mikkel", variant="a new 1:1 in their pair"),
    Probe(Surface(V, "pairs.end.submit"), submit("pairs.end.submit", lambda w: {
        "pair": {"pair": {"type": "static_select", "selected_option": {"value": str(w.pair)}}},
        "reason": {"reason": {"type": "static_select", "selected_option": {"value": "other"}}}}), CARLA, "carla"),
    Probe(Surface(V, "meeting.attendance.submit"), submit("meeting.attendance.submit", lambda w: {
        f"{ATTENDANCE_BLOCK_PREFIX}1": {f"{ATTENDANCE_ACTION_PREFIX}1": {"type": "checkboxes", "selected_options": [
            {"text": {"type": "plain_text", "text": "x"}, "value": str(w.people["esther"])}]}}},
        lambda w, u: attendance_metadata(meeting_id=w.kick_off, people=[w.people["esther"], w.people["mikkel"]])),
        CARLA, "carla"),
    Probe(Surface(V, "outcome.submit"), submit("outcome.submit", outcome_values, lambda w, u: json.dumps(
        {"p": w.people["esther"], "src": "follow_up", "by": u})), ESTHER, "esther"),
    Probe(Surface(V, "outcome.admin.submit"), submit("outcome.admin.submit", outcome_values, lambda w, u: json.dumps(
        {"p": w.people["esther"], "src": "coordinator", "by": u})), CARLA, "carla"),
    Probe(Surface(V, "outcome.company.submit"), submit("outcome.company.submit", company_values,
                                                       lambda w, u: json.dumps({"p": w.people["kirsten"], "by": u})),
          CARLA, "carla"),
    Probe(Surface(V, "survey.submit"), submit("survey.submit", lambda w: {
        "survey.comment": {"survey.comment": {"type": "plain_text_input", "value": "Fine"}}},
        lambda w, u: survey_metadata(FormPlace(invitation_id=w.pulse_invitation))), ESTHER, "esther"),
    # Events a person sends by acting: opening the Home tab, sharing a workbook.
    Probe(Surface(E, "app_home_opened"), home, EVERYONE - {"bente", "ole", "otto"}, "carla"),
    Probe(Surface(E, "subtype=file_share,type=message"), upload, CARLA, "carla", typed=(ALPHA_PROGRAMME,)),
    # Slash commands, aimed at Alpha or the pair where they take a name.
    Probe(Surface(C, "/mentoring help"), slash("/mentoring", "help"), frozenset(), None),
    Probe(Surface(C, "/mentoring profile"), slash("/mentoring", "profile"), PAIR, "esther"),
    Probe(Surface(C, "/log-session"), slash("/log-session", "yesterday 1h CV review"), PAIR, "mikkel"),
    Probe(Surface(C, "/mentoring log"), slash("/mentoring", "log yesterday 1h CV review"), PAIR, "mikkel"),
    Probe(Surface(C, "/mentoring sessions"), slash("/mentoring", "sessions"), PAIR, "mikkel"),
    Probe(Surface(C, "/mentoring pause"), slash("/mentoring", "pause until 1 March"), PAIR, "mikkel"),
    Probe(Surface(C, "/mentoring resume"), slash("/mentoring", "resume"), PAIR, None),
    Probe(Surface(C, "/mentoring outcome"), slash("/mentoring", "outcome"), ESTHER, "esther"),
    Probe(Surface(C, "/mentoring my-data"), slash("/mentoring", "my-data"), PAIR, "mikkel"),
    Probe(Surface(C, "/mentoring-admin help"), slash("/mentoring-admin", "help"), frozenset(), None),
    Probe(Surface(C, "/mentoring-admin status"), slash("/mentoring-admin", "status"), CARLA, "carla"),
    Probe(Surface(C, "/mentoring-admin import"), slash("/mentoring-admin", "import"), frozenset(), None),
    Probe(Surface(C, "/mentoring-admin template"), slash("/mentoring-admin", "template"), frozenset(), None),
    Probe(Surface(C, "/mentoring-admin attendance"), slash("/mentoring-admin", "attendance Alpha kick-off"),
          CARLA, "carla"),
    Probe(Surface(C, "/mentoring-admin match"), slash("/mentoring-admin", f"match {ALPHA_ROUND}"),
          CARLA, "carla", typed=(ALPHA_ROUND,)),
    Probe(Surface(C, "/mentoring-admin end-pair"), slash("/mentoring-admin", "end-pair Esther"), CARLA, "carla"),
    Probe(Surface(C, "/mentoring-admin scoreboard"), slash("/mentoring-admin", f"scoreboard {ALPHA_ROUND}"),
          CARLA, "carla", typed=(ALPHA_ROUND,)),
    Probe(Surface(C, "/mentoring-admin report"), slash("/mentoring-admin", f"report {ALPHA_ROUND}"),
          CARLA, "carla", typed=(ALPHA_ROUND,)),
    Probe(Surface(C, "/mentoring-admin rematch"), slash("/mentoring-admin", "rematch Esther"), CARLA, "carla"),
    Probe(Surface(C, "/mentoring-admin outcome"), slash("/mentoring-admin", "outcome Esther"), CARLA, "carla"),
    Probe(Surface(C, "/mentoring-admin erase"), slash("/mentoring-admin", "erase Esther"), CARLA, "carla"),
    Probe(Surface(C, "/mentoring-admin erase"), slash("/mentoring-admin", "erase esther@alpha.example"), CARLA,
          "carla", typed=("esther@alpha.example",), variant="by email"),
    Probe(Surface(C, "/mentoring-admin outcome"), slash("/mentoring-admin", "outcome Kirsten"), CARLA, "carla",
          variant="a company contact"),
    Probe(Surface(C, "/mentoring-admin end-pair"), slash("/mentoring-admin", "end-pair Mikkel"), CARLA, "carla",
          variant="by the mentor"),
    Probe(Surface(C, "/mentoring-admin digest"), slash("/mentoring-admin", f"digest {ALPHA_ROUND}"),
          CARLA, "carla", typed=(ALPHA_ROUND,)),
)

#: Registrations no person uses to reach anyone's data, and why.
NOT_A_PERSONS_REQUEST = {
    Surface(E, "user_change"): "Slack telling us a person changed their own profile (their time zone)",
    Surface(E, "team_join"): "Slack telling us someone joined; links only the joiner's own email",
    Surface(E, "message"): "other DM messages: acknowledged, never answered (test_import_from_slack)",
    Surface(E, ".+"): "any other event: acknowledged only",
    Surface(E, "app_uninstalled"): "Slack telling us the app left the workspace: stops sending, names no one",
    Surface(E, "tokens_revoked"): "Slack telling us tokens were revoked: stops sending, names no one",
}


def test_the_matrix_covers_every_surface() -> None:
    listed = [probe.surface for probe in PROBES] + list(NOT_A_PERSONS_REQUEST)
    registered = list(registered_surfaces())
    assert sorted(set(registered) - set(listed), key=str) == [], "registered but not in the matrix"
    assert sorted(set(listed) - set(registered), key=str) == [], "in the matrix but not registered"
    assert len({probe.name for probe in PROBES}) == len(PROBES), "each probe has a name of its own"


# --- observing ---------------------------------------------------------------------------------------

Row = tuple[str, tuple[Any, ...]]


def snapshot(engine: Engine) -> dict[Row, dict[str, Any]]:
    """Every row of every watched table, keyed by (table, primary key)."""
    rows: dict[Row, dict[str, Any]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in UNWATCHED:
                continue
            keys = [column.name for column in table.primary_key.columns]
            for row in connection.execute(select(table)).mappings():
                rows[(table.name, tuple(row[key] for key in keys))] = dict(row)
    return rows


def protected(rows: dict[Row, dict[str, Any]], seeds: set[Row]) -> set[Row]:
    """The seeds and every row that refers to one of them, directly or through others."""
    references = {table.name: [(column.name, next(iter(column.foreign_keys)).column.table.name)
                               for column in table.columns if column.foreign_keys]
                  for table in Base.metadata.sorted_tables}
    found = set(seeds)
    grew = True
    while grew:
        grew = False
        for key, row in rows.items():
            if key in found:
                continue
            if any((target, (row[column],)) in found for column, target in references[key[0]]):
                found.add(key)
                grew = True
    return found


def alpha(world: TwoProgrammes) -> set[Row]:
    return {("programme", (world.alpha_programme,))}


def seeds_for(world: TwoProgrammes, key: str) -> set[Row]:
    if key in OUTSIDERS:
        return alpha(world)
    if key == "mikkel":  # Esther's own things
        return {("participant", (world.people["esther"],))}
    return {("pair", (world.pair,)), ("participant", (world.people["mikkel"],)),
            ("participant", (world.people["esther"],))}


@dataclass
class Seen:
    response: DriverResponse
    calls: list[tuple[str, dict[str, Any]]]
    answers: list[dict[str, Any]]
    changed: set[Row]

    @property
    def text(self) -> str:
        """All the bot said or drew during the request, as one string."""
        return json.dumps([self.response.body, self.calls, self.answers], ensure_ascii=False, default=str)


def run(slack: SandboxedApp, world: TwoProgrammes, probe: Probe, key: str, *, seeds: set[Row] | None = None) -> Seen:
    engine = slack.runtime.engine
    before = snapshot(engine)
    slack.sandbox.reset_calls()
    answered = len(slack.sandbox.response_posts)
    response = probe.send(slack, world, user(key))
    slack.settle()
    after = snapshot(engine)
    seeds = seeds if seeds is not None else seeds_for(world, key)
    watched = protected(before, seeds) | protected(after, seeds)
    changed = {row for row in watched if before.get(row) != after.get(row)}
    calls = [(call.method, call.args) for call in slack.sandbox.calls]
    answers = [body for _, body in slack.sandbox.response_posts[answered:]]
    return Seen(response=response, calls=calls, answers=answers, changed=changed)


def assert_refused(seen: Seen, *, probe: Probe, key: str, im_channel: str) -> None:
    where = f"{probe.surface.key} from {key}"
    assert seen.response.status == 200, where
    assert seen.changed == set(), f"{where} changed {sorted(seen.changed, key=str)[:5]}"
    # Echoing what they typed themselves ("no round called Alpharound 2027 among yours") tells them nothing.
    leaked = [secret for secret in secrets_kept_from(key) if secret in seen.text and secret not in probe.typed]
    assert leaked == [], f"{where} showed {leaked}: {seen.text[:600]}"
    said_to_them = bool(seen.answers) or bool(seen.response.body.strip()) or any(
        method in ("chat.postMessage", "chat.postEphemeral", "views.publish", "views.open") for method, _ in seen.calls)
    assert said_to_them, f"{where} got no answer"
    if probe.surface.kind in (A, V) or probe.surface.key.startswith("message"):
        for method, args in seen.calls:
            assert method in ANSWERING | {"files.info"}, f"{where} called {method}"
            target = args.get("channel") or args.get("user_id") or args.get("user")
            if method in ("chat.postMessage", "chat.postEphemeral", "views.publish"):
                assert target in (user(key), im_channel) or args.get("user") == user(key), f"{where}: {method} {args}"


def shows_alpha(seen: Seen) -> bool:
    """The control: the request reached Alpha's data (changed it, opened it, or showed it)."""
    names = [NOTE, ALPHA_ROUND, PEOPLE["esther"][1], PEOPLE["mikkel"][1]]
    return bool(seen.changed) or any(name in seen.text for name in names) or any(
        method in ("views.open", "files.completeUploadExternal") for method, _ in seen.calls)


def prepare(slack: SandboxedApp, world: TwoProgrammes, probe: Probe) -> None:
    """What a surface needs first: Carla's match review, and a live digest item."""
    key = probe.surface.key
    if "match" in key and probe.surface.kind == A:
        slack.slash("UCARLA", "/mentoring-admin", f"match {ALPHA_ROUND}")
        with unit_of_work(slack.runtime.session_factory) as session:
            proposal = session.scalar(select(MatchProposal.id).where(
                MatchProposal.round_id == world.alpha_round))
        assert proposal is not None
        world.proposal = proposal
    if key.startswith("^digest"):
        response = slack.slash("UCARLA", "/mentoring-admin", f"digest {ALPHA_ROUND}")
        posted = json.dumps([body for _, body in slack.sandbox.response_posts], ensure_ascii=False)
        marker = '"action_id": "digest.handled.'
        assert marker in posted, f"no Handled button in Carla's digest: {posted[:500]} {response.body}"
        start = posted.index('"value": "', posted.index(marker) - 400)
        world.digest_value = posted[start + 10:posted.index('"', start + 10)]


@pytest.mark.parametrize("probe", PROBES, ids=[probe.name for probe in PROBES])
def test_only_the_right_people_reach_alpha(slack: SandboxedApp, probe: Probe) -> None:
    world = build_two_programmes(slack)
    prepare(slack, world, probe)
    for key in ROLES:
        if key in probe.allowed:
            continue
        seen = run(slack, world, probe, key)
        assert_refused(seen, probe=probe, key=key, im_channel=slack.sandbox.im_channel_for(user(key)))
    if probe.control is not None:
        seen = run(slack, world, probe, probe.control, seeds=alpha(world))
        assert seen.response.status == 200
        assert shows_alpha(seen), f"the control {probe.control} did not reach Alpha: {seen.text[:800]}"


def test_a_check_in_refusal_names_the_pair_only_to_its_coordinators(slack: SandboxedApp) -> None:
    """Regression: the "only they can answer" refusal named the pair to whoever clicked,
    a coordinator of another programme or a stranger included. Now only a coordinator of
    the pair's round (who may sit in the pair channel) is told whose check-in it is."""
    world = build_two_programmes(slack)
    value = checkin_ref(world.pair, date(2027, 2, 1))
    said: dict[str, str] = {}
    for key in ("carla", "otto", "bente", "ole"):
        response = slack.click(user(key), "checkin.not_yet", value=value,
                               channel_id=slack.sandbox.im_channel_for(user(key)))
        (answer,) = [body for url, body in slack.sandbox.response_posts if (response.response_url or "").endswith(url)]
        said[key] = answer["text"]
    assert said["carla"] == "This check-in is for Mikkel Secretsen and Esther Hiddenova; only they can answer it."
    for key in ("otto", "bente", "ole"):
        assert said[key] == ("This check-in is for the pair it was posted to; only they can answer it, "
                             "so nothing was changed."), key
