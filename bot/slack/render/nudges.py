"""Check-ins, "going quiet" notes, pauses and welcomes back, as Block Kit.

Pure functions from plain facts (`bot.nudges.notices`, `bot.pairs.notices`), registered on
`SLACK` for the notices the services queue. The check-in is drawn by one function before
and after every click, so the message in the pair channel always shows the answer on
record (the service passes it in), and the buttons stay so the answer can change.
"""

from __future__ import annotations

from datetime import date

from bot.core.numbers import whole_number
from bot.i18n import format_day, t
from bot.nudges.notices import CheckinFacts, CheckinHelpRequested, CheckinsIgnored, PairGoingQuiet, PairNewsFacts
from bot.pairs.notices import PairPaused, PersonPaused, WelcomeBack
from bot.pairs.state import HoldKind, PauseHold
from bot.slack.render.blocks import Block, Message, actions, button, check_message_limits, context, section
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn, truncate
from storage.models import CheckinAnswer, Role

# "Yes" opens the session log modal, which the session-logging feature owns; its value is the pair id.
SESSION_LOG_ACTION = "session.log.open"
CHECKIN_PLANNED_ACTION = "checkin.planned"  # a datepicker: "It's planned for ..."
CHECKIN_NOT_YET_ACTION = "checkin.not_yet"
CHECKIN_HELP_ACTION = "checkin.help"
CHECKIN_ACTIONS = (CHECKIN_PLANNED_ACTION, CHECKIN_NOT_YET_ACTION, CHECKIN_HELP_ACTION)
CHECKIN_ACTION_PATTERN = r"^checkin\.(planned|not_yet|help)$"
CHECKIN_BLOCK_PREFIX = "checkin|"

_ANSWER_OF_ACTION = {
    CHECKIN_PLANNED_ACTION: CheckinAnswer.PLANNED,
    CHECKIN_NOT_YET_ACTION: CheckinAnswer.NOT_YET,
    CHECKIN_HELP_ACTION: CheckinAnswer.HELP,
}


def checkin_ref(pair_id: int, window_start: date) -> str:
    """What a check-in's buttons carry: the pair and the window (the row's natural key), so
    the message can be written before the row has an id."""
    return f"{pair_id}|{window_start.isoformat()}"


def parse_checkin_ref(text: str | None) -> tuple[int, date] | None:
    """A button value or block id back as (pair id, window start); None for anything else."""
    raw = (text or "").removeprefix(CHECKIN_BLOCK_PREFIX)
    parts = raw.split("|")
    pair_id = whole_number(parts[0]) if len(parts) == 2 else None
    if pair_id is None:
        return None
    try:
        return pair_id, date.fromisoformat(parts[1])
    except ValueError:
        return None


def answer_of_action(action_id: str) -> CheckinAnswer | None:
    return _ANSWER_OF_ACTION.get(action_id)


def _person(name: str, slack_user_id: str | None) -> str:
    """A mention pings the two of them in their channel; a name when there is no id."""
    return f"<@{slack_user_id}>" if slack_user_id else escape_mrkdwn(name)


def datepicker(*, action_id: str, placeholder: str, initial_date: date | None = None) -> Block:
    element: Block = {
        "type": "datepicker",
        "action_id": action_id,
        "placeholder": {"type": "plain_text", "text": truncate(placeholder, 150), "emoji": True},
    }
    if initial_date is not None:
        element["initial_date"] = initial_date.isoformat()
    return element


# --- the check-in ---------------------------------------------------------------------------------


@SLACK.renders(CheckinFacts)
def checkin_message(facts: CheckinFacts, language: str) -> Message:
    """"Did you meet?" with Yes / It's planned for ... / Not yet / We'd like help."""
    lang = language
    mentor = _person(facts.mentor_name, facts.mentor_user_id)
    mentee = _person(facts.mentee_name, facts.mentee_user_id)
    since = format_day(facts.window_start, lang)
    question = t(
        "nudges.checkin.question_again" if facts.again else "nudges.checkin.question", lang,
        mentor=mentor, mentee=mentee, days=facts.every_days, since=since,
    )
    ref = checkin_ref(facts.pair_id, facts.window_start)
    chosen = facts.answer
    blocks: list[Block] = [
        section(question, block_id="checkin.question"),
        actions(
            button(t("nudges.checkin.yes", lang), action_id=SESSION_LOG_ACTION, value=str(facts.pair_id),
                   style="primary" if chosen is CheckinAnswer.MET else None),
            datepicker(action_id=CHECKIN_PLANNED_ACTION, placeholder=t("nudges.checkin.planned", lang),
                       initial_date=facts.planned_for if chosen is CheckinAnswer.PLANNED else None),
            button(t("nudges.checkin.not_yet", lang), action_id=CHECKIN_NOT_YET_ACTION, value=ref,
                   style="primary" if chosen is CheckinAnswer.NOT_YET else None),
            button(t("nudges.checkin.help", lang), action_id=CHECKIN_HELP_ACTION, value=ref,
                   style="primary" if chosen is CheckinAnswer.HELP else None),
            block_id=f"{CHECKIN_BLOCK_PREFIX}{ref}",
        ),
    ]
    answer_line = _answer_line(facts, lang)
    if answer_line:
        blocks.append(section(answer_line, block_id="checkin.answer"))
    blocks.append(context(t("nudges.checkin.hint", lang, mentor=escape_mrkdwn(facts.mentor_name),
                            mentee=escape_mrkdwn(facts.mentee_name))))
    check_message_limits(blocks)
    fallback = t("nudges.checkin.fallback", lang, mentor=escape_mrkdwn(facts.mentor_name),
                 mentee=escape_mrkdwn(facts.mentee_name), since=since)
    if answer_line:
        fallback = f"{fallback} {_plain(answer_line)}"
    return Message(text=fallback, blocks=blocks)


