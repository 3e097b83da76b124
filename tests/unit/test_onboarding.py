"""Onboarding rules with an in-memory Slack directory: resolution and backoff, the missing
report, the welcome, consent, reminders at 10:00 on weekdays in each person's zone, and
ticks that can run twice."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.chat import ChatUser
from bot.core.notices import decode_facts
from bot.core.outbox import OutgoingCall, enqueue_all
from bot.onboarding.notices import MissingPerson, WelcomeFacts
from bot.onboarding.service import (
    MAX_REMINDERS,
    ConsentStatus,
    due_onboarding_reminders,
    due_welcomes,
    lookup_retry_delay,
    next_lookup_at,
    onboarding_facts,
    pick_up_new_member,
    record_consent,
    reminder_key,
    resolve_participants,
    welcome_key,
)
from bot.onboarding.state import OnboardingStep, onboarding_step
from bot.sandbox._blocks import validate_message_blocks
from bot.slack.render.blocks import check_message_limits
from bot.slack.render.onboarding import (
    ConsentChoice,
    consent_value,
    missing_from_slack_message,
    parse_consent_value,
    welcome_message,
)
from scheduling.ticks import DEFAULT_JOBS, run_tick
from storage.db import unit_of_work
from storage.models import (
    Consent,
    ConsentPurpose,
    MeetingKind,
    OutboxMessage,
    OutboxState,
    Participant,
    Role,
    Round,
    SharedMeeting,
)
from tests.factories import make_participant, make_round
from tests.support.notices import slack_method, slack_payload
from tests.support.workspaces import ONE_WORKSPACE

UTC = timezone.utc
# Thursday 4 February 2027, 09:00 UTC (10:00 in Copenhagen, 04:00 in Toronto).
THURSDAY = datetime(2027, 2, 4, 9, 0, tzinfo=UTC)
CPH = "Europe/Copenhagen"
TORONTO = "America/Toronto"


class FakeDirectory:
    """Slack's user directory in memory; records every question, can be told to fail."""

    def __init__(self, users: Iterable[ChatUser] = ()) -> None:
        self.users: dict[str, ChatUser] = {user.user_id: user for user in users}
        self.calls: list[tuple[str, str]] = []
        self.failing = False

    def add(self, user: ChatUser) -> None:
        self.users[user.user_id] = user

    def lookup_by_email(self, email: str) -> ChatUser | None:
        self.calls.append(("lookup", email))
        if self.failing:
            raise RuntimeError("slack is down")
        # Unlike Slack, the fake also returns deactivated accounts, so the service's own check is tested.
        return next((u for u in self.users.values() if u.email and u.email.lower() == email.lower()), None)

    def user_info(self, user_id: str) -> ChatUser | None:
        self.calls.append(("info", user_id))
        if self.failing:
            raise RuntimeError("slack is down")
        return self.users.get(user_id)


def member(user_id: str, email: str, *, tz: str | None = CPH, name: str = "slack name", **flags: Any) -> ChatUser:
    return ChatUser(user_id=user_id, name=name, email=email, timezone=tz, locale="en-US", **flags)


def _lookups(directory: FakeDirectory) -> int:
    return sum(1 for kind, _ in directory.calls if kind == "lookup")


def _seed_round(session: Session, *, channel: str | None = "#coordinators") -> Round:
    round_ = make_round(session)
    round_.programme.coordinator_channel = channel
    session.add(
        SharedMeeting(round=round_, kind=MeetingKind.KICK_OFF, title="Kick-off <!channel>",
                      starts_at=datetime(2027, 2, 10, 16, 0, tzinfo=UTC), location="DTU Lyngby")
    )
    session.add(
        SharedMeeting(round=round_, kind=MeetingKind.CV_WORKSHOP, title="CV workshop",
                      starts_at=datetime(2027, 2, 8, 16, 0, tzinfo=UTC))
    )
    session.flush()
    return round_


def _person(session: Session, round_: Round, email: str, **kwargs: Any) -> Participant:
    kwargs.setdefault("name", email.split("@")[0].title())
    kwargs.setdefault("timezone_name", None)
    return make_participant(session, round_=round_, email=email, **kwargs)


def _rows(session: Session, prefix: str = "") -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedup_key.startswith(prefix)).order_by(OutboxMessage.id)
        )
    )


def _text(call_or_payload: OutgoingCall | OutboxMessage | dict[str, Any]) -> str:
    """Everything a queued message will say, as Slack receives it (or a rendered message's fields)."""
    payload = call_or_payload if isinstance(call_or_payload, dict) else slack_payload(call_or_payload)
    return json.dumps(payload, ensure_ascii=False)


