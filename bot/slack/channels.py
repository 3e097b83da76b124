"""The Slack side of the `ChatChannels` port: private channels made, found and joined now.

Opening a pair's channel cannot go through the outbox alone: the channel id that
`conversations.create` answers is needed before anyone can be invited or introduced. So
these few calls are made synchronously from the tick, and every failure is classified the
way the deliverer classifies them (rate limits and 5xx are "try again later").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.core.chat import ChannelAnswer, ChatChannel
from bot.slack.sender import classify_api_error

log = logging.getLogger(__name__)

# conversations.list is tier 2: a page of 200 keeps a name lookup to a call or two.
LIST_PAGE_SIZE = 200
MAX_LIST_PAGES = 50


class SlackChannels:
    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._bot_user_id: str | None = None

    def create_private_channel(self, *, name: str) -> ChannelAnswer:
        failure, data = self._call(lambda: self._client.conversations_create(name=name, is_private=True))
        if failure is not None:
            return failure
        return ChannelAnswer(ok=True, channel=_channel(data.get("channel") or {}, created_by_bot=True))

    def find_private_channel(self, *, name: str) -> ChannelAnswer:
        """Walk `conversations.list` (private channels the bot is in: the only ones its
        token can see) for a name; archived ones included, since they hold names too."""
        if self._bot_user_id is None:
            failure, data = self._call(self._client.auth_test)
            if failure is not None:
                return failure
            self._bot_user_id = str(data.get("user_id") or "") or None
        cursor: str | None = None
        for _ in range(MAX_LIST_PAGES):
            failure, data = self._call(
                partial(self._client.conversations_list,
                        types="private_channel", exclude_archived=False, limit=LIST_PAGE_SIZE, cursor=cursor)
            )
            if failure is not None:
                return failure
            for channel in data.get("channels") or []:
                if channel.get("name") == name:
                    created_by_bot = self._bot_user_id is not None and channel.get("creator") == self._bot_user_id
                    return ChannelAnswer(ok=True, channel=_channel(channel, created_by_bot=created_by_bot))
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return ChannelAnswer(ok=True, channel=None)

    def invite(self, *, channel_id: str, user_id: str) -> ChannelAnswer:
        failure, _data = self._call(lambda: self._client.conversations_invite(channel=channel_id, users=user_id))
        return failure or ChannelAnswer(ok=True)

    @staticmethod
    def _call(call: Callable[[], Any]) -> tuple[ChannelAnswer | None, dict[str, Any]]:
        """(None, response data) on success; (the failure, {}) otherwise."""
        try:
            response = call()
        except SlackApiError as exc:
            outcome = classify_api_error(exc)
            return ChannelAnswer(ok=False, error=outcome.error, retryable=outcome.retryable), {}
        except (SlackClientError, OSError, TimeoutError) as exc:
            log.warning("network trouble talking to Slack about channels: %s", exc)
            return ChannelAnswer(ok=False, error=f"network: {exc}", retryable=True), {}
        return None, response.data if isinstance(response.data, dict) else {}


def _channel(channel: dict[str, Any], *, created_by_bot: bool) -> ChatChannel:
    return ChatChannel(
        channel_id=str(channel.get("id") or ""),
        name=str(channel.get("name") or ""),
        is_member=bool(channel.get("is_member", False)),
        is_archived=bool(channel.get("is_archived")),
        created_by_bot=created_by_bot,
    )


__all__ = ["SlackChannels"]


# Per-minute budgets for the tick's channel calls, a little under Slack's (tier 2: 20 a minute,
# tier 3: 50) so a call that reaches Slack late never meets a 429 in the next tick.
CHANNEL_CALL_BUDGETS = {"conversations.create": 19, "conversations.invite": 45, "conversations.list": 19}
MAX_PACING_WAIT_SECONDS = 3.0


class PacedChannels:
    """The channel calls kept within Slack's per-minute budgets across ticks.

    Why: the tick opens up to a minute's worth of pairs at once (Slack counts tiers per
    minute and allows the burst), one tick a minute. A tick that comes a little early, or a
    second tick in the same minute, would meet a 429; this answers "rate limited" itself
    without calling (the pair waits for the next tick, as after a 429) unless the budget frees
    within a few seconds, so a tick never blocks the other jobs for long."""

    def __init__(self, inner: Any, *, pacer: Any, max_wait_seconds: float = MAX_PACING_WAIT_SECONDS) -> None:
        self._inner = inner
        self._pacer = pacer
        self._max_wait = max_wait_seconds

    def _turn(self, method: str) -> ChannelAnswer | None:
        if self._pacer.free_in(method=method, channel=None) > self._max_wait:
            return ChannelAnswer(ok=False, error="ratelimited", retryable=True)
        self._pacer.wait_turn(method=method, channel=None)
        return None

    def create_private_channel(self, *, name: str) -> ChannelAnswer:
        refused = self._turn("conversations.create")
        return refused or self._inner.create_private_channel(name=name)

    def find_private_channel(self, *, name: str) -> ChannelAnswer:
        refused = self._turn("conversations.list")
        return refused or self._inner.find_private_channel(name=name)

    def invite(self, *, channel_id: str, user_id: str) -> ChannelAnswer:
        refused = self._turn("conversations.invite")
        return refused or self._inner.invite(channel_id=channel_id, user_id=user_id)


def paced_channels(inner: Any, *, monotonic: Callable[[], float] | None = None,
                   sleep: Callable[[float], None] | None = None) -> PacedChannels:
    """`inner` behind a pacer of its own: per-minute budgets only, no even spacing."""
    import time

    from scheduling.pacing import Pacer

    pacer = Pacer(monotonic=monotonic or time.monotonic, sleep=sleep or time.sleep, method_intervals={},
                  method_per_minute=CHANNEL_CALL_BUDGETS)
    return PacedChannels(inner, pacer=pacer)
