"""Pair channels as Slack sees them: published pairs get one private channel each, with both
people and one introduction per language, also after a crash half-way; a name someone else
holds gets a suffix; a coordinator ends a pair by slash command and modal; the round's end
brings a goodbye and the archive."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import MeetingKind, Pair, PairStatus, Participant, Role, SharedMeeting
from tests.factories import EPOCH, make_participant, make_round
from tests.support.answers import message_text

UTC = timezone.utc
BASE = "spring-2027-soeren-aasa"
OTHER = "spring-2027-lars-ana"


class Died(BaseException):
    """The worker process 'dies' right after Slack made the channel: not an error the tick
    could catch and log (it isolates each job's exceptions), but the end of the process."""


def _seed(slack: SandboxedApp) -> dict[str, int]:
    """Two published pairs (Søren, Danish, with Åsa; Lars with Ana, both English) and a
    coordinator; everyone onboarded already, so the tick has only channels to do."""
    for user_id, name in (("USOEREN", "Søren"), ("UAASA", "Åsa"), ("ULARS", "Lars"), ("UANA", "Ana"), ("UMETTE", "Mette")):
        slack.sandbox.add_user(user_id=user_id, name=name.lower(), real_name=name, tz="Europe/Copenhagen")
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = make_round(session)
        people: dict[str, Participant] = {}
        for key, role, name, user_id, language in (
            ("soeren", Role.MENTOR, "Søren Holm", "USOEREN", "da"),
            ("aasa", Role.MENTEE, "Åsa Lind", "UAASA", "en"),
            ("lars", Role.MENTOR, "Lars Berg", "ULARS", "en"),
            ("ana", Role.MENTEE, "Ana Souza", "UANA", "en"),
            ("mette", Role.COORDINATOR, "Mette", "UMETTE", "da"),
        ):
            person = make_participant(session, round_=round_, role=role, email=f"{key}@x.org", name=name,
                                      slack_user_id=user_id, language=language)
            person.welcome_sent_at = person.consented_at = person.profile_completed_at = EPOCH
            people[key] = person
        people["aasa"].goals = "A job as a data analyst <!channel>"
        people["soeren"].field = people["aasa"].field = "Data"
        session.add(SharedMeeting(round=round_, kind=MeetingKind.KICK_OFF, title="Kick-off",
                                  starts_at=datetime(2027, 2, 10, 16, 0, tzinfo=UTC), location="DTU"))
        first = Pair(round=round_, mentor=people["soeren"], mentee=people["aasa"], created_at=EPOCH, published_at=EPOCH,
                     match_reasons=[{"code": "matching.reason.same_field", "points": 4, "params": {"field": "data"}}])
        second = Pair(round=round_, mentor=people["lars"], mentee=people["ana"], created_at=EPOCH, published_at=EPOCH)
        session.add_all([first, second])
        session.flush()
        return {"first": first.id, "second": second.id, "round": round_.id}


def _created(slack: SandboxedApp) -> list[str]:
    """Names of the channels Slack actually made."""
    return [call.args["name"] for call in slack.sandbox.calls_to("conversations.create") if call.response.get("ok")]


def _pair(slack: SandboxedApp, pair_id: int) -> Pair:
    with slack.runtime.session_factory() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None
        session.expunge(pair)
        return pair


def _assert_opened(slack: SandboxedApp, name: str, members: set[str], intros: int) -> dict[str, Any]:
    channel = slack.sandbox.get_channel(name)
    assert channel is not None and channel["is_private"]
    assert set(channel["members"]) == {slack.sandbox.bot_user_id, *members}
    messages = slack.sandbox.messages_in(channel["id"])
    assert len(messages) == intros, [m.get("text") for m in messages]
    return channel


def test_publishing_opens_one_private_channel_per_pair_with_one_introduction_each(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    slack.tick_and_deliver()
    assert sorted(_created(slack)) == [OTHER, BASE]
    channel = _assert_opened(slack, BASE, {"USOEREN", "UAASA"}, intros=2)  # Danish and English
    _assert_opened(slack, OTHER, {"ULARS", "UANA"}, intros=1)  # both English
    danish, english = (message_text(m) for m in slack.sandbox.messages_in(channel["id"]))
    assert "Forventningsafstemning" in danish and "Align expectations" in english
    assert "<@USOEREN>" in english and "<@UAASA>" in english and "Same field: data" in english
    assert "10 Feb 2027, 17:00" in english and "&lt;!channel&gt;" in english and "<!channel>" not in english
    assert _pair(slack, ids["first"]).slack_channel_id == channel["id"]

    # Publishing twice, ticking again: nothing new anywhere.
    calls_before = len(slack.sandbox.calls)
    slack.tick_and_deliver()
    slack.tick_and_deliver()
    assert len(slack.sandbox.calls) == calls_before
    assert len(slack.sandbox.messages_in(channel["id"])) == 2


def test_a_5xx_on_invite_half_way_then_another_tick_still_makes_one_channel_and_one_intro(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    slack.sandbox.fail_next("conversations.invite", status=500)
    slack.tick_and_deliver()
    first = _pair(slack, ids["first"])
    assert first.slack_channel_id is not None and first.channel_opened_at is None, "left for the next tick"
    assert _created(slack) == [BASE], "the tick stopped opening after Slack's 5xx"

    slack.tick_and_deliver()
    assert sorted(_created(slack)) == [OTHER, BASE]
    _assert_opened(slack, BASE, {"USOEREN", "UAASA"}, intros=2)
    _assert_opened(slack, OTHER, {"ULARS", "UANA"}, intros=1)


def test_dying_right_after_create_adopts_the_channel_on_the_next_tick(
    slack: SandboxedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _seed(slack)
    real = slack.runtime.channels
    assert real is not None

    class DiesAfterCreate:
        def __init__(self) -> None:
            self.find_private_channel = real.find_private_channel
            self.invite = real.invite

        def create_private_channel(self, *, name: str):  # noqa: ANN202
            real.create_private_channel(name=name)
            raise Died(name)

    monkeypatch.setattr(slack.runtime, "channels", DiesAfterCreate())
    with pytest.raises(Died):
        slack.tick_and_deliver()
    assert _created(slack) == [BASE]
    assert _pair(slack, ids["first"]).channel_name == BASE and _pair(slack, ids["first"]).slack_channel_id is None

    monkeypatch.setattr(slack.runtime, "channels", real)  # the worker restarts
    slack.tick_and_deliver()
    assert sorted(_created(slack)) == [OTHER, BASE], "adopted, not made twice"
    assert [c.response.get("error") for c in slack.sandbox.calls_to("conversations.create")].count("name_taken") == 1
    channel = _assert_opened(slack, BASE, {"USOEREN", "UAASA"}, intros=2)
    assert _pair(slack, ids["first"]).slack_channel_id == channel["id"]


def test_a_name_held_by_someone_elses_channel_gets_a_suffix(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    slack.sandbox.add_user(user_id="UOTHER", name="other")
    stranger = slack.sandbox.add_channel(name=BASE, is_private=True, members=("UOTHER",))
    slack.tick_and_deliver()
    _assert_opened(slack, f"{BASE}-2", {"USOEREN", "UAASA"}, intros=2)
    assert slack.sandbox.get_channel(stranger["id"])["members"] == ["UOTHER"]
    assert slack.sandbox.messages_in(stranger["id"]) == []
    assert _pair(slack, ids["first"]).channel_name == f"{BASE}-2"


def test_someone_who_left_the_workspace_is_reported_to_the_coordinators(slack: SandboxedApp) -> None:
    _seed(slack)
    slack.sandbox.remove_user("UAASA")
    slack.tick_and_deliver()
    _assert_opened(slack, BASE, {"USOEREN"}, intros=2)
    reports = [message_text(m) for m in slack.sandbox.dm_messages("UMETTE")]
    assert len(reports) == 1 and "Åsa Lind" in reports[0] and "kunne ikke invitere" in reports[0]


def test_coordinators_join_when_the_programme_says_so(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    with unit_of_work(slack.runtime.session_factory) as session:
        session.get(Pair, ids["first"]).round.programme.coordinators_join_pair_channels = True
    slack.tick_and_deliver()
    channel = _assert_opened(slack, BASE, {"USOEREN", "UAASA", "UMETTE"}, intros=2)
    assert "Your coordinators are in this channel too" in message_text(slack.sandbox.messages_in(channel["id"])[1])


def _values(pair_id: int, reason: str, note: str = "") -> dict[str, Any]:
    return {
        "pair": {"pair": {"type": "static_select", "selected_option": {"value": str(pair_id)}}},
        "reason": {"reason": {"type": "static_select", "selected_option": {"value": reason}}},
        "note": {"note": note},
    }


def test_a_coordinator_ends_a_pair_by_command_and_modal(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    slack.tick_and_deliver()
    response = slack.slash("UMETTE", "/mentoring-admin", "end-pair aasa")
    assert response.status == 200
    modal = slack.sandbox.opened_views[-1]
    assert modal["callback_id"] == "pairs.end.submit" and modal["title"]["text"] == "Afslut et par"
    pair_select = modal["blocks"][1]["element"]
    assert pair_select["initial_option"]["value"] == str(ids["first"])

    # A submission without a reason is refused under the box, and nothing is stored.
    bad = {key: value for key, value in _values(ids["first"], "found_job").items() if key != "reason"}
    response = slack.submit("UMETTE", "pairs.end.submit", bad, view_id=modal["id"])
    assert json.loads(response.body)["response_action"] == "errors"
    assert _pair(slack, ids["first"]).status is PairStatus.ACTIVE

    response = slack.submit("UMETTE", "pairs.end.submit", _values(ids["first"], "found_job", "Data analyst at Maersk"),
                            view_id=modal["id"])
    assert response.view_errors == ()
    done = json.dumps(slack.sandbox.view(modal["id"]), ensure_ascii=False)
    assert "er ikke længere et par" in done and "Har fået job" in done
    pair = _pair(slack, ids["first"])
    assert pair.status is PairStatus.ENDED and pair.end_reason == "found_job" and pair.ended_at is not None

    slack.tick_and_deliver()
    channel = slack.sandbox.get_channel(BASE)
    closing = [message_text(m) for m in slack.sandbox.messages_in(channel["id"])[2:]]
    assert len(closing) == 2 and "jeres mentorforløb er slut" in closing[0] and "Congratulations on the new job" in closing[1]
    assert not channel["is_archived"], "the channel stays until the round ends"
    news = [message_text(m) for m in slack.sandbox.dm_messages("UMETTE")]
    assert any("Data analyst at Maersk" in text for text in news)
    # The ended pair is not reopened, and the freed people are no longer in an active pair.
    slack.tick_and_deliver()
    assert _created(slack).count(BASE) == 1
    with slack.runtime.session_factory() as session:
        active = session.scalars(select(Pair).where(Pair.status != PairStatus.ENDED)).all()
        assert [p.id for p in active] == [ids["second"]]


def test_a_participant_cannot_end_a_pair(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    response = slack.slash("UAASA", "/mentoring-admin", "end-pair")
    assert response.status == 200 and slack.sandbox.opened_views == []
    forged = slack.submit("UAASA", "pairs.end.submit", _values(ids["first"], "other"))
    assert json.loads(forged.body)["response_action"] == "errors"
    assert _pair(slack, ids["first"]).status is PairStatus.ACTIVE


def test_the_round_end_brings_a_goodbye_and_then_the_archive(slack: SandboxedApp) -> None:
    ids = _seed(slack)
    with unit_of_work(slack.runtime.session_factory) as session:
        round_ = session.get(Pair, ids["first"]).round
        session.add(SharedMeeting(round=round_, kind=MeetingKind.CLOSING, title="Closing",
                                  starts_at=datetime(2027, 5, 25, 14, 0, tzinfo=UTC), duration_minutes=120))
    slack.tick_and_deliver()
    channel = slack.sandbox.get_channel(BASE)

    slack.tick_and_deliver(now=datetime(2027, 6, 1, 15, 59, tzinfo=UTC))  # a minute short of the grace week
    assert len(slack.sandbox.messages_in(channel["id"])) == 2

    goodbye_at = datetime(2027, 6, 1, 16, 0, tzinfo=UTC)  # Tuesday 18:00 in Copenhagen: still a polite hour
    slack.tick_and_deliver(now=goodbye_at)
    messages = slack.sandbox.messages_in(channel["id"])
    assert len(messages) == 4 and "Spring 2027* er slut" in message_text(messages[2]) and "is over" in message_text(messages[3])
    assert not slack.sandbox.get_channel(BASE)["is_archived"], "the goodbye first; the archive an hour later"

    slack.tick_and_deliver(now=goodbye_at + timedelta(hours=1))
    assert slack.sandbox.get_channel(BASE)["is_archived"] and slack.sandbox.get_channel(OTHER)["is_archived"]
    assert _pair(slack, ids["first"]).channel_archived_at == goodbye_at

    slack.tick_and_deliver(now=goodbye_at + timedelta(days=1))
    assert len(slack.sandbox.messages_in(channel["id"])) == 4
    assert len(slack.sandbox.calls_to("conversations.archive")) == 2
