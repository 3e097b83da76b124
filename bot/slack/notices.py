"""Turning stored notices into Slack Web API calls, at the moment they are sent.

The domain queues a notice's facts (see `bot.core.notices`); the deliverer asks here for
the Slack call just before it sends, so the words are drawn by one renderer per kind, in
the reader's language, and a second platform only needs a second table like this one.
Each renderer module registers its renderers on `SLACK` (`bot.slack.render.table`) when
it is imported; importing them all below is what fills the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.notices import ARCHIVE_METHOD, NOTICE_METHOD, registered_facts, stored_notice
from bot.slack.render.table import SLACK


def to_slack_call(method: str, payload: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The Web API method and arguments for one outbox row.

    Raises `NoticeCodecError` or `LookupError` when a stored notice cannot be drawn; the
    deliverer marks such a row failed with that error rather than sending something wrong."""
    if method == NOTICE_METHOD:
        channel, language, facts = stored_notice(payload)
        message = SLACK.render(facts, language)
        return "chat.postMessage", {"channel": channel, **message.as_kwargs()}
    if method == ARCHIVE_METHOD:
        return "conversations.archive", {"channel": str(payload["channel"])}
    return method, dict(payload)


def unrendered_kinds() -> list[str]:
    """Notice kinds the domain declares that Slack cannot draw (a test keeps this empty)."""
    return SLACK.missing(registered_facts().values())


def _load_renderers() -> None:
    # Imported for their registrations on SLACK.
    from bot.slack.render import (  # noqa: F401
        digest,
        home,
        match_review,
        nudges,
        onboarding,
        outcomes,
        pair_channels,
        pair_end,
        pair_intro,
        sessions,
        surveys,
        timeline,
        workspace,
    )


_load_renderers()
