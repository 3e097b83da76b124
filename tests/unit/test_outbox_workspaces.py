"""Every outbox row names the workspace whose token sends it: the workspace of the programme
the message is about (issue 13). Two programmes in two workspaces, T1 and T2, side by side:
whatever one call queues for both, each row carries its own programme's team, whichever way
it was reached (a DM, a channel, a round's coordinators expanded to their DMs or their
channel, an archive chore) and whichever way it was written (one row, SQLite's executemany,
PostgreSQL's one-statement JSON insert)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.notices import ArchiveChannel, Conversation, Coordinators, Notice, Person, queue_notices
from bot.core.outbox import OutgoingCall, enqueue
from bot.pairs.channels import ROUND_END_GRACE, close_pair_channels
from bot.pairs.notices import PairPaused
from scheduling.ticks import run_tick
from storage.db import unit_of_work
from storage.models import MeetingKind, OutboxMessage, Programme, Role
from tests.factories import make_participant, make_round
from tests.nudge_world import ROUND_END, World, meeting, new_world, pair, person

UTC = timezone.utc
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # a Tuesday, 14:00 in Copenhagen
# Monday 15 February 2027, 10:05 in Copenhagen: the first check-in window has just passed
# for pairs whose channel opened on the 1st, and the meetings on the 22nd are a week off.
BUSY = datetime(2027, 2, 15, 9, 5, tzinfo=UTC)
MEETINGS = datetime(2027, 2, 22, 13, 0, tzinfo=UTC)


def _paused(name: str) -> PairPaused:
    return PairPaused(name=name, until=date(2027, 6, 20))


def _teams(session: Session) -> dict[str, tuple[str, str]]:
    """dedup key -> (team, target) of every outbox row."""
    rows = session.execute(select(OutboxMessage.dedup_key, OutboxMessage.team_id, OutboxMessage.target))
    return {key: (team, target) for key, team, target in rows}


def test_one_call_queues_each_notice_with_its_own_programmes_workspace(session: Session) -> None:
    # T1 has no coordinator channel: its two coordinators in Slack get a DM each.
    t1 = make_round(session, name="T1 round", programme_name="Programme in T1")
    t1.programme.team_id = "T1"
    make_participant(session, round_=t1, role=Role.COORDINATOR, email="c1@t1.org", slack_user_id="UC1")
    make_participant(session, round_=t1, role=Role.COORDINATOR, email="c2@t1.org", slack_user_id="UC2")
    # T2 has one round without a channel (one coordinator, a DM) and one with a channel.
    t2 = make_round(session, name="T2 round", programme_name="Programme in T2")
    t2.programme.team_id = "T2"
    make_participant(session, round_=t2, role=Role.COORDINATOR, email="c3@t2.org", slack_user_id="UC3")
    t2_staffed = make_round(session, name="T2 staffed", programme_name="Staffed programme in T2")
    t2_staffed.programme.team_id = "T2"
    t2_staffed.programme.coordinator_channel = "#staff-t2"
    session.flush()

    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        new = queue_notices(session, [
            Notice(dedup_key="dm:t1", to=Person("UA", team_id="T1"), facts=_paused("a"), not_before=NOW),
            Notice(dedup_key="dm:t2", to=Person("UB", team_id="T2"), facts=_paused("b"), not_before=NOW),
            Notice(dedup_key="ch:t1", to=Conversation("CT1", team_id="T1"), facts=_paused("c"), not_before=NOW),
            Notice(dedup_key="ch:t2", to=Conversation("CT2", team_id="T2"), facts=_paused("d"), not_before=NOW),
            Notice(dedup_key="co:t1", to=Coordinators(t1.id), facts=_paused("e"), not_before=NOW),
            Notice(dedup_key="co:t1:again", to=Coordinators(t1.id), facts=_paused("e2"), not_before=NOW),
            Notice(dedup_key="co:t2", to=Coordinators(t2.id), facts=_paused("f"), not_before=NOW),
            Notice(dedup_key="co:t2s", to=Coordinators(t2_staffed.id), facts=_paused("g"), not_before=NOW),
            ArchiveChannel(dedup_key="archive:t1", channel_id="CT1", team_id="T1", not_before=NOW),
            ArchiveChannel(dedup_key="archive:t2", channel_id="CT2", team_id="T2", not_before=NOW),
        ], now=NOW)
    finally:
        event.remove(bind, "before_cursor_execute", count)

    assert _teams(session) == {
        "dm:t1": ("T1", "UA"),
        "dm:t2": ("T2", "UB"),
        "ch:t1": ("T1", "CT1"),
        "ch:t2": ("T2", "CT2"),
        "co:t1:to=UC1": ("T1", "UC1"),
        "co:t1:to=UC2": ("T1", "UC2"),
        "co:t1:again:to=UC1": ("T1", "UC1"),
        "co:t1:again:to=UC2": ("T1", "UC2"),
        "co:t2:to=UC3": ("T2", "UC3"),
        "co:t2s:to=staff-t2": ("T2", "staff-t2"),
        "archive:t1": ("T1", "CT1"),
        "archive:t2": ("T2", "CT2"),
    }
    assert new == 12
    # The rows went in one statement (PostgreSQL's JSON insert, SQLite's executemany), and the
    # workspace of a round's coordinators came with their look-up: no statement per notice.
    inserts = [sql for sql in statements if sql.lstrip().upper().startswith("INSERT INTO OUTBOX_MESSAGE")]
    assert len(inserts) == 1 and "team_id" in inserts[0]
    programme_reads = [sql for sql in statements if "FROM programme" in sql]
    assert len(programme_reads) <= 3  # one per round, however many notices name it


def test_a_single_row_carries_its_workspace_too(session: Session) -> None:
    call = OutgoingCall(dedup_key="one", method="notice", team_id="T9", payload={"channel": "U1"}, not_before=NOW)
    assert enqueue(session, call, now=NOW) is True
    assert _teams(session) == {"one": ("T9", "U1")}


def _two_workspaces(session: Session) -> tuple[World, World]:
    """Two programmes as in tests/nudge_world, T1's and T2's, each with a pair that has met
    nobody yet, a coordinator, and a kick-off and CV workshop a week after BUSY."""
    worlds = []
    for team in ("T1", "T2"):
        world = new_world(session, name=f"Spring {team}", coordinator_channel=None)
        programme = session.get(Programme, world.programme_id)
        assert programme is not None
        programme.team_id = team
        tag = team.lower()
        person(session, world, f"mentor{tag}", role=Role.MENTOR)
        person(session, world, f"mentee{tag}", role=Role.MENTEE)
        person(session, world, f"coord{tag}", role=Role.COORDINATOR)
        pair(session, world, f"pair{tag}", mentor=f"mentor{tag}", mentee=f"mentee{tag}")
        meeting(session, world, f"kick{tag}", kind=MeetingKind.KICK_OFF, starts_at=MEETINGS)
        meeting(session, world, f"cv{tag}", kind=MeetingKind.CV_WORKSHOP, starts_at=MEETINGS)
        worlds.append(world)
    return worlds[0], worlds[1]


def test_a_tick_queues_every_nudge_with_the_workspace_of_its_programme(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        _two_workspaces(session)
    run_tick(session_factory=session_factory, now=BUSY, list_due=False)
    with session_factory() as session:
        rows = session.execute(select(OutboxMessage.team_id, OutboxMessage.target, OutboxMessage.payload)).all()
    kinds_by_team: dict[str, set[str]] = {"T1": set(), "T2": set()}
    for team, target, payload in rows:
        # Every target of T1's programme has "T1" in its id, T2's "T2".
        assert team in target, (team, target, payload.get("kind"))
        kinds_by_team[team].add(str(payload.get("kind")))
    # Check-ins and prompts in the pair channels, reminders in DMs: each in both workspaces.
    for team in ("T1", "T2"):
        assert {"CheckinFacts", "MeetingPromptFacts", "MeetingReminderFacts"} <= kinds_by_team[team], kinds_by_team


def test_goodbyes_and_archiving_go_with_the_pairs_workspace(session: Session) -> None:
    _two_workspaces(session)
    after = datetime.combine(ROUND_END + ROUND_END_GRACE + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    calls = close_pair_channels(session, now=after)
    archives = {call.target: call.team_id for call in calls if call.method == "archive_channel"}
    goodbyes = {(call.target, call.team_id) for call in calls if call.method == "notice"}
    assert archives == {"CPAIRT1": "T1", "CPAIRT2": "T2"}
    assert goodbyes == {("CPAIRT1", "T1"), ("CPAIRT2", "T2")}
