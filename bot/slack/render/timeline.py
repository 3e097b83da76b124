"""The round's timeline as Block Kit: meeting reminders with their RSVP buttons, the pair
prompts before the workshops, and the coordinators' attendance modal.

Pure functions from plain facts. A reminder is drawn by the same function before and
after a click, so it always shows the answer on record with both buttons still there.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.numbers import whole_number
from bot.i18n import format_day, format_moment, t
from bot.slack.render.blocks import (
    MODAL_TITLE_LIMIT,
    Block,
    Message,
    actions,
    button,
    check_message_limits,
    check_surface_limits,
    context,
    section,
)
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn, truncate
from bot.timeline.notices import MeetingPromptFacts, MeetingReminderFacts, meeting_display_name
from bot.timeline.service import AttendanceSheet, MeetingChoice
from storage.models import RsvpAnswer

RSVP_YES_ACTION = "meeting.rsvp.yes"
RSVP_NO_ACTION = "meeting.rsvp.no"
RSVP_ACTION_PATTERN = r"^meeting\.rsvp\.(yes|no)$"
RSVP_BLOCK_PREFIX = "meeting.rsvp|"
ATTENDANCE_CALLBACK = "meeting.attendance.submit"
ATTENDANCE_BLOCK_PREFIX = "attendance."
ATTENDANCE_ACTION_PREFIX = "attendance.people."
CHECKBOXES_PER_BLOCK = 10  # Slack takes at most 10 options in one checkbox group
OPTION_TEXT_LIMIT = 75
CHOICES_SHOWN = 15


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


# --- reminders and answers ----------------------------------------------------------------------------


def rsvp_answer_of_action(action_id: str) -> RsvpAnswer | None:
    return {RSVP_YES_ACTION: RsvpAnswer.YES, RSVP_NO_ACTION: RsvpAnswer.NO}.get(action_id)


def parse_meeting_value(value: str | None) -> int | None:
    """A RSVP button's value (the meeting id); None for anything this bot did not write."""
    return whole_number(value)


@SLACK.renders(MeetingReminderFacts)
def meeting_reminder_message(facts: MeetingReminderFacts, language: str) -> Message:
    """"A reminder: the kick-off is on ..." with "I'll be there" / "Can't make it"."""
    lang = language
    meeting = escape_mrkdwn(meeting_display_name(facts.kind, facts.title, lang))
    moment = format_moment(facts.starts_at, lang, facts.timezone)
    lines = [t("timeline.reminder.text", lang, name=escape_mrkdwn(facts.name), meeting=meeting, moment=moment)]
    if facts.location:
        lines.append(t("timeline.reminder.location", lang, location=escape_mrkdwn(facts.location)))
    lines.append(t("timeline.reminder.question", lang))
    blocks: list[Block] = [
        section("\n".join(lines), block_id="meeting.reminder"),
        actions(
            button(t("timeline.rsvp.yes", lang), action_id=RSVP_YES_ACTION, value=str(facts.meeting_id),
                   style="primary" if facts.answer is RsvpAnswer.YES else None),
            button(t("timeline.rsvp.no", lang), action_id=RSVP_NO_ACTION, value=str(facts.meeting_id),
                   style="primary" if facts.answer is RsvpAnswer.NO else None),
            block_id=f"{RSVP_BLOCK_PREFIX}{facts.meeting_id}",
        ),
    ]
    if facts.answer is not None:
        blocks.append(context(t(f"timeline.rsvp.answer_{facts.answer.value}", lang)))
    check_message_limits(blocks)
    fallback = t("timeline.reminder.fallback", lang, name=escape_mrkdwn(facts.name), meeting=meeting, moment=moment)
    return Message(text=fallback, blocks=blocks)


def rsvp_refusal_message(*, reason: str, language: str) -> Message:
    text = t(f"timeline.rsvp.refused.{reason}", language)
    return Message(text=text, blocks=[section(text)])


# --- prompts for the pairs ----------------------------------------------------------------------------------


