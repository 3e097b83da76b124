"""What the round's timeline tells people, as facts: the reminder before a shared meeting
(with the reader's answer on record) and the prompt in a pair's channel before a workshop.

The words are the platform adapter's (`bot.slack.render.timeline`); the reader's language
travels with the notice, not in the facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.notices import notice_facts
from bot.i18n import t
from storage.models import MeetingKind, RsvpAnswer


def meeting_display_name(kind: MeetingKind, title: str, language: str) -> str:
    """The meeting's own title when it has one, otherwise the name of its kind."""
    return title.strip() or t(f"onboarding.meeting.{kind.value}", language)


@notice_facts
@dataclass(frozen=True, kw_only=True)
class MeetingReminderFacts:
    """A shared meeting coming up, for one person; also what a click on its buttons redraws."""

    meeting_id: int
    kind: MeetingKind
    title: str
    starts_at: datetime
    location: str | None
    timezone: str  # the reader's
    name: str
    answer: RsvpAnswer | None = None


@notice_facts
@dataclass(frozen=True, kw_only=True)
class MeetingPromptFacts:
    """A week before the CV or interview workshop: what the pair could work on in their next 1:1."""

    kind: MeetingKind  # CV workshop or interview workshop
    title: str
    day: date
    mentor_name: str
    mentee_name: str
    mentor_user_id: str | None
    mentee_user_id: str | None


__all__ = ["MeetingPromptFacts", "MeetingReminderFacts", "meeting_display_name"]
