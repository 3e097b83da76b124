"""The success-criteria scoreboard, for `/mentoring-admin scoreboard` and the coordinators'
Home tab, drawn from `bot.surveys.scoreboard.Scoreboard`.

One line per criterion, role and survey: met / not met / too few answers yet / not yet,
with the answers, the share agreeing and the target; then employment after the round,
introductions, response rates, the pulse trend and comments. The statements are a
programme's data (the workbook's Criteria sheet) and comments are what people typed, so
both are escaped. Nothing here has a name in it: the board has none to give.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from babel.numbers import format_decimal, format_percent

from bot.core.timing import zone
from bot.i18n import babel_locale, format_day, t
from bot.slack.render.blocks import (
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    Block,
    Message,
    check_message_limits,
    context,
    divider,
    header,
    section,
)
from bot.surveys.scoreboard import (
    CommentsShown,
    CriterionStanding,
    OutcomeStanding,
    PulseStanding,
    ResponseRate,
    Scoreboard,
    Standing,
)
from bot.text import escape_mrkdwn, truncate
from storage.models import OutcomeStatus, Role, SurveyKind

STATEMENT_LIMIT = 200
SUMMARY_STATEMENT_LIMIT = 60
COMMENT_LIMIT = 280
COMMENTS_SHOWN = 5  # per survey and role in a message; the report (issue 11) has them all
_PACK_LIMIT = SECTION_TEXT_LIMIT - 100

_MARK = {Standing.MET: "✅", Standing.NOT_MET: "❌", Standing.TOO_FEW: "⏳", Standing.NOT_YET: "▫️"}


def percent(share: Fraction | None, language: str) -> str:
    """A share as a whole percent in the reader's locale ("67 %" in Danish); "–" for none."""
    if share is None:
        return "–"
    return format_percent(float(share), format="#,##0 %" if language == "da" else "#,##0%",
                          locale=babel_locale(language))


def _mean(value: Fraction | None, language: str) -> str:
    return "–" if value is None else format_decimal(round(float(value), 1), format="0.0", locale=babel_locale(language))


def survey_name(kind: SurveyKind, number: int, language: str) -> str:
    if kind is SurveyKind.PULSE:
        return t("scoreboard.survey.pulse", language, number=number)
    return t(f"scoreboard.survey.{kind.value}", language)


def _role(role: Role, language: str) -> str:
    return t(f"scoreboard.role.{role.value}", language)


def criterion_line(row: CriterionStanding, language: str) -> str:
    """"✅ *Mentees, final*: I am more active… — 4 of 5 agree (80%), target 80%"."""
    statement = escape_mrkdwn(truncate(row.statement(language), STATEMENT_LIMIT))
    where = _role(row.role, language) if row.survey is None else t(
        "scoreboard.where", language, role=_role(row.role, language), survey=survey_name(row.survey, 1, language))
    target = percent(row.target, language)
    if row.standing is Standing.NOT_YET:
        figures = t("scoreboard.figures.not_yet", language, target=target)
    elif row.standing is Standing.TOO_FEW or row.answers is None or row.agreeing is None:
        figures = t("scoreboard.figures.too_few", language, target=target)
    else:
        key = "scoreboard.figures.in_work" if row.survey is None else "scoreboard.figures.agree"
        figures = t(key, language, count=row.answers, agreeing=row.agreeing, share=percent(row.share, language),
                    target=target)
        if not row.current:
            figures += " " + t("scoreboard.figures.earlier", language)
    status = t(f"scoreboard.standing.{row.standing.value}", language)
    return f"{_MARK[row.standing]} *{where}* · {status}\n{statement}\n{figures}"


def outcome_lines(outcomes: OutcomeStanding, language: str) -> list[str]:
    if outcomes.counts is None or not outcomes.answers:
        return [t("scoreboard.outcomes.too_few", language)]
    lines = [t("scoreboard.outcomes.answers", language, count=outcomes.answers)]
    for status in OutcomeStatus:
        lines.append(t("scoreboard.outcomes.line", language, status=t(f"scoreboard.outcome.{status.value}", language),
                       count=outcomes.counts.get(status, 0), share=percent(outcomes.share(status), language)))
    if outcomes.network_helped is not None and outcomes.network_answers:
        lines.append(t("scoreboard.outcomes.network", language, count=outcomes.network_answers,
                       helped=outcomes.network_helped,
                       share=percent(Fraction(outcomes.network_helped, outcomes.network_answers), language)))
    return lines


def response_line(rate: ResponseRate, language: str, timezone: str) -> str:
    """One survey's response rate; its closing day in the programme's zone."""
    key = "scoreboard.responses.open" if rate.open else "scoreboard.responses.closed"
    return t(key, language, survey=survey_name(rate.kind, rate.number, language), count=rate.invited,
             answered=rate.answered, share=percent(rate.rate, language),
             closes=format_day(rate.closes_at.astimezone(zone(timezone)).date(), language))


def pulse_lines(pulses: Sequence[PulseStanding], language: str) -> list[str]:
    """The pulse trend: each question's mean, pulse by pulse ("3.8 → 4.1 → too few")."""
    lines: list[str] = []
    for role in (Role.MENTEE, Role.MENTOR):
        for question in dict.fromkeys(row.question for row in pulses if row.role is role):
            series = [row for row in pulses if row.role is role and row.question == question]
            trend = " → ".join(_mean(row.mean, language) if row.answers is not None else "…" for row in series)
            lines.append(t("scoreboard.pulse.line", language, role=_role(role, language),
                           question=t(f"scoreboard.pulse.{role.value}.{question}", language), trend=trend))
    return lines


