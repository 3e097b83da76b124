"""Matching proposals: optimal against brute force, hard rules never broken, nobody left out
without a reason, every score explained, and the catalogs able to say all of it."""

from __future__ import annotations

import itertools
import json
import math
import random
import string
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import entry_texts, placeholders, t
from bot.matching.engine import (
    ALL_CODES,
    PROBLEM_FORBIDDEN_UNKNOWN,
    PROBLEM_LOCK_ALREADY_MET,
    PROBLEM_LOCK_ENDED,
    PROBLEM_LOCK_FORBIDDEN,
    PROBLEM_LOCK_MENTEE_TWICE,
    PROBLEM_LOCK_NO_SHARED_LANGUAGE,
    PROBLEM_LOCK_OVER_CAPACITY,
    PROBLEM_LOCK_UNKNOWN,
    REASON_GOALS_EXPERTISE,
    REASON_RELATED_FIELD,
    REASON_SAME_FIELD,
    REASON_SHARED_INTERESTS,
    REASON_SHARED_LANGUAGE,
    REASON_TIMEZONE_GAP,
    RELATED_FIELDS,
    SPARE_ALREADY_MET_ALL,
    SPARE_COMPATIBLE_MENTEES_MATCHED,
    SPARE_ENDED_ALL,
    SPARE_EXCLUDED_ALL,
    SPARE_FORBIDDEN_ALL,
    SPARE_MENTEES_ALL_PLACED,
    SPARE_MORE_PLACES_THAN_MENTEES,
    SPARE_NO_LANGUAGES,
    SPARE_NO_MENTEES,
    SPARE_NO_PLACES,
    SPARE_NO_SHARED_LANGUAGE,
    UNMATCHED_ALREADY_MET_ALL,
    UNMATCHED_COMPATIBLE_MENTORS_FULL,
    UNMATCHED_ENDED_ALL,
    UNMATCHED_EXCLUDED_ALL,
    UNMATCHED_FORBIDDEN_ALL,
    UNMATCHED_MORE_MENTEES_THAN_PLACES,
    UNMATCHED_NO_LANGUAGES,
    UNMATCHED_NO_MENTORS,
    UNMATCHED_NO_SHARED_LANGUAGE,
    MatchCandidate,
    MatchWeights,
    Proposal,
    ScoreComponent,
    content_words,
    explain_pair,
    greedy_baseline,
    normalise_field,
    propose,
    related_table,
    score_round,
)
from bot.slack.render.match_review import unmatched_text

CATALOG_DIR = Path(__file__).resolve().parents[2] / "bot" / "i18n" / "catalogs"
CATALOGS = {language: json.loads((CATALOG_DIR / f"matching.{language}.json").read_text(encoding="utf-8"))
            for language in ("en", "da")}
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mentee(pid: int, **changes: Any) -> MatchCandidate:
    base = MatchCandidate(id=pid, name=f"Mentee {pid}", email=f"mentee{pid}@example.org", role="mentee",
                          utc_offset_hours=1.0, languages=frozenset({"english"}))
    return replace(base, **changes)


def mentor(pid: int, **changes: Any) -> MatchCandidate:
    base = MatchCandidate(id=pid, name=f"Mentor {pid}", email=f"mentor{pid}@firm.dk", role="mentor",
                          utc_offset_hours=1.0, languages=frozenset({"english"}))
    return replace(base, **changes)


def pairs_of(proposal: Proposal) -> set[tuple[int, int]]:
    return {(pair.mentor_id, pair.mentee_id) for pair in proposal.pairs}


def reason_for(proposal: Proposal, pid: int) -> str:
    (entry,) = [entry for entry in proposal.unmatched if entry.participant_id == pid]
    return entry.reason_code


def codes(components: Iterable[ScoreComponent]) -> list[str]:
    return [component.code for component in components]


# ------------------------------------------------------------------- an independent oracle

def _langs(candidate: MatchCandidate) -> set[str]:
    return {language.strip().lower() for language in candidate.languages if language.strip()}


def oracle_shares_language(a: MatchCandidate, b: MatchCandidate) -> bool:
    return bool(_langs(a) & _langs(b))


def oracle_met(e: MatchCandidate, m: MatchCandidate) -> bool:
    return m.email.lower() in {x.lower() for x in e.previous_partner_emails} or \
        e.email.lower() in {x.lower() for x in m.previous_partner_emails}


def oracle_forbidden(e: MatchCandidate, m: MatchCandidate, forbidden: frozenset[tuple[int, int]]) -> bool:
    return (m.id, e.id) in forbidden or (e.id, m.id) in forbidden


def oracle_feasible(e: MatchCandidate, m: MatchCandidate, forbidden: frozenset[tuple[int, int]]) -> bool:
    return oracle_shares_language(e, m) and not oracle_met(e, m) and not oracle_forbidden(e, m, forbidden)


Pairs = frozenset[tuple[int, int]]


def oracle_valid_locks(mentees: list[MatchCandidate], mentors: list[MatchCandidate],
                       locked: Pairs, forbidden: Pairs) -> set[tuple[int, int]]:
    """(mentor id, mentee id) locks that obey the rules alone, then do not clash with each other."""
    by_mentee = {c.id: c for c in mentees}
    by_mentor = {c.id: c for c in mentors}
    candidates: set[tuple[int, int]] = set()
    for a, b in locked:
        if a in by_mentor and b in by_mentee:
            m, e = by_mentor[a], by_mentee[b]
        elif a in by_mentee and b in by_mentor:
            m, e = by_mentor[b], by_mentee[a]
        else:
            continue
        if oracle_feasible(e, m, forbidden):
            candidates.add((m.id, e.id))
    per_mentee = Counter(e for _, e in candidates)
    candidates = {(m, e) for m, e in candidates if per_mentee[e] == 1}
    per_mentor = Counter(m for m, _ in candidates)
    return {(m, e) for m, e in candidates if per_mentor[m] <= by_mentor[m].max_mentees}


