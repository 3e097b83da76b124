"""Setting up a round from the roster workbook: validate everything, then import all or nothing.

The workbook module checks the workbook against itself; this service checks it against
the database (a mentee already paired with someone else, a person whose role would change
under an existing pair) and then writes. People are matched by email, meetings by kind and
title, so importing the same workbook twice changes nothing.

Who imports decides what the workbook may touch. An operator running `mentorbot import`
has the database in hand and may touch any round. A coordinator uploading in Slack may
update only rounds they coordinate, and add a round only to a programme they coordinate a
round of (or to a new programme): the workbook names a round, and naming someone else's
round must not let them rewrite it or make themselves its coordinator.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.workspace import Workspace
from bot.i18n import normalise_language, plain_entries, t
from bot.matching.review import hand_pair_problems
from bot.rounds.workbook import (
    SHEET_PAIRS,
    SHEET_PARTICIPANTS,
    MeetingRow,
    ParticipantRow,
    Problem,
    RoundWorkbook,
    read_workbook,
)
from bot.surveys.criteria import (
    DEFAULT_CRITERIA,
    CriterionSpec,
    as_fraction,
    criteria_of,
    has_own_criteria,
    replace_criteria,
)
from storage.models import MeetingKind, Pair, PairStatus, Participant, Programme, Role, Round, SharedMeeting


@dataclass(frozen=True, kw_only=True)
class Trespass:
    """An existing round (or programme) the workbook names but the uploader does not coordinate.

    `round` is None when the round is new but its programme is someone else's."""

    programme: str
    round: str | None


@dataclass(kw_only=True)
class ImportResult:
    """What an import did (or, on a dry run, would do); problems or a trespass mean nothing was written."""

    problems: list[Problem] = field(default_factory=list)
    trespass: Trespass | None = None
    programme: str = ""
    round: str = ""
    round_id: int | None = None
    round_created: bool = False
    participants_created: int = 0
    participants_updated: int = 0
    participants_unchanged: int = 0
    meetings_created: int = 0
    meetings_updated: int = 0
    pairs_created: int = 0
    pairs_removed: int = 0
    #: How many success criteria the workbook's Criteria sheet gave; None without one (the
    #: programme then keeps its criteria). `criteria_changed` says whether they differ from before.
    criteria_imported: int | None = None
    criteria_changed: bool = False
    new_participant_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.trespass is None

    @property
    def changed(self) -> bool:
        return bool(
            self.round_created or self.participants_created or self.participants_updated
            or self.meetings_created or self.meetings_updated or self.pairs_created or self.pairs_removed
            or self.criteria_changed
        )


def render_problems(problems: list[Problem], language: str | None) -> list[str]:
    """Each problem as one line in the reader's language, in the order they fill the sheets."""
    lang_catalog = plain_entries(normalise_language(language))
    return [problem.render(lang_catalog) for problem in sorted(problems)]


