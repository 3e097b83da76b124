"""The right of access (GDPR art. 15): everything stored about a person, and nobody else's.

Ada (tests/support/personal_data.py) has a value in every field of the personal-data
inventory; her export must hold each one, in the section the export maps it to, and must
hold none of the private values of Lars (her mentor), Zoe and Max (another pair) or the
people of the round she coordinates. The JSON is versioned and reads back the same; the
workbook opens with one sheet per section, headers in her language."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from bot.core.workspace import Workspace
from bot.i18n import t
from bot.privacy.export import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    EXPORTED_AS,
    SECTION_KEYS,
    SECTIONS,
    as_json,
    collect_personal_data,
    export_files,
    unexported_fields,
)
from bot.privacy.inventory import FIELDS
from bot.slack.render.my_data import notice_text
from storage.models import OutboxMessage, Participant, Programme
from tests.support.personal_data import (
    ADA_EMAIL,
    ADA_NAME,
    ADA_SLACK,
    COORDINATOR_SLACK_ID,
    MARKERS,
    SLACK_ID,
    seed_erasure_world,
    seed_person_everywhere,
)

NOW = datetime(2027, 7, 1, 9, 0, tzinfo=timezone.utc)


def _values(value: object) -> list[str]:
    """Every scalar inside a JSON value, as text."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _values(item)]
    if isinstance(value, list):
        return [text for item in value for text in _values(item)]
    return [] if value is None else [str(value)]


def test_every_inventory_field_has_a_place_in_the_export() -> None:
    assert unexported_fields() == []
    assert set(EXPORTED_AS) >= {entry.label for entry in FIELDS}


def test_the_export_holds_each_inventory_field_of_the_person(session: Session) -> None:
    seeded = seed_person_everywhere(session)
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK, render=notice_text)
    assert data is not None
    exported = as_json(data)["sections"]
    assert set(seeded.markers) == {entry.label for entry in FIELDS}, "the seed covers the whole inventory"
    for label, marker in seeded.markers.items():
        section, column = EXPORTED_AS[label]
        rows = exported[section]
        assert rows, f"{label}: no {section} rows"
        assert all(column in row for row in rows), f"{label}: {section} rows lack {column}"
        if marker is not None:
            found = [text for row in rows for text in _values(row[column])]
            assert str(marker) in found or any(str(marker) in text for text in found), (
                f"{label}: {marker!r} not in {section}.{column}: {found}")


def test_email_and_slack_id_find_the_same_person_in_every_round(session: Session) -> None:
    seeded = seed_person_everywhere(session)
    by_slack = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK)
    by_email = collect_personal_data(session, now=NOW, email=f"  {ADA_EMAIL.upper()} ")
    assert by_slack is not None and by_email is not None
    assert as_json(by_slack) == as_json(by_email)
    assert [row["round"] for row in as_json(by_slack)["sections"]["participation"]] == ["Spring 2027", "Autumn 2027"]
    assert len(seeded.participant_ids) == 2


def test_the_pair_names_the_partner_but_nothing_private_of_anyone_else(session: Session) -> None:
    seeded = seed_person_everywhere(session)
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK, render=notice_text)
    assert data is not None
    json_text = json.dumps(as_json(data), ensure_ascii=False)
    pairs = as_json(data)["sections"]["pairs"]
    assert [(row["partner"], row["your_role"], row["partner_role"]) for row in pairs] == [("Lars", "mentee", "mentor")]
    leaked = [value for value in seeded.others_private if value in json_text]
    assert leaked == [], f"other people's data in Ada's export: {leaked}"
    sessions = as_json(data)["sections"]["sessions"]
    assert [(row["notes"], row["logged_by"], row["confirmed_by"]) for row in sessions] == [
        ("ada-lars-session-notes", "you", "partner")]
    workbook = load_workbook(io.BytesIO(export_files(data).workbook_bytes))
    cells = [str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for cell in row if cell is not None]
    assert [value for value in seeded.others_private if any(value in cell for cell in cells)] == []


