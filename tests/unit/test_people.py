"""Who someone is: language, roles and the rounds they coordinate, read in one place."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.coordinators import coordinated_round_ids
from bot.core.people import (
    contacts_for_outsiders,
    coordinated_programme_ids,
    follow_time_zone_change,
    identify,
    is_admin,
    workspace_admins,
)
from bot.core.workspace import Workspace
from storage.models import Participant, Role, Round
from tests.factories import make_participant, make_round
from tests.support.workspaces import ONE_WORKSPACE, move_programme


def test_the_viewer_knows_which_rounds_a_coordinator_coordinates(session: Session) -> None:
    spring = make_round(session)
    autumn = make_round(session, name="Autumn 2027", programme_name="Business Mentoring")
    make_participant(session, round_=spring, role=Role.COORDINATOR, email="m@x", slack_user_id="UMETTE", language="da")
    make_participant(session, round_=autumn, role=Role.MENTOR, email="m2@x", slack_user_id="UMETTE")
    make_participant(session, round_=spring, role=Role.MENTEE, email="a@x", slack_user_id="UANA")

    mette = identify(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE")
    assert mette.is_coordinator and mette.is_participant
    assert mette.coordinated_round_ids == frozenset({spring.id}), "mentoring in autumn makes her no coordinator of it"
    assert mette.coordinates(spring.id) and not mette.coordinates(autumn.id)

    ana = identify(session, workspace=ONE_WORKSPACE, slack_user_id="UANA")
    assert not ana.is_coordinator and ana.coordinated_round_ids == frozenset() and not ana.coordinates(spring.id)


def test_a_company_contact_is_in_the_programme_but_neither_participant_nor_coordinator(session: Session) -> None:
    spring = make_round(session)
    make_participant(session, round_=spring, role=Role.COMPANY_CONTACT, email="h@pharma.dk", slack_user_id="UHANNE",
                     language="da")
    hanne = identify(session, workspace=ONE_WORKSPACE, slack_user_id="UHANNE")
    assert hanne.in_programme and hanne.language == "da"
    assert not hanne.is_participant and not hanne.is_coordinator and hanne.coordinated_round_ids == frozenset()


def test_an_admin_coordinates_every_round_even_one_created_later(session: Session) -> None:
    spring = make_round(session)
    admin = identify(session, workspace=ONE_WORKSPACE, slack_user_id="UADMIN", admin_user_ids={"UADMIN"})
    assert admin.is_coordinator and admin.is_admin and admin.coordinated_round_ids == frozenset({spring.id})
    assert admin.coordinates(spring.id) and not admin.coordinates(spring.id + 1000), "every round there is, no other"
    again = identify(session, workspace=ONE_WORKSPACE, slack_user_id="UADMIN")
    assert not again.is_coordinator, "only while named in MENTORBOT_ADMINS"


def test_the_services_reach_is_the_viewers(session: Session) -> None:
    """coordinated_round_ids (what the services filter by) is the Viewer's answer, not a second rule."""
    spring = make_round(session)
    make_participant(session, round_=spring, role=Role.COORDINATOR, email="m@x", slack_user_id="UMETTE")
    for user_id, admins in (("UMETTE", ()), ("UADMIN", ("UADMIN",)), ("UNOBODY", ())):
        viewer = identify(session, workspace=ONE_WORKSPACE, slack_user_id=user_id, admin_user_ids=admins)
        reach = coordinated_round_ids(session, workspace=ONE_WORKSPACE, slack_user_id=user_id, admin_user_ids=admins)
        assert reach == set(viewer.coordinated_round_ids)
    assert coordinated_round_ids(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE") == {spring.id}


# --- many workspaces (issue 13) ---------------------------------------------------------------

TEAM_A, TEAM_B = "T0ALPHA", "T0BETA"
IN_A, IN_B = Workspace(team_id=TEAM_A), Workspace(team_id=TEAM_B)


def _two_workspaces(session: Session) -> tuple[Round, Round]:
    """A round in each workspace, with the same Slack id string coordinating both (two
    different people: a user id means someone only within its workspace)."""
    alpha = make_round(session, name="Alpha 2027", programme_name="Alpha")
    beta = make_round(session, name="Beta 2027", programme_name="Beta")
    move_programme(session, programme_id=alpha.programme_id, team_id=TEAM_A)
    move_programme(session, programme_id=beta.programme_id, team_id=TEAM_B)
    make_participant(session, round_=alpha, role=Role.COORDINATOR, email="carla@a", slack_user_id="UCARLA",
                     language="da")
    make_participant(session, round_=beta, role=Role.COORDINATOR, email="carla@b", slack_user_id="UCARLA")
    make_participant(session, round_=beta, role=Role.MENTEE, email="birthe@b", slack_user_id="UBIRTHE")
    session.expire_all()
    return alpha, beta


def test_the_same_slack_id_is_someone_else_in_each_workspace(session: Session) -> None:
    alpha, beta = _two_workspaces(session)
    in_a = identify(session, slack_user_id="UCARLA", workspace=IN_A)
    in_b = identify(session, slack_user_id="UCARLA", workspace=IN_B)
    assert in_a.coordinated_round_ids == frozenset({alpha.id}) and in_a.language == "da"
    assert in_b.coordinated_round_ids == frozenset({beta.id}) and in_b.language == "en"
    assert not in_a.coordinates(beta.id) and not in_b.coordinates(alpha.id)
    assert in_a.workspace == IN_A and len(in_a.participant_ids) == 1
    stranger = identify(session, slack_user_id="UBIRTHE", workspace=IN_A)
    assert not stranger.in_programme, "a mentee of Beta is nobody in Alpha's workspace"
    assert coordinated_programme_ids(session, in_a) == frozenset({alpha.programme_id})


def test_an_admin_reaches_every_round_of_their_workspace_and_no_other(session: Session) -> None:
    alpha, beta = _two_workspaces(session)
    admins = {f"{TEAM_A}:UADMIN", "UROOT"}
    of_a = identify(session, slack_user_id="UADMIN", workspace=IN_A, admin_user_ids=admins)
    assert of_a.is_admin and of_a.coordinated_round_ids == frozenset({alpha.id})
    assert coordinated_programme_ids(session, of_a) == frozenset({alpha.programme_id})
    in_b = identify(session, slack_user_id="UADMIN", workspace=IN_B, admin_user_ids=admins)
    assert not in_b.is_admin and not in_b.is_coordinator and in_b.coordinated_round_ids == frozenset()
    # A bare id: an admin wherever they ask from, and there of that workspace only.
    root_a = identify(session, slack_user_id="UROOT", workspace=IN_A, admin_user_ids=admins)
    root_b = identify(session, slack_user_id="UROOT", workspace=IN_B, admin_user_ids=admins)
    assert root_a.coordinated_round_ids == frozenset({alpha.id}) and root_b.coordinated_round_ids == frozenset({beta.id})
    assert is_admin(admins, slack_user_id="UADMIN", workspace=IN_A)
    assert not is_admin(admins, slack_user_id="UADMIN", workspace=Workspace.single())


def test_outsiders_are_pointed_at_their_own_workspaces_coordinators(session: Session) -> None:
    _two_workspaces(session)
    make_participant(session, round_=make_round(session, name="Gamma", programme_name="Gamma"),
                     role=Role.COORDINATOR, email="gert@g", slack_user_id="UGERT")
    today = date(2027, 3, 1)
    admins = {f"{TEAM_B}:UBOSS", "UROOT"}
    assert contacts_for_outsiders(session, today=today, workspace=IN_A) == ["UCARLA"]
    assert contacts_for_outsiders(session, today=today, workspace=Workspace(team_id="T0EMPTY"),
                                  admin_user_ids=admins) == ["UROOT"], "a TEAM:USER admin of another team is not named"
    assert workspace_admins(admins, workspace=IN_B) == ["UBOSS", "UROOT"]


def test_a_time_zone_change_follows_the_person_in_their_workspace_only(session: Session) -> None:
    alpha, beta = _two_workspaces(session)
    changed = follow_time_zone_change(session, slack_user_id="UCARLA", workspace=IN_B, timezone="America/Toronto",
                                      now=datetime(2027, 3, 1, tzinfo=timezone.utc))
    assert changed == 1
    zones = dict(session.execute(select(Participant.round_id, Participant.timezone)
                                 .where(Participant.slack_user_id == "UCARLA")).all())
    assert zones[beta.id] == "America/Toronto" and zones[alpha.id] != "America/Toronto"
