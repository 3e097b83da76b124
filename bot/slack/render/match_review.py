"""The matching proposal as coordinators read it: in Slack, on the command line, in Excel.

Pure builders from the stored proposal (:class:`bot.matching.review.ProposalReview`)
to Block Kit or plain lines. Reasons are catalog codes with parameters, rendered here in
the reader's language; every parameter comes from people's profiles, so it is escaped
before it goes into mrkdwn.

The review fits Slack's limits by construction: at most :data:`PAGE_SIZE` pairs a page
(two blocks each: the pair and its Lock/Forbid buttons), one section each for problems
and people without a match, and paging buttons beyond that. Every per-pair button has its
own ``action_id`` (``match.lock.<mentor>.<mentee>`` …) because Slack wants them unique in
a message; the button's value names the stored proposal it belongs to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from babel.lists import format_list
from babel.numbers import format_decimal

from bot.i18n import babel_locale, t
from bot.matching.engine import (
    EXCLUDED_PARAMS,
    SPARE_EXCLUDED_ALL,
    UNMATCHED_EXCLUDED_ALL,
    MatchProblem,
    ProposedPair,
    ScoreComponent,
    Unmatched,
)
from bot.matching.notices import NoMatchThisRound
from bot.matching.review import (
    LookupStatus,
    ProposalReview,
    PublishResult,
    PublishStatus,
    ReviewAction,
    ReviewStatus,
    RoundLookup,
)
from bot.slack.render.blocks import (
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    Block,
    Message,
    actions,
    button,
    check_message_limits,
    context,
    header,
    section,
)
from bot.slack.render.table import SLACK
from bot.text import escape_mrkdwn, truncate

# --- action ids and values --------------------------------------------------------------------

ACTION_PREFIX = "match."
LOCK_PREFIX = "match.lock."
UNLOCK_PREFIX = "match.unlock."
FORBID_PREFIX = "match.forbid."
ALLOW_ACTION_ID = "match.allow"  # a select of forbidden pairs to allow again
RERUN_ACTION_ID = "match.rerun"
PAGE_PREVIOUS_ACTION_ID = "match.page.previous"
PAGE_NEXT_ACTION_ID = "match.page.next"
PUBLISH_ACTION_ID = "match.publish"
# One Bolt listener takes every review action except Publish, which has its own.
REVIEW_ACTION_PATTERN = re.compile(r"^match\.(lock|unlock|forbid|page)\.|^match\.(allow|rerun)$")

PAGE_SIZE = 20  # 2 blocks a pair: 40 blocks, plus at most 10 around them
_CONFIRM_TITLE_LIMIT = 100
_CONFIRM_TEXT_LIMIT = 300
_CONFIRM_BUTTON_LIMIT = 30
_OPTION_TEXT_LIMIT = 75
_MAX_OPTIONS = 100


@dataclass(frozen=True, kw_only=True)
class ActionValue:
    """What a review button carries: the stored proposal, the pair, the page to show."""

    proposal_id: int
    mentor_id: int | None = None
    mentee_id: int | None = None
    page: int = 0


def action_value(*, proposal_id: int, mentor_id: int | None = None, mentee_id: int | None = None,
                 page: int = 0) -> str:
    data: dict[str, int] = {"p": proposal_id, "g": page}
    if mentor_id is not None and mentee_id is not None:
        data.update(m=mentor_id, e=mentee_id)
    return json.dumps(data, separators=(",", ":"))


def parse_action_value(value: str | None) -> ActionValue | None:
    """The value back, or None for anything not made by :func:`action_value` (never trust a click)."""
    try:
        data = json.loads(value or "")
        if not isinstance(data, dict):
            return None
        ids = {key: data.get(key) for key in ("p", "m", "e", "g")}
        if not isinstance(ids["p"], int) or any(v is not None and (not isinstance(v, int) or isinstance(v, bool))
                                                for v in ids.values()):
            return None
        if (ids["m"] is None) != (ids["e"] is None):
            return None
        return ActionValue(proposal_id=ids["p"], mentor_id=ids["m"], mentee_id=ids["e"], page=max(0, ids["g"] or 0))
    except (ValueError, TypeError):
        return None


def review_action_for(action_id: str) -> ReviewAction | None:
    """Which review action an action id stands for (None for ids this review did not make)."""
    for prefix, action in ((LOCK_PREFIX, ReviewAction.LOCK), (UNLOCK_PREFIX, ReviewAction.UNLOCK),
                           (FORBID_PREFIX, ReviewAction.FORBID)):
        if action_id.startswith(prefix):
            return action
    return {ALLOW_ACTION_ID: ReviewAction.ALLOW, RERUN_ACTION_ID: ReviewAction.RERUN,
            PAGE_PREVIOUS_ACTION_ID: ReviewAction.SHOW, PAGE_NEXT_ACTION_ID: ReviewAction.SHOW}.get(action_id)


# --- text pieces ------------------------------------------------------------------------------

def _number(value: float, language: str) -> str:
    return format_decimal(round(value, 2), format="#,##0.##", locale=babel_locale(language))


def _points(value: float, language: str) -> str:
    if value == 0:
        return ""
    sign = "+" if value > 0 else "−"
    return f" ({sign}{_number(abs(value), language)})"


def _render(code: str, params: Mapping[str, str], language: str, *, mrkdwn: bool) -> str:
    values = {key: escape_mrkdwn(str(value)) if mrkdwn else str(value) for key, value in params.items()}
    try:
        return t(code, language, **values)
    except (KeyError, IndexError):  # an old snapshot with a code or parameter since renamed
        return code


def component_text(component: ScoreComponent, language: str, *, mrkdwn: bool = True) -> str:
    """One reason with its points: "Same field: engineering (+4)"."""
    return _render(component.code, component.params, language, mrkdwn=mrkdwn) + _points(component.points, language)


def _causes(params: Mapping[str, str], language: str) -> str:
    """Each cause that ruled someone out, counted, in the engine's order and joined as the
    language lists things: "1 was their partner earlier in this round (the pair ended) and 2
    have no places left"."""
    parts = [t(f"match.excluded.{cause}", language, count=params[cause]) for cause in EXCLUDED_PARAMS
             if cause in params]
    return format_list(parts, locale=babel_locale(language)) if parts else ""


