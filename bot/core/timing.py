"""When a message may reach a person: daytime on weekdays, in *their* time zone.

Every nudge, reminder and check-in asks here for its not-before time, so nobody is pinged
at night or at the weekend, wherever they live.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
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


# --- shared slots: one instant that suits everyone a message reaches (issue 5) -----------------

DELIVERY_GRACE = timedelta(hours=2)
LATEST_SLOT_HOUR = WAKING_END.hour - 1  # a slot starts at 19:00 at the latest


def _zone_names(tz_names: Sequence[str | None]) -> tuple[str, ...]:
    return _normalised(tuple(tz_names))


@lru_cache(maxsize=1024)
def _normalised(tz_names: tuple[str | None, ...]) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(zone(name).key for name in tz_names))
    return names or (DEFAULT_TIMEZONE,)


def lead_zone(tz_names: Sequence[str | None], day: date) -> str:
    """The zone whose clock is furthest ahead on `day` (see `earliest_zone`): its dates are
    the pair's dates, and its 10:00 is the first moment a pair message may go out."""
    return _lead_zone(_zone_names(tz_names), day)


@lru_cache(maxsize=8192)
def _lead_zone(names: tuple[str, ...], day: date) -> str:
    return earliest_zone(list(names), datetime.combine(day, time(12, 0), tzinfo=timezone.utc)) or names[0]


def suits_everyone(instant: datetime, tz_names: Sequence[str | None]) -> bool:
    """A weekday, during waking hours, for every zone."""
    return all(within_waking_hours(instant, name) for name in _zone_names(tz_names))


def shared_slot(day: date, tz_names: Sequence[str | None]) -> datetime | None:
    """When a message to these people goes out on `day` (a date in their lead zone), as UTC.

    10:00 in the lead zone (the earlier clock, so nobody waits a day) when that is a weekday
    daytime for all of them; otherwise the first later full hour that is (a pair in
    Copenhagen and Los Angeles hears at 17:00/08:00, not at 01:00 in California); None when
    no hour that day suits everyone (a weekend somewhere). Zones 12 hours or more apart
    share no waking hour: they get 10:00 in the lead zone on its weekdays.

    Pure and asked for every pair on every tick, so the answers are cached."""
    return _shared_slot(day, _zone_names(tz_names))


@lru_cache(maxsize=16384)
def _shared_slot(day: date, names: tuple[str, ...]) -> datetime | None:
    lead = zone(_lead_zone(names, day))
    for hour in range(NUDGE_HOUR, LATEST_SLOT_HOUR + 1):
        instant = datetime.combine(day, time(hour, 0), tzinfo=lead)
        if suits_everyone(instant, names):
            return instant.astimezone(timezone.utc)
    ten = datetime.combine(day, time(NUDGE_HOUR, 0), tzinfo=lead)
    if not all(is_weekday(ten.astimezone(zone(name)).date()) for name in names):
        return None  # a weekend here or there: a later day suits everyone
    if any(_awake_everywhere(datetime.combine(day, time(hour, 0), tzinfo=lead), names)
           for hour in range(NUDGE_HOUR, LATEST_SLOT_HOUR + 1)):
        return None  # pragma: no cover - an hour awake for all on a weekday everywhere suits everyone
    return ten.astimezone(timezone.utc)


def _awake_everywhere(instant: datetime, names: Sequence[str]) -> bool:
    return all(WAKING_START <= instant.astimezone(zone(name)).time() < WAKING_END for name in names)


def local_day(now: datetime, tz_names: Sequence[str | None]) -> date:
    """Today for these people: the date in their lead zone."""
    names = _zone_names(tz_names)
    return now.astimezone(zone(_lead_zone(names, now.astimezone(timezone.utc).date()))).date()


def due_slot(now: datetime, tz_names: Sequence[str | None], *, grace: timedelta = DELIVERY_GRACE) -> datetime | None:
    """Today's slot when `now` lies in [slot, slot + grace); otherwise None.

    Jobs enqueue a nudge only while its slot is open, with the slot as not-before: the
    message is due the moment it is written (so `tick --dry-run` shows it), a pause that
    starts first silences it, and a worker that was down all morning waits for the next
    day's slot instead of pinging in the evening."""
    slot = shared_slot(local_day(now, tz_names), tz_names)
    if slot is None or not (slot <= now < slot + grace):
        return None
    return slot


class OpenSlots:
    """`due_slot` and `local_day` for many pairs at one instant, worked out once per set of
    zones: they depend on nothing else, and a tick over thousands of pairs shares a handful
    of zone sets (recomputing them per pair was most of the idle tick)."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._by_zones: dict[tuple[str | None, ...], tuple[datetime, date] | None] = {}

    def open_slot(self, tz_names: Sequence[str | None]) -> tuple[datetime, date] | None:
        """(the open slot, today) for these people, or None while their slot is not open."""
        key = tuple(tz_names)
        if key not in self._by_zones:
            slot = due_slot(self._now, key)
            self._by_zones[key] = None if slot is None else (slot, local_day(self._now, key))
        return self._by_zones[key]


def next_shared_time(now: datetime, tz_names: Sequence[str | None]) -> datetime:
    """Now, when it is a weekday daytime for everyone; otherwise the next shared slot.

    For messages that answer something a person just did (a pause notice, a welcome back)."""
    if suits_everyone(now, tz_names):
        return now
    day = local_day(now, tz_names)
    for offset in range(9):
        slot = shared_slot(day + timedelta(days=offset), tz_names)
        if slot is not None and slot >= now:
            return slot
    return next_weekday_at(now, lead_zone(tz_names, day))  # pragma: no cover - a slot always comes


def working_hours_time(now: datetime, tz_name: str | None) -> datetime:
    """For staff (coordinators): now on a weekday between 10:00 and 20:00 there, otherwise
    the next weekday 10:00. "We'd like help" reaches them at once in working hours."""
    local = now.astimezone(zone(tz_name))
    if is_weekday(local.date()) and time(NUDGE_HOUR) <= local.time() < WAKING_END:
        return now
    return next_weekday_at(now, tz_name, hour=NUDGE_HOUR)


def weekday_on_or_before(day: date) -> date:
    """`day`, or the Friday before when it falls on a weekend: a reminder "the day before"
    a Monday meeting comes on Friday, still before it."""
    while not is_weekday(day):
        day -= timedelta(days=1)
    return day
