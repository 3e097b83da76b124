"""What the 6-month follow-up says, as plain facts: the Slack adapter words them
(`bot.slack.render.outcomes`) in the mentee's language when the DM goes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.core.notices import notice_facts
from storage.models import OutcomeStatus


@notice_facts
@dataclass(frozen=True, kw_only=True)
class FollowUpFacts:
    """The one DM asking a mentee's situation six months after their round ended (or its one
    reminder). When an outcome is already on record, the DM shows it, so answering "still
    the same" is one click and a submit: the question is their situation *now*."""

    participant_id: int
    name: str
    round_name: str
    programme: str
    ended_on: date
    reminder: bool = False
    last_status: OutcomeStatus | None = None
    last_started_on: date | None = None


__all__ = ["FollowUpFacts"]
