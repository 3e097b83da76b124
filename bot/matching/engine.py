"""Matching proposals: who should mentor whom this round, optimally, and why.

Coordinators call matching the hardest manual task of a round ("never underestimate it"):
a bad match wastes four months of two people's time. This module does not decide anything;
it gives the coordinator a *proposal* to review, and every part of it is explained:

* every proposed pair carries its score as a list of reason codes with points and
  parameters (same field, shared interests, a time-zone gap …), so the coordinator sees
  *why* two people were put together and can disagree with a reason, not a number;
* every mentee left without a mentor, and every mentor with a place to spare, is listed
  with the reason computed from the data (nobody shares their language, every compatible
  mentor is full, their pair ended …), so nobody is silently left out;
* locks and exclusions the coordinator asked for that cannot be honoured are reported as
  problems instead of being quietly dropped or, worse, proposed anyway.

The module is pure: plain frozen dataclasses in, plain frozen dataclasses out, no database,
no Slack, no catalog lookups. Reasons are catalog *codes with params*
(``bot/i18n/catalogs/matching.<lang>.json``) that the bot renders in the reader's language.

The proposal is optimal, not greedy: scores are computed for every mentee × mentor pair at
once with numpy / scipy.sparse, each mentor is expanded into one column per place, and
``scipy.optimize.linear_sum_assignment`` solves the whole round. A per-pair "matched" bonus
that provably dominates every score difference makes the solver first maximise how many
mentees get a mentor and only then the total score (see :class:`MatchWeights`).
:func:`greedy_baseline` exists only so the benchmark can show what that buys.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    # numpy and scipy (~60 MiB) load only when a round is scored: each function that computes
    # imports them itself, so a web process that never matches never pays for them.
    import numpy as np
    from scipy.sparse import csr_matrix

Role = Literal["mentor", "mentee"]
K = TypeVar("K", bound=Hashable)

# --- catalog codes ----------------------------------------------------------------------------
# Why a pair scored what it did (ScoreComponent.code).
REASON_SHARED_LANGUAGE = "matching.reason.shared_language"
REASON_SAME_FIELD = "matching.reason.same_field"
REASON_RELATED_FIELD = "matching.reason.related_field"
REASON_GOALS_EXPERTISE = "matching.reason.goals_expertise"
REASON_SHARED_INTERESTS = "matching.reason.shared_interests"
REASON_TIMEZONE_GAP = "matching.reason.timezone_gap"

# Why a mentee has no mentor (Unmatched.reason_code, role "mentee").
UNMATCHED_NO_MENTORS = "matching.unmatched.no_mentors"
UNMATCHED_NO_LANGUAGES = "matching.unmatched.no_languages"
UNMATCHED_NO_SHARED_LANGUAGE = "matching.unmatched.no_shared_language"
UNMATCHED_ALREADY_MET_ALL = "matching.unmatched.already_met_all"
UNMATCHED_FORBIDDEN_ALL = "matching.unmatched.forbidden_all"
UNMATCHED_ENDED_ALL = "matching.unmatched.ended_all"
UNMATCHED_EXCLUDED_ALL = "matching.unmatched.excluded_all"
UNMATCHED_COMPATIBLE_MENTORS_FULL = "matching.unmatched.compatible_mentors_full"
UNMATCHED_MORE_MENTEES_THAN_PLACES = "matching.unmatched.more_mentees_than_places"

# Why a mentor has a place to spare (Unmatched.reason_code, role "mentor").
SPARE_NO_PLACES = "matching.spare.no_places"
SPARE_NO_MENTEES = "matching.spare.no_mentees"
SPARE_MENTEES_ALL_PLACED = "matching.spare.mentees_all_placed"
SPARE_NO_LANGUAGES = "matching.spare.no_languages"
SPARE_NO_SHARED_LANGUAGE = "matching.spare.no_shared_language"
SPARE_ALREADY_MET_ALL = "matching.spare.already_met_all"
SPARE_FORBIDDEN_ALL = "matching.spare.forbidden_all"
SPARE_ENDED_ALL = "matching.spare.ended_all"
SPARE_EXCLUDED_ALL = "matching.spare.excluded_all"
SPARE_COMPATIBLE_MENTEES_MATCHED = "matching.spare.compatible_mentees_matched"
SPARE_MORE_PLACES_THAN_MENTEES = "matching.spare.more_places_than_mentees"

# Coordinator instructions that could not be followed (MatchProblem.code).
PROBLEM_LOCK_UNKNOWN = "matching.problem.lock_unknown"
PROBLEM_LOCK_FORBIDDEN = "matching.problem.lock_forbidden"
PROBLEM_LOCK_ENDED = "matching.problem.lock_ended"
PROBLEM_LOCK_NO_SHARED_LANGUAGE = "matching.problem.lock_no_shared_language"
PROBLEM_LOCK_ALREADY_MET = "matching.problem.lock_already_met"
PROBLEM_LOCK_MENTEE_TWICE = "matching.problem.lock_mentee_twice"
PROBLEM_LOCK_OVER_CAPACITY = "matching.problem.lock_over_capacity"
PROBLEM_FORBIDDEN_UNKNOWN = "matching.problem.forbidden_unknown"

ALL_CODES: tuple[str, ...] = tuple(
    value for name, value in sorted(globals().items())
    if name.startswith(("REASON_", "UNMATCHED_", "SPARE_", "PROBLEM_")) and isinstance(value, str)
)
"""Every code this module can emit; the catalogs must have each one (a test checks)."""

# At most this many names go into a "{mentors}" list; more are elided with "…" ({count} has the total).
_NAMES_SHOWN = 5

# Why someone who shares a language cannot be matched with a person, most lasting first:
# the parameters of the "*_excluded_all" reasons, each a count (only those above zero).
EXCLUDED_ALREADY_MET = "already_met"  # partners in an earlier round
EXCLUDED_ENDED = "ended"  # paired earlier in this round, and that pair ended
EXCLUDED_FORBIDDEN = "forbidden"  # a coordinator forbade the pair
EXCLUDED_FULL = "full"  # a mentor with every place taken by pairs already published
EXCLUDED_PARAMS: tuple[str, ...] = (EXCLUDED_ALREADY_MET, EXCLUDED_ENDED, EXCLUDED_FORBIDDEN, EXCLUDED_FULL)


# --- vocabulary -------------------------------------------------------------------------------

STOP_WORDS: frozenset[str] = frozenset(
    # English: function words, plus words every job-seeker writes ("job", "work", "help")
    # that would make every goal overlap every expertise and so carry no signal.
    """a about after again all also am an and any are as at be been being but by can could
    do does doing for from get getting good better had has have having help how i if in into
    is it its just like me more most my myself need new not of on or other our out over so
    some such than that the their them then there these they this to too up us very want
    was we well were what when where which while who will with would you your job jobs work
    working find finding looking learn learning understand""".split()
    # Danish: the common function words, plus the same job-seeker words.
    + """og i jeg det at en den til er som på de med han af for ikke der var mig sig men et
    har om vi min havde ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad
    skal selv her alle vil blev kunne ind når være dog noget ville jo deres efter ned skulle
    denne end dette mit også under have dig anden hende mine alt meget sit sine vor mod disse
    hvis din nogle hos blive mange ad bliver hendes været jer sådan gerne mere få finde
    arbejde job hjælp hjælpe lære forstå""".split()
)
"""Words ignored when comparing a mentee's goals with a mentor's expertise."""

_WORD = re.compile(r"[^\W_]+")  # runs of letters/digits in any script, so "æøå" stay in words


def normalise_field(value: str | None) -> str | None:
    """Fields compare case- and spacing-insensitively: "Life  Sciences" is "life sciences"."""
    if value is None:
        return None
    cleaned = " ".join(value.lower().split())
    return cleaned or None


def normalise_values(values: Iterable[str]) -> frozenset[str]:
    """Languages and interests compare case- and spacing-insensitively: "English " is "english"."""
    return frozenset(cleaned for cleaned in (" ".join(value.lower().split()) for value in values) if cleaned)


_normalise_set = normalise_values


def _spellings(values: Iterable[str]) -> dict[str, str]:
    """Each normalised value -> the person's own spelling of it, spaces tidied.

    Matching compares lower-cased values, but a reason shows what the person wrote: "IT"
    lower-cased reads as the pronoun, and "english" looks like a typo nobody made. When a
    person wrote one value twice in different cases, the first in sorted order wins, so the
    choice never depends on set order.
    """
    spelled: dict[str, str] = {}
    for value in sorted(values):
        tidy = " ".join(value.split())
        if tidy:
            spelled.setdefault(tidy.lower(), tidy)
    return spelled


def as_written(values: Iterable[str]) -> str:
    """A list of languages (or interests) for a reader: as the person wrote them, each once, in a
    stable order. The counterpart of :func:`normalise_values`, which is for comparing."""
    spelled = _spellings(values)
    return ", ".join(spelled[key] for key in sorted(spelled))


def content_words(text: str | None) -> frozenset[str]:
    """The words of a goals or expertise text that can carry meaning.

    Lower-cased, punctuation stripped, English and Danish stop words and one-letter tokens
    dropped. No stemming: "interview" and "interviews" differ, which undercounts a little
    but never invents an overlap the coordinator could not see in the two texts.
    """
    if not text:
        return frozenset()
    return frozenset(
        word for word in _WORD.findall(text.lower())
        if len(word) > 1 and not word.isdigit() and word not in STOP_WORDS
    )


def _word_spellings(text: str | None) -> dict[str, str]:
    """Each content word of a text -> its spelling where it first appears ("Python", "SQL")."""
    if not text:
        return {}
    spelled: dict[str, str] = {}
    for word in _WORD.findall(text):
        spelled.setdefault(word.lower(), word)
    return spelled


def related_table(related_fields: Mapping[str, Iterable[str]] | None = None) -> Mapping[str, frozenset[str]]:
    """A programme's related-fields table, normalised and made symmetric.

    ``None`` gives :data:`RELATED_FIELDS`. Symmetry is imposed because "a finance mentor
    suits an economist" and "an economics mentor suits a finance mentee" are the same fact,
    and a one-sided table would make matching depend on who happens to be the mentor. The
    table is not made transitive: finance~business and business~hr do not make finance~hr.
    """
    if related_fields is None:
        return RELATED_FIELDS
    table: dict[str, set[str]] = {}
    for key, others in related_fields.items():
        for other in others:
            a, b = normalise_field(key), normalise_field(other)
            if a is None or b is None or a == b:
                continue
            table.setdefault(a, set()).add(b)
            table.setdefault(b, set()).add(a)
    return MappingProxyType({name: frozenset(names) for name, names in table.items()})


def _groups_to_table(groups: Iterable[tuple[str, ...]]) -> Mapping[str, frozenset[str]]:
    """Every member of a group is related to every other member of it."""
    pairs: dict[str, set[str]] = {}
    for group in groups:
        for name in group:
            pairs.setdefault(name, set()).update(other for other in group if other != name)
    return related_table(pairs)


RELATED_FIELDS: Mapping[str, frozenset[str]] = _groups_to_table((
    ("engineering", "it", "software", "data science"),
    ("life sciences", "health", "pharma", "biotech", "medicine"),
    ("finance", "economics", "business", "accounting"),
    ("marketing", "communication", "sales"),
    ("education", "research", "academia"),
    ("law", "public administration", "policy"),
    ("human resources", "hr", "business"),
    ("design", "architecture"),
    ("logistics", "supply chain"),
))
"""Default table of related professional fields (lower-case, symmetric, not transitive).

