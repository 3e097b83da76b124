"""The matching proposal as a coordinator reviews it: computed, stored, adjusted, published.

:mod:`bot.matching.engine` is pure: candidates in, an explained proposal out. This module
is its database side. It decides *who* is matched this round (mentees and mentors who are
ready, not opted out, not already in a live pair; mentors only for the places they have
left), *what* the coordinator asked for (locks and forbids, and pairs matched by hand in
the workbook, which count as locks so hand matching and the optimiser work together), and
keeps every computed proposal as a stored snapshot. The review in Slack, its buttons, the
CLI and publishing all refer to that one snapshot by id, so what the coordinator saw is
exactly what gets published, or nothing is.

Publishing only writes the database: each pair's row gets ``published_at`` (the channel
opener picks those up), its score and reasons; everyone left without a match gets a kind
DM through the outbox. Publishing a proposal that is no longer current (a newer one exists,
or the people changed so that a pair breaks a hard rule) is refused, and publishing twice
changes nothing the second time.

No Slack here: results are plain dataclasses (reasons stay catalog codes with their
parameters), the DMs are notices (:mod:`bot.matching.notices`), and a platform adapter
words both (:mod:`bot.slack.render.match_review` for Slack, the command line and Excel).
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from bot.core.coordinators import coordinated_round_ids
from bot.core.notices import Notice, Person, queue_notices
from bot.core.people import identify
from bot.core.timing import polite_time, zone
from bot.core.workspace import Workspace
from bot.i18n import normalise_language
from bot.matching.engine import (
    PROBLEM_LOCK_UNKNOWN,
    MatchCandidate,
    MatchProblem,
    MatchWeights,
    Proposal,
    ProposedPair,
    ScoreComponent,
    Unmatched,
    as_written,
    normalise_values,
    propose,
    score_round,
)
from bot.matching.notices import NoMatchThisRound
from bot.onboarding.state import OnboardingStep, may_be_messaged, onboarding_step
from bot.pairs.end import FOUND_JOB
from bot.pairs.state import LIVE_STATUSES, is_live_pair
from bot.rounds.workbook import LANGUAGES as WORKBOOK_LANGUAGES
from bot.rounds.workbook import (
    SHEET_PAIRS,
    MeetingRow,
    PairRow,
    ParticipantRow,
    Problem,
    ProgrammeSettings,
    RoundWorkbook,
)
from bot.surveys.criteria import criteria_of
from storage.db import rows_affected
from storage.models import (
    ConstraintKind,
    MatchConstraint,
    MatchProposal,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Role,
    Round,
)

log = logging.getLogger(__name__)

PAYLOAD_VERSION = 1

# Problems this module adds to the engine's (catalog area ``match``).
PROBLEM_LOCK_NOT_READY = "match.problem.lock_not_ready"
PROBLEM_LOCK_ALREADY_PAIRED = "match.problem.lock_already_paired"
# Why a proposal can no longer be published.
STALE_NEWER = "match.stale.newer"
STALE_UNAVAILABLE = "match.stale.unavailable"
# Hand-made pairs in the workbook that break a hard rule (sheet Pairs).
PAIR_NO_SHARED_LANGUAGE = "match.pair.no_shared_language"
PAIR_ALREADY_MET = "match.pair.already_met"

ALL_CODES: tuple[str, ...] = (
    PROBLEM_LOCK_NOT_READY, PROBLEM_LOCK_ALREADY_PAIRED, STALE_NEWER, STALE_UNAVAILABLE,
    PAIR_NO_SHARED_LANGUAGE, PAIR_ALREADY_MET,
)
"""Every code this module emits; the ``match`` catalogs must have each one (a test checks)."""


def unmatched_dedup_key(*, round_id: int, participant_id: int) -> str:
    """One "what happens next" DM per person per round, however many proposals are published.

    A second proposal in the same round (a late mentor, a rematch) changes nothing for
    someone still without a match, and the same kind words twice read like a mistake.
    """
    return f"unmatched:round={round_id}:participant={participant_id}"


# --- loading a round --------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class RoundCandidates:
    """Everything the engine needs for one round, read from the database in one go.

    Pairs are ``(mentor_id, mentee_id)``. ``locked`` holds the coordinators' locks and the
    pairs imported from the workbook but not yet published (``drafts``); ``forbidden`` holds
    the coordinators' forbids (``forbidden_by_coordinator``) and the pairs of this round that
    ended (``ended``), which are not proposed again unless a coordinator allowed them again
    after they ended (they ended for a reason, and the pair row is kept for reporting).
    ``busy_mentors`` counts each mentor's live published pairs; ``placed`` are the people
    who take no part because they already are placed (see :func:`load_candidates`).
    """

    round_id: int
    round_name: str
    programme_name: str
    mentees: tuple[MatchCandidate, ...]
    mentors: tuple[MatchCandidate, ...]
    weights: MatchWeights
    locked: frozenset[tuple[int, int]]
    drafts: frozenset[tuple[int, int]]
    forbidden: frozenset[tuple[int, int]]
    forbidden_by_coordinator: frozenset[tuple[int, int]]
    ended: frozenset[tuple[int, int]]
    busy_mentors: Mapping[int, int]
    people: Mapping[int, Participant]  # every mentor and mentee of the round, by id
    placed: tuple[MatchCandidate, ...] = ()

    @cached_property
    def mentor_ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.mentors)

    @cached_property
    def mentee_ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.mentees)

    @property
    def candidate_ids(self) -> frozenset[int]:
        return self.mentor_ids | self.mentee_ids

    def is_candidate_pair(self, pair: tuple[int, int]) -> bool:
        """Both people can be matched now, in these roles (locks and forbids on others are moot)."""
        mentor_id, mentee_id = pair
        return mentor_id in self.mentor_ids and mentee_id in self.mentee_ids


def weights_for(settings: Mapping[str, Any] | None) -> MatchWeights:
    """The programme's weights over the defaults; unknown keys are ignored, bad values refused.

    A typo in one programme's settings must not stop matching: the defaults are sensible,
    so a bad setting falls back to them with a warning in the log.
    """
    if not settings:
        return MatchWeights()
    known = {f.name for f in fields(MatchWeights)}
    chosen: dict[str, Any] = {}
    for name, value in settings.items():
        if name not in known:
            log.warning("ignoring unknown matching weight %r", name)
            continue
        try:
            chosen[name] = int(value) if name.endswith(("_max_words", "_max")) else float(value)
        except (TypeError, ValueError):
            log.warning("ignoring matching weight %s=%r: not a number", name, value)
    try:
        return MatchWeights(**chosen)
    except ValueError as exc:
        log.warning("the programme's matching weights are invalid (%s); using the defaults", exc)
        return MatchWeights()


def _utc_offset_hours(tz_name: str | None, day: date) -> float:
    """The offset at noon on the round's first day: one snapshot for the whole round."""
    moment = datetime.combine(day, time(12, 0), tzinfo=zone(tz_name))
    return (moment.utcoffset() or timedelta(0)).total_seconds() / 3600.0


