"""Erasure (GDPR art. 17) reaches every place the personal-data inventory lists, leaves
other people's data and the round's counts as they were, and makes the person a stranger."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.people import identify
from bot.pairs.end import ERASED_REASON
from bot.pairs.pauses import pair_nudge_prefixes
from bot.pairs.state import is_live_pair, live_pair
from bot.privacy.erase import CANCEL_REASON, erase_person, erased_email, erased_name, plan
from bot.privacy.inventory import FIELDS, Erasure, Field, find_person, within_programmes
from bot.surveys.scoreboard import compute_scoreboard
from storage.models import (
    DigestHandled,
    Disclosure,
    MatchConstraint,
    MatchProposal,
    MentoringSession,
    OutboxMessage,
    OutboxState,
    Outcome,
    Pair,
    PairStatus,
    Participant,
    Programme,
    Round,
    SurveyAnswer,
)
from tests.factories import make_participant, make_round
from tests.support.personal_data import (
    ADA_EMAIL,
    COORDINATOR_MARKERS,
    COORDINATOR_SLACK_ID,
    EMAIL,
    MARKERS,
    NAME,
    SLACK_ID,
    TEXTS,
    ErasureWorld,
    seed_erasure_world,
    seed_person_everywhere,
    stored_text,
    where_markers_are,
)
from tests.support.report_round import REPORT_NOW
from tests.support.workspaces import ONE_WORKSPACE

NOW = datetime(2027, 8, 1, 9, 0, tzinfo=timezone.utc)


def _counts(session: Session, round_id: int) -> tuple[object, ...]:
    board = compute_scoreboard(session, round_id=round_id, now=REPORT_NOW)
    return board.criteria, board.outcomes, board.introductions, board.responses, board.pulses


#: For every inventory entry erasure changes: a value only that place holds before erasing
#: her (and the coordinator, whose Slack id is in the coordinator columns).
ENTRY_MARKERS: dict[str, str] = {
    "participant.name": NAME, "participant.email": EMAIL, "participant.slack_user_id": SLACK_ID,
    "participant.timezone": TEXTS["timezone"], "participant.field": TEXTS["field"],
    "participant.languages": TEXTS["language"], "participant.interests": TEXTS["interest"],
    "participant.company": TEXTS["company"], "participant.partner_company": TEXTS["partner_company"],
    "participant.home_country": TEXTS["country"], "participant.goals": TEXTS["goals"],
    "participant.expertise": TEXTS["expertise"], "participant.availability": TEXTS["availability"],
    "participant.pause_reason": TEXTS["pause_reason"],
    "survey_answer.text": TEXTS["comment"],
    "outcome.recorded_by": COORDINATOR_SLACK_ID,
    "pair.channel_name": TEXTS["channel"], "pair.match_reasons $[*].params": TEXTS["reason"],
    "pair.pause_reason": TEXTS["pair_pause"],
    "mentoring_session.notes": TEXTS["notes"],
    "match_constraint.created_by": COORDINATOR_SLACK_ID, "match_proposal.created_by": COORDINATOR_SLACK_ID,
    "digest_handled.handled_by": COORDINATOR_SLACK_ID,
    "match_proposal.payload $.names[<participant id>]": NAME,
    "match_proposal.payload $.pairs[*].components[*].params": TEXTS["reason"],
    "match_proposal.payload $.unmatched[*].params": TEXTS["field"],
    "match_proposal.payload $.problems[*].params": TEXTS["problem"],
    "match_proposal.payload $.published_by": COORDINATOR_SLACK_ID,
    "disclosure.contributions $[<participant id>] (comment cells)": TEXTS["comment"],
    "outbox_message.payload $.facts": TEXTS["goals"],
    "outbox_message.payload $.channel": SLACK_ID,
    "outbox_message.target": SLACK_ID,
    "outbox_message.dedup_key": SLACK_ID,
    "outbox_message.response": "DBIRGITTE",  # her DM's channel id
}
CHANGED = [entry for entry in FIELDS if entry.erasure is not Erasure.KEEP]
#: Kept columns whose values stay exactly as they were (survey_answer.question loses the
#: comment-only rows, which are deleted; JSON columns shared with a changed entry are above).
KEPT = [entry for entry in FIELDS if entry.erasure is Erasure.KEEP and entry.json_path is None
        and entry.label != "survey_answer.question"]


def test_every_changed_entry_has_a_marker() -> None:
    assert {entry.label for entry in CHANGED} == set(ENTRY_MARKERS)


def _column(session: Session, table: str, column: str) -> list[str]:
    return stored_text(session).get((table, column), [])


@pytest.mark.parametrize("entry", CHANGED, ids=lambda entry: entry.label)
def test_erasure_reaches_every_inventory_entry(session: Session, entry: Field) -> None:
    """Her (or her coordinator's) value is in this place before, and in no place after."""
    seed_erasure_world(session)
    marker = ENTRY_MARKERS[entry.label]
    assert any(marker in text for text in _column(session, entry.table, entry.column))
    for found in (find_person(session, email=EMAIL), find_person(session, slack_user_id=COORDINATOR_SLACK_ID)):
        assert found is not None
        erase_person(session, found, now=NOW)
    assert not any(marker in text for text in _column(session, entry.table, entry.column))
    assert where_markers_are(session, (*MARKERS, *COORDINATOR_MARKERS)) == set()


@pytest.mark.parametrize("entry", KEPT, ids=lambda entry: entry.label)
def test_kept_entries_keep_their_values(session: Session, entry: Field) -> None:
    seed_erasure_world(session)
    before = sorted(_column(session, entry.table, entry.column))
    person = find_person(session, email=EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)
    assert sorted(_column(session, entry.table, entry.column)) == before


def test_her_rows_keep_their_shape_and_her_counts(session: Session) -> None:
    seeded = seed_erasure_world(session)
    board_before = _counts(session, seeded.world.round_id)
    others_before = {p.id: (p.name, p.email, p.slack_user_id, p.goals, p.timezone)
                     for p in session.scalars(select(Participant).where(Participant.id.not_in(seeded.her_ids)))}
    person = find_person(session, slack_user_id=SLACK_ID)
    assert person is not None

    counts = erase_person(session, person, now=NOW)

    assert counts.tables["participant"] == 2
    assert counts.tables["outbox_message"] == 5  # every row to or about her; not the one about a namesake
    for participant_id in seeded.her_ids:
        her = session.get_one(Participant, participant_id)
        assert (her.name, her.email, her.slack_user_id) == (erased_name(her.id), erased_email(her.id), None)
        assert her.erased_at == NOW and her.opted_out_at is not None
        assert her.goals is None and her.interests == [] and her.languages == []
    assert {p.id: (p.name, p.email, p.slack_user_id, p.goals, p.timezone) for p in session.scalars(
        select(Participant).where(Participant.id.not_in(seeded.her_ids)))} == others_before
    # The round's counts and aggregates are what they were.
    assert _counts(session, seeded.world.round_id) == board_before
    # She is a stranger to the bot now.
    assert not identify(session, workspace=ONE_WORKSPACE, slack_user_id=SLACK_ID).in_programme
    assert find_person(session, email=EMAIL) is None


def test_free_text_goes_and_numbers_stay(session: Session) -> None:
    seeded = seed_erasure_world(session)
    her = seeded.her_ids[0]
    values_before = sorted(value for value in session.scalars(select(SurveyAnswer.value).where(
        SurveyAnswer.participant_id == her)) if value is not None)
    person = find_person(session, email=EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)

    answers = session.scalars(select(SurveyAnswer).where(SurveyAnswer.participant_id == her)).all()
    assert sorted(answer.value for answer in answers if answer.value is not None) == values_before
    assert all(answer.text is None for answer in answers)  # the comment-only row is gone, the other's text nulled
    others = session.scalars(select(SurveyAnswer.text).where(SurveyAnswer.participant_id != her,
                                                             SurveyAnswer.text.is_not(None))).all()
    assert len(others) == 6
    assert all(row.notes is None for row in session.scalars(
        select(MentoringSession).where(MentoringSession.pair_id.in_(seeded.pair_ids))))
    assert session.scalars(select(MentoringSession.notes).where(MentoringSession.notes.is_not(None))).all() == []
    first, second = (session.get_one(Pair, pair_id) for pair_id in seeded.pair_ids)
    assert first.channel_name is None and first.pause_reason is None and second.channel_name is None
    assert first.match_reasons == [{"code": "matching.reason.same_field", "points": 4, "params": {}}]
    assert first.match_score == 7.5 and first.slack_channel_id == "CP1"
    outcome = session.scalars(select(Outcome).where(Outcome.participant_id == her)).one()
    assert outcome.status.value == "employed" and outcome.recorded_by == COORDINATOR_SLACK_ID  # not hers
    shown = {row.cell.split(":")[1]: row.contributions for row in session.scalars(select(Disclosure))}
    assert shown["q=comment"][str(her)] == "" and shown["q=comment"][str(seeded.world.people["e2"])] == "Comment by e2"
    assert shown["q=recommend"][str(her)] == 5


def test_outbox_rows_about_her_are_cancelled_or_trimmed_and_others_untouched(session: Session) -> None:
    seeded = seed_erasure_world(session)
    person = find_person(session, email=EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)
    rows = {row.id: row for row in session.scalars(select(OutboxMessage))}
    other = rows.pop(seeded.other_outbox_id)
    assert other.state is OutboxState.PENDING and other.trimmed_at is None and other.payload["channel"] == "UOTHER"
    assert all(row.payload == {} and row.trimmed_at == NOW for row in rows.values())
    reminder = next(row for row in rows.values() if row.dedup_key == "reminder:participant=1")
    assert reminder.state is OutboxState.CANCELLED and reminder.cancel_reason == CANCEL_REASON
    sent = next(row for row in rows.values() if row.dedup_key == "welcome:participant=1")
    assert sent.state is OutboxState.SENT and sent.response == {"ts": "1.0"}
    assert all(SLACK_ID not in row.dedup_key and row.target != SLACK_ID for row in rows.values())


def test_messages_of_another_workspace_about_someone_of_her_name_are_left_alone(session: Session) -> None:
    """Issue 13: her rounds are in workspace T0A; a message queued in T0B to someone with her
    Slack id, naming her name and email, is about someone else there."""
    seed_erasure_world(session)
    session.query(Programme).update({Programme.team_id: "T0A"})
    session.query(OutboxMessage).update({OutboxMessage.team_id: "T0A"})
    elsewhere = OutboxMessage(dedup_key="other-workspace:1", team_id="T0B", method="chat.postMessage",
                              target=SLACK_ID, payload={"channel": SLACK_ID, "text": f"{NAME} {EMAIL}"},
                              not_before=NOW, created_at=NOW)
    session.add(elsewhere)
    session.flush()
    person = find_person(session, email=EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)
    session.refresh(elsewhere)
    assert (elsewhere.state, elsewhere.trimmed_at, elsewhere.target) == (OutboxState.PENDING, None, SLACK_ID)
    assert elsewhere.payload == {"channel": SLACK_ID, "text": f"{NAME} {EMAIL}"}


def test_a_message_to_another_programmes_coordinators_about_someone_of_her_name_is_left_alone(
        session: Session) -> None:
    """Issue 13: another programme has its own person called as she is; its coordinators'
    message naming that person is not about her."""
    seed_erasure_world(session)
    other = make_round(session, programme_name="Namesakes")
    other.programme.coordinator_channel = "#namesake-coordinators"
    make_participant(session, round_=other, email="namesake@example.org", name=NAME, slack_user_id="UNAMESAKE")
    namesake = OutboxMessage(dedup_key="help:namesake", method="chat.postMessage", target="namesake-coordinators",
                             payload={"channel": "namesake-coordinators", "text": f"{NAME} asked for help"},
                             not_before=NOW, created_at=NOW)
    session.add(namesake)
    session.flush()
    person = find_person(session, email=EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)
    session.refresh(namesake)
    assert (namesake.state, namesake.trimmed_at) == (OutboxState.PENDING, None)
    assert namesake.payload["text"] == f"{NAME} asked for help"


def test_stored_proposals_lose_her_name_and_reasons_only(session: Session) -> None:
    seeded = seed_erasure_world(session)
    her = seeded.her_ids[0]
    person = find_person(session, email=EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)
    payload = session.scalars(select(MatchProposal.payload)).one()
    assert payload["names"][str(her)] == erased_name(her)
    assert payload["names"][str(seeded.world.people["m1"])] == "M1"
    assert payload["pairs"][0]["components"][0]["params"] == {} and payload["pairs"][0]["score"] == 7.5
    assert payload["pairs"][1]["components"][0]["params"] == {"field": "finance"}
    assert payload["unmatched"][0]["params"] == {} and payload["problems"][0]["params"] == {}
    assert payload["published_by"] == COORDINATOR_SLACK_ID  # the coordinator is not the one erased


def test_erasing_a_coordinator_takes_their_slack_id_out_of_what_they_did(session: Session) -> None:
    seed_erasure_world(session)
    person = find_person(session, slack_user_id=COORDINATOR_SLACK_ID)
    assert person is not None
    counts = erase_person(session, person, now=NOW)
    assert counts.tables["participant"] == 1
    assert session.scalars(select(MatchConstraint.created_by)).all() == [None]
    proposal = session.scalars(select(MatchProposal)).one()
    assert proposal.created_by is None and proposal.payload["published_by"] is None
    assert NAME in proposal.payload["names"].values()  # the mentee is not the one erased
    assert session.scalars(select(DigestHandled.handled_by)).all() == ["erased"]
    assert session.scalars(select(Outcome.recorded_by).where(Outcome.recorded_by.is_not(None))).all() == []
    assert not any(COORDINATOR_SLACK_ID in text for texts in stored_text(session).values() for text in texts)
    # The mentee she is not: her markers are all still there.
    assert where_markers_are(session, (NAME, EMAIL, TEXTS["goals"]))


def test_plan_lists_what_will_be_erased_and_changes_nothing(session: Session) -> None:
    seed_erasure_world(session)
    person = find_person(session, email=EMAIL.upper())
    assert person is not None
    before = where_markers_are(session)
    planned = plan(session, person)
    assert planned.tables["participant"] == 2 and planned.tables["outbox_message"] == 5
    assert planned.tables["pair"] == 2 and planned.tables["survey_answer"] >= 1
    assert where_markers_are(session) == before
    assert set(MARKERS) - {TEXTS["language"]}  # the markers are not empty


def test_erasing_twice_is_harmless(session: Session) -> None:
    seed_erasure_world(session)
    person = find_person(session, email=EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)
    again = erase_person(session, person, now=datetime(2027, 9, 1, tzinfo=timezone.utc))
    assert again.tables.get("outbox_message", 0) == 0
    assert session.scalars(select(Participant.erased_at).where(Participant.email.startswith("erased-"))).all() == [
        NOW, NOW]


# --- her live pair ends ---------------------------------------------------------------------------


def _running(session: Session, seeded: ErasureWorld) -> None:
    """The later round (where she mentors Olga in q1) still runs at NOW."""
    session.get_one(Round, seeded.later.round_id).ends_on = date(2027, 9, 30)
    session.flush()


@pytest.mark.parametrize("status", [PairStatus.ACTIVE, PairStatus.PAUSED])
def test_her_pair_in_a_running_round_ends_and_her_partner_keeps_hers(session: Session, status: PairStatus) -> None:
    seeded = seed_erasure_world(session)
    _running(session, seeded)
    live_id, over_id = seeded.pair_ids[1], seeded.pair_ids[0]
    session.get_one(Pair, live_id).status = status
    checkin = OutboxMessage(dedup_key=f"{pair_nudge_prefixes(live_id)[0]}w=1", method="notice", target="CQ1",
                            payload={"channel": "CQ1", "kind": "CheckinFacts", "facts": {}}, not_before=NOW,
                            created_at=NOW)
    session.add(checkin)
    session.flush()
    olga = session.scalars(select(Participant).where(Participant.round_id == seeded.later.round_id,
                                                     Participant.name == "Olga")).one()
    olga_before = (olga.name, olga.email, olga.slack_user_id, olga.erased_at, olga.opted_out_at)
    keys_before = set(session.scalars(select(OutboxMessage.dedup_key)))
    person = find_person(session, email=EMAIL)
    assert person is not None

    counts = erase_person(session, person, now=NOW)

    assert counts.pairs_ended == (live_id,)
    live = session.get_one(Pair, live_id)
    assert (live.status, live.end_reason, live.ended_at) == (PairStatus.ENDED, ERASED_REASON, NOW)
    assert not is_live_pair(live)
    # The report round is over: its pair keeps its status, so its report counts as before.
    over = session.get_one(Pair, over_id)
    assert (over.status, over.end_reason) == (PairStatus.ACTIVE, None)
    # The check-in that presumed the pair goes on is withdrawn by the end-of-pair rule.
    session.refresh(checkin)
    assert (checkin.state, checkin.cancel_reason) == (OutboxState.CANCELLED, "the pair ended")
    # Nothing new is queued: a goodbye or a coordinators' report would name her again.
    assert set(session.scalars(select(OutboxMessage.dedup_key))) <= keys_before | {
        key.replace(SLACK_ID, f"erased-{min(seeded.her_ids)}") for key in keys_before}
    # Olga keeps everything of hers and is free to be matched again.
    session.refresh(olga)
    assert (olga.name, olga.email, olga.slack_user_id, olga.erased_at, olga.opted_out_at) == olga_before
    assert session.scalars(select(Pair).where(Pair.mentee_id == olga.id, live_pair())).all() == []


def test_a_pair_of_a_round_over_stays_as_it_was(session: Session) -> None:
    seeded = seed_erasure_world(session)
    person = find_person(session, email=EMAIL)
    assert person is not None
    counts = erase_person(session, person, now=NOW)
    assert counts.pairs_ended == ()
    assert {session.get_one(Pair, pair_id).status for pair_id in seeded.pair_ids} == {PairStatus.ACTIVE}


def test_ada_the_export_tests_person_is_erased_everywhere_and_the_others_keep_theirs(session: Session) -> None:
    """The export tests' person (every inventory label holds a value of hers): each value in
    a place erasure changes is gone, and every private value of the others is still stored."""
    seeded = seed_person_everywhere(session)
    erasable = {entry.label for entry in CHANGED}
    gone = tuple(str(marker) for label, marker in seeded.markers.items() if label in erasable and marker is not None)
    assert len(gone) >= len(erasable) - 1  # the proposal's unmatched params hold nothing of hers
    assert where_markers_are(session, gone) != set()
    person = find_person(session, email=ADA_EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)
    assert where_markers_are(session, gone) == set()
    assert [value for value in seeded.others_private if not where_markers_are(session, (value,))] == []


def test_erasing_her_within_one_programme_leaves_the_other_programmes_part(session: Session) -> None:
    """A coordinator's erasure (`within_programmes`): her report-round row goes, with the DM
    whose key names that row; her second programme's row, pair, Slack id and a DM whose key
    cannot be told apart stay."""
    seeded = seed_erasure_world(session)
    here = seeded.world.people["e1"]
    session.add(OutboxMessage(dedup_key=f"survey:s=1:p={here}:n=1", method="notice", target=SLACK_ID,
                              payload={"channel": SLACK_ID, "name": NAME}, not_before=NOW,
                              state=OutboxState.PENDING, created_at=NOW))
    session.flush()
    person = find_person(session, email=EMAIL)
    assert person is not None
    part = within_programmes(session, person, {seeded.world.programme_id})
    assert part is not None and part.participant_ids == (here,) and part.slack_user_ids == ()
    erase_person(session, part, now=NOW)
    survey = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("survey:s=1:%"))).one()
    assert (survey.state, survey.target, survey.payload) == (OutboxState.CANCELLED, "erased", {})
    unattributed = session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedup_key == "reminder:participant=1")).one()
    assert unattributed.state is OutboxState.PENDING and unattributed.target == SLACK_ID
    later = session.scalars(select(Participant).where(Participant.round_id == seeded.later.round_id,
                                                      Participant.email == EMAIL)).one()
    assert (later.name, later.slack_user_id, later.erased_at) == (NAME, SLACK_ID, None)
    assert session.get_one(Participant, here).slack_user_id is None
    assert session.get_one(Pair, seeded.pair_ids[1]).channel_name is not None
    # Whole when nothing is elsewhere: the other programme's part is then all that is left.
    rest = find_person(session, email=EMAIL)
    assert rest is not None and within_programmes(session, rest, {seeded.later.programme_id}) == rest
    assert within_programmes(session, rest, {seeded.world.programme_id}) is None