def _answer_line(facts: CheckinFacts, lang: str) -> str | None:
    if facts.answer is None:
        return None
    name = escape_mrkdwn(facts.answered_by or "")
    if facts.answer is CheckinAnswer.PLANNED and facts.planned_for is not None:
        return t("nudges.checkin.answer.planned", lang, name=name, date=format_day(facts.planned_for, lang))
    if facts.answer is CheckinAnswer.NOT_YET and facts.ask_again_on is not None:
        return t("nudges.checkin.answer.not_yet", lang, name=name, date=format_day(facts.ask_again_on, lang))
    if facts.answer is CheckinAnswer.NOT_YET:
        return t("nudges.checkin.answer.not_yet_asked", lang, name=name)
    if facts.answer is CheckinAnswer.HELP:
        return t("nudges.checkin.answer.help", lang, name=name)
    return t("nudges.checkin.answer.met", lang, name=name)


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "")


def checkin_refusal_message(*, language: str, reason: str, mentor: str = "", mentee: str = "", days: int = 0) -> Message:
    """Ephemeral: someone else's check-in, a date in the past or too far ahead, or a stale one."""
    key = "not_yours_unnamed" if reason == "not_yours" and not (mentor and mentee) else reason
    text = t(f"nudges.checkin.refused.{key}", language, **_refusal_params(key, mentor, mentee, days))
    return Message(text=_plain(text), blocks=[section(text)])


def _refusal_params(reason: str, mentor: str, mentee: str, days: int) -> dict[str, object]:
    if reason == "not_yours":
        return {"mentor": escape_mrkdwn(mentor), "mentee": escape_mrkdwn(mentee)}
    if reason == "too_far":
        return {"days": days}
    return {}


# --- for coordinators -------------------------------------------------------------------------------


def _pair_line(facts: PairNewsFacts, lang: str) -> dict[str, str]:
    return {
        "mentor": escape_mrkdwn(facts.mentor_name),
        "mentee": escape_mrkdwn(facts.mentee_name),
        "round": escape_mrkdwn(facts.round_name),
        "channel": f"<#{facts.channel_id}>" if facts.channel_id else "-",
        "last": format_day(facts.last_session, lang) if facts.last_session else t("nudges.last_session.none", lang),
    }


def _names(facts: PairNewsFacts) -> dict[str, str]:
    return {"mentor": escape_mrkdwn(facts.mentor_name), "mentee": escape_mrkdwn(facts.mentee_name)}


@SLACK.renders(CheckinHelpRequested)
def help_request_message(facts: CheckinHelpRequested, language: str) -> Message:
    """"We'd like help": the coordinator hears at once who asked and where to answer."""
    lang = language
    asked_by = escape_mrkdwn(facts.asked_by)
    text = t("nudges.help.text", lang, name=asked_by, **_pair_line(facts.pair, lang))
    fallback = t("nudges.help.fallback", lang, name=asked_by, **_names(facts.pair))
    return Message(text=fallback, blocks=[section(text)])


@SLACK.renders(PairGoingQuiet)
def going_quiet_message(facts: PairGoingQuiet, language: str) -> Message:
    """Three check-in periods without a session: the pair, by name, for the coordinator."""
    lang = language
    text = t("nudges.quiet.pair", lang, count=facts.missed, days=facts.every_days,
             since=format_day(facts.since, lang), **_pair_line(facts.pair, lang))
    fallback = t("nudges.quiet.fallback", lang, **_names(facts.pair))
    return Message(text=fallback, blocks=[section(text)])


@SLACK.renders(CheckinsIgnored)
def ignoring_checkins_message(facts: CheckinsIgnored, language: str) -> Message:
    """One (or both) of the two let several check-ins in a row pass without a word."""
    lang = language
    people = facts.people
    person = t("nudges.and", lang, first=escape_mrkdwn(people[0]), second=escape_mrkdwn(people[1])) if len(
        people) > 1 else escape_mrkdwn(people[0])
    text = t("nudges.quiet.person", lang, person=person, count=facts.count, **_pair_line(facts.pair, lang))
    fallback = t("nudges.quiet.person_fallback", lang, person=person, **_names(facts.pair))
    return Message(text=fallback, blocks=[section(text)])


# --- pauses -------------------------------------------------------------------------------------------


def pause_done_message(*, until: date, language: str) -> Message:
    text = t("nudges.pause.done", language, date=format_day(until, language))
    return Message(text=_plain(text), blocks=[section(text)])


