"""Surveys as Block Kit: the pulse DM with its buttons, the DM that opens a survey form, the
form itself, the coordinators' list of company contacts to ask by hand, and the answers a
click or a submission gets.

Pure functions from plain facts (`bot.surveys.notices`). A DM is drawn by one function
before and after every click, so it always shows the answers on record (the service passes
them in) with every button still there: an answer can change until the survey closes.

What a button carries is the invitation (and, for a pulse, the question and the value);
who clicked is the service's check, never the button's. The statements people rate are a
programme's data: they go into plain-text labels only (Slack never reads mentions or links
there), and every name that reaches mrkdwn is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.numbers import whole_number
from bot.core.timing import zone
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
    view_metadata,
)
from bot.slack.render.table import SLACK
from bot.surveys.criteria import COMMENT_QUESTION, RECOMMEND_QUESTION, SCALE
from bot.surveys.notices import CompanyContactsToAskFacts, ContactToAsk, Question, SurveyFacts, SurveyInvitationFacts
from bot.surveys.service import COMMENT_MAX_LENGTH, MAX_REMINDERS, PULSE_CONFIDENCE, PULSE_USEFUL, AnswerStatus
from bot.text import escape_mrkdwn, truncate
from storage.models import Role, SurveyKind

#: A pulse button: "survey." + the question key + "." + the value, e.g. survey.pulse.useful.4
#: (unique within the message, as Slack requires); its value says it all again, with the invitation.
PULSE_ACTION_PREFIX = "survey."
PULSE_ACTION_PATTERN = r"^survey\.pulse\.[a-z_]+\.[0-9]+$"
#: Opens the survey form (midway, final, company) or, under a pulse, the comment form.
OPEN_ACTION = "survey.open"
#: A company contact's "No thanks".
DECLINE_ACTION = "survey.decline"
SUBMIT_CALLBACK = "survey.submit"
NOTICE_CALLBACK = "survey.notice"
QUESTION_BLOCK_PREFIX = "survey.q."
COMMENT_BLOCK = "survey.comment"
CONSENT_BLOCK = "survey.consent"
CONSENT_VALUE = "agree"
CONSENT_ERROR = "consent"  # the service's error key for the consent checkbox
OPTION_TEXT_LIMIT = 75
LABEL_LIMIT = 2000
CONTACTS_PER_SECTION = 12
CONTACT_SECTIONS = 40  # beyond this many sections, "and N more" (a message takes 50 blocks)
_METADATA_TEXT_LIMIT = 200  # a channel id or a message ts is far shorter


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def _strip_stars(text: str) -> str:
    return text.replace("*", "")


def _until(moment: datetime, timezone: str, language: str) -> str:
    """When a survey closes, in the reader's zone: a day when it closes at midnight (its last
    day is the day before), else the day and the time."""
    tz = zone(timezone)
    local = moment.astimezone(tz)
    if (local.hour, local.minute) == (0, 0):
        return format_day((local - timedelta(minutes=1)).date(), language)
    return format_moment(moment, language, tz.key)


def _variant(kind: SurveyKind, reminder: int) -> str:
    """Which wording an invitation takes: the first message, a reminder, or the last reminder."""
    if reminder <= 0:
        return "intro"
    return "last" if reminder >= MAX_REMINDERS.get(kind, 1) else "reminder"


def _company(facts: SurveyFacts, language: str) -> str:
    return escape_mrkdwn(facts.company) if facts.company else t("surveys.your_company", language)


def _params(facts: SurveyFacts, language: str) -> dict[str, object]:
    return {
        "round": escape_mrkdwn(facts.round_name),
        "programme": escape_mrkdwn(facts.programme),
        "company": _company(facts, language),
        "number": facts.number,
        "until": _until(facts.closes_at, facts.timezone, language),
    }


# --- what buttons and forms carry --------------------------------------------------------------------


def pulse_value(invitation_id: int, question: str, value: int) -> str:
    return f"{invitation_id}|{question}|{value}"


def parse_pulse_value(text: str | None) -> tuple[int, str, int] | None:
    """A pulse button's value back as (invitation id, question key, value); None for anything
    this bot did not write."""
    parts = (text or "").split("|")
    if len(parts) != 3:
        return None
    invitation_id, value = whole_number(parts[0]), whole_number(parts[2])
    if invitation_id is None or value is None or not parts[1]:
        return None
    return invitation_id, parts[1], value


def parse_invitation_value(text: str | None) -> int | None:
    """The invitation id an "Answer" or "No thanks" button carries."""
    return whole_number(text)


@dataclass(frozen=True, kw_only=True)
class FormPlace:
    """Which invitation a form answers, and where its DM is (to thank the person there)."""

    invitation_id: int
    channel_id: str | None = None
    message_ts: str | None = None


def survey_metadata(place: FormPlace) -> str:
    data: dict[str, object] = {"invitation": place.invitation_id}
    if place.channel_id and place.message_ts:
        data.update({"channel": place.channel_id, "ts": place.message_ts})
    return json.dumps(data, separators=(",", ":"))


def parse_survey_metadata(text: str | None) -> FormPlace | None:
    """The form's private_metadata back; None for a view this bot did not open."""
    data = view_metadata(text)
    invitation_id = whole_number(data.get("invitation"))
    if invitation_id is None:
        return None
    channel, ts = data.get("channel"), data.get("ts")
    if not (isinstance(channel, str) and isinstance(ts, str)) or max(len(channel), len(ts)) > _METADATA_TEXT_LIMIT:
        channel = ts = None
    return FormPlace(invitation_id=invitation_id, channel_id=channel, message_ts=ts)


