"""The claim that makes a session's pair-channel post happen once (bot.sessions.service.claim_post).

Racing requests (both of a pair logging one meeting, a double-clicked Confirm) each found
"no post yet" and each posted; now one claims the post in the database and the others
leave it. A claim whose request died is taken over after POST_CLAIM_EXPIRES."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy.orm import Session, sessionmaker

from bot.sessions.service import POST_CLAIM_EXPIRES, claim_post, record_post, release_post, view_of
from storage.db import unit_of_work
from storage.models import MentoringSession, Pair
from tests.nudge_world import held, standard_world

NOW = datetime(2027, 2, 2, 9, 0, tzinfo=timezone.utc)


def _logged(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as session:
        world = standard_world(session)
        return held(session, world, "la", date(2027, 2, 1)).id


def test_only_the_first_claim_posts_and_the_others_see_it_being_posted(session_factory: sessionmaker[Session]) -> None:
    session_id = _logged(session_factory)
    with unit_of_work(session_factory) as session:
        first = claim_post(session, session_id=session_id, now=NOW)
    with unit_of_work(session_factory) as session:
        second = claim_post(session, session_id=session_id, now=NOW)
        row = session.get_one(MentoringSession, session_id)
        seen = view_of(row, session.get_one(Pair, row.pair_id))
    assert first is not None and first.message_ts is None
    assert second is None
    assert seen.post_claimed and seen.message_ts is None, "a change made now leaves the drawing to the poster"
    with unit_of_work(session_factory) as session:
        recorded = record_post(session, session_id=session_id, message_ts="1796000000.000100")
    assert recorded is not None and recorded.message_ts == "1796000000.000100" and not recorded.post_claimed
    with unit_of_work(session_factory) as session:
        assert claim_post(session, session_id=session_id, now=NOW) is None, "posted: never again"


def test_a_failed_post_or_a_dead_request_lets_the_next_one_post(session_factory: sessionmaker[Session]) -> None:
    session_id = _logged(session_factory)
    with unit_of_work(session_factory) as session:
        assert claim_post(session, session_id=session_id, now=NOW) is not None
        release_post(session, session_id=session_id)  # Slack refused the post
    with unit_of_work(session_factory) as session:
        assert claim_post(session, session_id=session_id, now=NOW) is not None
    with unit_of_work(session_factory) as session:  # this request dies before recording
        assert claim_post(session, session_id=session_id, now=NOW + POST_CLAIM_EXPIRES / 2) is None
        assert claim_post(session, session_id=session_id, now=NOW + POST_CLAIM_EXPIRES) is not None


def test_a_post_slack_no_longer_has_is_forgotten_only_if_it_is_still_the_stored_one(
        session_factory: sessionmaker[Session]) -> None:
    session_id = _logged(session_factory)
    with unit_of_work(session_factory) as session:
        claim_post(session, session_id=session_id, now=NOW)
        record_post(session, session_id=session_id, message_ts="1.1")
        release_post(session, session_id=session_id, message_ts="0.9")  # an older post: not this one
        assert session.get_one(MentoringSession, session_id).channel_message_ts == "1.1"
        release_post(session, session_id=session_id, message_ts="1.1")
        assert session.get_one(MentoringSession, session_id).channel_message_ts is None
