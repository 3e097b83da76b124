"""Fixtures every handler test shares (helpers for calling listeners: tests/support/handlers.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.container import Deps
from bot.settings import Settings


@pytest.fixture
def deps(session_factory: sessionmaker[Session], clock: FixedClock) -> Deps:
    """The app's dependencies, with UADMIN named in MENTORBOT_ADMINS (a coordinator of every round)."""
    return Deps(settings=Settings.from_env({"MENTORBOT_ADMINS": "UADMIN"}), session_factory=session_factory, clock=clock)
