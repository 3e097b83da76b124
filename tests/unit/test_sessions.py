"""The logging service: who may log, what is valid, one meeting is one session, author-only edits.

The clock says Tuesday 2 February 2027, 10:00 in Copenhagen; the round began on 1 February.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.sessions.parser import ParseIssue
from bot.sessions.service import (
    DURATION,
    HELD_ON,
    INTRODUCTIONS,
    NOTES,
    NOTES_LIMIT,
    PAIR_FIELD,
    TOPICS_FIELD,
    Change,
    LogFormInput,
    LogStatus,
    Refusal,
    SessionEntry,
    confirm_session,
    delete_session,
    list_sessions,
    load_edit_form,
    load_log_form,
    log_session,
    pair_language,
    quick_log,
    record_post,
    submit_log_form,
    update_session,
)
from storage.models import MentoringSession, Pair, PairStatus, Participant, Role, Round
from tests.factories import EPOCH, make_participant, make_round
from tests.support.workspaces import ONE_WORKSPACE

NOW = datetime(2027, 2, 2, 9, 0, tzinfo=timezone.utc)
YESTERDAY = date(2027, 2, 1)


@pytest.fixture
def round_(session: Session) -> Round:
    return make_round(session)


@pytest.fixture
def pair(session: Session, round_: Round) -> Pair:
    ana = make_participant(session, round_=round_, email="ana@x.org", name="Ana", slack_user_id="UANA")
    lars = make_participant(session, round_=round_, role=Role.MENTOR, email="lars@x.dk", name="Lars",
                            slack_user_id="ULARS", language="da")
    pair = Pair(round=round_, mentor=lars, mentee=ana, slack_channel_id="CPAIR", created_at=EPOCH, published_at=EPOCH)
    session.add(pair)
    session.flush()
    return pair


def entry(held_on: date = YESTERDAY, minutes: int = 45, **kwargs: object) -> SessionEntry:
    return SessionEntry(held_on=held_on, duration_minutes=minutes, **kwargs)  # type: ignore[arg-type]


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(MentoringSession)) or 0


def log(session: Session, user: str = "UANA", **kwargs: object):  # noqa: ANN201
    return log_session(session, workspace=ONE_WORKSPACE, slack_user_id=user, entry=entry(**kwargs), now=NOW)  # type: ignore[arg-type]


# --- logging --------------------------------------------------------------------------------

def test_a_session_is_stored_with_its_details(session: Session, pair: Pair) -> None:
    outcome = log(session, topics=("networking", "cv", "cv", "nonsense"), introductions_made=2, notes="  Good <b>  ")
    assert outcome.status is LogStatus.LOGGED and outcome.stored and outcome.language == "en"
    row = session.get(MentoringSession, outcome.session.session_id)
    assert (row.pair_id, row.held_on, row.duration_minutes) == (pair.id, YESTERDAY, 45)
    assert row.topics == ["cv", "networking"]  # known topics, once each, in order
    assert row.introductions_made == 2 and row.notes == "Good <b>"
    assert row.logged_by_id == pair.mentee_id and row.confirmed_by_id is None
    assert row.created_at == NOW and row.channel_message_ts is None
    view = outcome.session
    assert (view.author_name, view.partner_name, view.partner_user_id) == ("Ana", "Lars", "ULARS")
    assert view.channel_id == "CPAIR" and not view.confirmed and view.language == "en"


def test_both_sides_logging_the_same_meeting_is_one_session_confirmed_by_two(session: Session, pair: Pair) -> None:
    first = log(session, "UANA", topics=("cv",), notes="CV done")
    second = log(session, "ULARS", held_on=YESTERDAY + timedelta(days=1), minutes=60, topics=("networking",),
                 introductions_made=1, notes="Introduced her to Bo")
    assert second.status is LogStatus.CONFIRMED and second.language == "da" and second.differs
    assert count(session) == 1
    row = session.get(MentoringSession, first.session.session_id)
    assert row.logged_by_id == pair.mentee_id and row.confirmed_by_id == pair.mentor_id
    assert (row.held_on, row.duration_minutes) == (YESTERDAY, 45)  # the author's record stands
    assert row.topics == ["cv", "networking"] and row.introductions_made == 1
    assert row.notes == "CV done\n\nLars: Introduced her to Bo"
    assert second.session.confirmed and second.session.session_id == row.id


def test_logging_again_changes_nothing_whoever_does_it(session: Session, pair: Pair) -> None:
    log(session, "UANA")
    assert log(session, "UANA", minutes=90).status is LogStatus.ALREADY_LOGGED
    log(session, "ULARS")
    assert log(session, "ULARS", held_on=YESTERDAY - timedelta(days=1)).status is LogStatus.ALREADY_LOGGED
    assert count(session) == 1
    assert session.scalars(select(MentoringSession)).one().duration_minutes == 45
    # Ana's own log of the next day is another meeting: an author's date is exact (issue 8, defect 9).
    assert log(session, "UANA", held_on=YESTERDAY + timedelta(days=1)).status is LogStatus.LOGGED
    assert count(session) == 2


def test_meetings_two_days_apart_are_two_sessions(session: Session, pair: Pair) -> None:
    log(session, "UANA", held_on=date(2027, 1, 30))
    assert log(session, "ULARS", held_on=date(2027, 2, 1)).status is LogStatus.LOGGED
    assert count(session) == 2


def test_the_same_meeting_is_matched_to_the_closest_session(session: Session, pair: Pair) -> None:
    log(session, "UANA", held_on=date(2027, 1, 28))
    log(session, "UANA", held_on=date(2027, 1, 30))
    outcome = log(session, "ULARS", held_on=date(2027, 1, 29))  # within a day of both: the older one wins a tie
    assert outcome.status is LogStatus.CONFIRMED and outcome.session.held_on == date(2027, 1, 28)
    outcome = log(session, "ULARS", held_on=date(2027, 1, 31))
    assert outcome.status is LogStatus.CONFIRMED and outcome.session.held_on == date(2027, 1, 30)
    assert count(session) == 2


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"held_on": date(2027, 2, 3)}, HELD_ON, "in the future"),
        ({"held_on": date(2026, 11, 1)}, HELD_ON, "before the round began"),
        ({"minutes": 4}, DURATION, "less than 5 minutes"),
        ({"minutes": 481}, DURATION, "more than 8 hours"),
        ({"introductions_made": 51}, INTRODUCTIONS, "0 to 50"),
        ({"notes": "x" * (NOTES_LIMIT + 1)}, NOTES, "3000 characters"),
    ],
)
def test_invalid_sessions_are_explained_and_not_stored(session: Session, pair: Pair, kwargs: dict, field: str,
                                                       words: str) -> None:
    outcome = log(session, **kwargs)
    assert outcome.status is LogStatus.INVALID and not outcome.stored
    assert list(outcome.errors) == [field] and words in outcome.errors[field]
    assert count(session) == 0


def test_the_limits_themselves_are_allowed(session: Session, pair: Pair) -> None:
    assert log(session, minutes=5, held_on=date(2027, 1, 20)).status is LogStatus.LOGGED
    assert log(session, minutes=480, held_on=date(2027, 1, 25)).status is LogStatus.LOGGED
    assert log(session, held_on=date(2027, 2, 2)).status is LogStatus.LOGGED  # today


def test_the_future_is_judged_in_the_loggers_own_time_zone(session: Session, pair: Pair) -> None:
    late = datetime(2027, 2, 2, 23, 30, tzinfo=timezone.utc)  # Copenhagen: 3 Feb 00:30; São Paulo: 2 Feb 20:30
    feb3 = entry(held_on=date(2027, 2, 3))
    assert log_session(session, workspace=ONE_WORKSPACE, slack_user_id="ULARS", entry=feb3, now=late).status is LogStatus.LOGGED
    session.get(Participant, pair.mentee_id).timezone = "America/Sao_Paulo"
    outcome = log_session(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", entry=entry(held_on=date(2027, 2, 5)), now=late)
    assert outcome.status is LogStatus.INVALID and "2 February 2027" in outcome.errors[HELD_ON]


def test_no_pair_a_coordinator_a_paused_or_ended_pair_are_refused(session: Session, round_: Round, pair: Pair
                                                                     ) -> None:
    make_participant(session, round_=round_, email="zoe@x.org", name="Zoe", slack_user_id="UZOE")
    make_participant(session, round_=round_, role=Role.COORDINATOR, email="m@x.dk", name="Mette",
                     slack_user_id="UMETTE", language="da")
    assert log(session, "UZOE").refusal is Refusal.NO_PAIR
    assert log(session, "UNOBODY").refusal is Refusal.NO_PAIR
    coordinator = log(session, "UMETTE")
    assert coordinator.refusal is Refusal.COORDINATOR and coordinator.language == "da"
    pair.status = PairStatus.PAUSED
    paused = log(session, "UANA")
    assert paused.status is LogStatus.REFUSED and paused.refusal is Refusal.PAIR_PAUSED
    pair.status = PairStatus.ENDED
    assert log(session, "ULARS").refusal is Refusal.PAIR_ENDED
    assert count(session) == 0


def test_a_pair_named_by_a_button_must_be_yours(session: Session, round_: Round, pair: Pair) -> None:
    zoe = make_participant(session, round_=round_, email="zoe@x.org", name="Zoe", slack_user_id="UZOE")
    bo = make_participant(session, round_=round_, role=Role.MENTOR, email="bo@x.dk", name="Bo", slack_user_id="UBO")
    other = Pair(round=round_, mentor=bo, mentee=zoe, created_at=EPOCH, published_at=EPOCH)
    session.add(other)
    session.flush()
    outcome = log_session(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", entry=entry(), now=NOW, pair_id=other.id)
    assert outcome.refusal is Refusal.NOT_IN_PAIR and count(session) == 0


def test_a_mentor_with_two_mentees_is_asked_which_unless_the_channel_says(session: Session, round_: Round,
                                                                             pair: Pair) -> None:
    zoe = make_participant(session, round_=round_, email="zoe@x.org", name="Zoe", slack_user_id="UZOE")
    second = Pair(round=round_, mentor=pair.mentor, mentee=zoe, slack_channel_id="CZOE", created_at=EPOCH,
                  published_at=EPOCH)
    session.add(second)
    session.flush()
    asked = log(session, "ULARS")
    assert asked.status is LogStatus.NEEDS_FORM and count(session) == 0
    assert sorted(choice.partner_name for choice in asked.form.pairs) == ["Ana", "Zoe"]
    here = log_session(session, workspace=ONE_WORKSPACE, slack_user_id="ULARS", entry=entry(), now=NOW, channel_id="CZOE")
    assert here.status is LogStatus.LOGGED and here.session.pair_id == second.id
    picked = submit_log_form(session, workspace=ONE_WORKSPACE, slack_user_id="ULARS", now=NOW, pair_id=None, session_id=None,
                             values=LogFormInput(pair=str(pair.id), held_on="2027-01-30", duration="1h"))
    assert picked.status is LogStatus.LOGGED and picked.session.pair_id == pair.id
    unpicked = submit_log_form(session, workspace=ONE_WORKSPACE, slack_user_id="ULARS", now=NOW, pair_id=None, session_id=None,
                               values=LogFormInput(held_on="2027-01-20", duration="1h"))
    assert unpicked.status is LogStatus.INVALID and PAIR_FIELD in unpicked.errors


# --- the quick note -------------------------------------------------------------------------

def test_a_complete_quick_note_logs_at_once(session: Session, pair: Pair) -> None:
    outcome = quick_log(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", text="yesterday 45m CV review", now=NOW)
    assert outcome.status is LogStatus.LOGGED
    assert (outcome.session.held_on, outcome.session.duration_minutes, outcome.session.topics) == (
        YESTERDAY, 45, ("cv",))
    assert outcome.session.notes == "CV review"


def test_an_unclear_quick_note_asks_with_what_was_understood(session: Session, pair: Pair) -> None:
    outcome = quick_log(session, workspace=ONE_WORKSPACE, slack_user_id="ULARS", text="i går 45 netværk", now=NOW)
    assert outcome.status is LogStatus.NEEDS_FORM and outcome.language == "da" and count(session) == 0
    form = outcome.form
    assert form.pair_id == pair.id and form.today == date(2027, 2, 2) and form.pairs == ()
    assert form.draft.held_on == YESTERDAY and form.draft.duration_minutes is None
    assert form.draft.topics == ("networking",)
    assert [problem.issue for problem in form.draft.problems] == [ParseIssue.AMBIGUOUS_DURATION]


def test_a_quick_note_with_a_future_date_is_explained(session: Session, pair: Pair) -> None:
    outcome = quick_log(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", text="tomorrow 45m", now=NOW)
    assert outcome.status is LogStatus.INVALID and HELD_ON in outcome.errors and count(session) == 0


def test_a_quick_note_from_someone_unmatched_is_refused_before_reading_it(session: Session, round_: Round) -> None:
    make_participant(session, round_=round_, email="zoe@x.org", name="Zoe", slack_user_id="UZOE")
    outcome = quick_log(session, workspace=ONE_WORKSPACE, slack_user_id="UZOE", text="", now=NOW)
    assert outcome.status is LogStatus.REFUSED and outcome.refusal is Refusal.NO_PAIR and outcome.form is None


# --- confirming -----------------------------------------------------------------------------

def test_i_was_there_too_confirms_only_for_the_partner(session: Session, round_: Round, pair: Pair) -> None:
    session_id = log(session, "UANA").session.session_id
    make_participant(session, round_=round_, email="zoe@x.org", name="Zoe", slack_user_id="UZOE")
    assert confirm_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="UANA",
                           now=NOW).refusal is Refusal.AUTHOR_CONFIRMS
    assert confirm_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="UZOE",
                           now=NOW).refusal is Refusal.NOT_IN_PAIR
    assert session.get(MentoringSession, session_id).confirmed_by_id is None
    confirmed = confirm_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="ULARS", now=NOW)
    assert confirmed.status is LogStatus.CONFIRMED and confirmed.session.confirmed
    assert session.get(MentoringSession, session_id).confirmed_by_id == pair.mentor_id
    again = confirm_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="ULARS", now=NOW)
    assert again.status is LogStatus.ALREADY_LOGGED
    assert confirm_session(session, workspace=ONE_WORKSPACE, session_id=999, slack_user_id="ULARS",
                           now=NOW).refusal is Refusal.GONE
    assert count(session) == 1


# --- editing and deleting -------------------------------------------------------------------

def test_only_the_author_edits_and_the_changes_are_listed(session: Session, pair: Pair) -> None:
    session_id = log(session, "UANA", topics=("cv",)).session.session_id
    new = entry(held_on=date(2027, 1, 31), minutes=60, topics=("cv", "networking"), introductions_made=1,
                notes="More")
    refused = update_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="ULARS", entry=new, now=NOW)
    assert refused.refusal is Refusal.NOT_AUTHOR and refused.language == "da"
    assert session.get(MentoringSession, session_id).duration_minutes == 45
    assert load_edit_form(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="ULARS",
                          now=NOW).refusal is Refusal.NOT_AUTHOR

    form = load_edit_form(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="UANA", now=NOW).form
    assert form.session_id == session_id and form.draft.duration_minutes == 45 and form.draft.topics == ("cv",)
    later = NOW + timedelta(hours=1)
    outcome = update_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="UANA", entry=new, now=later)
    assert outcome.status is LogStatus.UPDATED
    assert outcome.changes == (
        Change(HELD_ON, YESTERDAY, date(2027, 1, 31)),
        Change(DURATION, 45, 60),
        Change(TOPICS_FIELD, ("cv",), ("cv", "networking")),
        Change(INTRODUCTIONS, 0, 1),
        Change(NOTES, None, "More"),
    )
    row = session.get(MentoringSession, session_id)
    assert (row.held_on, row.duration_minutes, row.notes, row.updated_at) == (date(2027, 1, 31), 60, "More", later)
    same = update_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="UANA", entry=new, now=later)
    assert same.status is LogStatus.UNCHANGED


def test_an_edit_is_validated_and_may_not_move_onto_another_session(session: Session, pair: Pair) -> None:
    first = log(session, "UANA", held_on=date(2027, 1, 25)).session.session_id
    log(session, "UANA", held_on=YESTERDAY)
    future = update_session(session, workspace=ONE_WORKSPACE, session_id=first, slack_user_id="UANA",
                            entry=entry(held_on=date(2027, 3, 1)),
                            now=NOW)
    assert future.status is LogStatus.INVALID and HELD_ON in future.errors
    clash = update_session(session, workspace=ONE_WORKSPACE, session_id=first, slack_user_id="UANA",
                           entry=entry(held_on=YESTERDAY), now=NOW)
    assert clash.status is LogStatus.INVALID and "already logged" in clash.errors[HELD_ON]
    assert session.get(MentoringSession, first).held_on == date(2027, 1, 25)
    # Within a day of the partner's log it is that meeting, theirs to confirm: a clash too.
    log(session, "ULARS", held_on=date(2027, 1, 20))
    near = update_session(session, workspace=ONE_WORKSPACE, session_id=first, slack_user_id="UANA",
                          entry=entry(held_on=date(2027, 1, 21)),
                          now=NOW)
    assert near.status is LogStatus.INVALID and "already logged" in near.errors[HELD_ON]
    assert session.get(MentoringSession, first).held_on == date(2027, 1, 25)
    # The day before one's own other session is another meeting (issue 8, defect 9).
    moved = update_session(session, workspace=ONE_WORKSPACE, session_id=first, slack_user_id="UANA",
                           entry=entry(held_on=date(2027, 1, 31)),
                           now=NOW)
    assert moved.status is LogStatus.UPDATED and session.get(MentoringSession, first).held_on == date(2027, 1, 31)


def test_only_the_author_deletes(session: Session, pair: Pair) -> None:
    outcome = log(session, "UANA")
    session_id = outcome.session.session_id
    record_post(session, session_id=session_id, message_ts="1.000")
    assert delete_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="ULARS",
                          now=NOW).refusal is Refusal.NOT_AUTHOR
    assert count(session) == 1
    deleted = delete_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="UANA", now=NOW)
    assert deleted.status is LogStatus.DELETED and deleted.session.message_ts == "1.000"
    assert count(session) == 0
    assert delete_session(session, workspace=ONE_WORKSPACE, session_id=session_id, slack_user_id="UANA",
                          now=NOW).refusal is Refusal.GONE


# --- the modal and the list -----------------------------------------------------------------

def test_the_modal_submission_is_read_and_checked(session: Session, pair: Pair) -> None:
    bad = submit_log_form(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW, pair_id=pair.id, session_id=None,
                          values=LogFormInput(held_on="", duration="a while", introductions="two"))
    assert bad.status is LogStatus.INVALID and set(bad.errors) == {HELD_ON, DURATION, INTRODUCTIONS}
    good = submit_log_form(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW, pair_id=pair.id, session_id=None,
                           values=LogFormInput(held_on="2027-02-01", duration="1t30", topics=("language",),
                                               introductions="3", notes=" "))
    assert good.status is LogStatus.LOGGED
    row = session.get(MentoringSession, good.session.session_id)
    assert (row.duration_minutes, row.topics, row.introductions_made, row.notes) == (90, ["language"], 3, None)
    twice = submit_log_form(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW, pair_id=pair.id, session_id=None,
                            values=LogFormInput(held_on="2027-02-01", duration="45"))
    assert twice.status is LogStatus.INVALID and "already logged" in twice.errors[HELD_ON]
    assert count(session) == 1


def test_the_log_form_opens_only_for_an_active_pair(session: Session, pair: Pair) -> None:
    opened = load_log_form(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW, pair_id=pair.id)
    assert opened.status is LogStatus.NEEDS_FORM and opened.form.pair_id == pair.id
    pair.status = PairStatus.PAUSED
    assert load_log_form(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW,
                         pair_id=pair.id).refusal is Refusal.PAIR_PAUSED
    assert load_log_form(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", now=NOW).refusal is Refusal.PAIR_PAUSED


def test_the_list_is_newest_first_and_marks_the_authors(session: Session, pair: Pair) -> None:
    log(session, "UANA", held_on=date(2027, 1, 20))
    log(session, "ULARS", held_on=date(2027, 1, 27))
    log(session, "UANA", held_on=YESTERDAY)
    listing = list_sessions(session, workspace=ONE_WORKSPACE, slack_user_id="ULARS")
    assert listing.language == "da" and listing.active_pair_id == pair.id and listing.refusal is None
    (group,) = listing.groups
    assert group.partner_name == "Ana" and group.more == 0
    assert [view.held_on for view in group.sessions] == [YESTERDAY, date(2027, 1, 27), date(2027, 1, 20)]
    assert [view.author_user_id for view in group.sessions] == ["UANA", "ULARS", "UANA"]
    short = list_sessions(session, workspace=ONE_WORKSPACE, slack_user_id="UANA", limit=2)
    assert len(short.groups[0].sessions) == 2 and short.groups[0].more == 1
    assert list_sessions(session, workspace=ONE_WORKSPACE, slack_user_id="UNOBODY").refusal is Refusal.NO_PAIR


def test_the_pair_channel_speaks_danish_only_when_both_do(session: Session, pair: Pair) -> None:
    assert pair_language(pair) == "en"
    pair.mentee.language = "da"
    assert pair_language(pair) == "da"


def test_introductions_are_counted_for_the_network_criterion(session: Session, pair: Pair) -> None:
    log(session, "UANA", held_on=date(2027, 1, 20), introductions_made=2)
    log(session, "UANA", held_on=YESTERDAY, introductions_made=3)
    total = session.scalar(select(func.sum(MentoringSession.introductions_made)))
    assert total == 5
