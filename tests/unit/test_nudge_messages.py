"""The check-in, coordinator notes, pause answers and timeline messages: content, Slack's
limits, escaping of names people typed, and Danish."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from bot.nudges.notices import CheckinFacts, CheckinHelpRequested, CheckinsIgnored, PairGoingQuiet, PairNewsFacts
from bot.pairs.state import HoldKind, PauseHold, pause_hold
from bot.sandbox._blocks import validate_message_blocks
from bot.slack.render.blocks import check_message_limits
from bot.slack.render.nudges import (
    checkin_message,
    checkin_ref,
    checkin_refusal_message,
    coordinator_pause_message,
    going_quiet_message,
    help_request_message,
    ignoring_checkins_message,
    pair_paused_message,
    parse_checkin_ref,
    pause_hold_text,
    pause_problem_message,
    resume_message,
    welcome_back_message,
)
from bot.slack.render.timeline import meeting_prompt_message, meeting_reminder_message
from bot.timeline.notices import MeetingPromptFacts, MeetingReminderFacts
from storage.models import CheckinAnswer, MeetingKind, Pair, PairStatus, Participant, Role, RsvpAnswer

EVIL = "<!channel> & <@U999>"


def facts(**changes: object) -> CheckinFacts:
    base: dict[str, object] = {"pair_id": 42, "window_start": date(2027, 2, 15), "every_days": 14, "mentor_name": "Lars",
                               "mentee_name": "Ana", "mentor_user_id": "ULARS", "mentee_user_id": "UANA"}
    base.update(changes)
    return CheckinFacts(**base)  # type: ignore[arg-type]


def test_the_checkin_has_four_answers_and_shows_the_answer_on_record() -> None:
    message = checkin_message(facts(), "en")
    check_message_limits(message.blocks)
    assert validate_message_blocks(message.blocks) == []
    [row] = [block for block in message.blocks if block["type"] == "actions"]
    assert row["block_id"] == "checkin|42|2027-02-15"
    assert [element["action_id"] for element in row["elements"]] == [
        "session.log.open", "checkin.planned", "checkin.not_yet", "checkin.help"]
    assert row["elements"][0]["value"] == "42" and row["elements"][1]["type"] == "datepicker"
    assert "checkin.answer" not in json.dumps(message.blocks)
    answered = checkin_message(facts(answer=CheckinAnswer.PLANNED, answered_by="Ana", planned_for=date(2027, 2, 20)),
                               "en")
    text = json.dumps(answered.blocks)
    assert "planned for 20 February 2027" in text and '"initial_date": "2027-02-20"' in text
    assert "20 February 2027" in answered.text
    not_yet = checkin_message(facts(answer=CheckinAnswer.NOT_YET, answered_by="Lars", ask_again_on=date(2027, 2, 18)),
                              "en")
    [row] = [block for block in not_yet.blocks if block["type"] == "actions"]
    assert row["elements"][2].get("style") == "primary" and "ask again on 18 February 2027" in json.dumps(not_yet.blocks)


def test_the_checkin_reference_round_trips_and_rejects_strangers() -> None:
    assert parse_checkin_ref(checkin_ref(42, date(2027, 2, 15))) == (42, date(2027, 2, 15))
    assert parse_checkin_ref("checkin|42|2027-02-15") == (42, date(2027, 2, 15))
    for bad in (None, "", "42", "x|2027-02-15", "42|2027-13-01", "42|2027-02-15|1"):
        assert parse_checkin_ref(bad) is None


def test_names_people_typed_are_escaped_everywhere() -> None:
    news = PairNewsFacts(mentor_name=EVIL, mentee_name="Ana", channel_id="C1", round_name=EVIL, last_session=None)
    messages = [
        checkin_message(facts(mentor_name=EVIL, mentor_user_id=None, answer=CheckinAnswer.HELP, answered_by=EVIL), "en"),
        help_request_message(CheckinHelpRequested(pair=news, asked_by=EVIL), "en"),
        going_quiet_message(PairGoingQuiet(pair=news, missed=3, every_days=14, since=date(2027, 2, 1)), "en"),
        ignoring_checkins_message(CheckinsIgnored(pair=news, people=(EVIL, "Ana"), count=3), "en"),
        pair_paused_message(name=EVIL, until=date(2027, 3, 1), language="en"),
        coordinator_pause_message(name=EVIL, role=Role.MENTEE, until=date(2027, 3, 1), reason=EVIL,
                                  round_name="R", language="en"),
        welcome_back_message(mentor_name=EVIL, mentee_name="Ana", mentor_user_id=None, mentee_user_id="UANA",
                             language="en"),
        pause_problem_message(problem="bad_date", language="en", typed=EVIL),
    ]
    for message in messages:
        dumped = json.dumps({"text": message.text, "blocks": message.blocks})
        assert "<!channel>" not in dumped and "<@U999>" not in dumped, dumped
        assert validate_message_blocks(message.blocks) == []


def test_coordinator_notes_name_the_pair_and_the_channel() -> None:
    news = PairNewsFacts(mentor_name="Lars", mentee_name="Ana", channel_id="CLA", round_name="Spring 2027",
                         last_session=date(2027, 1, 20))
    quiet = json.dumps(going_quiet_message(PairGoingQuiet(pair=news, missed=3, every_days=14, since=date(2027, 2, 1)),
                                           "da").blocks, ensure_ascii=False)
    assert "Der er blevet stille hos Lars og Ana" in quiet and "<#CLA>" in quiet and "20. januar 2027" in quiet
    both = ignoring_checkins_message(CheckinsIgnored(pair=news, people=("Lars", "Ana"), count=3), "da").text
    assert both == "Intet svar fra Lars og Ana på tjek-ind for Lars og Ana"


@pytest.mark.parametrize("language", ["en", "da"])
def test_every_message_renders_in_both_languages(language: str) -> None:
    for reason in ("not_yours", "past", "too_far", "stale", "no_date"):
        assert checkin_refusal_message(language=language, reason=reason, mentor="L", mentee="A", days=90).text
    for problem in ("usage", "bad_date", "past", "too_far", "reason_too_long"):
        assert pause_problem_message(problem=problem, language=language, typed="x", on=date(2027, 1, 1),
                                     latest=date(2027, 8, 1), days=183, limit=500).text
    reminder = meeting_reminder_message(MeetingReminderFacts(
        meeting_id=7, kind=MeetingKind.MIDWAY, title="", starts_at=datetime(2027, 3, 24, 16, tzinfo=timezone.utc),
        location=None, timezone="Europe/Copenhagen", name="Ana", answer=RsvpAnswer.YES), language)
    assert validate_message_blocks(reminder.blocks) == []
    assert ("Midtvejsmøde" if language == "da" else "Midway meeting") in reminder.text
    for kind in (MeetingKind.CV_WORKSHOP, MeetingKind.INTERVIEW_WORKSHOP):
        prompt = meeting_prompt_message(MeetingPromptFacts(
            kind=kind, title="", day=date(2027, 3, 8), mentor_name="Lars", mentee_name="Ana",
            mentor_user_id="ULARS", mentee_user_id="UANA"), language)
        assert "<@ULARS>" in prompt.blocks[0]["text"]["text"]
    da = json.dumps(checkin_message(facts(), "da").blocks, ensure_ascii=False)
    if language == "da":
        assert "Har I mødtes?" in da and "1:1-møde" in da and "Vi vil gerne have hjælp" in da


# --- why a pair is paused (issue 8, defect 7) -------------------------------------------------------------


def _paused_pair(*, pair_until: date | None, lars_until: date | None = None, ana_until: date | None = None) -> Pair:
    lars = Participant(id=1, role=Role.MENTOR, name="Lars", paused_until=lars_until)
    ana = Participant(id=2, role=Role.MENTEE, name=EVIL, paused_until=ana_until)
    return Pair(id=7, mentor_id=1, mentee_id=2, mentor=lars, mentee=ana, status=PairStatus.PAUSED,
                paused_until=pair_until)


TODAY = date(2027, 2, 3)


@pytest.mark.parametrize(("pair", "viewer", "kind", "until"), [
    (_paused_pair(pair_until=date(2027, 3, 10), ana_until=date(2027, 3, 10)), 1, HoldKind.PARTNER, date(2027, 3, 10)),
    (_paused_pair(pair_until=date(2027, 3, 10), ana_until=date(2027, 3, 10)), 2, HoldKind.OWN, date(2027, 3, 10)),
    (_paused_pair(pair_until=date(2027, 3, 1)), 2, HoldKind.COORDINATORS, date(2027, 3, 1)),
    (_paused_pair(pair_until=None), 1, HoldKind.COORDINATORS_OPEN, None),
    (_paused_pair(pair_until=TODAY, ana_until=TODAY), 1, HoldKind.ENDING, None),  # ended today, not yet switched on
])
def test_a_pauses_holder_is_named_as_the_asker_should_hear_it(pair: Pair, viewer: int, kind: HoldKind,
                                                              until: date | None) -> None:
    hold = pause_hold(pair, viewer_id=viewer, today=TODAY)
    assert hold is not None and (hold.kind, hold.until) == (kind, until)
    for language in ("en", "da"):
        text = pause_hold_text(hold, language)
        assert text and "<!channel>" not in text
        assert ("/mentoring resume" in text) == (kind in (HoldKind.PARTNER, HoldKind.OWN))


def test_both_on_a_break_the_partners_break_comes_first_and_the_askers_is_named_too() -> None:
    pair = _paused_pair(pair_until=date(2027, 3, 20), lars_until=date(2027, 3, 20), ana_until=date(2027, 3, 10))
    hold = pause_hold(pair, viewer_id=2, today=TODAY)
    assert hold == PauseHold(kind=HoldKind.PARTNER, until=date(2027, 3, 20), partner_name="Lars",
                             own_until=date(2027, 3, 10))
    text = pause_hold_text(hold, "en")
    assert "Lars is taking a break until 20 March 2027" in text and "yourself until 10 March 2027" in text
    assert "Lars holder pause til den 20. marts 2027" in pause_hold_text(hold, "da")
    pair.status = PairStatus.ACTIVE
    assert pause_hold(pair, viewer_id=2, today=TODAY) is None


def test_the_answer_to_resume_says_when_the_pair_stays_paused() -> None:
    hold = PauseHold(kind=HoldKind.PARTNER, until=date(2027, 3, 20), partner_name=EVIL)
    message = resume_message(resumed=True, language="en", holds=(hold,))
    assert "Your pause has ended" in message.text and "check-ins start again" not in message.text
    assert "<!channel>" not in message.text and "<!channel>" not in json.dumps(message.blocks)
    assert "check-ins start again" in resume_message(resumed=True, language="en").text
    not_mine = resume_message(resumed=False, language="da", holds=(hold,)).text
    assert "Du holder ikke selv pause" in not_mine and "20. marts 2027" in not_mine