def total(points: Iterable[float]) -> float:
    result = 0.0
    for value in points:
        result += value
    return result


def brute_force(mentees: list[MatchCandidate], mentors: list[MatchCandidate], *, weights: MatchWeights,
                locked: frozenset[tuple[int, int]], forbidden: frozenset[tuple[int, int]]) -> tuple[int, float]:
    """The best (pairs, total score) over every assignment that obeys the rules: itertools, no cleverness."""
    valid_locks = oracle_valid_locks(mentees, mentors, locked, forbidden)
    score = {(m.id, e.id): total(c.points for c in explain_pair(mentee=e, mentor=m, weights=weights))
             for e in mentees for m in mentors}
    options = [[None, *[m for m in mentors if oracle_feasible(e, m, forbidden)]] for e in mentees]
    best = (0, -math.inf) if not valid_locks else (-1, -math.inf)
    for choice in itertools.product(*options):
        chosen = {(m.id, e.id) for e, m in zip(mentees, choice, strict=True) if m is not None}
        if not valid_locks <= chosen:
            continue
        load = Counter(m for m, _ in chosen)
        if any(load[m.id] > m.max_mentees for m in mentors):
            continue
        candidate = (len(chosen), total(score[pair] for pair in sorted(chosen)))
        if candidate[0] > best[0] or (candidate[0] == best[0] and candidate[1] > best[1] + 1e-9):
            best = candidate
    return best[0], (best[1] if best[1] > -math.inf else 0.0)


# --------------------------------------------------------------------------- generators

LANGUAGE_CHOICES = ("english", "danish", "English ", "german")
FIELD_CHOICES = ("finance", None, "engineering", "IT", " Software ", "Finance", "Economics", "marketing", "law")
INTEREST_CHOICES = ("running", "chess", "Music", "cooking")
WORD_CHOICES = ("cv", "python", "interview", "network", "the", "and", "og", "data", "LinkedIn,", "danish.")
OFFSET_CHOICES = (-11.0, -5.0, 0.0, 1.0, 2.0, 5.5, 9.0, 13.0)


@dataclass(frozen=True)
class Instance:
    mentees: list[MatchCandidate]
    mentors: list[MatchCandidate]
    locked: frozenset[tuple[int, int]]
    forbidden: frozenset[tuple[int, int]]
    weights: MatchWeights


@st.composite
def instances(draw: st.DrawFn, *, max_mentees: int = 5, max_mentors: int = 4) -> Instance:
    n_mentees = draw(st.integers(1, max_mentees))  # empty sides: see test_shortage_and_surplus_...
    n_mentors = draw(st.integers(1, max_mentors))
    mentor_emails = [f"mentor{100 + j}@firm.dk" for j in range(1, n_mentors + 1)]
    mentee_emails = [f"mentee{i}@example.org" for i in range(1, n_mentees + 1)]

    def subset(choices: tuple[str, ...], most: int) -> frozenset[str]:
        """A subset as one bitmask draw: hypothesis draws (and shrinks) one integer, not a set."""
        mask = draw(st.integers(0, 2 ** len(choices) - 1))
        return frozenset(itertools.islice((c for k, c in enumerate(choices) if mask >> k & 1), most))

    def person(pid: int, role: str, email: str, partners: list[str]) -> MatchCandidate:
        words = " ".join(sorted(subset(WORD_CHOICES, 4)))
        partner = draw(st.integers(0, 5 * len(partners) - 1)) - 4 * len(partners) if partners else -1  # 1 in 5
        first_language = draw(st.sampled_from(LANGUAGE_CHOICES))  # shrinks towards everyone speaking English
        languages = frozenset() if draw(st.integers(0, 11)) == 11 else {first_language} | subset(LANGUAGE_CHOICES, 1)
        return MatchCandidate(
            id=pid, name=f"{role} {pid}", email=email, role=role,  # type: ignore[arg-type]
            field=draw(st.sampled_from(FIELD_CHOICES)),
            languages=frozenset(languages), interests=subset(INTEREST_CHOICES, 3),
            goals=words if role == "mentee" else None, expertise=words if role == "mentor" else None,
            utc_offset_hours=draw(st.sampled_from(OFFSET_CHOICES)),
            max_mentees=draw(st.sampled_from((1, 2, 1, 2, 0))) if role == "mentor" else 1,
            previous_partner_emails=frozenset({partners[partner]}) if partner >= 0 else frozenset(),
        )

    mentees = [person(i, "mentee", mentee_emails[i - 1], [e.upper() for e in mentor_emails])
               for i in range(1, n_mentees + 1)]
    mentors = [person(100 + j, "mentor", mentor_emails[j - 1], mentee_emails) for j in range(1, n_mentors + 1)]
    # Mostly (mentor, mentee); sometimes the other way round, or naming someone not in the round.
    pair = st.tuples(st.sampled_from([m.id for m in mentors] * 3 + [999]),
                     st.sampled_from([e.id for e in mentees] * 3 + [999]),
                     st.booleans()).map(lambda t: (t[1], t[0]) if t[2] else (t[0], t[1]))
    some_pairs = st.frozensets(pair, max_size=3)
    locked, forbidden = draw(some_pairs), draw(some_pairs)
    if draw(st.booleans()):  # half the time, no pair is both locked and forbidden
        forbidden = frozenset(p for p in forbidden if p not in locked and p[::-1] not in locked)
    weights = MatchWeights(
        same_field=draw(st.sampled_from((0.0, 4.0, 10.0))),
        related_field=draw(st.sampled_from((0.0, 2.0))),
        goals_expertise_max_words=draw(st.sampled_from((1, 3))),
        shared_interest=draw(st.sampled_from((0.5, 3.0))),
        timezone_tolerance_hours=draw(st.sampled_from((0.0, 3.0))),
        timezone_penalty_per_hour=draw(st.sampled_from((0.5, 5.0))),
        matched_bonus=draw(st.sampled_from((0.0, 1000.0))),
    )
    return Instance(mentees, mentors, locked, forbidden, weights)


