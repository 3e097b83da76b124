"""A programme's success criteria, as data.

Programmes judge themselves by their own criteria (a municipal four-month round has the
eight of the programme brief; a one-year programme in the capital has its own), so the
criteria are rows a coordinator can change through the round workbook's Criteria sheet,
not code. A programme that never gave any is judged by the eight defaults below, in
English and Danish, without storing them: changing the defaults later changes every
programme that kept them, which is what "the defaults" means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Criterion, CriterionMeasure, Role, SurveyKind

#: The question key of "I would recommend taking part", asked in every midway and final survey.
RECOMMEND_QUESTION: Final = "recommend"
#: The free comment at the end of every survey.
COMMENT_QUESTION: Final = "comment"
#: On the 5-point agree scale (1 strongly disagree .. 5 strongly agree), 4 and 5 agree.
AGREE_FROM: Final = 4
SCALE: Final = (1, 2, 3, 4, 5)

#: The roles a criterion may be asked of, and the surveys a mentor's or mentee's criterion may be asked in.
CRITERION_ROLES: Final = (Role.MENTOR, Role.MENTEE, Role.COMPANY_CONTACT)
CRITERION_SURVEYS: Final = (SurveyKind.MIDWAY, SurveyKind.FINAL)


@dataclass(frozen=True, kw_only=True)
class CriterionSpec:
    """One criterion as the services read it, stored or default.

    `target` is a share in [0, 1], kept exact where it is a simple fraction (2/3 is met by
    2 of 3, which 0.67 would not be)."""

    key: str
    measure: CriterionMeasure
    roles: tuple[Role, ...]
    surveys: tuple[SurveyKind, ...]
    target: Fraction
    statement_en: str
    statement_da: str
    position: int = 0

    def statement(self, language: str) -> str:
        return self.statement_da if language == "da" else self.statement_en

    def asked_in(self, kind: SurveyKind, role: Role) -> bool:
        """Whether this criterion is a question of survey `kind` for `role` (employment never is)."""
        if role not in self.roles or self.measure is CriterionMeasure.EMPLOYED:
            return False
        if role is Role.COMPANY_CONTACT:
            return kind is SurveyKind.COMPANY
        if self.measure is CriterionMeasure.RECOMMEND:
            return kind in (SurveyKind.MIDWAY, SurveyKind.FINAL)
        return kind in self.surveys

    @property
    def question(self) -> str:
        """The answer key its ratings are stored under."""
        return RECOMMEND_QUESTION if self.measure is CriterionMeasure.RECOMMEND else self.key


_BOTH: Final = (SurveyKind.MIDWAY, SurveyKind.FINAL)

#: The eight criteria of the programme brief, in its order.
DEFAULT_CRITERIA: Final[tuple[CriterionSpec, ...]] = (
    CriterionSpec(
        key="mentor_network", measure=CriterionMeasure.AGREE, roles=(Role.MENTOR,), surveys=_BOTH,
        target=Fraction(2, 3), position=1,
        statement_en="Taking part has developed my personal and professional network.",
        statement_da="Deltagelsen har udviklet mit personlige og faglige netværk.",
    ),
    CriterionSpec(
        key="mentor_intercultural", measure=CriterionMeasure.AGREE, roles=(Role.MENTOR,), surveys=_BOTH,
        target=Fraction(2, 3), position=2,
        statement_en="Taking part has strengthened my intercultural competence.",
        statement_da="Deltagelsen har styrket min interkulturelle kompetence.",
    ),
    CriterionSpec(
        key="mentee_network", measure=CriterionMeasure.AGREE, roles=(Role.MENTEE,), surveys=_BOTH,
        target=Fraction(2, 3), position=3,
        statement_en="Taking part has strengthened my professional network.",
        statement_da="Deltagelsen har styrket mit faglige netværk.",
    ),
    CriterionSpec(
        key="mentee_job_search", measure=CriterionMeasure.AGREE, roles=(Role.MENTEE,), surveys=_BOTH,
        target=Fraction(4, 5), position=4,
        statement_en="I am more active in my job search than before.",
        statement_da="Jeg er mere aktiv i min jobsøgning end før.",
    ),
    CriterionSpec(
        key="mentee_direction", measure=CriterionMeasure.AGREE, roles=(Role.MENTEE,), surveys=_BOTH,
        target=Fraction(4, 5), position=5,
        statement_en="I am clearer about which education or job field to aim at.",
        statement_da="Jeg har fået et klarere billede af, hvilken uddannelse eller hvilket jobområde jeg skal sigte mod.",
    ),
    CriterionSpec(
        key="mentee_employed", measure=CriterionMeasure.EMPLOYED, roles=(Role.MENTEE,), surveys=(),
        target=Fraction(1, 3), position=6,
        statement_en="Mentees in work (employed or own company) 6 months after the round.",
        statement_da="Mentees i job (ansat eller egen virksomhed) 6 måneder efter forløbet.",
    ),
    CriterionSpec(
        key="recommend", measure=CriterionMeasure.RECOMMEND, roles=(Role.MENTOR, Role.MENTEE), surveys=_BOTH,
        target=Fraction(4, 5), position=7,
        statement_en="I would recommend taking part in the programme.",
        statement_da="Jeg vil anbefale andre at deltage i programmet.",
    ),
    CriterionSpec(
        key="company_retention", measure=CriterionMeasure.AGREE, roles=(Role.COMPANY_CONTACT,), surveys=(),
        target=Fraction(2, 3), position=8,
        statement_en="The programme makes us better able to keep our international employee.",
        statement_da="Programmet gør os bedre i stand til at fastholde vores internationale medarbejder.",
    ),
)


def as_fraction(share: float) -> Fraction:
    """A stored share back as the simple fraction it was (0.666… is 2/3), for exact comparisons."""
    return Fraction(share).limit_denominator(1000)


def _spec(row: Criterion) -> CriterionSpec:
    return CriterionSpec(
        key=row.key,
        measure=row.measure,
        roles=tuple(Role(value) for value in row.roles),
        surveys=tuple(SurveyKind(value) for value in row.surveys),
        target=as_fraction(row.target),
        statement_en=row.statement_en,
        statement_da=row.statement_da,
        position=row.position,
    )


def criteria_of(session: Session, programme_id: int) -> tuple[CriterionSpec, ...]:
    """The programme's criteria in their order: its own, or the defaults when it has none."""
    rows = session.scalars(
        select(Criterion).where(Criterion.programme_id == programme_id).order_by(Criterion.position, Criterion.id)
    ).all()
    if not rows:
        return DEFAULT_CRITERIA
    return tuple(_spec(row) for row in rows)