def _welcomed(session: Session, participant: Participant, *, at: datetime) -> None:
    """Found in Slack and welcomed at `at` (through the real producer and the outbox)."""
    enqueue_all(session, due_welcomes(session, now=at), now=at)
    session.flush()
    assert participant.welcome_sent_at == at


def _consent_all(session: Session, participant: Participant, *, at: datetime, coordination: bool = True) -> None:
    for purpose in ConsentPurpose:
        granted = coordination if purpose is ConsentPurpose.COORDINATION else True
        record_consent(session, workspace=ONE_WORKSPACE, participant_id=participant.id,
                       acting_user_id=participant.slack_user_id or "",
                       purpose=purpose, granted=granted, now=at)


# --- resolving people in Slack ---------------------------------------------------------------


def test_found_people_keep_their_workbook_name_and_take_slacks_time_zone_unless_confirmed(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "Ana@Example.org", name="Ana Souza")
    lars = _person(session, round_, "lars@firm.dk", role=Role.MENTOR, timezone_name=CPH)
    lars.timezone_confirmed = True
    directory = FakeDirectory([
        member("UANA", "ana@example.org", tz=TORONTO, name="ana.s"),
        member("ULARS", "lars@firm.dk", tz="Asia/Tokyo"),
    ])
    result = resolve_participants(session, directory=directory, now=THURSDAY)
    assert set(result.found) == {ana.id, lars.id} and result.missing == ()
    assert (ana.slack_user_id, ana.name, ana.timezone) == ("UANA", "Ana Souza", TORONTO)
    assert (lars.slack_user_id, lars.timezone) == ("ULARS", CPH), "a confirmed time zone is the person's own"
    assert ("info", "UANA") in directory.calls, "users.info is asked for the time zone"
    assert result.calls == []


def test_deleted_and_bot_accounts_count_as_not_found(session: Session) -> None:
    round_ = _seed_round(session)
    gone = _person(session, round_, "gone@x.org")
    robot = _person(session, round_, "robot@x.org")
    directory = FakeDirectory([member("UGONE", "gone@x.org", deleted=True), member("UBOT", "robot@x.org", is_bot=True)])
    result = resolve_participants(session, directory=directory, now=THURSDAY)
    assert set(result.missing) == {gone.id, robot.id}
    assert gone.slack_user_id is None and robot.slack_user_id is None
    assert gone.slack_missing_since == THURSDAY and gone.slack_lookup_attempts == 1


def test_people_not_found_are_retried_after_1h_2h_4h_and_at_most_daily(session: Session) -> None:
    round_ = _seed_round(session)
    wei = _person(session, round_, "wei@x.org")
    directory = FakeDirectory()
    now = THURSDAY
    resolve_participants(session, directory=directory, now=now)
    assert (wei.slack_missing_since, wei.slack_lookup_attempts) == (THURSDAY, 1)
    for delay_hours in (1, 2, 4, 8):
        assert next_lookup_at(wei) == now + timedelta(hours=delay_hours)
        resolve_participants(session, directory=directory, now=now + timedelta(hours=delay_hours) - timedelta(minutes=1))
        assert wei.slack_lookup_attempts == 1 + (1, 2, 4, 8).index(delay_hours), "too early: no lookup"
        now += timedelta(hours=delay_hours)
        resolve_participants(session, directory=directory, now=now)
    assert wei.slack_lookup_attempts == 5 and _lookups(directory) == 5
    assert wei.slack_missing_since == THURSDAY, "the first miss is remembered"
    assert lookup_retry_delay(5) == timedelta(hours=16)
    assert lookup_retry_delay(6) == lookup_retry_delay(30) == timedelta(hours=24)


def test_someone_missing_for_months_is_still_looked_up_daily(session: Session) -> None:
    """A day's delay after the first few misses stays a day: doubling without an end overflowed
    after about 35 attempts (five weeks of daily lookups), and every tick's lookups then failed."""
    assert lookup_retry_delay(40) == lookup_retry_delay(10_000) == timedelta(hours=24)
    round_ = _seed_round(session)
    wei = _person(session, round_, "wei@x.org")
    wei.slack_missing_since, wei.slack_lookup_attempts = THURSDAY - timedelta(days=90), 90
    wei.updated_at = THURSDAY - timedelta(days=1)
    directory = FakeDirectory()
    assert resolve_participants(session, directory=directory, now=THURSDAY).missing == (wei.id,)
    assert wei.slack_lookup_attempts == 91 and next_lookup_at(wei) == THURSDAY + timedelta(days=1)


