"""Modal submissions and closings: one callback per file."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.render.surveys import SUBMIT_CALLBACK as SURVEY_SUBMIT_CALLBACK
from handlers.ack_first import ack_first, answer_then
from handlers.middleware import coordinators_only
from handlers.views.attendance_submit import handle_attendance_submit
from handlers.views.outcome_company_submit import handle_company_answer_submit
from handlers.views.outcome_submit import handle_admin_outcome_submit, handle_outcome_submit
from handlers.views.pair_end_submit import handle_end_pair_submit
from handlers.views.profile_submit import handle_profile_submit
from handlers.views.session_log_submit import handle_session_log_submit
from handlers.views.survey_submit import handle_survey_submit


def register(app: App) -> None:
    """Each feature adds its `app.view(...)` lines here."""
    app.view("profile.submit")(answer_then(handle_profile_submit))
    app.view("session.log.submit")(answer_then(handle_session_log_submit))
    # Coordinators only; which pair or meeting they may touch is the service's check.
    app.view("pairs.end.submit", middleware=[coordinators_only])(answer_then(handle_end_pair_submit))
    app.view("meeting.attendance.submit", middleware=[coordinators_only])(ack_first(handle_attendance_submit))
    # Outcomes: a mentee's own, and a coordinator's for a mentee (whose round: the service's check).
    app.view("outcome.submit")(answer_then(handle_outcome_submit))
    app.view("outcome.admin.submit", middleware=[coordinators_only])(answer_then(handle_admin_outcome_submit))
    app.view("outcome.company.submit", middleware=[coordinators_only])(answer_then(handle_company_answer_submit))
    # Surveys: the form (or a pulse's comment form); whose invitation it is: the service's check.
    app.view(SURVEY_SUBMIT_CALLBACK)(answer_then(handle_survey_submit))
