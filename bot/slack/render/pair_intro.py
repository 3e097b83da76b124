"""The introduction posted in a new pair channel: who you are, why you, when, and what first.

A pair that starts well keeps meeting; one that starts with "so… what now?" stalls, and a
stalled pair is the thing coordinators chase most. So the first message does the
coordinator's introduction for them: both bios from the profiles, the reasons the match
was made (the same reason codes the coordinator reviewed, in the reader's words), the
round's shared meetings with dates in the reader's language, and an agenda for the first
1:1 that starts with aligning expectations ("forventningsafstemning").

Pure: plain facts in, Block Kit out. Everything a person typed is escaped, and both people
are mentioned with <@U…> so Slack shows their real names and links their profiles.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import catalog, format_day, format_moment, normalise_language, placeholders, t
from bot.matching.engine import ScoreComponent
from bot.pairs.notices import PairIntroFacts, PersonBio
from bot.slack.render.blocks import Block, Message, check_message_limits, context, divider, header, section
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn, truncate
from storage.models import Role

STATEMENT_LIMIT = 700  # goals / expertise in a bio: enough to read, short enough to scan
LIST_LIMIT = 300
VALUE_LIMIT = 200


def mention(person: PersonBio) -> str:
    """<@U…> when we know their Slack id (Slack renders the name); the escaped name otherwise."""
    return f"<@{person.slack_user_id}>" if person.slack_user_id else escape_mrkdwn(person.name)


def pair_intro_message(facts: PairIntroFacts, *, language: str) -> Message:
    lang = normalise_language(language)
    mentor, mentee = mention(facts.mentor), mention(facts.mentee)
    round_name = escape_mrkdwn(facts.round_name)
    lead = t("pairs.intro.lead", lang, mentor=mentor, mentee=mentee, round=round_name,
             programme=escape_mrkdwn(facts.programme))
    if facts.coordinators_in_channel:
        lead += " " + t("pairs.intro.lead_coordinators", lang)
    blocks: list[Block] = [
        header(t("pairs.intro.header", lang)),
        section(lead),
        divider(),
        section(_bio(facts.mentor, lang)),
        section(_bio(facts.mentee, lang)),
        section(_why(facts.match_reasons, lang)),
        section(_timeline(facts, lang)),
        section(_agenda(facts, lang)),
        context(t("pairs.intro.footer", lang)),
    ]
    check_message_limits(blocks)
    fallback = t("pairs.intro.fallback", lang, mentor=mentor, mentee=mentee, round=round_name)
    return Message(text=fallback, blocks=blocks)


@SLACK.renders(PairIntroFacts)
def _pair_intro(facts: PairIntroFacts, language: str) -> Message:
    return pair_intro_message(facts, language=language)


def render_match_reasons(reasons: Sequence[ScoreComponent], language: str) -> list[str]:
    """Each stored reason in the reader's words, with its parameters escaped.

    A code the catalogs do not know (written by a newer version, or a typo in a workbook)
    is left out rather than shown raw or allowed to break the introduction."""
    lang = normalise_language(language)
    known = catalog(lang)
    lines: list[str] = []
    for reason in reasons:
        code = reason.code
        if code not in known and code not in catalog("en"):
            continue
        safe = {str(key): escape_mrkdwn(str(value)) for key, value in reason.params.items()}
        if not placeholders(known.get(code) or catalog("en")[code]) <= safe.keys():
            continue  # a reason without the facts it names would read "Same field: {field}"
        lines.append(t(code, lang, **safe))
    return lines


def meeting_rhythm(days: int, language: str) -> str:
    """"every 2 weeks" reads better than "every 14 days"; odd numbers stay in days."""
    if days >= 7 and days % 7 == 0:
        return t("pairs.every.weeks", language, count=days // 7)
    return t("pairs.every.days", language, count=max(days, 1))


# --- parts ------------------------------------------------------------------------------------


def _bio(person: PersonBio, lang: str) -> str:
    role = t(f"pairs.role.{person.role.value}", lang)
    heading = t("pairs.intro.bio_heading", lang, role=role.capitalize(), person=mention(person))
    statement_key = "pairs.bio.expertise" if person.role is Role.MENTOR else "pairs.bio.goals"
    rows: list[tuple[str, str | None, int]] = [
        ("pairs.bio.field", person.field, VALUE_LIMIT),
        ("pairs.bio.years", str(person.years_experience) if person.years_experience is not None else None, VALUE_LIMIT),
        ("pairs.bio.company", person.company, VALUE_LIMIT),
        ("pairs.bio.languages", ", ".join(person.languages) or None, LIST_LIMIT),
        ("pairs.bio.interests", ", ".join(person.interests) or None, LIST_LIMIT),
        ("pairs.bio.home_country", person.home_country, VALUE_LIMIT),
        (statement_key, person.statement, STATEMENT_LIMIT),
    ]
    lines = [
        f"• *{t(key, lang)}:* {escape_mrkdwn(truncate(value.strip(), limit))}"
        for key, value, limit in rows
        if value and value.strip()
    ]
    if not lines:
        lines = [t("pairs.bio.empty", lang, name=escape_mrkdwn(person.name))]
    return "\n".join([heading, *lines])


def _why(reasons: Sequence[ScoreComponent], lang: str) -> str:
    lines = [f"• {line}" for line in render_match_reasons(reasons, lang)]
    if not lines:
        lines = [t("pairs.intro.why_by_hand", lang)]
    return "\n".join([t("pairs.intro.why_heading", lang), *lines])


def _timeline(facts: PairIntroFacts, lang: str) -> str:
    lines = [t("pairs.intro.timeline_heading", lang, timezone=facts.timezone)]
    if not facts.meetings:
        lines.append(t("pairs.intro.timeline_none", lang))
    for meeting in facts.meetings:
        kind = t(f"pairs.meeting.{meeting.kind.value}", lang)
        moment = format_moment(meeting.starts_at, lang, facts.timezone)
        title = meeting.title.strip()
        if title.casefold() in ("", kind.casefold()):
            line = t("pairs.intro.timeline_meeting_untitled", lang, kind=kind, moment=moment)
        else:
            line = t("pairs.intro.timeline_meeting", lang, kind=kind, title=escape_mrkdwn(truncate(title, VALUE_LIMIT)),
                     moment=moment)
        if meeting.location:
            line += t("pairs.intro.timeline_location", lang, location=escape_mrkdwn(truncate(meeting.location, VALUE_LIMIT)))
        if meeting.only_for is not None:
            line += t(f"pairs.intro.timeline_only_{meeting.only_for.value}", lang)
        lines.append(line)
    lines.append(t("pairs.intro.timeline_ends", lang, date=format_day(facts.round_ends_on, lang)))
    return "\n".join(lines)


def _agenda(facts: PairIntroFacts, lang: str) -> str:
    mentee = mention(facts.mentee)
    goals = " ".join((facts.mentee.statement or "").split())  # one line: it is an item of a list
    goals_line = (
        t("pairs.intro.agenda_goals", lang, goals=escape_mrkdwn(truncate(goals, STATEMENT_LIMIT)))
        if goals
        else t("pairs.intro.agenda_goals_missing", lang, mentee=mentee)
    )
    return "\n".join(
        [
            t("pairs.intro.agenda_heading", lang),
            t("pairs.intro.agenda_expectations", lang),
            t("pairs.intro.agenda_rhythm", lang, every=meeting_rhythm(facts.session_every_days, lang)),
            goals_line,
            t("pairs.intro.agenda_cv", lang, mentee=mentee),
            t("pairs.intro.agenda_next", lang),
        ]
    )


__all__ = [
    "meeting_rhythm",
    "mention",
    "pair_intro_message",
    "render_match_reasons",
]
