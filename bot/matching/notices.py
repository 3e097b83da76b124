"""What matching tells people, as plain facts: a platform adapter words them.

Publishing a proposal tells everyone it left without a partner what happens next
(`bot.matching.review`); the Slack adapter (`bot.slack.render.match_review`) draws it in
the person's language when it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.notices import notice_facts
from storage.models import Role


@notice_facts
@dataclass(frozen=True, kw_only=True)
class NoMatchThisRound:
    """To a mentee without a mentor, or a mentor without any mentee, once per round: a kind
    word and what happens next."""

    name: str
    role: Role
    round_name: str
    programme_name: str


__all__ = ["NoMatchThisRound"]
