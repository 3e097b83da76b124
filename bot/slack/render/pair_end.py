"""The end-pair / rematch modal, what it reads back, and the answers around it; and the
notices an ended pair's end queues (the closing note, the coordinators' report), drawn
by the builders of `bot.slack.render.pair_channels`.

The modal's block ids are the service's field names (`pair`, `reason`, `note`), so an error
from `bot.pairs.end` lands under the box it is about without any mapping here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.numbers import whole_number
from bot.i18n import t
from bot.pairs.end import (
    AMBIGUOUS_SHOWN,
    END_REASONS,
    NOTE_FIELD,
    NOTE_LIMIT,
    PAIR_FIELD,
    REASON_FIELD,
    REMATCH_REASON,
    EndedPair,
    EndPairForm,
    FormRefusal,
    PairChoice,
)
from bot.pairs.notices import PairClosed, PairEndedReport
from bot.slack.render.blocks import (
    MODAL_TITLE_LIMIT,
    Block,
    Message,
    check_surface_limits,
    context,
    section,
    view_metadata,
)
from bot.slack.render.pair_channels import closing_message, pair_ended_report
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn, truncate

CALLBACK_ID = "pairs.end.submit"
OPTION_TEXT_LIMIT = 75
MODE_KEY = "mode"
REMATCH_MODE = "rematch"
END_MODE = "end"


@dataclass(frozen=True, kw_only=True)
class EndPairSubmission:
    pair_id: int | None
    reason: str | None
    note: str | None
    rematch: bool


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def _option_text(choice: PairChoice, language: str) -> str:
    key = "pairs.end.pair.option_paused" if choice.paused else "pairs.end.pair.option"
    return t(key, language, mentor=choice.mentor_name, mentee=choice.mentee_name, round=choice.round_name)


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text, OPTION_TEXT_LIMIT), "value": value}


def end_pair_modal(form: EndPairForm) -> dict[str, Any]:
    """The modal: which pair, why, and a note for the coordinators. A rematch preselects
    "not a good fit" and says plainly that matching again is a separate, manual step."""
    lang = form.language
    mode = "rematch" if form.rematch else "end"
    pair_options = [_option(_option_text(choice, lang), str(choice.pair_id)) for choice in form.choices]
    pair_select: Block = {
        "type": "static_select",
        "action_id": PAIR_FIELD,
        "placeholder": _plain(t("pairs.end.pair.placeholder", lang), 150),
        "options": pair_options,
    }
    initial_pair = next((option for option in pair_options if option["value"] == str(form.selected)), None)
    if initial_pair is not None:
        pair_select["initial_option"] = initial_pair
    reason_options = [_option(t(f"pairs.end.reason.{reason}", lang), reason) for reason in END_REASONS]
    reason_select: Block = {"type": "static_select", "action_id": REASON_FIELD, "options": reason_options}
    if form.rematch:
        reason_select["initial_option"] = next(option for option in reason_options if option["value"] == REMATCH_REASON)
    blocks: list[Block] = [
        section(t(f"pairs.{mode}.modal.intro", lang)),
        _input(PAIR_FIELD, t("pairs.end.pair.label", lang), pair_select),
        _input(REASON_FIELD, t("pairs.end.reason.label", lang), reason_select),
        _input(
            NOTE_FIELD,
            t("pairs.end.note.label", lang),
            {"type": "plain_text_input", "action_id": NOTE_FIELD, "multiline": True, "max_length": NOTE_LIMIT},
            hint=t("pairs.end.note.hint", lang),
            optional=True,
        ),
    ]
    if form.total > len(form.choices):
        blocks.append(context(t("pairs.end.more_pairs", lang, shown=len(form.choices), total=form.total)))
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({MODE_KEY: REMATCH_MODE if form.rematch else END_MODE}),
        "title": _plain(t(f"pairs.{mode}.modal.title", lang), MODAL_TITLE_LIMIT),
        "submit": _plain(t(f"pairs.{mode}.modal.submit", lang), MODAL_TITLE_LIMIT),
        "close": _plain(t("pairs.end.modal.close", lang), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def _input(block_id: str, label: str, element: Block, *, hint: str | None = None, optional: bool = False) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": _plain(label, 2000), "element": element,
                    "optional": optional}
    if hint:
        block["hint"] = _plain(hint, 2000)
    return block


def form_refusal_message(form: EndPairForm) -> Message:
    """The ephemeral answer when there is nothing to pick, or the name given fits no pair
    (or several)."""
    lang = form.language
    if form.refusal is FormRefusal.NO_SUCH_PAIR:
        text = t("pairs.end.error.no_such_pair", lang, query=escape_mrkdwn(form.query))
    elif form.refusal is FormRefusal.AMBIGUOUS:
        listed = ", ".join(
            escape_mrkdwn(f"{choice.mentor_name} & {choice.mentee_name}") for choice in form.matches[:AMBIGUOUS_SHOWN]
        )
        if len(form.matches) > AMBIGUOUS_SHOWN:
            listed += ", …"
        text = t("pairs.end.error.ambiguous", lang, query=escape_mrkdwn(form.query), count=len(form.matches), pairs=listed)
    else:
        text = t("pairs.end.error.no_pairs", lang)
    return Message(text=text, blocks=[section(text)])


def end_pair_errors(errors: Mapping[str, str], language: str) -> dict[str, str]:
    """The service's error keys as the texts Slack shows under each box."""
    return {block_id: t(key, language) for block_id, key in errors.items()}