def _earlier_rounds(*, starts_on: date, round_id: int | None) -> Any:
    """Rounds that count as "earlier": started before, or the same day and created before."""
    same_day = Round.starts_on == starts_on if round_id is None else and_(Round.starts_on == starts_on, Round.id < round_id)
    condition = or_(Round.starts_on < starts_on, same_day)
    return condition if round_id is None else and_(condition, Round.id != round_id)


def _earlier_partners(session: Session, *, emails: Collection[str], starts_on: date,
                      round_id: int | None, workspace: Workspace) -> dict[str, set[str]]:
    """Email -> emails of everyone they were paired with in an earlier round (either role)
    of `workspace`: the same email in another workspace is another account there, and its
    pairs are that workspace's to know (never a reason, nor a refusal, here)."""
    if not emails:
        return {}
    mentor, mentee = aliased(Participant), aliased(Participant)
    lowered = list(emails)
    rows = session.execute(
        select(func.lower(mentor.email), func.lower(mentee.email))
        .select_from(Pair)
        .join(mentor, Pair.mentor_id == mentor.id)
        .join(mentee, Pair.mentee_id == mentee.id)
        .join(Round, Round.id == Pair.round_id)
        .where(_earlier_rounds(starts_on=starts_on, round_id=round_id), Round.id.in_(workspace.rounds()))
        .where(or_(func.lower(mentor.email).in_(lowered), func.lower(mentee.email).in_(lowered)))
    ).all()
    partners: dict[str, set[str]] = {}
    for mentor_email, mentee_email in rows:
        partners.setdefault(mentor_email, set()).add(mentee_email)
        partners.setdefault(mentee_email, set()).add(mentor_email)
    return partners


def load_candidates(session: Session, *, round_id: int) -> RoundCandidates:
    """Who can be matched in this round right now, and what the coordinators asked for.

    A candidate has finished onboarding (consented and profiled, not opted out). A mentee
    in a live published pair of this round is not a candidate; one freed by an ended pair
    is, unless that pair ended because they found a job: they reached what the programme
    is for. A mentor takes part with the places left after their live published pairs.
    Ready people left out for those reasons are ``placed``, so the reasons can count them.

    A lock whose pair was published has done its work: it is not used again, and not
    reported, unless a coordinator set it after that pair ended. A lock or an "allow
    again" set after a pair ended lifts the rule that the two are not paired again.
    """
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise LookupError(f"no round with id {round_id}")
    programme = round_.programme
    people = list(session.scalars(
        select(Participant)
        .where(Participant.round_id == round_id, Participant.role.in_([Role.MENTOR, Role.MENTEE]))
        .order_by(Participant.id)
    ))
    pairs = list(session.scalars(select(Pair).where(Pair.round_id == round_id)))
    live = [p for p in pairs if is_live_pair(p)]
    busy_mentees = {p.mentee_id for p in live} | {
        p.mentee_id for p in pairs if p.status is PairStatus.ENDED and p.end_reason == FOUND_JOB}
    busy_mentors = Counter(p.mentor_id for p in live)
    drafts = frozenset((p.mentor_id, p.mentee_id) for p in pairs if p.published_at is None and p.status in LIVE_STATUSES)
    ended_at = {(p.mentor_id, p.mentee_id): p.ended_at for p in pairs if p.status is PairStatus.ENDED}
    published = {(p.mentor_id, p.mentee_id) for p in pairs if p.published_at is not None}
    constraints = list(session.scalars(select(MatchConstraint).where(MatchConstraint.round_id == round_id)))

    def after_the_end(constraint: MatchConstraint) -> bool:
        ended = ended_at.get((constraint.mentor_id, constraint.mentee_id))
        return ended is not None and constraint.created_at > ended

    allowed_again = {(c.mentor_id, c.mentee_id) for c in constraints
                     if c.kind in (ConstraintKind.LOCK, ConstraintKind.ALLOW) and after_the_end(c)}
    ended = frozenset(ended_at) - allowed_again

    ready: list[Participant] = []
    placed: list[Participant] = []
    for person in people:
        if onboarding_step(person) is not OnboardingStep.READY:
            continue
        if person.role is Role.MENTEE and person.id in busy_mentees:
            placed.append(person)
            continue
        if person.role is Role.MENTOR and person.max_mentees - busy_mentors[person.id] <= 0:
            if busy_mentors[person.id] > 0:  # full, not a mentor who takes nobody this round
                placed.append(person)
            continue
        ready.append(person)
    partners = _earlier_partners(session, emails={p.email.strip().lower() for p in (*ready, *placed)},
                                 starts_on=round_.starts_on, round_id=round_id,
                                 workspace=Workspace(team_id=programme.team_id))

    def candidate(person: Participant) -> MatchCandidate:
        email = person.email.strip().lower()
        return MatchCandidate(
            id=person.id, name=person.name, email=email, role="mentor" if person.role is Role.MENTOR else "mentee",
            utc_offset_hours=_utc_offset_hours(person.timezone or programme.timezone, round_.starts_on),
            field=person.field, languages=frozenset(person.languages or ()),
            interests=frozenset(person.interests or ()), goals=person.goals, expertise=person.expertise,
            max_mentees=max(0, person.max_mentees - busy_mentors[person.id]) if person.role is Role.MENTOR else 1,
            previous_partner_emails=frozenset(partners.get(email, ())),
        )

    locks = {(c.mentor_id, c.mentee_id) for c in constraints if c.kind is ConstraintKind.LOCK
             and ((c.mentor_id, c.mentee_id) not in published or after_the_end(c))}
    forbids = frozenset((c.mentor_id, c.mentee_id) for c in constraints if c.kind is ConstraintKind.FORBID)
    return RoundCandidates(
        round_id=round_id, round_name=round_.name, programme_name=programme.name,
        mentees=tuple(candidate(p) for p in ready if p.role is Role.MENTEE),
        mentors=tuple(candidate(p) for p in ready if p.role is Role.MENTOR),
        weights=weights_for(programme.match_weights),
        locked=frozenset(locks | drafts), drafts=drafts,
        forbidden=forbids | ended, forbidden_by_coordinator=forbids, ended=ended,
        busy_mentors=dict(busy_mentors), people={p.id: p for p in people},
        placed=tuple(candidate(p) for p in placed),
    )


