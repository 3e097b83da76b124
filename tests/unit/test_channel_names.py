"""Pair channel names: readable transliteration, and always valid for Slack whatever comes in."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pairs.channel_names import (
    FALLBACK_NAME,
    MAX_CHANNEL_NAME,
    first_name,
    is_valid_channel_name,
    pair_channel_name,
    slugify,
)

SLACK_RULE = re.compile(r"^[a-z0-9_-]{1,80}$")


def test_the_issues_example() -> None:
    assert pair_channel_name(round_name="Spring 2027", first_names=["Søren", "Åsa"]) == "spring-2027-soeren-aasa"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Æble", "aeble"),
        ("Ærø", "aeroe"),
        ("Jörg Müller", "joerg-mueller"),
        ("Käthe", "kaethe"),
        ("Straße", "strasse"),
        ("Renée", "renee"),
        ("François", "francois"),
        ("Łukasz", "lukasz"),
        ("Ðorđe", "dorde"),
        ("Þóra", "thora"),
        ("Zoë", "zoe"),
        ("Ñuño", "nuno"),
        ("Şebnem Çelik", "sebnem-celik"),
        ("İbrahim", "ibrahim"),
        ("王伟", ""),
        ("Ana-María  O'Neill", "ana-maria-o-neill"),
        ("ＡＢＣ ²", "abc-2"),
        ("under_score", "under-score"),
        ("--", ""),
    ],
)
def test_transliteration(text: str, expected: str) -> None:
    assert slugify(text) == expected


def test_first_name_is_the_first_word() -> None:
    assert first_name("  Ana   Souza ") == "Ana"
    assert first_name("") == ""


def test_names_that_vanish_are_left_out_and_nothing_left_falls_back() -> None:
    assert pair_channel_name(round_name="Spring 2027", first_names=["王伟", "Ana"]) == "spring-2027-ana"
    assert pair_channel_name(round_name="春", first_names=["王伟", "😀"]) == FALLBACK_NAME
    assert pair_channel_name(round_name="", first_names=[], attempt=2) == f"{FALLBACK_NAME}-2"


def test_suffixes_count_from_two_and_stay_within_80() -> None:
    long_round = "International Business Mentoring Programme for Accompanying Partners, Spring Cohort 2027"
    first = pair_channel_name(round_name=long_round, first_names=["Maximiliane", "Bartholomew"])
    assert len(first) <= MAX_CHANNEL_NAME and first.endswith("-maximiliane-bartholomew")
    for attempt in (2, 10, 99, 1000):
        name = pair_channel_name(round_name=long_round, first_names=["Maximiliane", "Bartholomew"], attempt=attempt)
        assert name.endswith(f"-maximiliane-bartholomew-{attempt}")
        assert len(name) <= MAX_CHANNEL_NAME and is_valid_channel_name(name)
    with pytest.raises(ValueError):
        pair_channel_name(round_name="x", first_names=[], attempt=0)


def test_one_long_name_cannot_push_the_other_out() -> None:
    name = pair_channel_name(round_name="Spring", first_names=["A" * 200, "Bo"])
    assert name == "spring-" + "a" * 20 + "-bo"


@settings(max_examples=400, deadline=None)
@given(
    round_name=st.text(max_size=200),
    names=st.lists(st.text(max_size=120), max_size=3),
    attempt=st.integers(min_value=1, max_value=10_000),
)
def test_any_unicode_input_yields_a_valid_slack_name(round_name: str, names: list[str], attempt: int) -> None:
    name = pair_channel_name(round_name=round_name, first_names=names, attempt=attempt)
    assert SLACK_RULE.match(name), name
    assert is_valid_channel_name(name)
    assert "--" not in name and not name.startswith("-") and not name.endswith("-")
    assert not set(name) <= {"-", "_"}
    if attempt > 1:
        assert name.endswith(f"-{attempt}")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_slugs_are_lowercase_ascii_words(text: str) -> None:
    slug = slugify(text)
    assert re.fullmatch(r"([a-z0-9]+(-[a-z0-9]+)*)?", slug), slug


@settings(max_examples=100, deadline=None)
@given(round_name=st.text(max_size=100), names=st.lists(st.text(max_size=40), min_size=2, max_size=2))
def test_attempts_give_distinct_names(round_name: str, names: list[str]) -> None:
    tried = [pair_channel_name(round_name=round_name, first_names=names, attempt=attempt) for attempt in range(1, 12)]
    assert len(set(tried)) == len(tried)
