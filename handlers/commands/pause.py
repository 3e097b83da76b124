"""`/mentoring pause until DATE [reason]` and `/mentoring resume`: the Slack side of pauses.

The router has acknowledged and identified the person; the service reads the date,
stores the pause (or explains why not) and queues the notices. The answer is ephemeral.
"""

from __future__ import annotations

from bot.pairs.pauses import (
    PAUSE_MAX_DAYS,
    REASON_LIMIT,
    PauseProblem,
    latest_pause_end,
    pause_participant,
    resume_participant,
)
from bot.slack.render.blocks import Message
from bot.slack.render.nudges import not_pausable_message, pause_done_message, pause_problem_message, resume_message
from handlers.commands.router import CommandRequest
from storage.db import unit_of_work


def pause_command(request: CommandRequest) -> Message:
    deps = request.deps
    with unit_of_work(deps.session_factory) as session:
        outcome = pause_participant(
            session, workspace=request.viewer.workspace, slack_user_id=request.viewer.slack_user_id, text=request.argument,
            now=deps.clock.now()
        )
    if outcome.problem is PauseProblem.NOT_PARTICIPANT:
        return not_pausable_message(language=outcome.language)
    if outcome.problem is not None or outcome.until is None:
        problem = outcome.problem or PauseProblem.USAGE
        return pause_problem_message(
            problem=problem.value, language=outcome.language, typed=outcome.typed, on=outcome.until,
            days=PAUSE_MAX_DAYS, limit=REASON_LIMIT,
            latest=latest_pause_end(outcome.today) if outcome.today else None,
        )
    return pause_done_message(until=outcome.until, language=outcome.language)


def resume_command(request: CommandRequest) -> Message:
    deps = request.deps
    with unit_of_work(deps.session_factory) as session:
        outcome = resume_participant(session, workspace=request.viewer.workspace,
                                     slack_user_id=request.viewer.slack_user_id, now=deps.clock.now())
    if not outcome.participant:
        return not_pausable_message(language=outcome.language)
    return resume_message(resumed=outcome.resumed, language=outcome.language, holds=outcome.holds)


__all__ = ["pause_command", "resume_command"]