def test_messages_are_the_dm_rows_with_their_words_while_untrimmed(session: Session) -> None:
    seed_person_everywhere(session)
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK, render=notice_text)
    assert data is not None
    messages = as_json(data)["sections"]["messages"]
    assert [(row["to"], row["state"], row["kind"]) for row in messages] == [(ADA_SLACK, "sent", "PairPaused")]
    assert "ada-message-name" in (messages[0]["text"] or "")
    assert messages[0]["response"] == {"ts": "1700000000.000100", "channel": "DADA"}


def test_a_request_from_a_workspace_exports_only_the_dms_sent_there(session: Session) -> None:
    """Issue 13: Ada's Slack id in another workspace is someone else there; a DM to that id
    sent with the other workspace's token is not hers to read from this one."""
    seed_person_everywhere(session)
    session.query(Programme).update({Programme.team_id: "T0A"})
    ours = session.query(OutboxMessage).filter_by(target=ADA_SLACK).one()
    ours.team_id = "T0A"
    session.add(OutboxMessage(dedup_key="other-workspace:1", team_id="T0B", method="chat.postMessage",
                              target=ADA_SLACK, payload={"channel": ADA_SLACK, "text": "b-workspace-secret"},
                              not_before=NOW, created_at=NOW))
    session.flush()
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK, workspace=Workspace(team_id="T0A"))
    assert data is not None
    assert [row["dedup_key"] for row in as_json(data)["sections"]["messages"]] == [ours.dedup_key]
    operator = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK)  # the CLI sees every workspace
    assert operator is not None and len(as_json(operator)["sections"]["messages"]) == 2


def test_a_trimmed_message_is_exported_without_words(session: Session) -> None:
    seed_person_everywhere(session)
    row = session.query(OutboxMessage).filter_by(target=ADA_SLACK).one()
    row.payload, row.trimmed_at = {"channel": ADA_SLACK}, NOW
    session.flush()
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK, render=notice_text)
    assert data is not None
    (message,) = as_json(data)["sections"]["messages"]
    assert (message["facts"], message["text"], message["trimmed_at"]) == (None, None, NOW.isoformat())


def test_json_is_versioned_iso_dated_and_round_trips(session: Session) -> None:
    seed_person_everywhere(session)
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK, render=notice_text)
    assert data is not None
    files = export_files(data)
    document = json.loads(files.json_bytes.decode("utf-8"))
    assert (document["format"], document["version"]) == (EXPORT_FORMAT, EXPORT_VERSION)
    assert document["generated_at"] == "2027-07-01T09:00:00+00:00"
    assert list(document["sections"]) == list(SECTION_KEYS)
    for section in SECTIONS:
        for row in document["sections"][section.key]:
            assert list(row) == list(section.keys), section.key
    assert document["counts"] == {key: len(rows) for key, rows in document["sections"].items()}
    assert json.loads(json.dumps(document)) == document == as_json(data)
    consent = document["sections"]["consents"][0]
    assert datetime.fromisoformat(consent["decided_at"]).tzinfo is not None
    assert document["sections"]["sessions"][0]["held_on"] == "2027-02-10"
    assert files.json_name == "my-data-2027-07-01.json" and files.workbook_name == "my-data-2027-07-01.xlsx"


def test_the_workbook_has_a_sheet_per_section_in_the_persons_language(session: Session) -> None:
    seed_person_everywhere(session)
    for row in session.query(Participant).filter_by(slack_user_id=ADA_SLACK):
        row.language = "da"
    session.flush()
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK)
    assert data is not None and data.language == "da"
    workbook = load_workbook(io.BytesIO(export_files(data).workbook_bytes))
    assert workbook.sheetnames == [t("export.sheet.about", "da"), *(t(f"export.sheet.{key}", "da")
                                                                    for key in SECTION_KEYS)]
    participation = list(workbook[t("export.sheet.participation", "da")].iter_rows(values_only=True))
    assert participation[0][:4] == ("Program", "Forløb", "Rolle", "Navn")
    assert participation[1][2:4] == ("Mentee", ADA_NAME)
    name_cell = workbook[t("export.sheet.participation", "da")]["D2"]
    assert name_cell.data_type == "s"
    counts = {row[0]: row[1] for row in workbook[t("export.sheet.about", "da")].iter_rows(min_row=2, values_only=True)}
    assert counts[t("export.sheet.sessions", "da")] == 1
    # Times are on her clock (her newest round's zone, Copenhagen in winter): logged at 09:00 UTC.
    assert data.timezone == "Europe/Copenhagen"
    sessions = list(workbook[t("export.sheet.sessions", "da")].iter_rows(values_only=True))
    assert sessions[1][10] == datetime(2027, 3, 1, 10, 0)