def import_round(
    session: Session, workbook: RoundWorkbook, *, now: datetime, workspace: Workspace,
    only_rounds: Collection[int] | None = None,
) -> ImportResult:
    """Import a validated workbook in the caller's transaction; on problems, write nothing.

    The programme is `workspace`'s: a new one is made there, and one of another workspace
    is refused whole. `only_rounds` are the existing rounds the importer coordinates (None:
    an operator's or an admin's import, which may touch any of the workspace's). Both are
    checked before anything about the round is read, so a refused workbook learns nothing
    of the round it named, not even on a dry run."""
    settings = workbook.programme
    result = ImportResult(programme=settings.programme, round=settings.round)
    # Names are a workspace's own (unique per team): another workspace's programme of the
    # same name is another programme, never found here. In token mode the one workspace
    # also owns programmes not assigned yet; its adopted one comes first.
    programme = session.scalars(
        select(Programme).where(Programme.name == settings.programme, workspace.programmes())
        .order_by(Programme.team_id.desc())
    ).first()
    round_ = None
    if programme is not None:
        round_ = session.scalar(select(Round).where(Round.programme_id == programme.id, Round.name == settings.round))
        if only_rounds is not None:
            result.trespass = _trespass(session, programme=programme, round_=round_, only_rounds=only_rounds)
            if result.trespass is not None:
                return result
    existing = _existing_participants(session, round_)
    result.problems.extend(_conflicts_with_database(session, workbook, round_, existing))
    # Hand-made pairs obey the matching hard rules too (shared language, never met before).
    result.problems.extend(hand_pair_problems(session, workbook=workbook, round_id=round_.id if round_ else None,
                                              existing=existing, workspace=workspace))
    if result.problems:
        return result

    if programme is None:
        programme = Programme(name=settings.programme, created_at=now, team_id=workspace.team_id)
        session.add(programme)
    programme.default_language = settings.language
    programme.timezone = settings.timezone
    programme.coordinator_channel = settings.coordinator_channel
    programme.min_answers_shown = settings.min_answers_shown
    programme.retention_months = settings.retention_months
    if round_ is None:
        round_ = Round(programme=programme, name=settings.round, created_at=now,
                       starts_on=settings.starts_on, ends_on=settings.ends_on)
        session.add(round_)
        result.round_created = True
    round_.starts_on = settings.starts_on
    round_.ends_on = settings.ends_on
    round_.session_every_days = settings.session_every_days
    round_.pulse_every_days = settings.pulse_every_days
    round_.digest_weekday = settings.digest_weekday
    round_.digest_hour = settings.digest_hour
    session.flush()
    result.round_id = round_.id
    if workbook.criteria is not None:
        result.criteria_imported = len(workbook.criteria)
        result.criteria_changed = _import_criteria(session, programme_id=programme.id, criteria=workbook.criteria,
                                                   now=now)

    by_email = dict(existing)
    for row in workbook.participants:
        participant = by_email.get(row.email)
        if participant is None:
            participant = Participant(round_id=round_.id, email=row.email, created_at=now, updated_at=now,
                                      name=row.name, role=Role(row.role))
            _apply_participant(participant, row, default_language=settings.language)
            session.add(participant)
            session.flush()
            by_email[row.email] = participant
            result.participants_created += 1
            result.new_participant_ids.append(participant.id)
        elif _apply_participant(participant, row, default_language=settings.language):
            participant.updated_at = now
            result.participants_updated += 1
        else:
            result.participants_unchanged += 1

    zone = ZoneInfo(settings.timezone)
    meetings = {(m.kind.value, m.title): m for m in session.scalars(
        select(SharedMeeting).where(SharedMeeting.round_id == round_.id))}
    for meeting_row in workbook.meetings:
        starts_at = _to_utc(meeting_row, zone)
        duration, location = meeting_row.duration_minutes, meeting_row.location
        meeting = meetings.get((meeting_row.kind, meeting_row.title))
        if meeting is None:
            session.add(SharedMeeting(round_id=round_.id, kind=MeetingKind(meeting_row.kind), title=meeting_row.title,
                                      starts_at=starts_at, duration_minutes=duration, location=location))
            result.meetings_created += 1
        elif (meeting.starts_at, meeting.duration_minutes, meeting.location) != (starts_at, duration, location):
            meeting.starts_at, meeting.duration_minutes, meeting.location = starts_at, duration, location
            result.meetings_updated += 1

    # Unpublished pairs are drafts that only the workbook makes, so its Pairs sheet is their
    # whole list: an edited or deleted row in Excel is an edited or deleted draft. Published
    # pairs are live (a channel, sessions) and only end through /mentoring-admin end-pair.
    wanted = {(by_email[row.mentor_email].id, by_email[row.mentee_email].id) for row in workbook.pairs}
    round_pairs = list(session.scalars(select(Pair).where(Pair.round_id == round_.id)))
    for pair in round_pairs:
        if pair.published_at is None and pair.status is not PairStatus.ENDED and (pair.mentor_id, pair.mentee_id) not in wanted:
            session.delete(pair)
            result.pairs_removed += 1
    existing_pairs = {(p.mentor_id, p.mentee_id) for p in round_pairs}
    for key in sorted(wanted - existing_pairs):
        session.add(Pair(round_id=round_.id, mentor_id=key[0], mentee_id=key[1], status=PairStatus.ACTIVE, created_at=now))
        result.pairs_created += 1
    session.flush()
    return result


def _import_criteria(
    session: Session, *, programme_id: int, criteria: tuple[CriterionSpec, ...], now: datetime
) -> bool:
    """The Criteria sheet becomes the programme's criteria, in this unit of work; True when
    that changes them.

    A sheet equal to the defaults (the template's, unchanged) stores nothing: the programme
    then follows the defaults, as one that never had a sheet does."""
    own = has_own_criteria(session, programme_id)
    follows_defaults = criteria == DEFAULT_CRITERIA
    if follows_defaults and not own:
        return False
    if not follows_defaults and own and criteria_of(session, programme_id) == _as_stored(criteria):
        return False
    replace_criteria(session, programme_id=programme_id, criteria=() if follows_defaults else criteria, now=now)
    return True


def _as_stored(criteria: tuple[CriterionSpec, ...]) -> tuple[CriterionSpec, ...]:
    """The criteria as `criteria_of` reads them back (a target is stored as a float)."""
    return tuple(replace(spec, target=as_fraction(float(spec.target))) for spec in criteria)


def _trespass(
    session: Session, *, programme: Programme, round_: Round | None, only_rounds: Collection[int]
) -> Trespass | None:
    """An existing round must be one the importer coordinates; a new round joins a programme
    only when they coordinate one of its rounds, since the import rewrites the programme's
    settings (its coordinator channel among them) for every round in it."""
    if round_ is not None:
        return None if round_.id in only_rounds else Trespass(programme=programme.name, round=round_.name)
    round_ids = set(session.scalars(select(Round.id).where(Round.programme_id == programme.id)))
    return None if round_ids & set(only_rounds) else Trespass(programme=programme.name, round=None)


def _existing_participants(session: Session, round_: Round | None) -> dict[str, Participant]:
    if round_ is None:
        return {}
    return {p.email: p for p in session.scalars(select(Participant).where(Participant.round_id == round_.id))}