def run(instance: Instance, solver: Callable[..., Proposal] = propose) -> Proposal:
    return solver(mentees=instance.mentees, mentors=instance.mentors, weights=instance.weights,
                  locked=instance.locked, forbidden=instance.forbidden)


# --------------------------------------------------------------------------- optimality

@PROPERTY
@given(instances())
def test_proposal_is_as_good_as_brute_force(instance: Instance) -> None:
    proposal = run(instance)
    best_count, best_score = brute_force(instance.mentees, instance.mentors, weights=instance.weights,
                                         locked=instance.locked, forbidden=instance.forbidden)
    assert proposal.matched_count == best_count
    assert proposal.total_score == pytest.approx(best_score, abs=1e-9)


@PROPERTY
@given(instances())
def test_greedy_is_never_better_than_the_proposal(instance: Instance) -> None:
    best, greedy = run(instance), run(instance, greedy_baseline)
    assert (best.matched_count, round(best.total_score, 9)) >= (greedy.matched_count, round(greedy.total_score, 9))


def test_more_mentees_matched_beats_a_higher_score_even_with_no_bonus() -> None:
    """A gets a perfect mentor only if B is left out; the proposal matches both, whatever the bonus."""
    a = mentee(1, field="finance", interests=frozenset({"chess", "music"}), goals="cv interview python")
    b = mentee(2, languages=frozenset({"danish"}))
    perfect = mentor(101, field="finance", languages=frozenset({"english", "danish"}),
                     interests=frozenset({"chess", "music"}), expertise="cv interview python")
    plain = mentor(102)
    for weights in (MatchWeights(), MatchWeights(matched_bonus=0.0), MatchWeights(same_field=5000.0)):
        proposal = propose(mentees=[a, b], mentors=[perfect, plain], weights=weights)
        assert pairs_of(proposal) == {(101, 2), (102, 1)}
        assert proposal.unmatched == ()


def test_hand_made_optimum_with_capacity_and_a_lock() -> None:
    mentees = [mentee(1, field="IT"), mentee(2, field="it"), mentee(3, field="finance")]
    mentors = [mentor(101, field="It", max_mentees=2), mentor(102, field="Finance")]
    free = propose(mentees=mentees, mentors=mentors)
    assert pairs_of(free) == {(101, 1), (101, 2), (102, 3)}
    assert free.total_score == pytest.approx(3 * MatchWeights().same_field)
    locked = propose(mentees=mentees, mentors=mentors, locked=frozenset({(102, 1)}))
    assert pairs_of(locked) == {(102, 1), (101, 2), (101, 3)}
    assert [pair.locked for pair in locked.pairs] == [False, False, True]  # sorted by mentor, then mentee


def test_greedy_can_be_beaten_on_pairs() -> None:
    """Greedy gives A the only mentor B can talk to, and B is left out; the proposal matches both."""
    a = mentee(1, field="pharma", languages=frozenset({"english"}))
    b = mentee(2, field="law", languages=frozenset({"danish"}))
    x = mentor(101, field="pharma", languages=frozenset({"english", "danish"}))
    y = mentor(102, field="biotech", languages=frozenset({"english"}))
    greedy, best = greedy_baseline(mentees=[a, b], mentors=[x, y]), propose(mentees=[a, b], mentors=[x, y])
    assert (greedy.matched_count, best.matched_count) == (1, 2)
    assert pairs_of(greedy) == {(101, 1)} and pairs_of(best) == {(101, 2), (102, 1)}
    assert reason_for(greedy, 2) == UNMATCHED_COMPATIBLE_MENTORS_FULL
    assert reason_for(greedy, 102) == SPARE_COMPATIBLE_MENTEES_MATCHED


def test_greedy_can_be_beaten_on_score() -> None:
    """Greedy takes A-X (10) and is left with B-Y (7): 17; the optimum is A-Y (9) + B-X (9) = 18."""
    weights = MatchWeights(same_field=8.0, related_field=7.0, shared_interest=1.0, shared_interests_max=4)
    a = mentee(1, field="finance", interests=frozenset({"chess", "music"}))
    b = mentee(2, field="finance", interests=frozenset({"running"}))
    x = mentor(101, field="finance", interests=frozenset({"chess", "music", "running"}))
    y = mentor(102, field="economics", interests=frozenset({"chess", "music"}))
    greedy = greedy_baseline(mentees=[a, b], mentors=[x, y], weights=weights)
    best = propose(mentees=[a, b], mentors=[x, y], weights=weights)
    assert pairs_of(greedy) == {(101, 1), (102, 2)} and greedy.total_score == pytest.approx(10.0 + 7.0)
    assert pairs_of(best) == {(101, 2), (102, 1)} and best.total_score == pytest.approx(9.0 + 9.0)


HAND_MADE = {
    "capacity two and a Danish-only mentee": Instance(
        [mentee(1, field="it"), mentee(2, field="IT", languages=frozenset({"danish"})), mentee(3, field="law")],
        [mentor(101, field="software", languages=frozenset({"english", "danish"}), max_mentees=2),
         mentor(102, field="it")],
        frozenset(), frozenset(), MatchWeights()),
    "a lock that costs score and a forbidden best pair": Instance(
        [mentee(1, field="finance"), mentee(2, field="finance"), mentee(3, field="pharma", utc_offset_hours=-6.0)],
        [mentor(101, field="finance"), mentor(102, field="pharma"), mentor(103, field="economics")],
        frozenset({(101, 3)}), frozenset({(102, 1)}), MatchWeights()),
    "more mentees than places, earlier partners": Instance(
        [mentee(i, previous_partner_emails=frozenset({"mentor101@firm.dk"}) if i == 1 else frozenset(),
                interests=frozenset({"chess"}) if i % 2 else frozenset()) for i in range(1, 6)],
        [mentor(101, interests=frozenset({"chess"})), mentor(102, max_mentees=2)],
        frozenset(), frozenset(), MatchWeights()),
}


