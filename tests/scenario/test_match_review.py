"""A coordinator reviews a matching proposal in Slack and publishes it, all through signed requests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import ConstraintKind, MatchConstraint, MatchProposal, OutboxMessage, OutboxState, Pair, Role
from tests.factories import make_participant
from tests.match_factories import make_ready, make_round_in


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


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in message["blocks"] or []:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} in {json.dumps(message['blocks'])[:400]}")


def _click(slack: SandboxedApp, action_id: str) -> dict[str, Any]:
    """Click a button on the review as Slack would: from the ephemeral message, signed."""
    message = _review(slack)
    response = slack.click("UMETTE", action_id, value=_button(message, action_id)["value"], message=message["ts"])
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
    assert "Kai has no mentor: no mentor in this round speaks any of their languages (japanese)." in text

    # Lock Lars–Ana: the review is replaced, the pair now offers Unlock.
    review = _click(slack, f"match.lock.{lars_ana}")
    assert _button(review, f"match.unlock.{lars_ana}")
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
    before = _button(review, "match.publish")["value"]
    review = _click(slack, "match.rerun")
    assert _button(review, "match.publish")["value"] != before
    assert _button(review, f"match.unlock.{lars_ana}") and _button(review, f"match.lock.{lars_bo}")

    # Publish: the review becomes the confirmation; pairs are published for the channel opener.
    publish_value = _button(review, "match.publish")["value"]
    review = _click(slack, "match.publish")
    assert "Published 2 pair(s) for Spring 2027" in review["text"] and "being opened" in review["text"]
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
    value = _button(_review(slack), "match.publish")["value"]
    response = slack.click("UOLGA", "match.publish", value=value, channel_id=slack.sandbox.im_channel_for("UOLGA"))
    assert response.status == 200
    assert any("coordinators of this round" in body.get("text", "") for _url, body in slack.sandbox.response_posts)
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalar(select(Pair)) is None
