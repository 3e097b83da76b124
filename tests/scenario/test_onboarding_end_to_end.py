"""Issue 3 end to end, as Slack drives it: a coordinator uploads the round workbook in the
bot's DM, the tick finds everyone and welcomes them, a mentee consents with signed block
actions, opens and submits the profile modal, and her Home tab says she is ready."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.onboarding.state import OnboardingStep, onboarding_step
from bot.rounds.workbook import ParticipantRow, workbook_bytes
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import Participant
from tests.scenario.test_import_from_slack import upload
from tests.support.answers import button
from tests.unit.test_roster_import import sample_workbook


def _click_in_dm(slack: SandboxedApp, user_id: str, action_id: str) -> None:
    message = slack.sandbox.dm_messages(user_id)[0]
    block_id, value = button(message, action_id)
    response = slack.click(user_id, action_id, value=value, block_id=block_id, message=message,
                           channel_id=slack.sandbox.im_channel_for(user_id))
    assert response.status == 200


def test_from_uploaded_workbook_to_a_ready_mentee(slack: SandboxedApp) -> None:
    # Tuesday 15:00 UTC: daytime in Copenhagen (16:00) and in São Paulo (12:00).
    slack.clock.set(datetime(2027, 2, 2, 15, 0, tzinfo=timezone.utc))
    sandbox = slack.sandbox
    sandbox.add_user(user_id="UADMIN", name="admin", real_name="Admin", email="admin@example.org")
    sandbox.add_user(user_id="ULARS", name="lars", real_name="Lars", email="lars@firm.dk")
    sandbox.add_user(user_id="UANA", name="ana", real_name="Ana", email="ana@example.org", tz="America/Sao_Paulo")
    sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk", locale="da-DK")
    sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(sandbox.bot_user_id, "UMETTE"))
    workbook = sample_workbook()

    # 1. The bootstrap admin uploads the workbook in the bot's DM and gets the CLI's lines back.
    response, shared = upload(slack, user_id="UADMIN", content=workbook_bytes(workbook))
    assert response.status == 200
    replies = [m for m in sandbox.dm_messages("UADMIN") if m.get("thread_ts") == shared["ts"] and m["ts"] != shared["ts"]]
    assert len(replies) == 1 and "Imported Career Mentoring / Spring 2027." in json.dumps(replies[0])

    # 2. A tick (16:00 in Copenhagen, 12:00 in São Paulo) resolves everyone and welcomes them.
    slack.tick_and_deliver()
    welcome = sandbox.dm_messages("UANA")
    assert len(welcome) == 1 and "Welcome to Career Mentoring" in welcome[0]["text"] + json.dumps(welcome[0]["blocks"])
    with unit_of_work(slack.runtime.session_factory) as session:
        ana = session.scalars(select(Participant).where(Participant.email == "ana@example.org")).one()
        assert ana.slack_user_id == "UANA" and ana.timezone == "America/Sao_Paulo"
        assert onboarding_step(ana) is OnboardingStep.AWAITING_CONSENT

    # 3. Consent through signed block actions on the welcome.
    for action_id in ("consent.coordination.yes", "consent.evaluation.yes", "consent.follow_up.no"):
        _click_in_dm(slack, "UANA", action_id)

    # 4. The profile modal opens from the welcome's button and is submitted.
    _click_in_dm(slack, "UANA", "profile.open")
    modal = sandbox.opened_views[-1]
    assert modal["callback_id"] == "profile.submit"
    typed: dict[str, Any] = {
        "field": "Engineering", "years": "7", "languages": "English, Portuguese", "interests": "cycling",
        "goals": "A first engineering job in Denmark", "availability": "Mornings",
        "language": {"type": "static_select", "selected_option": {"value": "en"}}, "timezone": "America/Sao_Paulo",
    }
    submitted = slack.submit("UANA", "profile.submit", {k: {k: v} for k, v in typed.items()}, view_id=modal["id"])
    assert submitted.status == 200 and sandbox.view_stack("UANA") == []

    # 5. Stored, and the Home tab says so.
    with unit_of_work(slack.runtime.session_factory) as session:
        ana = session.scalars(select(Participant).where(Participant.email == "ana@example.org")).one()
        assert onboarding_step(ana) is OnboardingStep.READY
        assert ana.goals == "A first engineering job in Denmark" and ana.years_experience == 7
    home = sandbox.published_home("UANA")
    assert home is not None and "Ready" in json.dumps(home["blocks"])

    # 6. Re-uploading the same workbook changes nothing and sends no second welcome.
    before = len(sandbox.dm_messages("UANA"))
    upload(slack, user_id="UADMIN", content=workbook_bytes(workbook))
    slack.tick_and_deliver()
    assert len(sandbox.dm_messages("UANA")) == before
    assert "Nothing changed" in json.dumps(sandbox.dm_messages("UADMIN")[-1])

    # 7. A newcomer added to the workbook later is welcomed too; the others are left alone.
    extra = ParticipantRow(row=5, email="wei@example.org", name="Wei", role="mentee", language="en")
    sandbox.add_user(user_id="UWEI", name="wei", real_name="Wei", email="wei@example.org")
    bigger = sample_workbook(participants=(*workbook.participants, extra))
    upload(slack, user_id="UADMIN", content=workbook_bytes(bigger))
    slack.tick_and_deliver()
    assert len(sandbox.dm_messages("UWEI")) == 1 and len(sandbox.dm_messages("UANA")) == before
