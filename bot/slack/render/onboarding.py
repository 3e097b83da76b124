"""Onboarding messages: the welcome DM with its consent buttons, reminders, and the notes
coordinators get about people missing from Slack or saying no.

Pure functions from plain facts to Block Kit. The welcome is rendered by the same
function before and after each click, so the message a person sees always shows the
choices on record (the service passes them in), never what the button last said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.numbers import whole_number
from bot.i18n import format_day, format_moment, t
from bot.onboarding.notices import (
    ConsentReminderFacts,
    CoordinationDeclinedFacts,
    CoordinationRegrantedFacts,
    MissingFromSlackFacts,
    MissingPerson,
    OnboardingFacts,
    ProfileReminderFacts,
    WelcomeFacts,
)
from bot.rounds.meetings import meeting_concerns
from bot.slack.render.blocks import (
    SECTION_TEXT_LIMIT,
    Block,
    Message,
    actions,
    button,
    check_message_limits,
    context,
    divider,
    header,
    section,
)
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn
from storage.models import ConsentPurpose, Role

# Every consent button's action_id starts with this, so one Bolt listener matches them all
# (`re.compile(r"^consent\.")`); each purpose and choice still has its own id in a message.
CONSENT_ACTION_PREFIX = "consent."
PROFILE_ACTION_ID = "profile.open"  # the profile modal is opened by its own handler

VIA_WELCOME = "welcome"
VIA_REMINDER = "reminder"
_VIAS = (VIA_WELCOME, VIA_REMINDER)

_MAX_MISSING_SECTIONS = 40  # well under 50 blocks, with room for the intro and the footer


@dataclass(frozen=True, kw_only=True)
class ConsentChoice:
    """What a consent button carries: whose it is, which purpose, yes or no, and which message."""

    participant_id: int
    purpose: ConsentPurpose
    granted: bool
    via: str = VIA_WELCOME


def consent_action_id(purpose: ConsentPurpose, granted: bool) -> str:
    return f"{CONSENT_ACTION_PREFIX}{purpose.value}.{'yes' if granted else 'no'}"


def consent_value(choice: ConsentChoice) -> str:
    return f"{choice.participant_id}:{choice.purpose.value}:{'yes' if choice.granted else 'no'}:{choice.via}"


def parse_consent_value(value: str | None) -> ConsentChoice | None:
    """The button value back as a choice; None for anything this bot did not write (a stale
    or forged button), so the handler can explain instead of failing."""
    parts = (value or "").split(":")
    if len(parts) != 4:
        return None
    raw_id, raw_purpose, raw_choice, via = parts
    participant_id = whole_number(raw_id)
    if participant_id is None or raw_choice not in ("yes", "no") or via not in _VIAS:
        return None
    try:
        purpose = ConsentPurpose(raw_purpose)
    except ValueError:
        return None
    return ConsentChoice(participant_id=participant_id, purpose=purpose, granted=raw_choice == "yes", via=via)


# --- the welcome and the consent panel ---------------------------------------------------------


def welcome_message(facts: OnboardingFacts, *, language: str) -> Message:
    """The first DM: the round, its dates and meetings, the role, and three consent questions."""
    lang = language
    programme = escape_mrkdwn(facts.programme)  # the blocks and the notification text alike
    blocks: list[Block] = [
        header(t("onboarding.welcome.header", lang, programme=facts.programme)),  # plain text: never parsed
        section(
            t(
                "onboarding.welcome.greeting", lang,
                name=escape_mrkdwn(facts.name),
                round=escape_mrkdwn(facts.round),
                programme=programme,
                role=t(f"onboarding.role.{facts.role.value}", lang),
            )
        ),
        section(_dates_and_meetings(facts, lang)),
        section(t(f"onboarding.role_details.{facts.role.value}", lang, days=facts.session_every_days)),
        divider(),
    ]
    if facts.role is Role.COORDINATOR:
        # Coordinators run the programme; they are staff, not participants asked for consent.
        blocks.append(section(t("onboarding.welcome.coordinator_tools", lang)))
        check_message_limits(blocks)
        return Message(text=t("onboarding.welcome.fallback_coordinator", lang, programme=programme), blocks=blocks)
    blocks += [*_consent_blocks(facts, via=VIA_WELCOME, language=lang), context(t("onboarding.questions_hint", lang))]
    check_message_limits(blocks)
    # Once answered, the fallback (screen readers, previews) says where they stand, not "please answer".
    fallback = _status_text(facts, lang) if facts.choices else t("onboarding.welcome.fallback", lang, programme=programme)
    return Message(text=fallback, blocks=blocks)


def consent_panel_message(facts: OnboardingFacts, *, language: str) -> Message:
    """What a reminder with consent buttons turns into once someone clicks: the choices on record."""
    blocks = _consent_blocks(facts, via=VIA_REMINDER, language=language)
    check_message_limits(blocks)
    return Message(text=_status_text(facts, language), blocks=blocks)


def render_after_click(facts: OnboardingFacts, *, via: str, language: str) -> Message:
    """The clicked message, redrawn with the choices on record."""
    if via == VIA_WELCOME:
        return welcome_message(facts, language=language)
    return consent_panel_message(facts, language=language)


def _dates_and_meetings(facts: OnboardingFacts, lang: str) -> str:
    lines = [
        t(
            "onboarding.welcome.dates", lang,
            starts=format_day(facts.starts_on, lang), ends=format_day(facts.ends_on, lang),
        )
    ]
    meetings = [meeting for meeting in facts.meetings if meeting_concerns(meeting.kind, facts.role)]
    if not meetings:
        lines.append(t("onboarding.welcome.no_meetings", lang))
    else:
        lines.append(t("onboarding.welcome.meetings_intro", lang, timezone=facts.timezone))
        for meeting in meetings:
            kind = t(f"onboarding.meeting.{meeting.kind.value}", lang)
            moment = format_moment(meeting.starts_at, lang, facts.timezone)
            if meeting.title.strip().casefold() in ("", kind.casefold()):
                line = t("onboarding.welcome.meeting_line_untitled", lang, kind=kind, moment=moment)
            else:
                line = t(
                    "onboarding.welcome.meeting_line", lang, kind=kind, title=escape_mrkdwn(meeting.title), moment=moment
                )
            if meeting.location:
                line += t("onboarding.welcome.meeting_location", lang, location=escape_mrkdwn(meeting.location))
            lines.append(line)
    return "\n".join(lines)


def _retention(facts: OnboardingFacts, purpose: ConsentPurpose, language: str) -> str:
    """How long the round's data is kept, said where the data's use is agreed to (GDPR art.
    13(2)(a)): after the coordination body, with the programme's own number of months."""
    if purpose is not ConsentPurpose.COORDINATION:
        return ""
    return " " + t("onboarding.consent.retention", language, count=facts.retention_months)