def unmatched_text(entry: Unmatched, language: str, *, mrkdwn: bool = True) -> str:
    """Why someone has no match. When several causes ruled out everyone who shares a
    language, the sentence counts each one (only those that acted)."""
    params: Mapping[str, str] = entry.params
    if entry.reason_code in (UNMATCHED_EXCLUDED_ALL, SPARE_EXCLUDED_ALL):
        params = {**params, "causes": _causes(params, language)}
    return _render(entry.reason_code, params, language, mrkdwn=mrkdwn)


def problem_text(problem: MatchProblem, language: str, *, mrkdwn: bool = True) -> str:
    return _render(problem.code, problem.params, language, mrkdwn=mrkdwn)


def reasons_text(pair: ProposedPair, language: str) -> str:
    """All reasons of a pair in one plain line, for the Excel export
    (:func:`bot.matching.review.round_workbook` is given this)."""
    parts = [t("match.export.locked", language)] if pair.locked else []
    parts += [component_text(c, language, mrkdwn=False) for c in pair.components]
    return "; ".join(parts)


def _pair_text(review: ProposalReview, pair: ProposedPair, language: str) -> str:
    lead = t("match.review.pair", language, mentor=escape_mrkdwn(review.name(pair.mentor_id)),
             mentee=escape_mrkdwn(review.name(pair.mentee_id)), score=_number(pair.score, language))
    if pair.locked:
        lead += " · " + t("match.review.locked", language)
    reasons = "\n".join(f"• {component_text(c, language)}" for c in pair.components)
    return f"{lead}\n{reasons}" if reasons else lead


def _bullets(title: str, lines: Sequence[str], language: str) -> str:
    """A titled list in one section; what does not fit is counted, never cut mid-line."""
    more_room = len(t("match.review.more", language, count=len(lines))) + 2
    text, shown = title, 0
    for line in lines:
        candidate = f"{text}\n• {line}"
        if len(candidate) + more_room > SECTION_TEXT_LIMIT:
            break
        text, shown = candidate, shown + 1
    if shown < len(lines):
        text += "\n" + t("match.review.more", language, count=len(lines) - shown)
    return text


