"""Block Kit for 1:1 sessions: the pair-channel post, the log modal, the list, the answers.

Everything a person typed (notes, names, pieces of a quick note echoed back) is escaped,
so a note saying `<!channel>` never pings anyone. Action ids carry the session id
(`session.edit.42`) because a list shows several sessions in one message and Slack wants
action ids unique within it; the button's value carries the id too. The "Log a session"
button is `session.log.open` with the pair id as value, and may be dropped into any
message (the check-ins use it); where a surface needs two, a suffix keeps them apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.core.numbers import whole_number
from bot.i18n import format_day, t
from bot.pairs.state import PauseHold
from bot.sessions.parser import TOPICS, ParseProblem
from bot.sessions.service import (
    DURATION,
    HELD_ON,
    INTRODUCTIONS,
    INTRODUCTIONS_MAX,
    NOTES,
    NOTES_LIMIT,
    PAIR_FIELD,
    TOPICS_FIELD,
    Change,
    LogForm,
    LogFormInput,
    LogOutcome,
    LogStatus,
    PairSessions,
    Refusal,
    SessionListing,
    SessionView,
)
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
    view_metadata,
)
from bot.slack.render.nudges import pause_hold_text
from bot.text import escape_mrkdwn, truncate

CALLBACK_ID = "session.log.submit"
NOTICE_CALLBACK_ID = "session.log.notice"
LOG_OPEN_ACTION_ID = "session.log.open"
CONFIRM_PREFIX = "session.confirm"
EDIT_PREFIX = "session.edit"
DELETE_PREFIX = "session.delete"
# What handlers register: the plain ids and their suffixed forms.
LOG_OPEN_PATTERN = re.compile(r"^session\.log\.open(\.[A-Za-z0-9_-]+)?$")
CONFIRM_PATTERN = re.compile(r"^session\.confirm(\.\d+)?$")
EDIT_PATTERN = re.compile(r"^session\.edit(\.\d+)?$")
DELETE_PATTERN = re.compile(r"^session\.delete(\.\d+)?$")

NAME_LIMIT = 80
POST_NOTES_LIMIT = 2500  # room for the rest of the section under Slack's 3000
LIST_NOTES_LIMIT = 300
ECHO_LIMIT = 60  # a piece of a quick note shown back
LIST_GROUPS_LIMIT = 5


# --- small pieces ---------------------------------------------------------------------------

def format_duration(minutes: int, language: str) -> str:
    """45 → "45 min"; 90 → "1 h 30 min" / "1 t 30 min"; 120 → "2 h" / "2 t"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return t("sessions.duration.minutes", language, minutes=rest)
    if not rest:
        return t("sessions.duration.hours", language, hours=hours)
    return t("sessions.duration.hours_minutes", language, hours=hours, minutes=rest)


def topic_label(topic: str, language: str) -> str:
    return t(f"sessions.topic.{topic}", language) if topic in TOPICS else escape_mrkdwn(topic)


def topics_text(topics: tuple[str, ...] | list[str], language: str) -> str:
    if not topics:
        return t("sessions.topics.none", language)
    return ", ".join(topic_label(topic, language) for topic in topics)


def person(name: str, user_id: str | None) -> str:
    """A mention when we know the Slack user (it reads as their current name), else the
    escaped stored name."""
    return f"<@{user_id}>" if user_id else escape_mrkdwn(truncate(name, NAME_LIMIT))


def _quote(text: str, limit: int) -> str:
    return "\n".join(f">{line}" for line in escape_mrkdwn(truncate(text, limit)).splitlines() if line.strip())


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def _summary_lines(view: SessionView, language: str) -> list[str]:
    lines = [
        f"*{t('sessions.field.date', language)}:* {format_day(view.held_on, language)}",
        f"*{t('sessions.field.duration', language)}:* {format_duration(view.duration_minutes, language)}",
        f"*{t('sessions.field.topics', language)}:* {topics_text(view.topics, language)}",
    ]
    if view.introductions_made:
        lines.append(f"*{t('sessions.field.introductions', language)}:* {view.introductions_made}")
    return lines


def log_open_button(*, language: str, pair_id: int | None, action_id: str = LOG_OPEN_ACTION_ID,
                    primary: bool = False) -> Block:
    """The "Log a session" button: value is the pair id (empty when the modal should ask)."""
    if not LOG_OPEN_PATTERN.match(action_id):
        raise ValueError(f"{action_id!r} would not reach the log-session handler")
    return button(t("sessions.button.log", language), action_id=action_id,
                  value=str(pair_id) if pair_id is not None else "", style="primary" if primary else None)


