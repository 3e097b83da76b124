"""Block actions (button clicks, date picks): one callback per file."""

from __future__ import annotations

import re

from slack_bolt import App

from handlers.actions.consent import handle_consent
from handlers.actions.profile_open import handle_profile_open


def register(app: App) -> None:
    """Each feature adds its `app.action(...)` lines here."""
    app.action("profile.open")(handle_profile_open)
    # consent.<purpose>.<yes|no>: every consent button in the welcome DM and the reminders.
    app.action(re.compile(r"^consent\."))(handle_consent)
