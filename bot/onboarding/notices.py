"""What onboarding tells people, as facts: the welcome, the reminders, and the coordinators'
notes about people missing from Slack, saying no, or coming back.

The words are the platform adapter's (`bot.slack.render.onboarding`); these are the plain
values it draws them from, stored in the outbox with each notice. The reader's language
travels with the notice, not in the facts, so a coordinator notice can be read by each
coordinator in their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.notices import notice_facts
from storage.models import ConsentPurpose, MeetingKind, Role


@dataclass(frozen=True, kw_only=True)
class MeetingFacts:
    kind: MeetingKind
    title: str
    starts_at: datetime
    location: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConsentAnswer:
    """One purpose answered: a pair of plain values rather than a mapping keyed by an enum,
    so it goes into the outbox and comes back unchanged."""

    purpose: ConsentPurpose
    granted: bool


@dataclass(frozen=True, kw_only=True)
class OnboardingFacts:
    """Everything the welcome, the consent panel and the reminders show about one participant."""

    participant_id: int
    name: str
    role: Role
    timezone: str  # the participant's own: meetings are shown in it
    programme: str
    round: str
    starts_on: date
    ends_on: date
    session_every_days: int
    meetings: tuple[MeetingFacts, ...] = ()
    answers: tuple[ConsentAnswer, ...] = ()
    profile_completed: bool = False
    # The programme's retention (months after the six-month follow-up), stated with the
    # consent; a default so rows queued before it was stored still decode.
    retention_months: int = 12

    @property
    def choices(self) -> Mapping[ConsentPurpose, bool]:
        """The answers on record by purpose; a purpose not answered yet is absent."""
        return {answer.purpose: answer.granted for answer in self.answers}

    @property
    def coordination_granted(self) -> bool:
        return self.choices.get(ConsentPurpose.COORDINATION) is True

    @property
    def declined(self) -> bool:
        return self.choices.get(ConsentPurpose.COORDINATION) is False

    @property
    def all_answered(self) -> bool:
        return all(purpose in self.choices for purpose in ConsentPurpose)

    @property
    def needs_profile(self) -> bool:
        return self.role in (Role.MENTOR, Role.MENTEE)


# --- to the participant ------------------------------------------------------------------------


@notice_facts
@dataclass(frozen=True, kw_only=True)
class WelcomeFacts:
    """The first DM: the round, its meetings, the role, and the consent questions."""

    participant: OnboardingFacts


@notice_facts
@dataclass(frozen=True, kw_only=True)
class ConsentReminderFacts:
    """A reminder for the consent still missing; `number` is 1 or 2 (the last one)."""

    participant: OnboardingFacts
    number: int


@notice_facts
@dataclass(frozen=True, kw_only=True)
class ProfileReminderFacts:
    """A reminder for the profile still missing; `number` is 1 or 2 (the last one)."""

    participant: OnboardingFacts
    number: int


# --- to the round's coordinators -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MissingPerson:
    name: str
    email: str
    role: Role
    newly_missing: bool = False


@notice_facts
@dataclass(frozen=True, kw_only=True)
class MissingFromSlackFacts:
    """Who from the round is not in the workspace yet, so a coordinator can invite them."""

    programme: str
    round_name: str
    people: tuple[MissingPerson, ...]


@notice_facts
@dataclass(frozen=True, kw_only=True)
class CoordinationDeclinedFacts:
    """Someone said no to coordination: nobody should chase a person who asked for quiet."""

    name: str
    email: str
    role: Role
    round_name: str


@notice_facts
@dataclass(frozen=True, kw_only=True)
class CoordinationRegrantedFacts:
    """Someone who had said no said yes again: they are back in."""

    name: str
    email: str
    role: Role
    round_name: str


__all__ = [
    "ConsentAnswer",
    "ConsentReminderFacts",
    "CoordinationDeclinedFacts",
    "CoordinationRegrantedFacts",
    "MeetingFacts",
    "MissingFromSlackFacts",
    "MissingPerson",
    "OnboardingFacts",
    "ProfileReminderFacts",
    "WelcomeFacts",
]
