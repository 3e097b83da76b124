"""A coordinator reviews a matching proposal in Slack and publishes it, all through signed requests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import (
    ConstraintKind,
    MatchConstraint,
    MatchProposal,
    OutboxMessage,
    OutboxState,
    Pair,
    PairStatus,
    Participant,
    Role,
)
from tests.factories import make_participant
from tests.match_factories import make_ready, make_round_in
from tests.support.answers import find_element


def _seed(slack: SandboxedApp) -> dict[str, int]:
    """Lars (engineering, two places) and Sofie (law) mentor; Ana (engineering), Bo (law, Danish only)
    and Kai (Japanese only, so nobody can take him) are mentees; Mette coordinates."""
    people = (("UMETTE", "Mette"), ("ULARS", "Lars"), ("USOFIE", "Sofie"), ("UANA", "Ana"), ("UBO", "Bo"),
              ("UKAI", "Kai"))
    for user_id, name in people:
        slack.sandbox.add_user(user_id=user_id, name=name.lower(), real_name=name,
                               tz="Asia/Tokyo" if name == "Kai" else "Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round_in(session)
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@kommune.dk", name="Mette",
                         slack_user_id="UMETTE")
        lars = make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", name="Lars",
                          field="Engineering", languages=["English", "Danish"], max_mentees=2, slack_user_id="ULARS")
        sofie = make_ready(session, round_=round_, role=Role.MENTOR, email="sofie@firm.dk", name="Sofie",
                           field="Law", languages=["Danish", "English"], slack_user_id="USOFIE", language="da")
        ana = make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org", name="Ana",
                         field="Engineering", slack_user_id="UANA")
        bo = make_ready(session, round_=round_, role=Role.MENTEE, email="bo@x.org", name="Bo", field="Law",
                        languages=["Danish"], slack_user_id="UBO")
        kai = make_ready(session, round_=round_, role=Role.MENTEE, email="kai@x.org", name="Kai",
                         languages=["Japanese"], slack_user_id="UKAI", timezone_name="Asia/Tokyo")
        return {"round": round_.id, "lars": lars.id, "sofie": sofie.id, "ana": ana.id, "bo": bo.id, "kai": kai.id}


def _review(slack: SandboxedApp) -> dict[str, Any]:
    ephemerals = slack.sandbox.ephemerals_for("UMETTE")
    assert ephemerals, "no ephemeral answer for the coordinator"
    return ephemerals[-1]


def _click(slack: SandboxedApp, action_id: str) -> dict[str, Any]:
    """Click a button on the review as Slack would: from the ephemeral message, signed."""
    message = _review(slack)
    response = slack.click("UMETTE", action_id, value=find_element(message, action_id)[1]["value"], message=message["ts"])
    assert response.status == 200
    return _review(slack)


def _pairs_text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_review_lock_forbid_rerun_and_publish(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    lars_ana, sofie_bo, lars_bo = (f"{ids['lars']}.{ids['ana']}", f"{ids['sofie']}.{ids['bo']}",
                                   f"{ids['lars']}.{ids['bo']}")

    response = slack.slash("UMETTE", "/mentoring-admin", "match")
    assert response.status == 200
    review = _review(slack)
    text = _pairs_text(review)
    assert "Matching proposal: Spring 2027" in text
    assert "*Lars* (mentor) ↔ *Ana* (mentee) · score 4" in text and "*Sofie* (mentor) ↔ *Bo* (mentee)" in text
    assert "Kai has no mentor: no mentor in this round speaks any of their languages (Japanese)." in text

    # Lock Lars–Ana: the review is replaced, the pair now offers Unlock.
    review = _click(slack, f"match.lock.{lars_ana}")
    assert find_element(review, f"match.unlock.{lars_ana}")[1]
    # Forbid Sofie–Bo: Bo goes to Lars's second place (they share Danish), Sofie is left with a place.
    review = _click(slack, f"match.forbid.{sofie_bo}")
    text = _pairs_text(review)
    assert "*Lars* (mentor) ↔ *Bo* (mentee)" in text and "*Sofie* (mentor) ↔ *Bo*" not in text
    assert "Forbidden pairs" in text and "Sofie ↔ Bo" in text
    with unit_of_work(slack.runtime.session_factory) as session:
        constraints = {(c.kind, c.mentor_id, c.mentee_id) for c in session.scalars(select(MatchConstraint))}
    assert constraints == {(ConstraintKind.LOCK, ids["lars"], ids["ana"]),
                           (ConstraintKind.FORBID, ids["sofie"], ids["bo"])}

    # Re-run: a new stored proposal, the same pairs.
    before = find_element(review, "match.publish")[1]["value"]
    review = _click(slack, "match.rerun")
    assert find_element(review, "match.publish")[1]["value"] != before
    assert find_element(review, f"match.unlock.{lars_ana}")[1] and find_element(review, f"match.lock.{lars_bo}")[1]

    # Publish: the review becomes the confirmation; pairs are published for the channel opener.
    publish_value = find_element(review, "match.publish")[1]["value"]
    review = _click(slack, "match.publish")
    assert "Published 2 pairs for Spring 2027" in review["text"] and "being opened" in review["text"]
    assert "match.publish" not in _pairs_text(review), "no second Publish button to click"
    with unit_of_work(slack.runtime.session_factory) as session:
        pairs = {(p.mentor_id, p.mentee_id): p for p in session.scalars(select(Pair))}
        assert set(pairs) == {(ids["lars"], ids["ana"]), (ids["lars"], ids["bo"])}
        assert all(p.published_at == slack.clock.now() and p.match_reasons for p in pairs.values())
        proposal = session.scalars(select(MatchProposal).order_by(MatchProposal.id.desc())).first()
        assert proposal.published_at == slack.clock.now()

    # The people left without a match hear from the bot, in their language.
    slack.deliver()
    kai_dms = [m["text"] for m in slack.sandbox.dm_messages("UKAI") if "What happens next" in m["text"]]
    sofie_dms = [m["text"] for m in slack.sandbox.dm_messages("USOFIE") if "Hvad sker der nu" in m["text"]]
    assert len(kai_dms) == 1 and kai_dms[0].startswith("Hi Kai!")
    assert len(sofie_dms) == 1 and sofie_dms[0].startswith("Hej Sofie! Tak, fordi du har meldt dig som mentor")
    assert not [m for m in slack.sandbox.dm_messages("UANA") if "What happens next" in m["text"]]

    # Slack retrying the Publish click changes nothing and sends nothing more.
    dm = slack.sandbox.im_channel_for("UMETTE")
    again = slack.click("UMETTE", "match.publish", value=publish_value, channel_id=dm)
    assert again.status == 200
    assert any("already published" in body.get("text", "") for _url, body in slack.sandbox.response_posts)
    slack.tick_and_deliver()
    assert len([m for m in slack.sandbox.dm_messages("UKAI") if "What happens next" in m["text"]]) == 1
    with unit_of_work(slack.runtime.session_factory) as session:
        assert len(session.scalars(select(Pair)).all()) == 2
        unmatched_rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedup_key.startswith("unmatched:"))).all()
        assert len(unmatched_rows) == 2 and all(row.state is OutboxState.SENT for row in unmatched_rows)


def test_someone_who_does_not_coordinate_the_round_cannot_publish_it(slack: SandboxedApp) -> None:
    _seed(slack)
    slack.sandbox.add_user(user_id="UOLGA", name="olga")
    with unit_of_work(slack.runtime.session_factory) as session:
        other = make_round_in(session, programme_name="Business Mentoring", name="Autumn 2027")
        make_participant(session, round_=other, role=Role.COORDINATOR, email="olga@x.org", slack_user_id="UOLGA")
    slack.slash("UMETTE", "/mentoring-admin", "match")
    value = find_element(_review(slack), "match.publish")[1]["value"]
    response = slack.click("UOLGA", "match.publish", value=value, channel_id=slack.sandbox.im_channel_for("UOLGA"))
    assert response.status == 200
    assert any("coordinators of this round" in body.get("text", "") for _url, body in slack.sandbox.response_posts)
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalar(select(Pair)) is None


# --- after pairs end, a second proposal, an empty one, and how reasons read ---------------------

LATER = datetime(2027, 2, 16, 9, 0, tzinfo=timezone.utc)  # two weeks on, a Tuesday morning


def _seed_two_pairs(slack: SandboxedApp, *, sofie_places: int = 1) -> dict[str, int]:
    """Lars (English) and Sofie (Danish and English) mentor, one place each unless told; Ana
    (English) and Bo (Danish) are mentees: the first proposal is Lars–Ana and Sofie–Bo."""
    for user_id, name in (("UMETTE", "Mette"), ("ULARS", "Lars"), ("USOFIE", "Sofie"), ("UANA", "Ana"),
                          ("UBO", "Bo"), ("UCLEO", "Cleo")):
        slack.sandbox.add_user(user_id=user_id, name=name.lower(), real_name=name, tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round_in(session)
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@kommune.dk", name="Mette",
                         slack_user_id="UMETTE")
        lars = make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", name="Lars",
                          field="Engineering", slack_user_id="ULARS")
        sofie = make_ready(session, round_=round_, role=Role.MENTOR, email="sofie@firm.dk", name="Sofie",
                           field="Law", languages=["Danish", "English"], max_mentees=sofie_places,
                           slack_user_id="USOFIE")
        ana = make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org", name="Ana",
                         field="Engineering", slack_user_id="UANA")
        bo = make_ready(session, round_=round_, role=Role.MENTEE, email="bo@x.org", name="Bo", field="Law",
                        languages=["Danish"], slack_user_id="UBO")
        return {"round": round_.id, "lars": lars.id, "sofie": sofie.id, "ana": ana.id, "bo": bo.id}


def _join(slack: SandboxedApp, ids: dict[str, int], *, name: str, languages: list[str]) -> None:
    """Another mentee finishes onboarding after the first proposal was published."""
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = session.get(Pair, _pair_id(slack, ids["lars"], ids["ana"])).round
        person = make_ready(session, round_=round_, role=Role.MENTEE, email=f"{name.lower()}@x.org", name=name,
                            languages=languages, slack_user_id=f"U{name.upper()}")
        ids[name.lower()] = person.id


def _pair_id(slack: SandboxedApp, mentor_id: int, mentee_id: int) -> int:
    with unit_of_work(slack.runtime.session_factory) as session:
        return session.scalars(select(Pair.id).where(Pair.mentor_id == mentor_id, Pair.mentee_id == mentee_id)).one()


def _end_pair(slack: SandboxedApp, *, query: str, pair_id: int, reason: str) -> None:
    """A coordinator ends a pair as they would: the command, then the modal, signed."""
    assert slack.slash("UMETTE", "/mentoring-admin", f"end-pair {query}").status == 200
    modal = slack.sandbox.opened_views[-1]
    values = {"pair": {"pair": {"type": "static_select", "selected_option": {"value": str(pair_id)}}},
              "reason": {"reason": {"type": "static_select", "selected_option": {"value": reason}}},
              "note": {"note": ""}}
    response = slack.submit("UMETTE", "pairs.end.submit", values, view_id=modal["id"])
    assert response.view_errors == ()


def _match_and_publish(slack: SandboxedApp) -> dict[str, Any]:
    assert slack.slash("UMETTE", "/mentoring-admin", "match").status == 200
    return _click(slack, "match.publish")


def _what_happens_next(slack: SandboxedApp, user_id: str) -> list[str]:
    return [m["text"] for m in slack.sandbox.dm_messages(user_id)
            if "What happens next" in m["text"] or "Hvad sker der nu" in m["text"]]


def test_an_ended_pair_is_explained_as_ended_and_can_be_allowed_again(slack: SandboxedApp) -> None:
    ids = _seed_two_pairs(slack)
    lars_ana = f"{ids['lars']}.{ids['ana']}"
    slack.slash("UMETTE", "/mentoring-admin", "match")
    _click(slack, f"match.lock.{lars_ana}")  # locked by hand, then published: the lock has done its work
    assert "Published 2 pairs" in _click(slack, "match.publish")["text"]

    slack.clock.set(LATER)
    _end_pair(slack, query="ana", pair_id=_pair_id(slack, ids["lars"], ids["ana"]), reason="not_a_fit")
    slack.clock.set(LATER + timedelta(minutes=5))
    slack.slash("UMETTE", "/mentoring-admin", "match")
    review = _review(slack)
    text = _pairs_text(review)
    # Nobody forbade anything: Lars was her mentor until the pair ended, and Sofie is full.
    assert "excluded" not in text and "by a coordinator" not in text
    assert ("Ana has no mentor: of the 2 mentors who share a language with them, 1 was their partner earlier "
            "in this round (the pair ended) and 1 has no place left.") in text
    assert ("Lars has 1 place free: the one mentee who shares a language with them, Ana, was their partner "
            "earlier in this round, and that pair ended.") in text
    assert "locked together" not in text, "the lock was spent on the published pair"
    assert "match.publish" not in text, "an empty proposal offers nothing to publish"
    # The ended pair is listed with the forbidden ones, and can be allowed again the same way.
    assert "Forbidden pairs" in text and "Lars ↔ Ana (their pair ended in this round)" in text
    allow = find_element(review, "match.allow")[1]
    (option,) = allow["options"]
    assert option["text"]["text"] == "Lars ↔ Ana (their pair ended in this round)"
    response = slack.click("UMETTE", "match.allow", selected_option=option, message=review["ts"])
    assert response.status == 200
    review = _review(slack)
    assert "*Lars* (mentor) ↔ *Ana* (mentee)" in _pairs_text(review)
    assert "Forbidden pairs" not in _pairs_text(review)
    with unit_of_work(slack.runtime.session_factory) as session:
        kinds = {(c.kind, c.mentor_id, c.mentee_id, c.created_by) for c in session.scalars(select(MatchConstraint))}
    assert kinds == {(ConstraintKind.ALLOW, ids["lars"], ids["ana"], "UMETTE")}

    # Published again, the same pair row is live again, with no trace of the old ending.
    assert "Published 1 pair" in _click(slack, "match.publish")["text"]
    with unit_of_work(slack.runtime.session_factory) as session:
        pair = session.get(Pair, _pair_id(slack, ids["lars"], ids["ana"]))
        assert pair.status is PairStatus.ACTIVE and pair.ended_at is None and pair.end_reason is None


def test_a_mentee_who_found_a_job_is_not_matched_again_nor_told_there_is_no_mentor(slack: SandboxedApp) -> None:
    ids = _seed_two_pairs(slack, sofie_places=2)
    _match_and_publish(slack)
    slack.deliver()
    slack.clock.set(LATER)
    _end_pair(slack, query="ana", pair_id=_pair_id(slack, ids["lars"], ids["ana"]), reason="found_job")
    _join(slack, ids, name="Cleo", languages=["Danish"])  # only Sofie can take her

    slack.slash("UMETTE", "/mentoring-admin", "match")
    text = _pairs_text(_review(slack))
    assert "*Sofie* (mentor) ↔ *Cleo* (mentee)" in text
    assert "Ana" not in text, "she found a job: not proposed, not listed as without a match, no pair to allow"
    published = _click(slack, "match.publish")
    assert "Published 1 pair for Spring 2027" in published["text"]
    slack.deliver()
    assert _what_happens_next(slack, "UANA") == [], "no 'we did not find a mentor who fits you'"
    assert _what_happens_next(slack, "ULARS") == [], "Lars had a mentee: not told he was not given one"
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalar(select(Pair).where(Pair.mentee_id == ids["ana"])).status is PairStatus.ENDED


def test_someone_still_without_a_match_hears_it_once_per_round(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    _match_and_publish(slack)
    slack.deliver()
    assert len(_what_happens_next(slack, "UKAI")) == 1

    _join(slack, ids, name="Cleo", languages=["English"])  # Lars's second place is still free
    published = _match_and_publish(slack)
    assert "Published 1 pair for Spring 2027" in published["text"] and "0 people without a match" in published["text"]
    slack.deliver()
    assert len(_what_happens_next(slack, "UKAI")) == 1, "the second proposal does not repeat the first one's news"
    with unit_of_work(slack.runtime.session_factory) as session:
        keys = session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.startswith("unmatched:")))
        assert list(keys) == [f"unmatched:round={ids['round']}:participant={ids['kai']}"]


def test_an_empty_proposal_is_refused_with_the_reason_and_nothing_changes(slack: SandboxedApp) -> None:
    ids = _seed_two_pairs(slack)
    with unit_of_work(slack.runtime.session_factory) as session:  # nobody can take Bo: no Danish mentor
        session.get(Participant, ids["sofie"]).languages = ["English"]
        session.get(Participant, ids["ana"]).opted_out_at = LATER
    slack.slash("UMETTE", "/mentoring-admin", "match")
    review = _review(slack)
    assert "No pairs can be proposed yet" in _pairs_text(review) and "match.publish" not in _pairs_text(review)

    # A Publish click anyway (an older message, a forged request): refused, explained, nothing stored.
    proposal_id = json.loads(find_element(review, "match.rerun")[1]["value"])["p"]
    response = slack.click("UMETTE", "match.publish", value=json.dumps({"p": proposal_id, "g": 0}),
                           message=review["ts"])
    assert response.status == 200
    answer = _review(slack)
    assert answer["text"].startswith("There is nothing to publish: this proposal for Spring 2027 has no pairs")
    assert "being opened" not in answer["text"]
    assert any(e["text"].startswith("Matching proposal") for e in slack.sandbox.ephemerals_for("UMETTE")), \
        "the review stays beside the answer"
    slack.deliver()
    assert _what_happens_next(slack, "UBO") == [] and _what_happens_next(slack, "ULARS") == []
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.get(MatchProposal, proposal_id).published_at is None
        assert session.scalar(select(Pair)) is None and session.scalar(select(OutboxMessage)) is None


def test_reasons_show_languages_and_fields_as_people_wrote_them(slack: SandboxedApp) -> None:
    for user_id, name in (("UMETTE", "Mette"), ("ULARS", "Lars"), ("UANA", "Ana")):
        slack.sandbox.add_user(user_id=user_id, name=name.lower(), real_name=name, tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round_in(session)
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="mette@kommune.dk", name="Mette",
                         slack_user_id="UMETTE")
        make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", name="Lars", field="software",
                   languages=["english", "Danish"], interests=["Sailing"], slack_user_id="ULARS")
        make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org", name="Ana", field="IT",
                   languages=["English", "Portuguese"], interests=["sailing"], slack_user_id="UANA")
    slack.slash("UMETTE", "/mentoring-admin", "match")
    text = _pairs_text(_review(slack))
    assert "Shared language: English" in text, "the mentee's spelling"
    assert "Related fields: IT (mentee) and software (mentor)" in text, "each field as its owner wrote it"
    assert "Shared interests: sailing" in text
    assert "english" not in text and "it (mentee)" not in text