A mentor from a neighbouring field is still far more useful than a random one: an IT
mentor knows how a software engineer is hired here. A field may sit in several groups
("business" is near both finance and HR). Programmes can pass their own table.
"""


# --- inputs -----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MatchCandidate:
    """One participant as matching sees them; the loader fills this from the database.

    ``languages`` and ``interests`` are compared lower-cased (and are normalised again here,
    so a loader that forgets cannot break matching). ``utc_offset_hours`` is the offset at
    the start of the round; it is a snapshot because a pair meets across the whole round and
    a one-hour DST shift changes nothing that matters. ``previous_partner_emails`` are the
    people this participant was paired with in earlier rounds: meeting the same person
    twice gives neither of them a new network, which is the point of the programme.
    """

    id: int
    name: str
    email: str
    role: Role
    utc_offset_hours: float
    field: str | None = None
    languages: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    goals: str | None = None
    expertise: str | None = None
    max_mentees: int = 1
    previous_partner_emails: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class MatchWeights:
    """How much each reason is worth: the programme's matching settings.

    The defaults follow the programmes' own order of priorities: the professional field
    first (mentors are "ideally from the mentee's own field"), then what the mentee wants
    help with against what the mentor knows, then personal interests, and a mild penalty
    for time zones far apart (a mentee still living abroad can meet, but evenings clash).
    With the defaults a pair scores at most 4 + 3 + 2 = 9 points.

    * ``same_field`` (4.0): mentee and mentor name the same field.
    * ``related_field`` (2.0): the fields are neighbours in the related-fields table.
    * ``goals_expertise_per_word`` (1.0) for each content word the mentee's goals share
      with the mentor's expertise, counting at most ``goals_expertise_max_words`` (3) words.
    * ``shared_interest`` (0.5) for each shared interest, at most ``shared_interests_max``
      (4) of them: interests break ties, they must not outvote the field.
    * ``timezone_penalty_per_hour`` (0.5) for each hour of time-zone gap beyond
      ``timezone_tolerance_hours`` (3.0); the gap is measured around the clock, so
      UTC+13 and UTC-11 are zero hours apart.
    * ``matched_bonus`` (1000.0): added to every feasible pair so that the proposal first
      maximises how many mentees get a mentor, and only then the total score. Coordinators
      want nobody left out who could be matched; a slightly worse pair is better than no
      pair. The bonus used is never smaller than the bound that *guarantees* this for the
      instance at hand (number of pairs × score range + 1), so the guarantee does not rest
      on the default being large enough, and no value changes the proposal (values above
      1e6 are refused: they would only drown the scores in floating-point rounding).
    """

    same_field: float = 4.0
    related_field: float = 2.0
    goals_expertise_per_word: float = 1.0
    goals_expertise_max_words: int = 3
    shared_interest: float = 0.5
    shared_interests_max: int = 4
    timezone_tolerance_hours: float = 3.0
    timezone_penalty_per_hour: float = 0.5
    matched_bonus: float = 1000.0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"MatchWeights.{name} must be a finite number >= 0, not {value!r}")
        if self.matched_bonus > 1e6:
            raise ValueError("MatchWeights.matched_bonus above 1e6 would drown the scores in rounding; "
                             "it need not be large, since the solver raises it to what guarantees the order")


# --- outputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreComponent:
    """One reason behind a pair's score: a catalog code, its points and its parameters."""

    code: str
    points: float
    params: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, kw_only=True)