# --- computing and storing a proposal ---------------------------------------------------------

def _unavailable_lock_problem(loaded: RoundCandidates, pair: tuple[int, int]) -> MatchProblem | None:
    """Why a lock between two people of the round cannot be used now, in words, not ids."""
    mentor_id, mentee_id = pair
    mentor, mentee = loaded.people.get(mentor_id), loaded.people.get(mentee_id)
    if mentor is None or mentee is None:
        return None  # not people of this round (a deleted participant): nothing to say
    ids = loaded.candidate_ids
    absent = mentor if mentor_id not in ids else mentee
    code = (PROBLEM_LOCK_NOT_READY if onboarding_step(absent) is not OnboardingStep.READY
            else PROBLEM_LOCK_ALREADY_PAIRED)
    return MatchProblem(code=code, mentor_id=mentor_id, mentee_id=mentee_id,
                        params={"mentor": mentor.name, "mentee": mentee.name, "name": absent.name})


def _solve(loaded: RoundCandidates) -> tuple[Proposal, list[MatchProblem]]:
    """The engine's proposal, with locks and forbids narrowed to people who can be matched."""
    usable_locks = frozenset(pair for pair in loaded.locked if loaded.is_candidate_pair(pair))
    extra = [problem for pair in sorted(loaded.locked - usable_locks)
             if (problem := _unavailable_lock_problem(loaded, pair)) is not None]
    forbidden = frozenset(pair for pair in loaded.forbidden_by_coordinator if loaded.is_candidate_pair(pair))
    ended = frozenset(pair for pair in loaded.ended if loaded.is_candidate_pair(pair))
    proposal = propose(mentees=loaded.mentees, mentors=loaded.mentors, weights=loaded.weights,
                       locked=usable_locks, forbidden=forbidden, ended=ended, placed=loaded.placed)
    return proposal, extra


def _component_json(component: ScoreComponent) -> dict[str, Any]:
    return {"code": component.code, "points": component.points, "params": dict(component.params)}


def _problem_json(problem: MatchProblem) -> dict[str, Any]:
    return {"code": problem.code, "params": dict(problem.params),
            "mentor_id": problem.mentor_id, "mentee_id": problem.mentee_id}


def _payload(loaded: RoundCandidates, proposal: Proposal, extra_problems: Iterable[MatchProblem]) -> dict[str, Any]:
    return {
        "version": PAYLOAD_VERSION,
        "round_id": loaded.round_id,
        "round_name": loaded.round_name,
        "programme_name": loaded.programme_name,
        "total_score": proposal.total_score,
        "pairs": [
            {"mentor_id": pair.mentor_id, "mentee_id": pair.mentee_id, "score": pair.score, "locked": pair.locked,
             "components": [_component_json(c) for c in pair.components]}
            for pair in proposal.pairs
        ],
        "unmatched": [
            {"participant_id": u.participant_id, "role": u.role, "reason_code": u.reason_code, "params": dict(u.params)}
            for u in proposal.unmatched
        ],
        "problems": [_problem_json(p) for p in (*extra_problems, *proposal.problems)],
        "forbidden": [list(pair) for pair in sorted(loaded.forbidden_by_coordinator)],
        # Ended pairs whose mentee still looks for a mentor: shown with the forbids, to allow again.
        "ended": [list(pair) for pair in sorted(loaded.ended - loaded.forbidden_by_coordinator)
                  if pair[1] in loaded.mentee_ids],
        "names": {str(pid): person.name for pid, person in loaded.people.items()},
    }


def compute_proposal(session: Session, *, round_id: int, now: datetime, created_by: str | None) -> MatchProposal:
    """Compute the round's optimal proposal and store it as the current snapshot.

    Every computation is kept (the newest one is current), so a review message, its
    buttons and a later publish all name the exact proposal the coordinator looked at.
    """
    _serialise_round(session, round_id)
    loaded = load_candidates(session, round_id=round_id)
    proposal, extra = _solve(loaded)
    row = MatchProposal(round_id=round_id, payload=_payload(loaded, proposal, extra), created_by=created_by,
                        created_at=now)
    session.add(row)
    session.flush()
    return row


def _serialise_round(session: Session, round_id: int) -> None:
    """Serialise everything that derives a proposal from the round's people and constraints:
    a Lock/Forbid/Allow and the recomputation after it, a computation, a publish.

    Clicks on the review arrive side by side; on PostgreSQL each transaction would read the
    constraints without the others' uncommitted ones, so the newest proposal (the one the
    review offers to publish) could ignore a forbid pressed a moment earlier. Taken before
    the first read, the lock makes the next one wait and then see it (FOR UPDATE; SQLite's
    BEGIN IMMEDIATE already serialises). Taking it twice in one transaction is harmless."""
    session.execute(select(Round.id).where(Round.id == round_id).with_for_update())


