"""The matching proposal's database side: who is a candidate, constraints, snapshots, publishing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.core.workspace import Workspace
from bot.i18n import catalog
from bot.matching import review as mr
from bot.matching.engine import (
    PROBLEM_LOCK_NO_SHARED_LANGUAGE,
    REASON_SAME_FIELD,
    MatchWeights,
)
from bot.matching.review import (
    LookupStatus,
    PublishStatus,
    allow_pair,
    clear_constraint,
    compute_proposal,
    find_round,
    forbid_pair,
    load_candidates,
    lock_pair,
    publish_proposal,
    review_of,
    unmatched_dedup_key,
    weights_for,
)
from bot.rounds.workbook import PairRow, ParticipantRow
from storage.db import unit_of_work
from storage.models import (
    ConstraintKind,
    MatchConstraint,
    MatchProposal,
    OutboxMessage,
    Pair,
    PairStatus,
    Role,
)
from tests.factories import make_participant
from tests.match_factories import make_pair, make_ready, make_round_in
from tests.support.notices import slack_payload
from tests.support.workspaces import move_programme
from tests.unit.test_roster_import import sample_workbook

NOW = datetime(2027, 2, 2, 9, 0, tzinfo=timezone.utc)  # a Tuesday morning in Copenhagen


def _ids(candidates) -> set[str]:  # noqa: ANN001
    return {c.email for c in candidates}


# --- candidates -------------------------------------------------------------------------------

def test_only_ready_mentors_and_mentees_are_candidates(session) -> None:  # noqa: ANN001
    round_ = make_round_in(session)
    make_ready(session, round_=round_, role=Role.MENTEE, email="ready@x.org")
    make_ready(session, round_=round_, role=Role.MENTEE, email="noconsent@x.org", ready=False)
    no_profile = make_ready(session, round_=round_, role=Role.MENTEE, email="noprofile@x.org")
    no_profile.profile_completed_at = None
    opted_out = make_ready(session, round_=round_, role=Role.MENTEE, email="optout@x.org")
    opted_out.opted_out_at = NOW
    not_in_slack = make_ready(session, round_=round_, role=Role.MENTOR, email="ghost@x.org")
    not_in_slack.slack_user_id = None
    make_ready(session, round_=round_, role=Role.MENTOR, email="mentor@x.org")
    make_participant(session, round_=round_, role=Role.COORDINATOR, email="boss@x.org", slack_user_id="UBOSS")
    session.flush()

    loaded = load_candidates(session, round_id=round_.id)
    assert _ids(loaded.mentees) == {"ready@x.org"}
    assert _ids(loaded.mentors) == {"mentor@x.org"}


def test_live_pairs_take_people_out_and_ended_pairs_free_them(session) -> None:  # noqa: ANN001
    round_ = make_round_in(session)
    busy = make_ready(session, round_=round_, role=Role.MENTEE, email="busy@x.org")
    paused = make_ready(session, round_=round_, role=Role.MENTEE, email="paused@x.org")
    freed = make_ready(session, round_=round_, role=Role.MENTEE, email="freed@x.org")
    full = make_ready(session, round_=round_, role=Role.MENTOR, email="full@x.org", max_mentees=1)
    roomy = make_ready(session, round_=round_, role=Role.MENTOR, email="roomy@x.org", max_mentees=3)
    make_pair(session, mentor=full, mentee=busy)
    make_pair(session, mentor=roomy, mentee=paused, status=PairStatus.PAUSED)
    make_pair(session, mentor=roomy, mentee=freed, status=PairStatus.ENDED)

    loaded = load_candidates(session, round_id=round_.id)
    assert _ids(loaded.mentees) == {"freed@x.org"}
    assert _ids(loaded.mentors) == {"roomy@x.org"}
    assert next(c for c in loaded.mentors).max_mentees == 2, "3 places, one live (paused) pair"
    assert (roomy.id, freed.id) in loaded.forbidden, "an ended pair is not proposed again"

    proposal = review_of(compute_proposal(session, round_id=round_.id, now=NOW, created_by="U1")).proposal
    assert proposal.pairs == () and proposal.unmatched[0].participant_id == freed.id


def test_an_ended_pair_stays_apart_until_allowed_and_an_allow_counts_for_one_ending(session) -> None:  # noqa: ANN001
    round_, lars, sofie, ana, bo = _two_by_two(session)
    pair = make_pair(session, mentor=lars, mentee=ana, status=PairStatus.ENDED)
    pair.ended_at, pair.end_reason = NOW, "not_a_fit"
    lock_pair(session, round_id=round_.id, mentor_id=lars.id, mentee_id=ana.id, now=NOW - timedelta(days=9),
              created_by="U1")  # the lock that made the pair, before it was published and ended
    loaded = load_candidates(session, round_id=round_.id)
    assert loaded.ended == {(lars.id, ana.id)} and (lars.id, ana.id) in loaded.forbidden
    assert (lars.id, ana.id) not in loaded.locked, "a lock spent on a published pair is not used again"
    assert loaded.forbidden_by_coordinator == frozenset()

    assert allow_pair(session, round_id=round_.id, mentor_id=lars.id, mentee_id=ana.id,
                      now=NOW + timedelta(hours=1), created_by="U1")
    assert load_candidates(session, round_id=round_.id).ended == frozenset()
    pair.ended_at = NOW + timedelta(hours=2)  # published again, and ended again: the old allow is spent
    session.flush()
    assert load_candidates(session, round_id=round_.id).ended == {(lars.id, ana.id)}
    # Lifting a coordinator's forbid on a pair that never ended simply removes it.
    forbid_pair(session, round_id=round_.id, mentor_id=sofie.id, mentee_id=bo.id, now=NOW, created_by="U1")
    assert allow_pair(session, round_id=round_.id, mentor_id=sofie.id, mentee_id=bo.id, now=NOW, created_by="U1")
    assert session.scalar(select(MatchConstraint).where(MatchConstraint.mentee_id == bo.id)) is None


def test_a_mentee_whose_pair_ended_with_a_job_is_placed_not_a_candidate(session) -> None:  # noqa: ANN001
    round_, lars, _sofie, ana, _bo = _two_by_two(session)
    pair = make_pair(session, mentor=lars, mentee=ana, status=PairStatus.ENDED)
    pair.ended_at, pair.end_reason = NOW, "found_job"
    loaded = load_candidates(session, round_id=round_.id)
    assert ana.id not in loaded.mentee_ids and ana.id in {c.id for c in loaded.placed}
    assert lars.id in loaded.mentor_ids, "his place is free again"


def test_pairs_of_another_workspace_never_count_as_met_before(session) -> None:  # noqa: ANN001
    """Issue 13: the same emails in another workspace are other accounts there. Their pair
    in workspace A neither keeps them apart in B's matching nor refuses B's hand-made pair
    (which would tell B of A's pairs); in A's own later round it still counts."""
    a_autumn = make_round_in(session, programme_name="Alpha", name="Autumn 2026", starts_on=date(2026, 9, 1),
                             ends_on=date(2026, 12, 20))
    b_spring = make_round_in(session, programme_name="Beta")
    a_spring = make_round_in(session, programme=a_autumn.programme, name="Spring 2027")
    move_programme(session, programme_id=a_autumn.programme_id, team_id="T0A")
    move_programme(session, programme_id=b_spring.programme_id, team_id="T0B")
    session.expire_all()
    make_pair(session, mentor=make_ready(session, round_=a_autumn, role=Role.MENTOR, email="lars@firm.dk"),
              mentee=make_ready(session, round_=a_autumn, role=Role.MENTEE, email="ana@x.org"))
    for round_ in (b_spring, a_spring):
        make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk")
        make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org")

    in_b = load_candidates(session, round_id=b_spring.id)
    assert {c.email: c.previous_partner_emails for c in (*in_b.mentors, *in_b.mentees)} == {
        "lars@firm.dk": frozenset(), "ana@x.org": frozenset()}
    in_a = load_candidates(session, round_id=a_spring.id)
    assert {c.email: c.previous_partner_emails for c in in_a.mentors} == {"lars@firm.dk": {"ana@x.org"}}

    hand_made = replace(sample_workbook(), programme=replace(sample_workbook().programme, programme="Beta"),
                        participants=(ParticipantRow(row=2, email="lars@firm.dk", name="Lars", role="mentor"),
                                      ParticipantRow(row=3, email="ana@x.org", name="Ana", role="mentee")),
                        pairs=(PairRow(row=2, mentor_email="lars@firm.dk", mentee_email="ana@x.org"),))
    assert mr.hand_pair_problems(session, workbook=hand_made, round_id=b_spring.id, existing={},
                                 workspace=Workspace(team_id="T0B")) == []
    assert [problem.code for problem in mr.hand_pair_problems(
        session, workbook=hand_made, round_id=a_spring.id, existing={}, workspace=Workspace(team_id="T0A"))]


def test_previous_partners_are_matched_by_email_across_earlier_rounds_only(session) -> None:  # noqa: ANN001
    autumn = make_round_in(session, name="Autumn 2026", starts_on=date(2026, 9, 1), ends_on=date(2026, 12, 20))
    spring = make_round_in(session, programme=autumn.programme, name="Spring 2027")
    later = make_round_in(session, programme=autumn.programme, name="Autumn 2027", starts_on=date(2027, 9, 1),
                          ends_on=date(2027, 12, 20))
    old_mentor = make_ready(session, round_=autumn, role=Role.MENTOR, email="lars@firm.dk")
    old_mentee = make_ready(session, round_=autumn, role=Role.MENTEE, email="ana@x.org")
    make_pair(session, mentor=old_mentor, mentee=old_mentee, status=PairStatus.ENDED)
    future_mentor = make_ready(session, round_=later, role=Role.MENTOR, email="sofie@firm.dk")
    future_mentee = make_ready(session, round_=later, role=Role.MENTEE, email="bo@x.org")
    make_pair(session, mentor=future_mentor, mentee=future_mentee, published=False)

    make_ready(session, round_=spring, role=Role.MENTOR, email="Lars@Firm.dk")
    make_ready(session, round_=spring, role=Role.MENTEE, email="ana@x.org")
    make_ready(session, round_=spring, role=Role.MENTOR, email="sofie@firm.dk")
    make_ready(session, round_=spring, role=Role.MENTEE, email="bo@x.org")

    loaded = load_candidates(session, round_id=spring.id)
    previous = {c.email: c.previous_partner_emails for c in (*loaded.mentors, *loaded.mentees)}
    assert previous["lars@firm.dk"] == {"ana@x.org"} and previous["ana@x.org"] == {"lars@firm.dk"}
    assert previous["sofie@firm.dk"] == frozenset(), "a later round is not an earlier one"

    proposal = review_of(compute_proposal(session, round_id=spring.id, now=NOW, created_by=None)).proposal
    paired = {(loaded.people[p.mentor_id].email.lower(), loaded.people[p.mentee_id].email) for p in proposal.pairs}
    assert ("lars@firm.dk", "ana@x.org") not in paired
    assert len(proposal.pairs) == 2, "each finds the other's partner instead"


def test_profile_lists_and_time_zone_at_the_rounds_start(session) -> None:  # noqa: ANN001
    round_ = make_round_in(session)  # starts 1 Feb: Copenhagen is UTC+1 in winter
    make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org", languages=["English", "Portuguese"],
               interests=["sailing"], goals="interview practice", timezone_name="America/Sao_Paulo")
    make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", max_mentees=2, expertise="hiring")
    loaded = load_candidates(session, round_id=round_.id)
    ana, lars = loaded.mentees[0], loaded.mentors[0]
    assert ana.languages == {"English", "Portuguese"} and ana.interests == {"sailing"}
    assert ana.goals == "interview practice" and lars.expertise == "hiring" and lars.max_mentees == 2
    assert ana.utc_offset_hours == -3.0 and lars.utc_offset_hours == 1.0


def test_programme_weights_override_the_defaults_and_bad_ones_fall_back() -> None:
    assert weights_for(None) == MatchWeights()
    chosen = weights_for({"same_field": 10, "shared_interests_max": 2, "no_such_weight": 3})
    assert chosen.same_field == 10.0 and chosen.shared_interests_max == 2
    assert chosen.related_field == MatchWeights().related_field
    assert weights_for({"same_field": -1}) == MatchWeights()
    assert weights_for({"same_field": "lots"}) == MatchWeights()


# --- constraints ------------------------------------------------------------------------------

def _two_by_two(session):  # noqa: ANN001, ANN202
    """Ana fits Lars (same field) and Bo fits Sofie: the optimum is Lars–Ana, Sofie–Bo."""
    round_ = make_round_in(session)
    lars = make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", field="Engineering")
    sofie = make_ready(session, round_=round_, role=Role.MENTOR, email="sofie@firm.dk", field="Law")
    ana = make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org", field="Engineering")
    bo = make_ready(session, round_=round_, role=Role.MENTEE, email="bo@x.org", field="Law")
    return round_, lars, sofie, ana, bo


def _pairs(session, round_id: int) -> set[tuple[int, int]]:  # noqa: ANN001
    review = review_of(compute_proposal(session, round_id=round_id, now=NOW, created_by="U1"))
    return {(p.mentor_id, p.mentee_id) for p in review.proposal.pairs}


def test_lock_forbid_and_clear_steer_the_proposal(session) -> None:  # noqa: ANN001
    round_, lars, sofie, ana, bo = _two_by_two(session)
    assert _pairs(session, round_.id) == {(lars.id, ana.id), (sofie.id, bo.id)}

    lock_pair(session, round_id=round_.id, mentor_id=lars.id, mentee_id=bo.id, now=NOW, created_by="U1")
    assert _pairs(session, round_.id) == {(lars.id, bo.id), (sofie.id, ana.id)}
    review = review_of(compute_proposal(session, round_id=round_.id, now=NOW, created_by="U1"))
    assert {(p.mentor_id, p.mentee_id): p.locked for p in review.proposal.pairs}[(lars.id, bo.id)] is True

    forbid_pair(session, round_id=round_.id, mentor_id=lars.id, mentee_id=bo.id, now=NOW, created_by="U1")
    constraints = session.scalars(select(MatchConstraint)).all()
    assert [(c.kind, c.mentor_id, c.mentee_id) for c in constraints] == [(ConstraintKind.FORBID, lars.id, bo.id)]
    forbid_pair(session, round_id=round_.id, mentor_id=sofie.id, mentee_id=bo.id, now=NOW, created_by="U1")
    assert _pairs(session, round_.id) == {(lars.id, ana.id)}, "Bo has no allowed mentor left"
    review = review_of(compute_proposal(session, round_id=round_.id, now=NOW, created_by="U1"))
    assert set(review.forbidden) == {(lars.id, bo.id), (sofie.id, bo.id)}

    assert clear_constraint(session, round_id=round_.id, mentor_id=sofie.id, mentee_id=bo.id) is True
    assert clear_constraint(session, round_id=round_.id, mentor_id=sofie.id, mentee_id=bo.id) is False
    assert clear_constraint(session, round_id=round_.id, mentor_id=lars.id, mentee_id=bo.id) is True
    assert _pairs(session, round_.id) == {(lars.id, ana.id), (sofie.id, bo.id)}


def test_a_constraint_must_name_a_mentor_and_mentee_of_the_round(session) -> None:  # noqa: ANN001
    round_, lars, _sofie, ana, _bo = _two_by_two(session)
    other = make_round_in(session, programme=round_.programme, name="Autumn 2027", starts_on=date(2027, 9, 1),
                          ends_on=date(2027, 12, 1))
    stranger = make_ready(session, round_=other, role=Role.MENTEE, email="zoe@x.org")
    with pytest.raises(ValueError):
        lock_pair(session, round_id=round_.id, mentor_id=lars.id, mentee_id=stranger.id, now=NOW, created_by="U1")
    with pytest.raises(ValueError):
        forbid_pair(session, round_id=round_.id, mentor_id=ana.id, mentee_id=lars.id, now=NOW, created_by="U1")


def test_unpublished_workbook_pairs_are_locks_and_explained_when_unusable(session) -> None:  # noqa: ANN001
    round_, lars, sofie, ana, bo = _two_by_two(session)
    draft = make_pair(session, mentor=lars, mentee=bo, published=False)
    review = review_of(compute_proposal(session, round_id=round_.id, now=NOW, created_by="U1"))
    assert {(p.mentor_id, p.mentee_id, p.locked) for p in review.proposal.pairs} == {
        (lars.id, bo.id, True), (sofie.id, ana.id, False)}

    # Unlocking a hand-made pair removes the draft: the optimiser decides again.
    assert clear_constraint(session, round_id=round_.id, mentor_id=lars.id, mentee_id=bo.id)
    assert session.get(Pair, draft.id) is None

    # A hand-made pair with someone not ready yet is reported in words, not proposed.
    newcomer = make_ready(session, round_=round_, role=Role.MENTEE, email="cy@x.org", name="Cy", ready=False)
    make_pair(session, mentor=sofie, mentee=newcomer, published=False)
    review = review_of(compute_proposal(session, round_id=round_.id, now=NOW, created_by="U1"))
    problems = [(p.code, p.params.get("name")) for p in review.proposal.problems]
    assert problems == [(mr.PROBLEM_LOCK_NOT_READY, "Cy")]


def test_the_snapshot_holds_everything_the_review_shows(session) -> None:  # noqa: ANN001
    round_, lars, _sofie, ana, _bo = _two_by_two(session)
    make_ready(session, round_=round_, role=Role.MENTEE, email="dan@x.org", name="Dan", languages=["Klingon"])
    row = compute_proposal(session, round_id=round_.id, now=NOW, created_by="UMETTE")
    assert row.id is not None, "stored"
    assert row.created_by == "UMETTE" and row.published_at is None
    payload = row.payload
    assert payload["version"] == 1 and payload["round_name"] == "Spring 2027"
    first = next(p for p in payload["pairs"] if p["mentor_id"] == lars.id)
    assert first["mentee_id"] == ana.id and first["locked"] is False
    assert first["score"] == sum(c["points"] for c in first["components"])
    assert {c["code"] for c in first["components"]} >= {REASON_SAME_FIELD}
    assert [u["params"]["name"] for u in payload["unmatched"]] == ["Dan"]
    assert payload["names"][str(ana.id)] == ana.name
    review = review_of(session.get(MatchProposal, row.id))
    assert review.proposal.pairs[0].components[0].code.startswith("matching.reason.")
    assert review.unmatched_mentees[0].reason_code == "matching.unmatched.no_shared_language"


# --- publishing -------------------------------------------------------------------------------

def _outbox(session) -> list[OutboxMessage]:  # noqa: ANN001
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_publish_writes_pairs_tells_the_unmatched_and_is_idempotent(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        round_, lars, sofie, ana, bo = _two_by_two(session)
        draft = make_pair(session, mentor=lars, mentee=ana, published=False)
        dan = make_ready(session, round_=round_, role=Role.MENTEE, email="dan@x.org", name="Dan <!channel>",
                         languages=["Klingon"], language="da")
        idle = make_ready(session, round_=round_, role=Role.MENTOR, email="idle@x.org", languages=["Latin"])
        proposal = compute_proposal(session, round_id=round_.id, now=NOW, created_by="UMETTE")
        ids = {"round": round_.id, "lars": lars.id, "sofie": sofie.id, "ana": ana.id, "bo": bo.id, "dan": dan.id,
               "idle": idle.id, "draft": draft.id, "proposal": proposal.id}

    with unit_of_work(session_factory) as session:
        result = publish_proposal(session, proposal_id=ids["proposal"], now=NOW, published_by="UMETTE")
    assert result.status is PublishStatus.PUBLISHED and result.pairs_published == 2 and result.people_notified == 2

    with unit_of_work(session_factory) as session:
        pairs = {(p.mentor_id, p.mentee_id): p for p in session.scalars(select(Pair))}
        assert set(pairs) == {(ids["lars"], ids["ana"]), (ids["sofie"], ids["bo"])}
        assert pairs[(ids["lars"], ids["ana"])].id == ids["draft"], "the hand-made pair row is reused"
        for pair in pairs.values():
            assert pair.status is PairStatus.ACTIVE and pair.published_at == NOW
            assert pair.slack_channel_id is None and pair.channel_opened_at is None, "channels are not ours"
            assert pair.match_score == sum(reason["points"] for reason in pair.match_reasons)
            assert all(set(reason) == {"code", "points", "params"} for reason in pair.match_reasons)
        assert session.get(MatchProposal, ids["proposal"]).published_at == NOW
        rows = _outbox(session)
        assert [row.dedup_key for row in rows] == [
            unmatched_dedup_key(round_id=ids["round"], participant_id=ids["dan"]),
            unmatched_dedup_key(round_id=ids["round"], participant_id=ids["idle"]),
        ]
        # One per person per round: a second proposal published in this round does not repeat it.
        assert rows[0].dedup_key == f"unmatched:round={ids['round']}:participant={ids['dan']}"
        dan_dm, idle_dm = slack_payload(rows[0]), slack_payload(rows[1])
        assert dan_dm["channel"] == "UDAN" and "Hej Dan &lt;!channel&gt;" in dan_dm["text"], "Danish, escaped"
        assert "<!channel>" not in str(dan_dm)
        assert "mentor" in idle_dm["text"] and "Thank you" in idle_dm["text"]
        assert all(row.not_before == NOW for row in rows), "a Tuesday morning is polite everywhere here"

    with unit_of_work(session_factory) as session:
        again = publish_proposal(session, proposal_id=ids["proposal"], now=NOW, published_by="UMETTE")
    assert again.status is PublishStatus.ALREADY_PUBLISHED and again.pairs_published == 2
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Pair)) == 2
        assert len(_outbox(session)) == 2


def test_unmatched_dms_wait_for_a_weekday_daytime_in_their_zone(session) -> None:  # noqa: ANN001
    round_ = make_round_in(session)
    # A pair to publish (an empty proposal is refused), and Kai, whom nobody here can take.
    make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk")
    make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org")
    make_ready(session, round_=round_, role=Role.MENTEE, email="kai@x.org", timezone_name="Asia/Tokyo",
               languages=["Japanese"])
    saturday_night = datetime(2027, 2, 6, 22, 0, tzinfo=timezone.utc)
    proposal = compute_proposal(session, round_id=round_.id, now=saturday_night, created_by=None)
    publish_proposal(session, proposal_id=proposal.id, now=saturday_night, published_by=None)
    (row,) = _outbox(session)
    assert row.not_before == datetime(2027, 2, 8, 0, 0, tzinfo=timezone.utc), "Monday 09:00 in Tokyo"


def test_a_mentor_with_a_mentee_and_a_spare_place_is_not_told_they_were_left_out(session) -> None:  # noqa: ANN001
    round_ = make_round_in(session)
    make_ready(session, round_=round_, role=Role.MENTOR, email="lars@firm.dk", max_mentees=2)
    make_ready(session, round_=round_, role=Role.MENTEE, email="ana@x.org")
    proposal = compute_proposal(session, round_id=round_.id, now=NOW, created_by=None)
    assert review_of(proposal).spare_places == 1
    result = publish_proposal(session, proposal_id=proposal.id, now=NOW, published_by=None)
    assert result.pairs_published == 1 and result.people_notified == 0 and _outbox(session) == []


def test_an_older_proposal_is_refused_and_nothing_is_written(session) -> None:  # noqa: ANN001
    round_, *_ = _two_by_two(session)
    older = compute_proposal(session, round_id=round_.id, now=NOW, created_by=None)
    newer = compute_proposal(session, round_id=round_.id, now=NOW, created_by=None)
    result = publish_proposal(session, proposal_id=older.id, now=NOW, published_by=None)
    assert result.status is PublishStatus.STALE and result.stale_reason is not None
    assert result.stale_reason.code == mr.STALE_NEWER and result.stale_reason.params == {"newer": str(newer.id)}
    assert session.scalar(select(func.count()).select_from(Pair)) == 0 and older.published_at is None
    assert publish_proposal(session, proposal_id=newer.id, now=NOW, published_by=None).status is PublishStatus.PUBLISHED
    assert publish_proposal(session, proposal_id=10_000, now=NOW, published_by=None).status is PublishStatus.NOT_FOUND


def test_a_proposal_whose_pair_broke_a_hard_rule_since_is_refused(session) -> None:  # noqa: ANN001
    round_, _lars, _sofie, ana, bo = _two_by_two(session)
    proposal = compute_proposal(session, round_id=round_.id, now=NOW, created_by=None)
    ana.languages = ["Portuguese"]  # she corrected her profile after the proposal was made
    session.flush()
    result = publish_proposal(session, proposal_id=proposal.id, now=NOW, published_by=None)
    assert result.status is PublishStatus.STALE
    assert result.stale_reason.code == PROBLEM_LOCK_NO_SHARED_LANGUAGE
    assert result.stale_reason.params["mentee"] == ana.name

    ana.languages = ["English"]
    bo.opted_out_at = NOW
    session.flush()
    result = publish_proposal(session, proposal_id=proposal.id, now=NOW, published_by=None)
    assert result.status is PublishStatus.STALE and result.stale_reason.code == mr.STALE_UNAVAILABLE
    assert result.stale_reason.params == {"name": bo.name}
    assert session.scalar(select(func.count()).select_from(Pair)) == 0


def test_publishing_drops_a_hand_made_pair_its_mentee_no_longer_needs(session) -> None:  # noqa: ANN001
    round_, lars, sofie, ana, bo = _two_by_two(session)
    cy = make_ready(session, round_=round_, role=Role.MENTEE, email="cy@x.org", ready=False)
    waiting = make_pair(session, mentor=sofie, mentee=cy, published=False)  # kept: Cy is not ready yet
    clashing = make_pair(session, mentor=sofie, mentee=ana, published=False)
    lock_pair(session, round_id=round_.id, mentor_id=lars.id, mentee_id=ana.id, now=NOW, created_by=None)
    proposal = compute_proposal(session, round_id=round_.id, now=NOW, created_by=None)
    review = review_of(proposal)
    assert {p.code for p in review.proposal.problems} == {"matching.problem.lock_mentee_twice", mr.PROBLEM_LOCK_NOT_READY}
    assert {(p.mentor_id, p.mentee_id) for p in review.proposal.pairs} == {(lars.id, ana.id), (sofie.id, bo.id)}

    publish_proposal(session, proposal_id=proposal.id, now=NOW, published_by=None)
    session.expire_all()
    assert session.get(Pair, clashing.id) is None, "Ana now has a published mentor"
    assert session.get(Pair, waiting.id) is not None and session.get(Pair, waiting.id).published_at is None


# --- which round ------------------------------------------------------------------------------

def test_find_round_by_name_programme_and_what_is_running(session) -> None:  # noqa: ANN001
    spring = make_round_in(session)
    other = make_round_in(session, programme_name="Business Mentoring", name="Spring 2027")
    old = make_round_in(session, programme=spring.programme, name="Autumn 2026", starts_on=date(2026, 9, 1),
                        ends_on=date(2026, 12, 20))
    today = date(2027, 2, 2)
    ambiguous = find_round(session, name="spring  2027", today=today)
    assert ambiguous.status is LookupStatus.AMBIGUOUS
    assert set(ambiguous.choices) == {"Career Mentoring / Spring 2027", "Business Mentoring / Spring 2027"}
    assert find_round(session, name="Business Mentoring / Spring 2027", today=today).round_id == other.id
    assert find_round(session, name="Spring 2027", programme="career mentoring", today=today).round_id == spring.id
    assert find_round(session, name="Autumn 2026", today=today).round_id == old.id, "a name finds ended rounds too"
    unknown = find_round(session, name="Winter", today=today)
    assert unknown.status is LookupStatus.UNKNOWN and "Autumn 2026" not in unknown.choices
    several = find_round(session, name=None, today=today)
    assert several.status is LookupStatus.SEVERAL_RUNNING and len(several.choices) == 2
    assert find_round(session, name=None, today=today, round_ids={spring.id, old.id}).round_id == spring.id
    assert find_round(session, name=None, today=date(2028, 1, 1)).status is LookupStatus.NONE_RUNNING
    assert find_round(session, name="Spring 2027", today=today, round_ids={old.id}).status is LookupStatus.UNKNOWN


# --- catalogs ---------------------------------------------------------------------------------

def test_every_code_this_module_emits_is_in_both_catalogs() -> None:
    for language in ("en", "da"):
        for code in mr.ALL_CODES:
            assert code in catalog(language), f"{code} missing in {language}"
    keys = set(catalog("en"))
    assert all(not key.startswith("match.") or key.split(".")[0] == "match" for key in keys)
    assert not any(key.startswith(("matching.", "workbook.")) for key in _area_keys("match"))


def _area_keys(area: str) -> set[str]:
    import json

    from bot.i18n import CATALOG_DIR

    return set(json.loads((CATALOG_DIR / f"{area}.en.json").read_text(encoding="utf-8")))
