"""`session.confirm.<id>`: "I was there too" under a session in the pair channel.

The partner confirms without typing anything; the post then shows both names. The author,
or anyone outside the pair, is told why the button is not theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from bot.slack.render.sessions import outcome_message
from bot.sessions.service import LogStatus, confirm_session
from handlers.context import deps_from
from handlers.session_effects import act_on_session_button, apply_outcome, explain


def handle_session_confirm(
    ack: Callable[..., None],
    body: dict[str, Any],
    action: dict[str, Any],
    client: Any,
    respond: Callable[..., Any],
    context: Any,
    logger: Logger,
) -> None:
    ack()
    deps = deps_from(context)
    result = act_on_session_button(body=body, action=action, client=client, respond=respond, deps=deps,
                                   logger=logger, act=confirm_session)
    if result is None:
        return
    user_id, outcome = result
    if outcome.status is LogStatus.REFUSED:
        explain(client=client, body=body, respond=respond, message=outcome_message(outcome), logger=logger)
        return
    apply_outcome(client=client, deps=deps, outcome=outcome, acting_user_id=user_id, logger=logger)