def test_slack_trouble_stops_the_pass_and_counts_no_attempt(session: Session) -> None:
    round_ = _seed_round(session)
    wei = _person(session, round_, "wei@x.org")
    directory = FakeDirectory()
    directory.failing = True
    result = resolve_participants(session, directory=directory, now=THURSDAY)
    assert result.interrupted and result.looked_up == 0
    assert wei.slack_lookup_attempts == 0 and wei.slack_missing_since is None
    directory.failing = False
    assert resolve_participants(session, directory=directory, now=THURSDAY).missing == (wei.id,)


def test_opted_out_people_and_ended_rounds_are_left_alone(session: Session) -> None:
    round_ = _seed_round(session)
    quiet = _person(session, round_, "quiet@x.org")
    quiet.opted_out_at = THURSDAY
    old = make_round(session, name="Autumn 2026", programme_name="Old programme")
    old.starts_on, old.ends_on = date(2026, 8, 1), date(2026, 12, 1)
    _person(session, old, "former@x.org")
    directory = FakeDirectory([member("UQ", "quiet@x.org"), member("UF", "former@x.org")])
    result = resolve_participants(session, directory=directory, now=THURSDAY)
    assert result.looked_up == 0 and directory.calls == []


# --- reporting the people missing from Slack ----------------------------------------------------


def test_missing_people_are_reported_once_per_set_and_again_when_someone_new_is_missing(
    session: Session,
) -> None:
    round_ = _seed_round(session)
    _person(session, round_, "wei@x.org", name="Wei <!here>")
    _person(session, round_, "omar@x.org", name="Omar")
    directory = FakeDirectory()

    first = resolve_participants(session, directory=directory, now=THURSDAY)
    assert len(first.calls) == 1
    report = first.calls[0]
    assert slack_method(report) == "chat.postMessage" and slack_payload(report)["channel"] == "coordinators"
    assert report.dedup_key.startswith(f"slack-missing:round={round_.id}:set=")
    text = _text(report)
    assert "wei@x.org" in text and "omar@x.org" in text and "Omar" in text
    assert "<!here>" not in text and "&lt;!here&gt;" in text
    assert "invitation" in text and "guests" in text and "keep looking" in text
    check_message_limits(slack_payload(report)["blocks"])
    enqueue_all(session, first.calls, now=THURSDAY)

    # Retries of the same people, at the same instant or hours later: nothing new to say.
    assert resolve_participants(session, directory=directory, now=THURSDAY).calls == []
    assert resolve_participants(session, directory=directory, now=THURSDAY + timedelta(hours=1)).calls == []

    # Someone found: the list shrinks, which needs no report.
    directory.add(member("UOMAR", "omar@x.org"))
    later = THURSDAY + timedelta(hours=3)
    assert resolve_participants(session, directory=directory, now=later).calls == []

    # A newly imported person who is missing too: a new report, listing everyone still missing.
    _person(session, round_, "nina@x.org", name="Nina")
    again = resolve_participants(session, directory=directory, now=later + timedelta(minutes=5))
    assert len(again.calls) == 1 and again.calls[0].dedup_key != report.dedup_key
    text = _text(again.calls[0])
    assert "nina@x.org" in text and "wei@x.org" in text and "omar@x.org" not in text
    assert "new on this list" in text
    enqueue_all(session, again.calls, now=later + timedelta(minutes=5))
    assert resolve_participants(session, directory=directory, now=later + timedelta(hours=5)).calls == []


def test_without_a_channel_each_coordinator_in_slack_gets_the_report_in_their_language(session: Session) -> None:
    round_ = _seed_round(session, channel=None)
    _person(session, round_, "wei@x.org")
    mette = _person(session, round_, "mette@kommune.dk", role=Role.COORDINATOR, language="da")
    directory = FakeDirectory()
    # Mette is not in Slack yet either: nobody to tell, so nothing is queued (and nothing is lost).
    assert resolve_participants(session, directory=directory, now=THURSDAY).calls == []
    directory.add(member("UMETTE", "mette@kommune.dk"))
    calls = resolve_participants(session, directory=directory, now=THURSDAY + timedelta(hours=1)).calls
    assert mette.slack_user_id == "UMETTE"
    assert [slack_payload(call)["channel"] for call in calls] == ["UMETTE"]
    assert "endnu ikke med" in _text(calls[0]).lower() and "wei@x.org" in _text(calls[0])


def test_a_long_missing_list_stays_within_slacks_limits() -> None:
    people = [MissingPerson(name=f"Person {i} " + "x" * 60, email=f"p{i}@example.org", role=Role.MENTEE)
              for i in range(900)]
    message = missing_from_slack_message(language="en", programme="P", round_name="R", people=people)
    check_message_limits(message.blocks)
    assert validate_message_blocks(message.blocks) == []
    assert all(len(block.get("text", {}).get("text", "")) <= 3000 for block in message.blocks)