@pytest.mark.parametrize("name", list(HAND_MADE))
def test_hand_made_rounds_match_brute_force(name: str) -> None:
    instance = HAND_MADE[name]
    proposal = run(instance)
    expected = brute_force(instance.mentees, instance.mentors, weights=instance.weights,
                           locked=instance.locked, forbidden=instance.forbidden)
    assert proposal.matched_count == expected[0] and proposal.total_score == pytest.approx(expected[1])


# --------------------------------------------------------------------------- hard rules

@PROPERTY
@given(instances())
def test_hard_rules_are_never_broken(instance: Instance) -> None:
    proposal = run(instance)
    by_id = {c.id: c for c in (*instance.mentees, *instance.mentors)}
    for pair in proposal.pairs:
        e, m = by_id[pair.mentee_id], by_id[pair.mentor_id]
        assert (e.role, m.role) == ("mentee", "mentor")
        assert oracle_shares_language(e, m)
        assert not oracle_met(e, m)
        assert not oracle_forbidden(e, m, instance.forbidden)
    assert max(Counter(pair.mentee_id for pair in proposal.pairs).values(), default=0) <= 1
    load = Counter(pair.mentor_id for pair in proposal.pairs)
    assert all(load[m.id] <= m.max_mentees for m in instance.mentors)
    valid_locks = oracle_valid_locks(instance.mentees, instance.mentors, instance.locked, instance.forbidden)
    assert {(p.mentor_id, p.mentee_id) for p in proposal.pairs if p.locked} == valid_locks


@PROPERTY
@given(instances())
def test_every_refused_lock_and_unknown_exclusion_is_reported(instance: Instance) -> None:
    proposal = run(instance)
    valid_locks = oracle_valid_locks(instance.mentees, instance.mentors, instance.locked, instance.forbidden)
    mentee_ids = {c.id for c in instance.mentees}

    def reported(a: int, b: int) -> bool:
        m, e = (a, b) if b in mentee_ids else (b, a)
        for problem in proposal.problems:
            named = {problem.params.get("first"), problem.params.get("second")}
            if problem.code == PROBLEM_LOCK_UNKNOWN and named == {str(a), str(b)}:
                return True
            if (problem.mentor_id, problem.mentee_id) == (m, e):
                return True
            if problem.code == PROBLEM_LOCK_MENTEE_TWICE and problem.mentee_id == e:
                return True
            if problem.code == PROBLEM_LOCK_OVER_CAPACITY and problem.mentor_id == m:
                return True
        return False

    for a, b in instance.locked:
        if (a, b) not in valid_locks and (b, a) not in valid_locks:
            assert reported(a, b), (a, b, proposal.problems)
    mentor_ids = {c.id for c in instance.mentors}
    unknown = [(a, b) for a, b in instance.forbidden
               if not ({a, b} & mentor_ids and {a, b} & mentee_ids and len({a, b}) == 2)]
    assert sum(p.code == PROBLEM_FORBIDDEN_UNKNOWN for p in proposal.problems) == len(unknown)


def test_each_kind_of_bad_lock_is_a_problem_and_never_a_pair() -> None:
    mentees = [mentee(1), mentee(2, languages=frozenset({"danish"})),
               mentee(3, previous_partner_emails=frozenset({"MENTOR101@firm.dk"})), mentee(4), mentee(5), mentee(6)]
    mentors = [mentor(101), mentor(102), mentor(103), mentor(104)]
    proposal = propose(
        mentees=mentees, mentors=mentors,
        locked=frozenset({(101, 1), (101, 2), (101, 3), (102, 4), (103, 4), (5, 104), (104, 6), (1, 2), (101, 7)}),
        forbidden=frozenset({(101, 1), (8, 9)}),
    )
    found = {(p.code, p.mentor_id, p.mentee_id) for p in proposal.problems}
    assert (PROBLEM_LOCK_FORBIDDEN, 101, 1) in found
    assert (PROBLEM_LOCK_NO_SHARED_LANGUAGE, 101, 2) in found
    assert (PROBLEM_LOCK_ALREADY_MET, 101, 3) in found
    assert (PROBLEM_LOCK_MENTEE_TWICE, None, 4) in found
    assert (PROBLEM_LOCK_OVER_CAPACITY, 104, None) in found  # 104 takes one, locked to 5 (reversed) and 6
    assert sum(p.code == PROBLEM_LOCK_UNKNOWN for p in proposal.problems) == 2  # two mentees; an unknown id
    assert sum(p.code == PROBLEM_FORBIDDEN_UNKNOWN for p in proposal.problems) == 1
    assert not any(pair.locked for pair in proposal.pairs)
    assert (101, 1) not in pairs_of(proposal) and (101, 3) not in pairs_of(proposal)
    twice = next(p for p in proposal.problems if p.code == PROBLEM_LOCK_MENTEE_TWICE)
    assert twice.params == {"mentee": "Mentee 4", "mentors": "Mentor 102, Mentor 103"}


def test_lock_is_honoured_even_when_it_costs_score_and_may_be_given_either_way_round() -> None:
    mentees = [mentee(1, field="law"), mentee(2, field="finance")]
    mentors = [mentor(101, field="finance"), mentor(102, field="law")]
    for lock in ((101, 1), (1, 101)):
        proposal = propose(mentees=mentees, mentors=mentors, locked=frozenset({lock}))
        assert pairs_of(proposal) == {(101, 1), (102, 2)} and proposal.problems == ()
        assert [pair.locked for pair in proposal.pairs] == [True, False]


def test_earlier_partners_are_recognised_from_either_side_and_any_case() -> None:
    e = mentee(1)
    m = mentor(101, previous_partner_emails=frozenset({" Mentee1@Example.org "}))
    assert reason_for(propose(mentees=[e], mentors=[m]), 1) == UNMATCHED_ALREADY_MET_ALL
    e = mentee(1, previous_partner_emails=frozenset({"MENTOR101@FIRM.DK"}))
    assert reason_for(propose(mentees=[e], mentors=[mentor(101)]), 101) == SPARE_ALREADY_MET_ALL