def session_button_id(prefix: str, session_id: int) -> str:
    return f"{prefix}.{session_id}"


def session_id_from_action(action: Mapping[str, Any]) -> int | None:
    """The session a button is about: its value, else the number ending its action id."""
    value = whole_number(str(action.get("value") or ""))
    if value is not None:
        return value
    return whole_number(str(action.get("action_id") or "").rsplit(".", 1)[-1])


def pair_id_from_action(action: Mapping[str, Any]) -> int | None:
    return whole_number(str(action.get("value") or ""))


# --- the pair channel -----------------------------------------------------------------------

def session_post(view: SessionView) -> Message:
    """The post in the pair channel: what was logged, who confirmed, and the buttons.

    Notes are for the pair only: when the programme puts coordinators in pair channels, the
    post says there are notes and leaves them to `/mentoring sessions`."""
    lang = view.language
    author = person(view.author_name, view.author_user_id)
    partner = person(view.partner_name, view.partner_user_id)
    lead = t("sessions.post.logged", lang, author=author)
    blocks: list[Block] = [section(f"{lead}\n" + "\n".join(_summary_lines(view, lang)))]
    if view.notes:
        if view.notes_in_channel:
            blocks.append(section(f"*{t('sessions.field.notes', lang)}:*\n{_quote(view.notes, POST_NOTES_LIMIT)}"))
        else:
            blocks.append(context(t("sessions.post.notes_hidden", lang)))
    if view.confirmed:
        blocks.append(context(t("sessions.post.confirmed", lang, partner=partner)))
    else:
        blocks.append(context(t("sessions.post.awaiting", lang, partner=partner)))
    elements: list[Block] = []
    if not view.confirmed:
        elements.append(button(t("sessions.button.there_too", lang), style="primary",
                               action_id=session_button_id(CONFIRM_PREFIX, view.session_id),
                               value=str(view.session_id)))
    elements.append(button(t("sessions.button.edit", lang), action_id=session_button_id(EDIT_PREFIX, view.session_id),
                           value=str(view.session_id)))
    elements.append(_delete_button(view, lang))
    blocks.append(actions(*elements, block_id=f"session.{view.session_id}"))
    check_message_limits(blocks)
    text = t("sessions.post.fallback", lang, author=escape_mrkdwn(view.author_name),
             day=format_day(view.held_on, lang), duration=format_duration(view.duration_minutes, lang))
    return Message(text=text, blocks=blocks)


def _delete_button(view: SessionView, language: str) -> Block:
    element = button(t("sessions.button.delete", language), style="danger",
                     action_id=session_button_id(DELETE_PREFIX, view.session_id), value=str(view.session_id))
    element["confirm"] = {
        "title": _plain(t("sessions.delete.confirm_title", language), 100),
        "text": _plain(t("sessions.delete.confirm_text", language, day=format_day(view.held_on, language)), 300),
        "confirm": _plain(t("sessions.delete.confirm_yes", language), 30),
        "deny": _plain(t("sessions.delete.confirm_no", language), 30),
        "style": "danger",
    }
    return element


def session_removed_post(view: SessionView, *, removed_by: str | None) -> Message:
    """What the post becomes once the author deleted the session: no buttons left."""
    lang = view.language
    text = t("sessions.post.removed", lang, day=format_day(view.held_on, lang),
             duration=format_duration(view.duration_minutes, lang),
             author=person(view.author_name, removed_by or view.author_user_id))
    blocks = [context(text)]
    check_message_limits(blocks)
    return Message(text=text, blocks=blocks)


def change_reply(view: SessionView, changes: tuple[Change, ...], *, editor_user_id: str | None) -> Message:
    """The thread reply under the post saying what an edit changed (notes: only that they did)."""
    lang = view.language
    parts = [_change_text(change, lang) for change in changes]
    text = t("sessions.post.edited", lang, author=person(view.author_name, editor_user_id or view.author_user_id),
             changes="; ".join(parts))
    blocks = [section(text)]
    check_message_limits(blocks)
    return Message(text=text, blocks=blocks)


def _change_text(change: Change, language: str) -> str:
    label = t(f"sessions.field.{_FIELD_KEYS[change.field]}", language)
    if change.field == NOTES:
        return t("sessions.change.notes", language)
    before, after = _display(change.field, change.before, language), _display(change.field, change.after, language)
    return t("sessions.change.value", language, field=label, before=before, after=after)


