"""Company contacts, as Slack drives a round: a coordinator uploads a workbook with two
contacts at partner companies (one in the workspace, one not) and a Criteria sheet; ten days
of ticks welcome, remind and invite the mentors and mentees, while the contacts hear nothing
(the one in Slack is found, so the company survey can reach her later), are not reported
missing from Slack, and count in no onboarding figure. Her Home tab says why."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.rounds.workbook import MeetingRow, ParticipantRow, workbook_bytes
from bot.sandbox.harness import SandboxedApp
from bot.surveys.criteria import DEFAULT_CRITERIA, criteria_of
from storage.db import unit_of_work
from storage.models import Participant, Programme, Role
from tests.scenario.test_import_from_slack import upload
from tests.support.answers import button, ephemeral_text, message_text
from tests.unit.test_roster_import import sample_workbook

UTC = timezone.utc
START = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Copenhagen, 10:00 in London


def _workbook() -> bytes:
    base = sample_workbook()
    lars, ana, mette = base.participants
    people = (
        lars,
        replace(ana, partner_company="Lyngby Pharma"),
        replace(mette, language="en"),
        ParticipantRow(row=5, email="wei@example.org", name="Wei Zhang", role="mentee", field="Finance",
                       partner_company="Nordbank"),  # a company with no contact in the sheet: fine
        ParticipantRow(row=6, email="hanne@lyngbypharma.dk", name="Hanne Holm", role="company_contact",
                       company="Lyngby Pharma", language="da"),
        ParticipantRow(row=7, email="lone@nordvind.dk", name="Lone Lund", role="company_contact",
                       company="Nordvind Energy"),
    )
    kick_off = MeetingRow(row=2, kind="kick_off", title="Kick-off", starts_at=datetime(2027, 2, 10, 17, 0),
                          duration_minutes=120, location="DTU Lyngby")
    criteria = tuple(replace(spec, position=index) for index, spec in enumerate(DEFAULT_CRITERIA[:3], start=1))
    return workbook_bytes(replace(base, participants=people, meetings=(kick_off,), pairs=(), criteria=criteria))


def _setup(slack: SandboxedApp) -> None:
    sandbox = slack.sandbox
    sandbox.add_user(user_id="UADMIN", name="admin", real_name="Admin", email="admin@example.org")
    sandbox.add_user(user_id="ULARS", name="lars", real_name="Lars", email="lars@firm.dk")
    sandbox.add_user(user_id="UANA", name="ana", real_name="Ana", email="ana@example.org", tz="Europe/London")
    sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk")
    sandbox.add_user(user_id="UHANNE", name="hanne", real_name="Hanne Holm", email="hanne@lyngbypharma.dk",
                     tz="Europe/Copenhagen")
    sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(sandbox.bot_user_id, "UMETTE"))


def test_company_contacts_are_found_in_slack_but_never_messaged_chased_or_counted(slack: SandboxedApp) -> None:
    _setup(slack)
    sandbox = slack.sandbox

    # The workbook is imported, its three criteria with it.
    _, shared = upload(slack, user_id="UADMIN", content=_workbook())
    (reply,) = [m for m in sandbox.dm_messages("UADMIN") if m.get("thread_ts") == shared["ts"] and m["ts"] != shared["ts"]]
    assert "Success criteria: 3 imported" in json.dumps(reply)
    with unit_of_work(slack.runtime.session_factory) as session:
        programme_id = session.scalars(select(Programme.id)).one()
        assert [spec.key for spec in criteria_of(session, programme_id)] == [s.key for s in DEFAULT_CRITERIA[:3]]

    # Ten days of hourly daytime ticks (the daytime slots open on the hour; at night nothing is
    # due); Ana consents after her welcome, so she is reminded of the kick-off.
    slack.tick_and_deliver(now=START)
    welcome = sandbox.dm_messages("UANA")[0]
    for action_id in ("consent.coordination.yes", "consent.evaluation.yes", "consent.follow_up.yes"):
        block_id, value = button(welcome, action_id)
        slack.click("UANA", action_id, value=value, block_id=block_id, message=welcome,
                    channel_id=sandbox.im_channel_for("UANA"))
        welcome = sandbox.dm_messages("UANA")[0]
    for day in range(11):
        for hour in range(7, 19):
            moment = (START + timedelta(days=day)).replace(hour=hour)
            if moment > START:
                slack.tick_and_deliver(now=moment)

    ana_texts = [message_text(message) for message in sandbox.dm_messages("UANA")]
    assert any("Kick-off" in text and "meeting.rsvp" in text for text in ana_texts), "mentees do get reminders"
    assert any("friendly reminder" in message_text(m) for m in sandbox.dm_messages("ULARS")), "Lars never consented"
    assert sandbox.dm_messages("UHANNE") == [] and sandbox.ephemerals_for("UHANNE") == []
    assert not any(call.args.get("channel") in ("UHANNE", sandbox.im_channel_for("UHANNE"))
                   for call in sandbox.calls_to("chat.postMessage"))

    with unit_of_work(slack.runtime.session_factory) as session:
        people = {p.email: p for p in session.scalars(select(Participant))}
        hanne, lone = people["hanne@lyngbypharma.dk"], people["lone@nordvind.dk"]
        assert (hanne.role, hanne.slack_user_id, hanne.welcome_sent_at) == (Role.COMPANY_CONTACT, "UHANNE", None)
        assert lone.slack_user_id is None and lone.onboarding_reminders_sent == 0
        assert people["ana@example.org"].partner_company == "Lyngby Pharma"

    # The coordinators hear that Wei is not in Slack; Lone (asked by hand after the round) is not chased.
    reports = [message_text(m) for m in sandbox.messages_in("mentoring-coordinators")]
    assert any("Wei Zhang" in text for text in reports)
    assert not any("Lone" in text or "Hanne" in text for text in reports)

    # Status counts the four mentors and mentees only; no contact is listed as stuck.
    response = slack.slash("UMETTE", "/mentoring-admin", "status")
    status = ephemeral_text(slack, response.response_url)
    assert "of 3 ready" in status
    assert "Lone" not in status and "Hanne" not in status

    # Hanne's own Home tab (in Danish, her language) says what the bot will ask her, and nothing else.
    slack.event({"type": "app_home_opened", "user": "UHANNE", "channel": "DHANNE", "tab": "home"}, event_id="EvHanne")
    home = json.dumps(sandbox.published_home("UHANNE"), ensure_ascii=False)
    assert "kontaktperson for *Career Mentoring* hos Lyngby Pharma" in home
    assert "ikke en del af" not in home
