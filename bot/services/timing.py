"""When a message may reach a person: daytime on weekdays, in *their* time zone.

Every nudge, reminder and check-in asks here for its not-before time, so nobody is pinged
at night or at the weekend, wherever they live.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Copenhagen"
NUDGE_HOUR = 10
WAKING_START = time(8, 0)
WAKING_END = time(20, 0)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def is_weekday(day: date) -> bool:
    return day.weekday() < 5


def next_weekday_at(now: datetime, tz_name: str | None, *, hour: int = NUDGE_HOUR, minute: int = 0) -> datetime:
    """The first weekday `hour:minute` in that zone at or after `now`, as aware UTC."""
    tz = zone(tz_name)
    local_now = now.astimezone(tz)
    day = local_now.date()
    for _ in range(8):
        candidate = datetime.combine(day, time(hour, minute), tzinfo=tz)
        if is_weekday(day) and candidate >= local_now:
            return candidate.astimezone(timezone.utc)
        day += timedelta(days=1)
    raise AssertionError("a weekday always comes within 8 days")  # pragma: no cover


def weekday_at_after(day: date, tz_name: str | None, *, hour: int = NUDGE_HOUR) -> datetime:
    """`hour` on `day`, moved forward to Monday when `day` falls on a weekend, as aware UTC."""
    tz = zone(tz_name)
    while not is_weekday(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, 0), tzinfo=tz).astimezone(timezone.utc)


def add_working_days(day: date, count: int) -> date:
    while count > 0:
        day += timedelta(days=1)
        if is_weekday(day):
            count -= 1
    return day


def within_waking_hours(now: datetime, tz_name: str | None) -> bool:
    local = now.astimezone(zone(tz_name))
    return is_weekday(local.date()) and WAKING_START <= local.time() < WAKING_END


def polite_time(now: datetime, tz_name: str | None) -> datetime:
    """Now, if it is a weekday daytime there; otherwise the next weekday 09:00 in that zone.

    For messages a person is expecting (a welcome right after import) rather than nudges."""
    if within_waking_hours(now, tz_name):
        return now
    return next_weekday_at(now, tz_name, hour=9)


def earliest_zone(tz_names: list[str | None], at: datetime) -> str | None:
    """Of several people's zones, the one whose clock is furthest ahead at `at`: a 10:00
    message for a pair goes out at the earlier person's 10:00 (earlier in UTC)."""
    named = [name for name in tz_names if name]
    if not named:
        return None
    return max(named, key=lambda name: at.astimezone(zone(name)).utcoffset() or timedelta(0))
