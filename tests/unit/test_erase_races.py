"""Erasure racing the person's own clicks (issue 12, tried as its users would).

A coordinator confirms an erasure at the moment the person submits their profile. The
erasure must win whichever commits first: nothing the person typed may be left on the
erased row. Run with TEST_DATABASE_URL (PostgreSQL, READ COMMITTED) too, where the two
transactions really interleave; on SQLite BEGIN IMMEDIATE serialises them.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timezone

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from bot.onboarding.profile import ProfileAccess, ProfileForm, ProfileSaveResult, save_profile
from bot.privacy.erase import CANCEL_REASON, erase_person
from bot.privacy.inventory import find_person
from bot.sessions.service import SessionEntry, log_session
from bot.surveys.service import AnswerResult, AnswerStatus, submit_survey
from scheduling.deliverer import release_in_flight_claims
from storage.db import unit_of_work
from storage.models import MentoringSession, OutboxMessage, OutboxState, Pair, Participant, SurveyAnswer, SurveyInvitation
from tests.support.concurrency import at_first_write
from tests.support.personal_data import ADA_EMAIL, ADA_SLACK, seed_person_everywhere
from tests.support.workspaces import ONE_WORKSPACE

NOW = datetime(2027, 3, 2, 9, 0, tzinfo=timezone.utc)
TYPED = "typed-while-being-erased"


def test_a_profile_saved_while_she_is_erased_leaves_nothing_she_typed(
        session: Session, session_factory: sessionmaker[Session]) -> None:
    seeded = seed_person_everywhere(session)
    ada_id = seeded.world.people["ada"]
    # She has not written her availability yet: the erasure read it as empty.
    session.get_one(Participant, ada_id).availability = None
    session.commit()

    def submit_profile() -> ProfileSaveResult:
        with unit_of_work(session_factory) as other:
            return save_profile(other, workspace=ONE_WORKSPACE, slack_user_id=ADA_SLACK, participant_id=ada_id, now=NOW,
                                form=ProfileForm(
                field="Finance", years_experience="3", languages="English", interests="chess",
                statement="Find work", availability=TYPED, language="en", timezone="Europe/Copenhagen"))

    with unit_of_work(session_factory) as eraser:
        person = find_person(eraser, email=seeded.email)
        assert person is not None
        finish = at_first_write(eraser, submit_profile)
        erase_person(eraser, person, now=NOW)
    answer = finish()
    # PostgreSQL: her save commits between the erasure's read and its write. SQLite: it waits
    # for the erasure and finds her row no longer hers. Either way nothing she typed stays.
    assert answer.saved is not None or answer.access is ProfileAccess.NOT_YOURS, answer

    with session_factory() as check:
        ada = check.get_one(Participant, ada_id)
        assert ada.erased_at is not None
        left = {"availability": ada.availability, "field": ada.field, "goals": ada.goals,
                "languages": ada.languages, "interests": ada.interests, "timezone": ada.timezone}
        assert left == {"availability": None, "field": None, "goals": None, "languages": [], "interests": [],
                        "timezone": None}


def test_a_survey_comment_sent_while_she_is_erased_is_not_kept(
        session: Session, session_factory: sessionmaker[Session]) -> None:
    """Her pulse's comment form is checked (the invitation is hers), then the coordinator's
    erasure runs and commits, then her comment is written: it must not outlive her."""
    seeded = seed_person_everywhere(session)
    ada_id = seeded.world.people["ada"]
    invitation_id = session.scalars(select(SurveyInvitation.id).where(SurveyInvitation.participant_id == ada_id)).one()
    session.commit()

    def erase() -> None:
        with unit_of_work(session_factory) as eraser:
            person = find_person(eraser, email=seeded.email)
            assert person is not None
            erase_person(eraser, person, now=NOW)

    answer: AnswerResult | None = None
    with unit_of_work(session_factory) as submitter:
        finish = at_first_write(submitter, erase, bulk_insert=True, grace=3.0)
        answer = submit_survey(submitter, workspace=ONE_WORKSPACE, invitation_id=invitation_id, slack_user_id=ADA_SLACK,
                               values={},
                               comment=TYPED, consent=None, now=NOW)
    if answer.status is AnswerStatus.NOT_YOURS:
        pass  # the erasure went first and her click found the invitation no longer hers
    else:
        finish()

    with session_factory() as check:
        assert check.get_one(Participant, ada_id).erased_at is not None
        texts = check.scalars(select(SurveyAnswer.text).where(SurveyAnswer.participant_id == ada_id)).all()
        assert TYPED not in texts and [text for text in texts if text] == [], answer


def test_a_session_logged_by_her_partner_as_she_is_erased_keeps_no_notes(
        session: Session, session_factory: sessionmaker[Session]) -> None:
    """Lars's log finds their pair live, then her erasure ends the pair and empties its
    notes and commits, then his log takes the pair's lock: the notes (about both of them)
    must not be written to a pair she was erased from."""
    seeded = seed_person_everywhere(session)
    pair_id = session.scalars(select(Pair.id).where(Pair.slack_channel_id == "CPAIRLA")).one()
    session.get_one(Participant, seeded.world.people["lars"]).slack_user_id = "ULARS"
    session.commit()

    def erase() -> None:
        with unit_of_work(session_factory) as eraser:
            person = find_person(eraser, email=seeded.email)
            assert person is not None
            erase_person(eraser, person, now=NOW)

    eraser = threading.Thread(target=erase, daemon=True)

    def before_the_lock(state: ORMExecuteState) -> None:
        if state.is_select and getattr(state.statement, "_for_update_arg", None) is not None \
                and not eraser.is_alive() and eraser.ident is None:
            eraser.start()
            eraser.join(timeout=3.0)  # SQLite: the log holds the write lock and the erasure waits

    with unit_of_work(session_factory) as logger:
        event.listen(logger, "do_orm_execute", before_the_lock)
        outcome = log_session(logger, workspace=ONE_WORKSPACE, slack_user_id="ULARS", pair_id=pair_id, now=NOW,
                              entry=SessionEntry(
            held_on=date(2027, 3, 1), duration_minutes=60, notes=TYPED))
    eraser.join(timeout=30.0)
    assert eraser.ident is not None and not eraser.is_alive()

    with session_factory() as check:
        notes = check.scalars(select(MentoringSession.notes).where(MentoringSession.pair_id == pair_id)).all()
        assert [note for note in notes if note] == [], outcome


def test_a_message_to_her_in_flight_as_she_is_erased_is_withdrawn_not_retried_empty(
        session: Session, session_factory: sessionmaker[Session]) -> None:
    """A worker has claimed a DM to her (state sending) when she is erased. The erasure
    empties its payload; left `sending`, a failed call or a worker's death put it back to
    pending with nothing to draw, and it failed as unrenderable with an error logged. It is
    withdrawn like a pending one, and the worker's release of it changes nothing."""
    seed_person_everywhere(session)
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.target == ADA_SLACK)).one()
    row.state, row.claimed_at, row.sent_at, row.response = OutboxState.SENDING, NOW, None, None
    session.commit()
    row_id = row.id

    with unit_of_work(session_factory) as eraser:
        person = find_person(eraser, email=ADA_EMAIL)
        assert person is not None
        erase_person(eraser, person, now=NOW)
    with unit_of_work(session_factory) as taking_over:  # the worker died; the next one takes over
        release_in_flight_claims(taking_over, now=NOW)

    with session_factory() as check:
        after = check.get_one(OutboxMessage, row_id)
        assert (after.state, after.cancel_reason, after.payload) == (OutboxState.CANCELLED, CANCEL_REASON, {})
