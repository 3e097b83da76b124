"""Two workspaces and three programmes side by side, nothing leaking across (issue 13).

The real WSGI app in OAuth mode against the sandbox playing two Slack workspaces. A installs
the app through /slack/install and holds P1 and P2 (different coordinators, coordinator
channels, cadences and digest days); B installs and holds P3. Ana, Lars and Carla have the
same Slack ids, names and emails in both workspaces, and every round is called the same
(`tests.support.three_programmes`). Each programme is run as its people would: a workbook
uploaded in Slack (P3's through the CLI with --workspace), welcomes, consent and profiles,
a match reviewed and published, pair channels, 1:1s logged, three weeks of ticks (check-ins,
reminders, digests), a report, a personal-data export, and an erase in P2.

Then: every call each workspace's Slack saw used its own token and names only its people
and channels; each digest, report and export holds only its programme's (or person's)
rows; every outbox row names its programme's workspace; P1's coordinator aiming at P2 or
P3 is refused with nothing changed; and B's uninstall stops only B's sending.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine, func, select

from bot.cli import main as cli_main
from bot.clock import FixedClock
from bot.sandbox.harness import (
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    OAUTH_STATE_SECRET,
    SIGNING_SECRET,
    SandboxedApp,
)
from bot.slack.render.privacy import ERASE_ACTION_ID
from storage.db import unit_of_work
from storage.models import (
    Checkin,
    MatchConstraint,
    MatchProposal,
    MentoringSession,
    OutboxMessage,
    OutboxState,
    Pair,
    Participant,
    Programme,
    Role,
    Round,
)
from tests.support.oauth import install
from tests.support.three_programmes import (
    ADMIN,
    ADMINS,
    P1,
    P2,
    P3,
    PROGRAMMES,
    TEAM_A,
    TEAM_B,
    Side,
    find_element,
    leaks,
    profile_values,
    text_of,
    workbook_text,
)
from tests.support.three_programmes import (
    Programme as Prog,
)

UTC = timezone.utc
START = datetime(2027, 2, 2, 15, 0, tzinfo=UTC)  # Tuesday 16:00 in Copenhagen: daytime for everyone


@pytest.fixture
def app(engine: Engine, scenario_clock: FixedClock) -> Iterator[SandboxedApp]:
    with SandboxedApp(engine=engine, clock=scenario_clock, oauth=True, admin_user_ids=ADMINS) as sandboxed:
        yield sandboxed


def _people_and_channels(side: Side, programmes: tuple[Prog, ...]) -> None:
    side.slack.add_user(user_id=ADMIN, name="boss", real_name="Boss", email=f"boss@{side.team.lower()}.example")
    added: set[str] = {ADMIN}
    for programme in programmes:
        for person in programme.everyone:
            if person.user_id not in added:
                side.slack.add_user(user_id=person.user_id, name=person.name.split()[0].lower(),
                                    real_name=person.name, email=person.email)
                added.add(person.user_id)
        side.channels[programme.channel] = side.slack.add_channel(
            name=programme.channel, is_private=True,
            members=(side.slack.bot_user_id, programme.coordinator.user_id))["id"]


def _import_p3_with_the_cli(monkeypatch: pytest.MonkeyPatch, app: SandboxedApp, database_url: str,
                            tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The operator imports P3 for workspace B. P1's workbook aimed at B (a dry run) would be
    a programme of B's own: names are per workspace, so nothing of A's is found or named."""
    for name, value in {"DATABASE_URL": database_url, "SLACK_CLIENT_ID": OAUTH_CLIENT_ID,
                        "SLACK_CLIENT_SECRET": OAUTH_CLIENT_SECRET, "SLACK_STATE_SECRET": OAUTH_STATE_SECRET,
                        "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_BASE_URL": app.sandbox.base_url}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    trespass, own = tmp_path / "p1.xlsx", tmp_path / "p3.xlsx"
    trespass.write_bytes(P1.workbook())
    own.write_bytes(P3.workbook())
    capsys.readouterr()
    assert cli_main(["import", str(trespass), "--workspace", TEAM_B, "--dry-run"]) == 0
    checked = capsys.readouterr().out
    assert "Participants: 5 new, 0 updated" in checked and "workspace" not in checked.casefold(), checked
    assert cli_main(["import", str(own), "--workspace", TEAM_B]) == 0
    assert "Imported Nordic Mentoring / Spring 2027" in capsys.readouterr().out