class ProposedPair:
    """A proposed pair; ``score`` is exactly the sum of ``components`` (in their order)."""

    mentor_id: int
    mentee_id: int
    score: float
    components: tuple[ScoreComponent, ...]
    locked: bool


@dataclass(frozen=True, kw_only=True)
class Unmatched:
    """A mentee without a mentor, or a mentor with places to spare, and why.

    Every such person is listed so the coordinator can act (recruit a Danish-speaking
    mentor, lift an exclusion, raise a capacity) instead of discovering the gap at kick-off.
    ``params`` always has ``name``; mentors also have ``spare`` and ``capacity``.
    """

    participant_id: int
    role: Role
    reason_code: str
    params: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, kw_only=True)
class MatchProblem:
    """A coordinator's lock or exclusion that could not be followed, and why."""

    code: str
    params: dict[str, str] = field(default_factory=dict, hash=False)
    mentor_id: int | None = None
    mentee_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """A matching proposal for a coordinator to review.

    ``pairs`` are sorted by mentor id then mentee id; ``unmatched`` lists mentees (by id)
    then mentors (by id); ``total_score`` is the sum of the pair scores.
    """

    pairs: tuple[ProposedPair, ...]
    unmatched: tuple[Unmatched, ...]
    total_score: float
    problems: tuple[MatchProblem, ...]

    @property
    def matched_count(self) -> int:
        return len(self.pairs)


# --- scoring ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Profile:
    """What scoring needs from a candidate, normalised once, and how the person spelled it.

    ``spelled`` maps each normalised language, interest, goal or expertise word and the
    field back to the person's own spelling: scoring compares the normalised values,
    reasons show the spelled ones.
    """

    field: str | None
    languages: frozenset[str]
    interests: frozenset[str]
    words: frozenset[str]
    offset: float
    email: str
    previous: frozenset[str]
    spelled: Mapping[str, str]


def _profile(candidate: MatchCandidate) -> _Profile:
    text = candidate.goals if candidate.role == "mentee" else candidate.expertise
    spelled = {**_word_spellings(text), **_spellings(candidate.interests), **_spellings(candidate.languages)}
    normalised_field = normalise_field(candidate.field)
    if normalised_field is not None and candidate.field is not None:
        spelled[normalised_field] = " ".join(candidate.field.split())
    return _Profile(
        field=normalised_field,
        languages=_normalise_set(candidate.languages),
        interests=_normalise_set(candidate.interests),
        words=content_words(text),
        offset=float(candidate.utc_offset_hours),
        email=candidate.email.strip().lower(),
        previous=frozenset(email.strip().lower() for email in candidate.previous_partner_emails),
        spelled=MappingProxyType(spelled),
    )


