"""Notices: the domain's facts survive the outbox, and every kind has a Slack renderer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum

import pytest

from bot.core.notices import (
    NoticeCodecError,
    decode_facts,
    encode_facts,
    notice_facts,
)
from bot.slack.notices import unrendered_kinds


class _Colour(str, Enum):
    RED = "red"


@notice_facts
@dataclass(frozen=True, kw_only=True)
class _Inner:
    day: date
    note: str | None = None


@notice_facts
@dataclass(frozen=True, kw_only=True)
class _Everything:
    name: str
    count: int
    share: float
    flag: bool
    when: datetime
    colour: _Colour
    inner: _Inner
    inners: tuple[_Inner, ...]
    words: list[str]
    maybe: int | None = None


def test_facts_come_back_from_the_outbox_as_they_went_in() -> None:
    facts = _Everything(
        name="Åse <!channel>", count=3, share=0.5, flag=True,
        when=datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc), colour=_Colour.RED,
        inner=_Inner(day=date(2026, 12, 2)), inners=(_Inner(day=date(2026, 1, 1), note="x"),),
        words=["a", "b"],
    )
    stored = encode_facts(facts)
    assert stored["kind"] == "_Everything"
    assert decode_facts(stored) == facts


def test_facts_that_no_longer_fit_are_refused_not_guessed() -> None:
    with pytest.raises(NoticeCodecError):
        decode_facts({"kind": "NoSuchKind", "facts": {}})
    with pytest.raises(NoticeCodecError):
        decode_facts({"kind": "_Inner", "facts": {"day": "not a date"}})
    with pytest.raises(NoticeCodecError):
        decode_facts({"kind": "_Inner", "facts": {"day": 20260101}})


def test_only_registered_dataclasses_can_be_notice_facts() -> None:
    with pytest.raises(TypeError):
        notice_facts(int)
    with pytest.raises(TypeError):
        encode_facts(object())


def test_every_kind_of_notice_the_domain_declares_has_a_slack_renderer() -> None:
    # This file's own test kinds start with "_" and are drawn by nobody.
    missing = [name for name in unrendered_kinds() if not name.startswith("_")]
    assert missing == [], "add a renderer in bot/slack/render/ for each"
    assert "_Everything" in unrendered_kinds()  # the check does see kinds without a renderer
