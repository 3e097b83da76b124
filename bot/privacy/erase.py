"""Erasing a person (GDPR art. 17), or a whole round's people once its retention is over
(art. 5(1)(e)), field by field as `bot.privacy.inventory` says.

The rows stay and only what names or describes someone goes: a participant row keeps its
role and dates with `erased-<id>` for a name, answers keep their numbers, sessions their
dates and durations, outcomes their status. So every count and anonymous aggregate (the
scoreboard, the funder's report) adds up as before, while nothing left says who it was.
The erased person has no Slack id and is opted out: the bot treats them as a stranger and
no producer queues anything for them again; a pair of theirs in a running round ends
(reason "erased"), so their partner is not nudged about a blank person.

Services here never commit: the caller (the CLI, the Slack handler, the retention tick)
owns the unit of work, so an erasure is all or nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot.pairs.end import end_pairs_of_erased
from bot.privacy.inventory import PersonRef, in_workspaces_of, outbox_rows_about, person_rows
from storage.models import (
    DigestHandled,
    Disclosure,
    MatchConstraint,
    MatchProposal,
    MentoringSession,
    OutboxMessage,
    OutboxState,
    Outcome,
    Pair,
    Participant,
    SurveyAnswer,
)

#: What a coordinator's Slack id becomes where the column may not be empty.
ERASED = "erased"
#: Why a message still waiting is withdrawn (outbox_message.cancel_reason).
CANCEL_REASON = "the person it is about was erased"


def erased_name(participant_id: int) -> str:
    """The placeholder name: tells erased rows apart in a report without naming anyone."""
    return f"erased-{participant_id}"


def erased_email(participant_id: int) -> str:
    """Unique per row (round, email is unique) and undeliverable (.invalid, RFC 2606)."""
    return f"erased-{participant_id}@invalid"


@dataclass(frozen=True, kw_only=True)
class ErasureCounts:
    """Rows changed per table: what the CLI prints and the Slack confirmation shows."""

    tables: Mapping[str, int] = field(default_factory=dict)
    pairs_ended: tuple[int, ...] = ()  # live pairs of the person, ended (ERASED_REASON)

    @property
    def total(self) -> int:
        return sum(self.tables.values())

    def lines(self) -> list[str]:
        return [f"{table}: {count}" for table, count in sorted(self.tables.items()) if count]


@dataclass(frozen=True, kw_only=True)
class _Scope:
    """What one erasure reaches. A person: their rows anywhere, and their Slack id wherever
    they acted as a coordinator. A round (retention): its rows, whoever acted."""

    participant_ids: tuple[int, ...]
    pair_ids: tuple[int, ...]
    slack_user_ids: tuple[str, ...]  # whose Slack id is scrubbed from coordinator columns and keys
    round_ids: tuple[int, ...] = ()  # retention: every coordinator column of these rounds too
    person: PersonRef | None = None  # whose messages the outbox still holds


def plan(session: Session, person: PersonRef) -> ErasureCounts:
    """What erasing this person would reach, per table (rows about them), without changing
    anything: the confirmation's list."""
    return ErasureCounts(tables={rows.table: len(rows.rows) for rows in person_rows(session, person) if rows.rows})


def erase_person(session: Session, person: PersonRef, *, now: datetime) -> ErasureCounts:
    """Erase everything about one person, in all their rounds and programmes.

    A pair of theirs in a round still running ends first, by the one end-of-pair rule
    (`bot.pairs.end`, reason "erased"): left live, it would go on nudging, surveying and
    listing in the digest a partner called `erased-<id>` who can no longer be reached. The
    partner's data stays and they can be matched again."""
    ended = end_pairs_of_erased(session, participant_ids=person.participant_ids, now=now)
    scope = _Scope(participant_ids=person.participant_ids, pair_ids=person.pair_ids,
                   slack_user_ids=person.slack_user_ids, person=person)
    counts = _erase(session, scope, now=now)
    return ErasureCounts(tables=counts.tables, pairs_ended=ended)


