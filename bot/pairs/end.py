"""Ending a pair early, or ending it to rematch: people drop out for ordinary reasons.

Pregnancy, a move, a new job (the best reason) or simply a match that does not work: a
coordinator ends the pair from Slack. The pair row is *kept* (status ENDED, when and why),
because the funder's report counts pairs and outcomes; its channel gets a kind closing note
and stays until the round's end, when it is archived with all the others. Both people are
free again: matching treats anyone outside an ACTIVE or PAUSED pair as unmatched, so the
next `/mentoring-admin match` proposes partners for them. A rematch is exactly that, with
"not a good fit" as the default reason; nothing is matched behind the coordinator's back.

The coordinator's optional note has no column of its own on the pair, so it travels with
the news to the coordinators (their channel, or their DMs), where the team keeps its notes.
Both the closing note and the news are queued as notices (`bot.pairs.notices`).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.core.notices import Conversation, Coordinators, Notice, queue_notices
from bot.core.numbers import whole_number
from bot.core.outbox import cancel_pending
from bot.core.people import identify
from bot.core.timing import polite_time
from bot.core.workspace import Workspace
from bot.pairs.channel_names import slugify
from bot.pairs.channels import pair_languages, pair_timezone, person_named
from bot.pairs.notices import FOUND_JOB, NOTE_LIMIT, PairClosed, PairEndedReport
from bot.pairs.pauses import pair_nudge_prefixes, pause_notice_prefix
from bot.pairs.state import is_live_pair, live_pair
from storage.models import Pair, PairStatus, Round

END_REASONS: tuple[str, ...] = (FOUND_JOB, "moved_away", "leave", "not_a_fit", "other")
REMATCH_REASON = "not_a_fit"
#: Why a pair ended when one of its people was erased (GDPR art. 17): set by the erasure,
#: never chosen in the form, so not one of END_REASONS.
ERASED_REASON = "erased"
MAX_CHOICES = 100  # a static select takes at most 100 options
AMBIGUOUS_SHOWN = 5

# Block ids of the modal's inputs: validation errors name them.
PAIR_FIELD = "pair"
REASON_FIELD = "reason"
NOTE_FIELD = "note"


def closing_key(pair_id: int, language: str) -> str:
    return f"pair-closing:pair={pair_id}:lang={language}"


def ended_report_key(pair_id: int) -> str:
    """The coordinators' news of a pair's end; each target's row adds `:to=<target>`."""
    return f"pair-ended:pair={pair_id}"


@dataclass(frozen=True, kw_only=True)
class PairChoice:
    pair_id: int
    mentor_name: str
    mentee_name: str
    round_name: str
    paused: bool = False


class FormRefusal(str, enum.Enum):
    NO_PAIRS = "no_pairs"
    NO_SUCH_PAIR = "no_such_pair"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, kw_only=True)
class EndPairForm:
    """What the modal offers: the pairs this coordinator may end, one perhaps preselected."""

    language: str
    rematch: bool
    choices: tuple[PairChoice, ...] = ()
    total: int = 0
    selected: int | None = None
    refusal: FormRefusal | None = None
    query: str = ""
    matches: tuple[PairChoice, ...] = ()  # for an ambiguous query


@dataclass(frozen=True, kw_only=True)
class EndedPair:
    pair_id: int
    mentor_name: str
    mentee_name: str
    round_name: str
    reason: str
    rematch: bool


@dataclass(frozen=True, kw_only=True)
class EndPairResult:
    language: str
    errors: dict[str, str] = field(default_factory=dict)  # block id -> catalog key
    ended: EndedPair | None = None

    @property
    def ok(self) -> bool:
        return self.ended is not None


def _endable_pairs(session: Session, *, round_ids: Collection[int] | None, now: datetime,
                   participant_ids: Collection[int] | None = None) -> list[Pair]:
    query = (
        select(Pair)
        .join(Round, Round.id == Pair.round_id)
        .where(live_pair(), Round.ends_on >= now.date())  # drafts are edited in the review, not ended
        .options(selectinload(Pair.mentor), selectinload(Pair.mentee), selectinload(Pair.round))
        .order_by(Round.starts_on.desc(), Round.id, Pair.id)
    )
    if round_ids is not None:
        query = query.where(Pair.round_id.in_(round_ids))
    if participant_ids is not None:
        query = query.where(or_(Pair.mentor_id.in_(list(participant_ids)), Pair.mentee_id.in_(list(participant_ids))))
    pairs = list(session.scalars(query))
    return sorted(pairs, key=lambda pair: (-pair.round.starts_on.toordinal(), pair.round_id, pair.mentee.name.casefold()))