def end_pair_done_view(*, ended: EndedPair, language: str) -> dict[str, Any]:
    """What replaces the modal once the pair has ended: what happened, and for a rematch
    the honest next step (a new proposal is the coordinator's to ask for and publish)."""
    text = t(
        "pairs.end.done.text", language, mentor=escape_mrkdwn(ended.mentor_name), mentee=escape_mrkdwn(ended.mentee_name),
        round=escape_mrkdwn(ended.round_name), reason=t(f"pairs.end.reason.{ended.reason}", language),
    )
    blocks: list[Block] = [section(text)]
    if ended.rematch:
        blocks.append(
            section(
                t("pairs.rematch.done.text", language, mentor=escape_mrkdwn(ended.mentor_name),
                  mentee=escape_mrkdwn(ended.mentee_name))
            )
        )
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": f"{CALLBACK_ID}.done",
        "title": _plain(t("pairs.end.done.title", language), MODAL_TITLE_LIMIT),
        "close": _plain(t("pairs.end.done.close", language), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def read_end_pair_submission(view: Mapping[str, Any]) -> EndPairSubmission:
    """The submitted modal as plain values; anything malformed becomes None (and an error)."""
    values = (view.get("state") or {}).get("values") or {}
    pair_value = _selected(values, PAIR_FIELD)
    reason = _selected(values, REASON_FIELD)
    note_element = (values.get(NOTE_FIELD) or {}).get(NOTE_FIELD) or {}
    note = note_element.get("value") if isinstance(note_element, Mapping) else None
    rematch = view_metadata(view.get("private_metadata")).get(MODE_KEY) == REMATCH_MODE
    return EndPairSubmission(
        pair_id=whole_number(pair_value),
        reason=reason,
        note=note if isinstance(note, str) else None,
        rematch=rematch,
    )


def _selected(values: Mapping[str, Any], block_id: str) -> str | None:
    element = (values.get(block_id) or {}).get(block_id) or {}
    option = element.get("selected_option") if isinstance(element, Mapping) else None
    value = option.get("value") if isinstance(option, Mapping) else None
    return value if isinstance(value, str) else None


@SLACK.renders(PairClosed)
def _pair_closed(facts: PairClosed, language: str) -> Message:
    return closing_message(mentor=facts.mentor, mentee=facts.mentee, reason=facts.reason, language=language)


@SLACK.renders(PairEndedReport)
def _pair_ended_report(facts: PairEndedReport, language: str) -> Message:
    return pair_ended_report(language=language, coordinator_id=facts.coordinator_id, round_name=facts.round_name,
                             mentor_name=facts.mentor_name, mentee_name=facts.mentee_name, reason=facts.reason,
                             note=facts.note)


__all__ = [
    "CALLBACK_ID",
    "EndPairSubmission",
    "end_pair_done_view",
    "end_pair_errors",
    "end_pair_modal",
    "form_refusal_message",
    "read_end_pair_submission",
]
