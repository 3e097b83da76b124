"""The coordinators' weekly digest as Block Kit: actions first, each with a "Handled" button,
then the round's picture and the scoreboard's short form.

Pure functions from `bot.digest.notices` facts. Every name is user text and escaped; a pair
channel is linked with `<#C…>` from the bot's own channel id, never from typed text. A
part holds at most `ACTIONS_PER_PART` actions (the domain splits a big round), and each
line and name list is cut so a section stays within Slack's 3,000 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from bot.digest.notices import ActionKind, DigestAction, DigestChannelMissing, DigestFacts, DigestPicture
from bot.i18n import format_day, format_moment, t
from bot.slack.render.blocks import (
    SECTION_TEXT_LIMIT,
    Block,
    Message,
    button,
    check_message_limits,
    context,
    divider,
    header,
    section,
)
from bot.slack.render.scoreboard import percent, response_line, scoreboard_summary_blocks, survey_name
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn, truncate
from storage.models import Role

HANDLED_ACTION = "digest.handled"  # each button adds ".<n>": action ids are unique within a message
HANDLED_ACTION_PATTERN = r"^digest\.handled\.\d+$"
DIGEST_BLOCK_PREFIX = "digest|"
NAME_LIMIT = 80  # one name in a line
NAMES_SHOWN = 12  # names listed before "and N more"
_STEP_KEYS = "home.step."


def handled_value(round_id: int, key: str, fingerprint: str) -> str:
    """What a "Handled" button carries: the round, the action's key and the state it was in."""
    return f"{round_id}|{key}|{fingerprint}"


def parse_handled_value(value: str | None) -> tuple[int, str, str] | None:
    parts = (value or "").split("|")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1] or not parts[2]:
        return None
    return int(parts[0]), parts[1], parts[2]


def _name(text: str | None) -> str:
    return escape_mrkdwn(truncate(text or "", NAME_LIMIT))


def _names(names: Sequence[str], language: str) -> str:
    shown = ", ".join(_name(name) for name in names[:NAMES_SHOWN])
    rest = len(names) - NAMES_SHOWN
    return t("digest.names.more", language, names=shown, count=rest) if rest > 0 else shown


def _channel(channel_id: str | None) -> str:
    return f"<#{channel_id}>" if channel_id else "-"


def _pair(action: DigestAction, language: str) -> str:
    return t("digest.pair", language, mentor=_name(action.mentor_name), mentee=_name(action.mentee_name))


def _role(role: Role | None, language: str) -> str:
    return t(f"digest.role.{(role or Role.MENTEE).value}", language)


def action_line(action: DigestAction, language: str, timezone: str) -> str:
    """One action in one line (or two), in the reader's language."""
    lang = language

    def day(value: date | None) -> str:
        return format_day(value, lang) if value is not None else t("digest.last.none", lang)

    if action.kind is ActionKind.HELP:
        line = t("digest.action.help", lang, pair=_pair(action, lang), name=_name(action.asked_by),
                 since=day(action.since), channel=_channel(action.channel_id))
    elif action.kind in (ActionKind.QUIET, ActionKind.LATE):
        line = t(f"digest.action.{action.kind.value}", lang, pair=_pair(action, lang), count=action.missed_windows,
                 days=action.every_days, since=day(action.since), last=day(action.last_session),
                 channel=_channel(action.channel_id))
        if action.ignored_by:
            line += "\n" + t("digest.action.quiet.ignored", lang, names=_names(action.ignored_by, lang))
    elif action.kind is ActionKind.PAUSE_ENDING:
        line = t("digest.action.pause_ending", lang, pair=_pair(action, lang), until=day(action.until),
                 channel=_channel(action.channel_id))
    elif action.kind is ActionKind.STUCK:
        step = t(f"{_STEP_KEYS}{action.step.value}", lang) if action.step is not None else ""
        if action.since is not None:
            line = t("digest.action.stuck", lang, name=_name(action.person_name), role=_role(action.role, lang),
                     step=step, since=day(action.since))
        else:
            line = t("digest.action.stuck.undated", lang, name=_name(action.person_name),
                     role=_role(action.role, lang), step=step)
    elif action.kind is ActionKind.SURVEY_UNANSWERED:
        survey = survey_name(action.survey_kind, action.survey_number, lang) if action.survey_kind else ""
        line = t("digest.action.survey", lang, survey=survey, count=action.count, names=_names(action.names, lang))
    else:
        when = format_moment(action.starts_at, lang, timezone) if action.starts_at is not None else ""
        line = t("digest.action.rsvp", lang, title=_name(action.meeting_title), when=when, count=action.count,
                 names=_names(action.names, lang))
    return truncate(line, SECTION_TEXT_LIMIT - 100)


def action_block(action: DigestAction, *, round_id: int, language: str, timezone: str, number: int = 1) -> Block:
    """The action with its "Handled" button, or with who handled it once clicked."""
    line = action_line(action, language, timezone)
    block_id = f"{DIGEST_BLOCK_PREFIX}{action.key}"
    if action.handled_by_user_id is not None:
        return section(f"~{line}~\n{t('digest.handled.by', language, user=action.handled_by_user_id)}", block_id=block_id)
    return section(line, block_id=block_id,
                   accessory=button(t("digest.handled", language), action_id=f"{HANDLED_ACTION}.{number}",
                                    value=handled_value(round_id, action.key, action.fingerprint)))