def rerun(session: Session, *, proposal_id: int, now: datetime, created_by: str | None) -> MatchProposal:
    """A fresh proposal for the same round (after constraints or people changed)."""
    old = session.get(MatchProposal, proposal_id)
    if old is None:
        raise LookupError(f"no proposal with id {proposal_id}")
    return compute_proposal(session, round_id=old.round_id, now=now, created_by=created_by)


# --- reading a stored proposal ----------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ProposalReview:
    """A stored proposal, rebuilt into the engine's dataclasses, ready to render.

    ``names`` has every mentor and mentee of the round at the time of computing;
    ``forbidden`` the coordinators' forbids then, so they can be lifted from the review;
    ``ended`` the pairs of this round that ended and are not proposed again (their mentee
    still looks for a mentor), so a coordinator can allow them again the same way.
    """

    proposal_id: int
    round_id: int
    round_name: str
    programme_name: str
    proposal: Proposal
    names: Mapping[int, str]
    forbidden: tuple[tuple[int, int], ...]
    created_at: datetime
    published_at: datetime | None
    ended: tuple[tuple[int, int], ...] = ()

    def name(self, participant_id: int | None) -> str:
        return self.names.get(participant_id or 0, f"#{participant_id}")

    @property
    def unmatched_mentees(self) -> tuple[Unmatched, ...]:
        return tuple(u for u in self.proposal.unmatched if u.role == "mentee")

    @property
    def spare_places(self) -> int:
        return sum(int(u.params.get("spare", "0") or 0) for u in self.proposal.unmatched if u.role == "mentor")


def review_of(row: MatchProposal) -> ProposalReview:
    """Rebuild the snapshot; the payload is the single source of what was proposed."""
    payload = row.payload
    pairs = tuple(
        ProposedPair(
            mentor_id=int(p["mentor_id"]), mentee_id=int(p["mentee_id"]), score=float(p["score"]),
            locked=bool(p["locked"]),
            components=tuple(ScoreComponent(c["code"], float(c["points"]), dict(c.get("params") or {}))
                             for c in p["components"]),
        )
        for p in payload.get("pairs", [])
    )
    unmatched = tuple(
        Unmatched(participant_id=int(u["participant_id"]), role=u["role"], reason_code=u["reason_code"],
                  params=dict(u.get("params") or {}))
        for u in payload.get("unmatched", [])
    )
    problems = tuple(
        MatchProblem(code=p["code"], params=dict(p.get("params") or {}), mentor_id=p.get("mentor_id"),
                     mentee_id=p.get("mentee_id"))
        for p in payload.get("problems", [])
    )
    return ProposalReview(
        proposal_id=row.id, round_id=row.round_id,
        round_name=str(payload.get("round_name", "")), programme_name=str(payload.get("programme_name", "")),
        proposal=Proposal(pairs=pairs, unmatched=unmatched, problems=problems,
                          total_score=float(payload.get("total_score", 0.0))),
        names={int(pid): name for pid, name in (payload.get("names") or {}).items()},
        forbidden=tuple((int(m), int(e)) for m, e in payload.get("forbidden", [])),
        created_at=row.created_at, published_at=row.published_at,
        ended=tuple((int(m), int(e)) for m, e in payload.get("ended", [])),
    )


def current_proposal(session: Session, *, round_id: int) -> MatchProposal | None:
    """The newest proposal of the round (the one that may be published)."""
    return session.scalar(
        select(MatchProposal).where(MatchProposal.round_id == round_id).order_by(MatchProposal.id.desc()).limit(1)
    )


# --- locks and forbids ------------------------------------------------------------------------

def _check_pair(session: Session, *, round_id: int, mentor_id: int, mentee_id: int) -> None:
    """A constraint names a mentor and a mentee of this very round (button values are user input)."""
    mentor, mentee = session.get(Participant, mentor_id), session.get(Participant, mentee_id)
    if (mentor is None or mentee is None or mentor.round_id != round_id or mentee.round_id != round_id
            or mentor.role is not Role.MENTOR or mentee.role is not Role.MENTEE):
        raise ValueError(f"({mentor_id}, {mentee_id}) is not a mentor and a mentee of round {round_id}")


def _drop_draft(session: Session, *, round_id: int, mentor_id: int, mentee_id: int) -> None:
    """An unpublished hand-made pair is a lock; unlocking or forbidding it removes it."""
    session.execute(delete(Pair).where(
        Pair.round_id == round_id, Pair.mentor_id == mentor_id, Pair.mentee_id == mentee_id,
        Pair.published_at.is_(None), Pair.status.in_(LIVE_STATUSES),
    ))


def _set_constraint(session: Session, *, round_id: int, mentor_id: int, mentee_id: int, kind: ConstraintKind,
                    now: datetime, created_by: str | None) -> MatchConstraint:
    _check_pair(session, round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id)
    row = session.scalar(select(MatchConstraint).where(
        MatchConstraint.round_id == round_id, MatchConstraint.mentor_id == mentor_id,
        MatchConstraint.mentee_id == mentee_id,
    ))
    if row is None:
        row = MatchConstraint(round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id, kind=kind,
                              created_by=created_by, created_at=now)
        session.add(row)
    elif row.kind is not kind:
        row.kind, row.created_by, row.created_at = kind, created_by, now
    session.flush()
    return row


def lock_pair(session: Session, *, round_id: int, mentor_id: int, mentee_id: int, now: datetime,
              created_by: str | None) -> MatchConstraint:
    """Keep this pair in every proposal (a forbid on the same pair is replaced)."""
    return _set_constraint(session, round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id,
                           kind=ConstraintKind.LOCK, now=now, created_by=created_by)


