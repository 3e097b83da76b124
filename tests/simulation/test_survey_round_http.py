"""The scripted survey round of test_survey_simulation.py, played through the signed HTTP
endpoint against the fake Slack: the scoreboard equals the same count by hand
(tests/support/survey_round.py), in the coordinator's answer and in the computation.

Everyone acts only on what reaches them in Slack: mentors and mentees answer the consent
questions of their welcome DM with its buttons (e6 says no to the evaluation), a survey DM
with its buttons or the form it opens; the coordinator answers the list of company contacts
not in Slack with `/mentoring-admin outcome NAME`; m6 takes back his evaluation consent in
his welcome DM after answering; the mentees report their situation with `/mentoring
outcome`. Nobody answers the pulses after the first, nor m6 the midway survey, nor (but e1)
the 6-month follow-up.

In English time moves on every weekday from the round's start until weeks after its company
survey closed, and again from before the 6-month follow-up until weeks after it, so every
reminder is seen to come in its person's slot and to stop at its limit. The Danish round is
ticked only on the days something is first asked (and the follow-up's reminder day): the
same answers and the same hand count, in Danish, in a fraction of the time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.sandbox.harness import SandboxedApp
from bot.surveys.scoreboard import Scoreboard, Standing, compute_scoreboard
from storage.db import unit_of_work
from storage.models import (
    Outcome,
    OutcomeSource,
    OutcomeStatus,
    Role,
    Survey,
    SurveyInvitation,
    SurveyKind,
)
from tests.nudge_world import World
from tests.support.answers import answers_on, button, message_text
from tests.support.survey_round import (
    COMPANY,
    CONTACTS,
    CONTACTS_IN_SLACK,
    FINAL,
    FOLLOW_UP_CONSENTING,
    HAND_COUNT,
    MENTEE_ZONES,
    MENTEES,
    MENTORS,
    MIDWAY,
    NO_EVALUATION,
    OUTCOMES,
    PEOPLE_ZONE,
    PULSE_1,
    RESPONSES,
    START,
    WITHDRAWAL,
    WITHDRAWS,
    assert_hand_count,
    comment_of,
    questions_of,
    row_of,
    seed_round,
)

UTC = timezone.utc
SEASON_ENDS = date(2027, 7, 2)  # 11 days after the company survey closed, weeks after the others
FOLLOW_UP_FROM = date(2027, 11, 17)  # days before the 6-month follow-up (21 May + 6 months: a Sunday)
FOLLOW_UP_DAY = date(2027, 11, 22)  # the first weekday on or after it
REMINDER_DAY = date(2027, 11, 29)  # five working days on
LAST_DAY = date(2027, 12, 23)  # past the reminder's last chance (30 days after asking)
#: The Danish round's days: welcomes, pulse 1, midway, final, company, withdrawal and
#: outcomes, the follow-up and its reminder, and the end.
DANISH_DAYS = (date(2027, 2, 1), date(2027, 2, 22), date(2027, 3, 25), date(2027, 5, 21), date(2027, 5, 24),
               date(2027, 6, 1), FOLLOW_UP_DAY, REMINDER_DAY, LAST_DAY)
STARTED_ON = "2027-05-03"  # when the mentees in work started
COORDINATORS_CHANNEL = "mentoring-coordinators"
COORDINATOR = "UCOORD"
SLOT_OPEN = timedelta(hours=2)
ZONES = {**dict.fromkeys((*MENTORS, *CONTACTS, "coord"), PEOPLE_ZONE), **MENTEE_ZONES}

WORDS: dict[str, dict[Any, str]] = {
    "en": {
        Role.MENTOR: "Mentors", Role.MENTEE: "Mentees", Role.COMPANY_CONTACT: "Companies",
        SurveyKind.MIDWAY: "midway survey", SurveyKind.FINAL: "final survey", SurveyKind.COMPANY: "company survey",
        Standing.MET: "met", Standing.NOT_MET: "not met",
        "agree": "{agreeing} of {answers} agree ({share}%)", "in_work": "{agreeing} of {answers} in work ({share}%)",
        "answered": "• {survey}: {answered} of {invited} answered ({share}%)",
        "pulse": "• Mentees, 1:1 sessions useful: 4.0 → …", "pulse_dm": "How useful are your 1:1 sessions",
        "follow_up": "six months since", "locale": "en-GB",
    },
    "da": {
        Role.MENTOR: "Mentorer", Role.MENTEE: "Mentees", Role.COMPANY_CONTACT: "Virksomheder",
        SurveyKind.MIDWAY: "midtvejsevaluering", SurveyKind.FINAL: "slutevaluering",
        SurveyKind.COMPANY: "virksomhedsundersøgelse",
        Standing.MET: "opfyldt", Standing.NOT_MET: "ikke opfyldt",
        "agree": "{agreeing} af {answers} er enige ({share} %)", "in_work": "{agreeing} af {answers} i job ({share} %)",
        "answered": "• {survey}: {answered} af {invited} har svaret ({share} %)",
        "pulse": "• Mentees, udbytte af 1:1-møderne: 4,0 → …", "pulse_dm": "Hvor nyttige er jeres 1:1-møder",
        "follow_up": "seks måneder siden", "locale": "da-DK",
    },
}


def slot_ticks(day: date) -> list[datetime]:
    """The fewest moments of a weekday that lie inside every person's 10:00 slot (open two
    hours): the slots that overlap share a moment, the middle of their overlap. Every zone's
    weekday morning falls on the same UTC day, so no slot is lost to a UTC weekend."""
    if day.weekday() >= 5:
        return []
    slots = sorted({datetime.combine(day, time(10), tzinfo=ZoneInfo(name)).astimezone(UTC)
                    for name in ZONES.values()})
    moments: list[datetime] = []
    first, last = slots[0], slots[0] + SLOT_OPEN
    for slot in slots[1:]:
        if slot < last:
            first = slot  # overlaps the group: narrow it to the common part
            continue
        moments.append(first + (last - first) / 2)
        first, last = slot, slot + SLOT_OPEN
    moments.append(first + (last - first) / 2)
    return moments


def ticks(first: date, last: date) -> Iterator[datetime]:
    day = first
    while day <= last:
        yield from slot_ticks(day)
        day += timedelta(days=1)


def user_of(key: str) -> str:
    return f"U{key.upper()}"


def pick(value: int | str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": str(value)}}


def ticked(value: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"value": value}]}


def action_ids(message: dict[str, Any]) -> list[str]:
    return [element.get("action_id", "") for block in message.get("blocks") or []
            for element in [*block.get("elements", []), block.get("accessory") or {}]]


@dataclass(frozen=True, kw_only=True)
class Received:
    """One DM as it reached someone: what it was, the how-many-th of its kind, and when."""

    what: str  # "pulse1", "midway1", "final1", "company1", "follow_up"
    nth: int  # 0 for the first message, then the reminders
    at: datetime


@dataclass
class RoundPlay:
    """The round played in the fake Slack: ticks, and everyone doing what their DMs ask."""

    slack: SandboxedApp
    world: World
    received: dict[str, list[Received]] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)  # (user, ts) of DMs already read
    coordinator_posts: int = 0
    by_hand: list[str] = field(default_factory=list)  # contacts whose answers the coordinator entered
    welcomed: list[str] = field(default_factory=list)  # who answered the consent questions of a welcome
    withdrawn: bool = False

    @property
    def users(self) -> dict[str, str]:
        return {user_of(key): key for key in self.world.people if key not in CONTACTS or key in CONTACTS_IN_SLACK}

    def run(self, moments: Iterator[datetime]) -> None:
        for now in moments:
            report = self.slack.tick_and_deliver(now=now)
            assert (report.failed, report.errors) == (0, []), (now, report.errors)
            if report.handled:
                self._read_dms(now)
                self._read_coordinators_channel(now)
            if not self.withdrawn and now >= WITHDRAWAL:
                self._withdraw_and_report_outcomes()

    # --- what reaches people ---------------------------------------------------------------------------

    def _read_dms(self, now: datetime) -> None:
        for user_id, key in self.users.items():
            for message in self.slack.sandbox.dm_messages(user_id):
                if (user_id, message["ts"]) in self.seen:
                    continue
                self.seen.add((user_id, message["ts"]))
                self._react(key, message, now)

    def _react(self, key: str, message: dict[str, Any], now: datetime) -> None:
        actions = action_ids(message)
        if any(action.startswith("consent.") for action in actions):
            self._answer_consent(key, message)
        elif "outcome.open" in actions:
            nth = len([entry for entry in self.received.get(key, []) if entry.what == "follow_up"])
            self.received.setdefault(key, []).append(Received(what="follow_up", nth=nth, at=now))
            if key == "e1" and nth == 0:
                self._answer_follow_up(key, message)
        elif any(action.startswith("survey.") for action in actions):
            kind, number = self._invitation(key, message)
            what = f"{kind.value}{number}"
            nth = len([entry for entry in self.received.get(key, []) if entry.what == what])
            self.received.setdefault(key, []).append(Received(what=what, nth=nth, at=now))
            if nth == 0:
                self._answer_survey(key, message, kind=kind, number=number)

    def _invitation(self, key: str, message: dict[str, Any]) -> tuple[SurveyKind, int]:
        """The invitation a survey DM's buttons carry (a pulse button: "id|question|value")."""
        action_id = next(action for action in action_ids(message) if action.startswith("survey."))
        _, value = button(message, action_id)
        invitation_id = int(value.split("|")[0])
        with self.slack.runtime.session_factory() as session:
            invitation = session.get_one(SurveyInvitation, invitation_id)
            survey = session.get_one(Survey, invitation.survey_id)
            assert invitation.participant_id == self.world.people[key]
            return survey.kind, survey.number

    def _current(self, user_id: str, ts: str) -> dict[str, Any]:
        """The DM as it reads now (a click redraws it)."""
        return next(message for message in self.slack.sandbox.dm_messages(user_id) if message["ts"] == ts)

    def _click(self, user_id: str, ts: str, action_id: str) -> None:
        message = self._current(user_id, ts)
        block_id, value = button(message, action_id)
        response = self.slack.click(user_id, action_id, value=value, block_id=block_id, message=message,
                                    channel_id=self.slack.sandbox.im_channel_for(user_id))
        assert response.status == 200
        assert answers_on(self.slack, response.response_url) == [], f"{user_id} {action_id} was refused"

    def _opened_by(self, user_id: str, ts: str, action_id: str) -> dict[str, Any]:
        opened = len(self.slack.sandbox.opened_views)
        self._click(user_id, ts, action_id)
        views = self.slack.sandbox.opened_views
        assert len(views) == opened + 1, f"{action_id} opened no form for {user_id}"
        return views[-1]

    def _submit(self, user_id: str, callback_id: str, answers: dict[str, Any], form: dict[str, Any]) -> None:
        """Submit the form with these answers per block, keyed as Slack keys them (by each
        block's element's action id)."""
        elements = {block["block_id"]: block["element"] for block in form["blocks"] if block["type"] == "input"}
        assert set(answers) <= set(elements), (sorted(answers), sorted(elements))
        values = {block_id: {elements[block_id]["action_id"]: answer} for block_id, answer in answers.items()}
        response = self.slack.submit(user_id, callback_id, values, view_id=form["id"])
        assert response.status == 200 and response.view_errors == ()
        assert response.body == "" or json.loads(response.body).get("response_action") != "errors", response.body

    # --- what people do --------------------------------------------------------------------------------

    def _answer_consent(self, key: str, message: dict[str, Any]) -> None:
        """The welcome's three questions: coordination yes; evaluation yes (e6: no); the
        follow-up yes for the mentees who agree to it, no for everyone else."""
        user_id = user_of(key)
        self.welcomed.append(key)
        self._click(user_id, message["ts"], "consent.coordination.yes")
        self._click(user_id, message["ts"], f"consent.evaluation.{'no' if key == NO_EVALUATION else 'yes'}")
        self._click(user_id, message["ts"], f"consent.follow_up.{'yes' if key in FOLLOW_UP_CONSENTING else 'no'}")

    def _answer_survey(self, key: str, message: dict[str, Any], *, kind: SurveyKind, number: int) -> None:
        user_id, ts = user_of(key), message["ts"]
        if kind is SurveyKind.PULSE:
            if number == 1 and key in PULSE_1:
                useful, confidence = PULSE_1[key]
                self._click(user_id, ts, f"survey.pulse.useful.{useful}")
                self._click(user_id, ts, f"survey.pulse.confidence.{confidence}")
            return
        if kind is SurveyKind.COMPANY:
            form = self._opened_by(user_id, ts, "survey.open")
            self._submit(user_id, "survey.submit", {"survey.q.company_retention": pick(COMPANY[key]),
                                                    "survey.consent": ticked("agree")}, form)
            return
        script = MIDWAY if kind is SurveyKind.MIDWAY else FINAL
        if key not in script:
            return
        form = self._opened_by(user_id, ts, "survey.open")
        asked = [block["block_id"] for block in form["blocks"] if block["type"] == "input"]
        assert asked == [*(f"survey.q.{question}" for question in questions_of(key)), "survey.comment"]
        values: dict[str, Any] = {f"survey.q.{question}": pick(value)
                                  for question, value in zip(questions_of(key), script[key], strict=True)}
        values["survey.comment"] = {"type": "plain_text_input", "value": comment_of(key)}
        self._submit(user_id, "survey.submit", values, form)

    def _answer_follow_up(self, key: str, message: dict[str, Any]) -> None:
        """e1 confirms from the follow-up DM the situation she reported in June."""
        user_id = user_of(key)
        form = self._opened_by(user_id, message["ts"], "outcome.open")
        self._submit(user_id, "outcome.submit", _situation(OUTCOMES[key]), form)

    def _read_coordinators_channel(self, now: datetime) -> None:
        """The list of company contacts to ask by hand: the coordinator calls each and enters
        the answer with `/mentoring-admin outcome NAME`, confirming they agreed."""
        posts = self.slack.sandbox.messages_in(COORDINATORS_CHANNEL)
        for post in posts[self.coordinator_posts:]:
            text = message_text(post)
            for key in CONTACTS:
                if f"*{key.capitalize()}*, Company {key[1:]}" not in text:
                    continue
                opened = len(self.slack.sandbox.opened_views)
                self.slack.slash(COORDINATOR, "/mentoring-admin", f"outcome {key.capitalize()}")
                form = self.slack.sandbox.opened_views[opened]
                assert form["callback_id"] == "outcome.company.submit"
                self._submit(COORDINATOR, "outcome.company.submit",
                             {"company_retention": pick(COMPANY[key]), "consent": ticked("agreed")},
                             form)
                self.by_hand.append(key)
        self.coordinator_posts = len(posts)

    def _withdraw_and_report_outcomes(self) -> None:
        """m6 takes back his evaluation consent in his welcome DM (the way Slack offers); the
        mentees report where they stand with `/mentoring outcome`."""
        self.withdrawn = True
        user_id = user_of(WITHDRAWS)
        welcome = next(message for message in self.slack.sandbox.dm_messages(user_id)
                       if "consent.evaluation.no" in action_ids(message))
        self._click(user_id, welcome["ts"], "consent.evaluation.no")
        for key, status in OUTCOMES.items():
            opened = len(self.slack.sandbox.opened_views)
            self.slack.slash(user_of(key), "/mentoring", "outcome")
            form = self.slack.sandbox.opened_views[opened]
            assert form["callback_id"] == "outcome.submit"
            self._submit(user_of(key), "outcome.submit", _situation(status), form)