# --------------------------------------------------------------------------- nobody left out

def check_everyone_accounted_for(instance: Instance, proposal: Proposal) -> None:
    """Each mentee is in exactly one pair or listed once; each mentor with room is listed once, honestly."""
    mentees, mentors, forbidden = instance.mentees, instance.mentors, instance.forbidden
    paired = {pair.mentee_id for pair in proposal.pairs}
    listed = [u.participant_id for u in proposal.unmatched if u.role == "mentee"]
    assert len(listed) == len(set(listed)) and not paired & set(listed)
    assert paired | set(listed) == {e.id for e in mentees}
    load = Counter(pair.mentor_id for pair in proposal.pairs)
    spare = {u.participant_id: u for u in proposal.unmatched if u.role == "mentor"}
    assert len(spare) == sum(u.role == "mentor" for u in proposal.unmatched)
    assert set(spare) == {m.id for m in mentors if load[m.id] < m.max_mentees or m.max_mentees == 0}
    unmatched_ids = set(listed)
    full = {m.id for m in mentors if load[m.id] >= m.max_mentees}

    for entry in proposal.unmatched:
        assert entry.params["name"]
        if entry.role == "mentee":
            e = next(c for c in mentees if c.id == entry.participant_id)
            sharing = [m for m in mentors if oracle_shares_language(e, m)]
            allowed = [m for m in sharing if oracle_feasible(e, m, forbidden)]
            expected = _expected_excluded(e, sharing, allowed, forbidden, role="mentee")
            if not mentors:
                assert entry.reason_code == UNMATCHED_NO_MENTORS
            elif not _langs(e):
                assert entry.reason_code == UNMATCHED_NO_LANGUAGES
            elif not sharing:
                assert entry.reason_code == UNMATCHED_NO_SHARED_LANGUAGE
            elif not allowed:
                assert entry.reason_code == expected
            else:
                assert {m.id for m in allowed} <= full, "a compatible mentor had room: the matching is not maximal"
                if full == {m.id for m in mentors}:
                    assert entry.reason_code == UNMATCHED_MORE_MENTEES_THAN_PLACES
                else:
                    assert entry.reason_code == UNMATCHED_COMPATIBLE_MENTORS_FULL
                    assert entry.params["count"] == str(len(allowed))
        else:
            m = next(c for c in mentors if c.id == entry.participant_id)
            assert entry.params["spare"] == str(m.max_mentees - load[m.id])
            sharing = [e for e in mentees if oracle_shares_language(e, m)]
            allowed = [e for e in sharing if oracle_feasible(e, m, forbidden)]
            if m.max_mentees == 0:
                assert entry.reason_code == SPARE_NO_PLACES
            elif not mentees:
                assert entry.reason_code == SPARE_NO_MENTEES
            elif not _langs(m):
                assert entry.reason_code == SPARE_NO_LANGUAGES
            elif not sharing:
                assert entry.reason_code == SPARE_NO_SHARED_LANGUAGE
            elif not allowed:
                assert entry.reason_code == _expected_excluded(m, sharing, allowed, forbidden, role="mentor")
            else:
                assert not {e.id for e in allowed} & unmatched_ids, "a compatible mentee was left out"
                expected = SPARE_MORE_PLACES_THAN_MENTEES if not unmatched_ids else SPARE_COMPATIBLE_MENTEES_MATCHED
                assert entry.reason_code == expected


def _expected_excluded(person: MatchCandidate, sharing: list[MatchCandidate], allowed: list[MatchCandidate],
                       forbidden: frozenset[tuple[int, int]], *, role: str) -> str | None:
    if allowed or not sharing:
        return None
    pairs = [(person, other) if role == "mentee" else (other, person) for other in sharing]
    met = sum(oracle_met(e, m) for e, m in pairs)
    prefix = "matching.unmatched." if role == "mentee" else "matching.spare."
    if met == len(sharing):
        return prefix + "already_met_all"
    if met == 0:
        return prefix + "forbidden_all"
    return prefix + "excluded_all"


@PROPERTY
@given(instances())
def test_every_participant_is_paired_or_listed_with_an_honest_reason(instance: Instance) -> None:
    check_everyone_accounted_for(instance, run(instance))
    check_everyone_accounted_for(instance, run(instance, greedy_baseline))