def forbid_pair(session: Session, *, round_id: int, mentor_id: int, mentee_id: int, now: datetime,
                created_by: str | None) -> MatchConstraint:
    """Never propose this pair (a lock, or an unpublished hand-made pair, is replaced)."""
    row = _set_constraint(session, round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id,
                          kind=ConstraintKind.FORBID, now=now, created_by=created_by)
    _drop_draft(session, round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id)
    return row


def clear_constraint(session: Session, *, round_id: int, mentor_id: int, mentee_id: int) -> bool:
    """Undo a lock or a forbid (and drop an unpublished hand-made pair): the optimiser decides again.

    Returns whether anything was there to clear.
    """
    _check_pair(session, round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id)
    removed = rows_affected(session.execute(delete(MatchConstraint).where(
        MatchConstraint.round_id == round_id, MatchConstraint.mentor_id == mentor_id,
        MatchConstraint.mentee_id == mentee_id,
    )))
    drafts = rows_affected(session.execute(delete(Pair).where(
        Pair.round_id == round_id, Pair.mentor_id == mentor_id, Pair.mentee_id == mentee_id,
        Pair.published_at.is_(None), Pair.status.in_(LIVE_STATUSES),
    )))
    session.flush()
    return bool(removed or drafts)


def allow_pair(session: Session, *, round_id: int, mentor_id: int, mentee_id: int, now: datetime,
               created_by: str | None) -> bool:
    """Lift what keeps this pair out, so the optimiser decides again (Unlock, Allow again).

    A lock or a forbid is simply removed. A pair that ended earlier in this round is kept
    out by a rule, not by a constraint, so a coordinator who lifts that says so explicitly:
    an ``ALLOW`` dated now, which counts only for the ending it followed. Returns whether
    anything changed.
    """
    _check_pair(session, round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id)
    ended = session.scalar(select(Pair.id).where(
        Pair.round_id == round_id, Pair.mentor_id == mentor_id, Pair.mentee_id == mentee_id,
        Pair.status == PairStatus.ENDED,
    ))
    if ended is None:
        return clear_constraint(session, round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id)
    row = _set_constraint(session, round_id=round_id, mentor_id=mentor_id, mentee_id=mentee_id,
                          kind=ConstraintKind.ALLOW, now=now, created_by=created_by)
    row.created_by, row.created_at = created_by, now
    session.flush()
    return True


# --- publishing -------------------------------------------------------------------------------

class PublishStatus(str, enum.Enum):
    PUBLISHED = "published"
    ALREADY_PUBLISHED = "already_published"  # a second click, a retried request: nothing changed
    STALE = "stale"  # refused: re-run and review again
    EMPTY = "empty"  # refused: no pairs, so nothing to publish and nobody to tell
    NOT_FOUND = "not_found"


@dataclass(frozen=True, kw_only=True)
class PublishResult:
    status: PublishStatus
    proposal_id: int
    round_id: int | None = None
    round_name: str = ""
    pairs_published: int = 0
    people_notified: int = 0
    stale_reason: MatchProblem | None = None  # a catalog code (matching.* or match.*) and params

    @property
    def published(self) -> bool:
        return self.status in (PublishStatus.PUBLISHED, PublishStatus.ALREADY_PUBLISHED)


def _stale_reason(session: Session, *, row: MatchProposal, review: ProposalReview) -> MatchProblem | None:
    """Why this proposal may not be published now, or None when it still holds.

    The hard rules are checked again against the people as they are now, by asking the
    engine whether every proposed pair would still be accepted as a lock.
    """
    newer = session.scalar(select(MatchProposal.id).where(
        MatchProposal.round_id == row.round_id, MatchProposal.id > row.id).limit(1))
    if newer is not None:
        return MatchProblem(code=STALE_NEWER, params={"newer": str(newer)})
    loaded = load_candidates(session, round_id=row.round_id)
    for pair in review.proposal.pairs:
        for person_id, pool in ((pair.mentor_id, loaded.mentor_ids), (pair.mentee_id, loaded.mentee_ids)):
            if person_id not in pool:
                person = loaded.people.get(person_id)
                return MatchProblem(code=STALE_UNAVAILABLE, mentor_id=pair.mentor_id, mentee_id=pair.mentee_id,
                                    params={"name": person.name if person else review.name(person_id)})
    proposed = frozenset((p.mentor_id, p.mentee_id) for p in review.proposal.pairs)
    forbidden = frozenset(pair for pair in loaded.forbidden_by_coordinator if loaded.is_candidate_pair(pair))
    ended = frozenset(pair for pair in loaded.ended if loaded.is_candidate_pair(pair))
    scored = score_round(mentees=loaded.mentees, mentors=loaded.mentors, weights=loaded.weights,
                         locked=proposed, forbidden=forbidden, ended=ended)
    for problem in scored.problems:
        if problem.code != PROBLEM_LOCK_UNKNOWN:
            return problem
    return None


def _unmatched_notices(session: Session, *, review: ProposalReview, paired_mentors: Collection[int],
                       now: datetime) -> list[Notice]:
    """A kind DM for each mentee without a mentor and each mentor without any mentee.

    Once per person per round (see :func:`unmatched_dedup_key`). A mentor in
    ``paired_mentors`` (with a mentee now, or earlier in this round) is not told they have
    "not been given a mentee".
    """
    round_ = session.get(Round, review.round_id)
    programme_zone = round_.programme.timezone if round_ is not None else None
    team_id = round_.programme.team_id if round_ is not None else ""
    notices: list[Notice] = []
    for entry in review.proposal.unmatched:
        if entry.role == "mentor" and entry.participant_id in paired_mentors:
            continue  # a mentor with a mentee and a place to spare has not been left out
        person = session.get(Participant, entry.participant_id)
        if person is None or not may_be_messaged(person) or person.slack_user_id is None:
            continue
        notices.append(Notice(
            dedup_key=unmatched_dedup_key(round_id=review.round_id, participant_id=person.id),
            to=Person(person.slack_user_id, team_id=team_id),
            facts=NoMatchThisRound(name=person.name, role=Role(entry.role), round_name=review.round_name,
                                   programme_name=review.programme_name),
            not_before=polite_time(now, person.timezone or programme_zone),
            language=person.language,
        ))
    return notices


