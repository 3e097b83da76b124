"""Shared slots: 10:00 on a weekday in the lead zone, never night or weekend for anyone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.timing import (
    due_slot,
    lead_zone,
    local_day,
    next_shared_time,
    shared_slot,
    suits_everyone,
    weekday_on_or_before,
    working_hours_time,
)

UTC = timezone.utc
CPH, LONDON, LA = "Europe/Copenhagen", "Europe/London", "America/Los_Angeles"
AUCKLAND, HONOLULU, TOKYO = "Pacific/Auckland", "Pacific/Honolulu", "Asia/Tokyo"


def local(instant: datetime, name: str) -> datetime:
    return instant.astimezone(ZoneInfo(name))


@pytest.mark.parametrize("name", [CPH, LONDON, LA, AUCKLAND, HONOLULU, TOKYO, "Asia/Kolkata"])
def test_one_person_gets_ten_oclock_on_weekdays_and_nothing_at_weekends(name: str) -> None:
    monday = date(2027, 3, 15)
    slot = shared_slot(monday, [name])
    assert slot is not None and local(slot, name).hour == 10 and local(slot, name).date() == monday
    assert shared_slot(date(2027, 3, 13), [name]) is None  # Saturday
    assert shared_slot(date(2027, 3, 14), [name]) is None  # Sunday


def test_a_pair_gets_the_earlier_persons_ten_oclock_when_it_is_daytime_for_both() -> None:
    slot = shared_slot(date(2027, 3, 15), [LONDON, CPH])
    assert slot is not None
    assert local(slot, CPH).hour == 10 and local(slot, LONDON).hour == 9
    assert lead_zone([LONDON, CPH], date(2027, 3, 15)) == CPH


def test_a_pair_far_apart_waits_for_an_hour_that_is_day_for_both() -> None:
    # 10:00 in Copenhagen is 02:00 in Los Angeles: the first hour awake for both is 17:00/08:00.
    slot = shared_slot(date(2027, 3, 15), [CPH, LA])
    assert slot is not None and suits_everyone(slot, [CPH, LA])
    assert (local(slot, CPH).hour, local(slot, LA).hour) == (16, 8)  # LA already on summer time on 15 March
    slot = shared_slot(date(2027, 2, 15), [CPH, LA])
    assert slot is not None and (local(slot, CPH).hour, local(slot, LA).hour) == (17, 8)


def test_across_the_date_line_no_one_is_nudged_on_their_weekend() -> None:
    # Monday 10:00 in Auckland is Sunday 11:00 in Honolulu: wait for Tuesday (Monday there).
    assert shared_slot(date(2027, 3, 15), [AUCKLAND, HONOLULU]) is None
    slot = shared_slot(date(2027, 3, 16), [AUCKLAND, HONOLULU])
    assert slot is not None
    assert local(slot, AUCKLAND).strftime("%a %H") == "Tue 10"
    assert local(slot, HONOLULU).strftime("%a %H") == "Mon 11"
    # Friday in Auckland is Thursday in Honolulu: fine.
    assert shared_slot(date(2027, 3, 19), [AUCKLAND, HONOLULU]) is not None


def test_due_slot_is_open_for_two_hours_and_local_day_follows_the_lead_zone() -> None:
    monday_ten = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen
    assert due_slot(monday_ten - timedelta(minutes=1), [CPH]) is None
    assert due_slot(monday_ten, [CPH]) == monday_ten
    assert due_slot(monday_ten + timedelta(minutes=119), [CPH]) == monday_ten
    assert due_slot(monday_ten + timedelta(hours=2), [CPH]) is None
    assert local_day(datetime(2027, 3, 15, 22, 30, tzinfo=UTC), [AUCKLAND, HONOLULU]) == date(2027, 3, 16)


def test_weekday_on_or_before_and_staff_hours() -> None:
    assert weekday_on_or_before(date(2027, 3, 14)) == date(2027, 3, 12)  # Sunday -> Friday
    assert weekday_on_or_before(date(2027, 3, 15)) == date(2027, 3, 15)
    saturday_noon = datetime(2027, 3, 13, 11, 0, tzinfo=UTC)
    assert local(working_hours_time(saturday_noon, CPH), CPH).strftime("%a %H:%M") == "Mon 10:00"
    tuesday_afternoon = datetime(2027, 3, 16, 13, 0, tzinfo=UTC)
    assert working_hours_time(tuesday_afternoon, CPH) == tuesday_afternoon


def test_next_shared_time_is_now_in_the_day_and_the_next_slot_at_night() -> None:
    afternoon = datetime(2027, 3, 16, 13, 0, tzinfo=UTC)
    assert next_shared_time(afternoon, [CPH, LONDON]) == afternoon
    night = datetime(2027, 3, 16, 23, 0, tzinfo=UTC)
    later = next_shared_time(night, [CPH, LONDON])
    assert local(later, CPH).strftime("%a %H:%M") == "Wed 10:00"