def test_each_unmatched_reason_on_a_hand_made_round() -> None:
    mentees = [
        mentee(1, languages=frozenset()),                                   # no languages at all
        mentee(2, languages=frozenset({"arabic"})),                         # nobody speaks Arabic
        mentee(3, languages=frozenset({"german"})),                         # the only German speaker met them
        mentee(4, languages=frozenset({"french"})),                         # the only French speaker is excluded
        mentee(5, languages=frozenset({"german", "polish"})),               # one excluded, one met
        mentee(6, field="law"), mentee(7, field="law"),                     # two for one English place
    ]
    mentors = [
        mentor(101, languages=frozenset({"english"}), field="law"),
        mentor(102, languages=frozenset({"german"}), previous_partner_emails=frozenset({"mentee3@example.org"})),
        mentor(103, languages=frozenset({"french"})),
        mentor(104, languages=frozenset({"spanish"})),
        mentor(105, languages=frozenset({"english"}), max_mentees=0),
        mentor(106, languages=frozenset()),
        mentor(107, languages=frozenset({"polish"}), previous_partner_emails=frozenset({"mentee5@example.org"})),
    ]
    proposal = propose(mentees=mentees, mentors=mentors, forbidden=frozenset({(103, 4), (5, 102)}))
    assert pairs_of(proposal) == {(101, 6)}  # 6 and 7 tie; the lower id wins, every run
    assert {u.participant_id: u.reason_code for u in proposal.unmatched} == {
        1: UNMATCHED_NO_LANGUAGES, 2: UNMATCHED_NO_SHARED_LANGUAGE, 3: UNMATCHED_ALREADY_MET_ALL,
        4: UNMATCHED_FORBIDDEN_ALL, 5: UNMATCHED_EXCLUDED_ALL, 7: UNMATCHED_COMPATIBLE_MENTORS_FULL,
        102: SPARE_EXCLUDED_ALL, 103: SPARE_FORBIDDEN_ALL, 104: SPARE_NO_SHARED_LANGUAGE, 105: SPARE_NO_PLACES,
        106: SPARE_NO_LANGUAGES, 107: SPARE_ALREADY_MET_ALL,
    }
    by_id = {u.participant_id: u for u in proposal.unmatched}
    assert by_id[2].params == {"name": "Mentee 2", "languages": "arabic"}
    assert by_id[5].params == {"name": "Mentee 5", "count": "2", "already_met": "1", "forbidden": "1"}
    assert by_id[7].params == {"name": "Mentee 7", "count": "2", "mentors": "Mentor 101, Mentor 105"}
    assert by_id[104].params == {"name": "Mentor 104", "spare": "1", "capacity": "1", "languages": "spanish"}
    assert by_id[102].params == {"name": "Mentor 102", "spare": "1", "capacity": "1", "count": "2",
                                 "already_met": "1", "forbidden": "1"}
    assert [u.role for u in proposal.unmatched] == ["mentee"] * 6 + ["mentor"] * 6


def test_ended_pairs_and_full_mentors_are_named_for_what_they_are() -> None:
    """An ended pair is not a coordinator's exclusion, and a full mentor is not "no mentors yet"."""
    ana, bo = mentee(1, name="Ana"), mentee(2, name="Bo", languages=frozenset({"danish"}))
    lars = mentor(101, name="Lars")  # Ana's mentor until their pair ended; his place is free again
    sofie = mentor(102, name="Sofie", languages=frozenset({"english", "danish"}), max_mentees=0)  # full
    per = mentor(103, name="Per", languages=frozenset({"danish"}), max_mentees=0)  # full
    cleo = mentee(3, name="Cleo")  # in a live pair already
    mixed = propose(mentees=[ana], mentors=[lars], ended=frozenset({(101, 1)}), placed=[sofie, per, cleo])
    assert pairs_of(mixed) == set()
    by_id = {u.participant_id: u for u in mixed.unmatched}
    assert (by_id[1].reason_code, by_id[1].params) == (
        UNMATCHED_EXCLUDED_ALL, {"name": "Ana", "count": "2", "ended": "1", "full": "1"})
    assert unmatched_text(by_id[1], "en", mrkdwn=False) == (
        "Ana has no mentor: of the 2 mentors who share a language with them, 1 was their partner earlier in "
        "this round (the pair ended) and 1 has no place left.")
    assert unmatched_text(by_id[1], "da", mrkdwn=False) == (
        "Ana har ingen mentor. Af de 2 mentorer, der har et sprog til fælles med vedkommende: 1 var "
        "vedkommendes partner tidligere i dette forløb (parret er afsluttet) og 1 har ingen ledig plads.")
    assert (by_id[101].reason_code, by_id[101].params["mentees"]) == (SPARE_ENDED_ALL, "Ana")
    assert "the one mentee who shares a language with them, Ana, was their partner earlier in this round" in \
        unmatched_text(by_id[101], "en", mrkdwn=False)

    only_ended = propose(mentees=[ana], mentors=[lars], ended=frozenset({(1, 101)}))
    assert [(u.reason_code, u.params.get("mentors")) for u in only_ended.unmatched if u.role == "mentee"] == [
        (UNMATCHED_ENDED_ALL, "Lars")]
    only_full = propose(mentees=[bo], mentors=[], placed=[sofie, per])
    assert [(u.reason_code, u.params) for u in only_full.unmatched] == [
        (UNMATCHED_COMPATIBLE_MENTORS_FULL, {"name": "Bo", "count": "2", "mentors": "Per, Sofie"})]
    nobody_left = propose(mentees=[], mentors=[lars], placed=[cleo])
    assert [u.reason_code for u in nobody_left.unmatched] == [SPARE_MENTEES_ALL_PLACED]
    locked = propose(mentees=[ana], mentors=[lars], ended=frozenset({(101, 1)}), locked=frozenset({(101, 1)}))
    assert [p.code for p in locked.problems] == [PROBLEM_LOCK_ENDED] and locked.pairs == ()


def test_shortage_and_surplus_of_places_are_named_as_such() -> None:
    short = propose(mentees=[mentee(1), mentee(2), mentee(3)], mentors=[mentor(101, max_mentees=2)])
    (entry,) = short.unmatched
    assert entry.reason_code == UNMATCHED_MORE_MENTEES_THAN_PLACES
    assert entry.params == {"name": "Mentee 3", "mentees": "3", "places": "2"}
    surplus = propose(mentees=[mentee(1)], mentors=[mentor(101, max_mentees=2), mentor(102)])
    assert {u.participant_id: (u.reason_code, u.params["spare"]) for u in surplus.unmatched} == {
        101: (SPARE_MORE_PLACES_THAN_MENTEES, "1"), 102: (SPARE_MORE_PLACES_THAN_MENTEES, "1")}
    assert pairs_of(surplus) == {(101, 1)}
    partly = propose(mentees=[mentee(1), mentee(2, languages=frozenset({"danish"}))],
                     mentors=[mentor(101, max_mentees=2)])
    assert {u.participant_id: u.reason_code for u in partly.unmatched} == {
        2: UNMATCHED_NO_SHARED_LANGUAGE, 101: SPARE_COMPATIBLE_MENTEES_MATCHED}
    assert propose(mentees=[mentee(1)], mentors=[]).unmatched[0].reason_code == UNMATCHED_NO_MENTORS
    assert propose(mentees=[], mentors=[mentor(101)]).unmatched[0].reason_code == SPARE_NO_MENTEES
    empty = propose(mentees=[], mentors=[])
    assert (empty.pairs, empty.unmatched, empty.total_score, empty.problems) == ((), (), 0.0, ())