def _onboard(side: Side, programmes: tuple[Prog, ...]) -> None:
    """Every mentor and mentee consents and fills in the profile from each welcome they got."""
    people = {person.user_id: person for programme in programmes for person in programme.people}
    for user_id, person in people.items():
        count = sum(1 for programme in programmes if person in programme.people)
        assert len(side.welcomes(user_id)) == count, (side.team, user_id, side.welcomes(user_id))
        im = side.slack.im_channel_for(user_id)
        for welcome in [message["ts"] for message in side.welcomes(user_id)]:
            for action_id in ("consent.coordination.yes", "consent.evaluation.yes", "consent.follow_up.no",
                              "profile.open"):
                found = side.slack.find_message(welcome, channel=im)
                assert found is not None
                side.click_in(user_id, found[1], action_id, channel=im)
            modal = side.slack.opened_views[-1]
            assert modal["callback_id"] == "profile.submit"
            side.submit(user_id, "profile.submit", profile_values(person.role, field_name=person.field),
                        view_id=modal["id"])


def _match_and_publish(side: Side, programme: Prog) -> dict[str, str]:
    """The coordinator asks for a proposal and publishes it; returns the review's buttons' values."""
    coordinator = programme.coordinator.user_id
    side.slash(coordinator, "/mentoring-admin", "match")
    review = side.last_ephemeral(coordinator)
    assert leaks(text_of(review), allowed=(programme.key,)) == []
    values = {action: find_element(review, action)[1]["value"] for action in ("match.publish", "match.rerun")}
    side.click(coordinator, "match.publish", value=values["match.publish"], message=review["ts"])
    assert "Published 2 pairs" in side.last_ephemeral(coordinator)["text"], (programme.key, review["text"])
    return values


def _pairs(app: SandboxedApp, programme: Prog) -> set[tuple[str, str]]:
    with unit_of_work(app.runtime.session_factory) as session:
        rows = session.scalars(select(Pair).join(Round).join(Programme).where(Programme.name == programme.name,
                                                                                Pair.published_at.is_not(None)))
        return {(str(row.mentor.slack_user_id), str(row.mentee.slack_user_id)) for row in rows}


def _pair_channel(app: SandboxedApp, programme: Prog, mentee: str) -> str:
    with unit_of_work(app.runtime.session_factory) as session:
        rows = session.scalars(select(Pair).join(Round).join(Programme).where(Programme.name == programme.name))
        return next(str(row.slack_channel_id) for row in rows if row.mentee.slack_user_id == mentee)