_FIELD_KEYS = {HELD_ON: "date", DURATION: "duration", TOPICS_FIELD: "topics", INTRODUCTIONS: "introductions",
               NOTES: "notes"}


def _display(field: str, value: Any, language: str) -> str:
    if field == HELD_ON and isinstance(value, date):
        return format_day(value, language)
    if field == DURATION and isinstance(value, int):
        return format_duration(value, language)
    if field == TOPICS_FIELD:
        return topics_text(tuple(value or ()), language)
    return escape_mrkdwn(str(value))


# --- the modal ------------------------------------------------------------------------------

def log_metadata(*, pair_id: int | None, session_id: int | None) -> str:
    return json.dumps({"pair_id": pair_id, "session_id": session_id})


def read_metadata(private_metadata: str | None) -> tuple[int | None, int | None] | None:
    """(pair_id, session_id) the modal was opened for; None when the metadata is not ours."""
    data = view_metadata(private_metadata)
    if set(data) != {"pair_id", "session_id"}:
        return None
    values = (data["pair_id"], data["session_id"])
    if any(value is not None and (not isinstance(value, int) or isinstance(value, bool)) for value in values):
        return None
    return values


def log_modal(form: LogForm) -> dict[str, Any]:
    """The log (or edit) modal, prefilled with the draft; block ids are the service's field
    names, so its errors land under the right box."""
    lang = form.language
    draft = form.draft
    editing = form.session_id is not None
    blocks: list[Block] = []
    if draft.problems:
        blocks.append(context(t("sessions.modal.check", lang,
                                items="; ".join(problem_text(problem, lang) for problem in draft.problems))))
    if len(form.pairs) > 1:
        blocks.append(_pair_select(form))
    blocks.append(_input(
        block_id=HELD_ON, label=t("sessions.modal.date", lang), hint=None, optional=False,
        element={"type": "datepicker", "action_id": HELD_ON,
                 "initial_date": (draft.held_on or form.today).isoformat()},
    ))
    duration_element: Block = {"type": "plain_text_input", "action_id": DURATION, "max_length": 20,
                               "placeholder": _plain(t("sessions.modal.duration_placeholder", lang), 150)}
    if draft.duration_minutes is not None:
        duration_element["initial_value"] = str(draft.duration_minutes)
    blocks.append(_input(block_id=DURATION, label=t("sessions.modal.duration", lang),
                         hint=t("sessions.modal.duration_hint", lang), optional=False, element=duration_element))
    options = [{"text": _plain(t(f"sessions.topic.{topic}", lang), 75), "value": topic} for topic in TOPICS]
    topics_element: Block = {"type": "checkboxes", "action_id": TOPICS_FIELD, "options": options}
    chosen = [option for option in options if option["value"] in draft.topics]
    if chosen:
        topics_element["initial_options"] = chosen
    blocks.append(_input(block_id=TOPICS_FIELD, label=t("sessions.modal.topics", lang), hint=None, optional=True,
                         element=topics_element))
    introductions_element: Block = {"type": "number_input", "action_id": INTRODUCTIONS, "is_decimal_allowed": False,
                                    "min_value": "0", "max_value": str(INTRODUCTIONS_MAX)}
    if draft.introductions_made is not None and 0 <= draft.introductions_made <= INTRODUCTIONS_MAX:
        introductions_element["initial_value"] = str(draft.introductions_made)
    blocks.append(_input(block_id=INTRODUCTIONS, label=t("sessions.modal.introductions", lang),
                         hint=t("sessions.modal.introductions_hint", lang), optional=True,
                         element=introductions_element))
    notes_element: Block = {"type": "plain_text_input", "action_id": NOTES, "multiline": True,
                            "max_length": NOTES_LIMIT}
    if draft.notes:
        notes_element["initial_value"] = draft.notes[:NOTES_LIMIT]
    blocks.append(_input(block_id=NOTES, label=t("sessions.modal.notes", lang),
                         hint=t("sessions.modal.notes_hint", lang), optional=True, element=notes_element))
    check_surface_limits(blocks)
    title_key = "sessions.modal.title_edit" if editing else "sessions.modal.title"
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": log_metadata(pair_id=form.pair_id, session_id=form.session_id),
        "title": _plain(t(title_key, lang), MODAL_TITLE_LIMIT),
        "submit": _plain(t("sessions.modal.submit", lang), MODAL_TITLE_LIMIT),
        "close": _plain(t("sessions.modal.close", lang), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def _pair_select(form: LogForm) -> Block:
    lang = form.language
    options = [
        {"text": _plain(t("sessions.modal.pair_option", lang, name=choice.partner_name, round=choice.round_name), 75),
         "value": str(choice.pair_id)}
        for choice in form.pairs[:100]
    ]
    return _input(block_id=PAIR_FIELD, label=t("sessions.modal.pair", lang), hint=None, optional=False,
                  element={"type": "static_select", "action_id": PAIR_FIELD, "options": options})


def _input(*, block_id: str, label: str, hint: str | None, element: Block, optional: bool) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": _plain(label, 2000), "element": element,
                    "optional": optional}
    if hint:
        block["hint"] = _plain(hint, 2000)
    return block


