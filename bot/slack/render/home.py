"""The App Home tab and the coordinators' status answer, built from `bot.home.service` data.

Everything a user or a workbook typed (names, emails, round and meeting titles, places)
is escaped. Long stuck lists are packed into sections under Slack's 3000 characters and
cut with "and N more", so a round of 200 people who all stall still renders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.home.service import (
    STEP_ORDER,
    CoordinatorOverview,
    HomeData,
    MeetingInfo,
    ParticipationHome,
    PartnerInfo,
    RoundStatus,
    StuckPerson,
)
from bot.i18n import format_clock, format_day, t
from bot.onboarding.state import OnboardingStep
from bot.slack.render.blocks import (
    SECTION_TEXT_LIMIT,
    Block,
    Message,
    button,
    check_message_limits,
    check_surface_limits,
    context,
    divider,
    header,
    mrkdwn,
    section,
)
from bot.slack.render.help import not_in_programme_message
from bot.slack.render.profile import OPEN_ACTION_ID
from bot.slack.render.scoreboard import scoreboard_summary_blocks
from bot.slack.render.sessions import LOG_OPEN_ACTION_ID, log_open_button
from bot.text import escape_mrkdwn, truncate
from storage.models import MeetingKind, Role

NAME_LIMIT = 80
EMAIL_LIMIT = 100
TITLE_LIMIT = 120
LOCATION_LIMIT = 150
HOME_STUCK_LINES = 25  # per round on the Home tab
STATUS_STUCK_LINES = 40  # per round in `/mentoring-admin status`
MAX_STUCK_SECTIONS = 3
# Room left in a section for the "and N more" line.
_PACK_LIMIT = SECTION_TEXT_LIMIT - 100

_CHECKLIST: tuple[tuple[str, OnboardingStep], ...] = (
    ("home.check.welcome", OnboardingStep.AWAITING_WELCOME),
    ("home.check.consent", OnboardingStep.AWAITING_CONSENT),
    ("home.check.profile", OnboardingStep.AWAITING_PROFILE),
)
_PROGRESS = {
    OnboardingStep.NOT_IN_SLACK: 0,
    OnboardingStep.AWAITING_WELCOME: 0,
    OnboardingStep.AWAITING_CONSENT: 1,
    OnboardingStep.AWAITING_PROFILE: 2,
    OnboardingStep.READY: 3,
}


def home_view(data: HomeData) -> dict[str, Any]:
    """The whole Home tab for one person: their rounds, and for coordinators the overview."""
    lang = data.language
    blocks: list[Block] = [header(t("home.title", lang))]
    if data.company_contact is not None:
        # Not a participant, but not a stranger either: say what the bot will (and will not) ask.
        contact = data.company_contact
        key = "home.company_contact" if contact.company else "home.company_contact_no_company"
        blocks.append(section(t(key, lang, programme=escape_mrkdwn(contact.programme_name),
                                company=escape_mrkdwn(contact.company or ""))))
    elif not data.enrolled:
        # The same answer as /mentoring gives someone in no round: why, and whom to ask.
        blocks.extend(not_in_programme_message(language=lang, contacts=data.contacts).blocks)
    for participation in data.participations:
        blocks.extend(participation_blocks(participation, language=lang, timezone=data.timezone))
        blocks.append(divider())
    if data.overview is not None:
        blocks.append(header(t("home.coord.heading", lang)))
        blocks.extend(overview_blocks(data.overview, language=lang, timezone=data.timezone,
                                      stuck_lines=HOME_STUCK_LINES))
    blocks.append(context(t("home.help_hint", lang)))
    check_surface_limits(blocks)
    return {"type": "home", "blocks": blocks}


def status_message(*, overview: CoordinatorOverview, language: str, timezone: str) -> Message:
    """`/mentoring-admin status`: the Home tab's overview as an ephemeral message."""
    heading = t("status.heading", language)
    blocks: list[Block] = [header(heading)]
    blocks.extend(overview_blocks(overview, language=language, timezone=timezone, stuck_lines=STATUS_STUCK_LINES))
    blocks.append(context(t("status.home_hint", language)))
    check_message_limits(blocks)
    summary = "; ".join(
        t("status.summary", language, round=escape_mrkdwn(status.round_name), ready=status.ready, total=status.total,
          stuck=len(status.stuck))
        for status in overview.rounds
    )
    return Message(text=f"{heading}: {summary}" if summary else heading, blocks=blocks)