def _choice(pair: Pair) -> PairChoice:
    return PairChoice(
        pair_id=pair.id, mentor_name=pair.mentor.name, mentee_name=pair.mentee.name, round_name=pair.round.name,
        paused=pair.status is PairStatus.PAUSED,
    )


def _matching(pairs: list[Pair], query: str) -> list[Pair]:
    text = query.strip().lstrip("#")
    if text.isdigit():
        return [pair for pair in pairs if pair.id == whole_number(text)]
    needle, ascii_needle = text.casefold(), slugify(text)

    def fits(name: str) -> bool:
        # As typed, or as the channel name spells it: "aasa" finds Åsa, as #spring-2027-…-aasa does.
        return needle in name.casefold() or bool(ascii_needle and ascii_needle in slugify(name))

    return [pair for pair in pairs if fits(pair.mentor.name) or fits(pair.mentee.name)]


def end_pair_form(
    session: Session, *, slack_user_id: str, workspace: Workspace, admin_user_ids: Collection[str] = (), query: str = "",
    rematch: bool = False, now: datetime,
) -> EndPairForm:
    """The pairs to choose from; with `query` (a name, or a pair number) one is preselected,
    or the form is refused with the reason (no such pair, several match)."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    pairs = _endable_pairs(session, round_ids=viewer.coordinated_round_ids, now=now)
    if not pairs:
        return EndPairForm(language=language, rematch=rematch, refusal=FormRefusal.NO_PAIRS)
    selected: Pair | None = None
    if query.strip():
        found = _matching(pairs, query)
        if not found:
            return EndPairForm(language=language, rematch=rematch, refusal=FormRefusal.NO_SUCH_PAIR, query=query.strip())
        if len(found) > 1:
            return EndPairForm(
                language=language, rematch=rematch, refusal=FormRefusal.AMBIGUOUS, query=query.strip(),
                matches=tuple(_choice(pair) for pair in found),
            )
        selected = found[0]
    shown = pairs[:MAX_CHOICES]
    if selected is not None and selected not in shown:
        shown = [selected, *pairs[: MAX_CHOICES - 1]]
    return EndPairForm(
        language=language, rematch=rematch, choices=tuple(_choice(pair) for pair in shown), total=len(pairs),
        selected=selected.id if selected is not None else None,
    )


def end_pair(
    session: Session,
    *,
    slack_user_id: str, workspace: Workspace,
    admin_user_ids: Collection[str] = (),
    pair_id: int | None,
    reason: str | None,
    note: str | None,
    rematch: bool = False,
    now: datetime,
) -> EndPairResult:
    """End the pair if this coordinator may; otherwise say what to fix, and store nothing.

    The pair's row is locked before its status is read (FOR UPDATE; SQLite's BEGIN
    IMMEDIATE already serialises): of two coordinators ending it at the same moment, the
    second is told it has ended. On PostgreSQL both would otherwise end it, each told so,
    and the reason on record could differ from the one the pair's closing note gives."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    language = viewer.language
    errors: dict[str, str] = {}
    pair = (session.get(Pair, pair_id, with_for_update=True, populate_existing=True)
            if pair_id is not None else None)
    if pair is None or not is_live_pair(pair):
        errors[PAIR_FIELD] = "pairs.end.error.pair_gone"
    elif not viewer.coordinates(pair.round_id):
        errors[PAIR_FIELD] = "pairs.end.error.not_your_round"
    if reason not in END_REASONS:
        errors[REASON_FIELD] = "pairs.end.error.reason"
    if errors or pair is None or reason is None:
        return EndPairResult(language=language, errors=errors)

    close_pair(session, pair, reason=reason, now=now)
    clean_note = " ".join((note or "").split())[:NOTE_LIMIT] or None
    queue_notices(session, [*_closing_notices(pair, now=now), _report(pair, actor=slack_user_id, note=clean_note, now=now)],
                  now=now)
    return EndPairResult(
        language=language,
        ended=EndedPair(
            pair_id=pair.id, mentor_name=pair.mentor.name, mentee_name=pair.mentee.name, round_name=pair.round.name,
            reason=reason, rematch=rematch,
        ),
    )