def _situation(status: OutcomeStatus) -> dict[str, Any]:
    values: dict[str, Any] = {"status": pick(status.value)}
    if status is not OutcomeStatus.LOOKING:
        values["started_on"] = {"type": "datepicker", "selected_date": STARTED_ON}
    return values


def _people(slack: SandboxedApp, language: str) -> World:
    """The round of the script, its people in the fake Slack with their zones, a channel per
    pair and the coordinators' channel; mentors and mentees not yet welcomed."""
    sandbox = slack.sandbox
    for key in ZONES:
        if key in CONTACTS and key not in CONTACTS_IN_SLACK:
            continue
        sandbox.add_user(user_id=user_of(key), name=key, email=f"{key}@example.org", tz=ZONES[key],
                         locale=WORDS[language]["locale"])
    sandbox.add_channel(name=COORDINATORS_CHANNEL, is_private=True, members=(sandbox.bot_user_id, COORDINATOR))
    channels = {
        f"p{number}": sandbox.add_channel(name=f"mentoring-m{number}-e{number}", is_private=True,
                                          members=(sandbox.bot_user_id, user_of(mentor), user_of(mentee)))["id"]
        for number, (mentor, mentee) in enumerate(zip(MENTORS, MENTEES, strict=True), start=1)
    }
    with unit_of_work(slack.runtime.session_factory) as session:
        return seed_round(session, language=language, consents=False, channels=channels)


