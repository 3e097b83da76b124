"""The review's Block Kit and text: content, escaping, both languages, and Slack's limits."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.matching.engine import (
    REASON_SAME_FIELD,
    REASON_SHARED_INTERESTS,
    REASON_SHARED_LANGUAGE,
    REASON_TIMEZONE_GAP,
    UNMATCHED_NO_SHARED_LANGUAGE,
    MatchProblem,
    Proposal,
    ProposedPair,
    ScoreComponent,
    Unmatched,
)
from bot.matching.review import (
    LookupStatus,
    ProposalReview,
    PublishResult,
    PublishStatus,
    ReviewAction,
    ReviewStatus,
    RoundLookup,
)
from bot.sandbox._blocks import validate_message_blocks
from bot.slack.render.blocks import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT, check_message_limits
from bot.slack.render.match_review import (
    PAGE_SIZE,
    PUBLISH_ACTION_ID,
    REVIEW_ACTION_PATTERN,
    action_value,
    choose_round_message,
    parse_action_value,
    proposal_lines,
    publish_message,
    reasons_text,
    refused_message,
    review_action_for,
    review_message,
    unmatched_dm,
)

CREATED = datetime(2027, 2, 2, 9, 0, tzinfo=timezone.utc)


def _review(*, pairs: int = 3, unmatched: int = 1, forbidden: int = 0, published: bool = False,
            evil: bool = False) -> ProposalReview:
    names: dict[int, str] = {}
    proposed: list[ProposedPair] = []
    for k in range(pairs):
        mentor_id, mentee_id = 1000 + k, 2000 + k
        names[mentor_id] = f"Mentor {k}"
        names[mentee_id] = "Ana <!channel> & co" if evil and k == 0 else f"Mentee {k}"
        components = (
            ScoreComponent(REASON_SHARED_LANGUAGE, 0.0, {"languages": "english"}),
            ScoreComponent(REASON_SAME_FIELD, 4.0, {"field": "<b>engineering</b>" if evil else "engineering"}),
            ScoreComponent(REASON_SHARED_INTERESTS, 1.5, {"interests": "cycling, jazz, sailing"}),
            ScoreComponent(REASON_TIMEZONE_GAP, -0.5, {"hours": "4"}),
        )
        proposed.append(ProposedPair(mentor_id=mentor_id, mentee_id=mentee_id, score=5.0, components=components,
                                     locked=k == 1))
    left: list[Unmatched] = []
    for k in range(unmatched):
        person = 3000 + k
        names[person] = f"Lonely {k} <@U1>"
        left.append(Unmatched(participant_id=person, role="mentee", reason_code=UNMATCHED_NO_SHARED_LANGUAGE,
                              params={"name": names[person], "languages": "klingon"}))
    problems = (MatchProblem(code="match.problem.lock_not_ready", mentor_id=1000, mentee_id=2000,
                             params={"mentor": "Mentor 0", "mentee": "Mentee 0", "name": "Mentee 0"}),)
    return ProposalReview(
        proposal_id=42, round_id=7, round_name="Spring 2027", programme_name="Career Mentoring",
        proposal=Proposal(pairs=tuple(proposed), unmatched=tuple(left), problems=problems, total_score=5.0 * pairs),
        names=names, forbidden=tuple((1000 + k, 2000 + k + 1) for k in range(forbidden)),
        created_at=CREATED, published_at=CREATED if published else None,
    )


def _dump(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _action_ids(blocks: list[dict]) -> list[str]:
    ids = []
    for block in blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if "action_id" in element:
                ids.append(element["action_id"])
    return ids


def test_each_pair_has_score_reasons_and_its_own_buttons() -> None:
    message = review_message(_review(), language="en")
    text = _dump(message.blocks)
    assert message.blocks[0]["type"] == "header" and "Spring 2027" in message.blocks[0]["text"]["text"]
    assert "*Mentor 0* (mentor) ↔ *Mentee 0* (mentee) · score 5" in text
    assert "Same field: engineering (+4)" in text and "Shared interests: cycling, jazz, sailing (+1.5)" in text
    assert "4 hours apart in time zones (−0.5)" in text and "Shared language: english" in text
    ids = _action_ids(message.blocks)
    assert "match.lock.1000.2000" in ids and "match.forbid.1000.2000" in ids
    assert "match.unlock.1001.2001" in ids and "match.lock.1001.2001" not in ids, "a locked pair offers Unlock"
    assert ids[-2:] == ["match.rerun", PUBLISH_ACTION_ID]
    publish = next(e for b in message.blocks for e in b.get("elements", []) if e.get("action_id") == PUBLISH_ACTION_ID)
    assert publish["style"] == "primary" and publish["confirm"]["title"]["text"] == "Publish 3 pairs?"
    assert parse_action_value(publish["value"]).proposal_id == 42
    forbid = next(e for b in message.blocks for e in b.get("elements", []) if e.get("action_id") == "match.forbid.1000.2000")
    value = parse_action_value(forbid["value"])
    assert (value.proposal_id, value.mentor_id, value.mentee_id) == (42, 1000, 2000)
    assert "Lonely 0" in text and "Instructions that could not be followed" in text
    assert validate_message_blocks(message.blocks) == []
    assert message.text.startswith("Matching proposal: Spring 2027")


def test_user_text_is_escaped_everywhere() -> None:
    message = review_message(_review(evil=True, forbidden=1), language="en")
    text = _dump(message.blocks)
    assert "<!channel>" not in text and "<@U1>" not in text and "<b>" not in text
    assert "Ana &lt;!channel&gt; &amp; co" in text and "&lt;b&gt;engineering&lt;/b&gt;" in text


def test_danish_review() -> None:
    text = _dump(review_message(_review(forbidden=2), language="da").blocks)
    for word in ("Forslag til match", "Lås", "Lås op", "Forbyd", "Kør igen", "Offentliggør", "Samme fagområde",
                 "Forbudte par", "Tillad et forbudt par igen", "Uden match"):
        assert word in text, word
    assert "(+1,5)" in text, "Danish decimal comma"


@pytest.mark.parametrize("count", [20, 21, 45])
def test_twenty_pairs_fit_on_a_page_and_more_are_paged(count: int) -> None:
    review = _review(pairs=count, unmatched=60, forbidden=150)
    pages = -(-count // PAGE_SIZE)
    seen: set[tuple[str, str]] = set()
    for page in range(pages):
        message = review_message(review, language="en", page=page, notice="A notice")
        assert len(message.blocks) <= MESSAGE_BLOCK_LIMIT
        check_message_limits(message.blocks)
        assert validate_message_blocks(message.blocks) == []
        assert all(len(b.get("text", {}).get("text", "")) <= SECTION_TEXT_LIMIT for b in message.blocks)
        for block in message.blocks:
            if block.get("block_id", "").startswith("match.pair."):
                seen.add(tuple(block["block_id"].split(".")[2:]))
        ids = _action_ids(message.blocks)
        assert ("match.page.previous" in ids) == (page > 0)
        assert ("match.page.next" in ids) == (page < pages - 1)
        text = _dump(message.blocks)
        if pages > 1:
            assert f"Page {page + 1} of {pages}" in text and "mentorbot match --round" in text
        assert "…and" in text, "60 unmatched do not fit one section: the rest are counted"
    assert len(seen) == count, "every pair is on exactly one page"
    first = review_message(review, language="en")
    select = next(b["accessory"] for b in first.blocks if b.get("accessory", {}).get("type") == "static_select")
    assert len(select["options"]) == 100 and select["action_id"] == "match.allow"


def test_a_published_proposal_cannot_be_changed_from_its_message() -> None:
    ids = _action_ids(review_message(_review(published=True, forbidden=1), language="en").blocks)
    assert ids == ["match.rerun"]


def test_action_values_and_ids_round_trip_and_junk_is_refused() -> None:
    value = parse_action_value(action_value(proposal_id=5, mentor_id=6, mentee_id=7, page=2))
    assert (value.proposal_id, value.mentor_id, value.mentee_id, value.page) == (5, 6, 7, 2)
    assert parse_action_value(action_value(proposal_id=5)).mentor_id is None
    for junk in (None, "", "nope", "[1]", '{"p":"5"}', '{"p":5,"m":6}', '{"p":true}', '{"p":5,"g":-3,"m":1,"e":"x"}'):
        assert parse_action_value(junk) is None, junk
    assert parse_action_value('{"p":5,"g":-3}').page == 0
    assert review_action_for("match.lock.1.2") is ReviewAction.LOCK
    assert review_action_for("match.unlock.1.2") is ReviewAction.UNLOCK
    assert review_action_for("match.forbid.1.2") is ReviewAction.FORBID
    assert review_action_for("match.allow") is ReviewAction.ALLOW
    assert review_action_for("match.rerun") is ReviewAction.RERUN
    assert review_action_for("match.page.next") is ReviewAction.SHOW
    assert review_action_for("match.publish") is None
    for action_id in ("match.lock.1.2", "match.page.previous", "match.allow", "match.rerun"):
        assert REVIEW_ACTION_PATTERN.match(action_id)
    assert not REVIEW_ACTION_PATTERN.match(PUBLISH_ACTION_ID) and not REVIEW_ACTION_PATTERN.match("matching.x")


def test_publish_answers() -> None:
    published = PublishResult(status=PublishStatus.PUBLISHED, proposal_id=1, round_id=2, round_name="Spring <1>",
                              pairs_published=18, people_notified=3)
    text = publish_message(published, language="en").text
    assert "Published 18 pairs for Spring &lt;1&gt;" in text and "private channel is being opened" in text
    assert "3 people without a match" in text
    assert "offentliggjort" in publish_message(published, language="da").text
    again = PublishResult(status=PublishStatus.ALREADY_PUBLISHED, proposal_id=1, round_name="S", pairs_published=18)
    assert "already published" in publish_message(again, language="en").text
    stale = PublishResult(status=PublishStatus.STALE, proposal_id=1, round_name="S",
                          stale_reason=MatchProblem(code="match.stale.newer", params={"newer": "9"}))
    message = publish_message(stale, language="en", review=_review())
    assert "can no longer be published: a newer proposal (#9)" in _dump(message.blocks)
    assert PUBLISH_ACTION_ID in _action_ids(message.blocks)
    assert "coordinators of this round" in refused_message(ReviewStatus.NOT_ALLOWED, language="en").text
    assert "/mentoring-admin match" in refused_message(ReviewStatus.NOT_FOUND, language="en").text


def test_which_round_answers() -> None:
    several = RoundLookup(status=LookupStatus.SEVERAL_RUNNING, choices=("Spring 2027", "Business / Spring <x>"))
    text = choose_round_message(several, typed="", language="en").text
    assert "`Spring 2027`" in text and "`Business / Spring &lt;x&gt;`" in text and "/mentoring-admin match" in text
    unknown = RoundLookup(status=LookupStatus.UNKNOWN, choices=("Spring 2027",))
    assert "“Winter &lt;3”" in choose_round_message(unknown, typed="Winter <3", language="en").text
    ambiguous = RoundLookup(status=LookupStatus.AMBIGUOUS, choices=("A / S", "B / S"))
    assert "flere mentorprogrammer" in choose_round_message(ambiguous, typed="S", language="da").text
    assert "import" in choose_round_message(RoundLookup(status=LookupStatus.UNKNOWN), typed="x", language="en").text


def test_the_unmatched_dm_is_kind_escaped_and_in_their_language() -> None:
    mentee = unmatched_dm(name="Ana <!here>", role="mentee", round_name="Spring 2027", programme_name="Lyngby",
                          language="en")
    assert "Hi Ana &lt;!here&gt;!" in mentee.text and "What happens next" in mentee.text
    assert "says nothing about you" in mentee.text
    mentor = unmatched_dm(name="Lars", role="mentor", round_name="Forår 2027", programme_name="Lyngby", language="da")
    assert mentor.text.startswith("Hej Lars! Tak, fordi du har meldt dig som mentor i Forår 2027")
    assert "Hvad sker der nu" in mentor.text


def test_plain_lines_for_the_command_line_and_excel() -> None:
    review = _review(evil=True)
    lines = proposal_lines(review)
    assert lines[0] == "Proposal #42 for Career Mentoring / Spring 2027: 3 pairs, total score 15"
    assert "  Mentor 0 (mentor) ↔ Ana <!channel> & co (mentee): score 5" in lines, "plain text is not escaped"
    assert "  Mentor 1 (mentor) ↔ Mentee 1 (mentee): score 5 [Locked by a coordinator]" in lines
    assert "      Same field: <b>engineering</b> (+4)" in lines
    assert "Without a match (1):" in lines and "Instructions that could not be followed (1):" in lines
    assert reasons_text(review.proposal.pairs[1], language="en").startswith(
        "Locked by a coordinator; Shared language: english; Same field")
