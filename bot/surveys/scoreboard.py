"""Where a round stands against each of its programme's success criteria, at any moment.

The one computation behind `/mentoring-admin scoreboard`, the coordinators' Home tab, the
weekly digest and the funder's report: per criterion and role, answers, share agreeing,
the target and met / not met / too few answers yet; employment after the round from the
outcomes; introductions from the logged 1:1 sessions; response rates per survey; the
pulse trend; comments without names.

Nothing here puts a name next to an answer. Every aggregate of answers passes through
`bot.surveys.anonymity.disclose` (threshold and no differencing), and only people whose
consent still stands are counted: evaluation for survey answers, follow-up for outcomes.
Looking records what was shown, so the caller's unit of work commits it.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.people import identify
from bot.core.workspace import Workspace
from bot.matching.review import LookupStatus, RoundLookup, coordinated_round
from bot.surveys.anonymity import Shown, Value, disclose, effective_threshold, lock_round
from bot.surveys.consent import consenting_ids
from bot.surveys.criteria import AGREE_FROM, COMMENT_QUESTION, CriterionSpec, criteria_of
from bot.surveys.service import PULSE_QUESTIONS
from storage.models import (
    ConsentPurpose,
    CriterionMeasure,
    MentoringSession,
    Outcome,
    OutcomeStatus,
    Pair,
    Participant,
    Role,
    Round,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
)

#: Outcomes that count as "in work" for the employment criterion.
IN_WORK = frozenset({OutcomeStatus.EMPLOYED, OutcomeStatus.OWN_COMPANY})


class Standing(str, enum.Enum):
    MET = "met"
    NOT_MET = "not_met"
    TOO_FEW = "too_few"  # fewer answers than the anonymity threshold (or a change too small to show)
    NOT_YET = "not_yet"  # nothing to measure yet: the survey has not opened


@dataclass(frozen=True, kw_only=True)
class CriterionStanding:
    key: str
    statement_en: str
    statement_da: str
    measure: CriterionMeasure
    role: Role
    survey: SurveyKind | None  # None for employment (from outcomes) and before any survey opened
    target: Fraction
    standing: Standing
    answers: int | None = None
    agreeing: int | None = None
    #: False when the figures are an earlier view shown again (see bot.surveys.anonymity).
    current: bool = True

    @property
    def share(self) -> Fraction | None:
        if self.answers is None or self.agreeing is None or self.answers == 0:
            return None
        return Fraction(self.agreeing, self.answers)

    def statement(self, language: str) -> str:
        return self.statement_da if language == "da" else self.statement_en


@dataclass(frozen=True, kw_only=True)
class OutcomeStanding:
    """Mentees' situations after the round (None: fewer than the threshold reported)."""

    counts: Mapping[OutcomeStatus, int] | None
    answers: int | None
    network_helped: int | None = None  # of those who said yes or no
    network_answers: int | None = None
    current: bool = True

    def share(self, status: OutcomeStatus) -> Fraction | None:
        if self.counts is None or not self.answers:
            return None
        return Fraction(self.counts.get(status, 0), self.answers)


@dataclass(frozen=True, kw_only=True)
class ResponseRate:
    survey_id: int
    kind: SurveyKind
    number: int
    opens_at: datetime
    closes_at: datetime
    invited: int
    answered: int
    open: bool

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.answered, self.invited) if self.invited else None


@dataclass(frozen=True, kw_only=True)
class PulseStanding:
    number: int
    role: Role
    question: str
    answers: int | None
    mean: Fraction | None
    current: bool = True


@dataclass(frozen=True, kw_only=True)
class CommentsShown:
    kind: SurveyKind
    number: int
    role: Role
    comments: tuple[str, ...] | None  # None: too few to show without pointing at someone


@dataclass(frozen=True, kw_only=True)
class Introductions:
    """From the 1:1 sessions pairs logged: not survey answers, so not thresholded."""

    total: int
    sessions: int
    pairs_with_any: int