def pause_problem_message(
    *, problem: str, language: str, typed: str = "", latest: date | None = None, days: int = 0, limit: int = 0,
    on: date | None = None,
) -> Message:
    """Why nothing was stored, and what to type instead."""
    params: dict[str, object] = {}
    if problem == "bad_date":
        params = {"typed": escape_mrkdwn(truncate(typed, 60))}
    elif problem == "past":
        params = {"date": format_day(on, language) if on else escape_mrkdwn(typed)}
    elif problem == "too_far":
        params = {"days": days, "latest": format_day(latest, language) if latest else ""}
    elif problem == "reason_too_long":
        params = {"limit": limit}
    text = t(f"nudges.pause.problem.{problem}", language, **params)
    usage = t("nudges.pause.example", language)
    return Message(text=_plain(text), blocks=[section(text), context(usage)])


def pair_paused_message(*, name: str, until: date, language: str) -> Message:
    """In the pair channel: the partner learns of the break (never the reason: that is private)."""
    text = t("nudges.pause.pair_notice", language, name=escape_mrkdwn(name), date=format_day(until, language))
    return Message(text=_plain(text), blocks=[section(text)])


@SLACK.renders(PairPaused)
def _pair_paused(facts: PairPaused, language: str) -> Message:
    return pair_paused_message(name=facts.name, until=facts.until, language=language)


def coordinator_pause_message(
    *, name: str, role: Role, until: date, reason: str | None, round_name: str, language: str
) -> Message:
    params = {
        "name": escape_mrkdwn(name),
        "role": t(f"onboarding.role.{role.value}", language),
        "date": format_day(until, language),
        "round": escape_mrkdwn(round_name),
    }
    if reason:
        text = t("nudges.pause.coordinator_reason", language, reason=escape_mrkdwn(reason), **params)
    else:
        text = t("nudges.pause.coordinator", language, **params)
    return Message(text=_plain(text), blocks=[section(text)])


@SLACK.renders(PersonPaused)
def _person_paused(facts: PersonPaused, language: str) -> Message:
    return coordinator_pause_message(name=facts.name, role=facts.role, until=facts.until, reason=facts.reason,
                                     round_name=facts.round_name, language=language)


def pause_hold_text(hold: PauseHold, language: str) -> str:
    """Who paused the asker's pair and until when, with advice that works for them: the
    partner of someone on a break can wait or ask them back, only the one on a break can
    `/mentoring resume`."""
    until = format_day(hold.until, language) if hold.until else ""
    if hold.kind is HoldKind.PARTNER:
        text = t("nudges.hold.partner", language, name=escape_mrkdwn(hold.partner_name), date=until)
        if hold.own_until is not None:
            text += " " + t("nudges.hold.own_too", language, date=format_day(hold.own_until, language))
        return text
    return t(f"nudges.hold.{hold.kind.value}", language, date=until)


def resume_message(*, resumed: bool, language: str, holds: tuple[PauseHold, ...] = ()) -> Message:
    """The answer to `/mentoring resume`. When a pair stays paused (the partner is still on a
    break), it says so rather than promising check-ins that will not come."""
    if resumed:
        text = t("nudges.resume.done_still_paused" if holds else "nudges.resume.done", language)
    else:
        text = t("nudges.resume.not_paused_pair" if holds else "nudges.resume.not_paused", language)
    lines = [text, *(pause_hold_text(hold, language) for hold in holds[:3])]
    return Message(text=_plain(" ".join(lines)), blocks=[section("\n".join(lines))])


def not_pausable_message(*, language: str) -> Message:
    text = t("nudges.pause.not_participant", language)
    return Message(text=_plain(text), blocks=[section(text)])


def welcome_back_message(
    *, mentor_name: str, mentee_name: str, mentor_user_id: str | None, mentee_user_id: str | None, language: str
) -> Message:
    """In the pair channel when a pause ends, by itself or by `/mentoring resume`."""
    text = t(
        "nudges.welcome_back", language,
        mentor=_person(mentor_name, mentor_user_id), mentee=_person(mentee_name, mentee_user_id),
    )
    fallback = t("nudges.welcome_back_fallback", language, mentor=escape_mrkdwn(mentor_name),
                 mentee=escape_mrkdwn(mentee_name))
    return Message(text=fallback, blocks=[section(text)])


@SLACK.renders(WelcomeBack)
def _welcome_back(facts: WelcomeBack, language: str) -> Message:
    return welcome_back_message(mentor_name=facts.mentor_name, mentee_name=facts.mentee_name,
                                mentor_user_id=facts.mentor_user_id, mentee_user_id=facts.mentee_user_id,
                                language=language)


__all__ = [
    "CHECKIN_ACTIONS",
    "CHECKIN_ACTION_PATTERN",
    "CHECKIN_HELP_ACTION",
    "CHECKIN_NOT_YET_ACTION",
    "CHECKIN_PLANNED_ACTION",
    "SESSION_LOG_ACTION",
    "answer_of_action",
    "checkin_message",
    "checkin_ref",
    "parse_checkin_ref",
]