# --- participants ---------------------------------------------------------------------------

def participation_blocks(participation: ParticipationHome, *, language: str, timezone: str) -> list[Block]:
    """One round as a mentor or mentee sees it: where they are, what next, meetings, pair."""
    lang = language
    role = t(f"home.role.{participation.role.value}", lang)
    title = escape_mrkdwn(truncate(f"{participation.round_name} · {participation.programme_name}", TITLE_LIMIT))
    blocks: list[Block] = [section(f"*{title}*\n{role}")]
    step = participation.step
    if step is OnboardingStep.DECLINED:
        blocks.append(section(t("home.you.declined", lang)))
        return blocks
    blocks.append(context(_checklist(participation, language=lang)))
    blocks.append(_next_step_block(participation, language=lang))
    if participation.partners:
        blocks.append(section(_partners_text(participation, language=lang),
                              accessory=_log_session_button(participation, language=lang)))
    blocks.extend(_meeting_blocks(participation.meetings, language=lang, timezone=timezone))
    return blocks


def _checklist(participation: ParticipationHome, *, language: str) -> str:
    done = _PROGRESS.get(participation.step, 0)
    items = [
        f"{':white_check_mark:' if index < done else ':white_square:'} {t(key, language)}"
        for index, (key, _) in enumerate(_CHECKLIST)
    ]
    matched = bool(participation.partners)
    items.append(f"{':white_check_mark:' if matched else ':white_square:'} {t('home.check.matched', language)}")
    step_name = t(f"home.step.{participation.step.value}", language)
    return t("home.you.step", language, step=step_name) + "   " + "  ".join(items)


def _next_step_block(participation: ParticipationHome, *, language: str) -> Block:
    step = participation.step
    value = str(participation.participant_id)
    if step is OnboardingStep.AWAITING_PROFILE:
        accessory = button(t("home.button.fill_profile", language), action_id=OPEN_ACTION_ID, value=value,
                           style="primary") if participation.may_edit_profile else None
        return section(t("home.you.awaiting_profile", language), accessory=accessory)
    if step is OnboardingStep.READY:
        if participation.partners:
            text = t("home.you.ready_matched", language)
        else:
            text = t(f"home.you.ready_{participation.role.value}", language)
        accessory = button(t("home.button.edit_profile", language), action_id=OPEN_ACTION_ID,
                           value=value) if participation.may_edit_profile else None
        return section(text, accessory=accessory)
    return section(t(f"home.you.{step.value}", language))


def _log_session_button(participation: ParticipationHome, *, language: str) -> Block | None:
    """"Log a session" for someone in an active pair; the value names the pair when there
    is one, else the modal asks. The suffix keeps action ids unique across rounds."""
    active = [partner for partner in participation.partners if not partner.paused and partner.pair_id is not None]
    if not active:
        return None
    return log_open_button(language=language, pair_id=active[0].pair_id if len(active) == 1 else None,
                           action_id=f"{LOG_OPEN_ACTION_ID}.{participation.participant_id}")


def _partners_text(participation: ParticipationHome, *, language: str) -> str:
    if participation.role is Role.MENTOR:
        heading_key = "home.pair.your_mentees" if len(participation.partners) > 1 else "home.pair.your_mentee"
    else:
        heading_key = "home.pair.your_mentor"
    lines = [f"*{t(heading_key, language)}*"]
    for partner in participation.partners:
        lines.append(_partner_line(partner, language=language))
    return "\n".join(lines)


