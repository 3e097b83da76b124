"""Opening pair channels with a fake channels port: once per pair whatever happens, and the
round-end goodbye and archive."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.chat import ChannelAnswer
from bot.matching.engine import ScoreComponent
from bot.pairs.channels import (
    ARCHIVE_AFTER_GOODBYE,
    PAIRS_PER_TICK,
    ROUND_END_GRACE,
    OpenReport,
    close_pair_channels,
    intro_key,
    open_pair_channels,
    round_closes_at,
    stored_match_reasons,
)
from scheduling.ticks import run_tick
from storage.db import short_transactions, unit_of_work
from storage.models import MeetingKind, OutboxMessage, Pair, PairStatus, Participant, Role, Round, SharedMeeting
from tests.factories import EPOCH, make_participant, make_round
from tests.fake_channels import BOT, Crash, FakeChannels
from tests.support.notices import slack_method, slack_payload

UTC = timezone.utc
NOW = datetime(2027, 2, 2, 9, 0, tzinfo=UTC)
BASE_NAME = "spring-2027-soeren-aasa"


def _seed(
    session_factory: sessionmaker[Session],
    *,
    coordinators_join: bool = False,
    coordinator_channel: str | None = None,
    mentee_language: str = "en",
) -> int:
    """A published pair: Søren (mentor, Danish) and Åsa (mentee); a coordinator, Mette."""
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        round_.programme.coordinators_join_pair_channels = coordinators_join
        round_.programme.coordinator_channel = coordinator_channel
        mentor = make_participant(session, round_=round_, role=Role.MENTOR, email="s@x.dk", name="Søren Kierkegaard",
                                  slack_user_id="USOEREN", language="da")
        mentee = make_participant(session, round_=round_, role=Role.MENTEE, email="a@x.se", name="Åsa Lind",
                                  slack_user_id="UAASA", language=mentee_language)
        make_participant(session, round_=round_, role=Role.COORDINATOR, email="m@x.dk", name="Mette",
                         slack_user_id="UMETTE", language="da")
        pair = Pair(round=round_, mentor=mentor, mentee=mentee, created_at=EPOCH, published_at=EPOCH,
                    match_score=7.0, match_reasons=[{"code": "matching.reason.same_field", "points": 4,
                                                      "params": {"field": "Engineering"}}])
        session.add(pair)
        session.flush()
        return pair.id


def _fake() -> FakeChannels:
    return FakeChannels(users={"USOEREN", "UAASA", "UMETTE"})


def _open(session_factory: sessionmaker[Session], channels: FakeChannels, *, now: datetime = NOW,
          limit: int = PAIRS_PER_TICK) -> OpenReport:
    return open_pair_channels(short_transactions(session_factory), channels=channels, now=now, limit=limit)


def _pair(session_factory: sessionmaker[Session], pair_id: int) -> Pair:
    with session_factory() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        session.expunge(pair)
        return pair


def _keys(session_factory: sessionmaker[Session], prefix: str = "") -> list[str]:
    with session_factory() as session:
        return sorted(
            key for key in session.scalars(select(OutboxMessage.dedup_key)) if key.startswith(prefix)
        )


def test_a_published_pair_gets_one_private_channel_both_invited_and_an_intro_per_language(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    report = _open(session_factory, channels)
    assert report.opened == [pair_id]
    [channel] = channels.channels.values()
    assert channel.name == BASE_NAME and channel.members == [BOT, "USOEREN", "UAASA"]
    pair = _pair(session_factory, pair_id)
    assert pair.channel_name == BASE_NAME and pair.slack_channel_id == channel.id and pair.channel_opened_at == NOW
    assert _keys(session_factory) == [intro_key(pair_id, "da"), intro_key(pair_id, "en")]
    with session_factory() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == intro_key(pair_id, "en")))
        assert row is not None and slack_payload(row)["channel"] == channel.id and "<@UAASA>" in slack_payload(row)["text"]

    # A second run (a second tick, or publishing twice) does nothing at all.
    before = len(channels.calls)
    assert _open(session_factory, channels).handled == 0
    assert len(channels.calls) == before and len(_keys(session_factory)) == 2


def test_stored_rows_that_are_not_reasons_are_left_out_of_the_introduction() -> None:
    """A pair's reasons are read back from JSON a workbook or an older version may have
    shaped: the introduction says the ones it can, and never breaks on the rest."""
    stored = [
        {"code": "matching.reason.same_field", "points": 4, "params": {"field": "Engineering"}},
        {"nothing": True},
        "matching.reason.same_field",
        {"code": 5, "params": {}},
        {"code": "matching.reason.timezone_gap", "points": True, "params": {"hours": 3}},
        {"code": "matching.reason.shared_language", "points": 1, "params": ["English"]},
    ]
    assert stored_match_reasons(stored) == (
        ScoreComponent(code="matching.reason.same_field", points=4.0, params={"field": "Engineering"}),
        ScoreComponent(code="matching.reason.timezone_gap", points=0.0, params={"hours": "3"}),
        ScoreComponent(code="matching.reason.shared_language", points=1.0, params={}),
    )
    assert stored_match_reasons(None) == () and stored_match_reasons({"code": "x"}) == ()


def test_people_sharing_a_language_get_one_introduction(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory, mentee_language="da")
    _open(session_factory, _fake())
    assert _keys(session_factory) == [intro_key(pair_id, "da")]


def test_name_taken_by_someone_elses_channel_gets_a_suffix(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    foreign = channels.add_foreign_channel(BASE_NAME)
    _open(session_factory, channels)
    pair = _pair(session_factory, pair_id)
    assert pair.channel_name == f"{BASE_NAME}-2" and pair.slack_channel_id != foreign.id
    assert foreign.members == ["USOMEONE"], "nobody was invited into the stranger's channel"
    assert channels.named(f"{BASE_NAME}-2")[0].members == [BOT, "USOEREN", "UAASA"]


def test_a_channel_the_bot_is_in_but_did_not_make_is_not_adopted(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    channels.add_foreign_channel(BASE_NAME, members=("USOMEONE", BOT))
    _open(session_factory, channels)
    assert _pair(session_factory, pair_id).channel_name == f"{BASE_NAME}-2"


def test_another_pairs_channel_is_not_adopted(session_factory) -> None:  # noqa: ANN001
    first = _seed(session_factory)
    channels = _fake()
    _open(session_factory, channels)
    # A second pair with the same first names in the same round (a rematch with another Åsa).
    with unit_of_work(session_factory) as session:
        round_ = session.scalars(select(Round)).one()
        mentor = session.scalar(select(Participant).where(Participant.slack_user_id == "USOEREN"))
        other = make_participant(session, round_=round_, role=Role.MENTEE, email="a2@x.se", name="Åsa Berg",
                                 slack_user_id="UAASA2")
        session.add(Pair(round=round_, mentor=mentor, mentee=other, created_at=EPOCH, published_at=EPOCH))
    channels.users.add("UAASA2")
    _open(session_factory, channels)
    names = sorted(channel.name for channel in channels.channels.values())
    assert names == [BASE_NAME, f"{BASE_NAME}-2"]
    assert _pair(session_factory, first).channel_name == BASE_NAME
    # The name on record for the first pair was skipped without asking Slack.
    assert [args["name"] for method, args in channels.calls if method == "create"] == [BASE_NAME, f"{BASE_NAME}-2"]


def test_a_crash_right_after_create_adopts_the_channel_instead_of_making_a_second(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    channels.crash_after("create")
    with pytest.raises(Crash):
        _open(session_factory, channels)
    pair = _pair(session_factory, pair_id)
    assert pair.channel_name == BASE_NAME, "the name was on record before Slack was asked"
    assert pair.slack_channel_id is None and pair.channel_opened_at is None
    assert _keys(session_factory) == []

    _open(session_factory, channels)
    assert len(channels.channels) == 1
    pair = _pair(session_factory, pair_id)
    assert pair.slack_channel_id == next(iter(channels.channels)) and pair.channel_opened_at is not None
    assert [method for method, _ in channels.calls][:3] == ["create", "create", "find"]
    assert len(_keys(session_factory, "intro:")) == 2


def test_a_crash_after_a_suffixed_create_adopts_the_suffixed_channel(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    channels.add_foreign_channel(BASE_NAME)
    channels.answer_next("create", ChannelAnswer(ok=False, error="name_taken"))  # the stranger's
    channels.crash_after("create")
    with pytest.raises(Crash):
        _open(session_factory, channels)
    assert _pair(session_factory, pair_id).channel_name == f"{BASE_NAME}-2"
    _open(session_factory, channels)
    assert len(channels.named(f"{BASE_NAME}-2")) == 1 and len(channels.channels) == 2
    assert _pair(session_factory, pair_id).slack_channel_id == channels.named(f"{BASE_NAME}-2")[0].id


def test_a_crash_after_an_invite_never_makes_a_second_channel_or_intro(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    channels.crash_after("invite")
    with pytest.raises(Crash):
        _open(session_factory, channels)
    pair = _pair(session_factory, pair_id)
    assert pair.slack_channel_id is not None and pair.channel_opened_at is None
    assert _keys(session_factory) == []

    _open(session_factory, channels)
    _open(session_factory, channels)
    assert channels.count("create") == 1
    [channel] = channels.channels.values()
    assert channel.members == [BOT, "USOEREN", "UAASA"]
    assert _keys(session_factory) == [intro_key(pair_id, "da"), intro_key(pair_id, "en")]


def test_someone_no_longer_in_the_workspace_is_reported_and_the_rest_goes_ahead(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = FakeChannels(users={"USOEREN", "UMETTE"})  # Åsa's account is gone
    report = _open(session_factory, channels)
    assert report.opened == [pair_id]
    [channel] = channels.channels.values()
    assert channel.members == [BOT, "USOEREN"]
    keys = _keys(session_factory)
    assert intro_key(pair_id, "en") in keys and intro_key(pair_id, "da") in keys
    reports = [key for key in keys if key.startswith("pair-not-invited:")]
    assert len(reports) == 1 and reports[0].endswith(":to=UMETTE")
    with session_factory() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == reports[0]))
        assert row is not None
        assert "Åsa Lind" in slack_payload(row)["text"] and "kunne ikke invitere" in slack_payload(row)["text"]
    _open(session_factory, channels)
    assert len(_keys(session_factory, "pair-not-invited:")) == 1


@pytest.mark.parametrize("error", ["users_not_found", "user_disabled"])
def test_other_gone_answers_are_reported_too(session_factory, error: str) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory, coordinator_channel="#mentoring-coordinators")
    channels = _fake()
    channels.answer_next("invite", ChannelAnswer(ok=False, error=error))
    _open(session_factory, channels)
    assert _pair(session_factory, pair_id).channel_opened_at is not None
    assert _keys(session_factory, "pair-not-invited:") == [
        f"pair-not-invited:pair={pair_id}:participant=1:to=mentoring-coordinators"
    ]


def test_a_person_never_found_in_slack_is_reported_without_asking_slack(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    with unit_of_work(session_factory) as session:
        session.scalar(select(Participant).where(Participant.slack_user_id == "UAASA")).slack_user_id = None
    channels = _fake()
    _open(session_factory, channels)
    assert channels.count("invite") == 1
    assert len(_keys(session_factory, "pair-not-invited:")) == 1
    assert _pair(session_factory, pair_id).channel_opened_at is not None


def test_coordinators_are_invited_when_the_programme_says_so(session_factory) -> None:  # noqa: ANN001
    _seed(session_factory, coordinators_join=True)
    channels = _fake()
    _open(session_factory, channels)
    [channel] = channels.channels.values()
    assert channel.members == [BOT, "USOEREN", "UAASA", "UMETTE"]


def test_coordinators_stay_out_by_default(session_factory) -> None:  # noqa: ANN001
    _seed(session_factory)
    channels = _fake()
    _open(session_factory, channels)
    assert "UMETTE" not in next(iter(channels.channels.values())).members


@pytest.mark.parametrize("method", ["create", "invite"])
def test_rate_limits_and_5xx_leave_the_pair_for_the_next_tick(session_factory, method: str) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    channels.answer_next(method, ChannelAnswer(ok=False, error="ratelimited", retryable=True))
    report = _open(session_factory, channels)
    assert report.waiting == [pair_id] and report.opened == []
    assert _pair(session_factory, pair_id).channel_opened_at is None and _keys(session_factory) == []
    report = _open(session_factory, channels)
    assert report.opened == [pair_id]
    assert len(channels.channels) == 1 and len(_keys(session_factory)) == 2


def test_a_find_that_is_rate_limited_also_waits(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    channels.add_foreign_channel(BASE_NAME)
    channels.answer_next("find", ChannelAnswer(ok=False, error="http_503", retryable=True))
    assert _open(session_factory, channels).waiting == [pair_id]
    assert _pair(session_factory, pair_id).channel_name == BASE_NAME
    _open(session_factory, channels)
    assert _pair(session_factory, pair_id).channel_name == f"{BASE_NAME}-2"


def test_a_tick_opens_a_bounded_number_of_pairs(session_factory) -> None:  # noqa: ANN001
    with unit_of_work(session_factory) as session:
        round_ = make_round(session)
        for number in range(PAIRS_PER_TICK + 3):
            mentor = make_participant(session, round_=round_, role=Role.MENTOR, email=f"m{number}@x", name=f"Mentor{number}",
                                      slack_user_id=f"UM{number}")
            mentee = make_participant(session, round_=round_, role=Role.MENTEE, email=f"e{number}@x", name=f"Mentee{number}",
                                      slack_user_id=f"UE{number}")
            session.add(Pair(round=round_, mentor=mentor, mentee=mentee, created_at=EPOCH, published_at=EPOCH))
    channels = FakeChannels(users={f"U{kind}{n}" for kind in "ME" for n in range(PAIRS_PER_TICK + 3)})
    assert len(_open(session_factory, channels).opened) == PAIRS_PER_TICK
    assert channels.count("create") == PAIRS_PER_TICK
    assert len(_open(session_factory, channels).opened) == 3


def test_unpublished_ended_paused_and_finished_round_pairs_are_left_alone(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    for change in (
        {"published_at": None},
        {"status": PairStatus.ENDED},
        {"status": PairStatus.PAUSED},
    ):
        with unit_of_work(session_factory) as session:
            pair = session.get(Pair, pair_id)
            for attr, value in change.items():
                setattr(pair, attr, value)
        assert _open(session_factory, channels).handled == 0
        with unit_of_work(session_factory) as session:
            pair = session.get(Pair, pair_id)
            pair.published_at, pair.status = EPOCH, PairStatus.ACTIVE
    assert _open(session_factory, channels, now=datetime(2027, 6, 1, tzinfo=UTC)).handled == 0
    assert channels.calls == []


def test_a_refusal_is_reported_once_and_retried(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    channels.answer_next("create", ChannelAnswer(ok=False, error="restricted_action"), times=2)
    assert _open(session_factory, channels).trouble == [pair_id]
    assert _open(session_factory, channels).trouble == [pair_id]
    assert _keys(session_factory) == ["pair-channel-trouble:round=1:error=restricted_action:to=UMETTE"]
    assert _open(session_factory, channels).opened == [pair_id]


def test_a_stored_channel_that_was_deleted_is_replaced(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    channels.crash_after("invite")
    with pytest.raises(Crash):
        _open(session_factory, channels)
    lost = _pair(session_factory, pair_id).slack_channel_id
    assert lost is not None, "the crash came after the channel was stored"
    del channels.channels[lost]  # an admin deleted it before the next tick
    assert _open(session_factory, channels).waiting == [pair_id]
    _open(session_factory, channels)
    pair = _pair(session_factory, pair_id)
    assert pair.slack_channel_id not in (None, lost) and pair.channel_opened_at is not None
    assert len(channels.channels) == 1


def test_the_job_runs_in_a_tick_and_a_dry_run_opens_nothing(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory)
    channels = _fake()
    result = run_tick(session_factory=session_factory, now=NOW, channels=channels, dry_run=True)
    assert channels.calls == [] and not [row for row in result.due if row.dedup_key.startswith("intro:")]
    assert _pair(session_factory, pair_id).channel_name is None
    run_tick(session_factory=session_factory, now=NOW, channels=channels)
    assert len(channels.channels) == 1 and _pair(session_factory, pair_id).channel_opened_at == NOW
    run_tick(session_factory=session_factory, now=NOW, channels=channels)
    assert channels.count("create") == 1 and len(_keys(session_factory, "intro:")) == 2
    # Without a channels port (no token) the job is skipped, as the directory jobs are.
    run_tick(session_factory=session_factory, now=NOW)


# --- round end ----------------------------------------------------------------------------------


def _opened(session_factory: sessionmaker[Session], **kwargs) -> int:  # noqa: ANN003
    pair_id = _seed(session_factory, **kwargs)
    _open(session_factory, _fake())
    return pair_id


def test_round_close_is_the_closing_meeting_or_the_last_day() -> None:
    round_ = Round(name="R", starts_on=date(2027, 2, 1), ends_on=date(2027, 5, 31), created_at=EPOCH)
    from storage.models import Programme

    round_.programme = Programme(name="P", timezone="Europe/Copenhagen", created_at=EPOCH)
    assert round_closes_at(round_) == datetime(2027, 5, 31, 22, 0, tzinfo=UTC)  # midnight in Copenhagen
    round_.meetings = [
        SharedMeeting(kind=MeetingKind.CLOSING, title="Closing", starts_at=datetime(2027, 5, 20, 15, 0, tzinfo=UTC),
                      duration_minutes=120),
        SharedMeeting(kind=MeetingKind.MIDWAY, title="Mid", starts_at=datetime(2027, 6, 20, 15, 0, tzinfo=UTC),
                      duration_minutes=120),
    ]
    assert round_closes_at(round_) == datetime(2027, 5, 20, 17, 0, tzinfo=UTC)


def _close(session_factory: sessionmaker[Session], now: datetime) -> list:
    with unit_of_work(session_factory) as session:
        from bot.core.outbox import enqueue_all

        calls = close_pair_channels(session, now=now)
        enqueue_all(session, calls, now=now)
        return calls


def test_round_end_goodbye_then_archive_once(session_factory) -> None:  # noqa: ANN001
    pair_id = _opened(session_factory)
    with unit_of_work(session_factory) as session:
        round_ = session.scalars(select(Round)).one()
        session.add(SharedMeeting(round=round_, kind=MeetingKind.CLOSING, title="Closing",
                                  starts_at=datetime(2027, 5, 20, 18, 0, tzinfo=UTC), duration_minutes=120))
    closes = datetime(2027, 5, 20, 20, 0, tzinfo=UTC)
    assert _close(session_factory, closes + ROUND_END_GRACE - timedelta(minutes=1)) == []
    due = closes + ROUND_END_GRACE  # Thursday 27 May, 22:00 Copenhagen: the goodbye waits for 9:00
    calls = _close(session_factory, due)
    by_key = {call.dedup_key: call for call in calls}
    assert sorted(by_key) == [f"pair-archive:pair={pair_id}", f"pair-goodbye:pair={pair_id}:lang=da",
                              f"pair-goodbye:pair={pair_id}:lang=en"]
    goodbye = by_key[f"pair-goodbye:pair={pair_id}:lang=en"]
    archive = by_key[f"pair-archive:pair={pair_id}"]
    assert goodbye.not_before == datetime(2027, 5, 28, 7, 0, tzinfo=UTC)
    assert slack_method(archive) == "conversations.archive" and archive.not_before == goodbye.not_before + ARCHIVE_AFTER_GOODBYE
    assert slack_payload(archive) == {"channel": _pair(session_factory, pair_id).slack_channel_id}
    assert "Spring 2027" in slack_payload(goodbye)["text"] and "<@USOEREN>" in slack_payload(goodbye)["text"]
    assert _pair(session_factory, pair_id).channel_archived_at == due
    assert _close(session_factory, due + timedelta(days=1)) == []


def test_without_a_closing_meeting_ends_on_counts_and_ended_pairs_are_archived_too(session_factory) -> None:  # noqa: ANN001
    pair_id = _opened(session_factory)
    with unit_of_work(session_factory) as session:
        session.get(Pair, pair_id).status = PairStatus.ENDED
    assert _close(session_factory, datetime(2027, 6, 7, 21, 0, tzinfo=UTC)) == []
    calls = _close(session_factory, datetime(2027, 6, 7, 22, 0, tzinfo=UTC))
    assert {slack_method(call) for call in calls} == {"chat.postMessage", "conversations.archive"}


def test_round_end_through_the_tick(session_factory) -> None:  # noqa: ANN001
    pair_id = _opened(session_factory)
    later = datetime(2027, 6, 14, 9, 0, tzinfo=UTC)
    result = run_tick(session_factory=session_factory, now=later, dry_run=True)
    assert result.enqueued["close-pair-channels"] == 3 and _pair(session_factory, pair_id).channel_archived_at is None
    result = run_tick(session_factory=session_factory, now=later)
    assert result.enqueued["close-pair-channels"] == 3
    assert run_tick(session_factory=session_factory, now=later).enqueued["close-pair-channels"] == 0


def test_a_coordinator_who_cannot_be_invited_is_reported_too(session_factory) -> None:  # noqa: ANN001
    pair_id = _seed(session_factory, coordinators_join=True, coordinator_channel="mentoring-coordinators")
    channels = FakeChannels(users={"USOEREN", "UAASA"})  # Mette's account was deactivated
    assert _open(session_factory, channels).opened == [pair_id]
    [key] = _keys(session_factory, "pair-not-invited:")
    with session_factory() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == key))
        assert "Mette (coordinator)" in slack_payload(row)["text"]


def test_finding_channels_to_close_costs_the_same_statements_for_any_number_of_rounds(session_factory) -> None:  # noqa: ANN001
    """The tick runs every minute over every round with an open channel: no per-round queries."""
    from datetime import datetime as _datetime
    from datetime import timezone as _timezone

    from sqlalchemy import event as sa_event

    from bot.pairs.channels import channels_to_close
    from storage.models import Pair as _Pair
    from storage.models import PairStatus as _PairStatus
    from storage.models import Role as _Role
    from tests.factories import make_participant as _make_participant
    from tests.factories import make_round as _make_round

    def statements_with(rounds: int) -> int:
        with unit_of_work(session_factory) as session:
            start = session.query(_Pair).count()
            for index in range(start, start + rounds):
                round_ = _make_round(session, name=f"R{index}", programme_name=f"P{index}")
                mentor = _make_participant(session, round_=round_, role=_Role.MENTOR, email=f"m{index}@x.org")
                mentee = _make_participant(session, round_=round_, role=_Role.MENTEE, email=f"e{index}@x.org")
                session.add(_Pair(round_id=round_.id, mentor_id=mentor.id, mentee_id=mentee.id, status=_PairStatus.ACTIVE,
                                  slack_channel_id=f"C{index}", created_at=round_.created_at))
        count = 0

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        engine = session_factory.kw["bind"]
        sa_event.listen(engine, "before_cursor_execute", counter)
        try:
            with unit_of_work(session_factory) as session:
                assert channels_to_close(session, now=_datetime(2027, 7, 1, tzinfo=_timezone.utc))
        finally:
            sa_event.remove(engine, "before_cursor_execute", counter)
        return count

    assert statements_with(3) == statements_with(12)
