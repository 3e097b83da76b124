"""Workspace changes through the signed endpoint against the sandbox (issue 12).

A participant deactivated (or refused as deactivated when the bot DMs them) pauses their pair
until further notice and the coordinators hear it once, however often Slack reports it; back
again, the pair resumes and the coordinators hear that. `app_uninstalled` and `tokens_revoked`
are acknowledged and stop every call to the workspace (the deliverer and the tick's Slack
jobs), with the queue kept; reinstalling (auth.test works again, or a signed request arrives)
sends what was held."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.core.notices import Coordinators, Notice, Person, queue_notices
from bot.pairs.departures import LEFT_WORKSPACE_REASON
from bot.pairs.notices import PersonPaused
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState, Pair, PairStatus, Role, WorkspaceStatus
from tests.nudge_world import World, new_world, pair, person

WEDNESDAY = datetime(2027, 2, 3, 13, 0, tzinfo=timezone.utc)  # 14:00 in Copenhagen


@pytest.fixture
def world(slack: SandboxedApp) -> World:
    """Lars mentors Ana in a pair channel; Mette (Danish) coordinates, reached by DM."""
    sandbox = slack.sandbox
    sandbox.add_user(user_id="ULARS", name="lars", email="lars@example.org")
    sandbox.add_user(user_id="UANA", name="ana", email="ana@example.org")
    sandbox.add_user(user_id="UMETTE", name="mette", email="mette@example.org", locale="da-DK")
    channel = sandbox.add_channel(name="mentoring-lars-ana", is_private=True,
                                  members=(sandbox.bot_user_id, "ULARS", "UANA"))["id"]
    with unit_of_work(slack.runtime.session_factory) as session:
        built = new_world(session, coordinator_channel=None)
        person(session, built, "lars", role=Role.MENTOR)
        person(session, built, "ana", role=Role.MENTEE)
        person(session, built, "mette", role=Role.COORDINATOR, language="da")
        pair(session, built, "la", mentor="lars", mentee="ana", channel=channel)
    slack.clock.set(WEDNESDAY)
    return built


def _pair(slack: SandboxedApp, world: World) -> Pair:
    with unit_of_work(slack.runtime.session_factory) as session:
        row = session.get(Pair, world.pairs["la"])
        assert row is not None
        return row


def _mette_texts(slack: SandboxedApp) -> list[str]:
    return [message.get("text", "") for message in slack.sandbox.dm_messages("UMETTE")]


def _deactivate(slack: SandboxedApp, user_id: str) -> None:
    slack.sandbox.remove_user(user_id)


def test_a_deactivated_participant_pauses_the_pair_and_the_coordinators_hear_it_once(
    slack: SandboxedApp, world: World
) -> None:
    _deactivate(slack, "UANA")
    first = slack.driver.user_change(user_id="UANA")
    slack.settle()
    assert first.status == 200
    # Slack redelivers the same event, and sends more user_change events for the same account.
    assert slack.event(first.sent["event"], event_id=first.event_id, retry_num=1).status == 200
    assert slack.driver.user_change(user_id="UANA").status == 200
    slack.settle()
    paused = _pair(slack, world)
    assert (paused.status, paused.paused_until, paused.pause_reason) == (PairStatus.PAUSED, None, LEFT_WORKSPACE_REASON)
    slack.deliver()
    [told] = _mette_texts(slack)
    assert "Ana (mentee, Spring 2027) har forladt Slack-arbejdsområdet" in told
    assert "Parret med Lars er sat på pause indtil videre" in told

    # Reactivated: the pair resumes (it was paused for nothing else) and Mette hears it, once.
    slack.sandbox.update_user("UANA", deleted=False)
    assert slack.driver.user_change(user_id="UANA").status == 200
    assert slack.driver.user_change(user_id="UANA").status == 200
    slack.settle()
    resumed = _pair(slack, world)
    assert resumed.status is PairStatus.ACTIVE and resumed.pause_reason is None
    slack.deliver()
    assert len(_mette_texts(slack)) == 2
    assert "Ana (mentee, Spring 2027) er tilbage i Slack-arbejdsområdet. Parret med Lars er aktivt igen." \
        in _mette_texts(slack)[1]
    assert slack.sandbox.messages_in(resumed.slack_channel_id or "") == []  # the channel never heard of it

    # Leaving a second time is a new departure: told again.
    _deactivate(slack, "UANA")
    slack.driver.user_change(user_id="UANA")
    slack.settle()
    slack.deliver()
    assert len(_mette_texts(slack)) == 3
    assert _pair(slack, world).status is PairStatus.PAUSED


def test_a_dm_refused_because_the_person_was_deactivated_is_a_departure(slack: SandboxedApp, world: World) -> None:
    _deactivate(slack, "UANA")  # no event reached the bot (it was down, say)
    with unit_of_work(slack.runtime.session_factory) as session:
        queue_notices(session, [Notice(
            dedup_key="test:dm-ana", to=Person("UANA", team_id=""), not_before=WEDNESDAY, language="en",
            facts=PersonPaused(name="x", role=Role.MENTOR, until=WEDNESDAY.date() + timedelta(days=9), reason=None,
                               round_name="Spring 2027"),
        )], now=WEDNESDAY)
    report = slack.deliver()
    assert report.failed == 1  # the DM itself is not sent, and says why
    assert _pair(slack, world).status is PairStatus.PAUSED
    slack.deliver()
    [told] = _mette_texts(slack)
    assert "har forladt Slack-arbejdsområdet" in told


def test_account_inactive_on_a_dm_with_a_working_token_is_the_person_not_the_workspace(
    slack: SandboxedApp, world: World
) -> None:
    slack.sandbox.error_next("chat.postMessage", "account_inactive")
    with unit_of_work(slack.runtime.session_factory) as session:
        queue_notices(session, [Notice(
            dedup_key="test:dm-lars", to=Person("ULARS", team_id=""), not_before=WEDNESDAY, language="en",
            facts=PersonPaused(name="x", role=Role.MENTEE, until=WEDNESDAY.date() + timedelta(days=9), reason=None,
                               round_name="Spring 2027"),
        )], now=WEDNESDAY)
    slack.deliver()
    assert [call.method for call in slack.sandbox.calls][:2] == ["chat.postMessage", "auth.test"]
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(WorkspaceStatus)) == 0
    assert _pair(slack, world).status is PairStatus.PAUSED


def _queue_for_coordinators(slack: SandboxedApp, world: World, key: str) -> None:
    with unit_of_work(slack.runtime.session_factory) as session:
        queue_notices(session, [Notice(
            dedup_key=key, to=Coordinators(world.round_id), not_before=WEDNESDAY,
            facts=PersonPaused(name="Lars", role=Role.MENTOR, until=WEDNESDAY.date() + timedelta(days=9),
                               reason=None, round_name="Spring 2027"),
        )], now=WEDNESDAY)


def _states(slack: SandboxedApp) -> list[OutboxState]:
    with unit_of_work(slack.runtime.session_factory) as session:
        return list(session.scalars(select(OutboxMessage.state).order_by(OutboxMessage.id)))


def _slack_work_for_the_tick(slack: SandboxedApp, world: World) -> None:
    """A published pair with no channel yet and an imported person not yet found: the tick's
    Slack jobs would call conversations.create and users.lookupByEmail."""
    slack.sandbox.add_user(user_id="UOLE", name="ole", email="ole@example.org")
    slack.sandbox.add_user(user_id="UEVA", name="eva", email="eva@example.org")
    with unit_of_work(slack.runtime.session_factory) as session:
        person(session, world, "ole", role=Role.MENTOR)
        person(session, world, "eva", role=Role.MENTEE, slack=False)
        row = pair(session, world, "oe", mentor="ole", mentee="eva", opened=None)
        row.slack_channel_id = None


def test_after_app_uninstalled_nothing_reaches_slack_until_it_is_installed_again(
    slack: SandboxedApp, world: World
) -> None:
    _queue_for_coordinators(slack, world, "test:held-1")
    _slack_work_for_the_tick(slack, world)
    response = slack.driver.app_uninstalled()
    slack.settle()
    assert response.status == 200
    assert slack.driver.tokens_revoked().status == 200  # Slack may send it after the uninstall
    slack.settle()
    with unit_of_work(slack.runtime.session_factory) as session:
        [status] = session.scalars(select(WorkspaceStatus)).all()
        assert (status.team_id, status.stopped_because) == ("T0SANDBOX", "app_uninstalled")
        assert status.sending_stopped_at == WEDNESDAY

    slack.sandbox.reset_calls()
    _queue_for_coordinators(slack, world, "test:held-2")
    assert slack.deliver().handled == 0
    slack.tick()
    slack.deliver()
    slack.clock.set(WEDNESDAY + timedelta(minutes=1))
    slack.tick()  # within the probe interval: not even auth.test again
    # The only call is the tick's probe, auth.test (answered token_revoked); nothing else.
    assert [call.method for call in slack.sandbox.calls] == ["auth.test"]
    assert _states(slack) == [OutboxState.PENDING, OutboxState.PENDING]  # held, not failed

    # Installed again with the same token: the next probe finds it works and the queue goes out.
    slack.sandbox.reinstall()
    slack.clock.set(WEDNESDAY + timedelta(minutes=4))
    slack.tick()
    report = slack.deliver()
    assert report.sent >= 2
    assert [text for text in _mette_texts(slack) if "holder pause til den 12. februar" in text] == [
        "Lars (mentor, Spring 2027) holder pause til den 12. februar 2027. Ingen årsag angivet."] * 2
    assert slack.sandbox.calls_to("conversations.create")  # the tick's channel job runs again
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalars(select(WorkspaceStatus)).one().sending_stopped_at is None


def test_a_signed_request_from_the_workspace_means_it_is_installed_again(slack: SandboxedApp, world: World) -> None:
    _queue_for_coordinators(slack, world, "test:held")
    slack.driver.app_uninstalled()
    slack.settle()
    assert slack.deliver().handled == 0
    slack.sandbox.reinstall()
    assert slack.slash("ULARS", "/mentoring", "help").status == 200
    assert slack.deliver().sent == 1
    assert len(_mette_texts(slack)) == 1


def test_a_dead_token_met_while_delivering_stops_the_batch_and_keeps_the_rows(
    slack: SandboxedApp, world: World
) -> None:
    for number in range(3):
        _queue_for_coordinators(slack, world, f"test:row-{number}")
    slack.sandbox.revoke_token("invalid_auth")
    slack.sandbox.reset_calls()
    report = slack.deliver()
    assert report.sent == report.failed == 0
    assert [call.method for call in slack.sandbox.calls] == ["chat.postMessage"]  # one try, then no more
    assert _states(slack) == [OutboxState.PENDING] * 3
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalars(select(WorkspaceStatus.stopped_because)).one() == "invalid_auth"
    assert slack.deliver().handled == 0


def test_tokens_revoked_for_users_only_changes_nothing(slack: SandboxedApp, world: World) -> None:
    assert slack.driver.tokens_revoked(bot=False, user_ids=("ULARS",)).status == 200
    slack.settle()
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(WorkspaceStatus)) == 0


def test_a_tick_job_meeting_a_dead_token_stops_sending_too(slack: SandboxedApp, world: World) -> None:
    """The lookup job meets `invalid_auth` (no event came): one auth.test confirms the token
    is dead, and from then on the tick's Slack jobs and the deliverer make no calls."""
    _slack_work_for_the_tick(slack, world)
    _queue_for_coordinators(slack, world, "test:held")
    slack.sandbox.revoke_token("invalid_auth")
    slack.sandbox.reset_calls()
    slack.tick()
    methods = [call.method for call in slack.sandbox.calls]
    assert methods[-1] == "auth.test" and "users.lookupByEmail" in methods  # the lookup met it; auth.test confirmed
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalars(select(WorkspaceStatus.stopped_because)).one() == "invalid_auth"
    slack.sandbox.reset_calls()
    assert slack.deliver().handled == 0
    slack.clock.set(WEDNESDAY + timedelta(minutes=1))
    slack.tick()
    assert [call.method for call in slack.sandbox.calls] == ["auth.test"]  # the probe, nothing else
    # The channel the dead token could not create is left for later, not reported as Slack's refusal.
    slack.sandbox.reinstall()
    slack.clock.set(WEDNESDAY + timedelta(minutes=5))
    slack.tick()
    slack.deliver()
    assert slack.sandbox.calls_to("conversations.create")[-1].response["ok"] is True
    assert not [text for text in _mette_texts(slack) if "invalid_auth" in text]


def test_back_while_the_partner_is_on_a_dated_break_resumes_the_pair_when_the_break_ends(
    slack: SandboxedApp, world: World
) -> None:
    """Lars pauses until 20 February; Ana leaves the workspace (which pauses the pair until
    further notice) and comes back before then: the pair waits for Lars's break as before
    and is active again on its day, not paused for good."""
    assert slack.slash("ULARS", "/mentoring", "pause until 20 february holiday").status == 200
    _deactivate(slack, "UANA")
    slack.driver.user_change(user_id="UANA")
    slack.settle()
    assert (_pair(slack, world).status, _pair(slack, world).paused_until) == (PairStatus.PAUSED, None)
    slack.sandbox.update_user("UANA", deleted=False)
    slack.driver.user_change(user_id="UANA")
    slack.settle()
    waiting = _pair(slack, world)
    assert (waiting.status, waiting.paused_until, waiting.pause_reason) == (
        PairStatus.PAUSED, datetime(2027, 2, 20).date(), "holiday")
    slack.tick_and_deliver(now=datetime(2027, 2, 22, 9, 30, tzinfo=timezone.utc))
    assert _pair(slack, world).status is PairStatus.ACTIVE
