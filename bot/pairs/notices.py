"""What the pairs area tells people, as plain facts: a platform adapter words them.

The pair services (`bot.pairs.channels`, and the pause and end flows) queue these as
`bot.core.notices.Notice` facts; the Slack adapter's renderers (`bot.slack.render.pair_intro`,
`bot.slack.render.pair_channels`) turn them into messages in the reader's language when
they are sent. No words here, and no language: a notice carries its reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.notices import notice_facts
from bot.matching.engine import ScoreComponent
from storage.models import MeetingKind, Role

NOT_IN_SLACK = "not_in_slack"  # no chat account was ever found for the person
# Answers meaning the person has left the workspace (or was never in it): reported as such.
GONE_ERRORS = frozenset({"user_not_found", "users_not_found", "user_disabled", NOT_IN_SLACK})


@dataclass(frozen=True, kw_only=True)
class PersonBio:
    """What the introduction says about one person, from their profile."""

    role: Role
    name: str
    slack_user_id: str | None
    field: str | None = None
    years_experience: int | None = None
    company: str | None = None
    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    statement: str | None = None  # a mentee's goals, a mentor's expertise
    home_country: str | None = None


@dataclass(frozen=True, kw_only=True)
class TimelineEntry:
    kind: MeetingKind
    title: str
    starts_at: datetime
    location: str | None = None
    only_for: Role | None = None  # the mentor course is for mentors only, the CV workshop for mentees


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PairIntroFacts:
    """The introduction in a new pair channel: who, why (the reasons the coordinator
    reviewed, as catalog codes), when, and what first."""

    programme: str
    round_name: str
    mentor: PersonBio
    mentee: PersonBio
    match_reasons: tuple[ScoreComponent, ...] = ()
    meetings: tuple[TimelineEntry, ...] = ()
    round_ends_on: date
    session_every_days: int
    timezone: str
    coordinators_in_channel: bool = False


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PairGoodbye:
    """The round is over: a goodbye in the pair channel before it is archived."""

    round_name: str
    mentor: PersonBio
    mentee: PersonBio


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PairMemberNotInvited:
    """To the coordinators: a pair channel is open, but one person could not be invited.
    `error` is the platform's answer, or `NOT_IN_SLACK`; see `GONE_ERRORS`."""

    channel_id: str
    round_name: str
    mentor_name: str
    mentee_name: str
    person_name: str
    person_role: Role
    error: str


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PairChannelTrouble:
    """To the coordinators: channels cannot be made (a workspace setting or a permission)."""

    round_name: str
    error: str


__all__ = [
    "GONE_ERRORS",
    "NOT_IN_SLACK",
    "PairChannelTrouble",
    "PairGoodbye",
    "PairIntroFacts",
    "PairMemberNotInvited",
    "PersonBio",
    "TimelineEntry",
]