@dataclass(frozen=True, kw_only=True)
class SubmittedSurvey:
    """What a submitted form said, raw: the service judges it."""

    values: dict[str, int | None]
    comment: str | None
    #: None when the form had no consent box.
    consent: bool | None


def _element(block: Any) -> Mapping[str, Any]:
    if not isinstance(block, Mapping) or not block:
        return {}
    found = next(iter(block.values()))
    return found if isinstance(found, Mapping) else {}


def read_survey_form(state_values: Mapping[str, Any]) -> SubmittedSurvey:
    """The submitted `view.state.values`: each question's chosen value, the comment, the consent box."""
    values: dict[str, int | None] = {}
    for block_id, block in (state_values or {}).items():
        if not str(block_id).startswith(QUESTION_BLOCK_PREFIX):
            continue
        chosen = _element(block).get("selected_option")
        values[str(block_id).removeprefix(QUESTION_BLOCK_PREFIX)] = (
            whole_number(chosen.get("value")) if isinstance(chosen, Mapping) else None
        )
    comment = _element((state_values or {}).get(COMMENT_BLOCK)).get("value")
    consent: bool | None = None
    if CONSENT_BLOCK in (state_values or {}):
        ticked = _element(state_values[CONSENT_BLOCK]).get("selected_options") or []
        consent = any(isinstance(option, Mapping) and option.get("value") == CONSENT_VALUE for option in ticked)
    return SubmittedSurvey(values=values, comment=comment if isinstance(comment, str) else None, consent=consent)


def question_block(key: str) -> str:
    """The block a question's answer (and its error) is in."""
    if key == COMMENT_QUESTION:
        return COMMENT_BLOCK
    if key == CONSENT_ERROR:
        return CONSENT_BLOCK
    return f"{QUESTION_BLOCK_PREFIX}{key}"


def form_errors(errors: Mapping[str, str], language: str) -> dict[str, str]:
    """The service's errors (question key -> code) as Slack's inline errors (block id -> text)."""
    shown: dict[str, str] = {}
    for key, code in errors.items():
        if key == CONSENT_ERROR:
            text = t("surveys.error.consent", language)
        elif code == "too_long":
            text = t("surveys.error.too_long", language, limit=COMMENT_MAX_LENGTH)
        elif code == "required":
            text = t("surveys.error.required", language)
        else:
            text = t("surveys.error.invalid", language)
        shown[question_block(key)] = text
    return shown


# --- the pulse ----------------------------------------------------------------------------------------


