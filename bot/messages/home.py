"""The App Home tab."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.messages.blocks import check_surface_limits, context, header, section


def home_view(*, language: str, enrolled: bool) -> dict[str, Any]:
    blocks = [header(t("home.title", language))]
    if not enrolled:
        blocks.append(section(t("home.not_enrolled", language)))
    blocks.append(context(t("home.help_hint", language)))
    check_surface_limits(blocks)
    return {"type": "home", "blocks": blocks}
