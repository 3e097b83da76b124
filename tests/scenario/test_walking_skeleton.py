"""The walking skeleton as Slack drives it: signed HTTP requests in, Web API calls out to the sandbox."""

from __future__ import annotations

import time
import urllib.request
from datetime import timedelta

from sqlalchemy import func, select

from bot.core.outbox import OutgoingCall, enqueue
from bot.sandbox.harness import SandboxedApp
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState, ProcessedEvent
from tests.support.answers import ephemeral_text
from tests.support.people import ana_and_mette


def test_mentoring_help_through_signed_http(slack: SandboxedApp) -> None:
    ana_and_mette(slack)
    response = slack.slash("UANA", "/mentoring", "help")
    assert response.status == 200
    text = ephemeral_text(slack, response.response_url)
    assert "/mentoring help" in text and "/mentoring-admin" not in text


def test_coordinators_see_admin_commands_in_danish(slack: SandboxedApp) -> None:
    ana_and_mette(slack)
    response = slack.slash("UMETTE", "/mentoring", "")
    text = ephemeral_text(slack, response.response_url)
    assert "/mentoring-admin help" in text and "Det kan du gøre" in text


def test_unknown_subcommand_is_a_helpful_ephemeral_answer(slack: SandboxedApp) -> None:
    ana_and_mette(slack)
    response = slack.slash("UANA", "/mentoring", "profiel")
    assert response.status == 200
    assert "I don't know `/mentoring profiel`" in ephemeral_text(slack, response.response_url)
    admin = slack.slash("UANA", "/mentoring-admin", "status")
    assert "Only the programme's coordinators" in ephemeral_text(slack, admin.response_url)


def test_forged_unsigned_and_stale_requests_are_refused_with_401(slack: SandboxedApp) -> None:
    body = b"command=%2Fmentoring&text=help&user_id=UANA&team_id=T0SANDBOX"
    form = "application/x-www-form-urlencoded"
    forged = slack.driver.send_raw(body, content_type=form, signature="v0=" + "0" * 64)
    unsigned = slack.driver.send_raw(body, content_type=form, sign=False)
    stale = slack.driver.send_raw(body, content_type=form, timestamp=int(time.time()) - 6 * 60)
    assert (forged.status, unsigned.status, stale.status) == (401, 401, 401)
    slack.settle()
    assert slack.sandbox.response_posts == [] and slack.sandbox.calls == []


def test_malformed_signed_payloads_get_400_and_store_nothing(slack: SandboxedApp) -> None:
    bad_json = slack.driver.send_raw(b'{"type": "event_callback", "event": ', content_type="application/json")
    bad_form = slack.driver.send_raw(b"payload=%7Bnope", content_type="application/x-www-form-urlencoded")
    no_user = slack.driver.send_raw(
        b'payload={"type":"block_actions","actions":[]}', content_type="application/x-www-form-urlencoded"
    )
    assert (bad_json.status, bad_form.status, no_user.status) == (400, 400, 400)
    assert "malformed payload" in bad_json.body
    slack.settle()
    with unit_of_work(slack.runtime.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    assert slack.sandbox.calls == []


def test_an_event_delivered_twice_is_handled_once(slack: SandboxedApp) -> None:
    ana_and_mette(slack)
    event = {"type": "app_home_opened", "user": "UANA", "channel": "D1", "tab": "home"}
    first = slack.event(event, event_id="Ev0001")
    retry = slack.event(event, event_id="Ev0001", retry_num=1, retry_reason="http_timeout")
    assert (first.status, retry.status) == (200, 200)
    assert len(slack.sandbox.calls_to("views.publish")) == 1
    home = slack.sandbox.published_home("UANA")
    assert home is not None and home["type"] == "home"
    other = slack.event(event, event_id="Ev0002")
    assert other.status == 200 and len(slack.sandbox.calls_to("views.publish")) == 2


def test_url_verification_echoes_the_challenge(slack: SandboxedApp) -> None:
    response = slack.driver.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert response.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in response.body


def test_healthz_answers_when_the_database_answers(slack: SandboxedApp) -> None:
    with urllib.request.urlopen(f"{slack.server.url}/healthz", timeout=5) as response:
        assert response.status == 200 and response.read() == b"ok"
    try:
        urllib.request.urlopen(f"{slack.server.url}/nowhere", timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 404
    else:  # pragma: no cover
        raise AssertionError("unknown paths must 404")


def test_deliverer_sends_each_row_once_through_429s_and_5xx(slack: SandboxedApp) -> None:
    channel = slack.sandbox.add_channel(name="pair-ana-lars", is_private=True, members=("U0BOT",))["id"]
    now = slack.clock.now()
    with unit_of_work(slack.runtime.session_factory) as session:
        for index in range(4):
            call = OutgoingCall(dedup_key=f"test:{index}", method="chat.postMessage", team_id="",
                                payload={"channel": channel, "text": f"message {index}"}, not_before=now)
            enqueue(session, call, now=now)
            enqueue(session, call, now=now)  # the same key twice is one message
    slack.sandbox.fail_next("chat.postMessage", status=503, times=1)
    first = slack.deliver()
    assert first.retried == 1 and first.sent == 3
    slack.sandbox.fail_next("chat.postMessage", status=429, retry_after=7, times=1)
    slack.clock.set(now + timedelta(seconds=30))
    second = slack.deliver()
    assert (second.sent, second.rate_limited) == (0, 1)
    slack.clock.set(now + timedelta(seconds=37))
    third = slack.deliver()
    assert third.sent == 1
    texts = sorted(message["text"] for message in slack.sandbox.messages_in(channel))
    assert texts == [f"message {index}" for index in range(4)]
    statuses = [call.http_status for call in slack.sandbox.calls_to("chat.postMessage")]
    assert statuses.count(503) == 1 and statuses.count(429) == 1
    with unit_of_work(slack.runtime.session_factory) as session:
        rows = list(session.scalars(select(OutboxMessage)))
        assert len(rows) == 4 and {row.state for row in rows} == {OutboxState.SENT}