def _pulse_question(key: str, role: Role, language: str) -> str | None:
    if key == PULSE_USEFUL:
        return t("surveys.pulse.useful", language)
    if key == PULSE_CONFIDENCE:
        return t("surveys.pulse.confidence.mentor" if role is Role.MENTOR else "surveys.pulse.confidence.mentee",
                 language)
    return None


def _scale_label(value: int, language: str) -> str:
    if value == SCALE[0]:
        return t("surveys.pulse.scale_low", language)
    if value == SCALE[-1]:
        return t("surveys.pulse.scale_high", language)
    return str(value)


def _pulse_message(facts: SurveyFacts, reminder: int, language: str) -> Message:
    lang = language
    params = _params(facts, lang)
    lead = [t("surveys.pulse.title", lang, **params), t(f"surveys.pulse.{_variant(facts.kind, reminder)}", lang),
            t("surveys.anonymous", lang)]
    blocks: list[Block] = [section("\n".join(lead), block_id="survey.intro")]
    number = 0
    for question in facts.questions:
        text = _pulse_question(question.key, facts.role, lang)
        if text is None:
            continue
        number += 1
        blocks.append(section(f"*{number}. {text}*", block_id=f"survey.question|{question.key}"))
        blocks.append(actions(
            *(button(_scale_label(value, lang), action_id=f"{PULSE_ACTION_PREFIX}{question.key}.{value}",
                     value=pulse_value(facts.invitation_id, question.key, value),
                     style="primary" if question.value == value else None)
              for value in SCALE),
            block_id=f"survey.answer|{question.key}",
        ))
    if not facts.closed:
        label = "surveys.pulse.change_comment" if facts.comment else "surveys.pulse.add_comment"
        blocks.append(actions(button(t(label, lang), action_id=OPEN_ACTION, value=str(facts.invitation_id)),
                              block_id="survey.more"))
    blocks.append(context(_pulse_status(facts, params, lang)))
    check_message_limits(blocks)
    return Message(text=t("surveys.pulse.fallback", lang, **params), blocks=blocks)


def _pulse_status(facts: SurveyFacts, params: Mapping[str, object], lang: str) -> str:
    if facts.closed:
        line = t("surveys.closed_note", lang)
    elif facts.answered:
        line = t("surveys.pulse.thanks", lang, **params)
    else:
        line = t("surveys.open_until", lang, **params)
    if facts.comment:
        line = f"{line} {t('surveys.pulse.comment_saved', lang)}"
    return line


# --- midway, final and company: a DM with a button that opens the form ----------------------------------


def _form_invitation(facts: SurveyFacts, reminder: int, language: str) -> Message:
    lang = language
    params = _params(facts, lang)
    kind = facts.kind.value
    if facts.kind is not SurveyKind.COMPANY:
        use = "surveys.anonymous"
    else:  # who has answered needs no word about saying no
        use = "surveys.company_use" if facts.answered else "surveys.invite.company.purpose"
    lead = [t(f"surveys.invite.{kind}.{_variant(facts.kind, reminder)}", lang, **params), t(use, lang)]
    blocks: list[Block] = [section("\n".join(lead), block_id="survey.intro")]
    if facts.closed:
        blocks.append(context(t("surveys.closed_note", lang)))
    else:
        answer = button(t("surveys.invite.change" if facts.answered else "surveys.invite.answer", lang),
                        action_id=OPEN_ACTION, value=str(facts.invitation_id),
                        style=None if facts.answered else "primary")
        buttons = [answer]
        if facts.kind is SurveyKind.COMPANY and not facts.answered:
            buttons.append(button(t("surveys.invite.decline", lang), action_id=DECLINE_ACTION,
                                  value=str(facts.invitation_id)))
        blocks.append(actions(*buttons, block_id="survey.buttons"))
        status = "surveys.invite.thanks" if facts.answered else "surveys.open_until"
        blocks.append(context(t(status, lang, **params)))
    check_message_limits(blocks)
    return Message(text=t(f"surveys.invite.{kind}.fallback", lang, **params), blocks=blocks)


