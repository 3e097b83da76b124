"""The anonymity rule, driven by random answer sets, withdrawals and viewers.

The property: whatever people answer, change, withdraw or give back, and whoever looks when,
no view shows fewer than `k` people, no view shows someone who has withdrawn, and no two
views ever shown differ by fewer than `k` people in either direction, so subtracting one
from another (round vs round-minus-one-pair, before vs after one answer) never isolates a
person's answer.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.surveys.anonymity import MIN_THRESHOLD, Value, disclose, effective_threshold, may_follow
from storage.models import Disclosure
from tests.factories import make_round

NOW = datetime(2027, 6, 1, tzinfo=timezone.utc)
PEOPLE = range(1, 13)

operation = st.one_of(
    st.tuples(st.just("answer"), st.sampled_from(list(PEOPLE)), st.integers(min_value=1, max_value=5)),
    st.tuples(st.just("withdraw"), st.sampled_from(list(PEOPLE)), st.just(0)),
    st.tuples(st.just("regrant"), st.sampled_from(list(PEOPLE)), st.just(0)),
    st.tuples(st.just("view"), st.sampled_from(["coordinator-a", "coordinator-b", "digest"]), st.just(0)),
)


@pytest.fixture
def round_id(session: Session) -> int:
    return make_round(session).id


_cells = (f"property-{number}" for number in itertools.count())


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(threshold=st.integers(min_value=MIN_THRESHOLD, max_value=6),
       operations=st.lists(operation, min_size=1, max_size=60))
def test_no_two_views_ever_differ_by_fewer_than_the_threshold(
    session: Session, round_id: int, threshold: int, operations: list[tuple[str, object, int]]
) -> None:
    cell = next(_cells)  # a cell of its own per example: the views of earlier examples are not this one's
    answers: dict[int, int] = {}
    withdrawn: set[int] = set()
    seen: list[dict[int, Value]] = []
    moment = NOW
    for kind, who, value in operations:
        moment += timedelta(minutes=1)
        if kind == "answer":
            answers[int(str(who))] = value
        elif kind == "withdraw":
            withdrawn.add(int(str(who)))
        elif kind == "regrant":
            withdrawn.discard(int(str(who)))
        else:
            current: dict[int, Value] = {person: answer for person, answer in answers.items() if person not in withdrawn}
            shown = disclose(session, round_id=round_id, cell=cell, current=current, threshold=threshold, now=moment)
            if shown is None:
                continue
            contributions = dict(shown.contributions)
            assert len(contributions) >= threshold, "a view below the threshold"
            assert not set(contributions) & withdrawn, "a withdrawn person's answer is still counted"
            if shown.current:
                assert contributions == current
            seen.append(contributions)
    for earlier, later in itertools.combinations(seen, 2):
        assert may_follow(earlier, later, threshold=threshold), (earlier, later)
        assert may_follow(later, earlier, threshold=threshold), (earlier, later)
        added = {person for person in later if person not in earlier}
        gone = {person for person in earlier if person not in later}
        changed = {person for person in later if person in earlier and earlier[person] != later[person]}
        for group in (added, gone, added | changed, gone | changed):
            assert len(group) == 0 or len(group) >= threshold, (earlier, later)


def test_a_round_minus_one_pair_shows_nothing_that_tells_the_pair_apart(session: Session, round_id: int) -> None:
    """Six mentees answered and were shown; one withdraws (her pair ended and she asked to be
    left out): showing the five others would give her answer by subtraction, so nothing is shown."""
    answers: dict[int, Value] = {1: 5, 2: 4, 3: 2, 4: 5, 5: 1, 6: 4}
    first = disclose(session, round_id=round_id, cell="minus-one", current=answers, threshold=5, now=NOW)
    assert first is not None and first.current
    without = {person: value for person, value in answers.items() if person != 6}
    assert disclose(session, round_id=round_id, cell="minus-one", current=without, threshold=5, now=NOW) is None


def test_one_more_answer_shows_the_earlier_view_until_enough_have_changed(session: Session, round_id: int) -> None:
    answers: dict[int, Value] = dict.fromkeys(range(1, 6), 4)
    assert disclose(session, round_id=round_id, cell="growing", current=answers, threshold=5, now=NOW) is not None
    sixth = {**answers, 6: 1}
    again = disclose(session, round_id=round_id, cell="growing", current=sixth, threshold=5, now=NOW)
    assert again is not None and not again.current and again.contributions == answers
    ten = {**sixth, 7: 2, 8: 3, 9: 5, 10: 1}
    fresh = disclose(session, round_id=round_id, cell="growing", current=ten, threshold=5, now=NOW)
    assert fresh is not None and fresh.current and fresh.contributions == ten
    # One person changing their mind is a difference of one: the last view stays.
    changed = {**ten, 3: 1}
    stale = disclose(session, round_id=round_id, cell="growing", current=changed, threshold=5, now=NOW)
    assert stale is not None and not stale.current and stale.contributions == ten


def test_below_the_threshold_nothing_is_shown_or_recorded(session: Session, round_id: int) -> None:
    assert disclose(session, round_id=round_id, cell="small", current={1: 5, 2: 5, 3: 4, 4: 1}, threshold=5,
                    now=NOW) is None
    assert session.scalars(select(Disclosure).where(Disclosure.cell == "small")).all() == []


def test_the_threshold_is_never_below_three() -> None:
    assert effective_threshold(1) == MIN_THRESHOLD
    assert effective_threshold(None) == 5
    assert effective_threshold(7) == 7
