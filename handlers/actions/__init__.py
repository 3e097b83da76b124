"""Block actions (button clicks, date picks): one callback per file."""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    """Each feature adds its `app.action(...)` lines here."""