# --- the review -------------------------------------------------------------------------------

def page_count(review: ProposalReview) -> int:
    return max(1, -(-len(review.proposal.pairs) // PAGE_SIZE))


def _confirm(review: ProposalReview, language: str) -> Block:
    count = len(review.proposal.pairs)
    return {
        "title": {"type": "plain_text", "text": truncate(t("match.confirm.title", language, pairs=count),
                                                         _CONFIRM_TITLE_LIMIT)},
        "text": {"type": "plain_text", "text": truncate(t("match.confirm.text", language), _CONFIRM_TEXT_LIMIT)},
        "confirm": {"type": "plain_text", "text": truncate(t("match.confirm.yes", language), _CONFIRM_BUTTON_LIMIT)},
        "deny": {"type": "plain_text", "text": truncate(t("match.confirm.no", language), _CONFIRM_BUTTON_LIMIT)},
    }


def _kept_apart(review: ProposalReview) -> list[tuple[int, int, bool]]:
    """Every pair the proposal keeps apart, as (mentor, mentee, ended): the coordinators'
    forbids, then the pairs that ended earlier in this round. Both are lifted the same way."""
    return [(m, e, False) for m, e in review.forbidden] + [(m, e, True) for m, e in review.ended]


def _kept_apart_label(review: ProposalReview, mentor_id: int, mentee_id: int, *, ended: bool, language: str,
                      mrkdwn: bool) -> str:
    mentor, mentee = review.name(mentor_id), review.name(mentee_id)
    if mrkdwn:
        mentor, mentee = escape_mrkdwn(mentor), escape_mrkdwn(mentee)
    label = f"{mentor} ↔ {mentee}"
    return f"{label} ({t('match.review.ended_pair', language)})" if ended else label


def _allow_select(review: ProposalReview, language: str) -> Block:
    options = [
        {"text": {"type": "plain_text",
                  "text": truncate(_kept_apart_label(review, m, e, ended=ended, language=language, mrkdwn=False),
                                   _OPTION_TEXT_LIMIT)},
         "value": action_value(proposal_id=review.proposal_id, mentor_id=m, mentee_id=e)}
        for m, e, ended in _kept_apart(review)[:_MAX_OPTIONS]
    ]
    return {"type": "static_select", "action_id": ALLOW_ACTION_ID, "options": options,
            "placeholder": {"type": "plain_text", "text": truncate(t("match.button.allow", language), 150)}}


def review_message(review: ProposalReview, *, language: str, page: int = 0, notice: str | None = None) -> Message:
    """The proposal with a Lock/Unlock and a Forbid button per pair, then Re-run and Publish.

    ``notice`` (already mrkdwn) goes above the pairs: why the coordinator is seeing a fresh
    proposal instead of the one they tried to publish. A published proposal is shown
    without buttons that would change it.
    """
    pages = page_count(review)
    page = min(max(0, page), pages - 1)
    proposal = review.proposal
    open_for_changes = review.published_at is None
    summary = t("match.review.summary", language, proposal=review.proposal_id,
                programme=escape_mrkdwn(review.programme_name), round=escape_mrkdwn(review.round_name),
                pairs=len(proposal.pairs), mentees=len(review.unmatched_mentees), places=review.spare_places,
                total=_number(proposal.total_score, language))
    blocks: list[Block] = [header(t("match.review.title", language, round=review.round_name)), context(summary)]
    if notice:
        blocks.append(section(notice))
    if not open_for_changes:
        blocks.append(context(t("match.review.published_note", language)))
    if not proposal.pairs:
        blocks.append(section(t("match.review.no_pairs", language)))
    for pair in proposal.pairs[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]:
        ids = f"{pair.mentor_id}.{pair.mentee_id}"
        blocks.append(section(_pair_text(review, pair, language), block_id=f"match.pair.{ids}"))
        if open_for_changes:
            value = action_value(proposal_id=review.proposal_id, mentor_id=pair.mentor_id, mentee_id=pair.mentee_id,
                                 page=page)
            lock = (button(t("match.button.unlock", language), action_id=f"{UNLOCK_PREFIX}{ids}", value=value)
                    if pair.locked else
                    button(t("match.button.lock", language), action_id=f"{LOCK_PREFIX}{ids}", value=value))
            forbid = button(t("match.button.forbid", language), action_id=f"{FORBID_PREFIX}{ids}", value=value,
                            style="danger")
            blocks.append(actions(lock, forbid, block_id=f"match.pair_actions.{ids}"))
    if proposal.problems:
        blocks.append(section(_bullets(t("match.review.problems_title", language),
                                       [problem_text(p, language) for p in proposal.problems], language)))
    if proposal.unmatched:
        blocks.append(section(_bullets(t("match.review.unmatched_title", language),
                                       [unmatched_text(u, language) for u in proposal.unmatched], language)))
    kept_apart = _kept_apart(review)
    if kept_apart:
        names = [_kept_apart_label(review, m, e, ended=ended, language=language, mrkdwn=True)
                 for m, e, ended in kept_apart]
        blocks.append(section(_bullets(t("match.review.forbidden_title", language), names, language),
                              accessory=_allow_select(review, language) if open_for_changes else None))
    if pages > 1:
        blocks.append(context(t("match.review.page", language, page=page + 1, pages=pages,
                                round=escape_mrkdwn(review.round_name))))
    controls: list[Block] = []
    if page > 0:
        controls.append(button(t("match.button.previous", language), action_id=PAGE_PREVIOUS_ACTION_ID,
                               value=action_value(proposal_id=review.proposal_id, page=page - 1)))
    if page < pages - 1:
        controls.append(button(t("match.button.next", language), action_id=PAGE_NEXT_ACTION_ID,
                               value=action_value(proposal_id=review.proposal_id, page=page + 1)))
    controls.append(button(t("match.button.rerun", language), action_id=RERUN_ACTION_ID,
                           value=action_value(proposal_id=review.proposal_id, page=page)))
    if open_for_changes and proposal.pairs:  # no pairs: nothing to publish (a forged click is refused too)
        publish = button(t("match.button.publish", language), action_id=PUBLISH_ACTION_ID,
                         value=action_value(proposal_id=review.proposal_id), style="primary")
        publish["confirm"] = _confirm(review, language)
        controls.append(publish)
    blocks.append(actions(*controls, block_id="match.controls"))
    assert len(blocks) <= MESSAGE_BLOCK_LIMIT, "the page size leaves room for everything else"
    check_message_limits(blocks)
    # The header is plain text (never parsed); the notification text is mrkdwn like the blocks.
    text = t("match.review.title", language, round=escape_mrkdwn(review.round_name)) + ". " + summary
    return Message(text=truncate(text, SECTION_TEXT_LIMIT), blocks=blocks)


def publish_message(result: PublishResult, *, language: str, review: ProposalReview | None = None) -> Message:
    """What the coordinator sees after Publish: a confirmation, or a fresh proposal and why."""
    if result.status is PublishStatus.STALE and review is not None:
        reason = problem_text(result.stale_reason, language) if result.stale_reason else ""
        notice = ":warning: " + t("match.stale", language, reason=reason)
        return review_message(review, language=language, notice=notice)
    if result.status is PublishStatus.PUBLISHED:
        text = t("match.published", language, pairs=result.pairs_published, round=escape_mrkdwn(result.round_name),
                 notified=result.people_notified)
    elif result.status is PublishStatus.ALREADY_PUBLISHED:
        text = t("match.already_published", language, pairs=result.pairs_published,
                 round=escape_mrkdwn(result.round_name))
    elif result.status is PublishStatus.EMPTY:
        text = t("match.refused.empty", language, round=escape_mrkdwn(result.round_name))
    else:
        text = t("match.refused.not_found", language)
    return Message(text=text, blocks=[section(text)])


def refused_message(status: ReviewStatus, *, language: str) -> Message:
    """A click that cannot be honoured: not this person's round, or a proposal that is gone."""
    key = "match.refused.not_allowed" if status is ReviewStatus.NOT_ALLOWED else "match.refused.not_found"
    text = t(key, language)
    return Message(text=text, blocks=[section(text)])


RoundChoiceKeys = Literal["match.choose", "scoreboard.choose", "report.choose", "digest.choose"]


def choose_round_message(lookup: RoundLookup, *, typed: str, language: str,
                         keys: RoundChoiceKeys = "match.choose") -> Message:
    """Which round? The names the coordinator can type, escaped and in code style. `keys`
    names the catalog entries of the command that asks (each says its own example)."""
    choices = ", ".join(f"`{escape_mrkdwn(choice)}`" for choice in lookup.choices)
    if not lookup.choices:
        text = t(f"{keys}.no_rounds", language)
    elif lookup.status is LookupStatus.SEVERAL_RUNNING:
        text = t(f"{keys}.several_running", language, choices=choices,
                 example=escape_mrkdwn(lookup.choices[0]))
    elif lookup.status is LookupStatus.NONE_RUNNING:
        text = t(f"{keys}.none_running", language, choices=choices)
    elif lookup.status is LookupStatus.AMBIGUOUS:
        text = t(f"{keys}.ambiguous", language, name=escape_mrkdwn(typed), choices=choices)
    else:
        text = t(f"{keys}.unknown", language, name=escape_mrkdwn(typed), choices=choices)
    return Message(text=text, blocks=[section(text)])


# --- the DM for people left without a match --------------------------------------------------

def unmatched_dm(*, name: str, role: str, round_name: str, programme_name: str, language: str) -> Message:
    """A kind word for someone the published proposal left without a partner, and what happens next."""
    key = "match.dm.mentor" if role == "mentor" else "match.dm.mentee"
    text = t(key, language, name=escape_mrkdwn(name), round=escape_mrkdwn(round_name),
             programme=escape_mrkdwn(programme_name))
    return Message(text=text, blocks=[section(text)])


@SLACK.renders(NoMatchThisRound)
def _no_match_this_round(facts: NoMatchThisRound, language: str) -> Message:
    return unmatched_dm(name=facts.name, role=facts.role.value, round_name=facts.round_name,
                        programme_name=facts.programme_name, language=language)


# --- the command line -------------------------------------------------------------------------

def proposal_lines(review: ProposalReview, *, language: str = "en") -> list[str]:
    """The whole proposal as plain lines: every pair with score and reasons, everyone unmatched."""
    proposal = review.proposal
    lines = [t("match.cli.header", language, proposal=review.proposal_id, programme=review.programme_name,
               round=review.round_name, pairs=len(proposal.pairs), total=_number(proposal.total_score, language))]
    for pair in proposal.pairs:
        lead = t("match.cli.pair", language, mentor=review.name(pair.mentor_id), mentee=review.name(pair.mentee_id),
                 score=_number(pair.score, language))
        if pair.locked:
            lead += f" [{t('match.export.locked', language)}]"
        lines.append(f"  {lead}")
        lines.extend(f"      {component_text(c, language, mrkdwn=False)}" for c in pair.components)
    if proposal.unmatched:
        lines.append(t("match.cli.unmatched", language, count=len(proposal.unmatched)))
        lines.extend(f"  {unmatched_text(u, language, mrkdwn=False)}" for u in proposal.unmatched)
    if proposal.problems:
        lines.append(t("match.cli.problems", language, count=len(proposal.problems)))
        lines.extend(f"  {problem_text(p, language, mrkdwn=False)}" for p in proposal.problems)
    return lines


__all__ = [
    "ALLOW_ACTION_ID", "FORBID_PREFIX", "LOCK_PREFIX", "PAGE_NEXT_ACTION_ID", "PAGE_PREVIOUS_ACTION_ID", "PAGE_SIZE",
    "PUBLISH_ACTION_ID", "RERUN_ACTION_ID", "REVIEW_ACTION_PATTERN", "UNLOCK_PREFIX", "ActionValue", "action_value",
    "choose_round_message", "component_text", "page_count", "parse_action_value", "problem_text", "proposal_lines",
    "publish_message", "reasons_text", "refused_message", "review_action_for", "review_message", "unmatched_dm",
    "unmatched_text",
]
