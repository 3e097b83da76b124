"""`/mentoring-admin erase NAME`: a coordinator asks to erase someone, sees what will go,
and confirms with a button.

Only the coordinators of a programme the person takes part in may do it (the rounds they
coordinate come from `bot.core.people.identify`, the one authorisation rule), and only
their rows in the programmes the coordinator coordinates go: someone also in another
programme stays known there (`within_programmes`). The CLI's operator erases everywhere. The name is
looked for among the people of those programmes; an email picks one person, as does an
exact name among several fits. The button carries one of the person's participant ids:
confirming finds the person again from it, so a second click (or a second coordinator's)
finds them erased and changes nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.people import coordinated_programme_ids, identify
from bot.core.workspace import Workspace
from bot.pairs.channel_names import slugify
from bot.privacy.erase import ErasureCounts, erase_person, plan
from bot.privacy.inventory import PersonRef, find_person, round_labels, within_programmes
from storage.models import Participant, Round

#: Candidates listed when a name fits several people: enough to tell them apart.
CANDIDATES_SHOWN: Final = 8


class EraseStatus(str, enum.Enum):
    NO_NAME = "no_name"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    CONFIRM = "confirm"  # one person: what will go, and the button
    ERASED = "erased"
    ALREADY = "already"  # the button again, or someone else's click after the erasure
    FORBIDDEN = "forbidden"  # not a coordinator of the person's programme


@dataclass(frozen=True, kw_only=True)
class Candidate:
    name: str
    email: str
    rounds: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class EraseAnswer:
    language: str
    status: EraseStatus
    query: str = ""
    candidates: tuple[Candidate, ...] = ()
    participant_id: int | None = None  # the button's value
    person: Candidate | None = None
    counts: ErasureCounts | None = None  # planned (CONFIRM) or done (ERASED)


def _fits(name: str, query: str) -> bool:
    """As typed, or as ASCII ("soren" finds Søren, as a channel name spells him)."""
    needle, ascii_needle = query.casefold(), slugify(query)
    return needle in name.casefold() or bool(ascii_needle and ascii_needle in slugify(name))


def _candidate(session: Session, person: PersonRef) -> Candidate:
    return Candidate(name=", ".join(person.names), email=", ".join(person.emails),
                     rounds=tuple(round_labels(session, person)))


def erase_lookup(session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = (),
                 query: str) -> EraseAnswer:
    """Whom NAME (or an email) means among the people of the asker's programmes."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    text = " ".join(query.split())
    if not text:
        return EraseAnswer(language=language, status=EraseStatus.NO_NAME)
    programmes = coordinated_programme_ids(session, viewer)
    people = select(Participant).join(Round, Round.id == Participant.round_id).where(
        Participant.erased_at.is_(None), Round.programme_id.in_(programmes))
    everyone = list(session.scalars(people.order_by(Participant.name, Participant.id)))
    by_email = [row for row in everyone if row.email == text.casefold()]
    fitting = by_email or [row for row in everyone if _fits(row.name, text)]
    groups: dict[str, list[Participant]] = {}
    for row in fitting:
        groups.setdefault(row.email, []).append(row)
    if len(groups) > 1:
        exact = {email: rows for email, rows in groups.items() if any(r.name.casefold() == text.casefold() for r in rows)}
        groups = exact if len(exact) == 1 else groups
    if not groups:
        return EraseAnswer(language=language, status=EraseStatus.UNKNOWN, query=text)
    found = [find_person(session, participant_ids=tuple(row.id for row in rows)) for rows in groups.values()]
    # Only their rows in the asker's programmes (an admin's: their workspace's): what the
    # confirmation lists and the button erases. Another programme keeps its rows of them.
    persons = [mine for person in found if person is not None
               if (mine := within_programmes(session, person, programmes))]
    if len(persons) > 1:
        return EraseAnswer(language=language, status=EraseStatus.AMBIGUOUS, query=text,
                           candidates=tuple(_candidate(session, person) for person in persons[:CANDIDATES_SHOWN]))
    person = persons[0]
    return EraseAnswer(language=language, status=EraseStatus.CONFIRM, query=text,
                       participant_id=min(person.participant_ids), person=_candidate(session, person),
                       counts=plan(session, person))


def erase_confirmed(session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = (),
                    participant_id: int, now: datetime) -> EraseAnswer:
    """The button: erase the person this participant row is, if the clicker coordinates a
    programme they are in; an erased (or unknown) row is ALREADY, and nothing changes."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    person = find_person(session, participant_ids=(participant_id,))
    if person is None:
        return EraseAnswer(language=language, status=EraseStatus.ALREADY)
    programmes = coordinated_programme_ids(session, viewer)
    # Only the part of them the clicker's programmes hold (an admin's: their workspace's):
    # another programme's rows are that programme's coordinators' to erase (or the
    # operator's, on the CLI).
    mine = within_programmes(session, person, programmes)
    if mine is None:
        return EraseAnswer(language=language, status=EraseStatus.FORBIDDEN)
    person = mine
    counts = erase_person(session, person, now=now)
    return EraseAnswer(language=language, status=EraseStatus.ERASED, counts=counts)


__all__ = ["CANDIDATES_SHOWN", "Candidate", "EraseAnswer", "EraseStatus", "erase_confirmed", "erase_lookup"]