def _partner_line(partner: PartnerInfo, *, language: str) -> str:
    line = f"• *{escape_mrkdwn(truncate(partner.name, NAME_LIMIT))}*"
    if partner.slack_user_id:
        line += f" (<@{partner.slack_user_id}>)"
    if partner.paused:
        line += f" · {t('home.pair.paused', language)}"
    if partner.channel_id:
        line += " · " + t("home.pair.channel", language, channel=f"<#{partner.channel_id}>")
    else:
        line += " · " + t("home.pair.no_channel", language)
    return line


def _meeting_blocks(meetings: list[MeetingInfo], *, language: str, timezone: str) -> list[Block]:
    heading = f"*{t('home.meetings.heading', language)}*"
    if not meetings:
        return [section(f"{heading}\n{t('home.meetings.none', language)}")]
    upcoming = [meeting for meeting in meetings if not meeting.is_past]
    held = [meeting for meeting in meetings if meeting.is_past]
    lines = [heading]
    for meeting in upcoming[:10]:
        line = f"• *{meeting_name(meeting, language=language)}*: {meeting_when(meeting, language=language, timezone=timezone)}"
        if meeting.location:
            line += f" · {escape_mrkdwn(truncate(meeting.location, LOCATION_LIMIT))}"
        lines.append(line)
    if not upcoming:
        lines.append(t("home.meetings.all_held", language))
    notes = [t("home.meetings.timezone", language, timezone=escape_mrkdwn(timezone))]
    if held and upcoming:
        names = ", ".join(meeting_name(meeting, language=language) for meeting in held[:10])
        notes.insert(0, t("home.meetings.held", language, meetings=names))
    return [section("\n".join(lines)), context(" ".join(notes))]


def meeting_name(meeting: MeetingInfo, *, language: str) -> str:
    """The meeting's kind in the reader's language, and its own title when that says more."""
    title = escape_mrkdwn(truncate(meeting.title, TITLE_LIMIT))
    if meeting.kind is MeetingKind.OTHER:
        return title
    kind = t(f"home.meeting_kind.{meeting.kind.value}", language)
    known = {t(f"home.meeting_kind.{meeting.kind.value}", code).casefold() for code in ("en", "da")}
    if meeting.title.strip().casefold() in known:
        return kind
    return f"{kind} ({title})"


def meeting_when(meeting: MeetingInfo, *, language: str, timezone: str) -> str:
    return _when(meeting.starts_at, language=language, timezone=timezone)


def _when(moment: datetime, *, language: str, timezone: str) -> str:
    local_day = moment.astimezone(ZoneInfo(timezone)).date()
    return t("home.when", language, day=format_day(local_day, language),
             time=format_clock(moment, language, timezone))


# --- coordinators ---------------------------------------------------------------------------

def overview_blocks(
    overview: CoordinatorOverview, *, language: str, timezone: str, stuck_lines: int
) -> list[Block]:
    """Per round: totals, counts per onboarding step, the next shared meeting, who is stuck."""
    if not overview.rounds:
        return [section(t("home.coord.no_rounds", language))]
    blocks: list[Block] = []
    for status in overview.rounds:
        blocks.extend(round_status_blocks(status, language=language, timezone=timezone, stuck_lines=stuck_lines))
        blocks.append(divider())
    if overview.more_rounds:
        blocks.append(context(t("home.coord.more_rounds", language, count=overview.more_rounds)))
    return blocks