def test_two_workspaces_and_three_programmes_run_side_by_side_without_leaking(
    app: SandboxedApp, monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a = Side(app, app.sandbox, app.driver)
    beta = app.sandbox.add_workspace(team_id=TEAM_B, team_name="Beta")
    b = Side(app, beta, app.driver_for(beta))
    sides = {TEAM_A: a, TEAM_B: b}
    _people_and_channels(a, (P1, P2))
    _people_and_channels(b, (P3,))
    app.clock.set(START)

    # --- both workspaces install the app --------------------------------------------------------
    for side in (a, b):
        assert install(app, team_id=side.team, user_id=ADMIN).callback.status == 200

    # --- imports: P1 and P2 uploaded in A's Slack, P3 by the operator's CLI for B ----------------
    assert "Imported Career Mentoring / Spring 2027." in a.upload(ADMIN, content=P1.workbook())
    assert "Imported Women in Tech / Spring 2027." in a.upload(ADMIN, content=P2.workbook())
    _import_p3_with_the_cli(monkeypatch, app, database_url, tmp_path, capsys)
    with unit_of_work(app.runtime.session_factory) as session:
        teams = dict(session.execute(select(Programme.name, Programme.team_id)).all())
    assert teams == {P1.name: TEAM_A, P2.name: TEAM_A, P3.name: TEAM_B}

    # --- welcomes, consent, profiles -----------------------------------------------------------
    app.tick_and_deliver(now=START)
    app.tick_and_deliver(now=START + timedelta(minutes=1))  # the people found are welcomed
    _onboard(a, (P1, P2))
    _onboard(b, (P3,))
    with unit_of_work(app.runtime.session_factory) as session:
        found = session.execute(select(Participant.email, Participant.slack_user_id, Programme.team_id)
                                .join(Round, Round.id == Participant.round_id)
                                .join(Programme, Programme.id == Round.programme_id)).all()
    assert all(slack_id is not None for _, slack_id, _ in found)

    # --- each coordinator matches and publishes; the tick opens the pair channels --------------
    reviews = {programme.key: _match_and_publish(sides[programme.team], programme) for programme in PROGRAMMES}
    for programme in PROGRAMMES:
        assert _pairs(app, programme) == programme.pairs, programme.key
    app.tick_and_deliver(now=START + timedelta(minutes=30))
    for programme in PROGRAMMES:
        side = sides[programme.team]
        for mentor, mentee in programme.pairs:
            channel = side.slack.get_channel(_pair_channel(app, programme, mentee))
            assert channel is not None and {mentor, mentee} <= set(channel["members"]), (programme.key, channel)

    # --- 1:1s logged in the pair channels ------------------------------------------------------
    for programme in PROGRAMMES:
        side = sides[programme.team]
        for mentor, mentee in sorted(programme.pairs):
            notes = programme.note if mentor in ("ULARS", "USOFIE") else f"{programme.key} networking"
            answer = side.answer_text(side.slash(mentee, "/log-session", f"yesterday 45m {notes}",
                                                 channel_id=_pair_channel(app, programme, mentee)))
            assert "Logged your 1:1 session" in answer and leaks(answer, allowed=(programme.key,)) == []
    with unit_of_work(app.runtime.session_factory) as session:
        assert session.scalar(select(func.count(MentoringSession.id))) == 6

    # --- three weeks of ticks: check-ins, meeting reminders, the weekly digests ----------------
    # Each tick with the clock frozen at its moment (freezegun for whatever reads the wall
    # clock, the app's own clock set to the same instant).
    for day in range(1, 22):
        moment = START.replace(hour=9, minute=30) + timedelta(days=day)
        with freeze_time(moment, tick=True):
            app.tick_and_deliver(now=moment)
    for programme in PROGRAMMES:
        side = sides[programme.team]
        digests = [text_of(message) for message in side.slack.messages_in(side.channels[programme.channel])
                   if str(message.get("text", "")).startswith("Weekly digest")]
        assert len(digests) >= 3, (programme.key, len(digests))
        for digest in digests:
            assert leaks(digest, allowed=(programme.key,)) == [], (programme.key, digest)
        for person in programme.people:
            reminded = [text_of(m) for m in side.slack.dm_messages(person.user_id) if programme.meeting in text_of(m)]
            assert reminded, (programme.key, person.user_id)
    _assert_each_workspace_saw_only_its_own(a, b)
    with unit_of_work(app.runtime.session_factory) as session:
        checkins = session.execute(select(Programme.name, func.count(Checkin.id)).join(Round).join(Pair)
                                   .join(Checkin).group_by(Programme.name)).all()
    assert {name for name, count in checkins if count} == {P1.name, P2.name, P3.name}

    # --- reports: each coordinator's workbook holds its own programme only ---------------------
    for programme in PROGRAMMES:
        side = sides[programme.team]
        coordinator = programme.coordinator.user_id
        before = len(side.shared_files(coordinator))
        answer = side.answer_text(side.slash(coordinator, "/mentoring-admin", "report"))
        assert leaks(answer, allowed=(programme.key,)) == []
        [(name, content)] = side.shared_files(coordinator)[before:]
        assert name.endswith(".xlsx")
        cells = workbook_text(content)
        assert programme.name in cells and leaks(cells, allowed=(programme.key,)) == [], (programme.key, name)

    # --- what each coordinator and Ana see in Slack: status, scoreboard, digest, Home tab ---
    for programme in PROGRAMMES:
        side = sides[programme.team]
        for text in ("status", "scoreboard", "digest"):
            answer = side.answer_text(side.slash(programme.coordinator.user_id, "/mentoring-admin", text))
            assert answer and leaks(answer, allowed=(programme.key,)) == [], (programme.key, text, answer)
    for side, keys in ((a, ("p1",)), (b, ("p3",))):
        assert side.driver.app_home_opened(user_id="UANA").ok
        app.settle()
        home = side.slack.published_home("UANA")
        assert home is not None and leaks(json.dumps(home, ensure_ascii=False), allowed=keys) == [], side.team

    # --- personal data: Ana's export in each workspace holds that workspace's programmes -------
    for side, keys, own_notes in ((a, ("p1",), (P1.note,)), (b, ("p3",), (P3.note,))):
        side.slash("UANA", "/mentoring", "my-data")
        files = dict(side.shared_files("UANA")[-2:])
        document = next(content for name, content in files.items() if name.endswith(".json")).decode()
        workbook = workbook_text(next(content for name, content in files.items() if name.endswith(".xlsx")))
        for text in (document, workbook):
            assert leaks(text, allowed=keys) == [], (side.team, keys)
            assert all(note in text for note in own_notes), side.team
        rounds = [row["round"] for row in json.loads(document)["sections"]["participation"]]
        assert len(rounds) == 1, (side.team, rounds)  # her one programme in this workspace

    # --- Ana pauses in B: her P3 row pauses, her P1 row (the same id, name and email in A) does not
    answer = b.answer_text(b.slash("UANA", "/mentoring", "pause until 2027-03-20 exams"))
    assert leaks(answer, allowed=("p3",)) == [], answer
    with unit_of_work(app.runtime.session_factory) as session:
        paused = dict(session.execute(select(Programme.name, Participant.paused_until).join(
            Round, Round.id == Participant.round_id).join(Programme).where(Participant.slack_user_id == "UANA")).all())
    assert paused == {P1.name: None, P3.name: date(2027, 3, 20)}, paused
    b.slash("UANA", "/mentoring", "resume")

    # --- P1's coordinator aims at P2's and P3's rounds, people and buttons: refused, nothing changes
    _assert_each_workspace_saw_only_its_own(a, b)
    a.slack.reset_calls()
    state = _everything(app)
    carla_files = len(a.shared_files("UCARLA"))
    for text in (f"report {P2.name} / Spring 2027", f"report {P3.name} / Spring 2027",
                 f"match {P2.name} / Spring 2027", f"digest {P3.name} / Spring 2027",
                 f"scoreboard {P2.name} / Spring 2027", "erase Tove Toersen", "erase Trine Tredjesen",
                 "erase tove@p2.example", "end-pair Tove Toersen"):
        answer = a.answer_text(a.slash("UCARLA", "/mentoring-admin", text))
        typed = text.partition(" ")[2]  # what she typed may be repeated back; nothing more of P2 or P3
        said = answer.replace(typed, "").replace(P2.name, "").replace(P3.name, "")
        assert leaks(said, allowed=("p1",)) == [], (text, answer)
    im = a.slack.im_channel_for("UCARLA")
    rerun = a.click("UCARLA", "match.rerun", value=reviews["p2"]["match.rerun"], channel_id=im)
    assert leaks(a.answer_text(rerun), allowed=("p1",)) == []
    refused = a.upload("UCARLA", content=P2.workbook(), name="p2.xlsx")
    assert "Imported" not in refused and leaks(refused.replace(P2.name, ""), allowed=("p1",)) == []
    # (P3's workbook uploaded in A would make a programme of A's own: names are per workspace;
    # tests/scenario/test_workspace_scope.py shows B's programme untouched by it.)
    # The same ids in A (Ana and Lars of P1) click P3's session buttons and P2's: a session id
    # names a row of one workspace, and only its own pair may confirm or delete it.
    with unit_of_work(app.runtime.session_factory) as session:
        foreign = [(session_id, name) for session_id, name in session.execute(
            select(MentoringSession.id, Programme.name).join(Pair).join(Round).join(Programme)
            .where(Programme.name.in_([P2.name, P3.name])))]
    for session_id, _ in foreign:
        for user_id in ("UANA", "ULARS"):
            for action in ("session.confirm", "session.delete"):
                answer = a.answer_text(a.click(user_id, f"{action}.{session_id}", value=str(session_id),
                                               channel_id=a.slack.im_channel_for(user_id)))
                assert leaks(answer, allowed=("p1",)) == [], (action, answer)
    own = a.answer_text(a.slash("UANA", "/mentoring", "sessions"))
    assert P1.note in own and leaks(own, allowed=("p1",)) == [], own
    assert _everything(app) == state
    assert [name for name, _ in a.shared_files("UCARLA")[carla_files:]] == ["p2.xlsx"]  # her uploads only
    assert a.refused_calls() == []
    # What A's Slack was sent holds nothing of P3 but the name Carla typed herself.
    assert leaks(a.everything_sent().replace(P3.name, "").replace("Trine Tredjesen", ""),
                 allowed=("p1", "p2")) == []
    a.slack.reset_calls()

    # In B, Ana asks for help on a check-in: P3's coordinators (a channel called as P1's) are to
    # hear her name, queued, while the Ana Souzas of P2 and P1 are erased in A. So does P1's Ana
    # in A: P2's Ana Souza is someone else, and her erasure must not take that either.
    for side, programme in ((b, P3), (a, P1)):
        _ask_for_help(side, _pair_channel(app, programme, "UANA"), "UANA")
    b_rows = _outbox_of(app, TEAM_B)
    assert any(row[4] == P3.channel and row[1] is OutboxState.PENDING and "Ana Souza" in json.dumps(row[3])
               for row in b_rows)
    p1_help = [row for row in _outbox_of(app, TEAM_A) if row[4] == P1.channel and row[1] is OutboxState.PENDING
               and "Ana Souza" in json.dumps(row[3])]
    assert p1_help

    # --- P2's coordinator erases P2's Ana Souza: only that row goes ----------------------------
    a.slash("UMETTE", "/mentoring-admin", "erase Ana Souza")
    confirm = a.last_ephemeral("UMETTE")
    assert P2.name in text_of(confirm) and leaks(text_of(confirm), allowed=("p2",)) == []
    a.click("UMETTE", ERASE_ACTION_ID, value=find_element(confirm, ERASE_ACTION_ID)[1]["value"],
            message=confirm["ts"])
    assert a.last_ephemeral("UMETTE")["text"].startswith("Erased: ")
    with unit_of_work(app.runtime.session_factory) as session:
        anas = session.execute(select(Programme.name, Participant.name, Participant.email, Participant.slack_user_id,
                                      Participant.erased_at).join(Round, Round.id == Participant.round_id)
                               .join(Programme).where(Participant.role == Role.MENTEE)
                               .where(Participant.id.in_(select(Participant.id).where(
                                   Participant.slack_user_id.in_(["UANA", "UANA2"]))) |
                                   Participant.erased_at.is_not(None))).all()
    by_programme = {row[0]: row for row in anas}
    assert by_programme[P2.name][4] is not None and by_programme[P2.name][3] != "UANA2"
    for programme in (P1, P3):
        assert by_programme[programme.name][1:] == ("Ana Souza", "ana@example.org", "UANA", None)
    assert _outbox_of(app, TEAM_B) == b_rows  # nothing stored for B's Ana Souza was touched
    assert [row for row in _outbox_of(app, TEAM_A) if row[0] in {help_row[0] for help_row in p1_help}] == p1_help

    # --- Carla erases Ana in P1: A's row of her goes; B's Ana (same id, name, email, and P3's
    # coordinator channel called as P1's) keeps her row and every message stored for B.
    a.slash("UCARLA", "/mentoring-admin", "erase Ana Souza")
    confirm = a.last_ephemeral("UCARLA")
    assert P1.name in text_of(confirm) and leaks(text_of(confirm), allowed=("p1",)) == []
    a.click("UCARLA", ERASE_ACTION_ID, value=find_element(confirm, ERASE_ACTION_ID)[1]["value"],
            message=confirm["ts"])
    assert a.last_ephemeral("UCARLA")["text"].startswith("Erased: ")
    assert _outbox_of(app, TEAM_B) == b_rows
    with unit_of_work(app.runtime.session_factory) as session:
        kept = session.execute(select(Programme.name, Participant.name, Participant.email, Participant.slack_user_id,
                                      Participant.erased_at).join(Round, Round.id == Participant.round_id)
                               .join(Programme).where(Participant.role == Role.MENTEE,
                                                      Participant.email == "ana@example.org")).all()
    assert [tuple(row) for row in kept] == [(P3.name, "Ana Souza", "ana@example.org", "UANA", None)]
    app.deliver()
    told = [text_of(m) for m in b.slack.messages_in(b.channels[P3.channel]) if "asked for help" in text_of(m)]
    assert len(told) == 1 and "Ana Souza" in told[0]

    # --- every outbox row names its programme's workspace --------------------------------------
    _assert_outbox_rows_name_their_workspace(app)

    _assert_each_workspace_saw_only_its_own(a, b)

    # --- B uninstalls: B's sending stops, A's messages still go --------------------------------
    b.slack.revoke_token()
    b.driver.event({"type": "app_uninstalled"})
    app.settle()
    a.slack.reset_calls()
    b.slack.reset_calls()
    monday = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)  # P1's and P3's digests are due
    with freeze_time(monday, tick=True):
        app.tick_and_deliver(now=monday)
    b.driver.slash_command(user_id="UCARLA", command="/mentoring-admin", text="report")  # not installed: nobody answers
    app.settle()
    assert b.slack.calls == []
    assert [m for m in a.slack.messages_in(a.channels[P1.channel]) if "2027-W09" in json.dumps(m)
            or str(m.get("text", "")).startswith("Weekly digest")]
    assert a.slack.calls_to("chat.postMessage")
    with unit_of_work(app.runtime.session_factory) as session:
        parked = session.execute(select(OutboxMessage.state, OutboxMessage.attempts)
                                 .where(OutboxMessage.team_id == TEAM_B, OutboxMessage.created_at >= monday)).all()
    assert parked and all(row == (OutboxState.PENDING, 0) for row in parked)