# --------------------------------------------------------------------------- determinism

@settings(max_examples=60, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_same_round_same_proposal_whatever_the_order_of_the_input(instance: Instance, rnd: random.Random) -> None:
    first = run(instance)
    assert run(instance) == first
    shuffled = Instance(rnd.sample(instance.mentees, len(instance.mentees)),
                        rnd.sample(instance.mentors, len(instance.mentors)),
                        instance.locked, instance.forbidden, instance.weights)
    assert run(shuffled) == first


# --------------------------------------------------------------------------- explanations

@PROPERTY
@given(instances())
def test_components_sum_to_the_score_and_the_solver_used_the_same_score(instance: Instance) -> None:
    scored = score_round(mentees=instance.mentees, mentors=instance.mentors, weights=instance.weights,
                         locked=instance.locked, forbidden=instance.forbidden)
    for i, e in enumerate(scored.mentees):
        for j, m in enumerate(scored.mentors):
            components = explain_pair(mentee=e, mentor=m, weights=instance.weights)
            assert total(c.points for c in components) == scored.scores[i, j]
    proposal = run(instance)
    for pair in proposal.pairs:
        assert pair.score == total(c.points for c in pair.components)
    assert proposal.total_score == pytest.approx(sum(pair.score for pair in proposal.pairs), abs=1e-9)


@PROPERTY
@given(instances())
def test_reasons_match_the_data_and_render_in_both_languages(instance: Instance) -> None:
    proposal = run(instance)
    by_id = {c.id: c for c in (*instance.mentees, *instance.mentors)}
    weights = instance.weights
    for pair in proposal.pairs:
        e, m = by_id[pair.mentee_id], by_id[pair.mentor_id]
        found = {c.code: c for c in pair.components}
        assert pair.components[0].code == REASON_SHARED_LANGUAGE and pair.components[0].points == 0
        # Compared lower-cased, shown as the mentee wrote them ("English", not "english").
        shown = found[REASON_SHARED_LANGUAGE].params["languages"].split(", ")
        assert [language.lower() for language in shown] == sorted(_langs(e) & _langs(m))
        assert set(shown) <= {" ".join(language.split()) for language in e.languages}
        same = normalise_field(e.field) is not None and normalise_field(e.field) == normalise_field(m.field)
        assert (REASON_SAME_FIELD in found) == same
        if REASON_RELATED_FIELD in found:
            assert normalise_field(m.field) in RELATED_FIELDS[normalise_field(e.field)]
        words = content_words(e.goals) & content_words(m.expertise)
        if words:
            shown = found[REASON_GOALS_EXPERTISE].params["words"].split(", ")
            assert [word.lower() for word in shown] == sorted(words)
            assert all(word in (e.goals or "") for word in shown), "each word as the mentee wrote it"
            assert found[REASON_GOALS_EXPERTISE].points == min(len(words), weights.goals_expertise_max_words) * 1.0
        else:
            assert REASON_GOALS_EXPERTISE not in found
        interests = {x.lower() for x in e.interests} & {x.lower() for x in m.interests}
        assert (REASON_SHARED_INTERESTS in found) == bool(interests)
        gap = abs(e.utc_offset_hours - m.utc_offset_hours)
        gap = min(gap, 24 - gap)
        assert (REASON_TIMEZONE_GAP in found) == (gap > weights.timezone_tolerance_hours)
        if REASON_TIMEZONE_GAP in found:
            assert found[REASON_TIMEZONE_GAP].points <= 0
    rendered = [(c.code, c.params) for pair in proposal.pairs for c in pair.components]
    rendered += [(p.code, p.params) for p in proposal.problems]
    for code, params in rendered:
        assert all(isinstance(value, str) for value in params.values())
        for language in CATALOGS:
            text = t(code, language, **params)
            assert "{" not in text, (language, code)
    # Unmatched reasons render as the review does: a mixed reason counts each of its causes.
    for entry in proposal.unmatched:
        assert all(isinstance(value, str) for value in entry.params.values())
        for language in CATALOGS:
            text = unmatched_text(entry, language, mrkdwn=False)
            assert "{" not in text and text != entry.reason_code, (language, entry.reason_code)


def test_explanation_of_a_good_pair() -> None:
    e = mentee(1, field="Software", languages=frozenset({"English", "Spanish"}), interests=frozenset({"Chess", "yoga"}),
               goals="I want help with my CV, and practice for interviews in Python!", utc_offset_hours=-5.0)
    m = mentor(101, field="IT", languages=frozenset({"english", "danish"}), interests=frozenset({"chess"}),
               expertise="Python developer; I review CVs and run practice interviews", utc_offset_hours=1.0)
    (pair,) = propose(mentees=[e], mentors=[m]).pairs
    assert [(c.code, c.points, c.params) for c in pair.components] == [
        # Compared lower-cased, shown as written: the mentee's spelling, and each field its owner's.
        (REASON_SHARED_LANGUAGE, 0.0, {"languages": "English"}),
        (REASON_RELATED_FIELD, 2.0, {"mentee_field": "Software", "mentor_field": "IT"}),
        (REASON_GOALS_EXPERTISE, 3.0, {"words": "interviews, practice, Python"}),  # "cv" ≠ "cvs": no stemming
        (REASON_SHARED_INTERESTS, 0.5, {"interests": "Chess"}),
        (REASON_TIMEZONE_GAP, -1.5, {"hours": "6"}),
    ]
    assert pair.score == 4.0 and not pair.locked


def test_field_matching_ignores_case_and_spacing_and_related_tables_are_symmetric() -> None:
    e = mentee(1, field="  Life   Sciences ")
    m = mentor(101, field="life sciences")
    assert codes(explain_pair(mentee=e, mentor=m))[1] == REASON_SAME_FIELD
    one_sided = {"Nursing": frozenset({"Medicine"})}
    assert related_table(one_sided) == {"nursing": frozenset({"medicine"}), "medicine": frozenset({"nursing"})}
    for a, b in (("nursing", "medicine"), ("medicine", "nursing")):
        found = codes(explain_pair(mentee=mentee(1, field=a), mentor=mentor(101, field=b), related_fields=one_sided))
        assert REASON_RELATED_FIELD in found
    assert REASON_RELATED_FIELD not in codes(explain_pair(mentee=mentee(1, field="finance"),
                                                          mentor=mentor(101, field="economics"), related_fields={}))
    for field, others in RELATED_FIELDS.items():
        assert field not in others and all(field in RELATED_FIELDS[other] for other in others)
    assert {"it", "software"} <= RELATED_FIELDS["engineering"] and "biotech" in RELATED_FIELDS["pharma"]


def test_goal_words_drop_english_and_danish_stop_words_and_punctuation() -> None:
    assert content_words("I want to improve my CV, and my LinkedIn!") == {"improve", "cv", "linkedin"}
    assert content_words("Jeg vil gerne have hjælp til min ansøgning og netværk i Århus") == \
        {"ansøgning", "netværk", "århus"}
    assert content_words(None) == frozenset() and content_words("  ,.; ") == frozenset()


def test_time_zone_gap_goes_round_the_clock_and_has_a_tolerance() -> None:
    far = explain_pair(mentee=mentee(1, utc_offset_hours=13.0), mentor=mentor(101, utc_offset_hours=-11.0))
    assert REASON_TIMEZONE_GAP not in codes(far)  # the same wall clock, a day apart
    near = explain_pair(mentee=mentee(1, utc_offset_hours=4.0), mentor=mentor(101, utc_offset_hours=1.0))
    assert REASON_TIMEZONE_GAP not in codes(near)
    (gap,) = [c for c in explain_pair(mentee=mentee(1, utc_offset_hours=5.5), mentor=mentor(101)) if c.points]
    assert (gap.code, gap.points, gap.params) == (REASON_TIMEZONE_GAP, -0.75, {"hours": "4.5"})


def test_interest_and_word_caps_keep_the_field_first() -> None:
    many = frozenset({"a1", "b2", "c3", "d4", "e5", "f6"})
    components = explain_pair(mentee=mentee(1, interests=many), mentor=mentor(101, interests=many))
    assert components[-1].points == MatchWeights().shared_interests_max * MatchWeights().shared_interest
    assert components[-1].points < MatchWeights().same_field


# --------------------------------------------------------------------------- a bigger round

def test_a_round_of_150_is_complete_consistent_and_beats_or_ties_greedy() -> None:
    rng = random.Random(7)
    languages = ("english", "english", "english", "danish", "german", "arabic", "hindi")
    fields = ("engineering", "it", "finance", "economics", "marketing", "pharma", "education", None)

    def person(pid: int, role: str) -> MatchCandidate:
        return MatchCandidate(
            id=pid, name=f"{role}{pid}", email=f"{role}{pid}@x.org", role=role,  # type: ignore[arg-type]
            field=rng.choice(fields), languages=frozenset(rng.sample(languages, 2)),
            interests=frozenset(rng.sample(string.ascii_lowercase, 3)),
            goals=" ".join(rng.sample(WORD_CHOICES, 3)) if role == "mentee" else None,
            expertise=" ".join(rng.sample(WORD_CHOICES, 3)) if role == "mentor" else None,
            utc_offset_hours=rng.choice(OFFSET_CHOICES), max_mentees=rng.choice((1, 1, 2)) if role == "mentor" else 1,
            previous_partner_emails=(frozenset({f"mentee{rng.randint(1, 150)}@x.org"}) if role == "mentor"
                                     else frozenset()),
        )

    mentees = [person(pid, "mentee") for pid in range(1, 151)]
    mentors = [person(pid, "mentor") for pid in range(1001, 1101)]
    locked = frozenset({(1001, 1), (1002, 2), (1003, 2)})
    forbidden = frozenset({(1004, 4)})
    instance = Instance(mentees, mentors, locked, forbidden, MatchWeights())
    best, greedy = run(instance), run(instance, greedy_baseline)
    check_everyone_accounted_for(instance, best)
    check_everyone_accounted_for(instance, greedy)
    assert (best.matched_count, best.total_score) >= (greedy.matched_count, greedy.total_score)


# --------------------------------------------------------------------------- inputs and catalogs

def test_bad_input_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="unique"):
        propose(mentees=[mentee(1)], mentors=[mentor(1)])
    with pytest.raises(ValueError, match="role"):
        propose(mentees=[mentor(101)], mentors=[])
    with pytest.raises(ValueError, match="max_mentees"):
        propose(mentees=[], mentors=[mentor(101, max_mentees=-1)])
    with pytest.raises(ValueError, match="emails"):
        propose(mentees=[mentee(1, email="Same@x.org")], mentors=[mentor(101, email="same@x.org ")])
    with pytest.raises(ValueError, match="same_field"):
        MatchWeights(same_field=-1.0)
    with pytest.raises(ValueError, match="rounding"):
        MatchWeights(matched_bonus=1e9)


def test_catalogs_cover_every_code_with_the_same_placeholders_in_natural_danish() -> None:
    english, danish = CATALOGS["en"], CATALOGS["da"]
    assert set(english) == set(danish) == set(ALL_CODES)

    for key in english:
        assert placeholders(english[key]) == placeholders(danish[key]), key
        assert english[key] != danish[key], f"{key} is not translated"
    text = " ".join(piece for entry in danish.values() for piece in entry_texts(entry))
    for word in ("mentor", "mentee", "forløb", "koordinator", "sprog", "fagområde"):
        assert word in text, word
