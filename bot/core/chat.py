"""The chat-platform port: what the domain needs from Slack (and, later, Teams).

Services never import a Slack library; they say what to tell whom as notices
(`bot.core.notices`) and read users and open channels through this port. The Slack adapter
in `bot/slack/` implements it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, kw_only=True)
class SendOutcome:
    """What happened to one outgoing call, in terms the deliverer can act on."""

    ok: bool
    response: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    retry_after_seconds: float | None = None  # set on a rate-limit answer
    retryable: bool = False  # 5xx, network trouble: try again later

    @property
    def rate_limited(self) -> bool:
        return self.retry_after_seconds is not None


class OutboxSender(Protocol):
    def send(self, *, method: str, payload: dict[str, Any]) -> SendOutcome:
        """Make one Web API call; never raises for an API or network failure."""
        ...


@dataclass(frozen=True, kw_only=True)
class ChatUser:
    user_id: str
    name: str
    email: str | None
    timezone: str | None
    locale: str | None
    deleted: bool = False
    is_bot: bool = False


class ChatDirectory(Protocol):
    def lookup_by_email(self, email: str) -> ChatUser | None: ...

    def user_info(self, user_id: str) -> ChatUser | None: ...


@dataclass(frozen=True, kw_only=True)
class ChatChannel:
    """A channel as the bot sees it; enough to tell whether a taken name is our own channel."""

    channel_id: str
    name: str
    is_member: bool
    is_archived: bool = False
    created_by_bot: bool = False


@dataclass(frozen=True, kw_only=True)
class ChannelAnswer:
    """The answer to one synchronous channel call. `retryable` means rate-limited, 5xx or
    network trouble: the caller leaves its work for the next tick instead of failing it."""

    ok: bool
    channel: ChatChannel | None = None
    error: str | None = None
    retryable: bool = False


class ChatChannels(Protocol):
    """Channel calls a job must make *now*, because it needs the answer (a channel id) before
    it can go on; everything else still goes through the outbox. Never raises for an API or
    network failure: it answers `ok=False` with the error."""

    def create_private_channel(self, *, name: str) -> ChannelAnswer: ...

    def find_private_channel(self, *, name: str) -> ChannelAnswer:
        """The private channel of that name the bot can see (`channel` None when none)."""
        ...

    def invite(self, *, channel_id: str, user_id: str) -> ChannelAnswer: ...
