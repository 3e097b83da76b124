"""Whose answers may be asked for and counted: the one rule for the evaluation and
follow-up purposes.

Onboarding records each purpose as a person decides (`bot.onboarding.service.record_consent`).
Surveys and outcomes ask here, at the moment they ask or count, so a withdrawal takes effect
everywhere at once: no more invitations or reminders, and the person's answers leave every
aggregate (they are filtered, not deleted, so saying yes again brings them back; erasure is
a separate right).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from storage.models import Consent, ConsentPurpose, Participant


def consenting_ids(purpose: ConsentPurpose) -> Select[int]:
    """Participant ids whose current answer for `purpose` is yes, for `IN (...)` filters."""
    return select(Consent.participant_id).where(Consent.purpose == purpose, Consent.granted.is_(True))


def has_granted(session: Session, *, participant_id: int, purpose: ConsentPurpose) -> bool:
    granted = session.scalar(
        select(Consent.granted).where(Consent.participant_id == participant_id, Consent.purpose == purpose)
    )
    return granted is True


def record_consent_given(session: Session, *, participant: Participant, purpose: ConsentPurpose, granted: bool,
                         now: datetime) -> None:
    """Record a yes or no for one purpose given outside onboarding: a company contact's
    checkbox in the survey modal, or a coordinator confirming that the person they called
    agreed. The row's unique key (participant, purpose) keeps one answer per purpose."""
    row = session.scalar(
        select(Consent).where(Consent.participant_id == participant.id, Consent.purpose == purpose)
        .with_for_update()
    )
    if row is None:
        session.add(Consent(participant_id=participant.id, purpose=purpose, granted=granted, decided_at=now))
    elif row.granted != granted:
        row.granted = granted
        row.decided_at = now
    session.flush()


__all__ = ["consenting_ids", "has_granted", "record_consent_given"]