# --- the welcome ----------------------------------------------------------------------------


def test_the_welcome_is_queued_once_in_the_persons_language_and_zone(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", name="Ana <@U123>", slack_user_id="UANA", timezone_name=TORONTO)
    mette = _person(session, round_, "mette@kommune.dk", role=Role.COORDINATOR, language="da",
                    slack_user_id="UMETTE", timezone_name=CPH)
    calls = {slack_payload(call)["channel"]: call for call in due_welcomes(session, now=THURSDAY)}
    assert set(calls) == {"UANA", "UMETTE"}
    welcome = calls["UANA"]
    assert welcome.dedup_key == welcome_key(ana.id) and slack_method(welcome) == "chat.postMessage"
    # 04:00 in Toronto: not now, but the next weekday morning there (09:00 EST = 14:00 UTC).
    assert welcome.not_before == datetime(2027, 2, 4, 14, 0, tzinfo=UTC)
    assert calls["UMETTE"].not_before == THURSDAY, "10:00 in Copenhagen: at once"
    assert ana.welcome_sent_at == THURSDAY and mette.welcome_sent_at == THURSDAY

    english, danish = _text(welcome), _text(calls["UMETTE"])
    assert "Career Mentoring" in english and "Spring 2027" in english
    assert "1 February 2027" in english and "31 May 2027" in english
    assert "10 Feb 2027, 11:00" in english, "the kick-off at 16:00 UTC is 11:00 in Toronto"
    assert "&lt;@U123&gt;" in english and "<@U123>" not in english
    assert "&lt;!channel&gt;" in english and "<!channel>" not in english
    assert "mentee" in english and "matched with a mentor" in english
    assert "1. februar 2027" in danish and "koordinator" in danish and "samtykke" in danish
    assert "10. feb. 2027, 17.00" in danish, "Copenhagen time, Danish format"
    assert "CV workshop" in english and "CV-workshop" in danish

    # A second pass finds nobody new.
    assert due_welcomes(session, now=THURSDAY + timedelta(minutes=1)) == []


def test_a_queued_welcome_keeps_its_facts_and_is_drawn_in_the_persons_language_when_sent(session: Session) -> None:
    """The outbox holds what the welcome is about (with the answers already given), not its
    words; what goes out is what the renderer makes of those facts in the person's language."""
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA", timezone_name=CPH, language="da")
    record_consent(session, workspace=ONE_WORKSPACE, participant_id=ana.id, acting_user_id="UANA",
                   purpose=ConsentPurpose.FOLLOW_UP,
                   granted=False, now=THURSDAY)
    _welcomed(session, ana, at=THURSDAY)
    [row] = _rows(session, "welcome:")
    session.expire(row)  # read back what the database holds
    assert row.payload["kind"] == "WelcomeFacts" and row.payload["language"] == "da"
    assert "text" not in row.payload and "blocks" not in row.payload
    facts = decode_facts(row.payload)
    assert facts == WelcomeFacts(participant=onboarding_facts(ana))
    assert facts.participant.choices == {ConsentPurpose.FOLLOW_UP: False}
    assert [meeting.kind for meeting in facts.participant.meetings] == [MeetingKind.CV_WORKSHOP, MeetingKind.KICK_OFF]
    assert slack_payload(row) == {"channel": "UANA", **welcome_message(facts.participant, language="da").as_kwargs()}
    assert "samtykke" in _text(row)


def test_the_welcome_has_unique_consent_buttons_per_purpose_and_fits_slack(session: Session) -> None:
    round_ = _seed_round(session)
    lars = _person(session, round_, "lars@x.org", role=Role.MENTOR, slack_user_id="ULARS", name="L" * 200)
    message = welcome_message(onboarding_facts(lars), language="en")
    check_message_limits(message.blocks)
    assert validate_message_blocks(message.blocks) == []
    buttons = [e for block in message.blocks if block["type"] == "actions" for e in block["elements"]]
    assert {b["action_id"] for b in buttons} == {
        f"consent.{purpose.value}.{answer}" for purpose in ConsentPurpose for answer in ("yes", "no")
    }
    for b in buttons:
        choice = parse_consent_value(b["value"])
        assert choice is not None and choice.participant_id == lars.id
        assert b["action_id"] == f"consent.{choice.purpose.value}.{'yes' if choice.granted else 'no'}"
        assert len(b["text"]["text"]) <= 75
    text = _text(message.__dict__)
    assert "profile.open" not in text, "no profile button before coordination is granted"
    assert "Course for mentors" not in text and "CV workshop" not in text, "mentors skip the CV workshop"
    assert "lend them your network" in text


def test_consent_button_values_round_trip_and_junk_is_refused() -> None:
    choice = ConsentChoice(participant_id=42, purpose=ConsentPurpose.FOLLOW_UP, granted=False, via="reminder")
    assert parse_consent_value(consent_value(choice)) == choice
    for junk in (None, "", "42", "x:coordination:yes:welcome", "42:marketing:yes:welcome",
                 "42:coordination:maybe:welcome", "42:coordination:yes:elsewhere"):
        assert parse_consent_value(junk) is None


# --- consent --------------------------------------------------------------------------------


def test_consent_needs_all_three_answers_with_coordination_granted(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA")
    record: dict[str, Any] = {"participant_id": ana.id, "acting_user_id": "UANA"}

    outcome = record_consent(session, workspace=ONE_WORKSPACE, **record, purpose=ConsentPurpose.COORDINATION, granted=True,
                             now=THURSDAY)
    assert outcome.status is ConsentStatus.RECORDED and not outcome.consented and ana.consented_at is None
    record_consent(session, workspace=ONE_WORKSPACE, **record, purpose=ConsentPurpose.EVALUATION, granted=False, now=THURSDAY)
    assert ana.consented_at is None
    later = THURSDAY + timedelta(minutes=3)
    outcome = record_consent(session, workspace=ONE_WORKSPACE, **record, purpose=ConsentPurpose.FOLLOW_UP, granted=True,
                             now=later)
    assert outcome.consented and ana.consented_at == later
    assert outcome.facts is not None and outcome.facts.all_answered

    # Changing one's mind updates the answer and its time; consent stays complete.
    even_later = later + timedelta(days=1)
    record_consent(session, workspace=ONE_WORKSPACE, **record, purpose=ConsentPurpose.EVALUATION, granted=True, now=even_later)
    evaluation = session.scalar(select(Consent).where(Consent.participant_id == ana.id,
                                                       Consent.purpose == ConsentPurpose.EVALUATION))
    assert evaluation is not None and evaluation.granted and evaluation.decided_at == even_later
    assert ana.consented_at == later
    # The same click twice changes nothing.
    again = record_consent(session, workspace=ONE_WORKSPACE, **record, purpose=ConsentPurpose.EVALUATION, granted=True,
                           now=even_later + timedelta(hours=1))
    assert again.status is ConsentStatus.UNCHANGED and evaluation.decided_at == even_later


def test_someone_elses_button_or_a_vanished_participant_changes_nothing(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA")
    _person(session, round_, "lars@x.org", slack_user_id="ULARS", language="da")
    outcome = record_consent(session, workspace=ONE_WORKSPACE, participant_id=ana.id, acting_user_id="ULARS",
                             purpose=ConsentPurpose.COORDINATION, granted=False, now=THURSDAY)
    assert outcome.status is ConsentStatus.NOT_YOURS and outcome.language == "da"
    assert ana.opted_out_at is None and session.scalars(select(Consent)).all() == []
    stale = record_consent(session, workspace=ONE_WORKSPACE, participant_id=9999, acting_user_id="UANA",
                           purpose=ConsentPurpose.COORDINATION, granted=True, now=THURSDAY)
    assert stale.status is ConsentStatus.STALE and not stale.accepted


def test_declining_coordination_opts_out_tells_coordinators_and_yes_brings_them_back(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA", name="Ana")
    _welcomed(session, ana, at=THURSDAY)
    # A reminder already queued for later must not go out after the no.
    enqueue_all(session, [OutgoingCall(dedup_key=reminder_key(ana.id, 1), method="chat.postMessage", team_id="",
                                       payload={"channel": "UANA", "text": "reminder"},
                                       not_before=THURSDAY + timedelta(days=5))], now=THURSDAY)
    _consent_all(session, ana, at=THURSDAY)
    assert ana.consented_at == THURSDAY

    no_at = THURSDAY + timedelta(hours=2)
    outcome = record_consent(session, workspace=ONE_WORKSPACE, participant_id=ana.id, acting_user_id="UANA",
                             purpose=ConsentPurpose.COORDINATION, granted=False, now=no_at)
    assert outcome.opted_out and ana.opted_out_at == no_at and ana.consented_at is None
    assert outcome.facts is not None and outcome.facts.declined
    notices = _rows(session, "consent-declined:")
    assert len(notices) == 1 and notices[0].target == "coordinators"
    assert "Ana" in slack_payload(notices[0])["text"] and "ana@x.org" in _text(notices[0])
    reminder = _rows(session, "onboarding-reminder:")[0]
    assert reminder.state is OutboxState.CANCELLED and reminder.last_error is None
    assert reminder.cancel_reason == "the participant declined coordination"
    # The no again: nothing new.
    record_consent(session, workspace=ONE_WORKSPACE, participant_id=ana.id, acting_user_id="UANA",
                   purpose=ConsentPurpose.COORDINATION, granted=False, now=no_at + timedelta(minutes=1))
    assert len(_rows(session, "consent-declined:")) == 1

    yes_at = no_at + timedelta(days=1)
    back = record_consent(session, workspace=ONE_WORKSPACE, participant_id=ana.id, acting_user_id="UANA",
                          purpose=ConsentPurpose.COORDINATION, granted=True, now=yes_at)
    assert back.opted_back_in and back.consented
    assert ana.opted_out_at is None and ana.consented_at == yes_at
    assert len(_rows(session, "consent-regranted:")) == 1


# --- reminders ------------------------------------------------------------------------------


def _reminders(session: Session, at: datetime) -> dict[str, OutgoingCall]:
    calls = due_onboarding_reminders(session, now=at)
    enqueue_all(session, calls, now=at)
    session.flush()
    return {slack_payload(call)["channel"]: call for call in calls}


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def test_reminders_come_at_10_on_weekdays_in_each_persons_zone(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA", timezone_name=CPH)
    tom = _person(session, round_, "tom@x.org", slack_user_id="UTOM", timezone_name=TORONTO)
    _welcomed(session, ana, at=THURSDAY)
    assert tom.welcome_sent_at == THURSDAY
    # Tom's welcome waited for 09:00 in Toronto; both count from Thursday.
    # Thursday + 3 working days = Tuesday 9 February, 10:00 local.
    assert _reminders(session, datetime(2027, 2, 6, 12, 0, tzinfo=UTC)) == {}, "Saturday: not due"
    assert _reminders(session, datetime(2027, 2, 8, 16, 0, tzinfo=UTC)) == {}, "Monday: not due"
    assert _reminders(session, datetime(2027, 2, 9, 2, 0, tzinfo=UTC)) == {}, "03:00 in Copenhagen: not yet"

    copenhagen_ten = datetime(2027, 2, 9, 9, 0, tzinfo=UTC)
    calls = _reminders(session, copenhagen_ten)
    assert list(calls) == ["UANA"], "04:00 in Toronto: Tom waits"
    assert calls["UANA"].not_before == copenhagen_ten
    assert calls["UANA"].dedup_key == reminder_key(ana.id, 1) and ana.onboarding_reminders_sent == 1
    assert _reminders(session, copenhagen_ten) == {}, "the same instant twice: nothing new"

    toronto_ten = datetime(2027, 2, 9, 15, 0, tzinfo=UTC)
    calls = _reminders(session, toronto_ten)
    assert list(calls) == ["UTOM"]
    assert _local(calls["UTOM"].not_before, TORONTO).hour == 10

    # The second reminder: three working days after the first, i.e. Friday 12 February at 10:00.
    # A tick at 03:00 Friday in Copenhagen is too early; the scheduler then sleeps until Saturday.
    assert _reminders(session, datetime(2027, 2, 12, 2, 0, tzinfo=UTC)) == {}
    saturday = datetime(2027, 2, 13, 11, 0, tzinfo=UTC)
    calls = _reminders(session, saturday)
    assert set(calls) == {"UANA", "UTOM"}
    for user, tz in (("UANA", CPH), ("UTOM", TORONTO)):
        local = _local(calls[user].not_before, tz)
        assert (local.date(), local.hour, local.minute) == (date(2027, 2, 15), 10, 0), "Monday 10:00, not the weekend"
    assert ana.onboarding_reminders_sent == tom.onboarding_reminders_sent == MAX_REMINDERS

    # Two is the most anyone gets.
    assert _reminders(session, datetime(2027, 3, 1, 9, 0, tzinfo=UTC)) == {}


def test_a_late_tick_in_the_evening_waits_for_the_next_weekday_morning(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA", timezone_name=CPH)
    _welcomed(session, ana, at=THURSDAY)
    late = datetime(2027, 2, 9, 21, 30, tzinfo=UTC)  # Tuesday 22:30 in Copenhagen, after the due time
    calls = _reminders(session, late)
    local = _local(calls["UANA"].not_before, CPH)
    assert (local.date(), local.hour) == (date(2027, 2, 10), 10)


def test_a_reminder_says_what_is_missing_with_the_right_button(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA", timezone_name=CPH)
    lars = _person(session, round_, "lars@x.org", role=Role.MENTOR, slack_user_id="ULARS", timezone_name=CPH)
    mette = _person(session, round_, "mette@x.org", role=Role.COORDINATOR, slack_user_id="UMETTE", timezone_name=CPH)
    _welcomed(session, ana, at=THURSDAY)
    _consent_all(session, lars, at=THURSDAY)
    _consent_all(session, mette, at=THURSDAY)
    calls = _reminders(session, datetime(2027, 2, 9, 9, 0, tzinfo=UTC))
    assert set(calls) == {"UANA", "ULARS"}, "the coordinator has consented and needs no profile"

    consent_text = _text(calls["UANA"])
    assert "consent" in consent_text and "consent.coordination.yes" in consent_text
    assert "profile.open" not in consent_text
    profile = slack_payload(calls["ULARS"])["blocks"]
    buttons = [e for block in profile if block["type"] == "actions" for e in block["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("profile.open", str(lars.id))]
    assert "profile" in _text(calls["ULARS"])
    for call in calls.values():
        check_message_limits(slack_payload(call)["blocks"])
        assert validate_message_blocks(slack_payload(call)["blocks"]) == []


def test_declining_stops_the_reminders(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA", timezone_name=CPH)
    _welcomed(session, ana, at=THURSDAY)
    record_consent(session, workspace=ONE_WORKSPACE, participant_id=ana.id, acting_user_id="UANA",
                   purpose=ConsentPurpose.COORDINATION, granted=False, now=THURSDAY + timedelta(hours=1))
    for day in range(5, 25):
        assert _reminders(session, datetime(2027, 2, day, 9, 0, tzinfo=UTC)) == {}
    assert ana.onboarding_reminders_sent == 0


def test_finished_onboarding_gets_no_reminder(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA", timezone_name=CPH)
    _welcomed(session, ana, at=THURSDAY)
    _consent_all(session, ana, at=THURSDAY)
    ana.profile_completed_at = THURSDAY
    assert _reminders(session, datetime(2027, 2, 9, 9, 0, tzinfo=UTC)) == {}


# --- team_join and whole ticks --------------------------------------------------------------


def test_a_new_member_is_picked_up_and_welcomed_at_once(session: Session) -> None:
    round_ = _seed_round(session)
    wei = _person(session, round_, "wei@x.org")
    directory = FakeDirectory()
    resolve_participants(session, directory=directory, now=THURSDAY)
    assert wei.slack_lookup_attempts == 1
    soon = THURSDAY + timedelta(minutes=10)  # long before the 1-hour retry
    directory.add(member("UWEI", "WEI@x.org", tz=TORONTO))
    assert pick_up_new_member(session, workspace=ONE_WORKSPACE, member=directory.user_info("UWEI"), now=soon) == [wei.id]
    assert (wei.slack_user_id, wei.timezone, wei.welcome_sent_at) == ("UWEI", TORONTO, soon)
    assert [row.dedup_key for row in _rows(session, "welcome:")] == [welcome_key(wei.id)]
    # A bot, a deactivated account, or a stranger: nothing happens.
    directory.add(member("UBOT", "bot@x.org", is_bot=True))
    assert pick_up_new_member(session, workspace=ONE_WORKSPACE, member=directory.user_info("UBOT"), now=soon) == []
    assert pick_up_new_member(session, workspace=ONE_WORKSPACE, member=directory.user_info("UNOBODY"), now=soon) == []


def test_ticks_run_the_onboarding_jobs_and_a_second_tick_enqueues_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    names = [job.name for job in DEFAULT_JOBS]
    assert names.index("resolve-participants") < names.index("welcome-participants") < names.index("onboarding-reminders")
    with unit_of_work(session_factory) as session:
        round_ = _seed_round(session)
        _person(session, round_, "ana@x.org", name="Ana")
        _person(session, round_, "wei@x.org", name="Wei")
    directory = FakeDirectory([member("UANA", "ana@x.org")])

    first = run_tick(session_factory=session_factory, now=THURSDAY, directory=directory)
    assert first.enqueued["resolve-participants"] == 1, "the report about Wei"
    assert first.enqueued["welcome-participants"] == 1, "Ana's welcome"
    second = run_tick(session_factory=session_factory, now=THURSDAY, directory=directory)
    assert sum(second.enqueued.values()) == 0
    # Without a directory (no token), lookups are skipped but nothing breaks.
    offline = run_tick(session_factory=session_factory, now=THURSDAY, directory=None, dry_run=True)
    assert offline.housekeeping["resolve-participants"] == 0

    reminder_day = datetime(2027, 2, 9, 9, 0, tzinfo=UTC)
    third = run_tick(session_factory=session_factory, now=reminder_day, directory=directory)
    assert third.enqueued["onboarding-reminders"] == 1
    fourth = run_tick(session_factory=session_factory, now=reminder_day, directory=directory)
    assert fourth.enqueued["onboarding-reminders"] == 0
    with unit_of_work(session_factory) as session:
        keys = [row.dedup_key for row in _rows(session)]
        ana = session.scalar(select(Participant).where(Participant.email == "ana@x.org"))
        assert ana is not None
        assert welcome_key(ana.id) in keys and reminder_key(ana.id, 1) in keys
        assert sum(key.startswith("slack-missing:") for key in keys) == 1


def test_facts_follow_the_participants_choices(session: Session) -> None:
    round_ = _seed_round(session)
    ana = _person(session, round_, "ana@x.org", slack_user_id="UANA")
    _consent_all(session, ana, at=THURSDAY)
    facts = onboarding_facts(ana)
    assert facts.coordination_granted and facts.all_answered and not facts.declined
    message = welcome_message(replace(facts, profile_completed=True), language="en")
    text = _text(message.__dict__)
    assert "Update your profile" in text and "profile.open" in text


# --- company contacts: found in Slack, never onboarded --------------------------------------------


def test_a_company_contact_is_found_in_slack_but_never_welcomed_reminded_or_reported_missing(
    session: Session,
) -> None:
    round_ = _seed_round(session)
    hanne = _person(session, round_, "hanne@pharma.dk", name="Hanne", role=Role.COMPANY_CONTACT)
    lone = _person(session, round_, "lone@bank.dk", name="Lone", role=Role.COMPANY_CONTACT)
    wei = _person(session, round_, "wei@x.org", name="Wei")
    directory = FakeDirectory([member("UHANNE", "hanne@pharma.dk", tz=TORONTO)])

    result = resolve_participants(session, directory=directory, now=THURSDAY)
    assert hanne.slack_user_id == "UHANNE" and hanne.timezone == TORONTO, "found, so the company survey can DM her"
    assert set(result.missing) == {lone.id, wei.id}
    # The coordinators hear about Wei only: Lone is asked by hand after the round if she never joins.
    (report,) = result.calls
    assert "Wei" in _text(report) and "Lone" not in _text(report)
    assert onboarding_step(lone) is OnboardingStep.READY and onboarding_step(hanne) is OnboardingStep.READY

    for day in range(15):  # two weeks of ticks: welcome time, reminder times
        at = THURSDAY + timedelta(days=day)
        assert due_welcomes(session, now=at) == []
        assert due_onboarding_reminders(session, now=at) == []
    assert hanne.welcome_sent_at is None and hanne.onboarding_reminders_sent == 0
    assert _rows(session, "welcome:") == [] and _rows(session, "onboarding-reminder:") == []


def test_a_company_contact_joining_slack_is_linked_without_a_welcome_even_after_the_round(session: Session) -> None:
    round_ = _seed_round(session)
    hanne = _person(session, round_, "hanne@pharma.dk", name="Hanne", role=Role.COMPANY_CONTACT)
    wei = _person(session, round_, "wei@x.org", name="Wei")
    after = datetime(2027, 6, 10, 9, 0, tzinfo=UTC)  # the round ended 31 May; the company survey is open
    directory = FakeDirectory([member("UHANNE", "hanne@pharma.dk"), member("UWEI", "wei@x.org")])
    result = resolve_participants(session, directory=directory, now=after)
    assert result.found == (hanne.id,) and wei.slack_user_id is None, "only the company contact is still looked for"
    hanne.slack_user_id = None
    assert pick_up_new_member(session, workspace=ONE_WORKSPACE, member=directory.user_info("UHANNE"), now=after) == [hanne.id]
    assert hanne.slack_user_id == "UHANNE" and _rows(session, "welcome:") == []
    # Once the company survey has closed, nobody is looked for any more.
    hanne.slack_user_id = None
    long_after = datetime(2027, 7, 15, 9, 0, tzinfo=UTC)
    assert resolve_participants(session, directory=directory, now=long_after).looked_up == 0


def test_an_onboarding_click_on_a_company_contacts_behalf_changes_nothing(session: Session) -> None:
    round_ = _seed_round(session)
    hanne = _person(session, round_, "hanne@pharma.dk", name="Hanne", role=Role.COMPANY_CONTACT,
                    slack_user_id="UHANNE")
    outcome = record_consent(session, workspace=ONE_WORKSPACE, participant_id=hanne.id, acting_user_id="UHANNE",
                             purpose=ConsentPurpose.COORDINATION, granted=False, now=THURSDAY)
    assert outcome.status is ConsentStatus.STALE
    assert hanne.consents == [] and hanne.opted_out_at is None
