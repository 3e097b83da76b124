"""Events Slack sends about a person are scoped by the team they come from (issue 13).

A programme here is the sandbox's workspace's (T0SANDBOX). The same user id or email in an
event from another workspace (T0BETA) is another account there: `team_join` links nobody
of this programme to it, `user_change` moves nobody's time zone, and the Home tab it asks
for shows nothing of this programme.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.container import Deps
from handlers.events.app_home_opened import handle_app_home_opened
from handlers.events.team_join import handle_team_join
from handlers.events.user_change import handle_user_change
from storage.db import unit_of_work
from storage.models import OutboxMessage, Participant, Role
from tests.factories import make_participant, make_round
from tests.support.handlers import FakeClient, call_listener
from tests.support.workspaces import SANDBOX_TEAM, move_programme

LOG = logging.getLogger("test")
OTHER_TEAM = "T0BETA"


def _programme_here(session_factory: sessionmaker[Session]) -> dict[str, int]:
    with unit_of_work(session_factory) as session:
        round_ = make_round(session, name="Here 2027", programme_name="Here mentoring")
        move_programme(session, programme_id=round_.programme_id, team_id=SANDBOX_TEAM)
        waiting = make_participant(session, round_=round_, role=Role.MENTEE, email="wei@x.org", slack_user_id=None)
        linked = make_participant(session, round_=round_, role=Role.MENTOR, email="lars@x.org", slack_user_id="ULARS")
        linked.timezone = "Europe/Copenhagen"
        coordinator = make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@x.org",
                                       slack_user_id="UMETTE")
        return {"wei": waiting.id, "lars": linked.id, "mette": coordinator.id}


def _member(user_id: str, email: str, *, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    return {"id": user_id, "name": user_id.lower(), "tz": tz, "deleted": False, "is_bot": False,
            "profile": {"real_name": user_id.title(), "email": email}}


def test_team_join_in_another_workspace_links_nobody_of_this_one(
        deps: Deps, session_factory: sessionmaker[Session]) -> None:
    people = _programme_here(session_factory)
    user = _member("UWEI", "wei@x.org")
    client = FakeClient([], users={"UWEI": user})
    call_listener(handle_team_join, deps=deps, user_id="UWEI", team_id=OTHER_TEAM,
                  event={"type": "team_join", "user": user}, client=client, logger=LOG)
    with unit_of_work(session_factory) as session:
        wei = session.get(Participant, people["wei"])
        assert wei is not None and wei.slack_user_id is None
        assert session.scalars(select(OutboxMessage.dedup_key)).all() == []
    # The same join in this workspace links her and queues her welcome: the control.
    call_listener(handle_team_join, deps=deps, user_id="UWEI", team_id=SANDBOX_TEAM,
                  event={"type": "team_join", "user": user}, client=client, logger=LOG)
    with unit_of_work(session_factory) as session:
        wei = session.get(Participant, people["wei"])
        assert wei is not None and wei.slack_user_id == "UWEI"


def test_user_change_in_another_workspace_moves_nobody_here(
        deps: Deps, session_factory: sessionmaker[Session]) -> None:
    people = _programme_here(session_factory)
    moved = _member("ULARS", "lars@elsewhere.example", tz="America/Toronto")
    call_listener(handle_user_change, deps=deps, user_id="ULARS", team_id=OTHER_TEAM,
                  event={"type": "user_change", "user": moved}, logger=LOG)
    with unit_of_work(session_factory) as session:
        lars = session.get(Participant, people["lars"])
        assert lars is not None and lars.timezone == "Europe/Copenhagen"
    call_listener(handle_user_change, deps=deps, user_id="ULARS", team_id=SANDBOX_TEAM,
                  event={"type": "user_change", "user": moved}, logger=LOG)
    with unit_of_work(session_factory) as session:
        lars = session.get(Participant, people["lars"])
        assert lars is not None and lars.timezone == "America/Toronto"


def test_the_home_tab_from_another_workspace_shows_nothing_of_this_programme(
        deps: Deps, session_factory: sessionmaker[Session]) -> None:
    _programme_here(session_factory)
    shown: dict[str, str] = {}
    for team in (OTHER_TEAM, SANDBOX_TEAM):
        client = FakeClient([])
        call_listener(handle_app_home_opened, deps=deps, user_id="UMETTE", team_id=team,
                      event={"type": "app_home_opened", "user": "UMETTE", "tab": "home"}, client=client, logger=LOG)
        (published,) = client.made("views.publish")
        shown[team] = json.dumps(published["view"], ensure_ascii=False)
    assert "Here 2027" in shown[SANDBOX_TEAM]
    assert "Here 2027" not in shown[OTHER_TEAM] and "Here mentoring" not in shown[OTHER_TEAM]