def round_status_blocks(status: RoundStatus, *, language: str, timezone: str, stuck_lines: int) -> list[Block]:
    lang = language
    title = escape_mrkdwn(truncate(f"{status.round_name} · {status.programme_name}", TITLE_LIMIT))
    totals = t("home.coord.round_total", lang, total=status.total, ready=status.ready)
    blocks: list[Block] = [
        section(f"*{title}*\n{totals}"),
        {"type": "section", "fields": [_count_field(status, step, language=lang) for step in STEP_ORDER]},
    ]
    if status.next_meeting is not None:
        blocks.append(context(t(
            "home.coord.next_meeting", lang, meeting=meeting_name(status.next_meeting, language=lang),
            when=meeting_when(status.next_meeting, language=lang, timezone=timezone),
        )))
    blocks.extend(_stuck_blocks(status.stuck, language=lang, max_lines=stuck_lines))
    if status.scoreboard is not None:
        blocks.extend(scoreboard_summary_blocks(status.scoreboard, language=lang))
    return blocks


def _count_field(status: RoundStatus, step: OnboardingStep, *, language: str) -> dict[str, str]:
    count = status.counts.get(step, 0)
    text = f"*{t(f'home.step.{step.value}', language)}*\n{count}"
    by_role = status.counts_by_role.get(step, {})
    if count:
        text += "  " + t("home.coord.by_role", language, mentees=by_role.get(Role.MENTEE, 0),
                         mentors=by_role.get(Role.MENTOR, 0))
    return mrkdwn(text, limit=2000)  # a section field takes at most 2000 characters


def _stuck_blocks(stuck: list[StuckPerson], *, language: str, max_lines: int) -> list[Block]:
    if not stuck:
        return [section(t("home.coord.nobody_stuck", language))]
    heading = f"*{t('home.coord.stuck_heading', language, count=len(stuck))}*"
    lines = [stuck_line(person, language=language) for person in stuck[:max_lines]]
    chunks, shown = pack_lines([heading, *lines], max_sections=MAX_STUCK_SECTIONS)
    left = len(stuck) - (shown - 1)  # the heading is not a person
    if left > 0:
        chunks[-1] += "\n" + t("home.coord.more", language, count=left)
    return [section(chunk) for chunk in chunks]


def stuck_line(person: StuckPerson, *, language: str) -> str:
    """One stuck person and what is missing, e.g. "• *Ana* (mentee): has not filled in…"."""
    name = escape_mrkdwn(truncate(person.name, NAME_LIMIT))
    role = t(f"home.role_name.{person.role.value}", language)
    step = person.step
    if step is OnboardingStep.NOT_IN_SLACK:
        missing = t("home.stuck.not_in_slack", language, email=escape_mrkdwn(truncate(person.email, EMAIL_LIMIT)))
    else:
        missing = t(f"home.stuck.{step.value}", language)
    details: list[str] = []
    if person.since is not None and step in _SINCE_KEYS:
        details.append(t(_SINCE_KEYS[step], language, day=format_day(person.since.date(), language)))
    if person.reminders_sent and step in (OnboardingStep.AWAITING_CONSENT, OnboardingStep.AWAITING_PROFILE):
        details.append(t("home.stuck.reminders", language, count=person.reminders_sent))
    suffix = f" ({', '.join(details)})" if details else ""
    return f"• *{name}* ({role}): {missing}{suffix}"


_SINCE_KEYS = {
    OnboardingStep.AWAITING_CONSENT: "home.stuck.welcome_sent",
    OnboardingStep.AWAITING_PROFILE: "home.stuck.consented",
    OnboardingStep.DECLINED: "home.stuck.declined_on",
}


def pack_lines(lines: list[str], *, max_sections: int, limit: int = _PACK_LIMIT) -> tuple[list[str], int]:
    """Lines joined into at most `max_sections` texts of at most `limit` characters each.

    Returns the texts and how many lines made it in, so the caller can say "and N more"."""
    chunks: list[str] = []
    current = ""
    used = 0
    for line in lines:
        line = truncate(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            used += 1
            continue
        chunks.append(current)
        if len(chunks) == max_sections:
            return chunks, used
        current = line
        used += 1
    if current:
        chunks.append(current)
    return chunks, used
