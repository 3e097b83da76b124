"""The weekly digest as plain facts: a platform adapter words and draws them.

A digest is one or more notices (a big round's actions are split over several messages so
each fits a chat platform's limits); every part carries its round and ISO week, and the
last part the round's picture. Names are plain user text: the renderer escapes them.
Nothing here comes from a survey answer except the scoreboard, which is anonymous by
construction (`bot.surveys.scoreboard`): who has not answered a survey may be named, what
anyone answered never is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.notices import notice_facts
from bot.onboarding.state import OnboardingStep
from bot.surveys.scoreboard import Scoreboard
from storage.models import MeetingKind, Role, SurveyKind


class ActionKind(str, enum.Enum):
    """What a coordinator is asked to look at, most urgent first."""

    HELP = "help"  # the pair asked for help in a check-in
    QUIET = "quiet"  # three or more windows missed in a row, or check-ins let pass
    LATE = "late"  # two windows missed in a row: past their cadence with no session
    PAUSE_ENDING = "pause_ending"  # back this week: worth a word of welcome
    STUCK = "stuck"  # stuck in onboarding, or not found in Slack
    SURVEY_UNANSWERED = "survey_unanswered"  # past every reminder, still no answer
    RSVP_GAP = "rsvp_gap"  # a shared meeting this week that some have not answered


@dataclass(frozen=True, kw_only=True)
class DigestAction:
    """One thing to chase. `key` names the pair, person, survey or meeting (stable across
    weeks); `fingerprint` the state it is in, so "Handled" holds until that state changes."""

    key: str
    fingerprint: str
    kind: ActionKind
    mentor_name: str | None = None
    mentee_name: str | None = None
    channel_id: str | None = None  # the pair's channel, to link to
    person_name: str | None = None
    role: Role | None = None
    step: OnboardingStep | None = None
    missed_windows: int = 0
    every_days: int = 0
    since: date | None = None
    last_session: date | None = None
    ignored_by: tuple[str, ...] = ()
    asked_by: str | None = None
    until: date | None = None
    survey_kind: SurveyKind | None = None
    survey_number: int = 0
    meeting_title: str | None = None
    meeting_kind: MeetingKind | None = None
    starts_at: datetime | None = None
    count: int = 0  # people not answered (survey, RSVP)
    names: tuple[str, ...] = ()  # who they are (never what anyone answered)
    handled_by_user_id: str | None = None  # the coordinator who marked it handled


@dataclass(frozen=True, kw_only=True)
class DigestPicture:
    """How the round is doing, in counts (and the anonymous scoreboard)."""

    active_pairs: int
    paused_pairs: int
    sessions_this_week: int
    sessions_total: int
    on_cadence: int  # pairs (not paused) that have missed no window
    measured_pairs: int
    next_meeting_title: str | None = None
    next_meeting_starts_at: datetime | None = None
    rsvp_yes: int = 0
    rsvp_no: int = 0
    rsvp_open: int = 0
    scoreboard: Scoreboard | None = None


@notice_facts
@dataclass(frozen=True, kw_only=True)
class DigestFacts:
    """One message of a round's weekly digest (`part` of `parts`)."""

    round_id: int
    round_name: str
    programme_name: str
    week: str  # ISO week, 2027-W07
    timezone: str  # the programme's: dates and times are shown there
    actions: tuple[DigestAction, ...]
    picture: DigestPicture | None  # on the last part only
    part: int = 1
    parts: int = 1
    handled_hidden: int = 0  # actions left out because a coordinator marked them handled


@notice_facts
@dataclass(frozen=True, kw_only=True)
class DigestChannelMissing:
    """The bot could not post the digest to the coordinator channel: it is not a member (or
    the channel is gone). Sent once to each coordinator in a DM, saying how to invite it."""

    channel_id: str
    round_name: str
    channel_gone: bool = False


__all__ = ["ActionKind", "DigestAction", "DigestChannelMissing", "DigestFacts", "DigestPicture"]
