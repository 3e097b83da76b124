"""The 6-month follow-up DM, the outcome modal, and the answers around them, as Block Kit.

One modal serves three callers: the follow-up DM's button, `/mentoring outcome` (the mentee
for themselves) and `/mentoring-admin outcome NAME` (a coordinator for a mentee). Its block
ids are the service's field names (`bot.outcomes.service`), so an error lands under its box.
The modal remembers, in its private metadata, whose outcome it is, who opened it and from
which DM: a submission by anyone else changes nothing, and a mentee's answer redraws the DM
that asked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.numbers import whole_number
from bot.i18n import format_day, t
from bot.outcomes.notices import FollowUpFacts
from bot.outcomes.service import (
    COMMENT_QUESTION,
    CONSENT_FIELD,
    NETWORK_FIELD,
    STARTED_FIELD,
    STATUS_FIELD,
    CompanyAnswerRecorded,
    CompanyForm,
    FormAnswer,
    OutcomeForm,
    OutcomeRefusal,
    RecordedOutcome,
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
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn, truncate
from storage.models import OutcomeSource, OutcomeStatus

OPEN_ACTION_ID = "outcome.open"
CALLBACK_ID = "outcome.submit"  # the mentee, for themselves
ADMIN_CALLBACK_ID = "outcome.admin.submit"  # a coordinator, for a mentee (coordinators only)
COMPANY_CALLBACK_ID = "outcome.company.submit"  # a coordinator, for a company contact (coordinators only)
SCALE = (1, 2, 3, 4, 5)
COMMENT_LIMIT = 2000
OPTION_TEXT_LIMIT = 75
AGREED = "agreed"
NETWORK_VALUES: dict[str, bool | None] = {"yes": True, "no": False, "not_sure": None}


@dataclass(frozen=True, kw_only=True)
class OutcomeInput:
    """A submitted modal as plain values; anything malformed is None (and then an error)."""

    participant_id: int | None
    source: OutcomeSource | None
    opened_by: str | None
    channel_id: str | None
    message_ts: str | None
    status: OutcomeStatus | None
    started_on: date | None
    network_helped: bool | None
    consent: bool


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text, OPTION_TEXT_LIMIT), "value": value}


def status_label(status: OutcomeStatus, language: str) -> str:
    return t(f"outcomes.status.{status.value}", language)


def _situation(status: OutcomeStatus, started_on: date | None, language: str) -> str:
    """"*Employed* since 1 September 2027", for the answers that repeat what is on record."""
    label = f"*{status_label(status, language)}*"
    if started_on is None:
        return label
    return t("outcomes.since", language, status=label, date=format_day(started_on, language))


# --- the follow-up DM ------------------------------------------------------------------------------------


@SLACK.renders(FollowUpFacts)
def follow_up_message(facts: FollowUpFacts, language: str) -> Message:
    """Six months on: how are you doing? One button opens the modal, prefilled with what is
    on record, which the DM repeats so "still the same" is quick to say."""
    name, round_name = escape_mrkdwn(facts.name), escape_mrkdwn(facts.round_name)
    lead = t("outcomes.follow_up.reminder" if facts.reminder else "outcomes.follow_up.text", language, name=name,
             round=round_name, programme=escape_mrkdwn(facts.programme), date=format_day(facts.ended_on, language))
    blocks: list[Block] = [section(lead)]
    if facts.last_status is not None:
        blocks.append(section(t("outcomes.follow_up.on_record", language,
                                situation=_situation(facts.last_status, facts.last_started_on, language))))
    blocks.append(actions(
        button(t("outcomes.follow_up.button", language), action_id=OPEN_ACTION_ID, value=str(facts.participant_id),
               style="primary"),
        block_id="outcome.follow_up",
    ))
    blocks.append(context(t("outcomes.follow_up.hint", language)))
    check_message_limits(blocks)
    return Message(text=t("outcomes.follow_up.fallback", language, round=round_name), blocks=blocks)


def follow_up_answered_message(*, recorded: RecordedOutcome, language: str) -> Message:
    """The follow-up DM once answered: what they told us, without the button."""
    text = t("outcomes.follow_up.answered", language, name=escape_mrkdwn(recorded.name),
             situation=_situation(recorded.status, recorded.started_on, language))
    blocks = [section(text), context(t("outcomes.change_hint", language))]
    check_message_limits(blocks)
    return Message(text=text, blocks=blocks)


def participant_id_from_button(value: str | None) -> int | None:
    """An `outcome.open` button's value is the mentee's participant id."""
    return whole_number(value)


# --- the modal ---------------------------------------------------------------------------------------------


def outcome_modal(form: OutcomeForm, *, opened_by_user_id: str, channel_id: str | None = None,
                  message_ts: str | None = None) -> dict[str, Any]:
    """Situation (six choices), since when, and whether the mentor's network helped; for a
    coordinator, a required box confirming the person agreed; for a mentee who has not
    agreed to the follow-up, the same box, optional."""
    lang = form.language
    by_coordinator = form.source is OutcomeSource.COORDINATOR
    who = "coordinator" if by_coordinator else "self"
    current = form.current
    status_options = [_option(status_label(status, lang), status.value) for status in OutcomeStatus]
    status_element: Block = {"type": "radio_buttons", "action_id": STATUS_FIELD, "options": status_options}
    if current is not None:
        status_element["initial_option"] = next(option for option in status_options
                                                if option["value"] == current.status.value)
    started_element: Block = {"type": "datepicker", "action_id": STARTED_FIELD,
                              "placeholder": _plain(t("outcomes.modal.started.placeholder", lang), 150)}
    if current is not None and current.started_on is not None:
        started_element["initial_date"] = current.started_on.isoformat()
    network_options = [_option(t(f"outcomes.network.{key}", lang), key) for key in NETWORK_VALUES]
    network_element: Block = {"type": "radio_buttons", "action_id": NETWORK_FIELD, "options": network_options}
    if current is not None:
        chosen = next(key for key, value in NETWORK_VALUES.items() if value is current.network_helped)
        network_element["initial_option"] = next(option for option in network_options if option["value"] == chosen)
    blocks: list[Block] = [
        section(t(f"outcomes.modal.intro.{who}", lang, name=escape_mrkdwn(form.name),
                  round=escape_mrkdwn(form.round_name))),
        _input(STATUS_FIELD, t(f"outcomes.modal.status.{who}", lang), status_element),
        _input(STARTED_FIELD, t("outcomes.modal.started.label", lang), started_element,
               hint=t(f"outcomes.modal.started.hint.{who}", lang), optional=True),
        _input(NETWORK_FIELD, t(f"outcomes.modal.network.{who}", lang), network_element, optional=True),
    ]
    if form.ask_consent:
        consent_element: Block = {"type": "checkboxes", "action_id": CONSENT_FIELD,
                                  "options": [_option(t(f"outcomes.modal.consent.option.{who}", lang), AGREED)]}
        blocks.append(_input(CONSENT_FIELD, t(f"outcomes.modal.consent.label.{who}", lang, name=form.name),
                             consent_element, hint=t(f"outcomes.modal.consent.hint.{who}", lang),
                             optional=not by_coordinator))
    check_surface_limits(blocks)
    metadata = {"p": form.participant_id, "src": form.source.value, "by": opened_by_user_id, "ch": channel_id,
                "ts": message_ts}
    return {
        "type": "modal",
        "callback_id": ADMIN_CALLBACK_ID if by_coordinator else CALLBACK_ID,
        "private_metadata": json.dumps(metadata),
        "title": _plain(t(f"outcomes.modal.title.{who}", lang), MODAL_TITLE_LIMIT),
        "submit": _plain(t("outcomes.modal.submit", lang), MODAL_TITLE_LIMIT),
        "close": _plain(t("outcomes.modal.close", lang), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def _input(block_id: str, label: str, element: Block, *, hint: str | None = None, optional: bool = False) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": _plain(label, 2000), "element": element,
                    "optional": optional}
    if hint:
        block["hint"] = _plain(hint, 2000)
    return block


def read_outcome_submission(view: Mapping[str, Any]) -> OutcomeInput:
    """The submitted modal as plain values."""
    metadata = view_metadata(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}

    def element(block_id: str) -> Mapping[str, Any]:
        found = (values.get(block_id) or {}).get(block_id)
        return found if isinstance(found, Mapping) else {}

    status_value = (element(STATUS_FIELD).get("selected_option") or {}).get("value")
    network_value = (element(NETWORK_FIELD).get("selected_option") or {}).get("value")
    agreed = element(CONSENT_FIELD).get("selected_options") or []
    source_value = metadata.get("src")
    return OutcomeInput(
        participant_id=whole_number(metadata.get("p")),
        source=OutcomeSource(source_value) if source_value in {source.value for source in OutcomeSource} else None,
        opened_by=_text_or_none(metadata.get("by")),
        channel_id=_text_or_none(metadata.get("ch")),
        message_ts=_text_or_none(metadata.get("ts")),
        status=OutcomeStatus(status_value) if status_value in {status.value for status in OutcomeStatus} else None,
        started_on=_day(element(STARTED_FIELD).get("selected_date")),
        network_helped=NETWORK_VALUES.get(network_value) if isinstance(network_value, str) else None,
        consent=any(isinstance(option, Mapping) and option.get("value") == AGREED for option in agreed),
    )


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def outcome_error_texts(errors: Mapping[str, str], language: str) -> dict[str, str]:
    """The service's error keys as the texts Slack shows under each box."""
    return {block_id: t(key, language) for block_id, key in errors.items()}


