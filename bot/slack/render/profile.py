"""The profile modal, what it reads back, and the messages around it.

The modal's block ids are the service's field names, so a validation error from
`bot.onboarding.profile` lands under the box it is about without any mapping here. Each
input's action_id is its block id too: action ids must be unique within a surface.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.core.numbers import whole_number
from bot.i18n import LANGUAGES, t
from bot.onboarding.profile import (
    AVAILABILITY,
    EXPERTISE,
    FIELD,
    FIELD_LIMIT,
    GOALS,
    INTERESTS,
    LANGUAGE,
    LANGUAGES_FIELD,
    TEXT_LIMIT,
    TIMEZONE,
    YEARS,
    YEARS_MAX,
    ProfileAccess,
    ProfileDraft,
    ProfileForm,
    SavedProfile,
)
from bot.slack.render.blocks import (
    MODAL_TITLE_LIMIT,
    Block,
    Message,
    check_message_limits,
    check_surface_limits,
    context,
    section,
    view_metadata,
)
from bot.text import escape_mrkdwn, truncate
from storage.models import Role

CALLBACK_ID = "profile.submit"
OPEN_ACTION_ID = "profile.open"
METADATA_KEY = "participant_id"
LANGUAGE_NAMES = {"en": "English", "da": "Dansk"}  # each language in its own name


def profile_modal(draft: ProfileDraft) -> dict[str, Any]:
    """The modal, prefilled with what the workbook and earlier submissions stored."""
    lang = draft.language
    role_key = "mentor" if draft.role is Role.MENTOR else "mentee"
    statement_key = draft.statement_key
    blocks: list[Block] = [
        section(t(f"profile.modal.intro.{role_key}", lang, round=escape_mrkdwn(draft.round_name))),
        _text_input(
            block_id=FIELD, label=t("profile.field.label", lang), hint=t("profile.field.hint", lang),
            initial=draft.field, max_length=FIELD_LIMIT,
        ),
        _number_input(
            block_id=YEARS, label=t("profile.years.label", lang), hint=t("profile.years.hint", lang, maximum=YEARS_MAX),
            initial=draft.years_experience,
        ),
        _text_input(
            block_id=LANGUAGES_FIELD, label=t("profile.languages.label", lang), hint=t("profile.languages.hint", lang),
            initial=", ".join(draft.languages) or None, max_length=TEXT_LIMIT,
        ),
        _text_input(
            block_id=INTERESTS, label=t("profile.interests.label", lang), hint=t("profile.interests.hint", lang),
            initial=", ".join(draft.interests) or None, max_length=TEXT_LIMIT, optional=True,
        ),
        _text_input(
            block_id=statement_key, label=t(f"profile.{statement_key}.label", lang),
            hint=t(f"profile.{statement_key}.hint", lang), initial=draft.statement, max_length=TEXT_LIMIT,
            multiline=True,
        ),
        _text_input(
            block_id=AVAILABILITY, label=t("profile.availability.label", lang),
            hint=t("profile.availability.hint", lang), initial=draft.availability, max_length=TEXT_LIMIT,
            multiline=True, optional=True,
        ),
        _language_select(language=lang),
        _text_input(
            block_id=TIMEZONE, label=t("profile.timezone.label", lang),
            hint=t("profile.timezone.hint.confirmed" if draft.timezone_confirmed else "profile.timezone.hint.slack", lang),
            initial=draft.timezone, max_length=64,
        ),
    ]
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": profile_metadata(draft.participant_id),
        "title": _plain(t("profile.modal.title", lang), MODAL_TITLE_LIMIT),
        "submit": _plain(t("profile.modal.submit", lang), MODAL_TITLE_LIMIT),
        "close": _plain(t("profile.modal.close", lang), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def profile_notice_view(*, access: ProfileAccess, language: str) -> dict[str, Any]:
    """What replaces the modal when a submission can no longer be accepted (say, the person
    opted out in another window): the reason, and only a Close button."""
    blocks = [section(t(f"profile.access.{access.value}", language))]
    check_surface_limits(blocks)
    return {
        "type": "modal",
        "callback_id": f"{CALLBACK_ID}.notice",
        "title": _plain(t("profile.modal.title", language), MODAL_TITLE_LIMIT),
        "close": _plain(t("profile.notice.close", language), MODAL_TITLE_LIMIT),
        "blocks": blocks,
    }


def profile_access_message(*, access: ProfileAccess, language: str) -> Message:
    """The ephemeral explanation for someone who cannot fill in a profile now, and why."""
    text = t(f"profile.access.{access.value}", language)
    return Message(text=text, blocks=[section(text)])


def profile_saved_message(*, saved: SavedProfile, first_time: bool, language: str) -> Message:
    """The DM confirming a save, repeating what was stored so a typo is easy to spot."""
    round_name = escape_mrkdwn(saved.round_name)
    lead = t("profile.saved.first" if first_time else "profile.saved.updated", language, round=round_name)
    statement_key = EXPERTISE if saved.role is Role.MENTOR else GOALS
    rows: list[tuple[str, str | None]] = [
        ("field", saved.field),
        ("years", str(saved.years_experience) if saved.years_experience is not None else None),
        ("languages", ", ".join(saved.languages)),
        ("interests", ", ".join(saved.interests) or None),
        (statement_key, saved.statement),
        ("availability", saved.availability),
        ("language", LANGUAGE_NAMES.get(language, language)),
        ("timezone", saved.timezone),
    ]
    lines = [
        f"*{t(f'profile.summary.{key}', language)}:* {escape_mrkdwn(truncate(value, 600))}"
        for key, value in rows
        if value
    ]
    blocks = [
        section(lead),
        section(t("profile.saved.summary_heading", language) + "\n" + "\n".join(lines)),
        context(t("profile.saved.edit_hint", language)),
    ]
    check_message_limits(blocks)
    return Message(text=lead, blocks=blocks)


def profile_metadata(participant_id: int) -> str:
    return json.dumps({METADATA_KEY: participant_id})


def participant_id_from_metadata(private_metadata: str | None) -> int | None:
    """The participant the modal was opened for; None when the metadata is not ours, or names
    an id no database row can have (a forged 2**63 overflowed SQLite's query, a crash in the
    listener instead of a refusal)."""
    value = view_metadata(private_metadata).get(METADATA_KEY)
    return whole_number(value) if isinstance(value, int) else None


def participant_id_from_button(value: str | None) -> int | None:
    """A `profile.open` button's value is the participant id as a string."""
    return whole_number(value)


