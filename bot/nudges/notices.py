"""What the nudges say, as plain facts: a platform adapter words them.

The check-in in a pair channel, and the coordinators' news about a pair that asks for help
or goes quiet. `bot.nudges.checkins` queues these as `bot.core.notices.Notice` facts; the
Slack adapter (`bot.slack.render.nudges`) draws them in the reader's language when they
are sent. No words here, and no language: a notice carries its reader's language (each
coordinator gets their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.notices import notice_facts
from storage.models import CheckinAnswer


@notice_facts
@dataclass(frozen=True, kw_only=True)
class CheckinFacts:
    """One check-in and its answer on record, as the pair channel shows it: the same facts
    draw it when it is sent and redraw it after each answer."""

    pair_id: int
    window_start: date
    every_days: int
    mentor_name: str
    mentee_name: str
    mentor_user_id: str | None
    mentee_user_id: str | None
    again: bool = False  # asked again after "Not yet"
    answer: CheckinAnswer | None = None
    answered_by: str | None = None
    planned_for: date | None = None
    ask_again_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class PairNewsFacts:
    """What coordinator news about one pair names: who, where, and the last session."""

    mentor_name: str
    mentee_name: str
    channel_id: str | None
    round_name: str
    last_session: date | None


@notice_facts
@dataclass(frozen=True, kw_only=True)
class CheckinHelpRequested:
    """"We'd like help": the coordinators hear at once who asked and where to answer."""

    pair: PairNewsFacts
    asked_by: str


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PairGoingQuiet:
    """`missed` check-in periods of `every_days` in a row without a session, since `since`."""

    pair: PairNewsFacts
    missed: int
    every_days: int
    since: date


@notice_facts
@dataclass(frozen=True, kw_only=True)
class CheckinsIgnored:
    """One (or both) of the pair let `count` check-ins in a row pass without a word."""

    pair: PairNewsFacts
    people: tuple[str, ...]
    count: int


__all__ = ["CheckinFacts", "CheckinHelpRequested", "CheckinsIgnored", "PairGoingQuiet", "PairNewsFacts"]