def outcome_done_view(*, recorded: RecordedOutcome, language: str) -> dict[str, Any]:
    """What replaces the modal once saved: thanks, and what was noted (for a coordinator,
    for whom)."""
    situation = _situation(recorded.status, recorded.started_on, language)
    if recorded.source is OutcomeSource.COORDINATOR:
        text = t("outcomes.done.coordinator", language, name=escape_mrkdwn(recorded.name),
                 round=escape_mrkdwn(recorded.round_name), situation=situation)
        blocks = [section(text)]
    else:
        blocks = [section(t("outcomes.done.self", language, situation=situation)),
                  context(t("outcomes.change_hint", language))]
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": f"{CALLBACK_ID}.done",
        "title": _plain(t("outcomes.done.title", language), MODAL_TITLE_LIMIT),
        "close": _plain(t("outcomes.done.close", language), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


# --- refusals ------------------------------------------------------------------------------------------------


def refusal_text(refusal: OutcomeRefusal, language: str, *, when: date | None = None) -> str:
    # Every placeholder any refusal has: a submission's refusals name no query and no people.
    return t(f"outcomes.refused.{refusal.value}", language, date=format_day(when, language) if when else "",
             query="", people="")


def outcome_refusal_view(*, refusal: OutcomeRefusal, language: str, when: date | None = None) -> dict[str, Any]:
    """What replaces the modal when a submission cannot be taken at all (not theirs, gone,
    a company survey that has closed meanwhile)."""
    blocks = [section(refusal_text(refusal, language, when=when))]
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": f"{CALLBACK_ID}.refused",
        "title": _plain(t("outcomes.modal.title.self", language), MODAL_TITLE_LIMIT),
        "close": _plain(t("outcomes.done.close", language), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def _choice_text(answer: FormAnswer, language: str) -> str:
    listed = [
        t("outcomes.person", language, name=escape_mrkdwn(choice.name), role=t(f"outcomes.role.{choice.role.value}",
                                                                                 language),
          round=escape_mrkdwn(choice.round_name))
        for choice in answer.candidates
    ]
    if answer.more:
        listed.append(t("outcomes.more", language, count=answer.more))
    return ", ".join(listed)


def outcome_refusal_message(answer: FormAnswer) -> Message:
    """The ephemeral answer when no form opens: a mentor or coordinator asking for their own,
    a button that was someone else's, or a name that fits nobody (or several)."""
    lang = answer.language
    refusal = answer.refusal or OutcomeRefusal.GONE
    text = t(f"outcomes.refused.{refusal.value}", lang, query=escape_mrkdwn(answer.query),
             people=_choice_text(answer, lang), date=format_day(answer.when, lang) if answer.when else "")
    return Message(text=text, blocks=[section(text)])


def outcome_trouble_message(*, language: str) -> Message:
    """Slack would not open the modal (an expired trigger): nothing happened, try again."""
    text = t("outcomes.error.generic", language)
    return Message(text=text, blocks=[section(text)])


# --- a company contact's survey answers, entered by a coordinator ----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CompanyInput:
    """The submitted company-answer modal as plain values."""

    participant_id: int | None
    opened_by: str | None
    values: dict[str, int | None]
    comment: str | None
    consent: bool


def company_answer_modal(form: CompanyForm, *, opened_by_user_id: str) -> dict[str, Any]:
    """Each company criterion on the agree scale (as the contact answered it), their comment,
    and a required box confirming they agreed to the evaluation. Prefilled with what is on
    record, so a second call corrects rather than starts over."""
    lang = form.language
    scale = [_option(t(f"outcomes.company.scale.{value}", lang), str(value)) for value in SCALE]
    blocks: list[Block] = [section(t("outcomes.company.modal.intro", lang, name=escape_mrkdwn(form.name),
                                     company=escape_mrkdwn(form.company), round=escape_mrkdwn(form.round_name)))]
    for question in form.questions:
        element: Block = {"type": "radio_buttons", "action_id": question.key, "options": scale}
        if question.value in SCALE:
            element["initial_option"] = scale[SCALE.index(question.value)]
        statement = question.statement(lang) or t("outcomes.company.recommend", lang)
        blocks.append(_input(question.key, statement, element))
    comment: Block = {"type": "plain_text_input", "action_id": COMMENT_QUESTION, "multiline": True,
                      "max_length": COMMENT_LIMIT}
    if form.comment:
        comment["initial_value"] = truncate(form.comment, COMMENT_LIMIT)
    blocks.append(_input(COMMENT_QUESTION, t("outcomes.company.comment.label", lang), comment, optional=True))
    consent: Block = {"type": "checkboxes", "action_id": CONSENT_FIELD,
                      "options": [_option(t("outcomes.company.consent.option", lang), AGREED)]}
    blocks.append(_input(CONSENT_FIELD, t("outcomes.modal.consent.label.coordinator", lang, name=form.name), consent,
                         hint=t("outcomes.company.consent.hint", lang)))
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": COMPANY_CALLBACK_ID,
        "private_metadata": json.dumps({"p": form.participant_id, "by": opened_by_user_id}),
        "title": _plain(t("outcomes.company.modal.title", lang), MODAL_TITLE_LIMIT),
        "submit": _plain(t("outcomes.modal.submit", lang), MODAL_TITLE_LIMIT),
        "close": _plain(t("outcomes.modal.close", lang), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def read_company_submission(view: Mapping[str, Any]) -> CompanyInput:
    """Every radio answer by its question key (1-5, or None), the comment and the box."""
    metadata = view_metadata(view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    answers: dict[str, int | None] = {}
    comment: str | None = None
    consent = False
    for block_id, elements in values.items():
        element = (elements or {}).get(block_id) if isinstance(elements, Mapping) else None
        if not isinstance(element, Mapping):
            continue
        if block_id == COMMENT_QUESTION:
            comment = _text_or_none(element.get("value"))
        elif block_id == CONSENT_FIELD:
            consent = any(isinstance(option, Mapping) and option.get("value") == AGREED
                          for option in element.get("selected_options") or [])
        else:
            chosen = whole_number((element.get("selected_option") or {}).get("value"))
            answers[str(block_id)] = chosen if chosen in SCALE else None
    return CompanyInput(participant_id=whole_number(metadata.get("p")), opened_by=_text_or_none(metadata.get("by")),
                        values=answers, comment=comment, consent=consent)


def company_done_view(*, recorded: CompanyAnswerRecorded, language: str) -> dict[str, Any]:
    """What replaces the modal once the contact's answers are saved."""
    blocks = [section(t("outcomes.company.done", language, name=escape_mrkdwn(recorded.name),
                        company=escape_mrkdwn(recorded.company), round=escape_mrkdwn(recorded.round_name)))]
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": f"{COMPANY_CALLBACK_ID}.done",
        "title": _plain(t("outcomes.done.title", language), MODAL_TITLE_LIMIT),
        "close": _plain(t("outcomes.done.close", language), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


__all__ = [
    "ADMIN_CALLBACK_ID",
    "CALLBACK_ID",
    "COMPANY_CALLBACK_ID",
    "OPEN_ACTION_ID",
    "CompanyInput",
    "OutcomeInput",
    "company_answer_modal",
    "company_done_view",
    "follow_up_answered_message",
    "follow_up_message",
    "outcome_done_view",
    "outcome_error_texts",
    "outcome_modal",
    "outcome_refusal_message",
    "outcome_refusal_view",
    "outcome_trouble_message",
    "participant_id_from_button",
    "read_company_submission",
    "read_outcome_submission",
    "refusal_text",
]