@SLACK.renders(SurveyInvitationFacts)
def survey_invitation_message(facts: SurveyInvitationFacts, language: str) -> Message:
    """The DM that asks (and each reminder), drawn again after every answer."""
    if facts.survey.kind is SurveyKind.PULSE:
        return _pulse_message(facts.survey, facts.reminder, language)
    return _form_invitation(facts.survey, facts.reminder, language)


def survey_declined_message(facts: SurveyFacts, language: str) -> Message:
    """A company contact's DM after "No thanks": no more reminders, but the door stays open."""
    params = _params(facts, language)
    blocks: list[Block] = [section(t("surveys.declined.text", language, **params), block_id="survey.intro")]
    if not facts.closed:
        blocks.append(actions(button(t("surveys.invite.answer", language), action_id=OPEN_ACTION,
                                     value=str(facts.invitation_id)), block_id="survey.buttons"))
    check_message_limits(blocks)
    return Message(text=t("surveys.declined.fallback", language), blocks=blocks)


def survey_thanks_message(facts: SurveyFacts, language: str) -> Message:
    """The thank-you sent on its own when the invitation's DM cannot be redrawn."""
    text = t("surveys.thanks", language, **_params(facts, language))
    return Message(text=_strip_stars(text), blocks=[section(text)])


# --- the form ------------------------------------------------------------------------------------------


def _label(question: Question, language: str) -> str:
    if question.key == RECOMMEND_QUESTION:
        return t("surveys.form.recommend", language)
    return question.statement(language) or question.statement_en or question.statement_da or question.key


def _question_input(question: Question, language: str) -> Block:
    options = [{"text": _plain(t(f"surveys.scale.{value}", language), OPTION_TEXT_LIMIT), "value": str(value)}
               for value in SCALE]
    block_id = question_block(question.key)
    element: Block = {"type": "radio_buttons", "action_id": block_id, "options": options}
    if question.value in SCALE:
        element["initial_option"] = options[SCALE.index(question.value)]
    return {"type": "input", "block_id": block_id, "label": _plain(_label(question, language), LABEL_LIMIT),
            "element": element}


def _comment_input(facts: SurveyFacts, language: str) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": COMMENT_BLOCK, "multiline": True,
                      "max_length": COMMENT_MAX_LENGTH}
    if facts.comment:
        element["initial_value"] = facts.comment[:COMMENT_MAX_LENGTH]
    return {"type": "input", "block_id": COMMENT_BLOCK, "optional": True,
            "label": _plain(t("surveys.modal.comment.label", language), LABEL_LIMIT),
            "hint": _plain(t("surveys.modal.comment.hint", language), LABEL_LIMIT), "element": element}


def _consent_input(language: str) -> Block:
    option = {"text": _plain(t("surveys.modal.consent.option", language), OPTION_TEXT_LIMIT), "value": CONSENT_VALUE}
    return {"type": "input", "block_id": CONSENT_BLOCK,
            "label": _plain(t("surveys.modal.consent.label", language), LABEL_LIMIT),
            "hint": _plain(t("surveys.modal.consent.hint", language), LABEL_LIMIT),
            "element": {"type": "checkboxes", "action_id": CONSENT_BLOCK, "options": [option]}}


