"""Notices: the domain's facts survive the outbox, and every kind has a Slack renderer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

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


# --- a round's coordinators, reached in one place ----------------------------------------------------------


@notice_facts
@dataclass(frozen=True, kw_only=True)
class _Note:
    text: str


def test_coordinators_abroad_get_a_note_in_their_own_working_hours_and_language(session) -> None:  # noqa: ANN001
    from bot.core.notices import Coordinators, Notice, outgoing_calls
    from storage.models import Role
    from tests.factories import make_participant, make_round

    round_ = make_round(session)
    make_participant(session, round_=round_, role=Role.COORDINATOR, email="c1@example.org", name="Karen",
                     slack_user_id="UCPH", language="da", timezone_name="Europe/Copenhagen")
    make_participant(session, round_=round_, role=Role.COORDINATOR, email="c2@example.org", name="Joe",
                     slack_user_id="UNYC", language="en", timezone_name="America/New_York")
    make_participant(session, round_=round_, role=Role.COORDINATOR, email="c3@example.org", name="Not in Slack")
    # Tuesday 1 June 2027, 12:00 UTC: 14:00 in Copenhagen, 08:00 in New York.
    now = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)
    notice = Notice(dedup_key="note:1", to=Coordinators(round_.id), facts=_Note(text="x"), not_before=now,
                    in_working_hours=True)
    calls = {call.payload["channel"]: call for call in outgoing_calls(session, [notice])}
    assert set(calls) == {"UCPH", "UNYC"}  # one row per coordinator in Slack
    assert calls["UCPH"].dedup_key == "note:1:to=UCPH"
    assert calls["UCPH"].payload["language"] == "da"
    assert calls["UNYC"].payload["language"] == "en"
    assert calls["UCPH"].not_before == now  # already working hours in Copenhagen
    assert calls["UNYC"].not_before > now  # 08:00 in New York: later, in their working hours
    assert calls["UNYC"].not_before.astimezone(ZoneInfo("America/New_York")).hour >= 9


def test_a_programme_channel_takes_the_note_once_in_the_programmes_language(session) -> None:  # noqa: ANN001
    from bot.core.notices import Coordinators, Notice, outgoing_calls
    from storage.models import Role
    from tests.factories import make_participant, make_round

    round_ = make_round(session)
    round_.programme.coordinator_channel = "#mentoring-staff"
    round_.programme.default_language = "da"
    make_participant(session, round_=round_, role=Role.COORDINATOR, email="c2@example.org", name="Joe",
                     slack_user_id="UNYC", language="en", timezone_name="America/New_York")
    now = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)
    calls = outgoing_calls(session, [Notice(dedup_key="note:2", to=Coordinators(round_.id), facts=_Note(text="x"),
                                            not_before=now, in_working_hours=True)])
    assert [(call.payload["channel"], call.payload["language"], call.not_before) for call in calls] == [
        ("mentoring-staff", "da", now)
    ]


def test_working_hours_timing_is_only_for_coordinators() -> None:
    from bot.core.notices import Notice, Person

    with pytest.raises(ValueError):
        Notice(dedup_key="k", to=Person("U1", team_id="T1"), facts=_Note(text="x"),
               not_before=datetime(2027, 6, 1, tzinfo=timezone.utc), in_working_hours=True)


def test_a_note_for_a_round_nobody_coordinates_in_slack_is_logged_not_silently_dropped(
    session, caplog: pytest.LogCaptureFixture  # noqa: ANN001
) -> None:
    from bot.core.notices import Coordinators, Notice, outgoing_calls
    from tests.factories import make_round

    round_ = make_round(session)
    notice = Notice(dedup_key="note:3", to=Coordinators(round_.id), facts=_Note(text="x"),
                    not_before=datetime(2027, 6, 1, tzinfo=timezone.utc))
    with caplog.at_level("WARNING", logger="bot.core.notices"):
        assert outgoing_calls(session, [notice]) == []
    assert "no coordinator" in caplog.text and "note:3" in caplog.text


# Fresh classes per case: the codec caches each class's type hints on first use, and which
# clock that use ran on is what decided the bug.
@notice_facts
@dataclass(frozen=True, kw_only=True)
class _DatedReadFrozenLater:
    day: date
    when: datetime
    maybe: date | None = None


@notice_facts
@dataclass(frozen=True, kw_only=True)
class _DatedReadFrozenFirst:
    day: date
    when: datetime
    maybe: date | None = None


def _dated(cls: type[Any]) -> Any:
    return cls(day=date(2027, 3, 1), when=datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc), maybe=date(2027, 4, 1))


def test_dates_read_back_under_freeze_time_after_a_read_on_the_real_clock() -> None:
    """freezegun swaps every module's `date` and `datetime` for its fakes while frozen: the
    codec compared annotations with `is`, so hints cached on the real clock no longer
    matched the codec's (fake) classes, and stored dates did not read back."""
    stored = encode_facts(_dated(_DatedReadFrozenLater))
    assert decode_facts(stored) == _dated(_DatedReadFrozenLater)
    with freeze_time("2027-07-01T09:00:00Z"):
        assert decode_facts(stored) == _dated(_DatedReadFrozenLater)
        assert decode_facts(encode_facts(_dated(_DatedReadFrozenLater))) == _dated(_DatedReadFrozenLater)


def test_dates_read_back_on_the_real_clock_after_a_read_under_freeze_time() -> None:
    """The other order: hints first resolved while frozen hold freezegun's classes."""
    with freeze_time("2027-07-01T09:00:00Z"):
        stored = encode_facts(_dated(_DatedReadFrozenFirst))
        assert decode_facts(stored) == _dated(_DatedReadFrozenFirst)
    decoded = decode_facts(stored)
    assert decoded == _dated(_DatedReadFrozenFirst)
    assert type(decoded.day) is date and type(decoded.when) is datetime