def _mention(name: str, user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else escape_mrkdwn(name)


@SLACK.renders(MeetingPromptFacts)
def meeting_prompt_message(facts: MeetingPromptFacts, language: str) -> Message:
    """Before the CV workshop: work on the mentee's CV; before the interview workshop: practise."""
    lang = language
    params = {
        "mentor": _mention(facts.mentor_name, facts.mentor_user_id),
        "mentee": _mention(facts.mentee_name, facts.mentee_user_id),
        "mentee_name": escape_mrkdwn(facts.mentee_name),
        "meeting": escape_mrkdwn(meeting_display_name(facts.kind, facts.title, lang)),
        "day": format_day(facts.day, lang),
    }
    text = t(f"timeline.prompt.{facts.kind.value}", lang, **params)
    fallback = t(f"timeline.prompt.{facts.kind.value}_fallback", lang, mentor=escape_mrkdwn(facts.mentor_name),
                 mentee=escape_mrkdwn(facts.mentee_name), meeting=params["meeting"], day=params["day"])
    blocks = [section(text)]
    check_message_limits(blocks)
    return Message(text=fallback, blocks=blocks)


# --- attendance ------------------------------------------------------------------------------------------------


def meeting_choices_message(*, problem: str, typed: str, choices: list[MeetingChoice], language: str) -> Message:
    """Which meeting? The matches (or all meetings) with the exact thing to type for each."""
    lead = t(f"timeline.attendance.lookup.{problem}", language, typed=escape_mrkdwn(truncate(typed, 60)))
    lines = [
        t("timeline.attendance.choice", language, number=choice.meeting_id,
          meeting=escape_mrkdwn(meeting_display_name(choice.kind, choice.title, language)),
          round=escape_mrkdwn(choice.round_name), moment=format_moment(choice.starts_at, language, choice.timezone))
        for choice in choices[:CHOICES_SHOWN]
    ]
    blocks: list[Block] = [section(lead)]
    if lines:
        blocks.append(section("\n".join(lines)))
        blocks.append(context(t("timeline.attendance.choose_hint", language)))
    check_message_limits(blocks)
    return Message(text=lead.replace("*", ""), blocks=blocks)


def attendance_metadata(*, meeting_id: int, people: list[int]) -> str:
    return json.dumps({"meeting": meeting_id, "people": people}, separators=(",", ":"))


def parse_attendance_metadata(text: str | None) -> tuple[int, list[int]] | None:
    """(meeting id, listed participant ids) from a modal we opened; None otherwise."""
    try:
        data = json.loads(text or "")
        meeting_id = whole_number(data["meeting"])
        people = [whole_number(value) for value in data["people"]]
    except (ValueError, TypeError, KeyError):
        return None
    if meeting_id is None or None in people:
        return None
    return meeting_id, [person for person in people if person is not None]


def attendance_modal(sheet: AttendanceSheet, *, language: str) -> dict[str, Any]:
    """Checkboxes of everyone the meeting concerns, ten to a group (Slack's limit), ticked from
    the answers, or from the attendance already on record."""
    lang = language
    meeting, people, ticked = sheet.meeting, list(sheet.people), sheet.ticked
    name = escape_mrkdwn(meeting_display_name(meeting.kind, meeting.title, lang))
    intro_key = "timeline.attendance.intro_recorded" if sheet.recorded_before else "timeline.attendance.intro"
    blocks: list[Block] = [
        section(t(intro_key, lang, meeting=name, round=escape_mrkdwn(meeting.round_name),
                  moment=format_moment(meeting.starts_at, lang, meeting.timezone), yes=sheet.said_yes,
                  no=sheet.said_no))
    ]
    for start in range(0, len(people), CHECKBOXES_PER_BLOCK):
        group = people[start:start + CHECKBOXES_PER_BLOCK]
        number = start // CHECKBOXES_PER_BLOCK + 1
        options = [
            {
                "text": _plain(truncate(f"{person.name} ({t(f'onboarding.role.{person.role.value}', lang)})",
                                        OPTION_TEXT_LIMIT)),
                "value": str(person.participant_id),
            }
            for person in group
        ]
        element: dict[str, Any] = {
            "type": "checkboxes",
            "action_id": f"{ATTENDANCE_ACTION_PREFIX}{number}",
            "options": options,
        }
        initial = [option for option, person in zip(options, group, strict=True) if person.participant_id in ticked]
        if initial:
            element["initial_options"] = initial
        label = (t("timeline.attendance.group", lang) if len(people) <= CHECKBOXES_PER_BLOCK
                 else t("timeline.attendance.group_numbered", lang, first=start + 1, last=start + len(group)))
        blocks.append(
            {"type": "input", "block_id": f"{ATTENDANCE_BLOCK_PREFIX}{number}", "optional": True,
             "label": _plain(label), "element": element}
        )
    if not people:
        blocks.append(section(t("timeline.attendance.nobody", lang)))
    if sheet.left_out:
        blocks.append(context(t("timeline.attendance.left_out", lang, count=sheet.left_out)))
    check_surface_limits(blocks)
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": ATTENDANCE_CALLBACK,
        "title": _plain(truncate(t("timeline.attendance.title", lang), MODAL_TITLE_LIMIT)),
        "close": _plain(truncate(t("timeline.attendance.close", lang), MODAL_TITLE_LIMIT)),
        "private_metadata": attendance_metadata(meeting_id=meeting.meeting_id,
                                                people=[person.participant_id for person in people]),
        "blocks": blocks,
    }
    if people:
        view["submit"] = _plain(truncate(t("timeline.attendance.submit", lang), MODAL_TITLE_LIMIT))
    return view


def read_attendance_form(values: dict[str, Any]) -> set[int]:
    """The ticked participant ids, across all checkbox groups."""
    ticked: set[int] = set()
    for block_id, block in (values or {}).items():
        if not str(block_id).startswith(ATTENDANCE_BLOCK_PREFIX):
            continue
        for action_id, state in (block or {}).items():
            if not str(action_id).startswith(ATTENDANCE_ACTION_PREFIX):
                continue
            for option in (state or {}).get("selected_options") or []:
                participant_id = whole_number(str(option.get("value") or ""))
                if participant_id is not None:
                    ticked.add(participant_id)
    return ticked


def attendance_saved_message(*, meeting_name: str, came: int, listed: int, language: str) -> Message:
    text = t("timeline.attendance.saved", language, meeting=escape_mrkdwn(meeting_name), came=came, listed=listed)
    return Message(text=text.replace("*", ""), blocks=[section(text)])


def attendance_refused_message(*, language: str) -> Message:
    text = t("timeline.attendance.refused", language)
    return Message(text=text, blocks=[section(text)])


__all__ = [
    "ATTENDANCE_CALLBACK",
    "RSVP_ACTION_PATTERN",
    "RSVP_NO_ACTION",
    "RSVP_YES_ACTION",
    "attendance_modal",
    "attendance_saved_message",
    "meeting_choices_message",
    "meeting_prompt_message",
    "meeting_reminder_message",
    "parse_attendance_metadata",
    "read_attendance_form",
    "rsvp_answer_of_action",
]
