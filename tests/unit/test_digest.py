"""The weekly digest's domain: what it lists (against a hand count), "Handled", the weekly
schedule in the programme's zone, and that its facts survive the outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.notices import decode_facts, encode_facts, queue_notices
from bot.digest.notices import ActionKind
from bot.digest.service import (
    ACTIONS_PER_PART,
    Digest,
    HandledStatus,
    build_digest,
    digest_for,
    due_digests,
    mark_handled,
)
from bot.matching.review import LookupStatus
from bot.onboarding.state import OnboardingStep
from scheduling.ticks import run_tick
from storage.db import unit_of_work
from storage.models import DigestHandled, OutboxMessage, Participant, Programme, Round, SurveyKind
from tests.nudge_world import held
from tests.support import digest_round as hand
from tests.support.digest_round import DIGEST_NOW, WEEK, DigestRound, build_digest_round
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc


@pytest.fixture
def built(session_factory: sessionmaker[Session]) -> DigestRound:
    with unit_of_work(session_factory) as session:
        return build_digest_round(session)


def digest_at(session_factory: sessionmaker[Session], built: DigestRound, now: datetime = DIGEST_NOW) -> Digest:
    with unit_of_work(session_factory) as session:
        digest = build_digest(session, round_id=built.world.round_id, now=now)
    assert digest is not None
    return digest


def pair_key(built: DigestRound, pair: str) -> str:
    return f"pair={built.world.pairs[pair]}"


def test_the_digest_lists_exactly_what_the_hand_count_says(session_factory: sessionmaker[Session],
                                                            built: DigestRound) -> None:
    digest = digest_at(session_factory, built)
    pairs = {pair_id: key for key, pair_id in built.world.pairs.items()}
    by_kind: dict[ActionKind, list[str]] = {}
    for action in digest.actions:
        by_kind.setdefault(action.kind, []).append(action.key)

    def listed(kind: ActionKind) -> dict[str, int]:
        return {pairs[int(action.key.split(":")[0].removeprefix("pair="))]: action.missed_windows
                for action in digest.actions if action.kind is kind}

    assert listed(ActionKind.LATE) == hand.LATE_PAIRS
    assert listed(ActionKind.QUIET) == hand.QUIET_PAIRS
    assert set(listed(ActionKind.HELP)) == hand.HELP_PAIRS
    assert {pairs[int(a.key.split(":")[0][5:])]: a.until for a in digest.actions
            if a.kind is ActionKind.PAUSE_ENDING} == hand.PAUSE_ENDING
    stuck = {a.person_name: a.step for a in digest.actions if a.kind is ActionKind.STUCK}
    assert stuck == {"Nina": OnboardingStep.NOT_IN_SLACK, "Olga": OnboardingStep.AWAITING_CONSENT}
    (survey,) = [a for a in digest.actions if a.kind is ActionKind.SURVEY_UNANSWERED]
    assert (survey.survey_kind, survey.count, survey.names) == (SurveyKind.MIDWAY, 1, hand.SURVEY_UNANSWERED)
    (rsvp,) = [a for a in digest.actions if a.kind is ActionKind.RSVP_GAP]
    assert (rsvp.meeting_title, rsvp.count) == (hand.MEETING_TITLE, hand.RSVP_OPEN)
    # Most urgent first: help, then going quiet, then late, ... RSVP gaps last.
    assert [a.kind for a in digest.actions] == sorted((a.kind for a in digest.actions), key=list(ActionKind).index)
    # Each action names its pair's channel to link to.
    late = next(a for a in digest.actions if a.kind is ActionKind.LATE)
    assert (late.channel_id, late.mentor_name, late.since) == ("CLATE", "Latementor", date(2027, 2, 15))
    help_action = next(a for a in digest.actions if a.kind is ActionKind.HELP)
    assert help_action.asked_by == "Helpmentee"

    picture = digest.picture
    assert (picture.active_pairs, picture.paused_pairs) == (5, 1)
    assert (picture.sessions_this_week, picture.sessions_total) == (hand.SESSIONS_THIS_WEEK, hand.SESSIONS_TOTAL)
    assert (picture.on_cadence, picture.measured_pairs) == (hand.ON_CADENCE, hand.MEASURED_PAIRS)
    assert (picture.next_meeting_title, picture.rsvp_yes, picture.rsvp_no, picture.rsvp_open) == (
        hand.MEETING_TITLE, 1, 1, hand.RSVP_OPEN)
    assert picture.scoreboard is not None and picture.scoreboard.comments == ()
    assert digest.week == WEEK and digest.handled_hidden == 0


def test_handled_holds_until_the_pair_changes(session_factory: sessionmaker[Session], built: DigestRound) -> None:
    late = next(a for a in digest_at(session_factory, built).actions if a.kind is ActionKind.LATE)
    with unit_of_work(session_factory) as session:
        outcome = mark_handled(session, workspace=ONE_WORKSPACE, round_id=built.world.round_id, key=late.key,
                               fingerprint=late.fingerprint,
                               slack_user_id="ULATEMENTOR", now=DIGEST_NOW)
    assert outcome.status is HandledStatus.NOT_YOURS  # a participant's click changes nothing
    with unit_of_work(session_factory) as session:
        outcome = mark_handled(session, workspace=ONE_WORKSPACE, round_id=built.world.round_id, key=late.key,
                               fingerprint=late.fingerprint,
                               slack_user_id="UMETTE", now=DIGEST_NOW)
        again = mark_handled(session, workspace=ONE_WORKSPACE, round_id=built.world.round_id, key=late.key,
                             fingerprint=late.fingerprint,
                             slack_user_id="UMETTE", now=DIGEST_NOW)
    assert outcome.recorded and again.recorded
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(DigestHandled)) == 1
    digest = digest_at(session_factory, built, DIGEST_NOW + timedelta(days=3))
    assert late.key not in {a.key for a in digest.actions} and digest.handled_hidden == 1
    # Two weeks on, another window has passed without a session: the pair is back, going quiet.
    later = digest_at(session_factory, built, DIGEST_NOW + timedelta(days=14))
    back = next(a for a in later.actions if a.key == late.key)
    assert (back.kind, back.missed_windows) == (ActionKind.QUIET, 3) and back.fingerprint != late.fingerprint
    # A click on the old digest's button now is stale: nothing recorded.
    with unit_of_work(session_factory) as session:
        stale = mark_handled(session, workspace=ONE_WORKSPACE, round_id=built.world.round_id, key=late.key,
                             fingerprint=late.fingerprint,
                             slack_user_id="UMETTE", now=DIGEST_NOW + timedelta(days=14))
    assert stale.status is HandledStatus.STALE


def test_a_session_logged_takes_the_pair_off_and_a_new_stuck_state_brings_a_person_back(
    session_factory: sessionmaker[Session], built: DigestRound
) -> None:
    digest = digest_at(session_factory, built)
    nina = next(a for a in digest.actions if a.person_name == "Nina")
    with unit_of_work(session_factory) as session:
        assert mark_handled(session, workspace=ONE_WORKSPACE, round_id=built.world.round_id, key=nina.key,
                            fingerprint=nina.fingerprint,
                            slack_user_id="UMETTE", now=DIGEST_NOW).recorded
        held(session, built.world, "late", date(2027, 3, 14))
    digest = digest_at(session_factory, built)
    assert pair_key(built, "late") + ":cadence" not in {a.key for a in digest.actions}
    assert "Nina" not in {a.person_name for a in digest.actions}
    with unit_of_work(session_factory) as session:
        nina_row = session.scalars(select(Participant).where(Participant.name == "Nina")).one()
        nina_row.slack_missing_since = DIGEST_NOW  # looked up again and still not found: something new
    back = next(a for a in digest_at(session_factory, built).actions if a.person_name == "Nina")
    assert back.key == nina.key and back.fingerprint != nina.fingerprint


def test_one_digest_per_round_and_week_from_the_weekday_and_hour_in_the_programmes_zone(
    session_factory: sessionmaker[Session], built: DigestRound
) -> None:
    def due(now: datetime) -> list[str]:
        with unit_of_work(session_factory) as session:
            notices = due_digests(session, now=now)
            queue_notices(session, notices, now=now)
        return [notice.dedup_key for notice in notices]

    monday_8_local = datetime(2027, 3, 15, 7, 59, tzinfo=UTC)
    assert due(monday_8_local) == []
    assert due(DIGEST_NOW) == [f"digest:round={built.world.round_id}:week={WEEK}:part=1"]
    assert due(DIGEST_NOW + timedelta(minutes=1)) == []
    assert due(DIGEST_NOW + timedelta(days=2)) == []  # the same ISO week
    assert due(DIGEST_NOW + timedelta(days=7)) == [f"digest:round={built.world.round_id}:week=2027-W12:part=1"]
    with session_factory() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith("digest:"))).all()
    assert [row.payload["channel"] for row in rows] == ["CCOORD", "CCOORD"]

    # Wednesday 14:00 in Toronto: not before, not on another day.
    with unit_of_work(session_factory) as session:
        round_ = session.get(Round, built.world.round_id)
        assert round_ is not None
        round_.digest_weekday, round_.digest_hour = 2, 14
        programme = session.get(Programme, built.world.programme_id)
        assert programme is not None
        programme.timezone = "America/Toronto"
    wednesday = datetime(2027, 3, 31, 18, 0, tzinfo=UTC)  # 14:00 in Toronto (UTC-4 from 14 March)
    assert due(wednesday - timedelta(minutes=1)) == []
    assert due(wednesday - timedelta(days=1)) == [] and due(wednesday - timedelta(days=2)) == []
    assert due(wednesday) == [f"digest:round={built.world.round_id}:week=2027-W13:part=1"]


def test_the_tick_queues_the_digest_once(session_factory: sessionmaker[Session], built: DigestRound) -> None:
    assert run_tick(session_factory=session_factory, now=DIGEST_NOW).enqueued["coordinator-digest"] == 1
    assert run_tick(session_factory=session_factory, now=DIGEST_NOW).enqueued["coordinator-digest"] == 0


def test_no_digest_before_the_round_or_weeks_after_it(session_factory: sessionmaker[Session],
                                                      built: DigestRound) -> None:
    with unit_of_work(session_factory) as session:
        assert due_digests(session, now=datetime(2027, 1, 25, 9, tzinfo=UTC)) == []
        assert due_digests(session, now=datetime(2027, 5, 31, 9, tzinfo=UTC)) != []  # ended 21 May: still
        assert due_digests(session, now=datetime(2027, 6, 14, 9, tzinfo=UTC)) == []


def test_the_facts_survive_the_outbox_and_a_big_round_is_split(session_factory: sessionmaker[Session],
                                                               built: DigestRound) -> None:
    digest = digest_at(session_factory, built)
    (facts,) = digest.parts()
    assert decode_facts(encode_facts(facts)) == facts
    many = replace(digest, actions=digest.actions * 9)
    parts = many.parts()
    assert [len(part.actions) for part in parts][:-1] == [ACTIONS_PER_PART] * (len(parts) - 1)
    assert sum(len(part.actions) for part in parts) == len(many.actions)
    assert [part.picture is not None for part in parts] == [False] * (len(parts) - 1) + [True]
    assert all(part.parts == len(parts) for part in parts)


def test_digest_for_only_a_coordinators_own_round(session_factory: sessionmaker[Session], built: DigestRound) -> None:
    with unit_of_work(session_factory) as session:
        mine = digest_for(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", round_name=None, now=DIGEST_NOW)
        named = digest_for(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", round_name=" spring 2027 ", now=DIGEST_NOW)
        other = digest_for(session, workspace=ONE_WORKSPACE, slack_user_id="UMETTE", round_name="Autumn", now=DIGEST_NOW)
        stranger = digest_for(session, workspace=ONE_WORKSPACE, slack_user_id="ULATEMENTOR", round_name=None, now=DIGEST_NOW)
    assert mine.digest is not None and mine.digest.round_id == built.world.round_id
    assert named.digest is not None and named.digest.round_id == built.world.round_id
    assert other.digest is None and other.lookup is not None and other.lookup.status is LookupStatus.UNKNOWN
    assert stranger.digest is None and stranger.lookup is not None and stranger.lookup.choices == ()
