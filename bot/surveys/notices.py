"""What the surveys say, as facts: the invitations and reminders people get in a DM, the
forms their answers are given in, and the coordinators' list of company contacts to ask by
hand.

The words are the platform adapter's (`bot.slack.render.surveys`). The statements people
rate are data (a programme's criteria), so the facts carry both languages' text and the
renderer picks the reader's; the questions every survey has (pulse questions, "would you
recommend", the comment) are catalog words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.notices import notice_facts
from storage.models import Role, SurveyKind


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question on the 1-5 scale: a criterion's statement (both languages) or, with
    empty statements, a fixed question the renderer words from its key."""

    key: str
    statement_en: str = ""
    statement_da: str = ""
    #: The answer on record (1-5), shown as chosen when the form is drawn again.
    value: int | None = None

    def statement(self, language: str) -> str:
        return self.statement_da if language == "da" else self.statement_en


@dataclass(frozen=True, kw_only=True)
class SurveyFacts:
    """One person's invitation to one survey, as the DM and the form show it."""

    invitation_id: int
    kind: SurveyKind
    number: int
    role: Role
    programme: str
    round_name: str
    closes_at: datetime
    timezone: str
    #: Pulse: the two questions, with the buttons' current choice; other kinds: the form's
    #: questions (criteria, then "recommend"), filled in by `survey_form`.
    questions: tuple[Question, ...] = ()
    comment: str | None = None
    company: str | None = None
    #: Company contacts give their consent in the form itself; True once they have.
    consent_needed: bool = False
    answered: bool = False
    closed: bool = False


@notice_facts
@dataclass(frozen=True, kw_only=True)
class SurveyInvitationFacts:
    """The DM that asks: a pulse with its buttons, or a button that opens the form.
    `reminder` is 0 for the first message, then 1 and 2."""

    survey: SurveyFacts
    reminder: int = 0


@dataclass(frozen=True, kw_only=True)
class ContactToAsk:
    name: str
    email: str
    company: str
    mentees: int  # mentees of the round whose partner works there


@notice_facts
@dataclass(frozen=True, kw_only=True)
class CompanyContactsToAskFacts:
    """Company contacts who are not in Slack: the coordinators ask them by hand and record
    each answer with `/mentoring-admin outcome NAME`."""

    programme: str
    round_name: str
    closes_at: datetime
    contacts: tuple[ContactToAsk, ...]
    #: The programme's zone, in which the closing day is shown.
    timezone: str = "UTC"


__all__ = ["CompanyContactsToAskFacts", "ContactToAsk", "Question", "SurveyFacts", "SurveyInvitationFacts"]
