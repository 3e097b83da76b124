"""Who someone is: language, roles and the rounds they coordinate, read in one place."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core.coordinators import coordinated_round_ids
from bot.core.people import identify
from storage.models import Role
from tests.factories import make_participant, make_round
from tests.support.workspaces import ONE_WORKSPACE


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