def publish_proposal(session: Session, *, proposal_id: int, now: datetime, published_by: str | None) -> PublishResult:
    """Make the proposal's pairs real, once; refuse it when it is no longer current.

    Each pair's row (an unpublished hand-made one is reused) becomes ACTIVE with its score
    and reasons and ``published_at = now``, which is what the channel opener waits for.
    Unpublished hand-made pairs for a mentee who was just published with someone else are
    removed, so they cannot haunt the next proposal as impossible locks. Everyone left
    without a match is told what happens next, through the outbox.

    A proposal without pairs is refused (``EMPTY``) and nothing is written: publishing it
    would only tell everyone that nobody was matched, and promise channels that never come.
    """
    row = session.scalar(select(MatchProposal).where(MatchProposal.id == proposal_id).with_for_update())
    if row is None:
        return PublishResult(status=PublishStatus.NOT_FOUND, proposal_id=proposal_id)
    _serialise_round(session, row.round_id)  # a change being made now yields a newer proposal: this one is stale
    review = review_of(row)
    base = PublishResult(status=PublishStatus.NOT_FOUND, proposal_id=row.id, round_id=row.round_id,
                         round_name=review.round_name)
    if row.published_at is not None:
        return replace(base, status=PublishStatus.ALREADY_PUBLISHED, pairs_published=len(review.proposal.pairs))
    stale = _stale_reason(session, row=row, review=review)
    if stale is not None:
        return replace(base, status=PublishStatus.STALE, stale_reason=stale)
    if not review.proposal.pairs:
        return replace(base, status=PublishStatus.EMPTY)

    existing = {(p.mentor_id, p.mentee_id): p for p in session.scalars(select(Pair).where(Pair.round_id == row.round_id))}
    published_mentees: set[int] = set()
    for proposed in review.proposal.pairs:
        key = (proposed.mentor_id, proposed.mentee_id)
        pair = existing.get(key)
        if pair is None:
            pair = Pair(round_id=row.round_id, mentor_id=proposed.mentor_id, mentee_id=proposed.mentee_id,
                        created_at=now)
            session.add(pair)
            existing[key] = pair
        pair.status = PairStatus.ACTIVE
        pair.ended_at = pair.end_reason = None  # a pair that ended and was allowed again is live again
        pair.match_score = proposed.score
        pair.match_reasons = [_component_json(c) for c in proposed.components]
        pair.published_at = now
        published_mentees.add(proposed.mentee_id)
    proposed_keys = {(p.mentor_id, p.mentee_id) for p in review.proposal.pairs}
    for key, pair in existing.items():
        if (pair.published_at is None and pair.status in LIVE_STATUSES and key[1] in published_mentees
                and key not in proposed_keys):
            session.delete(pair)
    row.published_at = now
    row.payload = {**row.payload, "published_by": published_by}
    session.flush()

    # Mentors with a published pair of this round, live or ended, have been given a mentee.
    paired_mentors = {p.mentor_id for p in review.proposal.pairs} | {
        p.mentor_id for p in existing.values() if p.published_at is not None
    }
    notices = _unmatched_notices(session, review=review, paired_mentors=paired_mentors, now=now)
    notified = queue_notices(session, notices, now=now)  # those told at an earlier publish are not told again
    log.info("published proposal %s of round %s: %d pair(s), %d unmatched DM(s)",
             row.id, row.round_id, len(review.proposal.pairs), notified)
    return replace(base, status=PublishStatus.PUBLISHED, pairs_published=len(review.proposal.pairs),
                   people_notified=notified)


# --- which round, and who may review it -------------------------------------------------------

def _label(round_: Round, *, with_programme: bool) -> str:
    return f"{round_.programme.name} / {round_.name}" if with_programme else round_.name


def _labels(rounds: Iterable[Round]) -> tuple[str, ...]:
    """Round names, with the programme where two programmes use the same round name."""
    rounds = list(rounds)
    counts = Counter(r.name.casefold() for r in rounds)
    return tuple(_label(r, with_programme=counts[r.name.casefold()] > 1) for r in rounds)


class LookupStatus(str, enum.Enum):
    FOUND = "found"
    UNKNOWN = "unknown"  # no round by that name
    AMBIGUOUS = "ambiguous"  # that name in several programmes
    NONE_RUNNING = "none_running"
    SEVERAL_RUNNING = "several_running"  # a name is needed


@dataclass(frozen=True, kw_only=True)
class RoundLookup:
    status: LookupStatus
    round_id: int | None = None
    choices: tuple[str, ...] = ()  # what the person can type instead


def find_round(session: Session, *, name: str | None, today: date, programme: str | None = None,
               round_ids: Collection[int] | None = None) -> RoundLookup:
    """The round a coordinator means, by name ("Spring 2027" or "Programme / Spring 2027").

    Without a name, the one running round is meant; several running rounds need a name.
    ``round_ids`` limits the search to the rounds this person coordinates (None: all).
    """
    query = select(Round).join(Programme, Programme.id == Round.programme_id).order_by(
        Round.starts_on.desc(), Round.id.desc())
    if round_ids is not None:
        query = query.where(Round.id.in_(list(round_ids)))
    if programme:
        query = query.where(func.lower(Programme.name) == programme.strip().lower())
    rounds = list(session.scalars(query))
    running = [r for r in rounds if r.ends_on >= today]
    wanted = " ".join((name or "").split()).casefold()
    if not wanted:
        if len(running) == 1:
            return RoundLookup(status=LookupStatus.FOUND, round_id=running[0].id)
        if not running:
            return RoundLookup(status=LookupStatus.NONE_RUNNING, choices=_labels(rounds))
        return RoundLookup(status=LookupStatus.SEVERAL_RUNNING, choices=_labels(running))
    matches = [r for r in rounds
               if wanted in {" ".join(r.name.split()).casefold(),
                             " ".join(_label(r, with_programme=True).split()).casefold()}]
    if len(matches) == 1:
        return RoundLookup(status=LookupStatus.FOUND, round_id=matches[0].id)
    if matches:
        return RoundLookup(status=LookupStatus.AMBIGUOUS, choices=tuple(_label(r, with_programme=True) for r in matches))
    return RoundLookup(status=LookupStatus.UNKNOWN, choices=_labels(running or rounds))


