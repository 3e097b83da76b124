"""Reading queued outbox rows as Slack will receive them.

Rows hold platform-neutral notices (a kind, its facts, the reader's language); the Slack
adapter draws them when they are sent. Tests that check what a queued message will say
read it through the same adapter, so they test the words people get, not a storage form.
"""

from __future__ import annotations

from typing import Any

from bot.core.outbox import OutgoingCall
from bot.slack.notices import to_slack_call
from storage.models import OutboxMessage

Row = OutboxMessage | OutgoingCall  # a queued row, or a call a service returns for the tick to queue


def slack_call(row: Row) -> tuple[str, dict[str, Any]]:
    """(Web API method, arguments) for one outbox row, as the deliverer would send it."""
    return to_slack_call(row.method, dict(row.payload))


def slack_payload(row: Row) -> dict[str, Any]:
    """The Web API arguments for one outbox row: `channel`, `text`, `blocks` for a message."""
    return slack_call(row)[1]


def slack_method(row: Row) -> str:
    return slack_call(row)[0]
