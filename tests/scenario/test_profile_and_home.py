"""Profile modal, App Home and `/mentoring-admin status`, driven as Slack drives them."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import MeetingKind, Pair, Participant, Role, SharedMeeting
from tests.factories import EPOCH, make_participant, make_round
from tests.support.answers import ephemeral_text

CONSENTED = datetime(2027, 2, 1, 10, 0, tzinfo=timezone.utc)


def _seed(slack: SandboxedApp) -> dict[str, int]:
    """A round with a consented mentee (Ana), a mentee still to consent, one not in Slack,
    a consented mentor, and a Danish-speaking coordinator."""
    for user_id, name, tz in (
        ("UANA", "Ana Souza", "America/Sao_Paulo"),
        ("ULARS", "Lars", "Europe/Copenhagen"),
        ("UMETTE", "Mette", "Europe/Copenhagen"),
        ("UPRIYA", "Priya", "Europe/Copenhagen"),
    ):
        slack.sandbox.add_user(user_id=user_id, name=name.lower().split()[0], real_name=name, tz=tz)
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round(session)
        ana = make_participant(session, round_=round_, email="ana@example.org", name="Ana Souza",
                               slack_user_id="UANA", timezone_name="America/Sao_Paulo")
        ana.welcome_sent_at, ana.consented_at = EPOCH, CONSENTED
        ana.field, ana.languages = "Marine biology", ["English", "Portuguese"]
        lars = make_participant(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", name="Lars",
                                slack_user_id="ULARS")
        lars.welcome_sent_at, lars.consented_at = EPOCH, CONSENTED
        priya = make_participant(session, round_=round_, email="priya@example.org", name="Priya <!channel>",
                                 slack_user_id="UPRIYA")
        priya.welcome_sent_at = EPOCH
        make_participant(session, round_=round_, email="ghost@example.org", name="Ghost")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@kommune.dk", name="Mette",
                         slack_user_id="UMETTE", language="da")
        session.add(SharedMeeting(round=round_, kind=MeetingKind.KICK_OFF, title="Kick-off",
                                  starts_at=datetime(2027, 3, 2, 16, 0, tzinfo=timezone.utc), location="DTU"))
        session.flush()
        return {"ana": ana.id, "lars": lars.id, "round": round_.id}


def _good_values(view: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    typed: dict[str, Any] = {
        "field": "Marine biology",
        "years": "6",
        "languages": "English, Portuguese, Danish",
        "interests": "ocean policy, <!here> data",
        "goals": "A job in environmental consulting",
        "availability": "Tuesday afternoons",
        "language": {"type": "static_select", "selected_option": {"value": "en"}},
        "timezone": "Europe/Copenhagen",
    }
    typed.update(overrides)
    # Each input's action_id is its block_id.
    values = {block_id: {block_id: value} for block_id, value in typed.items()}
    block_ids = {block.get("block_id") for block in view["blocks"]}
    assert set(values) <= block_ids, f"the modal lacks {set(values) - block_ids}"
    return values


def _home_text(slack: SandboxedApp, user_id: str) -> str:
    home = slack.sandbox.published_home(user_id)
    assert home is not None, f"no Home tab published for {user_id}"
    return json.dumps(home["blocks"], ensure_ascii=False)


def test_profile_from_button_to_ready_home_tab(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    # The consent flow's DM carries the button; a click comes from the DM.
    dm = slack.sandbox.im_channel_for("UANA")
    slack.click("UANA", "profile.open", value=str(ids["ana"]), channel_id=dm)
    assert len(slack.sandbox.opened_views) == 1
    modal = slack.sandbox.opened_views[0]
    assert modal["callback_id"] == "profile.submit"
    assert json.loads(modal["private_metadata"]) == {"participant_id": ids["ana"]}
    assert slack.sandbox.view_stack("UANA") == [modal["id"]]
    prefilled = {block["block_id"]: block["element"].get("initial_value") for block in modal["blocks"]
                 if block["type"] == "input"}
    assert prefilled["field"] == "Marine biology" and prefilled["languages"] == "English, Portuguese"
    assert prefilled["timezone"] == "America/Sao_Paulo"

    # A bad submission: errors under the boxes, the modal stays open, nothing stored.
    bad = _good_values(modal, years="six", timezone="Mars/Olympus", languages=" , ", availability="x" * 2001)
    response = slack.submit("UANA", "profile.submit", bad, view_id=modal["id"])
    assert response.status == 200 and response.view_errors == ()
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"years", "timezone", "languages", "availability"}
    assert "Mars/Olympus" in answer["errors"]["timezone"]
    assert slack.sandbox.view_stack("UANA") == [modal["id"]]
    with unit_of_work(slack.runtime.session_factory) as session:
        ana = session.get(Participant, ids["ana"])
        assert ana.profile_completed_at is None and ana.years_experience is None and not ana.timezone_confirmed
    assert slack.sandbox.dm_messages("UANA") == []

    # A good one: stored, confirmed by DM, modal closed, Home says ready.
    response = slack.submit("UANA", "profile.submit", _good_values(modal), view_id=modal["id"])
    assert response.status == 200 and response.view_errors == ()
    assert slack.sandbox.view_stack("UANA") == []
    with unit_of_work(slack.runtime.session_factory) as session:
        ana = session.get(Participant, ids["ana"])
        assert ana.profile_completed_at == slack.clock.now()
        assert ana.years_experience == 6 and ana.languages == ["English", "Portuguese", "Danish"]
        assert ana.timezone == "Europe/Copenhagen" and ana.timezone_confirmed
        assert ana.goals == "A job in environmental consulting"
    dms = slack.sandbox.dm_messages("UANA")
    assert len(dms) == 1 and "Your profile for *Spring 2027* is saved" in dms[0]["text"]
    assert "&lt;!here&gt;" in json.dumps(dms[0]["blocks"]) and "<!here>" not in json.dumps(dms[0]["blocks"])
    home = _home_text(slack, "UANA")
    assert "*Ready*" in home and "Edit my profile" in home
    assert "Kick-off" in home and "2 March 2027 at 17:00" in home  # her new zone: Copenhagen

    # `/mentoring profile` reopens it, prefilled with what she saved.
    slack.slash("UANA", "/mentoring", "profile")
    reopened = slack.sandbox.opened_views[-1]
    assert len(slack.sandbox.opened_views) == 2
    values = {block["block_id"]: block["element"] for block in reopened["blocks"] if block["type"] == "input"}
    assert values["years"]["initial_value"] == "6"
    assert values["languages"]["initial_value"] == "English, Portuguese, Danish"
    assert values["timezone"]["initial_value"] == "Europe/Copenhagen"
    assert values["language"]["initial_option"]["value"] == "en"


def test_the_home_button_opens_the_modal_for_someone_awaiting_their_profile(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    slack.event({"type": "app_home_opened", "user": "ULARS", "channel": "D1", "tab": "home"}, event_id="EvLars1")
    home = slack.sandbox.published_home("ULARS")
    assert home is not None
    buttons = [block["accessory"] for block in home["blocks"] if block.get("accessory", {}).get("type") == "button"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("profile.open", str(ids["lars"]))]
    assert "Awaiting profile" in _home_text(slack, "ULARS")
    slack.click("ULARS", "profile.open", value=buttons[0]["value"], view=home["id"])
    modal = slack.sandbox.opened_views[-1]
    assert any(block.get("block_id") == "expertise" for block in modal["blocks"])  # a mentor offers expertise


def test_people_who_may_not_edit_a_profile_are_told_why(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    waiting = slack.slash("UPRIYA", "/mentoring", "profile")
    assert "consent question" in ephemeral_text(slack, waiting.response_url)
    coordinator = slack.slash("UMETTE", "/mentoring", "profile")
    assert "Du er koordinator" in ephemeral_text(slack, coordinator.response_url)
    # Ana's button forwarded to Priya opens nothing.
    dm = slack.sandbox.im_channel_for("UPRIYA")
    forwarded = slack.click("UPRIYA", "profile.open", value=str(ids["ana"]), channel_id=dm)
    assert "meant for someone else" in ephemeral_text(slack, forwarded.response_url)
    assert slack.sandbox.opened_views == []


def test_coordinator_home_and_status_show_counts_and_who_is_stuck(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    with unit_of_work(slack.runtime.session_factory) as session:
        lars = session.get(Participant, ids["lars"])
        lars.profile_completed_at = CONSENTED
        ana = session.get(Participant, ids["ana"])
        ana.profile_completed_at = CONSENTED
        session.add(Pair(round_id=ids["round"], mentor_id=lars.id, mentee_id=ana.id, slack_channel_id="CPAIR1",
                         created_at=CONSENTED, published_at=CONSENTED))
    slack.event({"type": "app_home_opened", "user": "UMETTE", "channel": "D1", "tab": "home"}, event_id="EvMette")
    home = _home_text(slack, "UMETTE")
    assert "Onboarding i dine forløb" in home
    assert "*Klar*\\n2" in home and "*Venter på samtykke*\\n1" in home and "*Ikke i Slack*\\n1" in home
    assert "Sidder fast (2)" in home
    assert "Priya &lt;!channel&gt;" in home and "<!channel>" not in home
    assert "ingen Slack-konto fundet for ghost@example.org" in home

    response = slack.slash("UMETTE", "/mentoring-admin", "status")
    status = ephemeral_text(slack, response.response_url)
    assert "Status for onboarding" in status and "2 af 4 klar" in status
    assert "*Venter på samtykke*\\n1" in status and "Priya &lt;!channel&gt;" in status

    # The matched mentee sees her mentor and their channel.
    slack.event({"type": "app_home_opened", "user": "UANA", "channel": "D2", "tab": "home"}, event_id="EvAna")
    ana_home = _home_text(slack, "UANA")
    assert "Your mentor" in ana_home and "*Lars*" in ana_home and "<#CPAIR1>" in ana_home


def test_someone_in_no_round_gets_a_friendly_home(slack: SandboxedApp) -> None:
    slack.sandbox.add_user(user_id="USTRANGER", name="stranger")
    slack.event({"type": "app_home_opened", "user": "USTRANGER", "channel": "D9", "tab": "home"}, event_id="EvX")
    assert "not part of a mentoring programme in this workspace yet" in _home_text(slack, "USTRANGER")
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalars(select(Participant)).all() == []


def test_the_admin_from_settings_sees_every_running_round(slack: SandboxedApp) -> None:
    _seed(slack)
    slack.sandbox.add_user(user_id="UADMIN", name="admin")
    response = slack.slash("UADMIN", "/mentoring-admin", "status")
    text = ephemeral_text(slack, response.response_url)
    assert "Spring 2027" in text and "Awaiting consent" in text