def picture_blocks(picture: DigestPicture, *, language: str, timezone: str) -> list[Block]:
    lang = language
    share = Fraction(picture.on_cadence, picture.measured_pairs) if picture.measured_pairs else None
    pairs = t("digest.picture.pairs", lang, count=picture.active_pairs)
    if picture.paused_pairs:
        pairs += f" ({t('digest.picture.paused', lang, count=picture.paused_pairs)})"
    lines = [
        f"*{t('digest.picture.title', lang)}*",
        pairs,
        t("digest.picture.sessions", lang, count=picture.sessions_this_week, total=picture.sessions_total),
        t("digest.picture.cadence", lang, on=picture.on_cadence, count=picture.measured_pairs,
          share=percent(share, lang)),
    ]
    if picture.next_meeting_title is not None and picture.next_meeting_starts_at is not None:
        lines.append(t("digest.picture.meeting", lang, title=_name(picture.next_meeting_title),
                       when=format_moment(picture.next_meeting_starts_at, lang, timezone), yes=picture.rsvp_yes,
                       no=picture.rsvp_no, open=picture.rsvp_open))
    else:
        lines.append(t("digest.picture.no_meeting", lang))
    blocks: list[Block] = [divider(), section("\n".join(lines))]
    board = picture.scoreboard
    if board is not None:
        asked = [rate for rate in board.responses if rate.invited]
        if asked:
            responses = [f"*{t('digest.picture.responses', lang)}*",
                         *(response_line(rate, lang, board.timezone) for rate in asked)]
            blocks.append(section(truncate("\n".join(responses), SECTION_TEXT_LIMIT)))
        blocks.extend(scoreboard_summary_blocks(board, language=lang))
    return blocks


@SLACK.renders(DigestFacts)
def digest_message(facts: DigestFacts, language: str) -> Message:
    """One part of a round's weekly digest, as it is posted."""
    return digest_part_message(facts, language)


def digest_part_message(facts: DigestFacts, language: str) -> Message:
    """One part of a round's weekly digest (also shown by `/mentoring-admin digest`)."""
    lang = language
    round_name = truncate(facts.round_name, 80)
    title = (t("digest.title.part", lang, round=round_name, part=facts.part, parts=facts.parts) if facts.parts > 1
             else t("digest.title", lang, round=round_name))
    blocks: list[Block] = [header(title)]
    if facts.part == 1:
        blocks.append(context(t("digest.intro", lang, week=facts.week,
                                programme=escape_mrkdwn(truncate(facts.programme_name, 100)))))
        if not facts.actions:
            blocks.append(section(t("digest.nothing", lang)))
    blocks.extend(action_block(action, round_id=facts.round_id, language=lang, timezone=facts.timezone, number=number)
                  for number, action in enumerate(facts.actions, start=1))
    if facts.part == facts.parts and facts.handled_hidden:
        blocks.append(context(t("digest.hidden", lang, count=facts.handled_hidden)))
    if facts.picture is not None:
        blocks.extend(picture_blocks(facts.picture, language=lang, timezone=facts.timezone))
    elif facts.part < facts.parts:
        blocks.append(context(t("digest.more_parts", lang)))
    check_message_limits(blocks)
    text = t("digest.text", lang, round=escape_mrkdwn(round_name), count=len(facts.actions))
    return Message(text=text, blocks=blocks)


@SLACK.renders(DigestChannelMissing)
def digest_channel_missing_message(facts: DigestChannelMissing, language: str) -> Message:
    """To each coordinator: the bot cannot post in the coordinator channel; how to invite it."""
    key = "digest.missing_channel.gone" if facts.channel_gone else "digest.missing_channel"
    round_name = escape_mrkdwn(truncate(facts.round_name, 80))
    text = t(key, language, round=round_name, channel=_channel(facts.channel_id))
    return Message(text=t("digest.missing_channel.text", language, round=round_name), blocks=[section(text)])


def handled_refusal_message(*, language: str, reason: str) -> Message:
    """Said only to the clicker: not theirs to mark, or the item changed meanwhile."""
    text = t(f"digest.refused.{reason}", language)
    return Message(text=text, blocks=[section(text)])


def mark_block_handled(blocks: Sequence[Block], *, key: str, user_id: str, language: str) -> list[Block]:
    """The posted digest's blocks with one action marked handled (its button gone), for
    `chat.update` after a click; the rest of the message stays as it was posted."""
    block_id = f"{DIGEST_BLOCK_PREFIX}{key}"
    redrawn: list[Block] = []
    for block in blocks:
        if block.get("block_id") == block_id and block.get("type") == "section":
            text = str(block.get("text", {}).get("text", ""))
            block = section(f"~{text}~\n{t('digest.handled.by', language, user=user_id)}", block_id=block_id)
        redrawn.append(block)
    return redrawn


__all__ = [
    "DIGEST_BLOCK_PREFIX",
    "HANDLED_ACTION",
    "HANDLED_ACTION_PATTERN",
    "action_line",
    "digest_channel_missing_message",
    "digest_message",
    "digest_part_message",
    "handled_refusal_message",
    "handled_value",
    "mark_block_handled",
    "parse_handled_value",
]