def erase_round(session: Session, *, round_id: int, now: datetime) -> ErasureCounts:
    """Erase a round's personal data (retention). Its participant rows are erased; a person
    also in another round keeps that round's row as it is, so their Slack id and email are
    not searched for in the outbox (their later round's messages are theirs to keep)."""
    rows = session.execute(select(Participant.id, Participant.email, Participant.slack_user_id, Participant.name)
                           .where(Participant.round_id == round_id, Participant.erased_at.is_(None))).all()
    ids = tuple(row.id for row in rows)
    pairs = session.execute(select(Pair.id, Pair.slack_channel_id).where(Pair.round_id == round_id)).all()
    elsewhere = _kept_elsewhere(session, round_id=round_id, emails={row.email for row in rows},
                                slack_ids={row.slack_user_id for row in rows if row.slack_user_id})
    only_here = [row for row in rows if row.email not in elsewhere and row.slack_user_id not in elsewhere]
    person = PersonRef(
        participant_ids=ids, round_ids=(round_id,), emails=tuple(row.email for row in only_here),
        slack_user_ids=tuple(row.slack_user_id for row in only_here if row.slack_user_id),
        names=tuple(row.name for row in only_here), pair_ids=tuple(pair.id for pair in pairs),
        pair_channel_ids=tuple(pair.slack_channel_id for pair in pairs if pair.slack_channel_id),
    )
    scope = _Scope(participant_ids=ids, pair_ids=person.pair_ids, slack_user_ids=person.slack_user_ids,
                   round_ids=(round_id,), person=person)
    return _erase(session, scope, now=now)


def _kept_elsewhere(session: Session, *, round_id: int, emails: Collection[str], slack_ids: Collection[str]) -> set[str]:
    """Emails and Slack ids of this round's people that another round still keeps."""
    if not emails and not slack_ids:
        return set()
    others = session.execute(
        select(Participant.email, Participant.slack_user_id).where(
            Participant.round_id != round_id, Participant.erased_at.is_(None),
            or_(Participant.email.in_(list(emails)), Participant.slack_user_id.in_(list(slack_ids))),
        )
    ).all()
    return {value for row in others for value in (row.email, row.slack_user_id) if value}


def _erase(session: Session, scope: _Scope, *, now: datetime) -> ErasureCounts:
    counts: Counter[str] = Counter()
    # The outbox first: its rows are found by the names and ids about to be blanked.
    counts["outbox_message"] = _trim_messages(session, scope, now=now)
    counts["participant"] = _erase_participants(session, scope.participant_ids, now=now)
    counts["pair"] = _scrub_pairs(session, scope.pair_ids)
    if scope.pair_ids:
        counts["mentoring_session"] = len(session.execute(
            update(MentoringSession).where(MentoringSession.pair_id.in_(scope.pair_ids),
                                           MentoringSession.notes.is_not(None))
            .values(notes=None).returning(MentoringSession.id).execution_options(synchronize_session=False)
        ).all())
    counts["survey_answer"] = _erase_answers(session, scope.participant_ids)
    counts["outcome"] = _null_where(session, Outcome, Outcome.recorded_by, scope,
                                    extra=Outcome.participant_id.in_(scope.participant_ids))
    counts["match_constraint"] = _null_where(session, MatchConstraint, MatchConstraint.created_by, scope)
    counts["digest_handled"] = _coordinator_column(session, DigestHandled, DigestHandled.handled_by, scope,
                                                   value=ERASED)
    counts["match_proposal"] = _scrub_proposals(session, scope)
    counts["disclosure"] = _scrub_disclosures(session, scope)
    session.expire_all()  # bulk updates above bypassed the identity map
    return ErasureCounts(tables={table: count for table, count in counts.items() if count})


def _erase_participants(session: Session, ids: Iterable[int], *, now: datetime) -> int:
    people = list(session.scalars(select(Participant).where(Participant.id.in_(list(ids)))))
    for person in people:
        person.name = erased_name(person.id)
        person.email = erased_email(person.id)
        person.slack_user_id = None
        person.timezone = person.field = person.company = person.partner_company = person.home_country = None
        person.goals = person.expertise = person.availability = person.pause_reason = None
        person.languages = []
        person.interests = []
        # Every producer already leaves an opted-out person alone (and the Slack lookup
        # never chases them): the one existing rule for "send this person nothing".
        person.opted_out_at = person.opted_out_at or now
        person.erased_at = person.erased_at or now
        person.updated_at = now
    session.flush()
    return len(people)