def _assert_each_workspace_saw_only_its_own(a: Side, b: Side) -> None:
    """Every call a workspace's Slack recorded came with its token (the sandbox answers a
    call in the workspace its token belongs to; none was refused for its token or for naming
    someone or a channel that workspace lacks) and names nothing of the other's programmes."""
    for side, keys in ((a, ("p1", "p2")), (b, ("p3",))):
        assert side.refused_calls() == [], side.team
        assert leaks(side.everything_sent(), allowed=keys) == [], side.team


def _ask_for_help(side: Side, pair_channel: str, user_id: str) -> None:
    """"We'd like help" on the pair's newest check-in: the coordinators are told through the outbox."""
    checkin = next(message for message in reversed(side.slack.messages_in(pair_channel))
                   if "checkin.help" in json.dumps(message))
    block_id, element = find_element(checkin, "checkin.help")
    side.click(user_id, "checkin.help", value=element.get("value"), block_id=block_id, message=checkin["ts"],
               channel_id=pair_channel)


def _outbox_of(app: SandboxedApp, team: str) -> list[tuple[object, ...]]:
    with unit_of_work(app.runtime.session_factory) as session:
        return [tuple(row) for row in session.execute(
            select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.trimmed_at, OutboxMessage.payload,
                   OutboxMessage.target).where(OutboxMessage.team_id == team).order_by(OutboxMessage.id))]


