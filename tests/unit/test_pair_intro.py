"""The pair introduction and the other pair-channel messages: content in both languages,
escaping, and Slack's limits."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

from bot.matching.engine import ScoreComponent
from bot.pairs.notices import PairIntroFacts, PersonBio, TimelineEntry
from bot.slack.render.blocks import HEADER_TEXT_LIMIT, MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT, check_message_limits
from bot.slack.render.pair_channels import closing_message, goodbye_message, not_invited_message, pair_ended_report
from bot.slack.render.pair_intro import meeting_rhythm, pair_intro_message, render_match_reasons
from storage.models import MeetingKind, Role

UTC = timezone.utc

MENTOR = PersonBio(
    role=Role.MENTOR, name="Søren Kierkegaard", slack_user_id="USOEREN", field="Software engineering",
    years_experience=15, company="Novo Nordisk", languages=("Danish", "English"), interests=("running", "jazz"),
    statement="Hiring in pharma IT, reading CVs, practice interviews", home_country="Denmark",
)
MENTEE = PersonBio(
    role=Role.MENTEE, name="Ana Souza", slack_user_id="UANA", field="Software engineering", company=None,
    languages=("English", "Portuguese"), interests=("jazz",), statement="A developer job in Copenhagen <!channel>",
    home_country="Brazil",
)
REASONS = (
    ScoreComponent(code="matching.reason.same_field", points=4, params={"field": "software engineering"}),
    ScoreComponent(code="matching.reason.shared_interests", points=1, params={"interests": "jazz"}),
    ScoreComponent(code="matching.reason.shared_language", points=0, params={"languages": "English"}),
    ScoreComponent(code="matching.reason.from_the_future", points=1, params={}),
)
MEETINGS = (
    TimelineEntry(kind=MeetingKind.KICK_OFF, title="Kick-off", starts_at=datetime(2027, 2, 10, 16, 0, tzinfo=UTC),
                  location="DTU <Lyngby>"),
    TimelineEntry(kind=MeetingKind.CV_WORKSHOP, title="CV & LinkedIn", starts_at=datetime(2027, 2, 17, 16, 0, tzinfo=UTC),
                  only_for=Role.MENTEE),
    TimelineEntry(kind=MeetingKind.CLOSING, title="", starts_at=datetime(2027, 5, 26, 15, 0, tzinfo=UTC)),
)


def _facts(**overrides: Any) -> PairIntroFacts:
    values: dict[str, Any] = {
        "programme": "Career Mentoring", "round_name": "Spring 2027", "mentor": MENTOR, "mentee": MENTEE,
        "match_reasons": REASONS, "meetings": MEETINGS, "round_ends_on": date(2027, 5, 31), "session_every_days": 14,
        "timezone": "Europe/Copenhagen",
    }
    values.update(overrides)
    return PairIntroFacts(**values)


def _all_text(message) -> str:  # noqa: ANN001
    return message.text + json.dumps(message.blocks, ensure_ascii=False)


def test_the_english_introduction_has_bios_reasons_timeline_and_agenda() -> None:
    message = pair_intro_message(_facts(), language="en")
    check_message_limits(message.blocks)
    text = _all_text(message)
    assert "<@USOEREN>" in text and "<@UANA>" in text and "Spring 2027" in text
    for expected in ("Software engineering", "Novo Nordisk", "Danish, English", "running, jazz", "Denmark", "Brazil",
                     "Years of experience:* 15", "Can help with", "Goals for the round"):
        assert expected in text, expected
    assert "Same field: software engineering" in text and "Shared interests: jazz" in text
    assert "from_the_future" not in text, "an unknown reason code is left out, not shown raw"
    assert "10 Feb 2027, 17:00" in text, "the kick-off in Copenhagen time"
    assert "DTU &lt;Lyngby&gt;" in text and "(mentees only)" in text
    assert "*Closing meeting with evaluation*: 26 May 2027, 17:00" in text
    assert "The round ends on 31 May 2027" in text
    assert "Align expectations" in text and "a 1:1 every 2 weeks" in text and "log the session with `/log-session`" in text
    assert "A developer job in Copenhagen &lt;!channel&gt;" in text and "<!channel>" not in text
    assert message.blocks[0]["type"] == "header"


def test_the_danish_introduction_speaks_danish() -> None:
    message = pair_intro_message(_facts(coordinators_in_channel=True), language="da")
    text = _all_text(message)
    assert "Velkommen til jeres mentorforløb" in text
    assert "Forventningsafstemning" in text and "1:1-møde hver 2. uge" in text
    assert "Samme fagområde: software engineering" in text and "Fælles interesser: jazz" in text
    assert "10. feb. 2027" in text and "31. maj 2027" in text and "kun for mentees" in text
    assert "Menteens mål" in text and "Års erfaring" in text and "Hjemland" in text
    assert "Jeres koordinatorer er også med i kanalen" in text


def test_hand_matched_pairs_and_empty_profiles_read_well() -> None:
    empty = PersonBio(role=Role.MENTEE, name="Wei <b>", slack_user_id=None)
    message = pair_intro_message(_facts(match_reasons=(), meetings=(), mentee=empty), language="en")
    text = _all_text(message)
    assert "matched you by hand" in text
    assert "Wei &lt;b&gt; has not filled in a profile yet" in text
    assert "will share the dates of the shared meetings soon" in text
    assert "talk through what Wei &lt;b&gt; wants from the round" in text


def test_huge_profiles_stay_within_slacks_limits() -> None:
    huge = PersonBio(
        role=Role.MENTEE, name="X" * 300, slack_user_id="UX", field="f" * 5000, company="c" * 5000,
        languages=tuple("l" * 100 for _ in range(100)), interests=tuple("i" * 100 for _ in range(100)),
        statement="s" * 20_000, home_country="h" * 5000,
    )
    reasons = tuple(ScoreComponent(code="matching.reason.shared_interests", points=1, params={"interests": "z" * 2000})
                    for _ in range(40))
    meetings = tuple(
        TimelineEntry(kind=MeetingKind.OTHER, title="t" * 500, starts_at=datetime(2027, 3, 1, tzinfo=UTC), location="l" * 900)
        for _ in range(60)
    )
    for language in ("en", "da"):
        message = pair_intro_message(
            _facts(mentor=huge, mentee=huge, match_reasons=reasons, meetings=meetings, round_name="R" * 500),
            language=language,
        )
        check_message_limits(message.blocks)
        assert len(message.blocks) <= MESSAGE_BLOCK_LIMIT
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= HEADER_TEXT_LIMIT
        assert len(message.text) < 4000


def test_reasons_render_escaped_and_survive_bad_rows() -> None:
    # A stored row that is no reason at all ({"nothing": True}) never gets this far: the
    # domain leaves it out when it reads the pair (test_pair_channels, stored_match_reasons).
    lines = render_match_reasons(
        [
            ScoreComponent(code="matching.reason.same_field", points=4, params={"field": "<@U1>"}),
            ScoreComponent(code="matching.reason.same_field", points=4, params={}),  # a placeholder missing
            ScoreComponent(code="matching.reason.timezone_gap", points=-1, params={"hours": "3"}),
        ],
        "en",
    )
    assert lines == ["Same field: &lt;@U1&gt;", "3 hours apart in time zones"]


def test_meeting_rhythm_in_both_languages() -> None:
    assert meeting_rhythm(14, "en") == "every 2 weeks" and meeting_rhythm(7, "en") == "every week"
    assert meeting_rhythm(10, "en") == "every 10 days" and meeting_rhythm(1, "en") == "every day"
    assert meeting_rhythm(14, "da") == "hver 2. uge" and meeting_rhythm(10, "da") == "hver 10. dag"


def test_closing_goodbye_and_reports() -> None:
    closing = closing_message(mentor=MENTOR, mentee=MENTEE, reason="not_a_fit", language="en")
    text = _all_text(closing)
    assert "<@USOEREN>" in text and "come to an end" in text
    assert "fit" not in text and "not_a" not in text, "the reason is the coordinators' business, not the channel's"
    assert "archived" in text
    job = _all_text(closing_message(mentor=MENTOR, mentee=MENTEE, reason="found_job", language="da"))
    assert "Tillykke med det nye job, <@UANA>" in job and "jeres mentorforløb er slut" in job
    goodbye = _all_text(goodbye_message(round_name="Spring <2027>", mentor=MENTOR, mentee=MENTEE, language="da"))
    assert "Spring &lt;2027&gt;" in goodbye and "arkiveret" in goodbye
    report = _all_text(not_invited_message(
        language="en", channel_id="C9", round_name="Spring 2027", mentor_name="Søren", mentee_name="Ana <x>",
        person_name="Ana <x>", person_role=Role.MENTEE, error="user_disabled",
    ))
    assert "<#C9>" in report and "Ana &lt;x&gt; (mentee)" in report and "not in this Slack workspace" in report
    other = _all_text(not_invited_message(
        language="da", channel_id="C9", round_name="R", mentor_name="S", mentee_name="A", person_name="A",
        person_role=Role.MENTEE, error="user_is_restricted",
    ))
    assert "Slack svarede \\\"user_is_restricted\\\"" in other
    ended = _all_text(pair_ended_report(
        language="da", coordinator_id="UMETTE", round_name="R", mentor_name="S", mentee_name="A", reason="moved_away",
        note="Moved to Aarhus <!here>",
    ))
    assert "<@UMETTE> har afsluttet parret S & A" in ended and "Er flyttet" in ended and "&lt;!here&gt;" in ended
    for message in (closing, goodbye_message(round_name="R", mentor=MENTOR, mentee=MENTEE, language="en")):
        check_message_limits(message.blocks)
