"""Matching figures: how long scoring and solving take, and what the optimal proposal gains
over best-score-first (greedy) matching. Prints figures; asserts nothing.

    python -m benchmarks.bench_matching [--sizes 20 200 2000] [--mentors-per-mentee 1.0] [--repeat 3] [--seed 4]

Times are the best of ``--repeat`` runs, because the development machine is shared and a
single run measures the neighbours as much as the code.

The synthetic rounds are seeded, so every run sees the same people. They are shaped like
the programmes': about ten fields (some related), two or three languages each from a pool
where English is common and Danish frequent, a few interests, goals and expertise written
from shared word lists with a field flavour, offsets mostly UTC+1 with some spread (people
still abroad), mentors mostly taking one mentee and some two, a few earlier partners,
forbidden pairs and locks.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from bot.matching.engine import (
    MatchCandidate,
    Proposal,
    greedy_scored,
    propose_scored,
    score_round,
)

T = TypeVar("T")

FIELDS = ("engineering", "it", "software", "finance", "economics", "marketing", "sales", "life sciences",
          "pharma", "education")
LANGUAGES = ("danish", "german", "french", "spanish", "arabic", "mandarin", "hindi", "portuguese", "polish",
             "italian", "russian", "turkish")
INTERESTS = ("running", "cycling", "cooking", "music", "hiking", "photography", "reading", "chess", "yoga",
             "football", "sailing", "painting", "gardening", "theatre", "travel", "board games", "climbing",
             "volunteering", "film", "knitting")
GENERAL_WORDS = ("cv", "interview", "network", "linkedin", "danish", "culture", "salary", "negotiation",
                 "leadership", "startup", "application", "presentation", "career", "change", "management")
FIELD_WORDS = {
    "engineering": ("mechanical", "design", "manufacturing", "wind", "energy", "project"),
    "it": ("cloud", "support", "security", "network", "infrastructure", "devops"),
    "software": ("python", "java", "frontend", "backend", "testing", "agile"),
    "finance": ("banking", "risk", "investment", "compliance", "audit", "reporting"),
    "economics": ("analysis", "policy", "statistics", "forecasting", "research", "modelling"),
    "marketing": ("digital", "branding", "content", "campaigns", "seo", "social"),
    "sales": ("b2b", "accounts", "negotiation", "crm", "export", "customers"),
    "life sciences": ("laboratory", "biology", "clinical", "research", "gmp", "regulatory"),
    "pharma": ("clinical", "regulatory", "quality", "gmp", "trials", "production"),
    "education": ("teaching", "curriculum", "pedagogy", "school", "research", "training"),
}
OFFSETS = (1.0,) * 16 + (0.0, 2.0, 3.0, 5.5, -5.0, 8.0, -3.0, 9.0)


def _person(rng: random.Random, *, pid: int, role: str) -> MatchCandidate:
    field = rng.choice(FIELDS)
    languages = set()
    if rng.random() < 0.9:
        languages.add("english")
    if rng.random() < (0.8 if role == "mentor" else 0.25):
        languages.add("danish")
    while len(languages) < rng.choice((2, 2, 3)):
        languages.add(rng.choice(LANGUAGES))
    words = rng.sample(GENERAL_WORDS, 3) + rng.sample(FIELD_WORDS[field], 3)
    text = ("I would like help with my " if role == "mentee" else "I know about ") + ", ".join(words) + "."
    return MatchCandidate(
        id=pid, name=f"{role}-{pid}", email=f"{role}{pid}@example.org", role=role,  # type: ignore[arg-type]
        field=field if rng.random() < 0.95 else None,
        languages=frozenset(languages), interests=frozenset(rng.sample(INTERESTS, rng.randint(1, 4))),
        goals=text if role == "mentee" else None, expertise=text if role == "mentor" else None,
        utc_offset_hours=rng.choice(OFFSETS) if role == "mentee" else rng.choice((1.0,) * 9 + (0.0,)),
        max_mentees=(2 if rng.random() < 0.25 else 1) if role == "mentor" else 1,
    )


@dataclass(frozen=True)
class SyntheticRound:
    mentees: tuple[MatchCandidate, ...]
    mentors: tuple[MatchCandidate, ...]
    locked: frozenset[tuple[int, int]]
    forbidden: frozenset[tuple[int, int]]


def synthetic_round(*, size: int, seed: int, mentors_per_mentee: float = 1.0) -> SyntheticRound:
    """`size` mentees and `size` × ratio mentors; 5 % of mentors met someone before, 1 % locks and forbids."""
    rng = random.Random(f"{seed}:{size}:{mentors_per_mentee}")
    mentees = [_person(rng, pid=index, role="mentee") for index in range(1, size + 1)]
    mentors = [_person(rng, pid=100_000 + index, role="mentor")
               for index in range(1, max(1, round(size * mentors_per_mentee)) + 1)]
    for index, mentor in enumerate(mentors):
        if rng.random() < 0.05:
            earlier = rng.choice(mentees).email
            mentors[index] = replace(mentor, previous_partner_emails=frozenset({earlier}))
    extra = max(1, size // 100)
    locked = frozenset((rng.choice(mentors).id, rng.choice(mentees).id) for _ in range(extra))
    forbidden = frozenset((rng.choice(mentors).id, rng.choice(mentees).id) for _ in range(extra))
    return SyntheticRound(tuple(mentees), tuple(mentors), locked, forbidden)


def _timed(repeat: int, function: Callable[..., T], /, **kwargs: object) -> tuple[T, float]:
    """The result and the best wall-clock time of `repeat` calls."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        result = function(**kwargs)
        best = min(best, time.perf_counter() - started)
    return result, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 2000], help="participants per side")
    parser.add_argument("--mentors-per-mentee", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    print(f"mentors per mentee: {args.mentors_per_mentee}; times: best of {args.repeat}")
    print("| mentees | mentors / places | score | solve | total | optimal: matched / score "
          "| greedy: matched / score (solve) | optimal gains |")
    print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        data = synthetic_round(size=size, seed=args.seed, mentors_per_mentee=args.mentors_per_mentee)
        scored, score_seconds = _timed(args.repeat, score_round, mentees=data.mentees, mentors=data.mentors,
                                       locked=data.locked, forbidden=data.forbidden)
        optimal, solve_seconds = _timed(args.repeat, propose_scored, scored=scored)
        greedy, greedy_seconds = _timed(args.repeat, greedy_scored, scored=scored)
        places = sum(mentor.max_mentees for mentor in data.mentors)
        print(f"| {size:,} | {len(data.mentors):,} / {places:,} | {score_seconds:.3f} s | {solve_seconds:.3f} s "
              f"| {score_seconds + solve_seconds:.3f} s | {_figures(optimal)} | {_figures(greedy)} "
              f"({greedy_seconds:.3f} s) | {_gain(optimal, greedy)} |")


def _figures(proposal: Proposal) -> str:
    return f"{proposal.matched_count:,} / {proposal.total_score:,.1f}"


def _gain(optimal: Proposal, greedy: Proposal) -> str:
    more = optimal.matched_count - greedy.matched_count
    points = optimal.total_score - greedy.total_score
    relative = f" ({points / greedy.total_score:+.1%})" if greedy.total_score > 0 else ""
    return f"{more:+d} mentees matched, {points:+,.1f} points{relative}"


if __name__ == "__main__":
    main()