def _play(slack: SandboxedApp, language: str, moments: Iterator[datetime],
          caplog: pytest.LogCaptureFixture) -> tuple[World, RoundPlay]:
    world = _people(slack, language)
    play = RoundPlay(slack=slack, world=world)
    play.run(moments)
    # No tick job and no listener failed (both are logged and carried over, never raised).
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert sorted(play.welcomed) == sorted([*MENTORS, *MENTEES])  # e6 too: she was asked, and said no
    assert play.by_hand == ["c4", "c5"]
    assert play.withdrawn
    return world, play


def test_in_english_every_weekday_the_scoreboard_equals_the_hand_count_and_reminders_stop(
        slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    world, play = _play(slack, "en", chain(ticks(START.date(), SEASON_ENDS), ticks(FOLLOW_UP_FROM, LAST_DAY)), caplog)
    _asked_in_their_daytime_and_only_with_consent(play)
    _reminders_stopped_at_their_limit(play)
    _the_follow_up_came_in_each_mentees_slot_only_with_consent(play)
    _the_scoreboard_equals_the_hand_count(slack, world, "en")


def test_in_danish_the_scoreboard_equals_the_hand_count(slack: SandboxedApp, caplog: pytest.LogCaptureFixture) -> None:
    world, play = _play(slack, "da", chain.from_iterable(slot_ticks(day) for day in DANISH_DAYS), caplog)
    _asked_in_their_daytime_and_only_with_consent(play)
    _the_follow_up_came_in_each_mentees_slot_only_with_consent(play)
    _the_scoreboard_equals_the_hand_count(slack, world, "da")


def _the_scoreboard_equals_the_hand_count(slack: SandboxedApp, world: World, language: str) -> None:
    """The coordinator asks for the scoreboard through the endpoint and reads the hand
    count there; the computation agrees figure for figure."""
    words = WORDS[language]
    assert any(words["pulse_dm"] in message_text(message) for message in slack.sandbox.dm_messages(user_of("e1")))
    assert any(words["follow_up"] in message_text(message) for message in slack.sandbox.dm_messages(user_of("e2")))
    now = slack.clock.now()
    response = slack.slash(COORDINATOR, "/mentoring-admin", "scoreboard Spring 2027")
    [answer] = answers_on(slack, response.response_url)
    assert answer["response_type"] == "ephemeral"
    text = "\n\n".join(block["text"]["text"] for block in answer["blocks"] if block["type"] == "section")
    with unit_of_work(slack.runtime.session_factory) as session:
        board = compute_scoreboard(session, round_id=world.round_id, now=now)
    assert_hand_count(board)
    _the_answer_shows_the_hand_count(text, board, language)
    with slack.runtime.session_factory() as session:
        sources = {row.participant_id: row.source for row in session.scalars(select(Outcome))}
    assert sources == {world.people[key]: OutcomeSource.FOLLOW_UP if key == "e1" else OutcomeSource.SELF
                       for key in OUTCOMES}


def _surveys_received(play: RoundPlay) -> dict[str, list[Received]]:
    return {key: [entry for entry in entries if entry.what != "follow_up"] for key, entries in play.received.items()}


def _asked_in_their_daytime_and_only_with_consent(play: RoundPlay) -> None:
    surveys = _surveys_received(play)
    evaluated = [key for key in (*MENTORS, *MENTEES) if key != NO_EVALUATION]
    assert sorted(key for key, entries in surveys.items() if entries) == sorted([*evaluated, *CONTACTS_IN_SLACK])
    for key, entries in surveys.items():
        for entry in entries:  # each in their own 10:00 slot, on a weekday
            local = entry.at.astimezone(ZoneInfo(ZONES[key]))
            assert local.weekday() < 5 and time(10) <= local.time() < time(12), (key, entry)


def _reminders_stopped_at_their_limit(play: RoundPlay) -> None:
    surveys = _surveys_received(play)

    def counts(key: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for entry in surveys[key]:
            found[entry.what] = found.get(entry.what, 0) + 1
        return found

    for key in (*MENTORS, *MENTEES):
        if key == NO_EVALUATION:
            continue
        # Answered at once: no reminder. Pulses 2-5 never answered: one reminder, then they lapse.
        expected = {"pulse1": 1, "pulse2": 2, "pulse3": 2, "pulse4": 2, "pulse5": 2, "midway1": 1, "final1": 1}
        if key == WITHDRAWS:
            expected["midway1"] = 3  # never answered: two reminders, then no more
        assert counts(key) == expected, key
    for key in CONTACTS_IN_SLACK:
        assert counts(key) == {"company1": 1}
    assert [entry.nth for entry in surveys[WITHDRAWS] if entry.what == "midway1"] == [0, 1, 2]


def _the_follow_up_came_in_each_mentees_slot_only_with_consent(play: RoundPlay) -> None:
    follow_ups = {key: [entry for entry in entries if entry.what == "follow_up"]
                  for key, entries in play.received.items()}
    assert sorted(key for key, entries in follow_ups.items() if entries) == sorted(FOLLOW_UP_CONSENTING)
    for key in FOLLOW_UP_CONSENTING:
        # e1 answered from the DM: no reminder; the others one, five working days on, then nothing.
        days = [FOLLOW_UP_DAY] if key == "e1" else [FOLLOW_UP_DAY, REMINDER_DAY]
        for entry, day in zip(follow_ups[key], days, strict=True):
            local = entry.at.astimezone(ZoneInfo(ZONES[key]))
            assert local.date() == day and time(10) <= local.time() < time(12), (key, entry)


def _the_answer_shows_the_hand_count(text: str, board: Scoreboard, language: str) -> None:
    """Each hand-counted line as the coordinator reads it: where, met or not, the statement,
    and "3 of 5 agree (60%)"; then the response rates and the pulse trend."""
    words = WORDS[language]
    for counted in HAND_COUNT:
        where = words[counted.role] if counted.survey is None else f"{words[counted.role]}, {words[counted.survey]}"
        figures = words["agree" if counted.survey is not None else "in_work"].format(
            agreeing=counted.agreeing, answers=counted.answers, share=round(100 * counted.agreeing / counted.answers))
        statement = row_of(board, counted).statement(language)
        line = f"*{where}* · {words[counted.standing]}\n{statement}\n{figures}"
        assert line in text, line
    for (kind, number), (invited, answered) in RESPONSES.items():
        assert number == 1
        assert words["answered"].format(survey=words[kind], invited=invited, answered=answered,
                                        share=round(100 * answered / invited)) in text
    assert words["pulse"] in text
    assert f"> {comment_of('e1')}" in text