def close_pair(session: Session, pair: Pair, *, reason: str, now: datetime) -> None:
    """What ending a pair is, whoever ends it (a coordinator's form, or an erasure): the row
    kept as ENDED with when and why, and nothing queued for the pair goes out after it.
    Matching, nudges, surveys and the digest all read "live" off the status, so they leave
    it alone from here; the caller decides what to tell whom."""
    pair.status = PairStatus.ENDED
    pair.ended_at = now
    pair.end_reason = reason
    # An introduction not yet delivered would greet a pair that no longer exists.
    cancel_pending(session, key_prefixes=[f"intro:pair={pair.id}:"], reason="the pair ended before it was introduced")
    # Nor may a check-in, a prompt, a welcome back or a pause notice follow the goodbye.
    cancel_pending(session, key_prefixes=[*pair_nudge_prefixes(pair.id), pause_notice_prefix(pair.id)],
                   reason="the pair ended")


def end_pairs_of_erased(session: Session, *, participant_ids: Collection[int], now: datetime) -> tuple[int, ...]:
    """End (ERASED_REASON) every pair of these people a coordinator could still end: live,
    in a round not over. Their partner keeps their own data and is free to be matched again;
    nudges, surveys and digest items stop naming a person who is now `erased-<id>`. Pairs of
    rounds already over keep their status, so the round's report counts as before.

    Nothing is queued: a closing note or a coordinators' report would carry the erased
    person's name into the outbox again. The erasing coordinator is told by the erasure's
    confirmation and tells the partner. Rows are locked as in `end_pair`, so a coordinator
    ending the same pair at the same moment does not end it twice."""
    if not participant_ids:
        return ()
    ended: list[int] = []
    for candidate in _endable_pairs(session, round_ids=None, now=now, participant_ids=participant_ids):
        pair = session.get(Pair, candidate.id, with_for_update=True, populate_existing=True)
        if pair is not None and is_live_pair(pair):
            close_pair(session, pair, reason=ERASED_REASON, now=now)
            ended.append(pair.id)
    session.flush()
    return tuple(ended)


def _closing_notices(pair: Pair, *, now: datetime) -> list[Notice]:
    """A kind note in the pair's channel, in each of their languages, at a waking hour."""
    if pair.slack_channel_id is None or pair.channel_archived_at is not None:
        return []
    not_before = polite_time(now, pair_timezone(pair))
    facts = PairClosed(mentor=person_named(pair.mentor), mentee=person_named(pair.mentee), reason=pair.end_reason or "other")
    team_id = pair.round.programme.team_id
    return [
        Notice(dedup_key=closing_key(pair.id, language), to=Conversation(pair.slack_channel_id, team_id=team_id),
               facts=facts,
               not_before=not_before, language=language)
        for language in pair_languages(pair)
    ]


def _report(pair: Pair, *, actor: str, note: str | None, now: datetime) -> Notice:
    """The news, and the note, for the coordinators: the one who acted included, since
    their DM is where the note is kept when the programme has no coordinator channel."""
    facts = PairEndedReport(coordinator_id=actor, round_name=pair.round.name, mentor_name=pair.mentor.name,
                            mentee_name=pair.mentee.name, reason=pair.end_reason or "other", note=note)
    return Notice(dedup_key=ended_report_key(pair.id), to=Coordinators(pair.round_id), facts=facts, not_before=now)


__all__ = [
    "END_REASONS",
    "ERASED_REASON",
    "FOUND_JOB",
    "NOTE_FIELD",
    "NOTE_LIMIT",
    "PAIR_FIELD",
    "REASON_FIELD",
    "REMATCH_REASON",
    "EndPairForm",
    "EndPairResult",
    "EndedPair",
    "FormRefusal",
    "PairChoice",
    "close_pair",
    "closing_key",
    "end_pair",
    "end_pair_form",
    "end_pairs_of_erased",
    "ended_report_key",
]
