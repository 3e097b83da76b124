"""Importing a round: all or nothing, updates by email, and a re-import changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select

from bot.rounds.imports import import_uploaded_workbook
from bot.rounds.roster import import_round, import_workbook_file, summary_lines
from bot.rounds.workbook import MeetingRow, PairRow, ParticipantRow, ProgrammeSettings, RoundWorkbook, workbook_bytes
from bot.surveys.criteria import DEFAULT_CRITERIA, CriterionSpec, criteria_of, has_own_criteria
from storage.db import unit_of_work
from storage.models import (
    Criterion,
    CriterionMeasure,
    Pair,
    Participant,
    Programme,
    Role,
    Round,
    SharedMeeting,
    SurveyKind,
)
from tests.support.workspaces import ONE_WORKSPACE

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc)


def sample_workbook(**changes: Any) -> RoundWorkbook:
    programme = ProgrammeSettings(
        programme="Career Mentoring", round="Spring 2027", starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 31),
        language="en", coordinator_channel="#mentoring-coordinators", session_every_days=14,
        timezone="Europe/Copenhagen",
    )
    workbook = RoundWorkbook(
        programme=programme,
        meetings=(
            MeetingRow(row=2, kind="kick_off", title="Kick-off", starts_at=datetime(2027, 2, 3, 17, 0),
                       duration_minutes=120, location="DTU Lyngby"),
        ),
        participants=(
            ParticipantRow(row=2, email="lars@firm.dk", name="Lars Ø", role="mentor", field="Engineering",
                           languages=("Danish", "English"), interests=("cycling",), company="Firm", max_mentees=2),
            ParticipantRow(row=3, email="ana@example.org", name="Ana", role="mentee", field="Engineering",
                           languages=("English", "Spanish"), home_country="Chile"),
            ParticipantRow(row=4, email="mette@kommune.dk", name="Mette", role="coordinator", language="da"),
        ),
        pairs=(PairRow(row=2, mentor_email="lars@firm.dk", mentee_email="ana@example.org"),),
    )
    return replace(workbook, **changes)


def _counts(session) -> tuple[int, ...]:  # noqa: ANN001
    return tuple(
        session.scalar(select(func.count()).select_from(model)) for model in (Programme, Round, Participant, SharedMeeting, Pair)
    )


def test_first_import_creates_the_round_its_people_meetings_and_pairs(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        result = import_round(session, sample_workbook(), workspace=ONE_WORKSPACE, now=NOW)
    assert result.ok and result.round_created
    assert (result.participants_created, result.meetings_created, result.pairs_created) == (3, 1, 1)
    with unit_of_work(session_factory) as session:
        assert _counts(session) == (1, 1, 3, 1, 1)
        kick_off = session.scalar(select(SharedMeeting))
        assert kick_off.starts_at == datetime(2027, 2, 3, 16, 0, tzinfo=timezone.utc), "17:00 Copenhagen is 16:00 UTC"
        ana = session.scalar(select(Participant).where(Participant.email == "ana@example.org"))
        assert ana.language == "en" and ana.languages == ["English", "Spanish"]
        mette = session.scalar(select(Participant).where(Participant.email == "mette@kommune.dk"))
        assert mette.language == "da"


def test_reimporting_the_same_workbook_changes_nothing(session_factory) -> None:  # noqa: ANN001
    data = workbook_bytes(sample_workbook())
    with unit_of_work(session_factory) as session:
        assert import_workbook_file(session, data, workspace=ONE_WORKSPACE, now=NOW).ok
    with unit_of_work(session_factory) as session:
        before = _counts(session)
        again = import_workbook_file(session, data, workspace=ONE_WORKSPACE, now=NOW)
    assert again.ok and not again.changed
    assert again.participants_unchanged == 3
    assert summary_lines(again, language="en", dry_run=False)[-1].startswith("Nothing changed")
    with unit_of_work(session_factory) as session:
        assert _counts(session) == before


def test_reimport_updates_people_by_email_and_keeps_what_they_set_themselves(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        import_round(session, sample_workbook(), workspace=ONE_WORKSPACE, now=NOW)
    with unit_of_work(session_factory) as session:
        ana = session.scalar(select(Participant).where(Participant.email == "ana@example.org"))
        ana.language = "da"  # she chose Danish in her profile
    people = sample_workbook().participants
    renamed = (people[0], replace(people[1], name="Ana María", field=None), people[2])
    with unit_of_work(session_factory) as session:
        result = import_round(session, sample_workbook(participants=renamed), workspace=ONE_WORKSPACE, now=NOW)
    assert (result.participants_created, result.participants_updated) == (0, 1)
    with unit_of_work(session_factory) as session:
        ana = session.scalar(select(Participant).where(Participant.email == "ana@example.org"))
        assert (ana.name, ana.field, ana.language) == ("Ana María", "Engineering", "da")
        assert session.scalar(select(func.count()).select_from(Participant)) == 3


def test_a_broken_workbook_is_refused_whole_with_every_problem_and_nothing_changes(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        import_round(session, sample_workbook(), workspace=ONE_WORKSPACE, now=NOW)
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook_bytes(sample_workbook())))
    book["Participants"]["A3"] = "ana-at-example.org"
    book["Participants"]["C2"] = "boss"
    book["Meetings"]["A2"] = "party"
    stream = io.BytesIO()
    book.save(stream)
    with unit_of_work(session_factory) as session:
        before = _counts(session)
        result = import_workbook_file(session, stream.getvalue(), workspace=ONE_WORKSPACE, now=NOW)
    assert not result.ok
    lines = summary_lines(result, language="en", dry_run=False)
    assert lines[0].startswith("The workbook was not imported; nothing was changed.")
    joined = "\n".join(lines)
    assert 'Participants row 3, column email: "ana-at-example.org" is not a valid email address.' in joined
    assert "Participants row 2, column role" in joined and "Meetings row 2, column kind" in joined
    with unit_of_work(session_factory) as session:
        assert _counts(session) == before


def test_database_conflicts_are_reported_like_workbook_problems(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        import_round(session, sample_workbook(), workspace=ONE_WORKSPACE, now=NOW)
        for pair in session.scalars(select(Pair)):
            pair.published_at = NOW  # a live pair, not a draft
    people = sample_workbook().participants
    other_mentor = ParticipantRow(row=5, email="sofie@firm.dk", name="Sofie", role="mentor")
    new_pairs = (PairRow(row=2, mentor_email="sofie@firm.dk", mentee_email="ana@example.org"),)
    role_swap = (replace(people[0], role="mentee", max_mentees=1), people[1], people[2], other_mentor)
    with unit_of_work(session_factory) as session:
        result = import_round(session, sample_workbook(participants=role_swap, pairs=new_pairs), workspace=ONE_WORKSPACE, now=NOW)
        assert not result.ok
        session.rollback()
    lines = "\n".join(summary_lines(result, language="da", dry_run=False))
    assert "Participants" in lines and "lars@firm.dk er allerede i et par som mentor" in lines
    assert "ana@example.org er allerede i par med lars@firm.dk" in lines
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 3


def test_reimport_never_undoes_a_profile_the_person_completed(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        import_round(session, sample_workbook(), workspace=ONE_WORKSPACE, now=NOW)
    with unit_of_work(session_factory) as session:
        ana = session.scalar(select(Participant).where(Participant.email == "ana@example.org"))
        ana.languages, ana.field, ana.language = ["English", "Portuguese"], "Civil engineering", "da"
        ana.profile_completed_at = NOW
    with unit_of_work(session_factory) as session:
        again = import_round(session, sample_workbook(), workspace=ONE_WORKSPACE, now=NOW)
    assert again.ok and not again.changed, "the same workbook changes nothing"
    people = sample_workbook().participants
    renamed = (people[0], replace(people[1], name="Ana María", field="Biology"), people[2])
    with unit_of_work(session_factory) as session:
        result = import_round(session, sample_workbook(participants=renamed), workspace=ONE_WORKSPACE, now=NOW)
    assert result.participants_updated == 1
    with unit_of_work(session_factory) as session:
        ana = session.scalar(select(Participant).where(Participant.email == "ana@example.org"))
        assert ana.name == "Ana María", "the coordinator still owns the name"
        assert (ana.field, ana.languages, ana.language) == ("Civil engineering", ["English", "Portuguese"], "da")


def test_draft_pairs_follow_the_workbook_but_published_pairs_stay(session_factory) -> None:  # noqa: ANN001
    people = sample_workbook().participants
    sofie = ParticipantRow(row=5, email="sofie@firm.dk", name="Sofie", role="mentor", languages=("English",))
    with unit_of_work(session_factory) as session:
        import_round(session, sample_workbook(participants=(*people, sofie)), workspace=ONE_WORKSPACE, now=NOW)
    # In Excel the coordinator gives Ana to Sofie instead of Lars: the draft changes.
    moved = (PairRow(row=2, mentor_email="sofie@firm.dk", mentee_email="ana@example.org"),)
    with unit_of_work(session_factory) as session:
        result = import_round(session, sample_workbook(participants=(*people, sofie), pairs=moved), workspace=ONE_WORKSPACE,
                              now=NOW)
    assert result.ok and (result.pairs_created, result.pairs_removed) == (1, 1)
    with unit_of_work(session_factory) as session:
        (pair,) = session.scalars(select(Pair)).all()
        assert pair.mentor.email == "sofie@firm.dk"
        pair.published_at = NOW  # published: now it is live
    back = (PairRow(row=2, mentor_email="lars@firm.dk", mentee_email="ana@example.org"),)
    with unit_of_work(session_factory) as session:
        refused = import_round(session, sample_workbook(participants=(*people, sofie), pairs=back), workspace=ONE_WORKSPACE,
                               now=NOW)
        assert not refused.ok
        session.rollback()
    assert "already paired with sofie@firm.dk" in "\n".join(summary_lines(refused, language="en", dry_run=False))
    with unit_of_work(session_factory) as session:
        assert import_round(session, sample_workbook(participants=(*people, sofie), pairs=()), workspace=ONE_WORKSPACE,
                            now=NOW).pairs_removed == 0


# --- company contacts, survey settings and the programme's criteria -----------------------------------

OWN_CRITERIA = (
    CriterionSpec(key="mentee_network", measure=CriterionMeasure.AGREE, roles=(Role.MENTEE,),
                  surveys=(SurveyKind.FINAL,), target=Fraction(3, 4), statement_en="My network grew.",
                  statement_da="Mit netværk er vokset.", position=1),
    CriterionSpec(key="company_retention", measure=CriterionMeasure.AGREE, roles=(Role.COMPANY_CONTACT,),
                  surveys=(), target=Fraction(2, 3), statement_en="We keep our employee.",
                  statement_da="Vi fastholder vores medarbejder.", position=2),
)


def _with_company(**changes: Any) -> RoundWorkbook:
    people = sample_workbook().participants
    ana = replace(people[1], partner_company="Lyngby Pharma")
    hanne = ParticipantRow(row=5, email="hanne@lyngbypharma.dk", name="Hanne", role="company_contact",
                           company="Lyngby Pharma", language="da")
    programme = replace(sample_workbook().programme, pulse_every_days=14, min_answers_shown=7,
                        digest_weekday=4, digest_hour=15, retention_months=36)
    return sample_workbook(**{"programme": programme, "participants": (people[0], ana, people[2], hanne), **changes})


def test_company_contacts_partner_companies_and_survey_settings_are_stored(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        result = import_round(session, _with_company(), workspace=ONE_WORKSPACE, now=NOW)
    assert result.ok and result.participants_created == 4
    with unit_of_work(session_factory) as session:
        hanne = session.scalar(select(Participant).where(Participant.email == "hanne@lyngbypharma.dk"))
        ana = session.scalar(select(Participant).where(Participant.email == "ana@example.org"))
        round_ = session.scalar(select(Round))
        assert (hanne.role, hanne.company, hanne.language) == (Role.COMPANY_CONTACT, "Lyngby Pharma", "da")
        assert ana.partner_company == "Lyngby Pharma"
        assert (round_.pulse_every_days, round_.programme.min_answers_shown) == (14, 7)
        assert (round_.digest_weekday, round_.digest_hour) == (4, 15)
        assert round_.programme.retention_months == 36
    # The coordinator owns partner_company: a re-import changes it (the profile modal never asks for it).
    people = _with_company().participants
    moved = (people[0], replace(people[1], partner_company="Nordbank"), *people[2:])
    with unit_of_work(session_factory) as session:
        assert import_round(session, _with_company(participants=moved), workspace=ONE_WORKSPACE,
                            now=NOW).participants_updated == 1
    with unit_of_work(session_factory) as session:
        ana = session.scalar(select(Participant).where(Participant.email == "ana@example.org"))
        assert ana.partner_company == "Nordbank"


def test_a_criteria_sheet_replaces_the_programmes_criteria_and_without_one_they_stay(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        first = import_round(session, sample_workbook(criteria=OWN_CRITERIA), workspace=ONE_WORKSPACE, now=NOW)
    assert (first.criteria_imported, first.criteria_changed) == (2, True)
    assert summary_lines(first, language="en", dry_run=False)[-1] == (
        "Success criteria: 2 imported; they replace the programme's criteria.")
    assert summary_lines(first, language="da", dry_run=False)[-1] == (
        "Succeskriterier: 2 importeret; de erstatter programmets succeskriterier.")
    with unit_of_work(session_factory) as session:
        programme_id = session.scalars(select(Programme.id)).one()
        assert criteria_of(session, programme_id) == OWN_CRITERIA

    # The same sheet again changes nothing, and says so.
    with unit_of_work(session_factory) as session:
        again = import_round(session, sample_workbook(criteria=OWN_CRITERIA), workspace=ONE_WORKSPACE, now=NOW)
    assert again.ok and not again.changed
    assert summary_lines(again, language="en", dry_run=False)[-2:] == [
        "Nothing changed: the round already matches this workbook.", "Success criteria: 2, unchanged."]

    # No Criteria sheet: the programme keeps its own, and the summary does not mention them.
    with unit_of_work(session_factory) as session:
        without = import_round(session, sample_workbook(), workspace=ONE_WORKSPACE, now=NOW)
        assert criteria_of(session, programme_id) == OWN_CRITERIA
    assert without.criteria_imported is None
    assert not any("criteria" in line for line in summary_lines(without, language="en", dry_run=False))

    # One criterion fewer: replaced, in the workbook's order.
    with unit_of_work(session_factory) as session:
        one = import_round(session, sample_workbook(criteria=(replace(OWN_CRITERIA[1], position=1),)),
                           workspace=ONE_WORKSPACE, now=NOW)
        assert [spec.key for spec in criteria_of(session, programme_id)] == ["company_retention"]
    assert summary_lines(one, language="en", dry_run=False)[-1] == (
        "Success criteria: 1 imported; it replaces the programme's criteria.")

    # The template's sheet (the defaults, unchanged): the programme follows the defaults again.
    with unit_of_work(session_factory) as session:
        back = import_round(session, sample_workbook(criteria=DEFAULT_CRITERIA), workspace=ONE_WORKSPACE, now=NOW)
        assert criteria_of(session, programme_id) == DEFAULT_CRITERIA
        assert not has_own_criteria(session, programme_id)
    assert back.criteria_changed and back.criteria_imported == 8
    with unit_of_work(session_factory) as session:
        assert not import_round(session, sample_workbook(criteria=DEFAULT_CRITERIA), workspace=ONE_WORKSPACE,
                                now=NOW).criteria_changed


def test_a_dry_run_or_any_problem_keeps_the_criteria_as_they_were(session_factory) -> None:  # noqa: ANN001
    admin: dict[str, Any] = {"uploader": "UADMIN", "admin_user_ids": ("UADMIN",)}
    with unit_of_work(session_factory) as session:
        dry = import_uploaded_workbook(session, workbook_bytes(sample_workbook(criteria=OWN_CRITERIA)), dry_run=True,
                                       workspace=ONE_WORKSPACE, now=NOW, **admin)
    assert dry.ok and dry.criteria_imported == 2
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Criterion)) == 0
        assert session.scalar(select(func.count()).select_from(Programme)) == 0
    # A problem elsewhere in the workbook (an email twice would be one; here the database
    # says the mentee is in a live pair already): the criteria are not imported either.
    with unit_of_work(session_factory) as session:
        import_round(session, sample_workbook(), workspace=ONE_WORKSPACE, now=NOW)
        for pair in session.scalars(select(Pair)):
            pair.published_at = NOW
    people = sample_workbook().participants
    swapped = (replace(people[0], role="mentee", max_mentees=1), *people[1:])
    with unit_of_work(session_factory) as session:
        refused = import_uploaded_workbook(
            session, workbook_bytes(sample_workbook(participants=swapped, pairs=(), criteria=OWN_CRITERIA)),
            dry_run=False, workspace=ONE_WORKSPACE, now=NOW, **admin)
    assert not refused.ok
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Criterion)) == 0


def test_a_workbook_with_a_bad_criteria_row_is_refused_whole(session_factory) -> None:  # noqa: ANN001
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook_bytes(_with_company(criteria=OWN_CRITERIA))))
    book["Criteria"]["E3"] = "company_contact, boss"
    stream = io.BytesIO()
    book.save(stream)
    with unit_of_work(session_factory) as session:
        result = import_workbook_file(session, stream.getvalue(), workspace=ONE_WORKSPACE, now=NOW)
    assert not result.ok
    assert summary_lines(result, language="en", dry_run=False)[1] == (
        'Criteria row 3, column asked_of: "boss" is not someone a criterion can be asked of. '
        "Use mentor, mentee or company_contact, separated by commas."
    )
    with unit_of_work(session_factory) as session:
        assert _counts(session) == (0, 0, 0, 0, 0)
        assert session.scalar(select(func.count()).select_from(Criterion)) == 0
