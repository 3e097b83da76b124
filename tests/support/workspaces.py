"""Workspaces as tests see them: the sandbox's one workspace in token mode, and a second
Slack workspace for the tests that check one workspace sees nothing of another.

Rows the factories make have no team (''), as the CLI's do in token mode before the bot
learns its team: `ONE_WORKSPACE` owns them, as the bot's one workspace does.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.core.workspace import Workspace
from storage.models import Programme

SANDBOX_TEAM = "T0SANDBOX"
#: Token mode: the bot's one workspace (the sandbox's team), owning rows not yet assigned.
ONE_WORKSPACE = Workspace.single(SANDBOX_TEAM)


def move_programme(session: Session, *, programme_id: int, team_id: str) -> None:
    """Put a programme (and so everything hanging off it) in another workspace."""
    session.execute(update(Programme).where(Programme.id == programme_id).values(team_id=team_id))


__all__ = ["ONE_WORKSPACE", "SANDBOX_TEAM", "move_programme"]
