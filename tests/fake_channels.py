"""A fake `ChatChannels` port: channels, members and Slack's answers, in memory.

It keeps state like Slack (a created channel stays created even if the caller dies right
after), can be told to answer with an error or to "crash" (raise) after a call took effect,
and records every call so tests can count creates and invites.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field

from bot.core.chat import ChannelAnswer, ChatChannel

BOT = "UBOT"


class Crash(RuntimeError):
    """The process 'dies' right after Slack did what it was asked."""


@dataclass
class FakeChannel:
    id: str
    name: str
    creator: str
    members: list[str] = field(default_factory=list)
    is_archived: bool = False


class FakeChannels:
    def __init__(self, *, users: set[str] | None = None) -> None:
        self.users: set[str] = set(users or ())
        self.channels: dict[str, FakeChannel] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self._answers: dict[str, deque[ChannelAnswer]] = {}
        self._crash_after: dict[str, int] = {}
        self._ids = itertools.count(1)

    # --- scripting ------------------------------------------------------------------------

    def answer_next(self, method: str, answer: ChannelAnswer, *, times: int = 1) -> None:
        self._answers.setdefault(method, deque()).extend([answer] * times)

    def crash_after(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` take effect, then raise `Crash`."""
        self._crash_after[method] = times

    def add_foreign_channel(
        self, name: str, *, members: tuple[str, ...] = ("USOMEONE",), creator: str = "USOMEONE"
    ) -> FakeChannel:
        channel = FakeChannel(id=f"CF{next(self._ids)}", name=name, creator=creator, members=list(members))
        self.channels[channel.id] = channel
        return channel

    # --- reading --------------------------------------------------------------------------

    def named(self, name: str) -> list[FakeChannel]:
        return [channel for channel in self.channels.values() if channel.name == name]

    def count(self, method: str) -> int:
        return sum(1 for called, _ in self.calls if called == method)

    # --- the port -------------------------------------------------------------------------

    def _scripted(self, method: str) -> ChannelAnswer | None:
        queue = self._answers.get(method)
        return queue.popleft() if queue else None

    def _maybe_crash(self, method: str) -> None:
        left = self._crash_after.get(method, 0)
        if left > 0:
            self._crash_after[method] = left - 1
            raise Crash(f"crash after {method}")

    def create_private_channel(self, *, name: str) -> ChannelAnswer:
        self.calls.append(("create", {"name": name}))
        scripted = self._scripted("create")
        if scripted is not None:
            return scripted
        if self.named(name):
            return ChannelAnswer(ok=False, error="name_taken")
        channel = FakeChannel(id=f"C{next(self._ids)}", name=name, creator=BOT, members=[BOT])
        self.channels[channel.id] = channel
        self._maybe_crash("create")
        return ChannelAnswer(ok=True, channel=self._view(channel))

    def find_private_channel(self, *, name: str) -> ChannelAnswer:
        self.calls.append(("find", {"name": name}))
        scripted = self._scripted("find")
        if scripted is not None:
            return scripted
        for channel in self.named(name):
            if BOT in channel.members:  # private channels the bot is not in are invisible
                return ChannelAnswer(ok=True, channel=self._view(channel))
        return ChannelAnswer(ok=True, channel=None)

    def invite(self, *, channel_id: str, user_id: str) -> ChannelAnswer:
        self.calls.append(("invite", {"channel": channel_id, "user": user_id}))
        scripted = self._scripted("invite")
        if scripted is not None:
            return scripted
        channel = self.channels.get(channel_id)
        if channel is None or BOT not in channel.members:
            return ChannelAnswer(ok=False, error="channel_not_found")
        if channel.is_archived:
            return ChannelAnswer(ok=False, error="is_archived")
        if user_id not in self.users:
            return ChannelAnswer(ok=False, error="user_not_found")
        if user_id in channel.members:
            return ChannelAnswer(ok=False, error="already_in_channel")
        channel.members.append(user_id)
        self._maybe_crash("invite")
        return ChannelAnswer(ok=True)

    @staticmethod
    def _view(channel: FakeChannel) -> ChatChannel:
        return ChatChannel(
            channel_id=channel.id, name=channel.name, is_member=BOT in channel.members,
            is_archived=channel.is_archived, created_by_bot=channel.creator == BOT,
        )