@dataclass(frozen=True, kw_only=True)
class Scoreboard:
    round_id: int
    programme: str
    round_name: str
    timezone: str  # the programme's: dates on the board are read there
    threshold: int
    criteria: tuple[CriterionStanding, ...]
    outcomes: OutcomeStanding
    introductions: Introductions
    responses: tuple[ResponseRate, ...]
    pulses: tuple[PulseStanding, ...]
    comments: tuple[CommentsShown, ...]


# --- reading --------------------------------------------------------------------------------------------


def _answers(session: Session, round_id: int) -> dict[tuple[int, str, Role], dict[int, SurveyAnswer]]:
    """Answers of people whose consent to evaluation stands, by (survey, question, role)."""
    rows = session.execute(
        select(SurveyAnswer, Participant.role)
        .join(Participant, Participant.id == SurveyAnswer.participant_id)
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .where(Survey.round_id == round_id,
               SurveyAnswer.participant_id.in_(consenting_ids(ConsentPurpose.EVALUATION)))
    ).all()
    grouped: dict[tuple[int, str, Role], dict[int, SurveyAnswer]] = {}
    for answer, role in rows:
        grouped.setdefault((answer.survey_id, answer.question, role), {})[answer.participant_id] = answer
    return grouped


def _cell(survey_id: int, question: str, role: Role) -> str:
    return f"survey={survey_id}:q={question}:role={role.value}"


def _agreeing(shown: Shown) -> int:
    return sum(1 for value in shown.contributions.values() if isinstance(value, int) and value >= AGREE_FROM)


def _judge(*, answers: int, agreeing: int, target: Fraction) -> Standing:
    return Standing.MET if Fraction(agreeing, answers) >= target else Standing.NOT_MET


def _row(spec: CriterionSpec, *, role: Role, survey: SurveyKind | None, standing: Standing,
         view: tuple[int, int, bool] | None = None) -> CriterionStanding:
    """One line of the scoreboard; `view` is (answers, agreeing, current) when figures may be shown."""
    answers, agreeing, current = view if view is not None else (None, None, True)
    return CriterionStanding(key=spec.key, statement_en=spec.statement_en, statement_da=spec.statement_da,
                             measure=spec.measure, role=role, survey=survey, target=spec.target, standing=standing,
                             answers=answers, agreeing=agreeing, current=current)


def _criterion_rows(
    spec: CriterionSpec, *, surveys: Sequence[Survey], shown: Mapping[tuple[int, str, Role], Shown | None],
) -> list[CriterionStanding]:
    rows: list[CriterionStanding] = []
    for role in spec.roles:
        asked = [survey for survey in surveys if spec.asked_in(survey.kind, role)]
        if not asked:
            rows.append(_row(spec, role=role, survey=None, standing=Standing.NOT_YET))
        for survey in asked:
            view = shown.get((survey.id, spec.question, role))
            if view is None:
                rows.append(_row(spec, role=role, survey=survey.kind, standing=Standing.TOO_FEW))
                continue
            answers, agreeing = len(view.contributions), _agreeing(view)
            rows.append(_row(spec, role=role, survey=survey.kind,
                             standing=_judge(answers=answers, agreeing=agreeing, target=spec.target),
                             view=(answers, agreeing, view.current)))
    return rows