def read_profile_form(state_values: Mapping[str, Mapping[str, Any]]) -> ProfileForm:
    """The submitted `view.state.values` as raw text per field, whatever element each box is."""
    statement = _value(state_values, EXPERTISE) if EXPERTISE in state_values else _value(state_values, GOALS)
    return ProfileForm(
        field=_value(state_values, FIELD),
        years_experience=_value(state_values, YEARS),
        languages=_value(state_values, LANGUAGES_FIELD),
        interests=_value(state_values, INTERESTS),
        statement=statement,
        availability=_value(state_values, AVAILABILITY),
        language=_value(state_values, LANGUAGE),
        timezone=_value(state_values, TIMEZONE),
    )


# --- helpers --------------------------------------------------------------------------------

def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def _input(*, block_id: str, label: str, hint: str | None, element: Block, optional: bool) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint, 2000)
    return block


def _text_input(
    *,
    block_id: str,
    label: str,
    hint: str | None,
    initial: str | None,
    max_length: int,
    multiline: bool = False,
    optional: bool = False,
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": block_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        # Slack refuses an initial value longer than the box allows.
        element["initial_value"] = initial[:max_length]
    return _input(block_id=block_id, label=label, hint=hint, element=element, optional=optional)


def _number_input(*, block_id: str, label: str, hint: str, initial: int | None) -> Block:
    element: Block = {
        "type": "number_input",
        "action_id": block_id,
        "is_decimal_allowed": False,
        "min_value": "0",
        "max_value": str(YEARS_MAX),
    }
    if initial is not None and 0 <= initial <= YEARS_MAX:
        element["initial_value"] = str(initial)
    return _input(block_id=block_id, label=label, hint=hint, element=element, optional=True)


def _language_select(*, language: str) -> Block:
    options = [
        {"text": _plain(LANGUAGE_NAMES[code], 75), "value": code} for code in LANGUAGES
    ]
    element: Block = {
        "type": "static_select",
        "action_id": LANGUAGE,
        "options": options,
        "initial_option": next(option for option in options if option["value"] == language),
    }
    return _input(block_id=LANGUAGE, label=t("profile.language.label", language), hint=None, element=element,
                  optional=False)


def _value(state_values: Mapping[str, Mapping[str, Any]], block_id: str) -> str | None:
    """The text of one box: a text or number input's value, a select's option, or a
    multi-select's options joined by commas (so languages may be either)."""
    actions = state_values.get(block_id) or {}
    element = actions.get(block_id)
    if element is None and actions:
        element = next(iter(actions.values()))
    if not isinstance(element, Mapping):
        return None
    if element.get("selected_option"):
        return str(element["selected_option"].get("value") or "") or None
    if element.get("selected_options"):
        return ", ".join(str(option.get("value") or "") for option in element["selected_options"])
    value = element.get("value")
    return str(value) if value is not None else None