def _consent_blocks(facts: OnboardingFacts, *, via: str, language: str) -> list[Block]:
    lang = language
    blocks: list[Block] = [section(t("onboarding.consent.intro", lang))]
    for purpose in ConsentPurpose:
        choice = facts.choices.get(purpose)
        answer = t(
            "onboarding.consent.answer_yes" if choice is True
            else "onboarding.consent.answer_no" if choice is False
            else "onboarding.consent.answer_none",
            lang,
        )
        blocks.append(
            section(
                f"*{t(f'onboarding.consent.{purpose.value}.title', lang)}*\n"
                f"{t(f'onboarding.consent.{purpose.value}.body', lang)}{_retention(facts, purpose, lang)}\n{answer}",
                block_id=f"consent.{purpose.value}.text",
            )
        )
        blocks.append(
            actions(
                *(
                    button(
                        t("onboarding.consent.yes" if granted else "onboarding.consent.no", lang),
                        action_id=consent_action_id(purpose, granted),
                        value=consent_value(
                            ConsentChoice(participant_id=facts.participant_id, purpose=purpose, granted=granted, via=via)
                        ),
                        style="primary" if choice is granted else None,
                    )
                    for granted in (True, False)
                ),
                block_id=f"consent.{purpose.value}",
            )
        )
    blocks.extend(_status_blocks(facts, lang))
    return blocks


