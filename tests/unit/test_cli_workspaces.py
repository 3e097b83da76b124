"""`mentorbot import --workspace` and the CLI's other programme-naming commands with many
workspaces (issue 13).

Token mode (no installations): a new programme is the bot's one workspace's: '' until the
bot learns its team, or the team its programmes were adopted into. With OAuth
installations (slack_bots rows) a new programme needs --workspace naming one of them; an
existing programme is updated in its own workspace, and --workspace naming another is
refused with a line saying where it is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, update
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.rounds.workbook import workbook_bytes
from storage.models import Programme, Round, slack_bots
from tests.unit.test_roster_import import sample_workbook

UTC = timezone.utc


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """An upgraded SQLite file the CLI (in this process) uses through DATABASE_URL."""
    for key in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    return create_engine(url)


def _workbook(tmp_path: Path, *, programme: str = "Spring programme", round_name: str = "Spring 2027") -> str:
    base = sample_workbook(pairs=())  # the same two people are never paired in two rounds
    path = tmp_path / f"{programme}-{round_name}.xlsx".replace(" ", "_")
    path.write_bytes(workbook_bytes(replace(base, programme=replace(base.programme, programme=programme,
                                                                    round=round_name))))
    return str(path)


def _installed(engine: Engine, *teams: str) -> None:
    with engine.begin() as connection:
        for team in teams:
            connection.execute(insert(slack_bots).values(
                client_id="111.222", app_id="A0SANDBOX", team_id=team, bot_token=f"xoxb-{team.lower()}",
                bot_id=f"B{team}", bot_user_id=f"U0BOT{team}", installed_at=datetime(2027, 1, 1, tzinfo=UTC)))


def _team_of(engine: Engine, programme: str) -> str | None:
    with engine.connect() as connection:
        return connection.scalar(select(Programme.team_id).where(Programme.name == programme))


def test_token_mode_without_workspace_makes_an_unassigned_programme(
        database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", _workbook(tmp_path)]) == 0
    assert "Imported" in capsys.readouterr().out
    assert _team_of(database, "Spring programme") == ""


def test_token_mode_follows_the_team_the_programmes_were_adopted_into(
        database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", _workbook(tmp_path)]) == 0
    with database.begin() as connection:  # what start-up's adopt_unassigned does once auth.test answers
        connection.execute(update(Programme).values(team_id="T0ONLY"))
    assert main(["import", _workbook(tmp_path, programme="Autumn programme")]) == 0
    assert _team_of(database, "Autumn programme") == "T0ONLY"
    assert main(["import", _workbook(tmp_path, round_name="Spring 2028")]) == 0, "its own programme, updated"
    capsys.readouterr()


def test_with_installations_a_new_programme_needs_workspace_and_says_which_exist(
        database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _installed(database, "T0ALPHA", "T0BETA")
    assert main(["import", _workbook(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--workspace TEAM_ID" in error and "T0ALPHA, T0BETA" in error
    assert _team_of(database, "Spring programme") is None, "nothing was made"

    assert main(["import", _workbook(tmp_path), "--workspace", "T0GAMMA"]) == 2
    error = capsys.readouterr().err
    assert "--workspace T0GAMMA: no workspace of that id has installed the app" in error and "T0ALPHA, T0BETA" in error

    assert main(["import", _workbook(tmp_path), "--workspace", "T0BETA"]) == 0
    assert _team_of(database, "Spring programme") == "T0BETA"
    # The programme exists now: without --workspace it is updated where it is.
    assert main(["import", _workbook(tmp_path, round_name="Spring 2028")]) == 0
    capsys.readouterr()


def test_a_programme_name_is_each_workspaces_own(
        database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same name imported for two workspaces is two programmes; after that, an import or
    a report naming it without --workspace must say which, never pick one or mix them."""
    _installed(database, "T0ALPHA", "T0BETA")
    assert main(["import", _workbook(tmp_path), "--workspace", "T0ALPHA"]) == 0
    assert main(["import", _workbook(tmp_path, round_name="Spring 2028"), "--workspace", "T0BETA"]) == 0
    capsys.readouterr()
    with database.connect() as connection:
        assert dict(connection.execute(
            select(Programme.team_id, func.count(Round.id)).join(Round, Round.programme_id == Programme.id)
            .where(Programme.name == "Spring programme").group_by(Programme.team_id)).all()) == {
                "T0ALPHA": 1, "T0BETA": 1}
    assert main(["import", _workbook(tmp_path, round_name="Spring 2029")]) == 2
    error = capsys.readouterr().err
    assert "is in several workspaces (T0ALPHA, T0BETA)" in error and "--workspace" in error
    assert main(["report", "--programme", "Spring programme", "--out", str(tmp_path / "r.xlsx")]) == 2
    assert "is in several workspaces" in capsys.readouterr().err
    assert not (tmp_path / "r.xlsx").exists()
    assert main(["report", "--programme", "Spring programme", "--workspace", "T0BETA",
                 "--out", str(tmp_path / "r.xlsx")]) == 0
    assert (tmp_path / "r.xlsx").exists()


def test_report_and_match_with_workspace_look_only_there(
        database: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _installed(database, "T0ALPHA", "T0BETA")
    assert main(["import", _workbook(tmp_path), "--workspace", "T0ALPHA"]) == 0
    capsys.readouterr()
    assert main(["match", "--round", "Spring 2027", "--workspace", "T0BETA"]) == 2
    assert "Spring 2027" in capsys.readouterr().err
    assert main(["report", "--programme", "Spring programme", "--workspace", "T0BETA",
                 "--out", str(tmp_path / "r.xlsx")]) == 2
    capsys.readouterr()
    assert not (tmp_path / "r.xlsx").exists()
    assert main(["match", "--round", "Spring 2027", "--workspace", "T0ALPHA"]) == 0
    capsys.readouterr()
