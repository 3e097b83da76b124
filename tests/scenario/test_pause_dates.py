"""`/mentoring pause til DATO` as a Danish participant types it, through the signed endpoint.

The Danish help advertises `/mentoring pause til 15. marts`, and the bot's own answer reads
"Du holder pause til den 15. marts": a person who writes it back the way the bot wrote it
("til den 15. marts") or says a weekday ("til på mandag") is paused until that day, with the
rest of the text as the reason."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Pair, PairStatus, Participant, Role
from tests.nudge_world import World, new_world, pair, person
from tests.support.answers import ephemeral_text

WEDNESDAY = datetime(2027, 2, 3, 13, 0, tzinfo=timezone.utc)  # 14:00 in Copenhagen


@pytest.fixture
def world(slack: SandboxedApp) -> World:
    sandbox = slack.sandbox
    sandbox.add_user(user_id="USOREN", name="soren", email="soren@example.org", tz="Europe/Copenhagen",
                     locale="da-DK")
    sandbox.add_user(user_id="UANA", name="ana", email="ana@example.org", tz="Europe/Copenhagen")
    channel = sandbox.add_channel(name="mentoring-soren-ana", is_private=True,
                                  members=(sandbox.bot_user_id, "USOREN", "UANA"))["id"]
    with unit_of_work(slack.runtime.session_factory) as session:
        built = new_world(session)
        person(session, built, "soren", role=Role.MENTOR, language="da")
        person(session, built, "ana", role=Role.MENTEE)
        pair(session, built, "sa", mentor="soren", mentee="ana", channel=channel)
    slack.clock.set(WEDNESDAY)
    return built


@pytest.mark.parametrize(
    ("typed", "until", "shown"),
    [
        ("pause til 15. marts flytning", date(2027, 3, 15), "15. marts 2027"),  # the help's own example
        ("pause til den 15. marts flytning", date(2027, 3, 15), "15. marts 2027"),  # as the bot writes it
        ("pause indtil d. 15/3 flytning", date(2027, 3, 15), "15. marts 2027"),
        ("pause til på mandag flytning", date(2027, 2, 8), "8. februar 2027"),  # the coming Monday
    ],
)
def test_a_danish_pause_until_a_date_is_stored_with_its_reason(
    slack: SandboxedApp, world: World, typed: str, until: date, shown: str
) -> None:
    response = slack.slash("USOREN", "/mentoring", typed)
    assert response.status == 200
    answer = ephemeral_text(slack, response.response_url)
    assert "Du holder pause til den" in answer and shown in answer, answer
    with unit_of_work(slack.runtime.session_factory) as session:
        soren = session.get(Participant, world.people["soren"])
        the_pair = session.scalars(select(Pair)).one()
        assert soren is not None
        assert (soren.paused_until, soren.pause_reason) == (until, "flytning")
        assert (the_pair.status, the_pair.paused_until) == (PairStatus.PAUSED, until)


def test_a_date_that_is_not_one_day_is_refused_and_nothing_is_stored(slack: SandboxedApp, world: World) -> None:
    # 15 March 2027 is a Monday: which of the two did Søren mean? He is asked, not guessed for.
    response = slack.slash("USOREN", "/mentoring", "pause til tirsdag den 15. marts")
    assert "tirsdag den 15. marts" in ephemeral_text(slack, response.response_url)
    with unit_of_work(slack.runtime.session_factory) as session:
        soren = session.get(Participant, world.people["soren"])
        assert soren is not None and soren.paused_until is None
        assert session.scalars(select(Pair)).one().status is PairStatus.ACTIVE
