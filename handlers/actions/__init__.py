"""Block actions (button clicks, date picks): one callback per file."""

from __future__ import annotations

import re

from slack_bolt import App

from bot.slack.render.digest import HANDLED_ACTION_PATTERN as DIGEST_HANDLED_PATTERN
from bot.slack.render.match_review import PUBLISH_ACTION_ID, REVIEW_ACTION_PATTERN
from bot.slack.render.nudges import CHECKIN_ACTION_PATTERN
from bot.slack.render.outcomes import OPEN_ACTION_ID as OUTCOME_OPEN_ACTION_ID
from bot.slack.render.privacy import ERASE_ACTION_PATTERN
from bot.slack.render.sessions import CONFIRM_PATTERN, DELETE_PATTERN, EDIT_PATTERN, LOG_OPEN_PATTERN
from bot.slack.render.surveys import DECLINE_ACTION, OPEN_ACTION, PULSE_ACTION_PATTERN
from bot.slack.render.timeline import RSVP_ACTION_PATTERN
from handlers.ack_first import ack_first
from handlers.actions.checkin_answer import handle_checkin_answer
from handlers.actions.consent import handle_consent
from handlers.actions.digest_handled import handle_digest_handled
from handlers.actions.erase_confirm import handle_erase_confirm
from handlers.actions.match_publish import handle_match_publish
from handlers.actions.match_review import handle_match_review
from handlers.actions.meeting_rsvp import handle_meeting_rsvp
from handlers.actions.outcome_open import handle_outcome_open
from handlers.actions.profile_open import handle_profile_open
from handlers.actions.session_confirm import handle_session_confirm
from handlers.actions.session_delete import handle_session_delete
from handlers.actions.session_edit import handle_session_edit
from handlers.actions.session_log_open import handle_session_log_open
from handlers.actions.survey_answer import handle_survey_answer
from handlers.actions.survey_decline import handle_survey_decline
from handlers.actions.survey_open import handle_survey_open
from handlers.middleware import coordinators_only


def register(app: App) -> None:
    """Each feature adds its `app.action(...)` lines here."""
    app.action("profile.open")(ack_first(handle_profile_open))
    # consent.<purpose>.<yes|no>: every consent button in the welcome DM and the reminders.
    app.action(re.compile(r"^consent\."))(ack_first(handle_consent))
    # The matching review: match.lock|unlock|forbid.<mentor>.<mentee>, match.page.*, match.allow, match.rerun.
    app.action(REVIEW_ACTION_PATTERN, middleware=[coordinators_only])(ack_first(handle_match_review))
    app.action(PUBLISH_ACTION_ID, middleware=[coordinators_only])(ack_first(handle_match_publish))
    # 1:1 sessions: session.log.open[.suffix] (value: pair id), session.confirm|edit|delete.<session id>.
    app.action(LOG_OPEN_PATTERN)(ack_first(handle_session_log_open))
    app.action(CONFIRM_PATTERN)(ack_first(handle_session_confirm))
    app.action(EDIT_PATTERN)(ack_first(handle_session_edit))
    app.action(DELETE_PATTERN)(ack_first(handle_session_delete))
    # Check-ins in pair channels: checkin.planned (datepicker), checkin.not_yet, checkin.help.
    app.action(re.compile(CHECKIN_ACTION_PATTERN))(ack_first(handle_checkin_answer))
    # Meeting reminders: meeting.rsvp.yes|no (value: meeting id).
    app.action(re.compile(RSVP_ACTION_PATTERN))(ack_first(handle_meeting_rsvp))
    # The 6-month follow-up DM: outcome.open (value: the mentee's participant id).
    app.action(OUTCOME_OPEN_ACTION_ID)(ack_first(handle_outcome_open))
    # Surveys in a DM: survey.pulse.<question>.<value> (value: invitation|question|value), survey.open and
    # survey.decline (value: invitation id). Whose invitation it is: the service's check.
    app.action(re.compile(PULSE_ACTION_PATTERN))(ack_first(handle_survey_answer))
    app.action(OPEN_ACTION)(ack_first(handle_survey_open))
    app.action(DECLINE_ACTION)(ack_first(handle_survey_decline))
    # The coordinators' weekly digest: digest.handled.<n> (value: round|key|fingerprint).
    app.action(re.compile(DIGEST_HANDLED_PATTERN), middleware=[coordinators_only])(ack_first(handle_digest_handled))
    # /mentoring-admin erase NAME: privacy.erase.confirm (value: one of the person's participant ids).
    app.action(ERASE_ACTION_PATTERN, middleware=[coordinators_only])(ack_first(handle_erase_confirm))
