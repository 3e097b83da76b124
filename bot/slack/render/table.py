"""The table of Slack renderers, one per kind of notice; each renderer module adds its own.

Kept apart from `bot.slack.notices`, which imports every renderer module to fill it, so
that no renderer module imports the module that imports it."""

from __future__ import annotations

from bot.core.notices import RendererTable

SLACK = RendererTable("slack")
