"""Notice a dead bot token in the calls the tick's Slack jobs make.

Those jobs keep going when a call fails (a lookup failure ends the pass, a refused channel
is left for the next tick), so a revoked token would show only as warnings, every minute.
The tick's directory and channel ports are wrapped here: an answer that says the token is
dead (`bot.core.workspace.TOKEN_DEAD_ERRORS`) is remembered, and after the tick the runtime
confirms it with one `auth.test` and stops sending (`scheduling.workspace_guard`)."""

from __future__ import annotations

from dataclasses import replace

from slack_sdk.errors import SlackApiError

from bot.core.chat import ChannelAnswer, ChatChannels, ChatDirectory, ChatUser
from bot.core.workspace import TOKEN_DEAD_ERRORS


class TokenWatch:
    def __init__(self) -> None:
        self.seen: str | None = None  # the last token-dead answer, until taken

    def note(self, error: object) -> None:
        if isinstance(error, str) and error in TOKEN_DEAD_ERRORS:
            self.seen = error

    def take(self) -> str | None:
        seen, self.seen = self.seen, None
        return seen


class WatchedDirectory:
    def __init__(self, inner: ChatDirectory, watch: TokenWatch) -> None:
        self._inner = inner
        self._watch = watch

    def lookup_by_email(self, email: str) -> ChatUser | None:
        try:
            return self._inner.lookup_by_email(email)
        except SlackApiError as exc:
            self._watch.note(exc.response.get("error"))
            raise

    def user_info(self, user_id: str) -> ChatUser | None:
        try:
            return self._inner.user_info(user_id)
        except SlackApiError as exc:
            self._watch.note(exc.response.get("error"))
            raise


class WatchedChannels:
    def __init__(self, inner: ChatChannels, watch: TokenWatch) -> None:
        self._inner = inner
        self._watch = watch

    def _seen(self, answer: ChannelAnswer) -> ChannelAnswer:
        """A dead token says nothing about the channel: the job leaves its work for a later
        tick (retryable) instead of telling the coordinators Slack refused the channel."""
        if answer.error in TOKEN_DEAD_ERRORS:
            self._watch.note(answer.error)
            return replace(answer, retryable=True)
        return answer

    def create_private_channel(self, *, name: str) -> ChannelAnswer:
        return self._seen(self._inner.create_private_channel(name=name))

    def find_private_channel(self, *, name: str) -> ChannelAnswer:
        return self._seen(self._inner.find_private_channel(name=name))

    def invite(self, *, channel_id: str, user_id: str) -> ChannelAnswer:
        return self._seen(self._inner.invite(channel_id=channel_id, user_id=user_id))
