"""`session.confirm.<id>`: "I was there too" under a session in the pair channel.

The partner confirms without typing anything; the post then shows both names. The author,
or anyone outside the pair, is told why the button is not theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from logging import Logger
from typing import Any

from bot.messages.sessions import outcome_message, refusal_message, session_id_from_action
from bot.services.people import identify
from bot.services.sessions import LogStatus, Refusal, confirm_session
from handlers.context import deps_from
from handlers.session_effects import apply_outcome, explain
from storage.db import unit_of_work


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
    user_id = str((body.get("user") or {}).get("id") or "")
    session_id = session_id_from_action(action)
    with unit_of_work(deps.session_factory) as session:
        if session_id is None:
            language = identify(session, slack_user_id=user_id).language
            outcome = None
        else:
            outcome = confirm_session(session, session_id=session_id, slack_user_id=user_id, now=deps.clock.now())
    if outcome is None:
        explain(client=client, body=body, respond=respond, message=refusal_message(Refusal.GONE, language),
                logger=logger)
        return
    if outcome.status is LogStatus.REFUSED:
        explain(client=client, body=body, respond=respond, message=outcome_message(outcome), logger=logger)
        return
    apply_outcome(client=client, deps=deps, outcome=outcome, acting_user_id=user_id, logger=logger)
