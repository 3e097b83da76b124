"""Logging 1:1 sessions, driven as Slack drives it: signed slash commands and interactions in,
the sandbox Slack out. The clock says Tuesday 2 February 2027, 10:00 in Copenhagen."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.rounds.workbook import workbook_bytes
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import MentoringSession, Pair, PairStatus, Role
from tests.factories import EPOCH, make_participant, make_round
from tests.scenario.test_import_from_slack import upload
from tests.support.answers import answers_on, ephemeral_text
from tests.unit.test_roster_import import sample_workbook

CHANNEL = "CPAIRANA"


def _seed(slack: SandboxedApp, *, status: PairStatus = PairStatus.ACTIVE, lars_language: str = "en") -> int:
    """Ana (mentee) and Lars (mentor), matched, with their private pair channel."""
    for user_id, name in (("UANA", "ana"), ("ULARS", "lars"), ("UMETTE", "mette"), ("UZOE", "zoe")):
        slack.sandbox.add_user(user_id=user_id, name=name)
    slack.sandbox.add_channel(name="mentoring-ana-lars", is_private=True, channel_id=CHANNEL,
                              members=[slack.sandbox.bot_user_id, "UANA", "ULARS"])
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round(session)
        ana = make_participant(session, round_=round_, email="ana@example.org", name="Ana", slack_user_id="UANA")
        lars = make_participant(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", name="Lars",
                                slack_user_id="ULARS", language=lars_language)
        make_participant(session, round_=round_, email="zoe@example.org", name="Zoe", slack_user_id="UZOE")
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@kommune.dk", name="Mette",
                         slack_user_id="UMETTE", language="da")
        for person in (ana, lars):
            person.welcome_sent_at = person.consented_at = person.profile_completed_at = EPOCH
        pair = Pair(round=round_, mentor=lars, mentee=ana, status=status, slack_channel_id=CHANNEL, created_at=EPOCH,
                    published_at=EPOCH)
        session.add(pair)
        session.flush()
        return pair.id


def _sessions(slack: SandboxedApp) -> list[MentoringSession]:
    with unit_of_work(slack.runtime.session_factory) as session:
        rows = list(session.scalars(select(MentoringSession).order_by(MentoringSession.id)))
        session.expunge_all()
        return rows


def _top_posts(slack: SandboxedApp) -> list[dict[str, Any]]:
    return [m for m in slack.sandbox.messages_in(CHANNEL) if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]]


def _action_ids(message: dict[str, Any]) -> list[str]:
    return [element["action_id"] for block in message.get("blocks") or [] if block["type"] == "actions"
            for element in block["elements"]]


def _modal_values(**typed: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "held_on": {"type": "datepicker", "selected_date": typed.pop("held_on", "2027-02-01")},
        "duration": typed.pop("duration", "45"),
        "topics": {"type": "checkboxes", "selected_options": [
            {"text": {"type": "plain_text", "text": topic}, "value": topic} for topic in typed.pop("topics", ["cv"])]},
        "introductions": {"type": "number_input", "value": typed.pop("introductions", "0")},
        "notes": typed.pop("notes", ""),
    }
    assert not typed
    return {block_id: {block_id: value} for block_id, value in values.items()}


def test_a_quick_note_is_logged_posted_confirmed_and_never_counted_twice(slack: SandboxedApp) -> None:
    pair_id = _seed(slack)
    response = slack.slash("UANA", "/log-session", "yesterday 45m CV review <!channel>", channel_id=CHANNEL)
    assert response.status == 200
    answer = ephemeral_text(slack, response.response_url)
    assert "Logged your 1:1 session on 1 February 2027 (45 min)" in answer and f"<#{CHANNEL}>" in answer
    assert slack.sandbox.opened_views == []

    (row,) = _sessions(slack)
    assert (row.pair_id, row.held_on, row.duration_minutes, row.topics) == (pair_id, date(2027, 2, 1), 45, ["cv"])
    assert row.notes == "CV review <!channel>" and row.confirmed_by_id is None

    (post,) = _top_posts(slack)
    assert post["ts"] == row.channel_message_ts
    body = json.dumps(post["blocks"], ensure_ascii=False)
    assert "&lt;!channel&gt;" in body and "<!channel>" not in body and "<@UANA> logged a 1:1 session" in body
    assert _action_ids(post) == [f"session.confirm.{row.id}", f"session.edit.{row.id}", f"session.delete.{row.id}"]

    # The author's own "I was there too" is explained, not counted.
    mine = slack.click("UANA", f"session.confirm.{row.id}", value=str(row.id), message=post["ts"], channel_id=CHANNEL)
    assert "You logged this session yourself" in ephemeral_text(slack, mine.response_url)
    assert _sessions(slack)[0].confirmed_by_id is None

    # Lars confirms with one click: the post shows it, the button is gone, still one session.
    slack.click("ULARS", f"session.confirm.{row.id}", value=str(row.id), message=post["ts"], channel_id=CHANNEL)
    (row,) = _sessions(slack)
    assert row.confirmed_by_id is not None and row.confirmed_by_id != row.logged_by_id
    (post,) = _top_posts(slack)
    assert "Confirmed by <@ULARS>" in json.dumps(post["blocks"])
    assert _action_ids(post) == [f"session.edit.{row.id}", f"session.delete.{row.id}"]

    # Lars also logs the same meeting (a day later by his count): still one session.
    again = slack.slash("ULARS", "/log-session", "today 1h networking")
    assert "already logged or confirmed" in ephemeral_text(slack, again.response_url)
    assert len(_sessions(slack)) == 1 and len(_top_posts(slack)) == 1


def test_the_partner_logging_the_same_meeting_confirms_it(slack: SandboxedApp) -> None:
    _seed(slack, lars_language="da")
    slack.slash("UANA", "/log-session", "yesterday 45m CV")
    response = slack.slash("ULARS", "/log-session", "i går 1t netværk, 1 introduktion", channel_id=CHANNEL)
    answer = ephemeral_text(slack, response.response_url)
    assert "havde allerede registreret mødet" in answer and "bekræftet af jer begge" in answer
    (row,) = _sessions(slack)
    assert row.confirmed_by_id is not None and row.duration_minutes == 45  # the first log stands
    assert row.topics == ["cv", "networking"] and row.introductions_made == 1
    (post,) = _top_posts(slack)
    assert "Confirmed by <@ULARS>" in json.dumps(post["blocks"])  # Ana speaks English: the channel does too


def test_ambiguous_text_opens_the_prefilled_modal_which_logs_on_submit(slack: SandboxedApp) -> None:
    _seed(slack)
    response = slack.slash("UANA", "/log-session", "yesterday 45 CV")
    assert not answers_on(slack, response.response_url)
    (modal,) = slack.sandbox.opened_views
    assert modal["callback_id"] == "session.log.submit"
    blocks = {block.get("block_id"): block for block in modal["blocks"]}
    assert blocks["held_on"]["element"]["initial_date"] == "2027-02-01"
    assert "initial_value" not in blocks["duration"]["element"]
    assert [o["value"] for o in blocks["topics"]["element"]["initial_options"]] == ["cv"]
    assert "45" in json.dumps(modal["blocks"][0])  # the doubt is named above the form
    assert _sessions(slack) == []

    # Duration still unreadable: an inline error, nothing stored, the modal stays.
    bad = slack.submit("UANA", "session.log.submit", _modal_values(duration="a while"), view_id=modal["id"])
    assert bad.view_errors == () and bad.json()["response_action"] == "errors"
    assert set(bad.json()["errors"]) == {"duration"}
    assert slack.sandbox.view_stack("UANA") == [modal["id"]] and _sessions(slack) == []

    good = slack.submit("UANA", "session.log.submit", _modal_values(duration="1h30", introductions="2",
                                                                      notes="Next: <@ULARS> intro to Novo"),
                        view_id=modal["id"])
    assert good.view_errors == () and slack.sandbox.view_stack("UANA") == []
    (row,) = _sessions(slack)
    assert (row.duration_minutes, row.introductions_made, row.topics) == (90, 2, ["cv"])
    (post,) = _top_posts(slack)
    assert "&lt;@ULARS&gt; intro to Novo" in json.dumps(post["blocks"])
    ephemerals = slack.sandbox.ephemerals_for("UANA")
    assert ephemerals and "Logged your 1:1 session" in ephemerals[-1]["text"]


def test_bad_input_is_explained_and_nothing_is_stored(slack: SandboxedApp) -> None:
    _seed(slack)
    for text, expected in (
        ("tomorrow 45m", "in the future"),
        ("yesterday 9h", "more than 8 hours"),
        ("yesterday 3 min", "less than 5 minutes"),
    ):
        response = slack.slash("UANA", "/log-session", text)
        assert expected in ephemeral_text(slack, response.response_url)
    assert _sessions(slack) == [] and _top_posts(slack) == [] and slack.sandbox.opened_views == []

    stranger = slack.slash("UZOE", "/log-session", "yesterday 45m")
    assert "once you have been matched" in ephemeral_text(slack, stranger.response_url)
    coordinator = slack.slash("UMETTE", "/log-session", "i går 45m")
    assert "Koordinatorer registrerer ikke" in ephemeral_text(slack, coordinator.response_url)
    assert _sessions(slack) == []


def test_a_paused_pair_is_told_why_and_nothing_is_stored(slack: SandboxedApp) -> None:
    pair_id = _seed(slack, status=PairStatus.PAUSED)
    response = slack.slash("UANA", "/log-session", "yesterday 45m CV")
    assert "paused" in ephemeral_text(slack, response.response_url)
    click = slack.click("UANA", "session.log.open", value=str(pair_id), channel_id=CHANNEL)
    assert "paused" in ephemeral_text(slack, click.response_url)
    assert _sessions(slack) == [] and slack.sandbox.opened_views == []


def test_edit_and_delete_by_the_author_show_in_the_pair_channel(slack: SandboxedApp) -> None:
    _seed(slack)
    slack.slash("UANA", "/log-session", "yesterday 45m CV")
    (row,) = _sessions(slack)
    (post,) = _top_posts(slack)

    # Lars may not edit or delete Ana's session.
    for action in ("edit", "delete"):
        click = slack.click("ULARS", f"session.{action}.{row.id}", value=str(row.id), message=post["ts"],
                            channel_id=CHANNEL)
        assert "Only the person who logged this session" in ephemeral_text(slack, click.response_url)
    assert slack.sandbox.opened_views == [] and len(_sessions(slack)) == 1

    # Ana edits from `/mentoring sessions`.
    listing = slack.slash("UANA", "/mentoring", "sessions")
    listed = ephemeral_text(slack, listing.response_url)
    assert "Your 1:1 sessions" in listed and f"session.edit.{row.id}" in listed
    slack.click("UANA", f"session.edit.{row.id}", value=str(row.id))
    (modal,) = slack.sandbox.opened_views
    assert modal["title"]["text"] == "Edit 1:1 session"
    assert json.loads(modal["private_metadata"]) == {"pair_id": row.pair_id, "session_id": row.id}
    slack.submit("UANA", "session.log.submit", _modal_values(duration="60", topics=["cv", "interview_practice"]),
                 view_id=modal["id"])
    (row,) = _sessions(slack)
    assert row.duration_minutes == 60 and row.topics == ["cv", "interview_practice"]
    messages = slack.sandbox.messages_in(CHANNEL)
    (post,) = _top_posts(slack)
    assert "1 h" in json.dumps(post["blocks"])
    (reply,) = [m for m in messages if m.get("thread_ts") == post["ts"] and m["ts"] != post["ts"]]
    assert "Duration 45 min → 1 h" in reply["text"] and "Interview practice" in reply["text"]

    # Ana deletes it: the post says so and keeps no buttons.
    click = slack.click("UANA", f"session.delete.{row.id}", value=str(row.id), message=post["ts"],
                        channel_id=CHANNEL)
    assert "is deleted" in ephemeral_text(slack, click.response_url)
    assert _sessions(slack) == []
    post = next(m for m in slack.sandbox.messages_in(CHANNEL) if m["ts"] == post["ts"])
    assert "was deleted by <@UANA>" in post["text"] and _action_ids(post) == []


def test_mentoring_log_and_the_home_button_open_the_modal(slack: SandboxedApp) -> None:
    pair_id = _seed(slack)
    slack.slash("UANA", "/mentoring", "log")
    (first,) = slack.sandbox.opened_views
    assert first["callback_id"] == "session.log.submit"
    assert json.loads(first["private_metadata"]) == {"pair_id": pair_id, "session_id": None}

    slack.event({"type": "app_home_opened", "user": "UANA", "channel": "D1", "tab": "home"}, event_id="EvHome1")
    home = slack.sandbox.published_home("UANA")
    assert home is not None
    buttons = [block["accessory"] for block in home["blocks"] if block.get("accessory", {}).get("type") == "button"]
    log_button = next(b for b in buttons if b["action_id"].startswith("session.log.open"))
    assert log_button["value"] == str(pair_id)
    slack.click("UANA", log_button["action_id"], value=log_button["value"], view=home["id"])
    assert len(slack.sandbox.opened_views) == 2

    # `/mentoring log TEXT` is the quick note.
    response = slack.slash("UANA", "/mentoring", "log i går 45m CV")
    assert "Logged your 1:1 session" in ephemeral_text(slack, response.response_url)
    assert len(_sessions(slack)) == 1


def test_one_person_logging_two_days_in_a_row_held_two_meetings(slack: SandboxedApp) -> None:
    """Issue 8, defect 9: "within a day = one meeting" is for the two people of a pair
    remembering one meeting's date differently, not for one person's two meetings."""
    pair_id = _seed(slack)
    slack.slash("UANA", "/log-session", "yesterday 45m CV")
    second = slack.slash("UANA", "/log-session", "today 1h networking")
    assert "Logged your 1:1 session on 2 February 2027 (1 h)" in ephemeral_text(slack, second.response_url)
    rows = _sessions(slack)
    assert [(row.pair_id, row.held_on, row.confirmed_by_id) for row in rows] == [
        (pair_id, date(2027, 2, 1), None), (pair_id, date(2027, 2, 2), None)]
    assert len(_top_posts(slack)) == 2

    # The same day again is the same meeting.
    again = slack.slash("UANA", "/log-session", "yesterday 45m CV")
    assert "already logged or confirmed" in ephemeral_text(slack, again.response_url)

    # Lars's logs of the two meetings confirm one each, the nearest day first.
    slack.slash("ULARS", "/log-session", "today 1h")
    slack.slash("ULARS", "/log-session", "yesterday 45m")
    with unit_of_work(slack.runtime.session_factory) as session:
        lars_id = session.get(Pair, pair_id).mentor_id
    assert [(row.held_on, row.confirmed_by_id) for row in _sessions(slack)] == [
        (date(2027, 2, 1), lars_id), (date(2027, 2, 2), lars_id)]


def test_a_draft_pair_from_the_workbook_is_no_match_until_published(slack: SandboxedApp) -> None:
    """Issue 8, defect 11: a pair imported from the Pairs sheet has no channel and no
    introduction yet; its people must not log sessions in it, see it, or pause it."""
    slack.clock.set(datetime(2027, 2, 2, 15, 0, tzinfo=timezone.utc))
    sandbox = slack.sandbox
    sandbox.add_user(user_id="UADMIN", name="admin", real_name="Admin", email="admin@example.org")
    sandbox.add_user(user_id="ULARS", name="lars", real_name="Lars", email="lars@firm.dk")
    sandbox.add_user(user_id="UANA", name="ana", real_name="Ana", email="ana@example.org")
    sandbox.add_user(user_id="UMETTE", name="mette", real_name="Mette", email="mette@kommune.dk")
    sandbox.add_channel(name="mentoring-coordinators", is_private=True, members=(sandbox.bot_user_id, "UMETTE"))
    upload(slack, user_id="UADMIN", content=workbook_bytes(sample_workbook()))
    slack.tick_and_deliver()  # everyone found in Slack and welcomed
    with unit_of_work(slack.runtime.session_factory) as session:
        draft = session.scalars(select(Pair)).one()
        assert draft.published_at is None and draft.slack_channel_id is None

    logged = slack.slash("UANA", "/log-session", "yesterday 45m CV")
    assert "once you have been matched" in ephemeral_text(slack, logged.response_url)
    listed = slack.slash("UANA", "/mentoring", "sessions")
    assert "once you have been matched" in ephemeral_text(slack, listed.response_url)
    assert _sessions(slack) == []

    slack.event({"type": "app_home_opened", "user": "UANA", "tab": "home", "channel": "DANA"})
    home = sandbox.published_home("UANA")
    assert home is not None and "Lars" not in json.dumps(home["blocks"], ensure_ascii=False)

    # Lars may pause himself; the draft pair is not paused, and nobody is told of it.
    slack.slash("ULARS", "/mentoring", "pause until 10 march")
    with unit_of_work(slack.runtime.session_factory) as session:
        draft = session.scalars(select(Pair)).one()
        assert draft.status is PairStatus.ACTIVE and draft.paused_until is None

    # A pair never announced is not ended, either: the review or the workbook changes drafts.
    ending = slack.slash("UMETTE", "/mentoring-admin", "end-pair ana")
    assert "ingen aktive par" in ephemeral_text(slack, ending.response_url)  # Mette reads Danish