def _status_text(facts: OnboardingFacts, lang: str) -> str:
    if facts.declined:
        return t("onboarding.status.declined", lang)
    if facts.coordination_granted and facts.all_answered:
        if not facts.needs_profile:
            return t("onboarding.status.done_coordinator", lang)
        if facts.profile_completed:
            return t("onboarding.status.done", lang)
        return t("onboarding.status.profile_next", lang)
    if facts.coordination_granted:
        return t("onboarding.status.answer_the_rest", lang)
    return t("onboarding.status.waiting", lang)


def _status_blocks(facts: OnboardingFacts, lang: str) -> list[Block]:
    """Where the person stands after their answers, with the next step's button when there is one."""
    blocks: list[Block] = [section(_status_text(facts, lang), block_id="consent.status")]
    if facts.coordination_granted and facts.needs_profile:
        blocks.append(profile_button_block(facts, language=lang))
    return blocks


def profile_button_block(facts: OnboardingFacts, *, language: str) -> Block:
    label = "onboarding.profile.button_edit" if facts.profile_completed else "onboarding.profile.button"
    return actions(
        button(t(label, language), action_id=PROFILE_ACTION_ID, value=str(facts.participant_id), style="primary"),
        block_id="onboarding.profile",
    )


# --- reminders ---------------------------------------------------------------------------------


def consent_reminder_message(facts: OnboardingFacts, *, number: int, language: str) -> Message:
    """A friendly nudge for the consent still missing, with the buttons repeated here."""
    lang = language
    lead = t(
        "onboarding.reminder.consent_last" if number >= 2 else "onboarding.reminder.consent", lang,
        name=escape_mrkdwn(facts.name), round=escape_mrkdwn(facts.round),
    )
    blocks = [section(lead), *_consent_blocks(facts, via=VIA_REMINDER, language=lang)]
    check_message_limits(blocks)
    return Message(text=t("onboarding.reminder.consent_fallback", lang), blocks=blocks)


def profile_reminder_message(facts: OnboardingFacts, *, number: int, language: str) -> Message:
    """A friendly nudge for the profile: the last step before matching."""
    lang = language
    lead = t(
        "onboarding.reminder.profile_last" if number >= 2 else "onboarding.reminder.profile", lang,
        name=escape_mrkdwn(facts.name), round=escape_mrkdwn(facts.round),
    )
    blocks = [section(lead), profile_button_block(facts, language=lang), context(t("onboarding.questions_hint", lang))]
    check_message_limits(blocks)
    return Message(text=t("onboarding.reminder.profile_fallback", lang), blocks=blocks)


# --- for coordinators --------------------------------------------------------------------------


def missing_from_slack_message(
    *, language: str, programme: str, round_name: str, people: Sequence[MissingPerson]
) -> Message:
    """Who from the round is not in the workspace, so a coordinator can invite them."""
    lines = [
        t(
            "onboarding.missing.line_new" if person.newly_missing else "onboarding.missing.line", language,
            name=escape_mrkdwn(person.name), email=escape_mrkdwn(person.email),
            role=t(f"onboarding.role.{person.role.value}", language),
        )
        for person in people
    ]
    round_ = escape_mrkdwn(round_name)  # the blocks and the notification text alike
    intro = t(
        "onboarding.missing.intro", language,
        count=len(people), round=round_, programme=escape_mrkdwn(programme),
    )
    sections = _chunk_lines(lines, limit=SECTION_TEXT_LIMIT - 100)
    blocks: list[Block] = [section(intro)]
    blocks.extend(section(chunk) for chunk in sections[:_MAX_MISSING_SECTIONS])
    if len(sections) > _MAX_MISSING_SECTIONS:
        hidden = sum(chunk.count("\n") + 1 for chunk in sections[_MAX_MISSING_SECTIONS:])
        blocks.append(context(t("onboarding.missing.more", language, count=hidden)))
    blocks.append(context(t("onboarding.missing.advice", language)))
    check_message_limits(blocks)
    return Message(
        text=t("onboarding.missing.fallback", language, count=len(people), round=round_), blocks=blocks
    )


