"""Hand-made pairs obey the hard rules, and a proposal survives a trip through Excel, edits included."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timezone
from fractions import Fraction

from openpyxl import load_workbook
from sqlalchemy import select

from bot.matching.review import compute_proposal, review_of, round_workbook
from bot.rounds.roster import import_round, import_workbook_file, summary_lines
from bot.rounds.workbook import (
    MeetingRow,
    PairRow,
    ParticipantRow,
    ProgrammeSettings,
    RoundWorkbook,
    read_workbook,
    workbook_bytes,
)
from bot.slack.render.match_review import reasons_text
from bot.surveys.criteria import DEFAULT_CRITERIA
from storage.db import unit_of_work
from storage.models import Pair, Participant, Role, Round
from tests.factories import EPOCH
from tests.match_factories import READY_AT, make_pair, make_ready, make_round_in
from tests.support.workspaces import ONE_WORKSPACE

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc)


def _workbook(*, pairs: tuple[PairRow, ...] = (), starts_on: date = date(2027, 2, 1)) -> RoundWorkbook:
    programme = ProgrammeSettings(
        programme="Career Mentoring", round="Spring 2027", starts_on=starts_on, ends_on=date(2027, 5, 31),
        language="en", coordinator_channel="#mentoring-coordinators", timezone="Europe/Copenhagen",
    )
    people = (
        ParticipantRow(row=2, email="lars@firm.dk", name="Lars", role="mentor", field="Engineering",
                       languages=("Danish", "English"), max_mentees=2),
        ParticipantRow(row=3, email="sofie@firm.dk", name="Sofie", role="mentor", field="Law", languages=("Danish",)),
        ParticipantRow(row=4, email="ana@example.org", name="Ana", role="mentee", field="Engineering",
                       languages=("English", "Spanish")),
        ParticipantRow(row=5, email="bo@example.org", name="Bo", role="mentee", field="Law", languages=("Danish",)),
        ParticipantRow(row=6, email="cy@example.org", name="Cy", role="mentee", field="Law",
                       languages=("Danish", "English")),
        ParticipantRow(row=7, email="mette@kommune.dk", name="Mette", role="coordinator", language="da"),
    )
    meetings = (MeetingRow(row=2, kind="kick_off", title="Kick-off", starts_at=datetime(2027, 2, 3, 17, 0),
                           duration_minutes=120, location="DTU Lyngby"),)
    return RoundWorkbook(programme=programme, meetings=meetings, participants=people, pairs=pairs)


def _problems(result) -> str:  # noqa: ANN001
    return "\n".join(summary_lines(result, language="en", dry_run=False))


def test_a_hand_made_pair_without_a_shared_language_is_refused(session_factory) -> None:  # noqa: ANN001
    pairs = (PairRow(row=2, mentor_email="sofie@firm.dk", mentee_email="ana@example.org"),
             PairRow(row=3, mentor_email="lars@firm.dk", mentee_email="bo@example.org"))
    with unit_of_work(session_factory) as session:
        result = import_round(session, _workbook(pairs=pairs), workspace=ONE_WORKSPACE, now=NOW)
        session.rollback()
    assert not result.ok
    lines = _problems(result)
    assert "Pairs row 2" in lines
    assert "sofie@firm.dk and ana@example.org share no language (Danish / English, Spanish)" in lines, \
        "languages as the workbook wrote them"
    assert "Pairs row 3" not in lines, "Lars and Bo share Danish"
    with unit_of_work(session_factory) as session:
        assert session.scalar(select(Pair)) is None and session.scalar(select(Round)) is None


def test_a_blank_languages_cell_means_the_profile_and_danish_is_rendered(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        assert import_round(session, _workbook(), workspace=ONE_WORKSPACE, now=NOW).ok
    with unit_of_work(session_factory) as session:
        sofie = session.scalar(select(Participant).where(Participant.email == "sofie@firm.dk"))
        sofie.languages = ["Danish", "Spanish"]  # she added Spanish in her profile
    workbook = _workbook(pairs=(PairRow(row=2, mentor_email="sofie@firm.dk", mentee_email="ana@example.org"),))
    blank = tuple(replace(p, languages=()) if p.email == "sofie@firm.dk" else p for p in workbook.participants)
    with unit_of_work(session_factory) as session:
        assert import_round(session, replace(workbook, participants=blank), workspace=ONE_WORKSPACE, now=NOW).ok
    bo_pair = (PairRow(row=4, mentor_email="lars@firm.dk", mentee_email="bo@example.org"),
               PairRow(row=5, mentor_email="sofie@firm.dk", mentee_email="cy@example.org"))
    bad = replace(_workbook(pairs=bo_pair), participants=tuple(
        replace(p, languages=("Swahili",)) if p.email == "cy@example.org" else p for p in workbook.participants))
    with unit_of_work(session_factory) as session:
        result = import_round(session, bad, workspace=ONE_WORKSPACE, now=NOW)
        session.rollback()
    danish = "\n".join(summary_lines(result, language="da", dry_run=False))
    assert "sofie@firm.dk og cy@example.org har intet sprog til fælles" in danish


def test_a_hand_made_pair_that_met_in_an_earlier_round_is_refused(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        autumn = make_round_in(session, name="Autumn 2026", starts_on=date(2026, 9, 1), ends_on=date(2026, 12, 20))
        lars = make_ready(session, round_=autumn, role=Role.MENTOR, email="LARS@firm.dk")
        ana = make_ready(session, round_=autumn, role=Role.MENTEE, email="ana@example.org")
        make_pair(session, mentor=lars, mentee=ana)
    pairs = (PairRow(row=2, mentor_email="lars@firm.dk", mentee_email="ana@example.org"),)
    with unit_of_work(session_factory) as session:
        result = import_round(session, _workbook(pairs=pairs), workspace=ONE_WORKSPACE, now=NOW)
        session.rollback()
    assert "Pairs row 2: lars@firm.dk and ana@example.org were already a pair in an earlier round" in _problems(result)
    # A round that starts *before* the one they met in is not "later": the same pair is fine there.
    with unit_of_work(session_factory) as session:
        earlier = import_round(session, _workbook(pairs=pairs, starts_on=date(2026, 2, 1)), workspace=ONE_WORKSPACE, now=NOW)
        assert earlier.ok, _problems(earlier)


def _make_ready_all(session_factory) -> None:  # noqa: ANN001
    """Everyone imported goes through onboarding (in Slack, consented, profiled)."""
    with unit_of_work(session_factory) as session:
        for person in session.scalars(select(Participant)):
            person.slack_user_id = "U" + person.email.split("@")[0].upper()
            person.welcome_sent_at, person.consented_at, person.profile_completed_at = EPOCH, READY_AT, READY_AT


def test_the_proposal_goes_to_excel_and_comes_back_with_edits_as_locks(session_factory, tmp_path) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        assert import_round(session, _workbook(), workspace=ONE_WORKSPACE, now=NOW).ok
    _make_ready_all(session_factory)
    with unit_of_work(session_factory) as session:
        row = compute_proposal(session, round_id=session.scalars(select(Round.id)).one(), now=NOW, created_by="cli")
        review = review_of(row)
        exported = round_workbook(session, proposal_id=row.id, reasons_text=reasons_text)
        people = {p.id: p.email for p in session.scalars(select(Participant))}
    proposed = {(people[p.mentor_id], people[p.mentee_id]) for p in review.proposal.pairs}
    assert proposed == {("lars@firm.dk", "ana@example.org"), ("sofie@firm.dk", "bo@example.org"),
                        ("lars@firm.dk", "cy@example.org")}

    data = workbook_bytes(exported, pair_extra_columns=("score", "reasons"))
    book = load_workbook(io.BytesIO(data))
    sheet = book["Pairs"]
    header = [cell.value for cell in sheet[1]]
    assert header == ["mentor_email", "mentee_email", "score", "reasons"]
    rows = {(r[0], r[1]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    lars_ana = rows[("lars@firm.dk", "ana@example.org")]
    assert isinstance(lars_ana[2], (int, float)) and lars_ana[2] > 0, "the score is a number Excel can sort"
    # As the people wrote them (the workbook says "Engineering", "English"), not lower-cased.
    reasons = str(lars_ana[3])
    assert "Same field: Engineering (+4)" in reasons and "Shared language: English" in reasons

    # Read back unedited: valid, and importing it changes nobody.
    workbook, problems = read_workbook(data)
    assert problems == [] and workbook is not None and len(workbook.pairs) == 3
    assert workbook.pairs[0].extra.keys() == {"score", "reasons"}

    # The coordinator edits in Excel: Cy goes to Sofie instead of Lars; Bo's row is deleted.
    for excel_row in range(2, sheet.max_row + 1):
        mentee = sheet.cell(excel_row, 2).value
        if mentee == "cy@example.org":
            sheet.cell(excel_row, 1).value = "sofie@firm.dk"
        if mentee == "bo@example.org":
            sheet.delete_rows(excel_row)
            break
    path = tmp_path / "proposal.xlsx"
    book.save(path)
    with unit_of_work(session_factory) as session:
        result = import_workbook_file(session, path.read_bytes(), workspace=ONE_WORKSPACE, now=NOW)
    assert result.ok, _problems(result)
    assert result.pairs_created == 2 and result.participants_updated == 0 and result.participants_created == 0

    with unit_of_work(session_factory) as session:
        drafts = {(people[p.mentor_id], people[p.mentee_id]) for p in session.scalars(select(Pair))}
        assert drafts == {("lars@firm.dk", "ana@example.org"), ("sofie@firm.dk", "cy@example.org")}
        assert all(p.published_at is None for p in session.scalars(select(Pair)))
        again = review_of(compute_proposal(session, round_id=session.scalars(select(Round.id)).one(), now=NOW,
                                           created_by="cli"))
    locked = {(people[p.mentor_id], people[p.mentee_id]): p.locked for p in again.proposal.pairs}
    assert locked[("lars@firm.dk", "ana@example.org")] is True
    assert locked[("sofie@firm.dk", "cy@example.org")] is True
    assert locked.get(("lars@firm.dk", "bo@example.org")) is False, "Bo, deleted in Excel, is matched by the optimiser"


def test_an_edit_that_breaks_a_hard_rule_is_refused_on_the_way_back(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        assert import_round(session, _workbook(), workspace=ONE_WORKSPACE, now=NOW).ok
    _make_ready_all(session_factory)
    with unit_of_work(session_factory) as session:
        row = compute_proposal(session, round_id=session.scalars(select(Round.id)).one(), now=NOW, created_by="cli")
        data = workbook_bytes(round_workbook(session, proposal_id=row.id, reasons_text=reasons_text),
                              pair_extra_columns=("score", "reasons"))
    book = load_workbook(io.BytesIO(data))
    sheet = book["Pairs"]
    for excel_row in range(2, sheet.max_row + 1):
        mentee = sheet.cell(excel_row, 2).value
        if mentee == "ana@example.org":
            sheet.cell(excel_row, 1).value = "sofie@firm.dk"  # Sofie speaks only Danish, Ana none
        elif mentee == "bo@example.org":
            sheet.cell(excel_row, 1).value = "lars@firm.dk"  # a swap, so nobody is over capacity
    stream = io.BytesIO()
    book.save(stream)
    with unit_of_work(session_factory) as session:
        result = import_workbook_file(session, stream.getvalue(), workspace=ONE_WORKSPACE, now=NOW)
        session.rollback()
    assert not result.ok and "share no language" in _problems(result)


def test_company_contacts_are_never_proposed_and_the_export_keeps_them_and_the_criteria(session_factory) -> None:  # noqa: ANN001
    """A company contact (even one who looks ready: in Slack, consented, profiled) is never a
    candidate; the exported workbook still lists them, with the mentees' partner companies,
    the survey settings and the programme's own criteria, and imports back unchanged."""
    base = _workbook()
    people = (*base.participants[:2], replace(base.participants[2], partner_company="Lyngby Pharma"),
              *base.participants[3:],
              ParticipantRow(row=8, email="hanne@lyngbypharma.dk", name="Hanne", role="company_contact",
                             field="Law", languages=("Danish", "English"), company="Lyngby Pharma"))
    chosen = (replace(DEFAULT_CRITERIA[0], target=Fraction(3, 4)), DEFAULT_CRITERIA[-1])
    criteria = tuple(replace(spec, position=index) for index, spec in enumerate(chosen, start=1))
    workbook = replace(base, participants=people, criteria=criteria,
                       programme=replace(base.programme, pulse_every_days=28, min_answers_shown=6))
    with unit_of_work(session_factory) as session:
        assert import_round(session, workbook, workspace=ONE_WORKSPACE, now=NOW).ok
    _make_ready_all(session_factory)
    with unit_of_work(session_factory) as session:
        row = compute_proposal(session, round_id=session.scalars(select(Round.id)).one(), now=NOW, created_by="cli")
        review = review_of(row)
        exported = round_workbook(session, proposal_id=row.id, reasons_text=reasons_text)
        hanne_id = session.scalars(select(Participant.id).where(Participant.role == Role.COMPANY_CONTACT)).one()
    assert hanne_id not in {pid for pair in review.proposal.pairs for pid in (pair.mentor_id, pair.mentee_id)}
    assert hanne_id not in {entry.participant_id for entry in review.proposal.unmatched}

    back, problems = read_workbook(workbook_bytes(exported, pair_extra_columns=("score", "reasons")))
    assert problems == [] and back is not None
    assert back.criteria == criteria
    assert (back.programme.pulse_every_days, back.programme.min_answers_shown) == (28, 6)
    by_email = {person.email: person for person in back.participants}
    assert by_email["hanne@lyngbypharma.dk"].role == "company_contact"
    assert by_email["ana@example.org"].partner_company == "Lyngby Pharma"
    with unit_of_work(session_factory) as session:
        again = import_round(session, replace(back, pairs=()), workspace=ONE_WORKSPACE, now=NOW)
    assert again.ok and again.participants_updated == 0 and not again.criteria_changed