def coordinated_round(session: Session, *, name: str | None, today: date,
                      round_ids: Collection[int] | None) -> RoundLookup:
    """The round a coordinator means when they look at one (a scoreboard, a digest, a
    report): as `find_round`, except that between rounds, with no name given, the round just
    over is meant: its final survey, company survey and follow-up all come after its end."""
    lookup = find_round(session, name=name, today=today, round_ids=round_ids)
    if lookup.status is not LookupStatus.NONE_RUNNING or (name or "").strip():
        return lookup
    query = select(Round.id).order_by(Round.ends_on.desc(), Round.id.desc()).limit(1)
    if round_ids is not None:
        query = query.where(Round.id.in_(list(round_ids)))
    newest = session.scalar(query)
    return lookup if newest is None else RoundLookup(status=LookupStatus.FOUND, round_id=newest)


# --- the Slack review, as plain results -------------------------------------------------------

class ReviewAction(str, enum.Enum):
    LOCK = "lock"
    UNLOCK = "unlock"
    FORBID = "forbid"
    ALLOW = "allow"  # lift a forbid
    RERUN = "rerun"
    SHOW = "show"  # another page of the same stored proposal: nothing recomputed


class ReviewStatus(str, enum.Enum):
    OK = "ok"
    NOT_FOUND = "not_found"  # no such proposal (or round)
    NOT_ALLOWED = "not_allowed"  # not a coordinator of this round
    CHOOSE_ROUND = "choose_round"  # the command needs a round name


@dataclass(frozen=True, kw_only=True)
class ReviewOutcome:
    status: ReviewStatus
    language: str
    review: ProposalReview | None = None
    lookup: RoundLookup | None = None
    publish: PublishResult | None = None


def start_review(session: Session, *, slack_user_id: str, workspace: Workspace, round_name: str | None, now: datetime,
                 admin_user_ids: Collection[str] = ()) -> ReviewOutcome:
    """`/mentoring-admin match [ROUND]`: pick the round, compute a proposal, return it to render."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    lookup = find_round(session, name=round_name, today=now.date(), round_ids=viewer.coordinated_round_ids)
    if lookup.status is not LookupStatus.FOUND or lookup.round_id is None:
        return ReviewOutcome(status=ReviewStatus.CHOOSE_ROUND, language=language, lookup=lookup)
    row = compute_proposal(session, round_id=lookup.round_id, now=now, created_by=slack_user_id)
    return ReviewOutcome(status=ReviewStatus.OK, language=language, review=review_of(row), lookup=lookup)


def act_on_proposal(session: Session, *, proposal_id: int, action: ReviewAction, slack_user_id: str, workspace: Workspace,
                    now: datetime,
                    mentor_id: int | None = None, mentee_id: int | None = None,
                    admin_user_ids: Collection[str] = ()) -> ReviewOutcome:
    """A review button: check the clicker coordinates the round, apply, recompute, return the review.

    Every change recomputes, so the message the coordinator sees next is a new stored
    proposal, and the one they clicked on can no longer be published by mistake.
    """
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    row = session.get(MatchProposal, proposal_id)
    if row is None:
        return ReviewOutcome(status=ReviewStatus.NOT_FOUND, language=language)
    if not viewer.coordinates(row.round_id):  # only the round's own coordinators (and admins)
        return ReviewOutcome(status=ReviewStatus.NOT_ALLOWED, language=language)
    if action is ReviewAction.SHOW:
        return ReviewOutcome(status=ReviewStatus.OK, language=language, review=review_of(row))
    _serialise_round(session, row.round_id)  # before the constraint is read or written (see _serialise_round)
    if action is not ReviewAction.RERUN:
        if mentor_id is None or mentee_id is None:
            return ReviewOutcome(status=ReviewStatus.NOT_FOUND, language=language)
        pair = {"round_id": row.round_id, "mentor_id": mentor_id, "mentee_id": mentee_id}
        try:
            if action is ReviewAction.LOCK:
                lock_pair(session, **pair, now=now, created_by=slack_user_id)
            elif action is ReviewAction.FORBID:
                forbid_pair(session, **pair, now=now, created_by=slack_user_id)
            else:  # UNLOCK, ALLOW: both lift what is on the pair (an ended pair is allowed again)
                allow_pair(session, **pair, now=now, created_by=slack_user_id)
        except ValueError:
            return ReviewOutcome(status=ReviewStatus.NOT_FOUND, language=language)
    fresh = compute_proposal(session, round_id=row.round_id, now=now, created_by=slack_user_id)
    return ReviewOutcome(status=ReviewStatus.OK, language=language, review=review_of(fresh))


def publish_for(session: Session, *, proposal_id: int, slack_user_id: str, workspace: Workspace, now: datetime,
                admin_user_ids: Collection[str] = ()) -> ReviewOutcome:
    """The Publish button: only the round's coordinators; a stale proposal comes back recomputed."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    row = session.get(MatchProposal, proposal_id)
    if row is None:
        return ReviewOutcome(status=ReviewStatus.NOT_FOUND, language=language)
    if not viewer.coordinates(row.round_id):  # only the round's own coordinators (and admins)
        return ReviewOutcome(status=ReviewStatus.NOT_ALLOWED, language=language)
    result = publish_proposal(session, proposal_id=proposal_id, now=now, published_by=slack_user_id)
    review = None
    if result.status is PublishStatus.STALE:
        review = review_of(compute_proposal(session, round_id=row.round_id, now=now, created_by=slack_user_id))
    return ReviewOutcome(status=ReviewStatus.OK, language=language, publish=result, review=review)


# --- the workbook: hand-made pairs and the export ---------------------------------------------

