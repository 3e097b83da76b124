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


# --- pauses and ends (bot.pairs.pauses, bot.pairs.end) -----------------------------------------------

FOUND_JOB = "found_job"  # the end reason a pair's closing note celebrates
NOTE_LIMIT = 1000  # characters of a coordinator's note on an ended pair


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PairPaused:
    """In the pair channel: one of them is taking a break until `until` (never why)."""

    name: str
    until: date


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PersonPaused:
    """To the coordinators: who paused, until when, and why (the partner learns only when)."""

    name: str
    role: Role
    until: date
    reason: str | None
    round_name: str


@notice_facts
@dataclass(frozen=True, kw_only=True)
class WelcomeBack:
    """In the pair channel when a pause ends, by itself or by a resume."""

    mentor_name: str
    mentee_name: str
    mentor_user_id: str | None
    mentee_user_id: str | None


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PairClosed:
    """In the pair channel of a pair ended early: a kind goodbye. Only the people's names
    and ids are in the bios; the reason is for choosing words (a job is celebrated), never
    read out."""

    mentor: PersonBio
    mentee: PersonBio
    reason: str


@notice_facts
@dataclass(frozen=True, kw_only=True)
class PairEndedReport:
    """To the coordinators: who ended which pair and why, with the coordinator's note (kept
    here, since the pair row keeps only the reason code)."""

    coordinator_id: str
    round_name: str
    mentor_name: str
    mentee_name: str
    reason: str
    note: str | None


__all__ = [
    "FOUND_JOB",
    "GONE_ERRORS",
    "NOTE_LIMIT",
    "NOT_IN_SLACK",
    "PairChannelTrouble",
    "PairClosed",
    "PairEndedReport",
    "PairGoodbye",
    "PairIntroFacts",
    "PairMemberNotInvited",
    "PairPaused",
    "PersonBio",
    "PersonPaused",
    "TimelineEntry",
    "WelcomeBack",
]