def _joined(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _shown(values: Iterable[str], *profiles: _Profile) -> str:
    """Normalised values as the first of ``profiles`` that has them spelled them, in a stable order."""
    return ", ".join(next((p.spelled[value] for p in profiles if value in p.spelled), value)
                     for value in sorted(values))


def _hours(value: float) -> str:
    return f"{round(value, 2):g}"


def _explain(mentee: _Profile, mentor: _Profile, weights: MatchWeights,
             related: Mapping[str, frozenset[str]]) -> tuple[ScoreComponent, ...]:
    """The reasons for one pair, in a fixed order; their points sum to the pair's score.

    A reason is listed when its fact holds (same field, shared words, a gap beyond the
    tolerance), even if the programme weighs it at 0 points: the coordinator still learns
    something true about the pair. A shared language is always listed, at 0 points.

    This is the scalar twin of :func:`_score_matrix` and performs the same floating-point
    operations in the same order, so a pair's explained score equals the score the solver
    used (a test checks both agree).
    """
    components = [ScoreComponent(REASON_SHARED_LANGUAGE, 0.0,
                                 {"languages": _shown(mentee.languages & mentor.languages, mentee, mentor)})]
    if mentee.field is not None and mentee.field == mentor.field:
        components.append(ScoreComponent(REASON_SAME_FIELD, 1.0 * weights.same_field,
                                         {"field": _shown((mentee.field,), mentee, mentor)}))
    elif mentee.field is not None and mentor.field is not None and mentor.field in related.get(mentee.field, ()):
        components.append(ScoreComponent(REASON_RELATED_FIELD, 1.0 * weights.related_field,
                                         {"mentee_field": _shown((mentee.field,), mentee),
                                          "mentor_field": _shown((mentor.field,), mentor)}))
    shared_words = mentee.words & mentor.words
    if shared_words:
        points = min(len(shared_words), weights.goals_expertise_max_words) * weights.goals_expertise_per_word
        components.append(ScoreComponent(REASON_GOALS_EXPERTISE, float(points),
                                         {"words": _shown(shared_words, mentee, mentor)}))
    shared_interests = mentee.interests & mentor.interests
    if shared_interests:
        points = min(len(shared_interests), weights.shared_interests_max) * weights.shared_interest
        components.append(ScoreComponent(REASON_SHARED_INTERESTS, float(points),
                                         {"interests": _shown(shared_interests, mentee, mentor)}))
    gap = _timezone_gap(mentee.offset, mentor.offset)
    if gap > weights.timezone_tolerance_hours:
        penalty = max(0.0, gap - weights.timezone_tolerance_hours) * weights.timezone_penalty_per_hour
        components.append(ScoreComponent(REASON_TIMEZONE_GAP, -penalty if penalty else 0.0, {"hours": _hours(gap)}))
    return tuple(components)


def _timezone_gap(a: float, b: float) -> float:
    distance = abs(a - b) % 24.0
    return min(distance, 24.0 - distance)


def _sum_points(components: Iterable[ScoreComponent]) -> float:
    total = 0.0
    for component in components:
        total = total + component.points
    return total


def explain_pair(*, mentee: MatchCandidate, mentor: MatchCandidate, weights: MatchWeights = MatchWeights(),
                 related_fields: Mapping[str, frozenset[str]] | None = None) -> tuple[ScoreComponent, ...]:
    """Why this mentee and mentor would score what they do (hard rules are not checked)."""
    return _explain(_profile(mentee), _profile(mentor), weights, related_table(related_fields))


def _incidence(sets: Sequence[frozenset[str]], vocabulary: Mapping[str, int]) -> csr_matrix:
    """A 0/1 sparse matrix: row r has a 1 in column vocabulary[x] for each x in sets[r]."""
    import numpy as np
    from scipy.sparse import csr_matrix
    indptr = np.zeros(len(sets) + 1, dtype=np.int64)
    indices: list[int] = []
    for row, values in enumerate(sets):
        indices.extend(vocabulary[value] for value in values if value in vocabulary)
        indptr[row + 1] = len(indices)
    data = np.ones(len(indices), dtype=np.float64)
    return csr_matrix((data, np.asarray(indices, dtype=np.int64), indptr), shape=(len(sets), max(len(vocabulary), 1)))


def _overlap_counts(left: Sequence[frozenset[str]], right: Sequence[frozenset[str]]) -> np.ndarray:
    """|left[i] & right[j]| for every i, j (as floats), as one sparse product, not n × m set operations."""
    vocabulary: dict[str, int] = {}
    for values in (*left, *right):
        for value in values:
            vocabulary.setdefault(value, len(vocabulary))
    counts: np.ndarray = (_incidence(left, vocabulary) @ _incidence(right, vocabulary).T).toarray()
    return counts


def _codes(values: Sequence[K]) -> tuple[list[K], np.ndarray]:
    """Distinct values (in first-seen order) and each value's index among them."""
    import numpy as np
    index: dict[K, int] = {}
    codes = np.array([index.setdefault(value, len(index)) for value in values], dtype=np.int64)
    return list(index), codes


def _score_matrix(mentees: Sequence[_Profile], mentors: Sequence[_Profile], weights: MatchWeights,
                  related: Mapping[str, frozenset[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Scores and the shared-language mask for every mentee × mentor pair, vectorised.

    Set overlaps (languages, goal words, interests) are sparse incidence-matrix products.
    Field and time-zone points depend only on the pair of distinct values, of which there
    are few, so they are computed on a small table and broadcast by index.
    """
    import numpy as np
    n, m = len(mentees), len(mentors)
    shares_language = _overlap_counts([p.languages for p in mentees], [p.languages for p in mentors]) > 0

    fields, field_codes = _codes([p.field for p in (*mentees, *mentors)])
    field_points = np.zeros((len(fields), len(fields)), dtype=np.float64)
    for a, left in enumerate(fields):
        for b, right in enumerate(fields):
            if left is not None and left == right:
                field_points[a, b] = 1.0 * weights.same_field
            elif left is not None and right is not None and right in related.get(left, ()):
                field_points[a, b] = 1.0 * weights.related_field

    offsets, offset_codes = _codes([p.offset for p in (*mentees, *mentors)])
    values = np.array(offsets, dtype=np.float64)
    distance = np.abs(values[:, None] - values[None, :]) % 24.0
    gap = np.minimum(distance, 24.0 - distance)
    penalty = np.maximum(0.0, gap - weights.timezone_tolerance_hours) * weights.timezone_penalty_per_hour

    words = _overlap_counts([p.words for p in mentees], [p.words for p in mentors])
    interests = _overlap_counts([p.interests for p in mentees], [p.interests for p in mentors])

    # Same operations, same order as _explain: 0 + field + goals + interests - penalty.
    scores = np.zeros((n, m), dtype=np.float64)
    scores = scores + field_points[np.ix_(field_codes[:n], field_codes[n:])]
    scores = scores + np.minimum(words, float(weights.goals_expertise_max_words)) * weights.goals_expertise_per_word
    scores = scores + np.minimum(interests, float(weights.shared_interests_max)) * weights.shared_interest
    scores = scores + -penalty[np.ix_(offset_codes[:n], offset_codes[n:])]
    return scores, shares_language


def _met_matrix(mentees: Sequence[_Profile], mentors: Sequence[_Profile]) -> np.ndarray:
    """True where the two were partners in an earlier round, as recorded by either of them."""
    import numpy as np
    met = np.zeros((len(mentees), len(mentors)), dtype=bool)
    mentee_by_email = {p.email: i for i, p in enumerate(mentees) if p.email}
    mentor_by_email = {p.email: j for j, p in enumerate(mentors) if p.email}
    for i, profile in enumerate(mentees):
        for email in profile.previous:
            if email in mentor_by_email:
                met[i, mentor_by_email[email]] = True
    for j, profile in enumerate(mentors):
        for email in profile.previous:
            if email in mentee_by_email:
                met[mentee_by_email[email], j] = True
    return met


# --- preparing a round ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ScoredRound:
    """A round scored and checked, ready for a solver.

    Split from solving so a caller (the benchmark, a "compare with greedy" view) can score
    once and solve several ways. Participants are sorted by id, so the result never depends
    on the order the loader happened to return rows in. Matrices are mentee × mentor.
    """

    mentees: tuple[MatchCandidate, ...]
    mentors: tuple[MatchCandidate, ...]
    weights: MatchWeights
    related: Mapping[str, frozenset[str]]
    profiles_mentees: tuple[_Profile, ...]
    profiles_mentors: tuple[_Profile, ...]
    scores: np.ndarray
    shares_language: np.ndarray
    met: np.ndarray
    forbidden: np.ndarray
    ended: np.ndarray  # paired earlier in this round, and that pair ended
    feasible: np.ndarray  # the hard rules, capacity aside: a shared language, never met, not forbidden or ended
    capacities: np.ndarray  # each mentor's max_mentees
    locked: tuple[tuple[int, int], ...]  # (mentee index, mentor index), all valid
    problems: tuple[MatchProblem, ...]
    # People already placed (see :func:`propose`): never matched, only part of the reasons.
    placed_mentors: tuple[MatchCandidate, ...] = ()
    placed_mentees: tuple[MatchCandidate, ...] = ()
    full_shares_language: np.ndarray | None = None  # mentee × placed mentor
    full_met: np.ndarray | None = None  # mentee × placed mentor


def _check_participants(mentees: Sequence[MatchCandidate], mentors: Sequence[MatchCandidate],
                        placed: Sequence[MatchCandidate] = ()) -> None:
    """Wrong input is a loader bug, not a coordinator's problem: fail loudly."""
    for candidate in mentees:
        if candidate.role != "mentee":
            raise ValueError(f"participant {candidate.id} is passed as a mentee but has role {candidate.role!r}")
    for candidate in placed:
        if candidate.role not in ("mentor", "mentee"):
            raise ValueError(f"participant {candidate.id} is passed as placed but has role {candidate.role!r}")
    for candidate in mentors:
        if candidate.role != "mentor":
            raise ValueError(f"participant {candidate.id} is passed as a mentor but has role {candidate.role!r}")
        capacity: object = candidate.max_mentees  # as the caller passed it, whatever the annotation says
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
            raise ValueError(f"mentor {candidate.id} has max_mentees {capacity!r}; it must be an int >= 0")
    everyone = (*mentees, *mentors, *placed)
    duplicates = [pid for pid, count in Counter(c.id for c in everyone).items() if count > 1]
    if duplicates:
        raise ValueError(f"participant ids must be unique across mentees and mentors: {sorted(duplicates)}")
    emails = Counter(c.email.strip().lower() for c in everyone)
    shared = sorted(email for email, count in emails.items() if count > 1)
    if shared:  # earlier partners are recognised by email, so an email must name one person
        raise ValueError(f"participant emails must be unique in a round: {shared}")


def _orient(pair: tuple[int, int], mentee_index: Mapping[int, int],
            mentor_index: Mapping[int, int]) -> tuple[int, int] | None:
    """(mentee index, mentor index) for a pair given in either order; None if it is not one.

    Ids are unique across the round (checked), so accepting both orders is unambiguous and
    spares the coordinator-facing code one way to get it wrong.
    """
    first, second = pair
    if first in mentor_index and second in mentee_index:
        return mentee_index[second], mentor_index[first]
    if first in mentee_index and second in mentor_index:
        return mentee_index[first], mentor_index[second]
    return None


def score_round(*, mentees: Sequence[MatchCandidate], mentors: Sequence[MatchCandidate],
                weights: MatchWeights = MatchWeights(), locked: frozenset[tuple[int, int]] = frozenset(),
                forbidden: frozenset[tuple[int, int]] = frozenset(),
                ended: frozenset[tuple[int, int]] = frozenset(), placed: Sequence[MatchCandidate] = (),
                related_fields: Mapping[str, frozenset[str]] | None = None) -> ScoredRound:
    """Score every pair and check the coordinator's locks; see :func:`propose` for arguments."""
    import numpy as np
    _check_participants(mentees, mentors, placed)
    mentees_sorted = tuple(sorted(mentees, key=lambda c: c.id))
    mentors_sorted = tuple(sorted(mentors, key=lambda c: c.id))
    related = related_table(related_fields)
    mentee_profiles = tuple(_profile(c) for c in mentees_sorted)
    mentor_profiles = tuple(_profile(c) for c in mentors_sorted)
    scores, shares_language = _score_matrix(mentee_profiles, mentor_profiles, weights, related)
    met = _met_matrix(mentee_profiles, mentor_profiles)
    mentee_index = {c.id: i for i, c in enumerate(mentees_sorted)}
    mentor_index = {c.id: j for j, c in enumerate(mentors_sorted)}
    problems: list[MatchProblem] = []

    forbidden_mask = np.zeros((len(mentees_sorted), len(mentors_sorted)), dtype=bool)
    for pair in sorted(forbidden):
        oriented = _orient(pair, mentee_index, mentor_index)
        if oriented is None:
            problems.append(MatchProblem(code=PROBLEM_FORBIDDEN_UNKNOWN,
                                         params={"first": str(pair[0]), "second": str(pair[1])}))
        else:
            forbidden_mask[oriented] = True
    ended_mask = np.zeros_like(forbidden_mask)
    for pair in ended:  # facts, not instructions: a pair of people not matched now is simply moot
        oriented = _orient(pair, mentee_index, mentor_index)
        if oriented is not None:
            ended_mask[oriented] = True
    placed_mentors = tuple(sorted((c for c in placed if c.role == "mentor"), key=lambda c: c.id))
    placed_profiles = tuple(_profile(c) for c in placed_mentors)
    full_shares_language = _overlap_counts([p.languages for p in mentee_profiles],
                                           [p.languages for p in placed_profiles]) > 0
    full_met = _met_matrix(mentee_profiles, placed_profiles)

    def names(i: int, j: int) -> dict[str, str]:
        return {"mentor": mentors_sorted[j].name, "mentee": mentees_sorted[i].name}

    # Locks: each must obey the hard rules on its own, then together (one mentor per
    # mentee, capacity). A lock that fails is reported, never proposed; when locks clash we
    # do not guess which one the coordinator meant, so all the clashing locks are refused.
    candidates: set[tuple[int, int]] = set()
    for pair in sorted(locked):
        oriented = _orient(pair, mentee_index, mentor_index)
        if oriented is None:
            problems.append(MatchProblem(code=PROBLEM_LOCK_UNKNOWN,
                                         params={"first": str(pair[0]), "second": str(pair[1])}))
            continue
        i, j = oriented
        ids = {"mentor_id": mentors_sorted[j].id, "mentee_id": mentees_sorted[i].id}
        if forbidden_mask[i, j]:
            problems.append(MatchProblem(code=PROBLEM_LOCK_FORBIDDEN, params=names(i, j), **ids))
        elif ended_mask[i, j]:
            problems.append(MatchProblem(code=PROBLEM_LOCK_ENDED, params=names(i, j), **ids))
        elif not shares_language[i, j]:
            problems.append(MatchProblem(code=PROBLEM_LOCK_NO_SHARED_LANGUAGE, params=names(i, j), **ids))
        elif met[i, j]:
            problems.append(MatchProblem(code=PROBLEM_LOCK_ALREADY_MET, params=names(i, j), **ids))
        else:
            candidates.add((i, j))
    by_mentee: dict[int, list[int]] = {}
    for i, j in candidates:
        by_mentee.setdefault(i, []).append(j)
    for i, js in sorted(by_mentee.items()):
        if len(js) > 1:
            problems.append(MatchProblem(
                code=PROBLEM_LOCK_MENTEE_TWICE, mentee_id=mentees_sorted[i].id,
                params={"mentee": mentees_sorted[i].name, "mentors": _joined(mentors_sorted[j].name for j in js)},
            ))
            candidates -= {(i, j) for j in js}
    by_mentor: dict[int, list[int]] = {}
    for i, j in candidates:
        by_mentor.setdefault(j, []).append(i)
    for j, is_ in sorted(by_mentor.items()):
        if len(is_) > mentors_sorted[j].max_mentees:
            problems.append(MatchProblem(
                code=PROBLEM_LOCK_OVER_CAPACITY, mentor_id=mentors_sorted[j].id,
                params={"mentor": mentors_sorted[j].name, "count": str(len(is_)),
                        "capacity": str(mentors_sorted[j].max_mentees),
                        "mentees": _joined(mentees_sorted[i].name for i in is_)},
            ))
            candidates -= {(i, j) for i in is_}

    return ScoredRound(
        mentees=mentees_sorted, mentors=mentors_sorted, weights=weights, related=related,
        profiles_mentees=mentee_profiles, profiles_mentors=mentor_profiles, scores=scores,
        shares_language=shares_language, met=met, forbidden=forbidden_mask, ended=ended_mask,
        feasible=shares_language & ~met & ~forbidden_mask & ~ended_mask,
        capacities=np.array([mentor.max_mentees for mentor in mentors_sorted], dtype=np.int64),
        locked=tuple(sorted(candidates)), problems=tuple(problems),
        placed_mentors=placed_mentors,
        placed_mentees=tuple(sorted((c for c in placed if c.role == "mentee"), key=lambda c: c.id)),
        full_shares_language=full_shares_language, full_met=full_met,
    )


# --- solving ----------------------------------------------------------------------------------

def _free_part(scored: ScoredRound) -> tuple[np.ndarray, np.ndarray]:
    """Mentees not locked, and each mentor's places left after the locks."""
    import numpy as np
    free = np.ones(len(scored.mentees), dtype=bool)
    remaining = scored.capacities.copy()
    for i, j in scored.locked:
        free[i] = False
        remaining[j] -= 1
    return free, remaining


def _assign_optimal(scored: ScoredRound) -> list[tuple[int, int]]:
    """Locked pairs plus the optimal assignment of everyone else.

    Rows are free mentees, columns are mentor *places* (a mentor with two places left is
    two identical columns), so one ``linear_sum_assignment`` respects capacities exactly.
    A feasible cell costs -(bonus + score); an infeasible one costs 0, which is prohibitive
    next to every feasible cell, and a solver assignment landing on one is dropped. Every
    partial matching extends to a full assignment with zero-cost cells, so minimising the
    cost of a full assignment maximises bonus × pairs + score over all feasible matchings.
    """
    import numpy as np
    from scipy.optimize import linear_sum_assignment
    free, remaining = _free_part(scored)
    feasible = scored.feasible & (remaining > 0)[None, :]
    rows = np.flatnonzero(free & feasible.any(axis=1))
    useful_mentors = feasible[rows].any(axis=0) if rows.size else np.zeros(len(scored.mentors), dtype=bool)
    columns = np.repeat(np.flatnonzero(useful_mentors), remaining[useful_mentors])
    pairs = list(scored.locked)
    if rows.size == 0 or columns.size == 0:
        return pairs
    cell_feasible = np.take(feasible[rows], columns, axis=1)
    cost = np.take(scored.scores[rows], columns, axis=1)  # scores for now; made into costs in place
    feasible_scores = cost[cell_feasible]
    lowest, highest = float(feasible_scores.min()), float(feasible_scores.max())
    most_pairs = min(rows.size, columns.size)
    # With value = bonus + score and scores in [lowest, highest], one pair more always wins
    # when bonus + lowest > most_pairs × (highest - lowest); the +1 is the strict margin.
    bonus = max(scored.weights.matched_bonus, most_pairs * (highest - lowest) - lowest + 1.0)
    np.add(cost, bonus, out=cost)
    np.negative(cost, out=cost)
    cost[~cell_feasible] = 0.0
    row_ind, col_ind = linear_sum_assignment(cost)
    keep = cell_feasible[row_ind, col_ind]
    pairs.extend((int(rows[r]), int(columns[c])) for r, c in zip(row_ind[keep], col_ind[keep], strict=True))
    return pairs


def _assign_greedy(scored: ScoredRound) -> list[tuple[int, int]]:
    """Locked pairs, then feasible pairs best score first (ties by mentee, then mentor id)."""
    import numpy as np
    free, remaining = _free_part(scored)
    rows, cols = np.nonzero(scored.feasible & free[:, None] & (remaining > 0)[None, :])
    order = np.lexsort((cols, rows, -scored.scores[rows, cols]))
    pairs = list(scored.locked)
    left = int(free.sum())
    for k in order:
        i, j = int(rows[k]), int(cols[k])
        if free[i] and remaining[j] > 0:
            pairs.append((i, j))
            free[i] = False
            remaining[j] -= 1
            left -= 1
            if left == 0:
                break
    return pairs


def _names(candidates: Sequence[MatchCandidate]) -> str:
    shown = sorted(candidate.name for candidate in candidates)
    return ", ".join(shown[:_NAMES_SHOWN]) + (", …" if len(shown) > _NAMES_SHOWN else "")


_EXCLUDED_CODES: Mapping[Role, Mapping[frozenset[str], str]] = {
    "mentee": {
        frozenset({EXCLUDED_ALREADY_MET}): UNMATCHED_ALREADY_MET_ALL,
        frozenset({EXCLUDED_FORBIDDEN}): UNMATCHED_FORBIDDEN_ALL,
        frozenset({EXCLUDED_ENDED}): UNMATCHED_ENDED_ALL,
        frozenset({EXCLUDED_FULL}): UNMATCHED_COMPATIBLE_MENTORS_FULL,
    },
    "mentor": {
        frozenset({EXCLUDED_ALREADY_MET}): SPARE_ALREADY_MET_ALL,
        frozenset({EXCLUDED_FORBIDDEN}): SPARE_FORBIDDEN_ALL,
        frozenset({EXCLUDED_ENDED}): SPARE_ENDED_ALL,
    },
}
_EXCLUDED_MIXED: Mapping[Role, str] = {"mentee": UNMATCHED_EXCLUDED_ALL, "mentor": SPARE_EXCLUDED_ALL}
# Single-cause reasons that name the people ({mentors} or {mentees}) rather than only count them.
_NAMED = frozenset({UNMATCHED_ENDED_ALL, UNMATCHED_COMPATIBLE_MENTORS_FULL, SPARE_ENDED_ALL})


def _excluded_reason(ruled_out: Mapping[str, Sequence[MatchCandidate]], *, role: Role) -> tuple[str, dict[str, str]]:
    """Everyone who shares a language was ruled out: say by what, never by a cause that did not act.

    ``ruled_out`` holds, per cause of :data:`EXCLUDED_PARAMS`, the people it ruled out; each
    person is under one cause only, the most lasting one. One cause gets its own sentence;
    several get one sentence counting each ("of the 3 mentors…, 1 … and 2 …").
    """
    causes = {cause: people for cause, people in ruled_out.items() if people}
    count = sum(len(people) for people in causes.values())
    code = _EXCLUDED_CODES[role].get(frozenset(causes))
    if code is None:
        counts = {cause: str(len(causes[cause])) for cause in EXCLUDED_PARAMS if cause in causes}
        return _EXCLUDED_MIXED[role], {"count": str(count), **counts}
    params = {"count": str(count)}
    if code in _NAMED:
        params["mentors" if role == "mentee" else "mentees"] = _names([c for people in causes.values() for c in people])
    return code, params


def _mentee_reason(scored: ScoredRound, i: int, assigned: np.ndarray) -> tuple[str, dict[str, str]]:
    """Why mentee i has no mentor, from the data.

    The assignment is maximal (optimal and greedy both are), so a mentee with any mentor
    allowed by the hard rules is unmatched only because every such mentor is full. Mentors
    already placed (every place taken by published pairs) count as full.
    """
    import numpy as np
    profile = scored.profiles_mentees[i]
    if not scored.mentors and not scored.placed_mentors:
        return UNMATCHED_NO_MENTORS, {}
    if not profile.languages:
        return UNMATCHED_NO_LANGUAGES, {}
    compatible = scored.shares_language[i]
    full_row = np.zeros(0, dtype=bool) if scored.full_shares_language is None else scored.full_shares_language[i]
    full_met = np.zeros(0, dtype=bool) if scored.full_met is None else scored.full_met[i]
    if not compatible.any() and not full_row.any():
        return UNMATCHED_NO_SHARED_LANGUAGE, {"languages": _shown(profile.languages, profile)}
    full = [scored.placed_mentors[j] for j in np.flatnonzero(full_row & ~full_met)]
    allowed = compatible & ~scored.met[i] & ~scored.forbidden[i] & ~scored.ended[i]
    if not allowed.any():
        met = compatible & scored.met[i]
        ended = compatible & ~met & scored.ended[i]
        forbidden = compatible & ~met & ~ended & scored.forbidden[i]
        return _excluded_reason({
            EXCLUDED_ALREADY_MET: [scored.mentors[j] for j in np.flatnonzero(met)]
            + [scored.placed_mentors[j] for j in np.flatnonzero(full_row & full_met)],
            EXCLUDED_ENDED: [scored.mentors[j] for j in np.flatnonzero(ended)],
            EXCLUDED_FORBIDDEN: [scored.mentors[j] for j in np.flatnonzero(forbidden)],
            EXCLUDED_FULL: full,
        }, role="mentee")
    capacities = scored.capacities
    if (assigned >= capacities).all() and not scored.placed_mentors:
        return UNMATCHED_MORE_MENTEES_THAN_PLACES, {"mentees": str(len(scored.mentees)),
                                                    "places": str(int(capacities.sum()))}
    every = [scored.mentors[j] for j in np.flatnonzero(allowed)] + full
    return UNMATCHED_COMPATIBLE_MENTORS_FULL, {"count": str(len(every)), "mentors": _names(every)}


def _mentor_reason(scored: ScoredRound, j: int, matched: np.ndarray) -> tuple[str, dict[str, str]]:
    """Why mentor j has places left; like :func:`_mentee_reason`, from the other side."""
    import numpy as np
    profile = scored.profiles_mentors[j]
    if scored.mentors[j].max_mentees == 0:
        return SPARE_NO_PLACES, {}
    if not scored.mentees:
        return (SPARE_MENTEES_ALL_PLACED, {}) if scored.placed_mentees else (SPARE_NO_MENTEES, {})
    if not profile.languages:
        return SPARE_NO_LANGUAGES, {}
    compatible = scored.shares_language[:, j]
    if not compatible.any():
        return SPARE_NO_SHARED_LANGUAGE, {"languages": _shown(profile.languages, profile)}
    allowed = compatible & ~scored.met[:, j] & ~scored.forbidden[:, j] & ~scored.ended[:, j]
    if not allowed.any():
        met = compatible & scored.met[:, j]
        ended = compatible & ~met & scored.ended[:, j]
        forbidden = compatible & ~met & ~ended & scored.forbidden[:, j]
        return _excluded_reason({
            EXCLUDED_ALREADY_MET: [scored.mentees[i] for i in np.flatnonzero(met)],
            EXCLUDED_ENDED: [scored.mentees[i] for i in np.flatnonzero(ended)],
            EXCLUDED_FORBIDDEN: [scored.mentees[i] for i in np.flatnonzero(forbidden)],
        }, role="mentor")
    if matched.all():
        return SPARE_MORE_PLACES_THAN_MENTEES, {"mentees": str(len(scored.mentees)),
                                                "places": str(int(scored.capacities.sum()))}
    return SPARE_COMPATIBLE_MENTEES_MATCHED, {"count": str(int(allowed.sum()))}


def _build(scored: ScoredRound, assignment: Iterable[tuple[int, int]]) -> Proposal:
    import numpy as np
    locked = set(scored.locked)
    assigned = np.zeros(len(scored.mentors), dtype=np.int64)
    matched = np.zeros(len(scored.mentees), dtype=bool)
    pairs: list[ProposedPair] = []
    for i, j in assignment:
        components = _explain(scored.profiles_mentees[i], scored.profiles_mentors[j], scored.weights, scored.related)
        pairs.append(ProposedPair(mentor_id=scored.mentors[j].id, mentee_id=scored.mentees[i].id,
                                  score=_sum_points(components), components=components, locked=(i, j) in locked))
        assigned[j] += 1
        matched[i] = True
    pairs.sort(key=lambda pair: (pair.mentor_id, pair.mentee_id))

    unmatched: list[Unmatched] = []
    for i in map(int, np.flatnonzero(~matched)):
        code, params = _mentee_reason(scored, i, assigned)
        mentee = scored.mentees[i]
        unmatched.append(Unmatched(participant_id=mentee.id, role="mentee", reason_code=code,
                                   params={"name": mentee.name, **params}))
    capacities = scored.capacities
    for j in map(int, np.flatnonzero((assigned < capacities) | (capacities == 0))):
        code, params = _mentor_reason(scored, j, matched)
        mentor = scored.mentors[j]
        unmatched.append(Unmatched(
            participant_id=mentor.id, role="mentor", reason_code=code,
            params={"name": mentor.name, "spare": str(int(capacities[j] - assigned[j])),
                    "capacity": str(int(capacities[j])), **params},
        ))
    total_score = 0.0
    for pair in pairs:
        total_score = total_score + pair.score
    return Proposal(pairs=tuple(pairs), unmatched=tuple(unmatched), total_score=total_score, problems=scored.problems)


def propose_scored(scored: ScoredRound) -> Proposal:
    """The optimal proposal for an already scored round (see :func:`propose`)."""
    return _build(scored, _assign_optimal(scored))


def greedy_scored(scored: ScoredRound) -> Proposal:
    """The greedy proposal for an already scored round (see :func:`greedy_baseline`)."""
    return _build(scored, _assign_greedy(scored))


def propose(*, mentees: Sequence[MatchCandidate], mentors: Sequence[MatchCandidate],
            weights: MatchWeights = MatchWeights(), locked: frozenset[tuple[int, int]] = frozenset(),
            forbidden: frozenset[tuple[int, int]] = frozenset(), ended: frozenset[tuple[int, int]] = frozenset(),
            placed: Sequence[MatchCandidate] = (),
            related_fields: Mapping[str, frozenset[str]] | None = None) -> Proposal:
    """The best matching of this round under the hard rules, with every decision explained.

    Hard rules, never broken: a pair shares at least one language; it did not meet in an
    earlier round (by email, recorded by either side); a mentor takes at most
    ``max_mentees``; a mentee has at most one mentor; ``forbidden`` pairs never; ``ended``
    pairs (paired earlier in this round, and that pair ended) never; ``locked`` pairs
    always, unless the lock itself breaks a rule or clashes with another lock, in which
    case it is reported in ``problems`` and not proposed. Pairs in ``locked``,
    ``forbidden`` and ``ended`` are participant ids, ``(mentor_id, mentee_id)``; the
    reverse order is accepted too, since ids are unique across the round.

    ``forbidden`` is what a coordinator decided and ``ended`` what happened, and the
    reasons say which: telling a coordinator "excluded by a coordinator" about a pair that
    ended is a lie they cannot act on. ``placed`` are people of the round who take no
    part because they already are placed (mentors with every place taken, mentees in a
    live pair or done with the programme); they are never proposed, but the reasons count
    them, so a mentee whose mentors are all full hears "full", not "no mentors yet".

    Among all matchings that obey the rules, the proposal has the most pairs, and among
    those the highest total score. ``related_fields`` replaces :data:`RELATED_FIELDS`.
    """
    return propose_scored(score_round(mentees=mentees, mentors=mentors, weights=weights, locked=locked,
                                      forbidden=forbidden, ended=ended, placed=placed,
                                      related_fields=related_fields))


def greedy_baseline(*, mentees: Sequence[MatchCandidate], mentors: Sequence[MatchCandidate],
                    weights: MatchWeights = MatchWeights(), locked: frozenset[tuple[int, int]] = frozenset(),
                    forbidden: frozenset[tuple[int, int]] = frozenset(),
                    ended: frozenset[tuple[int, int]] = frozenset(), placed: Sequence[MatchCandidate] = (),
                    related_fields: Mapping[str, frozenset[str]] | None = None) -> Proposal:
    """Best-score-first matching under the same hard rules: what a coordinator does by hand.

    For the benchmark only, to show what the optimal proposal gains: taking the best pair
    first can leave a mentee whose only compatible mentor was just taken.
    """
    return greedy_scored(score_round(mentees=mentees, mentors=mentors, weights=weights, locked=locked,
                                     forbidden=forbidden, ended=ended, placed=placed,
                                     related_fields=related_fields))