def _blank_params(items: Any) -> Any:
    """Score components (or problems) with their parameters emptied: the codes and points
    say why in general; the parameters named a field, a language, an interest."""
    if not isinstance(items, list):
        return items
    return [{**item, "params": {}} if isinstance(item, dict) else item for item in items]


def _scrub_pairs(session: Session, pair_ids: tuple[int, ...]) -> int:
    pairs = list(session.scalars(select(Pair).where(Pair.id.in_(pair_ids))))
    for pair in pairs:
        pair.channel_name = None
        pair.pause_reason = None
        if pair.match_reasons is not None:
            pair.match_reasons = _blank_params(pair.match_reasons)
            flag_modified(pair, "match_reasons")
    session.flush()
    return len(pairs)


def _erase_answers(session: Session, ids: tuple[int, ...]) -> int:
    """Comments go: a row with a number keeps it, a row holding only the comment is deleted
    (the table's CHECK wants one of the two)."""
    if not ids:
        return 0
    nulled = session.execute(
        update(SurveyAnswer).where(SurveyAnswer.participant_id.in_(ids), SurveyAnswer.text.is_not(None),
                                   SurveyAnswer.value.is_not(None))
        .values(text=None).returning(SurveyAnswer.id).execution_options(synchronize_session=False)
    ).all()
    deleted = session.execute(
        delete(SurveyAnswer).where(SurveyAnswer.participant_id.in_(ids), SurveyAnswer.value.is_(None))
        .returning(SurveyAnswer.id).execution_options(synchronize_session=False)
    ).all()
    return len(nulled) + len(deleted)


def _coordinator_filter(column: Any, model: Any, scope: _Scope) -> Any:
    conditions = []
    if scope.slack_user_ids:
        conditions.append(column.in_(scope.slack_user_ids))
    if scope.round_ids and hasattr(model, "round_id"):
        conditions.append(model.round_id.in_(scope.round_ids))
    return conditions


def _null_where(session: Session, model: Any, column: Any, scope: _Scope, *, extra: Any = None) -> int:
    conditions = _coordinator_filter(column, model, scope)
    if scope.round_ids and extra is not None:
        conditions.append(extra)  # retention: whoever recorded an outcome of the round's mentees
    if not conditions:
        return 0
    return len(session.execute(
        update(model).where(or_(*conditions), column.is_not(None)).values({column.key: None})
        .returning(model.id).execution_options(synchronize_session=False)
    ).all())


def _coordinator_column(session: Session, model: Any, column: Any, scope: _Scope, *, value: str) -> int:
    conditions = _coordinator_filter(column, model, scope)
    if not conditions:
        return 0
    return len(session.execute(
        update(model).where(or_(*conditions), column != value).values({column.key: value})
        .returning(model.id).execution_options(synchronize_session=False)
    ).all())


def _scrub_proposals(session: Session, scope: _Scope) -> int:
    """Stored proposals keep their shape (ids, scores, codes) with the person's name replaced
    and every parameter about them emptied; a retained round's proposals lose all names."""
    ids = set(scope.participant_ids)
    conditions = []
    if scope.person is not None and scope.person.round_ids:
        conditions.append(MatchProposal.round_id.in_(scope.person.round_ids))
    if scope.slack_user_ids:
        conditions.append(MatchProposal.created_by.in_(scope.slack_user_ids))
    if not conditions:
        return 0
    changed = 0
    whole_round = set(scope.round_ids)
    for row in session.scalars(select(MatchProposal).where(or_(*conditions))):
        everyone = row.round_id in whole_round
        payload = dict(row.payload)
        before = repr(payload), row.created_by

        def about(*people: Any, everyone: bool = everyone) -> bool:
            return everyone or bool(set(people) & ids)

        payload["names"] = {key: (erased_name(int(key)) if about(int(key)) else name)
                            for key, name in (payload.get("names") or {}).items()}
        payload["pairs"] = [
            {**pair, "components": _blank_params(pair.get("components"))}
            if about(pair.get("mentor_id"), pair.get("mentee_id")) else pair
            for pair in payload.get("pairs", [])
        ]
        payload["unmatched"] = [{**entry, "params": {}} if about(entry.get("participant_id")) else entry
                                for entry in payload.get("unmatched", [])]
        payload["problems"] = [{**entry, "params": {}} if about(entry.get("mentor_id"), entry.get("mentee_id"))
                               else entry for entry in payload.get("problems", [])]
        if "published_by" in payload and (everyone or payload["published_by"] in scope.slack_user_ids):
            payload["published_by"] = None
        if row.created_by is not None and (everyone or row.created_by in scope.slack_user_ids):
            row.created_by = None
        if (repr(payload), row.created_by) != before:
            row.payload = payload
            changed += 1
    session.flush()
    return changed


