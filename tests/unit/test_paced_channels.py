"""The tick's channel calls kept within Slack's per-minute budgets across ticks (issue 13)."""

from __future__ import annotations

from bot.core.chat import ChannelAnswer, ChatChannel
from bot.slack.channels import CHANNEL_CALL_BUDGETS, PacedChannels, paced_channels


class CountingChannels:
    def __init__(self) -> None:
        self.creates: list[str] = []
        self.invites = 0

    def create_private_channel(self, *, name: str) -> ChannelAnswer:
        self.creates.append(name)
        return ChannelAnswer(ok=True, channel=ChatChannel(channel_id=f"C{len(self.creates)}", name=name, is_member=True,
                                                          created_by_bot=True))

    def find_private_channel(self, *, name: str) -> ChannelAnswer:
        return ChannelAnswer(ok=True, channel=None)

    def invite(self, *, channel_id: str, user_id: str) -> ChannelAnswer:
        self.invites += 1
        return ChannelAnswer(ok=True)


class Time:
    def __init__(self) -> None:
        self.now = 500.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


def _paced() -> tuple[PacedChannels, CountingChannels, Time]:
    inner, time = CountingChannels(), Time()
    return paced_channels(inner, monotonic=time.monotonic, sleep=time.sleep), inner, time


def test_a_minute_of_creates_goes_at_once_then_the_next_waits_for_the_next_minute_without_calling() -> None:
    channels, inner, time = _paced()
    budget = CHANNEL_CALL_BUDGETS["conversations.create"]
    assert budget < 20, "headroom under Slack's tier 2"
    for number in range(budget):
        assert channels.create_private_channel(name=f"pair-{number}").ok
    assert time.slept == 0.0, "a burst within the minute's budget never waits"
    refused = channels.create_private_channel(name="one-too-many")
    assert (refused.ok, refused.error, refused.retryable) == (False, "ratelimited", True)
    assert len(inner.creates) == budget, "refused here, never sent to Slack for a 429"
    time.now += 60.0  # the next tick
    assert channels.create_private_channel(name="next-minute").ok
    assert inner.creates[-1] == "next-minute"


def test_a_budget_freeing_within_seconds_is_waited_for_not_refused() -> None:
    channels, inner, time = _paced()
    budget = CHANNEL_CALL_BUDGETS["conversations.create"]
    for number in range(budget):
        assert channels.create_private_channel(name=f"pair-{number}").ok
    time.now += 58.0  # a tick two seconds early
    assert channels.create_private_channel(name="early").ok
    assert 1.9 <= time.slept <= 2.1
    assert len(inner.creates) == budget + 1
