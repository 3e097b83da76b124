"""Scenario fixtures: the real HTTP app, the sandbox Slack, and a driver that signs requests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from sqlalchemy import Engine

from bot.clock import FixedClock
from bot.sandbox.harness import SandboxedApp


@pytest.fixture
def scenario_clock() -> FixedClock:
    # A Tuesday morning in Copenhagen, during a round.
    return FixedClock(datetime(2027, 2, 2, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def slack(engine: Engine, scenario_clock: FixedClock) -> Iterator[SandboxedApp]:
    with SandboxedApp(engine=engine, clock=scenario_clock, admin_user_ids=("UADMIN",)) as app:
        yield app