def problem_text(problem: ParseProblem, language: str) -> str:
    """One doubt about a quick note, in words, with the piece of the note it is about."""
    piece = escape_mrkdwn(truncate(problem.text or "", ECHO_LIMIT))
    return t(f"sessions.problem.{problem.issue.value}", language, text=piece)


def notice_view(*, text: str, language: str) -> dict[str, Any]:
    """What replaces the modal when a submission can no longer be accepted (the pair was
    paused meanwhile, the session deleted): the reason and a Close button."""
    blocks = [section(text)]
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": NOTICE_CALLBACK_ID,
        "title": _plain(t("sessions.modal.title", language), MODAL_TITLE_LIMIT),
        "close": _plain(t("sessions.modal.close_notice", language), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def read_log_form(state_values: Mapping[str, Mapping[str, Any]]) -> LogFormInput:
    """The submitted `view.state.values`, raw, whatever element each box is."""
    def element(block_id: str) -> Mapping[str, Any]:
        found = (state_values.get(block_id) or {}).get(block_id)
        if found is None and state_values.get(block_id):
            found = next(iter(state_values[block_id].values()))
        return found if isinstance(found, Mapping) else {}

    pair = element(PAIR_FIELD).get("selected_option") if PAIR_FIELD in state_values else None
    held = element(HELD_ON)
    topics = element(TOPICS_FIELD).get("selected_options") or []
    return LogFormInput(
        pair=str((pair or {}).get("value") or "") if PAIR_FIELD in state_values else None,
        held_on=held.get("selected_date") or held.get("value"),
        duration=element(DURATION).get("value"),
        topics=tuple(str(option.get("value") or "") for option in topics if isinstance(option, Mapping)),
        introductions=element(INTRODUCTIONS).get("value"),
        notes=element(NOTES).get("value"),
    )


# --- answers to the person ------------------------------------------------------------------

def refusal_text(refusal: Refusal, language: str, *, hold: PauseHold | None = None) -> str:
    """Why nothing was done; for a paused pair, who paused it and until when (`hold`)."""
    if refusal is Refusal.NO_PAIR:
        return t("log_session.no_pair", language)
    text = t(f"sessions.refusal.{refusal.value}", language)
    if refusal is Refusal.PAIR_PAUSED and hold is not None:
        text += " " + pause_hold_text(hold, language)
    return text


def refusal_message(refusal: Refusal, language: str, *, hold: PauseHold | None = None) -> Message:
    text = refusal_text(refusal, language, hold=hold)
    return Message(text=text, blocks=[section(text)])


def outcome_message(outcome: LogOutcome) -> Message:
    """The ephemeral answer to whoever logged, confirmed, edited or deleted."""
    lang = outcome.language
    view = outcome.session
    if outcome.status is LogStatus.REFUSED:
        return refusal_message(outcome.refusal or Refusal.NO_PAIR, lang, hold=outcome.hold)
    if outcome.status is LogStatus.INVALID:
        lead = t("sessions.answer.invalid", lang)
        lines = [f"• {text}" for text in outcome.errors.values()]
        hint = t("sessions.answer.usage_hint", lang)
        blocks = [section(lead + "\n" + "\n".join(lines)), context(hint)]
        return Message(text=f"{lead} " + " ".join(outcome.errors.values()), blocks=blocks)
    if view is None:  # pragma: no cover - every other status carries the session
        text = t("error.generic", lang)
        return Message(text=text, blocks=[section(text)])
    day = format_day(view.held_on, lang)
    author = person(view.author_name, view.author_user_id)
    extra: list[Block] = []
    if outcome.status is LogStatus.LOGGED:
        lead = t("sessions.answer.logged", lang, day=day, duration=format_duration(view.duration_minutes, lang))
        where = (t("sessions.answer.posted", lang, channel=f"<#{view.channel_id}>") if view.channel_id
                 else t("sessions.answer.no_channel", lang))
        extra.append(section("\n".join(_summary_lines(view, lang))))
        extra.append(context(where))
    elif outcome.status is LogStatus.CONFIRMED:
        lead = t("sessions.answer.confirmed", lang, author=author, day=day)
        if outcome.differs:
            extra.append(context(t("sessions.answer.kept_theirs", lang, author=author, day=day,
                                   duration=format_duration(view.duration_minutes, lang))))
    elif outcome.status is LogStatus.ALREADY_LOGGED:
        lead = t("sessions.answer.already", lang, day=day)
        extra.append(context(t("sessions.answer.edit_hint", lang)))
    elif outcome.status is LogStatus.UPDATED:
        lead = t("sessions.answer.updated", lang, day=day)
    elif outcome.status is LogStatus.UNCHANGED:
        lead = t("sessions.answer.unchanged", lang)
    elif outcome.status is LogStatus.DELETED:
        lead = t("sessions.answer.deleted", lang, day=day)
    else:
        lead = t("error.generic", lang)
    blocks = [section(lead), *extra]
    check_message_limits(blocks)
    return Message(text=lead, blocks=blocks)


# --- `/mentoring sessions` ------------------------------------------------------------------

def sessions_list_message(listing: SessionListing) -> Message:
    """The person's sessions, newest first, with Edit and Delete on the ones they logged."""
    lang = listing.language
    if listing.refusal is not None:
        return refusal_message(listing.refusal, lang)
    heading = t("sessions.list.heading", lang)
    blocks: list[Block] = [section(f"*{heading}*")]
    for group in listing.groups[:LIST_GROUPS_LIMIT]:
        blocks.extend(_group_blocks(group, listing=listing))
    if len(listing.groups) > LIST_GROUPS_LIMIT:
        blocks.append(context(t("sessions.list.more_pairs", lang, count=len(listing.groups) - LIST_GROUPS_LIMIT)))
    if listing.active_pair_id is not None:
        blocks.append(section(t("sessions.list.log_hint", lang),
                              accessory=log_open_button(language=lang, pair_id=listing.active_pair_id)))
    check_message_limits(blocks)
    return Message(text=heading, blocks=blocks)


def _group_blocks(group: PairSessions, *, listing: SessionListing) -> list[Block]:
    lang = listing.language
    title = t("sessions.list.with", lang, name=escape_mrkdwn(truncate(group.partner_name, NAME_LIMIT)))
    if group.status.value != "active":
        title += f" · {t(f'sessions.list.status.{group.status.value}', lang)}"
    blocks: list[Block] = [section(f"*{title}*")]
    if not group.sessions:
        blocks.append(context(t("sessions.list.none", lang)))
    for view in group.sessions:
        line = " · ".join([
            f"*{format_day(view.held_on, lang)}*",
            format_duration(view.duration_minutes, lang),
            topics_text(view.topics, lang),
        ])
        if view.introductions_made:
            line += " · " + t("sessions.list.introductions", lang, count=view.introductions_made)
        line += " · " + (t("sessions.list.confirmed", lang) if view.confirmed
                         else t("sessions.list.unconfirmed", lang))
        line += "\n" + t("sessions.list.logged_by", lang, author=person(view.author_name, view.author_user_id))
        if view.notes:
            line += "\n" + _quote(view.notes, LIST_NOTES_LIMIT)
        blocks.append(section(line))
        if view.author_user_id == listing.viewer_user_id:
            blocks.append(actions(
                button(t("sessions.button.edit", lang), action_id=session_button_id(EDIT_PREFIX, view.session_id),
                       value=str(view.session_id)),
                _delete_button(view, lang),
                block_id=f"session.list.{view.session_id}",
            ))
    if group.more:
        blocks.append(context(t("sessions.list.more", lang, count=group.more)))
    return blocks


__all__ = [
    "CALLBACK_ID",
    "CONFIRM_PATTERN",
    "DELETE_PATTERN",
    "EDIT_PATTERN",
    "LOG_OPEN_ACTION_ID",
    "LOG_OPEN_PATTERN",
    "change_reply",
    "format_duration",
    "log_metadata",
    "log_modal",
    "log_open_button",
    "notice_view",
    "outcome_message",
    "pair_id_from_action",
    "problem_text",
    "read_log_form",
    "read_metadata",
    "refusal_message",
    "refusal_text",
    "session_id_from_action",
    "session_post",
    "session_removed_post",
    "sessions_list_message",
    "topic_label",
]