def _is_comment_cell(cell: str) -> bool:
    """A survey question's cell whose values are texts (comments), not 1-5 numbers."""
    return cell.startswith("survey=")


def _scrub_disclosures(session: Session, scope: _Scope) -> int:
    """A comment once shown is kept in the view's record: it becomes ''. The person stays
    in every recorded view (their numbers too), so the anonymity rule still refuses a new
    view that would difference out anyone."""
    round_ids = set(scope.round_ids) | set(scope.person.round_ids if scope.person else ())
    if not round_ids:
        return 0
    keys = {str(pid) for pid in scope.participant_ids}
    changed = 0
    for row in session.scalars(select(Disclosure).where(Disclosure.round_id.in_(round_ids))):
        if not _is_comment_cell(row.cell):
            continue
        contributions = dict(row.contributions)
        scrubbed = {key: ("" if key in keys and isinstance(value, str) else value)
                    for key, value in contributions.items()}
        if scrubbed != contributions:
            row.contributions = scrubbed
            changed += 1
    session.flush()
    return changed


def _trim_messages(session: Session, scope: _Scope, *, now: datetime) -> int:
    """Rows still holding a payload that are to or about them: a pending (or in-flight) one is cancelled
    with the reason, and every one is trimmed to its keys (payload emptied); their Slack id
    is taken out of the target and the dedup key, keeping keys unique, and their DM's
    channel id out of the response."""
    if scope.person is None:
        return 0
    person = scope.person
    replacement = f"{ERASED}-{min(scope.participant_ids)}" if scope.participant_ids else ERASED
    rows = outbox_rows_about(session, person)
    for row in rows:
        # One in flight too: its call may still reach Slack (nothing can stop that), but left
        # `sending` with its payload emptied, a failed call or a dead worker's release put it
        # back to pending with nothing to draw. Cancelled, the worker's update (which wants
        # `sending`) leaves it alone.
        if row.state in (OutboxState.PENDING, OutboxState.SENDING):
            row.state = OutboxState.CANCELLED
            row.cancel_reason = CANCEL_REASON
        row.payload = {}
        row.trimmed_at = now
    # Rows trimmed earlier (by retention, or another person's erasure) still carry the Slack
    # id in their key or target.
    slack_ids = list(person.slack_user_ids)
    keyed = list(session.scalars(select(OutboxMessage).where(in_workspaces_of(person), or_(
        OutboxMessage.target.in_(slack_ids), *(OutboxMessage.dedup_key.contains(slack_id, autoescape=True)
                                               for slack_id in slack_ids))))) if slack_ids else []
    for row in rows:  # a part of them erased (`within_programmes`): their DMs of that part
        if row.target in person.dm_user_ids:
            for slack_id in person.dm_user_ids:
                row.dedup_key = row.dedup_key.replace(slack_id, replacement)
            row.target = ERASED
            row.response = {key: value for key, value in (row.response or {}).items() if key != "channel"} or None
    for row in (*rows, *keyed):
        if row.target in person.slack_user_ids and row.response and "channel" in row.response:
            # A DM's channel id (D...) leads back to them through the bot token (conversations.info);
            # nothing reads it once sent (the digest's redraw edits coordinator-channel posts).
            row.response = {key: value for key, value in row.response.items() if key != "channel"}
    for row in keyed:
        if row.target in person.slack_user_ids:
            row.target = ERASED
        for slack_id in slack_ids:
            if slack_id in row.dedup_key:
                row.dedup_key = row.dedup_key.replace(slack_id, replacement)
    session.flush()
    return len({row.id for row in (*rows, *keyed)})


__all__ = ["CANCEL_REASON", "ERASED", "ErasureCounts", "erase_person", "erase_round", "erased_email",
           "erased_name", "plan"]