def survey_modal(facts: SurveyFacts, *, language: str, channel_id: str | None = None,
                 message_ts: str | None = None) -> dict[str, Any]:
    """The form: each question on the agree scale (prefilled with the answer on record), the
    comment, and for a company contact who has not agreed yet, the consent box. A pulse's
    form has the comment only (its buttons answer the rest). `channel_id` and `message_ts`
    are the invitation's DM, kept so the thank-you can take its place."""
    lang = language
    params = _params(facts, lang)
    blocks: list[Block] = [section(t(f"surveys.modal.intro.{facts.kind.value}", lang, **params))]
    if facts.kind is not SurveyKind.PULSE:
        blocks.extend(_question_input(question, lang) for question in facts.questions)
    blocks.append(_comment_input(facts, lang))
    if facts.role is Role.COMPANY_CONTACT and facts.consent_needed:
        blocks.append(_consent_input(lang))
    blocks.append(context(t("surveys.company_use" if facts.kind is SurveyKind.COMPANY
                            else "surveys.anonymous", lang)))
    check_surface_limits(blocks)
    place = FormPlace(invitation_id=facts.invitation_id, channel_id=channel_id, message_ts=message_ts)
    return {
        "type": "modal",
        "callback_id": SUBMIT_CALLBACK,
        "title": _plain(t(f"surveys.modal.title.{facts.kind.value}", lang), MODAL_TITLE_LIMIT),
        "submit": _plain(t("surveys.modal.submit", lang), MODAL_TITLE_LIMIT),
        "close": _plain(t("surveys.modal.close", lang), MODAL_TITLE_LIMIT),
        "private_metadata": survey_metadata(place),
        "blocks": blocks,
    }


# --- refusals -------------------------------------------------------------------------------------------


def survey_refusal_message(*, status: AnswerStatus, language: str) -> Message:
    """Ephemeral: why nothing was saved (closed, someone else's, stale, consent withdrawn)."""
    text = t(f"surveys.refused.{status.value}", language)
    return Message(text=_strip_stars(text), blocks=[section(text)])


def survey_notice_view(*, status: AnswerStatus, language: str) -> dict[str, Any]:
    """What replaces a form that can no longer be accepted: the reason and a Close button."""
    blocks = [section(t(f"surveys.refused.{status.value}", language))]
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": NOTICE_CALLBACK,
        "title": _plain(t("surveys.modal.title.notice", language), MODAL_TITLE_LIMIT),
        "close": _plain(t("surveys.modal.close_notice", language), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


# --- for coordinators: company contacts to ask by hand ---------------------------------------------------


def _contact_line(contact: ContactToAsk, language: str) -> str:
    return t("surveys.by_hand.line", language, name=escape_mrkdwn(contact.name),
             company=escape_mrkdwn(contact.company) or "-", email=escape_mrkdwn(contact.email),
             mentees=contact.mentees)


@SLACK.renders(CompanyContactsToAskFacts)
def company_contacts_to_ask_message(facts: CompanyContactsToAskFacts, language: str) -> Message:
    """The company survey's contacts who are not in Slack, for the coordinators to ask by
    phone or email and record with `/mentoring-admin outcome NAME`."""
    lang = language
    until = _until(facts.closes_at, facts.timezone, lang)
    round_name = escape_mrkdwn(facts.round_name)
    count = len(facts.contacts)
    blocks: list[Block] = [section(t("surveys.by_hand.text", lang, round=round_name, contacts=count, until=until))]
    lines = [_contact_line(contact, lang) for contact in facts.contacts]
    shown = CONTACTS_PER_SECTION * CONTACT_SECTIONS
    for start in range(0, min(len(lines), shown), CONTACTS_PER_SECTION):
        blocks.append(section("\n".join(lines[start:start + CONTACTS_PER_SECTION])))
    if len(lines) > shown:
        blocks.append(context(t("surveys.by_hand.more", lang, count=len(lines) - shown)))
    example = escape_mrkdwn(facts.contacts[0].name) if facts.contacts else "NAME"
    blocks.append(context(t("surveys.by_hand.how", lang, example=example)))
    check_message_limits(blocks)
    return Message(text=t("surveys.by_hand.fallback", lang, round=round_name, contacts=count), blocks=blocks)


__all__ = [
    "COMMENT_BLOCK",
    "CONSENT_BLOCK",
    "DECLINE_ACTION",
    "OPEN_ACTION",
    "PULSE_ACTION_PATTERN",
    "SUBMIT_CALLBACK",
    "FormPlace",
    "SubmittedSurvey",
    "company_contacts_to_ask_message",
    "form_errors",
    "parse_invitation_value",
    "parse_pulse_value",
    "parse_survey_metadata",
    "read_survey_form",
    "survey_declined_message",
    "survey_invitation_message",
    "survey_modal",
    "survey_notice_view",
    "survey_refusal_message",
    "survey_thanks_message",
]