def _everything(app: SandboxedApp) -> list[tuple[object, ...]]:
    """The rows a refused request must leave alone, as plain tuples."""
    models = (Programme, Round, Participant, Pair, MentoringSession, MatchProposal, MatchConstraint, OutboxMessage)
    with unit_of_work(app.runtime.session_factory) as session:
        return [(model.__tablename__, *[getattr(row, column.key) for column in model.__table__.columns])
                for model in models for row in session.scalars(select(model).order_by(model.id))]


_ID = re.compile(r"\b(participant|pair|round|proposal|p)=(\d+)")  # survey keys name their person as p=


def _assert_outbox_rows_name_their_workspace(app: SandboxedApp) -> None:
    """Each row's team is the team of the programme its key points into."""
    with unit_of_work(app.runtime.session_factory) as session:
        team_of_round = dict(session.execute(select(Round.id, Programme.team_id).join(Programme)).all())
        round_of = {
            "participant": dict(session.execute(select(Participant.id, Participant.round_id)).all()),
            "p": dict(session.execute(select(Participant.id, Participant.round_id)).all()),
            "pair": dict(session.execute(select(Pair.id, Pair.round_id)).all()),
            "round": {round_id: round_id for round_id in team_of_round},
            "proposal": dict(session.execute(select(MatchProposal.id, MatchProposal.round_id)).all()),
        }
        rows = session.execute(select(OutboxMessage.dedup_key, OutboxMessage.team_id)).all()
    assert rows
    unplaced = []
    for key, team in rows:
        assert team in (TEAM_A, TEAM_B), (key, team)
        found = [(kind, int(number)) for kind, number in _ID.findall(key) if kind in round_of]
        if not found:
            unplaced.append(key)
            continue
        kind, number = found[0]
        assert team_of_round[round_of[kind][number]] == team, (key, team)
    assert unplaced == [], unplaced
