"""Messages around a pair channel's life: a closing note when a pair ends early, a goodbye
when the round is over, and what the coordinators are told when something needs a human.

Pure builders; people are mentioned with <@U…> (or their escaped name), and anything a
person typed, a coordinator's note included, is escaped.
"""

from __future__ import annotations

from bot.i18n import normalise_language, t
from bot.pairs.notices import (
    FOUND_JOB,
    GONE_ERRORS,
    NOTE_LIMIT,
    PairChannelTrouble,
    PairGoodbye,
    PairMemberNotInvited,
    PersonBio,
)
from bot.slack.render.blocks import Message, check_message_limits, context, section
from bot.slack.render.pair_intro import mention
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn, truncate
from storage.models import Role


def closing_message(*, mentor: PersonBio, mentee: PersonBio, reason: str, language: str) -> Message:
    """Kind, and deliberately silent about the reason: "not a fit" or a leave is the
    coordinator's business, not something to read out in the pair's own channel. Only
    good news (a job) is celebrated."""
    lang = normalise_language(language)
    text = t("pairs.closing.text", lang, mentor=mention(mentor), mentee=mention(mentee))
    if reason == FOUND_JOB:
        text += " " + t("pairs.closing.found_job", lang, mentee=mention(mentee))
    blocks = [section(text), context(t("pairs.closing.channel_stays", lang))]
    check_message_limits(blocks)
    return Message(text=text, blocks=blocks)


def goodbye_message(*, round_name: str, mentor: PersonBio, mentee: PersonBio, language: str) -> Message:
    lang = normalise_language(language)
    text = t("pairs.goodbye.text", lang, round=escape_mrkdwn(round_name), mentor=mention(mentor), mentee=mention(mentee))
    blocks = [section(text), context(t("pairs.goodbye.archive", lang))]
    check_message_limits(blocks)
    return Message(text=text, blocks=blocks)


def not_invited_message(
    *,
    language: str,
    channel_id: str,
    round_name: str,
    mentor_name: str,
    mentee_name: str,
    person_name: str,
    person_role: Role,
    error: str,
) -> Message:
    """To the coordinators: the channel is open, but one person could not be invited."""
    lang = normalise_language(language)
    if error in GONE_ERRORS:
        reason = t("pairs.report.reason.not_in_slack", lang)
    else:
        reason = t("pairs.report.reason.other", lang, error=escape_mrkdwn(error))
    text = t(
        "pairs.report.not_invited", lang, channel=channel_id, mentor=escape_mrkdwn(mentor_name),
        mentee=escape_mrkdwn(mentee_name), round=escape_mrkdwn(round_name), name=escape_mrkdwn(person_name),
        role=t(f"pairs.role.{person_role.value}", lang), reason=reason,
    )
    blocks = [section(text)]
    check_message_limits(blocks)
    return Message(text=text, blocks=blocks)


def channel_trouble_message(*, language: str, round_name: str, error: str) -> Message:
    """To the coordinators: Slack refuses to create channels (a setting or a permission)."""
    lang = normalise_language(language)
    text = t("pairs.report.trouble", lang, round=escape_mrkdwn(round_name), error=escape_mrkdwn(error))
    blocks = [section(text)]
    check_message_limits(blocks)
    return Message(text=text, blocks=blocks)


@SLACK.renders(PairGoodbye)
def _goodbye(facts: PairGoodbye, language: str) -> Message:
    return goodbye_message(round_name=facts.round_name, mentor=facts.mentor, mentee=facts.mentee, language=language)


@SLACK.renders(PairMemberNotInvited)
def _not_invited(facts: PairMemberNotInvited, language: str) -> Message:
    return not_invited_message(
        language=language, channel_id=facts.channel_id, round_name=facts.round_name, mentor_name=facts.mentor_name,
        mentee_name=facts.mentee_name, person_name=facts.person_name, person_role=facts.person_role, error=facts.error,
    )


@SLACK.renders(PairChannelTrouble)
def _channel_trouble(facts: PairChannelTrouble, language: str) -> Message:
    return channel_trouble_message(language=language, round_name=facts.round_name, error=facts.error)


def pair_ended_report(
    *,
    language: str,
    coordinator_id: str,
    round_name: str,
    mentor_name: str,
    mentee_name: str,
    reason: str,
    note: str | None,
) -> Message:
    """To the coordinators: who ended which pair and why, with the note (kept here, since
    the pair row keeps only the reason code)."""
    lang = normalise_language(language)
    text = t(
        "pairs.report.ended", lang, coordinator=f"<@{coordinator_id}>", mentor=escape_mrkdwn(mentor_name),
        mentee=escape_mrkdwn(mentee_name), round=escape_mrkdwn(round_name), reason=t(f"pairs.end.reason.{reason}", lang),
    )
    body = text
    if note and note.strip():
        body += "\n>" + t("pairs.report.ended_note", lang, note=escape_mrkdwn(truncate(" ".join(note.split()), NOTE_LIMIT)))
    blocks = [section(body)]
    check_message_limits(blocks)
    return Message(text=text, blocks=blocks)


__all__ = [
    "channel_trouble_message",
    "closing_message",
    "goodbye_message",
    "not_invited_message",
    "pair_ended_report",
]