def _outcomes(session: Session, *, round_id: int, threshold: int, now: datetime) -> OutcomeStanding:
    rows = session.execute(
        select(Outcome.participant_id, Outcome.status, Outcome.network_helped)
        .join(Participant, Participant.id == Outcome.participant_id)
        .where(Participant.round_id == round_id, Participant.role == Role.MENTEE,
               Outcome.participant_id.in_(consenting_ids(ConsentPurpose.FOLLOW_UP)))
    ).all()
    statuses: dict[int, Value] = {row.participant_id: row.status.value for row in rows}
    helped: dict[int, Value] = {row.participant_id: row.network_helped for row in rows if row.network_helped is not None}
    status_view = disclose(session, round_id=round_id, cell=f"round={round_id}:outcome", current=statuses,
                           threshold=threshold, now=now)
    helped_view = disclose(session, round_id=round_id, cell=f"round={round_id}:network_helped", current=helped,
                           threshold=threshold, now=now)
    counts = None
    if status_view is not None:
        tally = Counter(OutcomeStatus(str(value)) for value in status_view.contributions.values())
        counts = {status: tally.get(status, 0) for status in OutcomeStatus}
    return OutcomeStanding(
        counts=counts,
        answers=len(status_view.contributions) if status_view is not None else None,
        network_helped=sum(1 for value in helped_view.contributions.values() if value is True) if helped_view else None,
        network_answers=len(helped_view.contributions) if helped_view is not None else None,
        current=status_view.current if status_view is not None else True,
    )


def _employment_row(spec: CriterionSpec, outcomes: OutcomeStanding) -> CriterionStanding:
    if outcomes.counts is None or not outcomes.answers:
        return _row(spec, role=Role.MENTEE, survey=None, standing=Standing.TOO_FEW)
    in_work = sum(outcomes.counts.get(status, 0) for status in IN_WORK)
    return _row(spec, role=Role.MENTEE, survey=None,
                standing=_judge(answers=outcomes.answers, agreeing=in_work, target=spec.target),
                view=(outcomes.answers, in_work, outcomes.current))


def _introductions(session: Session, round_id: int) -> Introductions:
    row = session.execute(
        select(func.coalesce(func.sum(MentoringSession.introductions_made), 0), func.count(MentoringSession.id))
        .join(Pair, Pair.id == MentoringSession.pair_id).where(Pair.round_id == round_id)
    ).one()
    pairs_with_any = session.scalar(
        select(func.count(func.distinct(MentoringSession.pair_id))).join(Pair, Pair.id == MentoringSession.pair_id)
        .where(Pair.round_id == round_id, MentoringSession.introductions_made > 0)
    ) or 0
    return Introductions(total=int(row[0]), sessions=int(row[1]), pairs_with_any=int(pairs_with_any))


def _responses(session: Session, surveys: Sequence[Survey], *, now: datetime) -> list[ResponseRate]:
    counts = {
        row.survey_id: (row.invited, row.answered)
        for row in session.execute(
            select(SurveyInvitation.survey_id, func.count(SurveyInvitation.id).label("invited"),
                   func.count(SurveyInvitation.answered_at).label("answered"))
            .where(SurveyInvitation.survey_id.in_([survey.id for survey in surveys]))
            .group_by(SurveyInvitation.survey_id)
        )
    }
    return [
        ResponseRate(survey_id=survey.id, kind=survey.kind, number=survey.number, opens_at=survey.opens_at,
                     closes_at=survey.closes_at, invited=counts.get(survey.id, (0, 0))[0],
                     answered=counts.get(survey.id, (0, 0))[1], open=survey.opens_at <= now < survey.closes_at)
        for survey in surveys
    ]