def test_text_that_looks_like_a_formula_stays_text(session: Session) -> None:
    seeded = seed_person_everywhere(session)
    ada = session.get_one(Participant, seeded.participant_ids[0])
    ada.goals = '=HYPERLINK("https://evil.example","click")'
    session.flush()
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK)
    assert data is not None
    sheet = load_workbook(io.BytesIO(export_files(data).workbook_bytes))[t("export.sheet.participation", "en")]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("Goals") + 1)
    assert (cell.value, cell.data_type) == (ada.goals, "s")


def test_nobody_stored_is_none(session: Session) -> None:
    seed_person_everywhere(session)
    assert collect_personal_data(session, now=NOW, slack_user_id="UNOBODY") is None
    assert collect_personal_data(session, now=NOW, email="nobody@example.org") is None
    assert collect_personal_data(session, now=NOW) is None


def test_a_huge_value_is_whole_in_the_json_and_cut_to_what_excel_shows_in_the_workbook(session: Session) -> None:
    seeded = seed_person_everywhere(session)
    ada = session.get_one(Participant, seeded.participant_ids[0])
    ada.goals = "x" * 40_000
    session.flush()
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK)
    assert data is not None
    files = export_files(data)
    assert json.loads(files.json_bytes)["sections"]["participation"][0]["goals"] == ada.goals
    sheet = load_workbook(io.BytesIO(files.workbook_bytes))[t("export.sheet.participation", "en")]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("Goals") + 1).value
    assert isinstance(cell, str) and len(cell) == 32_767 and cell.endswith("…")


def test_the_erasure_worlds_person_finds_every_marker_of_hers_in_her_export(session: Session) -> None:
    """Birgitte, the erasure tests' person (tests/support/personal_data.py): every
    text that erasure must remove of hers, her export must show."""
    seed_erasure_world(session)
    data = collect_personal_data(session, now=NOW, slack_user_id=SLACK_ID, render=notice_text)
    assert data is not None
    document = json.dumps(as_json(data), ensure_ascii=False)
    assert [marker for marker in MARKERS if marker not in document] == []
    assert [row["round"] for row in as_json(data)["sections"]["participation"]] == ["Spring 2027", "Autumn 2028"]


def test_a_coordinators_export_says_what_they_did_but_not_whom_it_was_about(session: Session) -> None:
    seed_erasure_world(session)
    data = collect_personal_data(session, now=NOW, slack_user_id=COORDINATOR_SLACK_ID, render=notice_text)
    assert data is not None
    exported = as_json(data)
    assert sorted(row["action"] for row in exported["sections"]["coordination"]) == [
        "constraint_made", "digest_item_handled", "outcome_recorded", "proposal_computed", "proposal_published"]
    assert {row["slack_user_id"] for row in exported["sections"]["coordination"]} == {COORDINATOR_SLACK_ID}
    document = json.dumps(exported, ensure_ascii=False)
    assert [marker for marker in MARKERS if marker in document] == []


def test_match_reasons_read_as_sentences_in_the_workbook_and_stay_codes_in_the_json(session: Session) -> None:
    seed_person_everywhere(session)
    data = collect_personal_data(session, now=NOW, slack_user_id=ADA_SLACK)
    assert data is not None
    files = export_files(data)
    pairs = json.loads(files.json_bytes)["sections"]["pairs"]
    assert pairs[0]["match_reasons"] == [{"code": "matching.reason.same_field", "points": 4,
                                          "params": {"field": "ada-match-field"}}]
    sheet = load_workbook(io.BytesIO(files.workbook_bytes))[t("export.sheet.pairs", "en")]
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("Match reasons") + 1).value == t(
        "matching.reason.same_field", "en", field="ada-match-field")
