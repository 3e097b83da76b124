"""The sandbox's honest faults: random 429/5xx by seed, lost answers (applied, then no answer),
and message metadata that only a caller asking for it gets back."""

from __future__ import annotations

import http.client
from collections import Counter
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import SlackSandbox

TOKEN = "xoxb-sandbox"


@pytest.fixture()
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sb:
        sb.add_user(user_id="U1", name="ana")
        yield sb


@pytest.fixture()
def client(sandbox: SlackSandbox) -> WebClient:
    client = WebClient(token=TOKEN, base_url=sandbox.base_url)
    client.retry_handlers = []  # see every fault as the bot's sender does
    return client


def test_a_lost_answer_is_applied_and_the_connection_closes_with_nothing(
    client: WebClient, sandbox: SlackSandbox
) -> None:
    sandbox.lose_next_answer("chat.postMessage")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        client.chat_postMessage(channel="U1", text="did it go?")
    assert [m["text"] for m in sandbox.dm_messages("U1")] == ["did it go?"], "Slack acted; the answer was lost"
    (call,) = sandbox.calls_to("chat.postMessage")
    assert call.lost and call.ok
    assert client.chat_postMessage(channel="U1", text="next")["ok"] is True


def test_random_faults_follow_their_seed_and_rate_and_5xx_and_429_change_nothing(sandbox: SlackSandbox) -> None:
    def run(seed: int) -> list[tuple[int, bool]]:
        with SlackSandbox() as sb:
            sb.add_user(user_id="U1", name="ana")
            sb.inject_faults(0.2, seed=seed, retry_after=3)
            client = WebClient(token=TOKEN, base_url=sb.base_url)
            client.retry_handlers = []
            outcomes = []
            for index in range(300):
                try:
                    client.chat_postMessage(channel="U1", text=f"m{index}")
                    outcomes.append((200, False))
                except SlackApiError as exc:
                    status = exc.response.status_code
                    if status == 429:
                        assert exc.response.headers["Retry-After"] == "3"
                    outcomes.append((status, False))
                except (http.client.RemoteDisconnected, ConnectionError):
                    outcomes.append((200, True))
            calls = sb.calls_to("chat.postMessage")
            applied = [c.args["text"] for c in calls if c.http_status == 200]
            assert [m["text"] for m in sb.dm_messages("U1")] == applied, "only answered-200 or lost calls act"
            assert sum(sb.fault_counts().values()) == sum(1 for c in calls if c.injected)
            return outcomes

    first = run(7)
    assert first == run(7), "the same seed, the same faults"
    assert first != run(8)
    kinds = Counter(status if not lost else "lost" for status, lost in first)
    faults = len(first) - kinds[200]
    assert 30 <= faults <= 90, f"about 20 % of 300 calls: {kinds}"
    assert {429, 500, 502, 503, "lost"} <= set(kinds), kinds


def test_faults_can_be_limited_to_methods_and_turned_off(client: WebClient, sandbox: SlackSandbox) -> None:
    sandbox.inject_faults(1.0, seed=1, kinds=("503",), methods=("users.info",))
    assert client.chat_postMessage(channel="U1", text="posts are spared")["ok"] is True
    with pytest.raises(SlackApiError) as info:
        client.users_info(user="U1")
    assert info.value.response.status_code == 503
    sandbox.inject_faults(0.0)
    assert client.users_info(user="U1")["ok"] is True
    with pytest.raises(ValueError):
        sandbox.inject_faults(0.2, kinds=("418",))


def test_history_returns_metadata_only_when_asked_for_it(client: WebClient, sandbox: SlackSandbox) -> None:
    metadata = {"event_type": "mentorbot_outbox", "event_payload": {"key": "welcome:1"}}
    posted = client.chat_postMessage(channel="U1", text="hello", metadata=metadata)
    plain = client.conversations_history(channel=posted["channel"])["messages"]
    assert [("metadata" in m) for m in plain] == [False]
    full = client.conversations_history(channel=posted["channel"], include_all_metadata=True)["messages"]
    assert [m.get("metadata") for m in full] == [metadata]

