"""The chat-platform port: what the domain needs from Slack (and, later, Teams).

Services never import a Slack library; they say what to tell whom as notices
(`bot.core.notices`) and read users and open channels through this port. The Slack adapter
in `bot/slack/` implements it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, kw_only=True)
class SendOutcome:
    """What happened to one outgoing call, in terms the deliverer can act on."""

    ok: bool
    response: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    retry_after_seconds: float | None = None  # set on a rate-limit answer
    retryable: bool = False  # 5xx, network trouble: try again later
    # The call may have taken effect although no success came back (the answer was lost on
    # the wire, a timeout, a 5xx after the platform acted): look before doing it again.
    outcome_unknown: bool = False

    @property
    def rate_limited(self) -> bool:
        return self.retry_after_seconds is not None


class OutboxSender(Protocol):
    def send(self, *, method: str, payload: dict[str, Any]) -> SendOutcome:
        """Make one Web API call; never raises for an API or network failure."""
        ...


@dataclass(frozen=True, kw_only=True)
class PostedLookup:
    """Whether a message carrying an outbox key is already in its conversation.

    `found_ts` set: it is there (with the conversation's id). `looked` and no `found_ts`:
    the conversation was read back to `oldest` and the message is not in it. Otherwise the
    lookup itself failed: `retry_after_seconds` (rate limited) or `retryable` (5xx, network)
    mean "try again later"; neither means the history cannot be read (the caller then sends
    anyway, at least once rather than never)."""

    looked: bool = False
    found_ts: str | None = None
    channel: str | None = None
    error: str | None = None
    retry_after_seconds: float | None = None
    retryable: bool = False
    # Every outbox key seen in the conversation since `oldest` (key -> ts): one read answers
    # for all of a conversation's rows whose outcome is unknown.
    seen: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class PostedMessageFinder(Protocol):
    """Finds a message the outbox posted by the key it carries (a platform without idempotency
    keys needs this to send a message whose first send had an unknown outcome exactly once)."""

    def stamp(self, *, method: str, payload: dict[str, Any], key: str) -> dict[str, Any] | None:
        """`payload` carrying the outbox `key` where the platform keeps it with the message;
        None for a call whose effect cannot be looked up (those are idempotent instead)."""
        ...

    def lookup_methods(self, channel: str) -> tuple[str, ...]:
        """The platform calls a lookup in `channel` makes, so the deliverer can pace them."""
        ...

    def find_posted(
        self, *, channel: str, key: str, oldest: float, pace: Callable[[str], None]
    ) -> PostedLookup:
        """Look for the message with outbox `key` in `channel`, posted at or after `oldest`
        (epoch seconds), noting every other outbox key on the way; `pace(method)` is called
        before each platform call."""
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