def _chunk_lines(lines: Sequence[str], *, limit: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


def coordination_declined_message(*, language: str, name: str, email: str, role: Role, round_name: str) -> Message:
    """Tell coordinators someone said no, so nobody chases a person who asked for quiet."""
    text = t(
        "onboarding.declined.coordinators", language,
        name=escape_mrkdwn(name), email=escape_mrkdwn(email),
        role=t(f"onboarding.role.{role.value}", language), round=escape_mrkdwn(round_name),
    )
    return Message(text=t("onboarding.declined.fallback", language, name=escape_mrkdwn(name)), blocks=[section(text)])


def coordination_regranted_message(*, language: str, name: str, email: str, role: Role, round_name: str) -> Message:
    """Tell coordinators someone who had said no is back in."""
    text = t(
        "onboarding.regranted.coordinators", language,
        name=escape_mrkdwn(name), email=escape_mrkdwn(email),
        role=t(f"onboarding.role.{role.value}", language), round=escape_mrkdwn(round_name),
    )
    return Message(text=t("onboarding.regranted.fallback", language, name=escape_mrkdwn(name)), blocks=[section(text)])


# --- the notices onboarding queues, drawn when they are sent ------------------------------------


@SLACK.renders(WelcomeFacts)
def _welcome(facts: WelcomeFacts, language: str) -> Message:
    return welcome_message(facts.participant, language=language)


@SLACK.renders(ConsentReminderFacts)
def _consent_reminder(facts: ConsentReminderFacts, language: str) -> Message:
    return consent_reminder_message(facts.participant, number=facts.number, language=language)


@SLACK.renders(ProfileReminderFacts)
def _profile_reminder(facts: ProfileReminderFacts, language: str) -> Message:
    return profile_reminder_message(facts.participant, number=facts.number, language=language)


@SLACK.renders(MissingFromSlackFacts)
def _missing_from_slack(facts: MissingFromSlackFacts, language: str) -> Message:
    return missing_from_slack_message(
        language=language, programme=facts.programme, round_name=facts.round_name, people=facts.people
    )


@SLACK.renders(CoordinationDeclinedFacts)
def _coordination_declined(facts: CoordinationDeclinedFacts, language: str) -> Message:
    return coordination_declined_message(
        language=language, name=facts.name, email=facts.email, role=facts.role, round_name=facts.round_name
    )


@SLACK.renders(CoordinationRegrantedFacts)
def _coordination_regranted(facts: CoordinationRegrantedFacts, language: str) -> Message:
    return coordination_regranted_message(
        language=language, name=facts.name, email=facts.email, role=facts.role, round_name=facts.round_name
    )


# --- answers to a click that changes nothing ---------------------------------------------------


def consent_refused_message(*, language: str, reason: str) -> Message:
    """Ephemeral: why a consent click did nothing (someone else's button, or a stale message)."""
    text = t(f"onboarding.click.{reason}", language)
    return Message(text=text, blocks=[section(text)])


__all__ = [
    "CONSENT_ACTION_PREFIX",
    "PROFILE_ACTION_ID",
    "VIA_REMINDER",
    "VIA_WELCOME",
    "ConsentChoice",
    "consent_action_id",
    "consent_panel_message",
    "consent_refused_message",
    "consent_reminder_message",
    "consent_value",
    "coordination_declined_message",
    "coordination_regranted_message",
    "missing_from_slack_message",
    "parse_consent_value",
    "profile_button_block",
    "profile_reminder_message",
    "render_after_click",
    "welcome_message",
]