def has_own_criteria(session: Session, programme_id: int) -> bool:
    return session.scalar(select(Criterion.id).where(Criterion.programme_id == programme_id).limit(1)) is not None


def replace_criteria(
    session: Session, *, programme_id: int, criteria: Sequence[CriterionSpec], now: datetime
) -> None:
    """The programme's criteria become exactly these (a workbook's Criteria sheet, all or nothing).

    Answers are stored by question key, so a criterion kept under the same key keeps its answers."""
    session.execute(delete(Criterion).where(Criterion.programme_id == programme_id))
    session.flush()
    for position, spec in enumerate(criteria, start=1):
        session.add(
            Criterion(
                programme_id=programme_id,
                key=spec.key,
                position=position,
                measure=spec.measure,
                roles=[role.value for role in spec.roles],
                surveys=[kind.value for kind in spec.surveys],
                target=float(spec.target),
                statement_en=spec.statement_en,
                statement_da=spec.statement_da,
                created_at=now,
            )
        )
    session.flush()


__all__ = [
    "AGREE_FROM",
    "COMMENT_QUESTION",
    "CRITERION_ROLES",
    "CRITERION_SURVEYS",
    "DEFAULT_CRITERIA",
    "RECOMMEND_QUESTION",
    "SCALE",
    "CriterionSpec",
    "as_fraction",
    "criteria_of",
    "has_own_criteria",
    "replace_criteria",
]
