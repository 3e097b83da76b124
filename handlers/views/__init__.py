"""Modal submissions and closings: one callback per file."""

from __future__ import annotations

from slack_bolt import App

from handlers.views.profile_submit import handle_profile_submit


def register(app: App) -> None:
    """Each feature adds its `app.view(...)` lines here."""
    app.view("profile.submit")(handle_profile_submit)
