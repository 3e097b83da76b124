"""The scenario tests' fake Slack and real HTTP app, for the simulation played through the
signed endpoint (one fixture, kept in one place: tests/scenario/conftest.py)."""

from tests.scenario.conftest import scenario_clock, slack

__all__ = ["scenario_clock", "slack"]
