"""One workspace sees and changes nothing of another (issue 13), over the real HTTP app in
OAuth mode with two installed workspaces: Alpha (tests/support/two_programmes.py) in the
sandbox's own workspace, Beta in a second one.

The same Slack user id string is a coordinator in both (UCARLA coordinates Alpha here and,
as somebody else, Beta there): what each workspace's requests see is only its own
programme. An admin named `TEAM:USER` in MENTORBOT_ADMINS reaches every round of that
workspace and nothing of the other; a bare user id is an admin wherever they ask from, and
there only of that workspace. A workbook uploaded in one workspace makes a programme there
and cannot touch another workspace's programme, even by naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine, select

from bot.clock import FixedClock
from bot.rounds.workbook import workbook_bytes
from bot.sandbox.driver import DriverResponse, SlackDriver
from bot.sandbox.harness import SandboxedApp
from bot.sandbox.server import SlackSandbox
from bot.slack.render.match_review import action_value
from bot.slack.render.privacy import ERASE_ACTION_ID
from storage.db import unit_of_work
from storage.models import MatchProposal, Participant, Programme, Role, Round
from tests.support.oauth import install
from tests.support.two_programmes import (
    ALPHA_PROGRAMME,
    ALPHA_ROUND,
    BETA_PROGRAMME,
    BETA_ROUND,
    EPOCH,
    PEOPLE,
    TwoProgrammes,
    build_two_programmes,
)
from tests.unit.test_roster_import import sample_workbook

ALPHA_TEAM = "T0SANDBOX"  # the sandbox's own workspace
BETA_TEAM = "T0BETA"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: UALPHAADMIN is an admin of Alpha's workspace only; UROOT (a bare id) wherever they ask from.
ADMINS = (f"{ALPHA_TEAM}:UALPHAADMIN", "UROOT")
ALPHA_NAMES = (ALPHA_PROGRAMME, ALPHA_ROUND, PEOPLE["esther"][1], PEOPLE["mikkel"][1])
BETA_NAMES = (BETA_PROGRAMME, BETA_ROUND, PEOPLE["birthe"][1], PEOPLE["bjarne"][1])


@pytest.fixture
def app(engine: Engine, scenario_clock: FixedClock) -> Iterator[SandboxedApp]:
    with SandboxedApp(engine=engine, clock=scenario_clock, oauth=True, admin_user_ids=ADMINS) as sandboxed:
        yield sandboxed


@pytest.fixture
def world(app: SandboxedApp) -> TwoProgrammes:
    built = build_two_programmes(app, beta_team=BETA_TEAM)
    beta = app.sandbox.workspace(BETA_TEAM)
    for where in (app.sandbox, beta):
        for user_id in ("UCARLA", "UALPHAADMIN", "UROOT"):
            if where is beta or user_id != "UCARLA":
                where.add_user(user_id=user_id, name=user_id[1:].lower(), real_name=user_id[1:].title(),
                               email=f"{user_id[1:].lower()}@{where.team_id.lower()}.example")
    install(app, team_id=ALPHA_TEAM, user_id="UCARLA")
    install(app, team_id=BETA_TEAM, user_id="UBENTE")
    with unit_of_work(app.runtime.session_factory) as session:
        # Somebody else in Beta's workspace with Carla's user id string, coordinating Beta.
        session.add(Participant(round_id=built.beta_round, role=Role.COORDINATOR, email="carla@beta.example",
                                name="Beta's Carla", slack_user_id="UCARLA", language="en", created_at=EPOCH,
                                updated_at=EPOCH))
    app.sandbox.reset_calls()
    beta.reset_calls()
    return built


def _driver(app: SandboxedApp, team: str) -> tuple[SlackDriver, SlackSandbox]:
    where = app.sandbox.workspace(team)
    return app.driver_for(where), where


def _command(app: SandboxedApp, team: str, user_id: str, text: str) -> str:
    driver, where = _driver(app, team)
    response = driver.slash_command(user_id=user_id, command="/mentoring-admin", text=text)
    app.settle()
    assert response.status == 200, response
    return json.dumps([response.body, *_answers(where, response)], ensure_ascii=False)


def _answers(where: SlackSandbox, response: DriverResponse) -> list[dict[str, object]]:
    return [body for url_id, body in where.response_posts if (response.response_url or "").endswith(url_id)]


def _home(app: SandboxedApp, team: str, user_id: str) -> str:
    driver, where = _driver(app, team)
    response = driver.event({"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home"})
    app.settle()
    assert response.status == 200
    return json.dumps(where.published_home(user_id), ensure_ascii=False)


def _shows(text: str, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in text]


def test_one_slack_id_coordinating_in_two_workspaces_sees_each_only_there(app: SandboxedApp,
                                                                           world: TwoProgrammes) -> None:
    for text in ("status", f"scoreboard {ALPHA_ROUND}", f"digest {ALPHA_ROUND}", "end-pair Esther", "outcome Esther"):
        from_beta = _command(app, BETA_TEAM, "UCARLA", text)
        assert _shows(from_beta, ALPHA_NAMES[2:]) == [], f"{text} from Beta showed Alpha: {from_beta[:500]}"
    from_alpha = _command(app, ALPHA_TEAM, "UCARLA", "status")
    from_beta = _command(app, BETA_TEAM, "UCARLA", "status")
    assert ALPHA_ROUND in from_alpha and _shows(from_alpha, BETA_NAMES) == []
    assert BETA_ROUND in from_beta and _shows(from_beta, ALPHA_NAMES) == []
    home_alpha, home_beta = _home(app, ALPHA_TEAM, "UCARLA"), _home(app, BETA_TEAM, "UCARLA")
    assert ALPHA_ROUND in home_alpha and _shows(home_alpha, BETA_NAMES) == []
    assert BETA_ROUND in home_beta and _shows(home_beta, ALPHA_NAMES) == []
    # Each workspace's Slack was called only for its own people.
    assert app.sandbox.workspace(BETA_TEAM).published_home("UCARLA") is not None


def test_a_round_of_another_workspace_is_not_found_by_name(app: SandboxedApp, world: TwoProgrammes) -> None:
    """Typed by name from the other workspace, Alpha's round is not among the choices and
    no proposal is computed for it (its people are not even read)."""
    answer = _command(app, BETA_TEAM, "UCARLA", f"match {ALPHA_ROUND}")
    assert _shows(answer, ALPHA_NAMES[2:]) == [] and BETA_ROUND in answer, answer[:600]
    with unit_of_work(app.runtime.session_factory) as session:
        assert session.scalars(select(MatchProposal.round_id).where(MatchProposal.round_id == world.alpha_round)).all() == []


def test_an_admin_of_one_workspace_reaches_only_its_rounds(app: SandboxedApp, world: TwoProgrammes) -> None:
    alpha_admin = _command(app, ALPHA_TEAM, "UALPHAADMIN", "status")
    assert ALPHA_ROUND in alpha_admin and _shows(alpha_admin, BETA_NAMES) == []
    refused = _command(app, BETA_TEAM, "UALPHAADMIN", "status")
    assert "coordinators" in refused, refused[:400]
    assert _shows(refused, (*ALPHA_NAMES, *BETA_NAMES)) == []
    # A bare id is an admin wherever they ask from, and there only of that workspace.
    for team, mine, theirs in ((ALPHA_TEAM, ALPHA_ROUND, BETA_NAMES), (BETA_TEAM, BETA_ROUND, ALPHA_NAMES)):
        seen = _command(app, team, "UROOT", "status")
        assert mine in seen and _shows(seen, theirs) == [], f"UROOT in {team}: {seen[:400]}"


def _upload(app: SandboxedApp, team: str, user_id: str, *, programme: str, round_name: str) -> str:
    """A round workbook shared in the bot's DM in `team`; the bot's threaded reply. Without
    hand-made pairs: the sample's people, paired in one upload, would have met before in the
    next one of the same workspace."""
    driver, where = _driver(app, team)
    workbook = sample_workbook()
    workbook = replace(workbook, programme=replace(workbook.programme, programme=programme, round=round_name), pairs=())
    channel = where.im_channel_for(user_id)
    file = where.add_user_file(user_id=user_id, name="round.xlsx", content=workbook_bytes(workbook), mimetype=XLSX,
                               channel=channel)
    shared = where.dm_messages(user_id)[-1]
    response = driver.event({"type": "message", "subtype": "file_share", "text": "", "files": [file], "user": user_id,
                             "ts": shared["ts"], "channel": channel, "event_ts": shared["ts"], "channel_type": "im"})
    app.settle()
    assert response.status == 200
    return json.dumps(where.dm_messages(user_id)[-1], ensure_ascii=False)


def test_a_workbook_uploaded_in_a_workspace_makes_its_programme_there_and_never_touches_another(
        app: SandboxedApp, world: TwoProgrammes) -> None:
    def rounds_of(team: str, programme: str) -> set[str]:
        with unit_of_work(app.runtime.session_factory) as session:
            return set(session.scalars(select(Round.name).join(Programme, Programme.id == Round.programme_id)
                                       .where(Programme.team_id == team, Programme.name == programme)))

    alpha_rounds = rounds_of(ALPHA_TEAM, ALPHA_PROGRAMME)
    # Beta's Carla names her programme like Alpha's: names are each workspace's own, so it is
    # a new programme in Beta, and nothing tells her Alpha has one of that name.
    reply = _upload(app, BETA_TEAM, "UCARLA", programme=ALPHA_PROGRAMME, round_name="Alpharound autumn")
    assert "Imported" in reply and "workspace" not in reply.casefold(), reply[:500]
    assert rounds_of(BETA_TEAM, ALPHA_PROGRAMME) == {"Alpharound autumn"}
    assert rounds_of(ALPHA_TEAM, ALPHA_PROGRAMME) == alpha_rounds
    # A new programme uploaded from Beta's workspace is Beta's workspace's.
    reply = _upload(app, BETA_TEAM, "UCARLA", programme="Gammamentoring", round_name="Gamma 2027")
    assert "Imported" in reply, reply[:500]
    # Alpha's Carla, though her id made Beta's Gamma, reaches only Alpha: her upload of the
    # same name is Alpha's own programme, and Beta's Gamma gets no round.
    reply = _upload(app, ALPHA_TEAM, "UCARLA", programme="Gammamentoring", round_name="Gamma 2028")
    assert "Imported" in reply, reply[:500]
    assert rounds_of(ALPHA_TEAM, "Gammamentoring") == {"Gamma 2028"}
    assert rounds_of(BETA_TEAM, "Gammamentoring") == {"Gamma 2027"}
    # Nor can Bente (Beta's coordinator, not of Gamma) add a round to Gamma in her own workspace.
    reply = _upload(app, BETA_TEAM, "UBENTE", programme="Gammamentoring", round_name="Gamma 2028")
    assert "you coordinate none of its rounds" in reply, reply[:500]
    assert rounds_of(BETA_TEAM, "Gammamentoring") == {"Gamma 2027"}


def test_buttons_carrying_another_workspaces_ids_change_nothing_there(app: SandboxedApp,
                                                                      world: TwoProgrammes) -> None:
    """Beta's Carla (Alpha's Carla's user id string) clicks buttons carrying Alpha's ids:
    publishing Alpha's proposal, erasing Esther, ending Alpha's pair. Each is refused and
    Alpha is as it was; the same clicks from Alpha's workspace act (the control)."""
    _command(app, ALPHA_TEAM, "UCARLA", f"match {ALPHA_ROUND}")
    with unit_of_work(app.runtime.session_factory) as session:
        proposal = session.scalar(select(MatchProposal.id).where(MatchProposal.round_id == world.alpha_round))
    assert proposal is not None
    driver, where = _driver(app, BETA_TEAM)
    for action_id, value in (("match.publish", action_value(proposal_id=proposal)),
                             (ERASE_ACTION_ID, str(world.people["esther"]))):
        response = driver.block_action(user_id="UCARLA", action_id=action_id, value=value,
                                       channel_id=where.im_channel_for("UCARLA"))
        app.settle()
        assert response.status == 200
        said = json.dumps(_answers(where, response), ensure_ascii=False)
        assert _shows(said, ALPHA_NAMES[2:]) == [], f"{action_id} from Beta showed Alpha: {said[:400]}"
    with unit_of_work(app.runtime.session_factory) as session:
        esther = session.get(Participant, world.people["esther"])
        assert esther is not None and esther.erased_at is None and esther.name == PEOPLE["esther"][1]
        published = session.scalar(select(MatchProposal.published_at).where(MatchProposal.id == proposal))
        assert published is None
    # From Alpha's workspace the same erase goes through.
    alpha_driver, alpha_slack = _driver(app, ALPHA_TEAM)
    alpha_driver.block_action(user_id="UCARLA", action_id=ERASE_ACTION_ID, value=str(world.people["esther"]),
                              channel_id=alpha_slack.im_channel_for("UCARLA"))
    app.settle()
    with unit_of_work(app.runtime.session_factory) as session:
        esther = session.get(Participant, world.people["esther"])
        assert esther is not None and esther.erased_at is not None