def _conflicts_with_database(
    session: Session, workbook: RoundWorkbook, round_: Round | None, existing: dict[str, Participant]
) -> list[Problem]:
    """What the workbook alone cannot know: published pairs constrain roles and mentees.

    Unpublished pairs are drafts the workbook replaces, so they constrain nothing."""
    problems: list[Problem] = []
    if round_ is None:
        return problems
    pairs = list(session.scalars(select(Pair).where(
        Pair.round_id == round_.id, Pair.status != PairStatus.ENDED, Pair.published_at.is_not(None))))
    by_id = {p.id: p for p in existing.values()}
    paired_ids = {pid for pair in pairs for pid in (pair.mentor_id, pair.mentee_id)}
    for row in workbook.participants:
        person = existing.get(row.email)
        if person is not None and person.id in paired_ids and person.role.value != row.role:
            problems.append(Problem(SHEET_PARTICIPANTS, row.row, "role", "roster.role.change_while_paired",
                                    {"value": row.email, "role": person.role.value}))
    mentor_of = {pair.mentee_id: pair.mentor_id for pair in pairs}
    for pair_row in workbook.pairs:
        mentee = existing.get(pair_row.mentee_email)
        mentor = existing.get(pair_row.mentor_email)
        if mentee is None or mentee.id not in mentor_of:
            continue
        current_mentor = by_id.get(mentor_of[mentee.id])
        if mentor is None or current_mentor is None or current_mentor.id != mentor.id:
            problems.append(Problem(SHEET_PAIRS, pair_row.row, "mentee_email", "roster.pair.mentee_already_paired",
                                    {"value": pair_row.mentee_email,
                                     "mentor": current_mentor.email if current_mentor else "?"}))
    return problems


def _apply_participant(participant: Participant, row: ParticipantRow, *, default_language: str) -> bool:
    """Copy the row onto the participant; True when anything changed.

    The coordinator owns name, role and capacity. The profile (field, languages,
    interests, company, home country, language) belongs to the person once they have
    completed it: re-importing the workbook must not undo what they told us. Before
    that, the workbook fills it in, and a blank cell never erases a value."""
    owns_profile = participant.profile_completed_at is not None
    wanted: dict[str, object] = {"name": row.name, "role": Role(row.role), "max_mentees": row.max_mentees,
                                 "partner_company": row.partner_company}
    if not owns_profile:
        wanted.update(
            {
                "field": row.field or participant.field,
                "languages": list(row.languages) or list(participant.languages or []),
                "interests": list(row.interests) or list(participant.interests or []),
                "company": row.company or participant.company,
                "home_country": row.home_country or participant.home_country,
                "language": row.language or (participant.language if participant.id else default_language),
            }
        )
    changed = False
    for attribute, value in wanted.items():
        if getattr(participant, attribute) != value:
            setattr(participant, attribute, value)
            changed = True
    return changed


def _to_utc(row: MeetingRow, zone: ZoneInfo) -> datetime:
    return row.starts_at.replace(tzinfo=zone).astimezone(timezone.utc)


def summary_lines(result: ImportResult, *, language: str | None, dry_run: bool) -> list[str]:
    """What a coordinator reads after an import, in the CLI or in Slack."""
    lang = normalise_language(language)
    if result.trespass is not None:
        trespass = result.trespass
        if trespass.round is None:
            return [t("roster.summary.not_your_programme", lang, programme=trespass.programme)]
        return [t("roster.summary.not_your_round", lang, programme=trespass.programme, round=trespass.round)]
    if not result.ok:
        return [t("roster.summary.refused", lang, count=len(result.problems)), *render_problems(result.problems, lang)]
    lines = [t("roster.summary.dry_run", lang)] if dry_run else [
        t("roster.summary.imported", lang, programme=result.programme, round=result.round)
    ]
    if result.changed:
        lines.append(
            t(
                "roster.summary.counts", lang,
                created=result.participants_created, updated=result.participants_updated,
                unchanged=result.participants_unchanged, meetings_created=result.meetings_created,
                meetings_updated=result.meetings_updated, pairs=result.pairs_created,
                pairs_removed=result.pairs_removed,
            )
        )
    else:
        lines.append(t("roster.summary.nothing_changed", lang))
    if result.criteria_imported is not None:
        key = "roster.summary.criteria" if result.criteria_changed else "roster.summary.criteria_unchanged"
        lines.append(t(key, lang, count=result.criteria_imported))
    return lines


def import_workbook_file(
    session: Session, source: bytes | str, *, now: datetime, workspace: Workspace,
    only_rounds: Collection[int] | None = None,
) -> ImportResult:
    """Read, validate and import into `workspace` in the caller's transaction; problems from
    either step refuse it all."""
    workbook, problems = read_workbook(source)
    if workbook is None:
        return ImportResult(problems=problems)
    return import_round(session, workbook, now=now, workspace=workspace, only_rounds=only_rounds)


__all__ = ["ImportResult", "Trespass", "import_round", "import_workbook_file", "render_problems", "summary_lines"]