def comment_lines(comments: CommentsShown, language: str) -> list[str]:
    title = t("scoreboard.comments.title", language, survey=survey_name(comments.kind, comments.number, language),
              role=_role(comments.role, language))
    if comments.comments is None:
        return [f"*{title}*", t("scoreboard.comments.too_few", language)]
    shown = [f"> {escape_mrkdwn(truncate(' '.join(text.split()), COMMENT_LIMIT))}"
             for text in comments.comments[:COMMENTS_SHOWN]]
    more = len(comments.comments) - COMMENTS_SHOWN
    if more > 0:
        shown.append(t("scoreboard.comments.more", language, count=more))
    return [f"*{title}*", *shown]


def _pack(lines: Sequence[str], *, separator: str = "\n") -> list[Block]:
    """Lines into as few sections as fit Slack's 3000 characters each."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len(separator.join([*chunk, line])) > _PACK_LIMIT:
            blocks.append(section(separator.join(chunk)))
            chunk = []
        chunk.append(truncate(line, _PACK_LIMIT))
    if chunk:
        blocks.append(section(separator.join(chunk)))
    return blocks


def scoreboard_blocks(board: Scoreboard, *, language: str, comments: bool = True) -> list[Block]:
    """The board as blocks; the Home tab leaves comments out (it is seen over a shoulder)."""
    title = t("scoreboard.title", language, round=board.round_name, programme=board.programme)
    blocks: list[Block] = [
        header(title),
        context(t("scoreboard.threshold", language, count=board.threshold)),
    ]
    blocks.extend(_pack([criterion_line(row, language) for row in board.criteria], separator="\n\n"))
    blocks.append(divider())
    blocks.append(section(f"*{t('scoreboard.outcomes.title', language)}*\n" + "\n".join(outcome_lines(board.outcomes,
                                                                                                     language))))
    intro = board.introductions
    blocks.append(section(f"*{t('scoreboard.introductions.title', language)}*\n"
                          + t("scoreboard.introductions.line", language,
                              introductions=t("scoreboard.introductions.count", language, count=intro.total),
                              sessions=t("scoreboard.introductions.sessions", language, count=intro.sessions),
                              pairs=t("scoreboard.introductions.pairs", language, count=intro.pairs_with_any))))
    asked = [rate for rate in board.responses if rate.invited]  # a survey that asked nobody has no rate
    if asked:
        blocks.extend(_pack([f"*{t('scoreboard.responses.title', language)}*",
                             *(response_line(rate, language, board.timezone) for rate in asked)]))
    if board.pulses:
        blocks.extend(_pack([f"*{t('scoreboard.pulse.title', language)}*", *pulse_lines(board.pulses, language)]))
    if comments and board.comments:
        blocks.append(divider())
        for group in board.comments:
            blocks.extend(_pack(comment_lines(group, language)))
    if len(blocks) > MESSAGE_BLOCK_LIMIT:
        blocks = [*blocks[:MESSAGE_BLOCK_LIMIT - 1], context(t("scoreboard.cut", language))]
    return blocks


def scoreboard_summary_blocks(board: Scoreboard, *, language: str) -> list[Block]:
    """The Home tab's and the status answer's short form: how many lines are met, and each
    line in one row (statement cut short); the full board is `/mentoring-admin scoreboard`."""
    counts = {standing: sum(1 for row in board.criteria if row.standing is standing) for standing in Standing}
    summary = t("scoreboard.summary", language, met=counts[Standing.MET], not_met=counts[Standing.NOT_MET],
                too_few=counts[Standing.TOO_FEW] + counts[Standing.NOT_YET], count=len(board.criteria))
    lines = [f"*{t('scoreboard.summary.title', language)}* · {summary}"]
    for row in board.criteria:
        where = _role(row.role, language) if row.survey is None else t(
            "scoreboard.where", language, role=_role(row.role, language), survey=survey_name(row.survey, 1, language))
        share = percent(row.share, language) if row.answers is not None else "…"
        lines.append(f"{_MARK[row.standing]} {where}: {share} / {percent(row.target, language)} · "
                     f"{escape_mrkdwn(truncate(row.statement(language), SUMMARY_STATEMENT_LIMIT))}")
    lines.append(t("scoreboard.summary.more", language))
    return _pack(lines)


def scoreboard_message(board: Scoreboard, *, language: str) -> Message:
    blocks = scoreboard_blocks(board, language=language)
    check_message_limits(blocks)
    met = sum(1 for row in board.criteria if row.standing is Standing.MET)
    text = t("scoreboard.text", language, round=escape_mrkdwn(board.round_name), met=met, count=len(board.criteria))
    return Message(text=text, blocks=blocks)


__all__ = [
    "comment_lines",
    "criterion_line",
    "outcome_lines",
    "percent",
    "pulse_lines",
    "response_line",
    "scoreboard_blocks",
    "scoreboard_message",
    "scoreboard_summary_blocks",
    "survey_name",
]