def compute_scoreboard(session: Session, *, round_id: int, now: datetime) -> Scoreboard:
    """The round's standing now. Records what it shows (anonymity bookkeeping): call it in a
    unit of work that commits."""
    lock_round(session, round_id)
    round_ = session.get_one(Round, round_id)
    programme = round_.programme
    threshold = effective_threshold(programme.min_answers_shown)
    criteria = criteria_of(session, programme.id)
    surveys = list(session.scalars(
        select(Survey).where(Survey.round_id == round_id, Survey.opens_at <= now).order_by(Survey.opens_at, Survey.id)
    ))
    answers = _answers(session, round_id)

    def view(survey: Survey, question: str, role: Role) -> Shown | None:
        given = answers.get((survey.id, question, role), {})
        current: dict[int, Value] = {
            person: (answer.value if answer.value is not None else answer.text or "") for person, answer in given.items()
        }
        return disclose(session, round_id=round_id, cell=_cell(survey.id, question, role), current=current,
                        threshold=threshold, now=now)

    shown: dict[tuple[int, str, Role], Shown | None] = {}
    for spec in criteria:
        for role in spec.roles:
            for survey in surveys:
                if spec.asked_in(survey.kind, role) and (survey.id, spec.question, role) not in shown:
                    shown[(survey.id, spec.question, role)] = view(survey, spec.question, role)
    outcomes = _outcomes(session, round_id=round_id, threshold=threshold, now=now)
    rows: list[CriterionStanding] = []
    for spec in criteria:
        if spec.measure is CriterionMeasure.EMPLOYED:
            rows.append(_employment_row(spec, outcomes))
        else:
            rows.extend(_criterion_rows(spec, surveys=surveys, shown=shown))

    pulses: list[PulseStanding] = []
    for survey in surveys:
        if survey.kind is not SurveyKind.PULSE:
            continue
        for role in (Role.MENTEE, Role.MENTOR):
            for question in PULSE_QUESTIONS:
                pulse_view = view(survey, question, role)
                values = [value for value in (pulse_view.contributions.values() if pulse_view else ())
                          if isinstance(value, int)]
                pulses.append(PulseStanding(
                    number=survey.number, role=role, question=question,
                    answers=len(values) if pulse_view is not None else None,
                    mean=Fraction(sum(values), len(values)) if pulse_view is not None and values else None,
                    current=pulse_view.current if pulse_view is not None else True,
                ))

    comments: list[CommentsShown] = []
    for survey in surveys:
        for role in (Role.MENTEE, Role.MENTOR, Role.COMPANY_CONTACT):
            if not answers.get((survey.id, COMMENT_QUESTION, role)):
                continue
            comment_view = view(survey, COMMENT_QUESTION, role)
            # Sorted, so the order says nothing about who wrote when.
            texts = (tuple(sorted((str(value) for value in comment_view.contributions.values()), key=str.casefold))
                     if comment_view is not None else None)
            comments.append(CommentsShown(kind=survey.kind, number=survey.number, role=role, comments=texts))

    return Scoreboard(
        round_id=round_id, programme=programme.name, round_name=round_.name, timezone=programme.timezone,
        threshold=threshold,
        criteria=tuple(rows), outcomes=outcomes, introductions=_introductions(session, round_id),
        responses=tuple(_responses(session, surveys, now=now)), pulses=tuple(pulses), comments=tuple(comments),
    )


@dataclass(frozen=True, kw_only=True)
class ScoreboardRequest:
    """What `/mentoring-admin scoreboard [ROUND]` answers: the board, or which round to name."""

    language: str
    board: Scoreboard | None = None
    lookup: RoundLookup | None = None


def scoreboard_for(session: Session, *, slack_user_id: str, workspace: Workspace, round_name: str | None, now: datetime,
                   admin_user_ids: Collection[str] = ()) -> ScoreboardRequest:
    """The scoreboard of the round a coordinator names among those they coordinate (the one
    running round when they name none); another programme's rounds are not found at all."""
    viewer = identify(session, slack_user_id=slack_user_id, workspace=workspace, admin_user_ids=admin_user_ids)
    lookup = coordinated_round(session, name=round_name, today=now.date(), round_ids=viewer.coordinated_round_ids)
    if lookup.status is not LookupStatus.FOUND or lookup.round_id is None:
        return ScoreboardRequest(language=viewer.language, lookup=lookup)
    return ScoreboardRequest(language=viewer.language,
                             board=compute_scoreboard(session, round_id=lookup.round_id, now=now))


__all__ = [
    "IN_WORK",
    "CommentsShown",
    "CriterionStanding",
    "Introductions",
    "OutcomeStanding",
    "PulseStanding",
    "ResponseRate",
    "Scoreboard",
    "ScoreboardRequest",
    "Standing",
    "compute_scoreboard",
    "scoreboard_for",
]
