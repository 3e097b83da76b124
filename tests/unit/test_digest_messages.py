"""The digest as Block Kit: a round of 40 pairs all behind, with long hostile names, fits
Slack's limits in both languages (split over messages, every pair listed once), names never
ping, the "Handled" buttons carry what the service needs, and the redraw after a click marks
only that item; the DM when the bot is not in the coordinator channel."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.core.notices import encode_facts
from bot.digest.notices import ActionKind, DigestChannelMissing
from bot.digest.service import build_digest, digest_channel_missing
from bot.sandbox._blocks import validate_message_blocks
from bot.slack.render.blocks import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT
from bot.slack.render.digest import (
    DIGEST_BLOCK_PREFIX,
    digest_channel_missing_message,
    digest_part_message,
    mark_block_handled,
    parse_handled_value,
)
from storage.db import unit_of_work
from storage.models import ConsentPurpose, MeetingKind, OutboxMessage, Participant, Role, Survey, SurveyInvitation, SurveyKind
from tests.nudge_world import EPOCH, consent, meeting, new_world, pair, person
from tests.support.mrkdwn import HOSTILE, live_sequences, rendered_texts

UTC = timezone.utc
# Monday 1 March 2027, 09:30 in Copenhagen: two windows of 14 days have ended since 1 February.
NOW = datetime(2027, 3, 1, 8, 30, tzinfo=UTC)
PAIRS = 40
LONG = (HOSTILE + " ") * 3  # about 250 characters of hostile text, cut to the column's 200


def _big_round(session: Session) -> tuple[int, dict[int, str]]:
    world = new_world(session, coordinator_channel="CCOORD")
    person(session, world, "mette", role=Role.COORDINATOR)
    survey = Survey(round_id=world.round_id, kind=SurveyKind.PULSE, number=1, opens_at=datetime(2027, 2, 15, tzinfo=UTC),
                    closes_at=datetime(2027, 3, 8, tzinfo=UTC), created_at=EPOCH)
    session.add(survey)
    session.flush()
    channels = {}
    for number in range(PAIRS):
        mentor = person(session, world, f"mentor{number}", role=Role.MENTOR)
        mentee = person(session, world, f"mentee{number}", role=Role.MENTEE)
        mentor.name, mentee.name = f"{number} {LONG}"[:200], f"mentee {number} {LONG}"[:200]
        row = pair(session, world, f"p{number}", mentor=f"mentor{number}", mentee=f"mentee{number}")
        channels[row.id] = row.slack_channel_id or ""
        consent(session, world, f"mentee{number}", ConsentPurpose.EVALUATION)
        session.add(SurveyInvitation(survey_id=survey.id, participant_id=mentee.id, asked_at=survey.opens_at,
                                     reminders_sent=1, created_at=EPOCH))
    for number in range(10):  # stuck in onboarding
        stuck = person(session, world, f"stuck{number}", role=Role.MENTEE, consented=False)
        stuck.name = f"stuck {number} {LONG}"[:200]
    meeting(session, world, "midway", kind=MeetingKind.MIDWAY, starts_at=datetime(2027, 3, 4, 16, tzinfo=UTC),
            title=LONG[:200])
    return world.round_id, channels


@pytest.mark.parametrize("language", ["en", "da"])
def test_forty_pairs_all_late_fit_slacks_limits_and_each_is_listed_once(
    session_factory: sessionmaker[Session], language: str
) -> None:
    with unit_of_work(session_factory) as session:
        round_id, channels = _big_round(session)
        digest = build_digest(session, round_id=round_id, now=NOW)
    assert digest is not None
    late = [action for action in digest.actions if action.kind is ActionKind.LATE]
    assert len(late) == PAIRS and all(action.missed_windows == 2 for action in late)  # the hand count: all 40
    parts = digest.parts()
    assert len(parts) > 1
    listed: list[str] = []
    for facts in parts:
        message = digest_part_message(facts, language)
        assert len(message.blocks) <= MESSAGE_BLOCK_LIMIT
        assert validate_message_blocks(message.blocks) == []
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= SECTION_TEXT_LIMIT
        for where, text in rendered_texts(text=message.text, blocks=message.blocks):
            assert live_sequences(text) == [], (where, text[:300])
        for block in message.blocks:
            accessory = block.get("accessory")
            if accessory is not None:
                parsed = parse_handled_value(accessory["value"])
                assert parsed is not None and parsed[0] == round_id
                listed.append(parsed[1])
        listed_text = json.dumps(message.blocks)
        assert "<!channel>" not in listed_text.replace("&lt;!channel&gt;", "")
    pair_keys = [key for key in listed if key.endswith(":cadence")]
    assert sorted(pair_keys) == sorted(f"pair={pair_id}:cadence" for pair_id in channels)
    assert len(listed) == len(set(listed)) == len(digest.actions)
    # Every late pair's channel is linked from the bot's own channel id.
    everything = json.dumps([digest_part_message(facts, language).blocks for facts in parts])
    assert all(f"<#{channel}>" in everything for channel in channels.values())


def test_the_redraw_marks_only_the_clicked_item(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        round_id, _ = _big_round(session)
        digest = build_digest(session, round_id=round_id, now=NOW)
    assert digest is not None
    message = digest_part_message(digest.parts()[0], "en")
    key = digest.actions[0].key
    redrawn = mark_block_handled(message.blocks, key=key, user_id="UMETTE", language="en")
    changed = [(a, b) for a, b in zip(message.blocks, redrawn, strict=True) if a != b]
    assert len(changed) == 1
    before, after = changed[0]
    assert before["block_id"] == after["block_id"] == f"{DIGEST_BLOCK_PREFIX}{key}"
    assert "accessory" in before and "accessory" not in after and "Handled by <@UMETTE>" in after["text"]["text"]


def test_the_bot_not_in_the_channel_tells_each_coordinator_once(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        round_id, _ = _big_round(session)
        digest = build_digest(session, round_id=round_id, now=NOW)
        assert digest is not None
        payload = {"channel": "CCOORD", "language": "en", **encode_facts(digest.parts()[0])}
        assert digest_channel_missing(session, payload=payload, error="not_in_channel", now=NOW)
        assert digest_channel_missing(session, payload=payload, error="not_in_channel", now=NOW)  # again: no 2nd DM
        assert not digest_channel_missing(session, payload=payload, error="is_archived", now=NOW)
        other = {"channel": "CCOORD", "language": "en", **encode_facts(DigestChannelMissing(channel_id="C",
                                                                                             round_name="x"))}
        assert not digest_channel_missing(session, payload=other, error="not_in_channel", now=NOW)
        rows = session.query(OutboxMessage).filter(OutboxMessage.dedup_key.startswith("digest-channel-missing:")).all()
        coordinators = session.query(Participant).filter(Participant.role == Role.COORDINATOR).all()
    assert [row.payload["channel"] for row in rows] == [c.slack_user_id for c in coordinators] == ["UMETTE"]
    for language, words in (("en", "/invite @mentorbot"), ("da", "Invitér mig med `/invite @mentorbot`")):
        text = json.dumps(digest_channel_missing_message(
            DigestChannelMissing(channel_id="CCOORD", round_name=HOSTILE), language).blocks, ensure_ascii=False)
        assert words in text and "<#CCOORD>" in text and "<!channel>" not in text
    gone = digest_channel_missing_message(DigestChannelMissing(channel_id="CCOORD", round_name="R", channel_gone=True),
                                          "en")
    assert "no longer exists" in json.dumps(gone.blocks)
