"""`outcome.company.submit`: a coordinator's entry of a company contact's survey answers.

Validation runs before `ack`, so what to fix shows under each box. A submission by anyone but
the coordinator who opened the modal changes nothing; whose round it is, is the service's
check. Registered with `coordinators_only`.
"""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.i18n import t
from bot.outcomes.service import CONSENT_FIELD, OutcomeRefusal, record_company_answer
from bot.slack.render.outcomes import (
    company_done_view,
    outcome_error_texts,
    outcome_refusal_view,
    read_company_submission,
)
from handlers.answers import show_errors
from handlers.context import deps_from, viewer_from
from storage.db import unit_of_work


def handle_company_answer_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, logger: Logger
) -> None:
    deps = deps_from(context)
    viewer = viewer_from(context)
    user_id = viewer.slack_user_id
    submitted = read_company_submission(view)
    if submitted.opened_by != user_id:
        ack(response_action="update", view=outcome_refusal_view(refusal=OutcomeRefusal.NOT_YOURS,
                                                                 language=viewer.language))
        return
    try:
        with unit_of_work(deps.session_factory) as session:
            result = record_company_answer(
                session, workspace=viewer.workspace, slack_user_id=user_id, admin_user_ids=deps.settings.admin_user_ids,
                participant_id=submitted.participant_id, values=submitted.values, comment=submitted.comment,
                consent_confirmed=submitted.consent, now=deps.clock.now(),
            )
    except Exception:  # any failure: the coordinator must hear something within 3 seconds
        logger.exception("recording company answers entered by %s failed", user_id)
        show_errors(ack, view=view, errors={CONSENT_FIELD: t("outcomes.error.generic", viewer.language)})
        return
    if result.errors:
        show_errors(ack, view=view, errors=outcome_error_texts(result.errors, result.language))
        return
    if result.recorded is None:
        ack(response_action="update", view=outcome_refusal_view(refusal=result.refusal or OutcomeRefusal.GONE,
                                                                 language=result.language, when=result.when))
        return
    ack(response_action="update", view=company_done_view(recorded=result.recorded, language=result.language))