def hand_pair_problems(session: Session, *, workbook: RoundWorkbook, round_id: int | None,
                       existing: Mapping[str, Participant], workspace: Workspace) -> list[Problem]:
    """The hard rules for pairs matched by hand in the workbook's Pairs sheet.

    The same rules the optimiser never breaks: the two share a language (when both list
    any; the workbook fills gaps, so a blank cell means the profile's languages), and they
    were not already a pair in an earlier round (by email, in either role).
    """
    if not workbook.pairs:
        return []
    rows = {row.email: row for row in workbook.participants}

    def languages(email: str) -> tuple[str, ...]:
        """As written: compared normalised, shown as the person wrote them."""
        row = rows.get(email)
        if row is not None and row.languages:
            return tuple(row.languages)
        person = existing.get(email)
        return tuple(person.languages or ()) if person is not None else ()

    emails = {email for pair in workbook.pairs for email in (pair.mentor_email, pair.mentee_email)}
    met = _earlier_partners(session, emails=emails, starts_on=workbook.programme.starts_on, round_id=round_id,
                            workspace=workspace)
    problems: list[Problem] = []
    for pair in workbook.pairs:
        mentor_languages, mentee_languages = languages(pair.mentor_email), languages(pair.mentee_email)
        mentor_set, mentee_set = normalise_values(mentor_languages), normalise_values(mentee_languages)
        if mentor_set and mentee_set and not mentor_set & mentee_set:
            problems.append(Problem(SHEET_PAIRS, pair.row, None, PAIR_NO_SHARED_LANGUAGE, {
                "mentor": pair.mentor_email, "mentee": pair.mentee_email,
                "mentor_languages": as_written(mentor_languages),
                "mentee_languages": as_written(mentee_languages),
            }))
        if pair.mentee_email in met.get(pair.mentor_email, ()):
            problems.append(Problem(SHEET_PAIRS, pair.row, None, PAIR_ALREADY_MET,
                                    {"mentor": pair.mentor_email, "mentee": pair.mentee_email}))
    return problems


ReasonsText = Callable[[ProposedPair, str], str]
"""A pair's reasons in one plain line, in a language: given by whoever words them."""


def round_workbook(session: Session, *, proposal_id: int, reasons_text: ReasonsText) -> RoundWorkbook:
    """The whole round as the workbook `mentorbot import` reads, with the proposal as its Pairs.

    Each pair carries ``score`` and ``reasons`` as extra columns, the reasons worded by
    ``reasons_text`` in the programme's language (the reasons themselves are catalog codes
    with parameters; wording them is the adapter's business, not this module's).
    A coordinator can delete or change rows and import the file back: the imported pairs
    are then locks in the next proposal. Pairs already published are not in the sheet: they
    are live, and the sheet is the proposal to review.
    """
    row = session.get(MatchProposal, proposal_id)
    if row is None:
        raise LookupError(f"no proposal with id {proposal_id}")
    round_ = session.get(Round, row.round_id)
    assert round_ is not None  # the foreign key cascades
    programme = round_.programme
    tz = zone(programme.timezone)
    language = normalise_language(programme.default_language)
    settings = ProgrammeSettings(
        programme=programme.name, round=round_.name, starts_on=round_.starts_on, ends_on=round_.ends_on,
        language=language if language in WORKBOOK_LANGUAGES else "en",
        coordinator_channel=programme.coordinator_channel, session_every_days=round_.session_every_days,
        timezone=tz.key, pulse_every_days=round_.pulse_every_days, min_answers_shown=programme.min_answers_shown,
        retention_months=programme.retention_months,
    )
    meetings = tuple(
        MeetingRow(row=index, kind=m.kind.value, title=m.title,
                   starts_at=m.starts_at.astimezone(tz).replace(tzinfo=None),
                   duration_minutes=m.duration_minutes, location=m.location)
        for index, m in enumerate(round_.meetings, start=2)
    )
    people = list(session.scalars(select(Participant).where(Participant.round_id == round_.id).order_by(Participant.id)))
    participants = tuple(
        ParticipantRow(
            row=index, email=p.email, name=p.name, role=p.role.value, field=p.field,
            languages=tuple(p.languages or ()), interests=tuple(p.interests or ()), company=p.company,
            home_country=p.home_country, language=p.language if p.language in WORKBOOK_LANGUAGES else None,
            max_mentees=max(1, p.max_mentees) if p.role is Role.MENTOR else 1,
            partner_company=p.partner_company if p.role is Role.MENTEE else None,
        )
        for index, p in enumerate(people, start=2)
    )
    by_id = {p.id: p for p in people}
    review = review_of(row)
    pairs = tuple(
        PairRow(row=index, mentor_email=by_id[pair.mentor_id].email, mentee_email=by_id[pair.mentee_id].email,
                extra={"score": f"{round(pair.score, 2):g}",
                       "reasons": reasons_text(pair, language)})
        for index, pair in enumerate(review.proposal.pairs, start=2)
        if pair.mentor_id in by_id and pair.mentee_id in by_id
    )
    # The programme's criteria (the defaults when it has none), so the file imports back unchanged.
    return RoundWorkbook(programme=settings, meetings=meetings, participants=participants, pairs=pairs,
                         criteria=criteria_of(session, programme.id))


__all__ = [
    "ALL_CODES",
    "LookupStatus",
    "ProposalReview",
    "PublishResult",
    "PublishStatus",
    "ReviewAction",
    "ReviewOutcome",
    "ReviewStatus",
    "RoundCandidates",
    "RoundLookup",
    "act_on_proposal",
    "allow_pair",
    "clear_constraint",
    "compute_proposal",
    "coordinated_round",
    "coordinated_round_ids",
    "current_proposal",
    "find_round",
    "forbid_pair",
    "hand_pair_problems",
    "load_candidates",
    "lock_pair",
    "publish_for",
    "publish_proposal",
    "rerun",
    "review_of",
    "round_workbook",
    "start_review",
    "unmatched_dedup_key",
    "weights_for",
]
